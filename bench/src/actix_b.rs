//! actix: `Handler<M>` actors on actix's own single-threaded `System` (its only runtime),
//! `do_send` (which bypasses the bounded mailbox, like an unbounded one) and `send().await`.
//! actix has no name registry and does not catch a panicking handler (it takes the arbiter's
//! thread down), so the restart and registry scenarios do not apply.

use std::time::Instant;

use actix::{Actor, ActorContext, Context, Handler, Message};

use crate::common::*;

struct Counter {
    n: u64,
}
struct Add(u64);
struct Get;
struct Ping;
struct Stop;

impl Message for Add {
    type Result = ();
}
impl Message for Get {
    type Result = u64;
}
impl Message for Ping {
    type Result = ();
}
impl Message for Stop {
    type Result = ();
}

impl Actor for Counter {
    type Context = Context<Self>;
}

impl Handler<Add> for Counter {
    type Result = ();
    fn handle(&mut self, Add(k): Add, _: &mut Context<Self>) {
        self.n += k;
    }
}

impl Handler<Get> for Counter {
    type Result = u64;
    fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.n
    }
}

impl Handler<Ping> for Counter {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
}

struct Idle {
    live: Option<Live>,
}

impl Actor for Idle {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        self.live = Some(Live::new());
    }
}

impl Handler<Stop> for Idle {
    type Result = ();
    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

pub fn run(scenario: &str) -> Vec<Figure> {
    if matches!(scenario, "restart" | "registry") {
        return Vec::new();
    }
    let system = actix::System::new();
    system.block_on(async {
        match scenario {
            "cast" => {
                let c = Counter { n: 0 }.start();
                let t = Instant::now();
                for _ in 0..CASTS {
                    c.do_send(Add(1));
                }
                assert_eq!(c.send(Get).await.ok(), Some(CASTS));
                vec![figure(
                    "cast_throughput",
                    per_sec(CASTS as f64, t.elapsed()),
                    "msg/s",
                )]
            }
            "call" => {
                let c = Counter { n: 0 }.start();
                time_calls(CALLS, || async {
                    assert!(c.send(Ping).await.is_ok());
                })
                .await
            }
            "spawn" => {
                let before = rss();
                let t = Instant::now();
                let mut refs = Vec::with_capacity(SPAWNS);
                for _ in 0..SPAWNS {
                    refs.push(Idle { live: None }.start());
                }
                until(|| live() == SPAWNS).await;
                let spawned = t.elapsed();
                let after = rss();
                let t = Instant::now();
                for r in &refs {
                    r.do_send(Stop);
                }
                until(|| live() == 0).await;
                spawn_figures(spawned, t.elapsed(), before, after)
            }
            "fan_in" => {
                let c = Counter { n: 0 }.start();
                let t = Instant::now();
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|_| {
                        let c = c.clone();
                        actix::spawn(async move {
                            for _ in 0..PER_PRODUCER {
                                c.do_send(Add(1));
                            }
                        })
                    })
                    .collect();
                for p in producers {
                    p.await.expect("producer");
                }
                assert_eq!(c.send(Get).await.ok(), Some(PRODUCERS * PER_PRODUCER));
                vec![figure(
                    "fan_in",
                    per_sec((PRODUCERS * PER_PRODUCER) as f64, t.elapsed()),
                    "msg/s",
                )]
            }
            other => panic!("unknown scenario {other}"),
        }
    })
}
