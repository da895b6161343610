//! Seed 001's promises: players are added through the supervisor, named, restarted after a
//! crash, and removed with `remove_player`, under both supervisor styles.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use actor_core::Actor;
use actor_registry::LocalRegistry;
use actor_supervisor::{ChildError, ChildPid};
use otp_actors::game::{AddPlayer, Game, Get, Player, PlayerSupervisor, Trip, player_name};

async fn both(names: &LocalRegistry) -> [PlayerSupervisor; 2] {
    [
        PlayerSupervisor::simple_one_for_one(names.clone())
            .await
            .unwrap(),
        PlayerSupervisor::dynamic(names.clone()).await.unwrap(),
    ]
}

#[tokio::test]
async fn remove_player_stops_and_forgets_the_player() {
    for (game_id, players) in (1..).zip(both(&LocalRegistry::new()).await) {
        let game = Game::start((game_id, players.clone())).await.unwrap();
        let a = game.call(AddPlayer("a".into())).await.unwrap().unwrap();
        let b = game.call(AddPlayer("b".into())).await.unwrap().unwrap();
        players.remove_player(&a).await.unwrap();
        assert!(!a.is_alive());
        let children = players.children().await.unwrap();
        assert_eq!(children.len(), 1);
        assert!(matches!(&children[0].pid, ChildPid::Running(p) if *p == b));
        assert_eq!(players.count_children().await.unwrap().active, 1);
        // A pid that never was a child.
        let stranger = Player::start(("x".into(), 0)).await.unwrap();
        assert!(matches!(
            players.remove_player(&stranger.pid()).await,
            Err(ChildError::NotFound)
        ));
        players.stop().await.unwrap();
    }
}

#[tokio::test]
async fn players_are_named_and_restarted_after_a_crash() {
    let names = LocalRegistry::new();
    for players in both(&names).await {
        let game = Game::start((9, players.clone())).await.unwrap();
        let pid = game.call(AddPlayer("zed".into())).await.unwrap().unwrap();
        let zed = names.whereis_ref::<Player>(player_name("zed")).unwrap();
        assert_eq!(
            zed.call(Get).await.unwrap(),
            Player {
                name: "zed".into(),
                game_id: 9
            }
        );
        let dup = game.call(AddPlayer("zed".into())).await.unwrap();
        assert!(matches!(dup, Err(ChildError::AlreadyStarted(p)) if p == pid));

        zed.cast(Trip);
        assert!(matches!(
            pid.exited().await,
            actor_core::ExitReason::Panic(_)
        ));
        assert_eq!(players.count_children().await.unwrap().active, 1);
        let again = names.whereis_ref::<Player>(player_name("zed")).unwrap();
        assert_ne!(again.pid(), pid);
        assert_eq!(
            again.call(Get).await.unwrap().game_id,
            9,
            "restarted with the same arguments"
        );
        players.stop().await.unwrap();
        assert!(names.whereis(player_name("zed")).is_none());
    }
}
