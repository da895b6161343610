//! The floor: a raw tokio actor is a task reading an unbounded `mpsc` channel, replying on
//! `oneshot`s. Restarting is a task that respawns the actor when it panics and publishes the
//! new sender; naming is a `DashMap` from name to sender.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot};

use crate::common::*;

enum Msg {
    Add(u64),
    Get(oneshot::Sender<u64>),
    Ping(oneshot::Sender<()>),
    #[allow(
        dead_code,
        reason = "never answered: the panic drops it, and the caller sees the failure"
    )]
    Crash(oneshot::Sender<()>),
}

type Tx = mpsc::UnboundedSender<Msg>;

fn spawn_counter() -> Tx {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _live = Live::new();
        let mut n = 0u64;
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Add(k) => n += k,
                Msg::Get(r) => {
                    let _ = r.send(n);
                }
                Msg::Ping(r) => {
                    let _ = r.send(());
                }
                Msg::Crash(_) => panic!("crash"),
            }
        }
    });
    tx
}

async fn get(tx: &Tx) -> Option<u64> {
    let (r, rx) = oneshot::channel();
    tx.send(Msg::Get(r)).ok()?;
    rx.await.ok()
}

async fn ping(tx: &Tx) -> bool {
    let (r, rx) = oneshot::channel();
    tx.send(Msg::Ping(r)).is_ok() && rx.await.is_ok()
}

pub fn run(scenario: &str) -> Vec<Figure> {
    let scenario = scenario.to_owned();
    on_runtime(async move {
        match scenario.as_str() {
            "cast" => {
                let tx = spawn_counter();
                let t = Instant::now();
                for _ in 0..CASTS {
                    let _ = tx.send(Msg::Add(1));
                }
                assert_eq!(get(&tx).await, Some(CASTS));
                vec![figure(
                    "cast_throughput",
                    per_sec(CASTS as f64, t.elapsed()),
                    "msg/s",
                )]
            }
            "call" => {
                let tx = spawn_counter();
                time_calls(CALLS, || async {
                    assert!(ping(&tx).await);
                })
                .await
            }
            "spawn" => {
                let before = rss();
                let t = Instant::now();
                let mut txs = Vec::with_capacity(SPAWNS);
                for _ in 0..SPAWNS {
                    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
                    tokio::spawn(async move {
                        let _live = Live::new();
                        while rx.recv().await.is_some() {}
                    });
                    txs.push(tx);
                }
                until(|| live() == SPAWNS).await;
                let spawned = t.elapsed();
                let after = rss();
                let t = Instant::now();
                drop(txs);
                until(|| live() == 0).await;
                spawn_figures(spawned, t.elapsed(), before, after)
            }
            "fan_in" => {
                let tx = spawn_counter();
                let t = Instant::now();
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|_| {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for _ in 0..PER_PRODUCER {
                                let _ = tx.send(Msg::Add(1));
                            }
                        })
                    })
                    .collect();
                for p in producers {
                    p.await.expect("producer");
                }
                assert_eq!(get(&tx).await, Some(PRODUCERS * PER_PRODUCER));
                vec![figure(
                    "fan_in",
                    per_sec((PRODUCERS * PER_PRODUCER) as f64, t.elapsed()),
                    "msg/s",
                )]
            }
            "restart" => {
                // The "supervisor": respawns the actor when its task panics and publishes
                // the new sender under the name.
                let (tx, rx) = mpsc::unbounded_channel::<Msg>();
                let slot: Arc<RwLock<Tx>> = Arc::new(RwLock::new(tx));
                let sup_slot = slot.clone();
                tokio::spawn(async move {
                    let mut next = Some(rx);
                    loop {
                        let mut rx = match next.take() {
                            Some(rx) => rx,
                            None => {
                                let (tx, rx) = mpsc::unbounded_channel::<Msg>();
                                *sup_slot.write().expect("slot") = tx;
                                rx
                            }
                        };
                        let task = tokio::spawn(async move {
                            while let Some(msg) = rx.recv().await {
                                match msg {
                                    Msg::Ping(r) => {
                                        let _ = r.send(());
                                    }
                                    Msg::Crash(_) => panic!("crash"),
                                    _ => {}
                                }
                            }
                        });
                        if task.await.is_ok() {
                            break;
                        }
                    }
                });
                let current = || slot.read().expect("slot").clone();
                let t = Instant::now();
                for _ in 0..CYCLES {
                    let (r, rx) = oneshot::channel();
                    let _ = current().send(Msg::Crash(r));
                    assert!(rx.await.is_err(), "the crash call fails");
                    while !ping(&current()).await {
                        tokio::task::yield_now().await;
                    }
                }
                vec![figure(
                    "crash_restart",
                    per_sec(CYCLES as f64, t.elapsed()),
                    "cycles/s",
                )]
            }
            "registry" => {
                let names = Arc::new(names());
                let table: Arc<DashMap<String, Tx>> = Arc::new(DashMap::new());
                for n in names.iter() {
                    table.insert(n.clone(), spawn_counter());
                }
                let t = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|k| {
                        let (names, table) = (names.clone(), table.clone());
                        tokio::spawn(async move {
                            let mut found = 0usize;
                            for i in 0..LOOKUPS {
                                let name = &names[(i * 7 + k) % NAMES];
                                found +=
                                    usize::from(table.get(name).map(|tx| tx.clone()).is_some());
                            }
                            found
                        })
                    })
                    .collect();
                for task in tasks {
                    assert_eq!(task.await.expect("lookup task"), LOOKUPS);
                }
                let lookup = t.elapsed();
                let target = spawn_counter();
                let t = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|k| {
                        let (table, target) = (table.clone(), target.clone());
                        tokio::spawn(async move {
                            for i in 0..REGISTERS {
                                let name = format!("extra-{k}-{i}");
                                assert!(table.insert(name.clone(), target.clone()).is_none());
                                assert!(table.remove(&name).is_some());
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("register task");
                }
                vec![
                    figure(
                        "registry_lookup",
                        per_sec((TASKS * LOOKUPS) as f64, lookup),
                        "ops/s",
                    ),
                    figure(
                        "registry_register",
                        per_sec((TASKS * REGISTERS) as f64, t.elapsed()),
                        "ops/s",
                    ),
                ]
            }
            other => panic!("unknown scenario {other}"),
        }
    })
}
