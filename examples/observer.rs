//! The tour's supervision tree, observed live in the browser (docs/observer.md).
//!
//! ```text
//! cargo run --example observer                  # http://127.0.0.1:4000
//! cargo run --example observer -- --port 0 --crash-every 1s --allow-actions
//! ```
//!
//! It prints `observer on http://ADDR` and serves the observer's page and API there, with
//! Prometheus text at `/metrics`. A worker crashes every `--crash-every` (default 3s), each
//! crash printed as `crash N at MS` (ms since the Unix epoch) when it is sent, and its supervisor restarts it (and its
//! sibling, one_for_all). A steady trickle of casts keeps the store's counters moving. It runs
//! until SIGTERM or Ctrl-C, or for `--for DURATION`, then stops the tree in order. Durations
//! are written as in configuration files: `500ms`, `2s`, `1m`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example's output"
)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError, Name};
use actor_observer::Observer;
use actor_registry::{LocalRegistry, Registry};
use actor_supervisor::{
    Application, ChildSpec, ChildType, DynamicSupervisor, Strategy, Supervisor, SupervisorRef,
    started,
};
use axum::routing::get;

// ---- the tour's actors ----------------------------------------------------------------------

/// A key-value store, named through the registry.
struct Store(HashMap<String, i64>);
struct Put(String, i64);
struct Get(String);

impl Actor for Store {
    type Args = ();
    async fn init((): (), ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        Ok(Store(HashMap::new()))
    }
}

impl Cast<Put> for Store {
    async fn handle_cast(&mut self, Put(k, v): Put, _: &mut Context<Self>) -> Flow {
        self.0.insert(k, v);
        Flow::Ok
    }
}

impl Call<Get> for Store {
    type Reply = Option<i64>;
    async fn handle_call(&mut self, Get(k): Get, _: &mut Context<Self>) -> CallReply<Option<i64>> {
        CallReply::Reply(self.0.get(&k).copied())
    }
}

/// A worker that loses its connection when told to.
struct Worker(&'static str);
struct Crash(u64);

impl Actor for Worker {
    type Args = &'static str;
    async fn init(name: &'static str, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Worker(name))
    }
}

impl Cast<Crash> for Worker {
    async fn handle_cast(&mut self, Crash(n): Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(ExitReason::msg(format!(
            "{} lost its connection ({n})",
            self.0
        )))
    }
}

/// A chat room under the dynamic supervisor.
struct Room;

impl Actor for Room {
    type Args = u32;
    async fn init(_: u32, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Room)
    }
}

// ---- arguments ------------------------------------------------------------------------------

struct Args {
    port: u16,
    crash_every: Duration,
    run_for: Option<Duration>,
    allow_actions: bool,
}

