//! The observer's JSON API and event stream over real HTTP on loopback (issue 22): the tree
//! with restart counts, the actor list sorted by mailbox, details, the live stream, and
//! actions refused unless enabled.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::net::SocketAddr;
use std::time::Duration;

mod support;

use actor_core::{Actor, Cast, Context, ExitReason, Flow, Pid};
use actor_observer::{Observer, ObserverHandle};
use actor_supervisor::{
    ChildSpec, DynamicSupervisor, Supervisor, SupervisorEventKind, SupervisorRef, subscribe,
};
use serde_json::Value;
use support::{Crash, Worker};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

struct Block(tokio::sync::oneshot::Receiver<()>);

impl Cast<Block> for Worker {
    async fn handle_cast(&mut self, Block(gate): Block, _: &mut Context<Self>) -> Flow {
        let _ = gate.await;
        Flow::Ok
    }
}

impl Cast<u32> for Worker {
    async fn handle_cast(&mut self, _: u32, _: &mut Context<Self>) -> Flow {
        Flow::Ok
    }
}

/// One HTTP/1.1 request on a fresh connection: the status and the body.
async fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn json(addr: SocketAddr, path: &str) -> Value {
    let (status, body) = http(addr, "GET", path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn tree() -> (SupervisorRef, Pid) {
    let top = Supervisor::builder()
        .child(ChildSpec::worker::<Worker>("worker", ()))
        .child(DynamicSupervisor::builder().into_child_spec("rooms"))
        .start_link()
        .await
        .unwrap();
    let worker = top.inspect().await.unwrap().children[0]
        .state
        .pid()
        .cloned()
        .unwrap();
    (top, worker)
}

type EventLines = tokio::io::Lines<BufReader<tokio::net::TcpStream>>;

/// Opens the live stream on a fresh connection; its lines, the response's head first.
async fn open_events(addr: SocketAddr) -> EventLines {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    BufReader::new(conn).lines()
}

/// The next `event: <kind>` on the stream and its data.
async fn next_event(lines: &mut EventLines) -> (String, String) {
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Some(kind) = line.strip_prefix("event: ") {
            let data = lines.next_line().await.unwrap().unwrap();
            return (
                kind.to_owned(),
                data.trim_start_matches("data: ").to_owned(),
            );
        }
    }
}

/// An observer of the tree under `root`, on a free loopback port.
async fn observer(root: &Pid, actions: bool) -> ObserverHandle {
    Observer::new()
        .root(root.clone())
        .address("127.0.0.1:0".parse().unwrap())
        .allow_actions(actions)
        .start()
        .await
        .unwrap()
}

/// Crashes `worker` and waits until its supervisor has restarted it.
async fn crash_and_wait_for_restart(worker: &Pid, sup: &Pid) {
    let mut events = subscribe();
    worker.downcast::<Worker>().unwrap().cast(Crash);
    loop {
        let e = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .unwrap()
            .unwrap();
        if e.supervisor == *sup && matches!(e.kind, SupervisorEventKind::ChildRestarted { .. }) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_shows_kinds_children_and_restart_counts() {
    let (top, worker) = tree().await;
    let obs = observer(&top.pid(), false).await;
    let addr = obs.local_addr();
    let t = json(addr, "/api/tree").await;
    let sup = &t["roots"][0]["supervisor"];
    assert_eq!(sup["kind"], "static");
    assert_eq!(sup["strategy"], "one_for_one");
    assert_eq!(sup["children"][0]["child_id"], "worker");
    assert_eq!(sup["children"][0]["restarts"], 0);
    assert_eq!(sup["children"][0]["state"], "running");
    assert_eq!(sup["children"][1]["supervisor"]["kind"], "dynamic");
    assert_eq!(
        sup["children"][1]["supervisor"]["path"],
        format!("{}/rooms", top.pid())
    );

    crash_and_wait_for_restart(&worker, &top.pid()).await;
    let t = json(addr, "/api/tree").await;
    let child = &t["roots"][0]["supervisor"]["children"][0];
    assert_eq!(child["restarts"], 1);
    assert_eq!(child["last_exit"], ExitReason::msg("boom").to_string());
    assert_ne!(child["id"], worker.id().as_u64());

    // The log has the exit and the restart, oldest first.
    let log = json(addr, "/api/log").await;
    let events: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["supervisor"] == top.pid().to_string())
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["exited", "restarted"]);
    obs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actors_are_listed_by_mailbox_and_detailed_by_id() {
    let (top, _) = tree().await;
    let obs = observer(&top.pid(), false).await;
    let addr = obs.local_addr();
    let busy = Worker::start(()).await.unwrap();
    let (open, gate) = tokio::sync::oneshot::channel();
    busy.cast(Block(gate));
    for n in 0..50u32 {
        busy.cast(n);
    }
    let list = json(addr, "/api/actors?sort=mailbox").await;
    assert_eq!(
        list["actors"][0]["id"],
        busy.id().as_u64(),
        "deepest mailbox first"
    );
    assert!(list["actors"][0]["mailbox_len"].as_u64().unwrap() >= 50);
    assert!(list["total"].as_u64().unwrap() >= 3);

    let one = json(addr, &format!("/api/actors/{}", busy.id().as_u64())).await;
    assert!(one["actor_type"].as_str().unwrap().ends_with("Worker"));
    assert_eq!(one["status"], "running");
    // Monitors, both ways.
    let watcher = actor_testkit::Probe::start().await;
    watcher.monitor(&busy.pid()).await;
    let one = json(addr, &format!("/api/actors/{}", busy.id().as_u64())).await;
    assert_eq!(
        one["monitored_by"],
        serde_json::json!([watcher.id().as_u64()])
    );
    let w = json(addr, &format!("/api/actors/{}", watcher.id().as_u64())).await;
    assert_eq!(w["monitors"], serde_json::json!([busy.id().as_u64()]));
    let _ = open.send(());

    let (status, _) = http(addr, "GET", "/api/actors/999999999").await;
    assert_eq!(status, 404);
    let (status, body) = http(addr, "GET", "/api/actors?sort=age").await;
    assert_eq!(status, 400, "{body}");
    obs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_are_refused_unless_enabled() {
    let (top, worker) = tree().await;
    let obs = observer(&top.pid(), false).await;
    let addr = obs.local_addr();
    assert_eq!(json(addr, "/api/config").await["actions"], false);
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/actors/{}/kill", worker.id().as_u64()),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("actions are disabled"));
    let path = format!(
        "/api/supervisors/{}/children/worker/restart",
        top.pid().id().as_u64()
    );
    assert_eq!(http(addr, "POST", &path).await.0, 403);
    assert!(worker.is_alive(), "nothing was done");
    obs.stop().await;

    let obs = observer(&top.pid(), true).await;
    let addr = obs.local_addr();
    let (status, body) = http(
        addr,
        "POST",
        &format!("/api/actors/{}/kill", worker.id().as_u64()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!worker.is_alive());
    let (status, body) = http(addr, "POST", &path).await;
    assert_eq!(status, 200, "{body}");
    obs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_sends_the_tree_then_each_restart() {
    let (top, worker) = tree().await;
    let obs = observer(&top.pid(), false).await;
    let mut lines = open_events(obs.local_addr()).await;
    let (kind, data) = next_event(&mut lines).await;
    assert_eq!(kind, "tree");
    assert!(data.contains("\"child_id\":\"worker\""), "{data}");
    worker.downcast::<Worker>().unwrap().cast(Crash);
    let mut saw = Vec::new();
    while saw.len() < 2 {
        let (kind, data) = next_event(&mut lines).await;
        if kind == "log" {
            let entry: Value = serde_json::from_str(&data).unwrap();
            if entry["supervisor"] == top.pid().to_string() {
                saw.push(entry["event"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(saw, ["exited", "restarted"]);
    obs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_and_an_address_in_use_is_an_error() {
    let (top, _) = tree().await;
    let obs = observer(&top.pid(), false).await;
    let (status, body) = http(obs.local_addr(), "GET", "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>observer"));
    let again = Observer::new().address(obs.local_addr()).start().await;
    assert!(matches!(
        again,
        Err(actor_observer::ObserverError::Bind { .. })
    ));
    obs.stop().await;
}

/// A worker whose `init` says it began, then waits until its gate opens.
struct Gated;

impl Actor for Gated {
    type Args = (
        tokio::sync::mpsc::UnboundedSender<()>,
        tokio::sync::watch::Receiver<bool>,
    );
    async fn init(
        (began, mut gate): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, actor_core::InitError> {
        let _ = began.send(());
        let _ = gate.wait_for(|open| *open).await;
        Ok(Gated)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_opened_before_the_first_look_starts_with_that_look() {
    // The supervisor is busy starting a child whose `init` waits on a gate, so the hub's
    // first look (a request to the supervisor) cannot end before the gate opens, and the
    // gate opens only once the stream has answered. The first tree event must be that look,
    // not an empty tree from before it.
    let rooms = DynamicSupervisor::builder().start_link().await.unwrap();
    let (open, gate) = tokio::sync::watch::channel(false);
    let (began, mut has_begun) = tokio::sync::mpsc::unbounded_channel();
    let starting = {
        let rooms = rooms.clone();
        tokio::spawn(async move {
            rooms
                .start_child(ChildSpec::worker::<Gated>("gated", (began, gate)))
                .await
        })
    };
    // The supervisor is inside the child's start from here on.
    has_begun.recv().await.unwrap();
    let obs = Observer::new()
        .root(rooms.pid())
        .address("127.0.0.1:0".parse().unwrap())
        .supervisor_timeout(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let mut lines = open_events(obs.local_addr()).await;
    // The response's head comes at once; the first event only after the first look.
    assert!(
        lines
            .next_line()
            .await
            .unwrap()
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    open.send_replace(true);
    let first = loop {
        let (kind, data) = next_event(&mut lines).await;
        if kind == "tree" {
            break data;
        }
    };
    let tree: Value = serde_json::from_str(&first).unwrap();
    let sup = &tree["roots"][0]["supervisor"];
    assert_eq!(sup["children"][0]["child_id"], "gated", "{first}");
    assert!(starting.await.unwrap().unwrap().is_some());
    obs.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_with_many_children_is_drawn_with_the_first_and_a_count() {
    let rooms = DynamicSupervisor::builder().start_link().await.unwrap();
    for i in 0..250 {
        rooms
            .start_child(ChildSpec::worker::<Worker>(format!("room-{i}"), ()))
            .await
            .unwrap();
    }
    let obs = observer(&rooms.pid(), false).await;
    let t = json(obs.local_addr(), "/api/tree").await;
    let sup = &t["roots"][0]["supervisor"];
    assert_eq!(sup["children"].as_array().unwrap().len(), 200);
    assert_eq!(sup["children_total"], 250);
    assert_eq!(sup["children"][0]["child_id"], "room-0", "oldest first");
    obs.stop().await;
}
