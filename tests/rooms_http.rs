//! The rooms service (`examples/rooms.rs`) over real HTTP on loopback: rooms started on
//! first use and found by name, bad input refused with nothing started, a crash isolated to
//! its room, idle rooms expiring, and SIGTERM to the real binary stopping it in order.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod http;
use http::http;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use otp_actors::rooms::{Config, serve};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Asks until `check` holds, for at most 10 s: explicit synchronisation on what the service
/// reports, not a sleep.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::task::yield_now().await;
    }
}

fn config(idle: &str) -> Config {
    serde_json::from_str(&format!(
        r#"{{"listen": "127.0.0.1:0", "idle": "{idle}", "max_rooms": 100,
            "rooms": {{"intensity": 100, "period": "10s"}}, "shutdown_timeout": "5s"}}"#
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_start_on_use_refuse_bad_input_and_isolate_a_crash() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(serve(config("5m"), listener, false, async {
        let _ = stopped.await;
    }));

    assert_eq!(http(addr, "GET", "/health", "").await.0, 200);
    let post = |room: u64, text: &str| {
        let body = format!(r#"{{"text": "{text}"}}"#);
        async move { http(addr, "POST", &format!("/rooms/{room}/messages"), &body).await }
    };
    assert_eq!(post(1, "hello").await, (201, r#"{"count":1}"#.to_owned()));
    assert_eq!(post(1, "again").await, (201, r#"{"count":2}"#.to_owned()));
    assert_eq!(post(2, "other room").await.0, 201);
    assert_eq!(
        http(addr, "GET", "/rooms/1/messages", "").await,
        (200, r#"{"messages":["hello","again"]}"#.to_owned())
    );

    // Bad input: 400, and no room is started.
    assert_eq!(
        http(addr, "POST", "/rooms/9/messages", "{not json").await.0,
        400
    );
    assert_eq!(post(9, "  ").await.0, 400);
    assert_eq!(
        http(addr, "POST", "/rooms/9/messages", r#"{"txt": "x"}"#)
            .await
            .0,
        400
    );
    assert_eq!(http(addr, "GET", "/rooms/9/messages", "").await.0, 404);
    assert_eq!(
        http(addr, "GET", "/rooms/not-a-number/messages", "")
            .await
            .0,
        400
    );

    // A crash: room 1 comes back empty; room 2 keeps its messages.
    assert_eq!(http(addr, "POST", "/rooms/1/crash", "").await.0, 202);
    until("room 1 restarted empty", || async {
        http(addr, "GET", "/rooms/1/messages", "").await == (200, r#"{"messages":[]}"#.to_owned())
    })
    .await;
    assert_eq!(
        http(addr, "GET", "/rooms/2/messages", "").await,
        (200, r#"{"messages":["other room"]}"#.to_owned())
    );

    stop.send(()).unwrap();
    let outcome = service.await.unwrap().unwrap();
    assert!(!outcome.killed_at_deadline);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_room_expires_and_its_name_is_free_again() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(serve(config("200ms"), listener, false, async {
        let _ = stopped.await;
    }));
    let body = r#"{"text": "brief"}"#;
    assert_eq!(http(addr, "POST", "/rooms/3/messages", body).await.0, 201);
    assert_eq!(
        http(addr, "GET", "/rooms", "").await,
        (200, r#"{"running":1}"#.to_owned())
    );
    // Asking the supervisor touches no room: the room goes idle and stops.
    until("room 3 to expire", || async {
        http(addr, "GET", "/rooms", "").await.1 == r#"{"running":0}"#
    })
    .await;
    assert_eq!(http(addr, "GET", "/rooms/3/messages", "").await.0, 404);
    // Started afresh on the next message.
    assert_eq!(
        http(addr, "POST", "/rooms/3/messages", body).await,
        (201, r#"{"count":1}"#.to_owned())
    );
    stop.send(()).unwrap();
    service.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_real_binary_in_order() {
    // `cargo test` builds the examples next to the test binaries.
    let exe = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples").join("rooms"))
        .unwrap();
    assert!(exe.exists(), "{} is not built", exe.display());
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/config/rooms.json");
    let mut child = tokio::process::Command::new(&exe)
        .args([config, "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let addr: SocketAddr = first
        .strip_prefix("listening on http://")
        .unwrap()
        .parse()
        .unwrap();
    let body = r#"{"text": "before the signal"}"#;
    assert_eq!(http(addr, "POST", "/rooms/5/messages", body).await.0, 201);

    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{status}");
    let last = lines.next_line().await.unwrap().unwrap();
    assert_eq!(last, "stopped: Requested");
}
