//! Seed 000's promises: a reload reattaches to the running session (one TCP connection), a
//! normal exit deletes the session, a crash restarts it under the same name.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use actor_core::{Actor, ActorRef, ExitReason};
use otp_actors::web_client::{
    BrowserChannel, GameServer, Input, Lines, TelnetText, WaitFor, WebClient,
};

async fn tab(label: &str) -> ActorRef<BrowserChannel> {
    BrowserChannel::start(label.to_owned()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_attaches_the_new_tab_to_the_running_session() {
    let game = GameServer::start().await.unwrap();
    let client = WebClient::start().await.unwrap();
    let first = tab("first").await;
    let session = client
        .connect(7, 3, game.addr(), first.clone())
        .await
        .unwrap();
    first.call(WaitFor::lines("Welcome", 1)).await.unwrap();

    first.stop(ExitReason::Shutdown).await.unwrap();
    let second = tab("second").await;
    let again = client
        .connect(7, 3, game.addr(), second.clone())
        .await
        .unwrap();
    assert_eq!(again, session, "the same session process");
    client
        .session(7, 3)
        .unwrap()
        .cast(Input("say still here".into()));
    second
        .call(WaitFor::lines("You say: still here", 1))
        .await
        .unwrap();
    assert_eq!(game.accepted(), 1, "no second connection to the game");
    assert_eq!(
        client.supervisor().count_children().await.unwrap().active,
        1
    );
    // The scrollback came first, then the live answer.
    let lines = second.call(Lines).await.unwrap();
    assert!(lines.first().unwrap().contains("Welcome"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_ends_the_session_normally_and_deletes_it() {
    let game = GameServer::start().await.unwrap();
    let client = WebClient::start().await.unwrap();
    let t = tab("t").await;
    let session = client.connect(1, 1, game.addr(), t.clone()).await.unwrap();
    t.call(WaitFor::lines("Welcome", 1)).await.unwrap();
    client.session(1, 1).unwrap().cast(Input("quit".into()));
    assert_eq!(session.exited().await, ExitReason::Normal);
    let counts = client.supervisor().count_children().await.unwrap();
    assert_eq!(
        (counts.specs, counts.active),
        (0, 0),
        "no spec kept, nothing restarted"
    );
    assert!(client.session(1, 1).is_none());
    assert_eq!(game.accepted(), 1);
    // A new connect starts a fresh session.
    let fresh = client.connect(1, 1, game.addr(), t.clone()).await.unwrap();
    assert_ne!(fresh, session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_restarts_the_session_under_the_same_name() {
    let game = GameServer::start().await.unwrap();
    let client = WebClient::start().await.unwrap();
    let t = tab("t").await;
    let session = client.connect(2, 5, game.addr(), t.clone()).await.unwrap();
    t.call(WaitFor::lines("Welcome", 1)).await.unwrap();
    game.hiccup();
    assert!(!session.exited().await.is_benign());
    t.call(WaitFor::lines("Welcome", 2)).await.unwrap();
    let restarted = client.session(2, 5).unwrap();
    assert_ne!(restarted.pid(), session);
    assert_eq!(game.accepted(), 2);
    restarted.cast(Input("look".into()));
    t.call(WaitFor::lines("torch-lit", 1)).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_game_is_a_typed_start_error() {
    let game = GameServer::start().await.unwrap();
    let addr = game.addr();
    drop(game);
    let client = WebClient::start().await.unwrap();
    let t = tab("t").await;
    let err = client.connect(1, 1, addr, t).await.unwrap_err();
    assert!(
        matches!(err, actor_supervisor::ChildError::StartFailed { .. }),
        "{err:?}"
    );
    assert!(client.session(1, 1).is_none());
}

#[test]
fn telnet_commands_are_stripped_even_when_split_across_reads() {
    let stream: &[u8] =
        b"\xff\xfb\x01Hi \xff\xff there\r\n\xff\xfa\xc9a b\xff\xf0> \xff\xf9x\xff\xfd";
    for split in 0..stream.len() {
        let mut telnet = TelnetText::default();
        let mut lines = telnet.feed(&stream[..split]);
        lines.extend(telnet.feed(&stream[split..]));
        assert_eq!(lines, ["Hi \u{fffd} there", ">"], "split at {split}");
    }
}
