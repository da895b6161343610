//! This framework: `actor-core` actors, an `actor-supervisor` supervisor for the restart
//! scenario, and `actor-registry`'s `LocalRegistry` (Erlang's `register`/`whereis`) for names.

use std::time::{Duration, Instant};

use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError};
use actor_registry::LocalRegistry;
use actor_supervisor::{ChildPid, ChildSpec, DynamicSupervisor, Restart, Supervisor, started};

use crate::common::*;

struct Counter {
    n: u64,
}
struct Add(u64);
struct Get;
struct Ping;
struct Crash;

impl Actor for Counter {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Counter { n: 0 })
    }
}

impl Cast<Add> for Counter {
    async fn handle_cast(&mut self, Add(k): Add, _: &mut Context<Self>) -> Flow {
        self.n += k;
        Flow::Ok
    }
}

impl Call<Get> for Counter {
    type Reply = u64;
    async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<u64> {
        CallReply::Reply(self.n)
    }
}

impl Call<Ping> for Counter {
    type Reply = ();
    async fn handle_call(&mut self, _: Ping, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::Reply(())
    }
}

impl Call<Crash> for Counter {
    type Reply = ();
    async fn handle_call(&mut self, _: Crash, _: &mut Context<Self>) -> CallReply<()> {
        panic!("crash")
    }
}

struct Idle {
    _live: Live,
}

impl Actor for Idle {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Idle { _live: Live::new() })
    }
}

/// A supervised child of the supervisor-at-scale scenario: counts its starts, crashes on
/// `Boom`.
struct Kid;
struct Boom;

impl Actor for Kid {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Kid)
    }
}

impl Cast<Boom> for Kid {
    async fn handle_cast(&mut self, _: Boom, _: &mut Context<Self>) -> Flow {
        panic!("boom")
    }
}

async fn idle() -> actor_core::ActorRef<Idle> {
    Idle::start(()).await.expect("start")
}

fn stop_all(refs: Vec<actor_core::ActorRef<Idle>>) {
    for r in &refs {
        r.pid().exit(ExitReason::Shutdown);
    }
}

async fn scale(scenario: &str) -> Vec<Figure> {
    if let Some(n) = scale_population(scenario) {
        let mut actors = Vec::with_capacity(n);
        for _ in 0..n {
            actors.push(Counter::start(()).await.expect("start"));
        }
        return time_scale_calls(
            scale_suffix(scenario),
            |i| {
                let c = &actors[i];
                async move { assert!(c.call(Ping).await.is_ok()) }
            },
            n,
        )
        .await;
    }
    match scenario {
        "scale_spawn" => {
            let (spawned, stopped, before, after) =
                spawn_then_stop(SCALE_SPAWNS, || async { idle().await }, stop_all).await;
            scale_spawn_figures(spawned, stopped, before, after)
        }
        "scale_sup" => {
            let sup = DynamicSupervisor::builder()
                .intensity(u32::MAX, Duration::from_secs(1))
                .start()
                .await
                .expect("supervisor");
            let t = Instant::now();
            for _ in 0..SCALE_CHILDREN {
                let spec = ChildSpec::worker::<Kid>("kid", ()).restart(Restart::Permanent);
                sup.start_child(spec).await.expect("start").expect("a pid");
            }
            let started = t.elapsed();
            let kids: Vec<_> = sup
                .which_children()
                .await
                .expect("children")
                .into_iter()
                .filter_map(|c| match c.pid {
                    ChildPid::Running(pid) => pid.downcast::<Kid>().ok(),
                    _ => None,
                })
                .collect();
            assert_eq!(kids.len(), SCALE_CHILDREN);
            let t = Instant::now();
            for k in &kids {
                k.cast(Boom);
            }
            until(|| starts() == 2 * SCALE_CHILDREN).await;
            let restarted = t.elapsed();
            let t = Instant::now();
            sup.stop(ExitReason::Shutdown).await.expect("stop");
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
                let c = Counter::start(()).await.expect("start");
                let t = Instant::now();
                for _ in 0..CASTS {
                    c.cast(Add(1));
                }
                assert_eq!(c.call(Get).await.ok(), Some(CASTS));
                vec![figure(
                    "cast_throughput",
                    per_sec(CASTS as f64, t.elapsed()),
                    "msg/s",
                )]
            }
            "call" => {
                let c = Counter::start(()).await.expect("start");
                // `call` carries OTP's default 5 s timeout (a deadline on a kept timer); peers
                // and the raw floor have none, so the same loop without a timeout
                // (`call_timeout(.., Duration::MAX)`, OTP's `infinity`) is reported too.
                let mut figures = time_calls(CALLS, || async {
                    assert!(c.call(Ping).await.is_ok());
                })
                .await;
                let untimed = time_calls(CALLS, || async {
                    assert!(c.call_timeout(Ping, Duration::MAX).await.is_ok());
                })
                .await;
                for f in untimed {
                    figures.push(figure(&format!("{}_no_timeout", f.name), f.value, &f.unit));
                }
                figures
            }
            "spawn" => {
                let (spawned, stopped, before, after) =
                    spawn_then_stop(SPAWNS, || async { idle().await }, stop_all).await;
                spawn_figures(spawned, stopped, before, after)
            }
            "fan_in" => {
                let c = Counter::start(()).await.expect("start");
                let producer = c.clone();
                let t = Instant::now();
                fan_in(move || producer.cast(Add(1))).await;
                assert_eq!(c.call(Get).await.ok(), Some(PRODUCERS * PER_PRODUCER));
                fan_in_figure(t.elapsed())
            }
            "restart" => {
                let names = LocalRegistry::new();
                let name = names.name("worker");
                let sup = Supervisor::builder()
                    .intensity(u32::MAX, Duration::from_secs(1))
                    .child(ChildSpec::new("worker", move || {
                        let name = name.clone();
                        async move { started(Counter::start_link(()).name(name).await) }
                    }))
                    .start()
                    .await
                    .expect("supervisor");
                let t = Instant::now();
                for _ in 0..CYCLES {
                    let w = names.whereis_ref::<Counter>("worker").expect("named");
                    assert!(w.call(Crash).await.is_err(), "the crash call fails");
                    loop {
                        if let Ok(w) = names.whereis_ref::<Counter>("worker")
                            && w.call(Ping).await.is_ok()
                        {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                }
                let rate = per_sec(CYCLES as f64, t.elapsed());
                let _ = sup.stop(ExitReason::Shutdown).await;
                vec![figure("crash_restart", rate, "cycles/s")]
            }
            "registry" => {
                let table = LocalRegistry::new();
                let names = names();
                for n in &names {
                    let c = Counter::start(()).await.expect("start");
                    table.register(n.as_str(), &c.pid()).expect("register");
                }
                let t = table.clone();
                let lookup =
                    lookups(&names, move |name| t.whereis_ref::<Counter>(name).is_ok()).await;
                let target = Counter::start(()).await.expect("start").pid();
                let register = registrations(move |name| {
                    table.register(name.as_str(), &target).expect("register");
                    assert!(table.unregister(name.as_str()));
                })
                .await;
                vec![lookup, register]
            }
            other => panic!("unknown scenario {other}"),
        }
    })
}
