//! Seed 001, "Dynamic supervision: simple_one_for_one in Elixir 1.5, DynamicSupervisor in
//! 1.6": a `Game` adds named `Player`s through a supervisor, so a crashing player is
//! restarted; `add_player`, `remove_player`, `children` and `count_children`, run once with
//! the one-template simple_one_for_one supervisor and once with a `DynamicSupervisor`.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example game_players
//! ```
//!
//! It prints a transcript and exits non-zero if a behaviour the article promises is missing.

use actor_core::{Actor, ActorRef};
use actor_registry::LocalRegistry;
use actor_supervisor::ChildError;
use otp_actors::game::{
    AddPlayer, Game, Get, Player, PlayerSupervisor, Trip, game_name, player_name,
};
use otp_actors::{brief_panics, check};

async fn play(kind: &str, players: PlayerSupervisor, names: LocalRegistry) {
    println!("\n== {kind} ==");
    let game: ActorRef<Game> = Game::start_link((1, players.clone()))
        .name(names.name(game_name(1)))
        .await
        .expect("the game starts");
    println!("  Game started as {} named \"game:1\"", game.pid());

    println!("  Game.add_player(game, \"ana\") and \"bo\" -- the game asks the supervisor");
    let ana = game
        .call(AddPlayer("ana".into()))
        .await
        .expect("call")
        .expect("ana starts");
    let bo = game
        .call(AddPlayer("bo".into()))
        .await
        .expect("call")
        .expect("bo starts");
    let named = names
        .whereis_ref::<Player>(player_name("ana"))
        .expect("ana is a player");
    check(named.pid() == ana, "ana is named player:ana");
    let state = named.call(Get).await.expect("get");
    check(
        state.name == "ana" && state.game_id == 1,
        "Player.get answers {name: ana, game_id: 1}",
    );

    let twice = game.call(AddPlayer("ana".into())).await.expect("call");
    println!("  add_player(\"ana\") again -> {twice:?}");
    check(
        matches!(twice, Err(ChildError::AlreadyStarted(ref p)) if *p == ana),
        "a second ana is refused with already_started and the running pid",
    );

    let children = players.children().await.expect("children");
    for child in &children {
        println!("  which_children: {child:?}");
    }
    let counts = players.count_children().await.expect("count");
    println!(
        "  count_children: specs={} active={} supervisors={} workers={}",
        counts.specs, counts.active, counts.supervisors, counts.workers
    );
    check(
        children.len() == 2 && counts.active == 2,
        "two supervised players",
    );

    println!("  bo trips over a bug (a panic in a handler)");
    bo.downcast::<Player>().expect("player").cast(Trip);
    bo.exited().await;
    // The exit is ordered before the next call to the supervisor, which has restarted bo.
    check(
        players.count_children().await.map(|c| c.active).ok() == Some(2),
        "bo was restarted",
    );
    let new_bo = names.whereis(player_name("bo")).expect("bo is named again");
    check(new_bo != bo, "player:bo now names the restarted process");

    println!("  remove_player(ana)");
    players.remove_player(&ana).await.expect("remove");
    check(
        !ana.is_alive() && names.whereis(player_name("ana")).is_none(),
        "ana is gone, name free",
    );
    check(
        players.count_children().await.map(|c| c.active).ok() == Some(1),
        "one player left",
    );
    let again = players.remove_player(&ana).await;
    println!("  remove_player(ana) again -> {again:?}");
    // OTP's quirk, kept: simple_one_for_one answers `ok` for a dead pid; DynamicSupervisor
    // answers `{error, not_found}`.
    let expected = match players {
        PlayerSupervisor::SimpleOneForOne(_) => matches!(again, Ok(())),
        PlayerSupervisor::Dynamic { .. } => matches!(again, Err(ChildError::NotFound)),
    };
    check(
        expected,
        "removing a dead player: ok under simple_one_for_one, not_found under DynamicSupervisor",
    );

    players.stop().await.expect("stop");
    check(
        names.whereis(player_name("bo")).is_none(),
        "the players stopped with their supervisor",
    );
    game.stop(actor_core::ExitReason::Normal)
        .await
        .expect("the game stops");
}

#[tokio::main]
async fn main() {
    brief_panics();
    let names = LocalRegistry::new();
    let simple = PlayerSupervisor::simple_one_for_one(names.clone())
        .await
        .expect("PlayerSupervisor starts");
    play(
        "Elixir 1.5: Supervisor.init([Player], strategy: :simple_one_for_one)",
        simple,
        names.clone(),
    )
    .await;

    let dynamic = PlayerSupervisor::dynamic(names.clone())
        .await
        .expect("PlayerDynamicSupervisor starts");
    play(
        "Elixir 1.6: DynamicSupervisor.start_child(sup, {Player, {name, game_id}})",
        dynamic,
        names.clone(),
    )
    .await;
    check(names.registered().is_empty(), "no name left behind");
    println!("game_players complete");
}
