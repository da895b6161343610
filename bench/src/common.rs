//! What every framework's module shares: the workload sizes, the figures, the live-actor
//! counter, RSS, and the runtime.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Casts in the cast-throughput scenario.
pub const CASTS: u64 = 1_000_000;
/// Sequential calls in the round-trip scenario.
pub const CALLS: usize = 100_000;
/// Idle actors in the spawn scenario.
pub const SPAWNS: usize = 100_000;
/// Producers in the fan-in scenario…
pub const PRODUCERS: u64 = 8;
/// …each sending this many casts.
pub const PER_PRODUCER: u64 = 125_000;
/// Crash, restart, answer cycles.
pub const CYCLES: usize = 10_000;
/// Named actors in the registry scenario.
pub const NAMES: usize = 1_000;
/// Concurrent tasks in the registry scenario…
pub const TASKS: usize = 8;
/// …each doing this many lookups…
pub const LOOKUPS: usize = 125_000;
/// …and this many register + unregister pairs.
pub const REGISTERS: usize = 12_500;

/// One measured figure.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

pub fn figure(name: &str, value: f64, unit: &str) -> Figure {
    Figure {
        name: name.to_owned(),
        value,
        unit: unit.to_owned(),
    }
}

/// Actors whose state is alive: incremented when an actor's start hook runs, decremented
/// when its state is dropped. The spawn scenario waits on it in every framework alike.
pub static LIVE: AtomicUsize = AtomicUsize::new(0);

/// A piece of actor state that keeps [`LIVE`] honest.
#[derive(Debug)]
pub struct Live(());

impl Live {
    pub fn new() -> Live {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Live(())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Waits (1 ms polls, which any runtime flavour serves) until `done()`.
pub async fn until(mut done: impl FnMut() -> bool) {
    while !done() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Resident set size in bytes (`/proc/self/statm`).
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The runtime every tokio-based framework gets: multi-thread, 2 workers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Runs `body` as a task on a worker of [`runtime`], as an actor or a request handler
/// would run: the callers in every scenario are tasks, not the thread blocked in `block_on`.
pub fn on_runtime<F>(body: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime();
    rt.block_on(async move { tokio::spawn(body).await.expect("the scenario task") })
}

pub fn per_sec(n: f64, elapsed: Duration) -> f64 {
    n / elapsed.as_secs_f64()
}

/// Mean and 99th percentile, in microseconds, of call latencies in nanoseconds.
pub fn latency(mut nanos: Vec<u64>) -> Vec<Figure> {
    nanos.sort_unstable();
    let mean = nanos.iter().sum::<u64>() as f64 / nanos.len() as f64;
    let p99 = nanos[(nanos.len() * 99 / 100).min(nanos.len() - 1)] as f64;
    vec![
        figure("call_mean", mean / 1000.0, "us"),
        figure("call_p99", p99 / 1000.0, "us"),
    ]
}

/// Times each of `n` sequential awaits of `call` (mean and p99), then `n` more as one loop
/// (`call_loop_mean`): without two clock reads per call, a fixed cost that flattens the
/// ratios between frameworks.
pub async fn time_calls<F, Fut>(n: usize, mut call: F) -> Vec<Figure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    // Warm up, then measure.
    for _ in 0..1000 {
        call().await;
    }
    let mut nanos = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        call().await;
        nanos.push(t.elapsed().as_nanos() as u64);
    }
    let t = Instant::now();
    for _ in 0..n {
        call().await;
    }
    let loop_mean = t.elapsed().as_nanos() as f64 / n as f64;
    let mut figures = latency(nanos);
    figures.push(figure("call_loop_mean", loop_mean / 1000.0, "us"));
    figures
}

/// Spawns `n` idle actors one after the other with `spawn`, waits until all are live, reads
/// the RSS, stops them all with `stop`, and waits until none is: the spawn time, the stop
/// time, and the RSS before and after spawning.
pub async fn spawn_then_stop<T, F, Fut>(
    n: usize,
    mut spawn: F,
    stop: impl FnOnce(Vec<T>),
) -> (Duration, Duration, u64, u64)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let before = rss();
    let t = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        handles.push(spawn().await);
    }
    until(|| live() == n).await;
    let spawned = t.elapsed();
    let after = rss();
    let t = Instant::now();
    stop(handles);
    until(|| live() == 0).await;
    (spawned, t.elapsed(), before, after)
}

/// The spawn scenario's three figures from its timings and the RSS growth.
pub fn spawn_figures(
    spawned: Duration,
    stopped: Duration,
    rss_before: u64,
    rss_after: u64,
) -> Vec<Figure> {
    vec![
        figure("spawn_rate", per_sec(SPAWNS as f64, spawned), "actors/s"),
        figure("stop_rate", per_sec(SPAWNS as f64, stopped), "actors/s"),
        figure(
            "rss_per_idle_actor",
            rss_after.saturating_sub(rss_before) as f64 / SPAWNS as f64,
            "B",
        ),
    ]
}

/// Precomputed names, so formatting is not measured.
pub fn names() -> Vec<String> {
    (0..NAMES).map(|i| format!("actor-{i}")).collect()
}

/// Runs `n` copies of `work(k)` as tasks at once; the time until every one is done.
pub async fn in_tasks<F, Fut>(n: usize, work: F) -> Duration
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let t = Instant::now();
    let tasks: Vec<_> = (0..n).map(|k| tokio::spawn(work(k))).collect();
    for task in tasks {
        task.await.expect("a benchmark task");
    }
    t.elapsed()
}

