//! ractor: one message enum per actor, `RpcReplyPort` replies, `spawn_linked` under a
//! supervising actor that respawns on `ActorFailed`, and ractor's global name registry.

use std::time::Instant;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use crate::common::*;

enum Msg {
    Add(u64),
    Get(RpcReplyPort<u64>),
    Ping(RpcReplyPort<()>),
    #[allow(
        dead_code,
        reason = "never answered: the panic drops it, and the caller sees the failure"
    )]
    Crash(RpcReplyPort<()>),
}

struct Counter;

impl Actor for Counter {
    type Msg = Msg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Msg>, _: ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<Msg>,
        msg: Msg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            Msg::Add(k) => *n += k,
            Msg::Get(r) => {
                let _ = r.send(*n);
            }
            Msg::Ping(r) => {
                let _ = r.send(());
            }
            Msg::Crash(_) => panic!("crash"),
        }
        Ok(())
    }
}

struct Idle;

impl Actor for Idle {
    type Msg = ();
    type State = Live;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<Live, ActorProcessingErr> {
        Ok(Live::new())
    }
}

/// Restarts the named worker whenever it fails.
struct Sup;

const WORKER: &str = "worker";

impl Actor for Sup {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, me: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
        Actor::spawn_linked(Some(WORKER.to_owned()), Counter, (), me.get_cell()).await?;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        me: ActorRef<()>,
        event: SupervisionEvent,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(..) = event {
            Actor::spawn_linked(Some(WORKER.to_owned()), Counter, (), me.get_cell()).await?;
        }
        Ok(())
    }
}

fn worker() -> Option<ActorRef<Msg>> {
    ractor::registry::where_is(WORKER).map(ActorRef::from)
}

pub fn run(scenario: &str) -> Vec<Figure> {
    let scenario = scenario.to_owned();
    on_runtime(async move {
        match scenario.as_str() {
            "cast" => {
                let (c, _) = Actor::spawn(None, Counter, ()).await.expect("spawn");
                let t = Instant::now();
                for _ in 0..CASTS {
                    let _ = c.cast(Msg::Add(1));
                }
                assert_eq!(ractor::call!(c, Msg::Get).ok(), Some(CASTS));
                vec![figure(
                    "cast_throughput",
                    per_sec(CASTS as f64, t.elapsed()),
                    "msg/s",
                )]
            }
            "call" => {
                let (c, _) = Actor::spawn(None, Counter, ()).await.expect("spawn");
                time_calls(CALLS, || async {
                    assert!(ractor::call!(c, Msg::Ping).is_ok());
                })
                .await
            }
            "spawn" => {
                let before = rss();
                let t = Instant::now();
                let mut refs = Vec::with_capacity(SPAWNS);
                for _ in 0..SPAWNS {
                    refs.push(Actor::spawn(None, Idle, ()).await.expect("spawn").0);
                }
                until(|| live() == SPAWNS).await;
                let spawned = t.elapsed();
                let after = rss();
                let t = Instant::now();
                for r in &refs {
                    r.stop(None);
                }
                until(|| live() == 0).await;
                spawn_figures(spawned, t.elapsed(), before, after)
            }
            "fan_in" => {
                let (c, _) = Actor::spawn(None, Counter, ()).await.expect("spawn");
                let producer = c.clone();
                let t = Instant::now();
                fan_in(move || {
                    let _ = producer.cast(Msg::Add(1));
                })
                .await;
                assert_eq!(
                    ractor::call!(c, Msg::Get).ok(),
                    Some(PRODUCERS * PER_PRODUCER)
                );
                fan_in_figure(t.elapsed())
            }
            "restart" => {
                let (sup, _) = Actor::spawn(None, Sup, ()).await.expect("spawn");
                let t = Instant::now();
                for _ in 0..CYCLES {
                    let w = worker().expect("named");
                    assert!(
                        ractor::call!(w, Msg::Crash).is_err(),
                        "the crash call fails"
                    );
                    loop {
                        if let Some(w) = worker()
                            && ractor::call!(w, Msg::Ping).is_ok()
                        {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                }
                let rate = per_sec(CYCLES as f64, t.elapsed());
                sup.stop(None);
                vec![figure("crash_restart", rate, "cycles/s")]
            }
            "registry" => {
                // ractor names an actor only when it is spawned, so only lookups compare.
                let names = names();
                let mut keep = Vec::new();
                for n in &names {
                    keep.push(
                        Actor::spawn(Some(n.clone()), Counter, ())
                            .await
                            .expect("spawn")
                            .0,
                    );
                }
                let lookup = lookups(&names, |name| {
                    ractor::registry::where_is(name)
                        .map(ActorRef::<Msg>::from)
                        .is_some()
                })
                .await;
                vec![lookup]
            }
            other => panic!("unknown scenario {other}"),
        }
    })
}
