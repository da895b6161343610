//! Register / lookup / unregister throughput of `Registry` with 1, 2 and 8 partitions, under
//! concurrent load from 8 registered actors on a 2-worker runtime. Prints medians of 5 runs.
//!
//! ```text
//! cargo bench -p actor-registry --bench registry_throughput
//! ```
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    missing_docs,
    reason = "a benchmark program"
)]

use std::time::Instant;

use actor_core::{Actor, Call, CallReply, Context, InitError};
use actor_registry::Registry;

const ACTORS: usize = 8;
const OPS: u64 = 50_000; // per actor, per operation kind
const RUNS: usize = 5;

struct Worker;
struct Run(Registry<u64, u64>, u64, Keys);

#[derive(Clone, Copy)]
enum Keys {
    /// Each actor its own keys (unique registry).
    Own,
    /// Every actor on the same 64 hot keys (duplicate registry, a pub/sub shape).
    Shared,
}

impl Actor for Worker {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Worker)
    }
}

impl Call<Run> for Worker {
    type Reply = [f64; 3];
    async fn handle_call(
        &mut self,
        Run(reg, base, keys): Run,
        _: &mut Context<Self>,
    ) -> CallReply<[f64; 3]> {
        let key = |i: u64| match keys {
            Keys::Own => base + i,
            Keys::Shared => i % 64,
        };
        let t = Instant::now();
        for i in 0..OPS {
            reg.register(key(i), i).unwrap();
        }
        let reg_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut found = 0usize;
        for i in 0..OPS {
            found += reg.lookup(&key(i % 1024)).len();
        }
        std::hint::black_box(found);
        let look_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for i in 0..OPS {
            reg.unregister(&key(i)).unwrap();
        }
        let unreg_s = t.elapsed().as_secs_f64();
        CallReply::Reply([reg_s, look_s, unreg_s])
    }
}

async fn once(partitions: usize, keys: Keys) -> [f64; 3] {
    let reg = match keys {
        Keys::Own => Registry::<u64, u64>::unique("bench"),
        Keys::Shared => Registry::<u64, u64>::duplicate("bench"),
    }
    .partitions(partitions)
    .start_link()
    .await
    .unwrap();
    let mut workers = Vec::new();
    for _ in 0..ACTORS {
        workers.push(Worker::start(()).await.unwrap());
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (n, w) in workers.iter().enumerate() {
        let (w, reg) = (w.clone(), reg.clone());
        tasks.push(tokio::spawn(async move {
            w.call_timeout(Run(reg, n as u64 * OPS, keys), std::time::Duration::MAX)
                .await
                .unwrap()
        }));
    }
    let mut worst = [0.0f64; 3];
    for t in tasks {
        let r = t.await.unwrap();
        for i in 0..3 {
            worst[i] = worst[i].max(r[i]);
        }
    }
    let _ = start;
    // Throughput of each phase across all actors, in million ops per second.
    let total = (ACTORS as u64 * OPS) as f64;
    [
        total / worst[0] / 1e6,
        total / worst[1] / 1e6,
        total / worst[2] / 1e6,
    ]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "registry throughput: {ACTORS} actors x {OPS} ops each, 2 worker threads, median of {RUNS} runs (M ops/s)\n"
    );
    println!("| keys | partitions | register | lookup | unregister |");
    println!("|---|---|---|---|---|");
    for (label, keys) in [
        ("unique, own keys", Keys::Own),
        ("duplicate, 64 shared keys", Keys::Shared),
    ] {
        for partitions in [1, 2, 8] {
            let mut cols = [Vec::new(), Vec::new(), Vec::new()];
            for _ in 0..RUNS {
                let r = rt.block_on(once(partitions, keys));
                for i in 0..3 {
                    cols[i].push(r[i]);
                }
            }
            let [a, b, c] = cols;
            println!(
                "| {label} | {partitions} | {:.2} | {:.2} | {:.2} |",
                median(a),
                median(b),
                median(c)
            );
        }
    }
}