fn duration(text: &str) -> Result<Duration, String> {
    let quoted = serde_json::Value::String(text.to_owned());
    #[derive(serde::Deserialize)]
    struct D(#[serde(with = "actor_supervisor::duration")] Duration);
    serde_json::from_value::<D>(quoted)
        .map(|D(d)| d)
        .map_err(|e| format!("{text}: {e}"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 4000,
        crash_every: Duration::from_secs(3),
        run_for: None,
        allow_actions: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => args.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--crash-every" => args.crash_every = duration(&value()?)?,
            "--for" => args.run_for = Some(duration(&value()?)?),
            "--allow-actions" => args.allow_actions = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.crash_every.is_zero() {
        return Err("--crash-every must be more than 0".into());
    }
    Ok(args)
}

// ---- the tree -------------------------------------------------------------------------------

fn tree(names: &Registry<&'static str, ()>, app: Name) -> actor_supervisor::SupervisorBuilder {
    let store = {
        let names = names.clone();
        ChildSpec::new("store", move || {
            let start = Store::start_link(()).name(names.via("store"));
            async move { started(start.await) }
        })
    };
    let workers = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .intensity(10, Duration::from_secs(10))
        .child(ChildSpec::worker::<Worker>("left", "left"))
        .child(ChildSpec::worker::<Worker>("right", "right"))
        .into_child_spec("workers");
    Supervisor::builder()
        .name(app)
        .strategy(Strategy::OneForOne)
        .intensity(10, Duration::from_secs(60))
        .child(names.child_spec("names").child_type(ChildType::Supervisor))
        .child(store)
        .child(workers)
        .child(DynamicSupervisor::builder().into_child_spec("rooms"))
}

/// The running child `id` of the supervisor `sup`.
async fn child(sup: &SupervisorRef, id: &str) -> Option<actor_core::Pid> {
    let report = sup.inspect().await.ok()?;
    report
        .children
        .iter()
        .find(|c| c.id.as_str() == id)
        .and_then(|c| c.state.pid().cloned())
}

/// Crashes the `left` worker every `every`, printing `crash N at MS` (milliseconds since the
/// Unix epoch) as each is sent.
async fn crasher(app: Name, every: Duration) {
    let mut n = 0;
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(app) = SupervisorRef::whereis(&app).await else {
            continue;
        };
        let Some(workers) = child(&app, "workers").await else {
            continue;
        };
        let Some(workers) = SupervisorRef::from_pid(&workers).await else {
            continue;
        };
        if let Some(left) = child(&workers, "left").await
            && let Ok(left) = left.downcast::<Worker>()
        {
            n += 1;
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            println!("crash {n} at {at}");
            left.cast(Crash(n));
        }
    }
}

/// Keeps the store busy: a put every 10 ms, a get every 100 ms.
async fn traffic(names: Registry<&'static str, ()>) {
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for i in 0u64.. {
        tick.tick().await;
        let store = names.via("store");
        let key = format!("k{}", i % 50);
        let _ = store.cast::<Store, _>(Put(key.clone(), i as i64));
        if i % 10 == 0 {
            let _ = store
                .call_timeout::<Store, _>(Get(key), Duration::from_secs(1))
                .await;
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    actor_core::report_panics_with_tracing();
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            eprintln!(
                "usage: observer [--port N] [--crash-every 3s] [--for 10s] [--allow-actions]"
            );
            return ExitCode::from(2);
        }
    };
    // Prometheus text at /metrics: any `metrics` recorder works the same way.
    let prometheus = match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()
    {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("cannot install the metrics recorder: {e}");
            return ExitCode::from(1);
        }
    };
    let names = Registry::<&'static str, ()>::unique("names").build();
    // The top supervisor is named, so the observer (and the crasher) find it by name.
    let top = LocalRegistry::new().name("app");
    let app = Application::new(tree(&names, top.clone())).shutdown_timeout(Duration::from_secs(10));
    let listener = match tokio::net::TcpListener::bind(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        args.port,
    )))
    .await
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on port {}: {e}", args.port);
            return ExitCode::from(2);
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (crash_every, run_for, allow_actions) =
        (args.crash_every, args.run_for, args.allow_actions);
    let outcome = app
        .run_until(async move {
            let Some(app) = SupervisorRef::whereis(&top).await else {
                eprintln!("the tree did not register its name");
                return;
            };
            let rooms = match child(&app, "rooms").await {
                Some(pid) => actor_supervisor::DynamicSupervisorRef::from_pid(&pid).await,
                None => None,
            };
            for room in 1..=3 {
                if let Some(rooms) = &rooms {
                    let _ = rooms
                        .start_child(ChildSpec::worker::<Room>(format!("room-{room}"), room))
                        .await;
                }
            }
            let (router, stop) = Observer::new()
                .root_name(top.clone())
                .allow_actions(allow_actions)
                .sample_metrics(Duration::from_secs(1))
                .into_router();
            let router = router.route("/metrics", get(move || async move { prometheus.render() }));
            println!("observer on http://{addr}");
            let server = axum::serve(listener, router);
            let crashes = crasher(top.clone(), crash_every);
            let load = traffic(names.clone());
            let until = async {
                match run_for {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = server => if let Err(e) = r { eprintln!("server: {e}") },
                () = crashes => {}
                () = load => {}
                () = until => {}
            }
            stop.stop();
        })
        .await;
    match outcome {
        Ok(outcome) => {
            println!("stopped: {:?}", outcome.ended);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("the tree did not start: {e}");
            ExitCode::from(1)
        }
    }
}
