//! Seed 000, "Using Elixir Dynamic Supervisors" (Grapevine's web client): one session actor
//! per (user, game) under a `DynamicSupervisor` as a transient child, named by (user, game)
//! in a registry, holding a real TCP connection to a telnet game on loopback. A page reload
//! attaches the new tab to the running session; a network hiccup crashes the session and it
//! is restarted under the same name; `quit` ends it normally and it is deleted.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example web_client_sessions
//! ```
//!
//! It prints a transcript and exits non-zero if a behaviour the article promises is missing.

use actor_core::{Actor, ActorRef, ExitReason};
use otp_actors::check;
use otp_actors::web_client::{BrowserChannel, GameServer, Input, WaitFor, WebClient};

async fn open_tab(label: &str) -> ActorRef<BrowserChannel> {
    BrowserChannel::start(label.to_owned())
        .await
        .expect("a tab starts")
}

async fn wait(tab: &ActorRef<BrowserChannel>, text: &str, count: usize) -> bool {
    tab.call(WaitFor::lines(text, count)).await.is_ok()
}

#[tokio::main]
async fn main() {
    let game = GameServer::start().await.expect("the game listens");
    let client = WebClient::start().await.expect("the web client starts");
    println!(
        "MidMUD listens on {}; ClientSupervisor and the session registry run",
        game.addr()
    );

    println!(
        "\nuser 1 opens game 1 in a tab -- WebClient.connect(user, game_id: 1, channel_pid: tab A)"
    );
    let tab_a = open_tab("tab A").await;
    let session = client
        .connect(1, 1, game.addr(), tab_a.clone())
        .await
        .expect("the session starts");
    check(
        wait(&tab_a, "Welcome to MidMUD!", 1).await,
        "tab A shows the game's greeting",
    );
    let lines = tab_a
        .call(otp_actors::web_client::Lines)
        .await
        .expect("lines");
    check(
        lines
            .iter()
            .all(|l| !l.contains('\u{ff}') && !l.contains("Core.Hello")),
        "telnet negotiation and subnegotiation are stripped",
    );
    client
        .session(1, 1)
        .expect("running")
        .cast(Input("look".into()));
    check(
        wait(&tab_a, "torch-lit hall", 1).await,
        "input goes to the game, the answer comes back",
    );

    println!(
        "\nthe page reloads: tab A closes, tab B connects -- :global.whereis_name finds the session"
    );
    tab_a
        .stop(ExitReason::Shutdown)
        .await
        .expect("tab A closes");
    let tab_b = open_tab("tab B").await;
    let again = client
        .connect(1, 1, game.addr(), tab_b.clone())
        .await
        .expect("connect");
    check(
        again == session,
        "the reload attached to the same session (sticky)",
    );
    check(game.accepted() == 1, "the game still sees one connection");
    check(
        wait(&tab_b, "torch-lit hall", 1).await,
        "tab B got the scrollback",
    );
    client
        .session(1, 1)
        .expect("running")
        .cast(Input("say hello again".into()));
    check(
        wait(&tab_b, "You say: hello again", 1).await,
        "tab B plays on the same connection",
    );

    println!("\nuser 2 joins game 1 in another browser");
    let tab_c = open_tab("tab C").await;
    client
        .connect(2, 1, game.addr(), tab_c.clone())
        .await
        .expect("second session");
    check(
        wait(&tab_c, "Welcome to MidMUD!", 1).await,
        "user 2 has their own session",
    );
    let counts = client.supervisor().count_children().await.expect("count");
    check(
        counts.active == 2,
        "two sessions under the ClientSupervisor",
    );

    println!("\na network hiccup: the game drops every connection");
    game.hiccup();
    let reason = session.exited().await;
    check(
        !reason.is_benign(),
        &format!("user 1's session crashed ({reason})"),
    );
    check(
        wait(&tab_b, "Welcome to MidMUD!", 2).await && wait(&tab_c, "Welcome to MidMUD!", 2).await,
        "both sessions were restarted, reconnected, and still reach their tabs",
    );
    let restarted = client.session(1, 1).expect("the name follows the restart");
    check(
        restarted.pid() != session,
        "a new session process holds the name {webclient, {1, 1}}",
    );
    check(game.accepted() == 4, "each restart opened a new connection");

    println!("\nuser 1 types quit: the session stops with reason normal");
    restarted.cast(Input("quit".into()));
    check(wait(&tab_b, "Goodbye.", 1).await, "the game said goodbye");
    check(
        restarted.pid().exited().await == ExitReason::Normal,
        "the session exited normal",
    );
    let counts = client.supervisor().count_children().await.expect("count");
    check(
        counts.active == 1 && client.session(1, 1).is_none(),
        "a transient child that exits normally is deleted, not restarted; its name is free",
    );

    client
        .supervisor()
        .stop(ExitReason::Shutdown)
        .await
        .expect("stop");
    check(
        client.session(2, 1).is_none(),
        "stopping the supervisor ended user 2's session",
    );
    println!("web_client_sessions complete");
}
