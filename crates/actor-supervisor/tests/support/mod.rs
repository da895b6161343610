//! Shared test workers: each reports its starts and terminations through a channel.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    unreachable_pub,
    reason = "test helpers; each test binary uses a different part"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use actor_core::{Actor, ActorId, Context, ExitReason, InitError, Pid};
use actor_supervisor::{ChildPid, ChildSpec, SupervisorRef};
use tokio::sync::mpsc;

/// What the workers saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Started(&'static str),
    Terminated(&'static str, ExitReason),
}

pub type Events = mpsc::UnboundedReceiver<Ev>;

#[derive(Clone)]
pub struct Probe {
    tx: mpsc::UnboundedSender<Ev>,
}

pub fn probe() -> (Probe, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Probe { tx }, rx)
}

/// How a worker behaves.
#[derive(Clone)]
pub struct WArgs {
    pub name: &'static str,
    pub probe: Probe,
    /// Traps exits, so `terminate` runs on shutdown.
    pub trap: bool,
    /// The next this-many starts fail.
    pub fail_starts: Arc<AtomicU32>,
    /// `init` returns ignore.
    pub ignore: bool,
    /// Ignores shutdown requests (traps exits and never stops on its own).
    pub stubborn: bool,
}

pub struct W {
    name: &'static str,
    probe: Probe,
}

impl Actor for W {
    type Args = WArgs;
    async fn init(args: WArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        if args.fail_starts.load(Ordering::SeqCst) > 0 {
            args.fail_starts.fetch_sub(1, Ordering::SeqCst);
            return Err(InitError::Stop(ExitReason::msg("start failed")));
        }
        if args.ignore {
            return Err(InitError::Ignore);
        }
        ctx.trap_exit(args.trap || args.stubborn);
        let _ = args.probe.tx.send(Ev::Started(args.name));
        Ok(W {
            name: args.name,
            probe: args.probe,
        })
    }

    async fn terminate(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        let _ = self
            .probe
            .tx
            .send(Ev::Terminated(self.name, reason.clone()));
    }

    async fn handle_exit(
        &mut self,
        _exit: actor_core::Exit,
        _ctx: &mut Context<Self>,
    ) -> actor_core::Flow {
        actor_core::Flow::Ok
    }
}

/// Makes the worker stop itself with a reason (a crash from inside).
pub struct Die(pub ExitReason);

impl actor_core::Cast<Die> for W {
    async fn handle_cast(
        &mut self,
        Die(reason): Die,
        _ctx: &mut Context<Self>,
    ) -> actor_core::Flow {
        actor_core::Flow::Stop(reason)
    }
}

/// Crashes child `id` of `sup` from inside with `reason`, waits until it is gone, and consumes
/// its own terminate event.
pub async fn die(sup: &SupervisorRef, id: &'static str, reason: ExitReason, ev: &mut Events) {
    let pid = pid_of(sup, id).await;
    pid.downcast::<W>().unwrap().cast(Die(reason.clone()));
    assert_eq!(next(ev).await, Ev::Terminated(id, reason));
    pid.exited().await;
}

/// A stubborn worker: traps exits and its parent's shutdown EXIT goes to terminate, which
/// then hangs, so only a kill ends it.
pub struct Stubborn;

impl Actor for Stubborn {
    type Args = Probe;
    async fn init(probe: Probe, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        let _ = probe.tx.send(Ev::Started("stubborn"));
        Ok(Stubborn)
    }
    async fn terminate(&mut self, _reason: &ExitReason, _ctx: &mut Context<Self>) {
        std::future::pending::<()>().await;
    }
}

impl Probe {
    pub fn args(&self, name: &'static str) -> WArgs {
        WArgs {
            name,
            probe: self.clone(),
            trap: true,
            fail_starts: Arc::new(AtomicU32::new(0)),
            ignore: false,
            stubborn: false,
        }
    }

    pub fn spec(&self, name: &'static str) -> ChildSpec {
        ChildSpec::worker::<W>(name, self.args(name))
    }
}

/// Waits for the next event; fails the test instead of hanging.
pub async fn next(events: &mut Events) -> Ev {
    match tokio::time::timeout(Duration::from_secs(60), events.recv()).await {
        Ok(Some(e)) => e,
        Ok(None) => panic!("probe channel closed"),
        Err(_) => panic!("no event within 60 s"),
    }
}

/// Takes `n` events.
pub async fn take(events: &mut Events, n: usize) -> Vec<Ev> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(next(events).await);
    }
    v
}

pub fn assert_quiet(events: &mut Events) {
    if let Ok(e) = events.try_recv() {
        panic!("unexpected event {e:?}");
    }
}

pub fn started(name: &'static str) -> Ev {
    Ev::Started(name)
}

pub fn terminated(name: &'static str, reason: ExitReason) -> Ev {
    Ev::Terminated(name, reason)
}

/// The pid of child `id`, which must be running.
pub async fn pid_of(sup: &SupervisorRef, id: &str) -> Pid {
    sup.which_children()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id.as_ref().map(|i| i.as_str()) == Some(id))
        .and_then(|c| c.pid.pid().cloned())
        .unwrap_or_else(|| panic!("child {id} is not running"))
}

/// The state of child `id`.
pub async fn state_of(sup: &SupervisorRef, id: &str) -> Option<ChildPid> {
    sup.which_children()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id.as_ref().map(|i| i.as_str()) == Some(id))
        .map(|c| c.pid)
}

/// Crashes `pid` with `reason` and waits until it is gone.
pub async fn crash(pid: &Pid, reason: ExitReason) {
    pid.exit(reason);
    pid.exited().await;
}

/// Ids of the running children, in start order.
pub async fn running(sup: &SupervisorRef) -> Vec<(String, ActorId)> {
    let mut v: Vec<_> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| Some((c.id?.to_string(), c.pid.pid()?.id())))
        .collect();
    v.reverse();
    v
}
