//! Runs one node and prints its membership events, one per line: a way to watch a cluster
//! from a shell, and the process the multi-process tests kill.
//!
//! ```text
//! actor-cluster-node --name a --servers nats://127.0.0.1:4222 [--token T] [--cluster otp]
//!                    [--heartbeat 1000] [--down-after 3000]      (milliseconds)
//!                    [--hold GLOBAL_NAME]... [--lease 5000]
//! ```
//!
//! It prints `started NAME`, then `holding GLOBAL_NAME` for each global name it was asked
//! to hold (each by an idle actor of its own), then `up NODE` and `down NODE REASON` lines,
//! and stops (saying goodbye) on SIGTERM, SIGINT or end of standard input.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool's output"
)]

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use actor_cluster::{Auth, GlobalOptions, Node, NodeEvent, NodeName, NodeOptions};
use actor_core::{Actor, Context, InitError};
use tokio::io::AsyncReadExt;

/// Holds a global name, and does nothing else.
struct Holder;

impl Actor for Holder {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Holder)
    }
}

/// What to do besides running the node.
#[derive(Default)]
struct Extra {
    hold: Vec<String>,
    lease: Option<Duration>,
}

fn parse() -> Result<(NodeOptions, Extra), String> {
    let mut extra = Extra::default();
    let mut name = None;
    let mut servers = None;
    let mut auth = Auth::None;
    let mut cluster = None;
    let mut heartbeat = None;
    let mut down_after = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let ms = |v: String| {
            v.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|e| format!("{v}: {e}"))
        };
        match flag.as_str() {
            "--name" => name = Some(NodeName::new(value()?).map_err(|e| e.to_string())?),
            "--servers" => servers = Some(value()?),
            "--token" => auth = Auth::Token(value()?),
            "--cluster" => cluster = Some(value()?),
            "--heartbeat" => heartbeat = Some(ms(value()?)?),
            "--down-after" => down_after = Some(ms(value()?)?),
            "--hold" => extra.hold.push(value()?),
            "--lease" => extra.lease = Some(ms(value()?)?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let (Some(name), Some(servers)) = (name, servers) else {
        return Err("--name and --servers are required".into());
    };
    let mut options = NodeOptions::new(name, servers).auth(auth);
    if let Some(c) = cluster {
        options = options.cluster(c);
    }
    if let Some(h) = heartbeat {
        options = options.heartbeat(h);
    }
    if let Some(d) = down_after {
        options = options.down_after(d);
    }
    Ok((options, extra))
}

/// Starts one holder per name; the first failure ends the node.
async fn hold(node: &Node, extra: &Extra) -> Result<(), String> {
    if extra.hold.is_empty() {
        return Ok(());
    }
    let mut options = GlobalOptions::default();
    if let Some(lease) = extra.lease {
        options = options.lease(lease);
    }
    let global = node
        .global_names(options)
        .await
        .map_err(|e| e.to_string())?;
    for name in &extra.hold {
        Holder::start(())
            .name(global.name(name.clone()))
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        println!("holding {name}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let (options, extra) = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let node = match Node::start(options).await {
        Ok(node) => node,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let mut events = node.subscribe();
    println!("started {}", node.name());
    if let Err(e) = hold(&node, &extra).await {
        eprintln!("{e}");
        node.stop().await;
        return ExitCode::from(1);
    }
    let _ = std::io::stdout().flush();
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    let stop = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                    _ = async { while stdin.read(&mut sink).await.is_ok_and(|n| n > 0) {} } => {}
                },
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            event = events.recv() => match event {
                Ok(NodeEvent::Up(n)) => println!("up {n}"),
                Ok(NodeEvent::Down { node, reason }) => println!("down {node} {reason:?}"),
                Ok(_) => {}
                Err(_) => break,
            },
        }
        let _ = std::io::stdout().flush();
    }
    node.stop().await;
    println!("stopped");
    ExitCode::SUCCESS
}