/// Fan-in on a tokio runtime: `PRODUCERS` tasks each call `cast` `PER_PRODUCER` times. The
/// caller times it through the call that checks every message arrived.
pub async fn fan_in<C>(cast: C)
where
    C: Fn() + Clone + Send + 'static,
{
    in_tasks(PRODUCERS as usize, move |_| {
        let cast = cast.clone();
        async move {
            for _ in 0..PER_PRODUCER {
                cast();
            }
        }
    })
    .await;
}

pub fn fan_in_figure(elapsed: Duration) -> Vec<Figure> {
    vec![figure(
        "fan_in",
        per_sec((PRODUCERS * PER_PRODUCER) as f64, elapsed),
        "msg/s",
    )]
}

/// `TASKS` tasks each resolve `LOOKUPS` of the names at once; every lookup must succeed.
pub async fn lookups<L>(names: &[String], lookup: L) -> Figure
where
    L: Fn(&str) -> bool + Clone + Send + 'static,
{
    let names = std::sync::Arc::new(names.to_vec());
    let elapsed = in_tasks(TASKS, move |k| {
        let (names, lookup) = (names.clone(), lookup.clone());
        async move {
            let found = (0..LOOKUPS)
                .filter(|i| lookup(&names[(i * 7 + k) % NAMES]))
                .count();
            assert_eq!(found, LOOKUPS, "every name resolves");
        }
    })
    .await;
    figure(
        "registry_lookup",
        per_sec((TASKS * LOOKUPS) as f64, elapsed),
        "ops/s",
    )
}

/// `TASKS` tasks each register and unregister `REGISTERS` fresh names at once.
pub async fn registrations<R>(register_unregister: R) -> Figure
where
    R: Fn(String) + Clone + Send + 'static,
{
    let elapsed = in_tasks(TASKS, move |k| {
        let register_unregister = register_unregister.clone();
        async move {
            for i in 0..REGISTERS {
                register_unregister(format!("extra-{k}-{i}"));
            }
        }
    })
    .await;
    figure(
        "registry_register",
        per_sec((TASKS * REGISTERS) as f64, elapsed),
        "ops/s",
    )
}

// ---- scale scenarios ----------------------------------------------------------------------

/// Idle actors in the million-actor spawn scenario.
pub const SCALE_SPAWNS: usize = 1_000_000;
/// Calls to random actors in the call-at-scale scenarios.
pub const SCALE_CALLS: usize = 100_000;
/// Children of the dynamic supervisor in the supervisor-at-scale scenario.
pub const SCALE_CHILDREN: usize = 100_000;

/// Starts of the supervised children in the supervisor-at-scale scenario.
pub static STARTS: AtomicUsize = AtomicUsize::new(0);

pub fn starts() -> usize {
    STARTS.load(Ordering::Relaxed)
}

/// How many live actors a `scale_call_*` scenario calls among.
pub fn scale_population(scenario: &str) -> Option<usize> {
    match scenario {
        "scale_call_10" => Some(10),
        "scale_call_10k" => Some(10_000),
        "scale_call_1m" => Some(1_000_000),
        _ => None,
    }
}

/// `n` pseudo-random indices below `len` (xorshift, fixed seed: every framework calls the
/// same actors in the same order).
pub fn random_indices(n: usize, len: usize) -> Vec<usize> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % len as u64) as usize
        })
        .collect()
}

/// Times `SCALE_CALLS` sequential calls, each to the actor `call(i)` picks: mean and p99,
/// named after the population (`call_mean_1m`, `call_p99_1m`).
pub async fn time_scale_calls<F, Fut>(suffix: &str, mut call: F, len: usize) -> Vec<Figure>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let picks = random_indices(SCALE_CALLS + 1000, len);
    for &i in &picks[..1000] {
        call(i).await;
    }
    let mut nanos = Vec::with_capacity(SCALE_CALLS);
    for &i in &picks[1000..] {
        let t = Instant::now();
        call(i).await;
        nanos.push(t.elapsed().as_nanos() as u64);
    }
    latency(nanos)
        .into_iter()
        .map(|f| figure(&format!("{}_{suffix}", f.name), f.value, &f.unit))
        .collect()
}

/// The suffix of a `scale_call_*` scenario's figures.
pub fn scale_suffix(scenario: &str) -> &str {
    scenario.trim_start_matches("scale_call_")
}

/// The figures of the million-actor spawn scenario.
pub fn scale_spawn_figures(
    spawned: Duration,
    stopped: Duration,
    rss_before: u64,
    rss_after: u64,
) -> Vec<Figure> {
    let n = SCALE_SPAWNS as f64;
    vec![
        figure("spawn_1m_per_actor", spawned.as_nanos() as f64 / n, "ns"),
        figure(
            "rss_1m_per_actor",
            rss_after.saturating_sub(rss_before) as f64 / n,
            "B",
        ),
        figure("stop_1m_per_actor", stopped.as_nanos() as f64 / n, "ns"),
    ]
}

/// The figures of the supervisor-at-scale scenario, in milliseconds.
pub fn scale_sup_figures(start: Duration, restart: Duration, shutdown: Duration) -> Vec<Figure> {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    vec![
        figure("sup_100k_start", ms(start), "ms"),
        figure("sup_100k_crash_restart", ms(restart), "ms"),
        figure("sup_100k_shutdown", ms(shutdown), "ms"),
    ]
}

/// Touches `gib` GiB in 4 KiB pieces and frees them: the memory state a multi-GB process
/// leaves the machine in, before a scenario measured "after a multi-GB run".
pub fn hog(gib: usize) {
    let mut pieces: Vec<Box<[u8; 4096]>> = Vec::with_capacity(gib * 262_144);
    for i in 0..gib * 262_144 {
        let mut page = Box::new([0u8; 4096]);
        page[i % 4096] = 1;
        pieces.push(page);
    }
    let touched: usize = pieces.iter().map(|p| p[0] as usize).sum();
    assert!(touched <= pieces.len());
}
