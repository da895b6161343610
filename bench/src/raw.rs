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

/// An idle actor: a task that reads its channel until every sender is gone.
fn idle() -> Tx {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    tokio::spawn(async move {
        let _live = Live::new();
        while rx.recv().await.is_some() {}
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

/// A raw "supervised" child: its task loop respawns it when it panics, publishing the new
/// sender in its slot; it ends when its sender is dropped.
fn supervised_kid() -> Arc<std::sync::Mutex<Option<Tx>>> {
    let slot: Arc<std::sync::Mutex<Option<Tx>>> = Arc::new(std::sync::Mutex::new(None));
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    *slot.lock().expect("slot") = Some(tx);
    let sup_slot = slot.clone();
    tokio::spawn(async move {
        let mut next = Some(rx);
        loop {
            let mut rx = match next.take() {
                Some(rx) => rx,
                None => {
                    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
                    let mut held = sup_slot.lock().expect("slot");
                    if held.is_none() {
                        // Shut down while restarting.
                        return;
                    }
                    *held = Some(tx);
                    rx
                }
            };
            let child = tokio::spawn(async move {
                let _live = Live::new();
                STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                while let Some(msg) = rx.recv().await {
                    if let Msg::Crash(_) = msg {
                        panic!("boom")
                    }
                }
            });
            if child.await.is_ok() {
                return;
            }
        }
    });
    slot
}

async fn scale(scenario: &str) -> Vec<Figure> {
    if let Some(n) = scale_population(scenario) {
        let actors: Vec<Tx> = (0..n).map(|_| spawn_counter()).collect();
        return time_scale_calls(
            scale_suffix(scenario),
            |i| {
                let tx = &actors[i];
                async move { assert!(ping(tx).await) }
            },
            n,
        )
        .await;
    }
    match scenario {
        "scale_spawn" => {
            let (spawned, stopped, before, after) =
                spawn_then_stop(SCALE_SPAWNS, || async { idle() }, drop).await;
            scale_spawn_figures(spawned, stopped, before, after)
        }
        "scale_sup" => {
            let t = Instant::now();
            let kids: Vec<_> = (0..SCALE_CHILDREN).map(|_| supervised_kid()).collect();
            until(|| starts() == SCALE_CHILDREN).await;
            let started = t.elapsed();
            let t = Instant::now();
            for k in &kids {
                if let Some(tx) = k.lock().expect("slot").as_ref() {
                    let (r, _rx) = oneshot::channel();
                    let _ = tx.send(Msg::Crash(r));
                }
            }
            until(|| starts() == 2 * SCALE_CHILDREN).await;
            let restarted = t.elapsed();
            let t = Instant::now();
            for k in &kids {
                drop(k.lock().expect("slot").take());
            }
            until(|| live() == 0).await;
            scale_sup_figures(started, restarted, t.elapsed())
        }
        other => panic!("unknown scenario {other}"),
    }
}

pub fn run(scenario: &str) -> Vec<Figure> {
    let scenario = scenario.to_owned();
    on_runtime(async move {
        if scenario.starts_with("scale_") {
            return scale(&scenario).await;
        }
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
                let (spawned, stopped, before, after) =
                    spawn_then_stop(SPAWNS, || async { idle() }, drop).await;
                spawn_figures(spawned, stopped, before, after)
            }
            "fan_in" => {
                let tx = spawn_counter();
                let producer = tx.clone();
                let t = Instant::now();
                fan_in(move || {
                    let _ = producer.send(Msg::Add(1));
                })
                .await;
                assert_eq!(get(&tx).await, Some(PRODUCERS * PER_PRODUCER));
                fan_in_figure(t.elapsed())
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
                    // The sender is dropped before the reply is awaited: a ping that lands
                    // in the dead actor's channel after its receiver was drained is freed
                    // only with the channel's last sender, and the slot's is dropped by the
                    // respawn. Held across the await, it hung the run now and then.
                    loop {
                        let (r, rx) = oneshot::channel();
                        let sent = current().send(Msg::Ping(r)).is_ok();
                        if sent && rx.await.is_ok() {
                            break;
                        }
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
                let names = names();
                let table: Arc<DashMap<String, Tx>> = Arc::new(DashMap::new());
                for n in &names {
                    table.insert(n.clone(), spawn_counter());
                }
                let t = table.clone();
                let lookup = lookups(&names, move |name| {
                    t.get(name).map(|tx| tx.clone()).is_some()
                })
                .await;
                let target = spawn_counter();
                let register = registrations(move |name| {
                    assert!(table.insert(name.clone(), target.clone()).is_none());
                    assert!(table.remove(&name).is_some());
                })
                .await;
                vec![lookup, register]
            }
            other => panic!("unknown scenario {other}"),
        }
    })
}
