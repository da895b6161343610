//! An HTTP service with one actor per chat room (docs/embedding.md).
//!
//! `cargo run --example rooms [CONFIG] [--port N]` reads `examples/config/rooms.json` by
//! default, prints `listening on http://ADDR`, and serves:
//! - `POST /rooms/{id}/messages` with `{"text": "…"}`: 201 `{"count": n}`; 400 for bad input
//!   (nothing is started);
//! - `GET /rooms/{id}/messages`: 200 `{"messages": […]}`, 404 for a room not running;
//! - `POST /rooms/{id}/crash`: the room crashes and is restarted empty; the others keep theirs;
//! - `GET /rooms`: `{"running": n}`, from the rooms' supervisor;
//! - `GET /health`.
//!
//! SIGTERM or Ctrl-C stops it: the HTTP server first (requests in flight finish), then the
//! rooms in order; it exits 0.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example's output"
)]

use std::process::ExitCode;

use otp_actors::rooms::{Config, serve};

#[tokio::main]
async fn main() -> ExitCode {
    actor_core::report_panics_with_tracing();
    let mut args = std::env::args().skip(1);
    let mut path = String::from("examples/config/rooms.json");
    let mut port: Option<u16> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()),
            other => path = other.to_owned(),
        }
    }
    let config = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str::<Config>(&text).map_err(|e| e.to_string()))
    {
        Ok(mut config) => {
            if let Some(port) = port {
                config.listen.set_port(port);
            }
            config
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", config.listen);
            return ExitCode::from(2);
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    match serve(config, listener, true, std::future::pending()).await {
        Ok(outcome) => {
            println!("stopped: {:?}", outcome.ended);
            if outcome.killed_at_deadline {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
