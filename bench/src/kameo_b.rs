//! kameo: `Message<M>` handlers, unbounded mailboxes (kameo's default is bounded at 64; the
//! raw-tokio floor and this framework are unbounded), `tell` / `ask`, a supervised child
//! (`supervise(...).spawn()`, whose `ActorRef` survives restarts), and kameo's global
//! registry.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kameo::actor::{ActorRef, Spawn};
use kameo::error::Infallible;
use kameo::mailbox;
use kameo::message::{Context, Message};
use kameo::supervision::RestartPolicy;

use crate::common::*;

#[derive(Clone)]
struct Counter {
    n: u64,
}
struct Add(u64);
struct Get;
struct Ping;
struct Crash;

impl kameo::Actor for Counter {
    type Args = Self;
    type Error = Infallible;
    async fn on_start(state: Self, _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(state)
    }
}

impl Message<Add> for Counter {
    type Reply = ();
    async fn handle(&mut self, Add(k): Add, _: &mut Context<Self, ()>) {
        self.n += k;
    }
}

impl Message<Get> for Counter {
    type Reply = u64;
    async fn handle(&mut self, _: Get, _: &mut Context<Self, u64>) -> u64 {
        self.n
    }
}

impl Message<Ping> for Counter {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _: &mut Context<Self, ()>) {}
}

impl Message<Crash> for Counter {
    type Reply = ();
    async fn handle(&mut self, _: Crash, _: &mut Context<Self, ()>) {
        panic!("crash")
    }
}

struct Idle {
    _live: Live,
}

impl kameo::Actor for Idle {
    type Args = ();
    type Error = Infallible;
    async fn on_start(_: (), _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(Idle { _live: Live::new() })
    }
}

/// Supervises one `Counter` and hands its (restart-stable) reference out.
struct Sup;

impl kameo::Actor for Sup {
    type Args = Arc<Mutex<Option<ActorRef<Counter>>>>;
    type Error = Infallible;
    async fn on_start(out: Self::Args, me: ActorRef<Self>) -> Result<Self, Infallible> {
        let child = Counter::supervise(&me, Counter { n: 0 })
            .restart_policy(RestartPolicy::Permanent)
            .restart_limit(u32::MAX, Duration::from_secs(1))
            .spawn()
            .await;
        *out.lock().expect("slot") = Some(child);
        Ok(Sup)
    }
}

fn counter() -> ActorRef<Counter> {
    Counter::spawn_with_mailbox(Counter { n: 0 }, mailbox::unbounded())
}

pub fn run(scenario: &str) -> Vec<Figure> {
    let scenario = scenario.to_owned();
    on_runtime(async move {
        match scenario.as_str() {
            "cast" => {
                let c = counter();
                let t = Instant::now();
                for _ in 0..CASTS {
                    let _ = c.tell(Add(1)).try_send();
                }
                assert_eq!(c.ask(Get).await.ok(), Some(CASTS));
                vec![figure(
                    "cast_throughput",
                    per_sec(CASTS as f64, t.elapsed()),
                    "msg/s",
                )]
            }
            "call" => {
                let c = counter();
                time_calls(CALLS, || async {
                    assert!(c.ask(Ping).await.is_ok());
                })
                .await
            }
            "spawn" => {
                let before = rss();
                let t = Instant::now();
                let mut refs = Vec::with_capacity(SPAWNS);
                for _ in 0..SPAWNS {
                    refs.push(Idle::spawn_with_mailbox((), mailbox::unbounded()));
                }
                until(|| live() == SPAWNS).await;
                let spawned = t.elapsed();
                let after = rss();
                let t = Instant::now();
                for r in &refs {
                    r.kill();
                }
                until(|| live() == 0).await;
                spawn_figures(spawned, t.elapsed(), before, after)
            }
            "fan_in" => {
                let c = counter();
                let producer = c.clone();
                let t = Instant::now();
                fan_in(move || {
                    let _ = producer.tell(Add(1)).try_send();
                })
                .await;
                assert_eq!(c.ask(Get).await.ok(), Some(PRODUCERS * PER_PRODUCER));
                fan_in_figure(t.elapsed())
            }
            "restart" => {
                let slot = Arc::new(Mutex::new(None));
                let sup = Sup::spawn(slot.clone());
                until(|| slot.lock().expect("slot").is_some()).await;
                let w = slot.lock().expect("slot").clone().expect("child");
                let t = Instant::now();
                for _ in 0..CYCLES {
                    assert!(w.ask(Crash).await.is_err(), "the crash call fails");
                    while w.ask(Ping).await.is_err() {
                        tokio::task::yield_now().await;
                    }
                }
                let rate = per_sec(CYCLES as f64, t.elapsed());
                sup.kill();
                vec![figure("crash_restart", rate, "cycles/s")]
            }
            "registry" => {
                let names = names();
                for n in &names {
                    counter().register(n.clone()).expect("register");
                }
                let lookup = lookups(&names, |name| {
                    matches!(ActorRef::<Counter>::lookup(name), Ok(Some(_)))
                })
                .await;
                let target = counter();
                let register = registrations(move |name| {
                    target.register(name.clone()).expect("register");
                    assert!(
                        kameo::registry::ACTOR_REGISTRY
                            .lock()
                            .expect("registry")
                            .remove(name.as_str())
                    );
                })
                .await;
                vec![lookup, register]
            }
            other => panic!("unknown scenario {other}"),
        }
    })
}
