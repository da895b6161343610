//! Runs a scenario on this framework and prints the same normalized trace as the OTP and
//! Elixir runners (`runners/otp_runner.escript`, `runners/elixir_runner.exs`).
//!
//! Trace lines:
//! - `start <label>#<n>` / `term <label>#<n> <reason>`: a worker's `init` / `terminate`
//!   (workers trap exits), `<label>` being its path of ids (`s1/c`) or `w<k>` / `p<k>`;
//! - `> <i>`: event `i` (1-based) begins; `= <result>`: its normalized result;
//! - `tree [...]`: the whole tree after the event; `root exit <reason>`: the root stopped.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use actor_core::{
    Actor, ActorId, Call, CallReply, Cast, Context, ExitReason, Flow, InitError, Pid,
};
use actor_registry::Registry;
use actor_supervisor::{
    ChildError, ChildInfo, ChildPid, ChildSpec, ChildType, DynamicSupervisor, DynamicSupervisorRef,
    Supervisor, SupervisorBuilder, SupervisorRef,
};

use crate::scenario::{
    AutoShutdown, Body, ChildNode, DynEvent, Reason, RegEvent, Restart, Scenario, Shutdown,
    Strategy, SupEvent, SupNode,
};

// ---- the shared log -------------------------------------------------------------------------

#[derive(Default)]
struct Book {
    log: Vec<String>,
    incarnations: HashMap<String, u32>,
    labels: HashMap<ActorId, String>,
    current: HashMap<String, Pid>,
}

static BOOK: LazyLock<Mutex<Book>> = LazyLock::new(Mutex::default);

fn book<R>(f: impl FnOnce(&mut Book) -> R) -> R {
    f(&mut BOOK.lock().unwrap_or_else(PoisonError::into_inner))
}

fn label(pid: &Pid) -> String {
    book(|b| b.labels.get(&pid.id()).cloned()).unwrap_or_else(|| "sup".to_owned())
}

/// The worker every scenario supervises: traps exits, logs `init` and `terminate`, and
/// stops itself with the reason it is sent.
#[derive(Debug)]
pub struct Worker {
    label: String,
}

/// Cast: stop with this reason.
#[derive(Debug)]
pub struct ExitWith(pub ExitReason);

impl Actor for Worker {
    type Args = String;
    async fn init(label: String, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        let me = ctx.pid().clone();
        let full = book(|b| {
            let n = b.incarnations.entry(label.clone()).or_default();
            *n += 1;
            let full = format!("{label}#{n}");
            b.labels.insert(me.id(), full.clone());
            b.current.insert(label.clone(), me);
            b.log.push(format!("start {full}"));
            full
        });
        Ok(Worker { label: full })
    }
    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        let line = format!("term {} {}", self.label, fmt_reason(reason));
        book(|b| b.log.push(line));
    }
}

impl Cast<ExitWith> for Worker {
    async fn handle_cast(&mut self, ExitWith(reason): ExitWith, _: &mut Context<Self>) -> Flow {
        Flow::Stop(reason)
    }
}

/// The normalized form of an exit reason (`normal`, `shutdown`, `{shutdown,x}`, `killed`, …).
pub fn fmt_reason(reason: &ExitReason) -> String {
    match reason {
        ExitReason::Normal => "normal".to_owned(),
        ExitReason::Shutdown => "shutdown".to_owned(),
        ExitReason::ShutdownWith(p) => format!("{{shutdown,{p}}}"),
        ExitReason::Killed => "killed".to_owned(),
        ExitReason::NoProc => "noproc".to_owned(),
        ExitReason::Panic(_) => "panic".to_owned(),
        ExitReason::Error(e) => e.to_string(),
        other => other.to_string(),
    }
}

fn exit_reason(reason: &Reason) -> ExitReason {
    match reason {
        Reason::Normal => ExitReason::Normal,
        Reason::Shutdown => ExitReason::Shutdown,
        Reason::ShutdownWith(p) => ExitReason::shutdown_with(p.as_str()),
        Reason::Kill => ExitReason::Killed,
        Reason::Crash => ExitReason::msg("crash"),
    }
}

/// Sends `reason` the way the other runners do: `kill` as an exit signal, anything else to a
/// worker as a request to stop itself, to a supervisor as an exit signal.
fn deliver(pid: &Pid, reason: &Reason) {
    match (reason, pid.downcast::<Worker>()) {
        (Reason::Kill, _) => pid.kill(),
        (r, Ok(worker)) => worker.cast(ExitWith(exit_reason(r))),
        (r, Err(_)) => pid.exit(exit_reason(r)),
    }
}

struct Trace(Vec<String>);

impl Trace {
    fn line(&mut self, line: impl Into<String>) {
        self.0.push(line.into());
    }
    fn flush(&mut self) {
        let lines = book(|b| std::mem::take(&mut b.log));
        self.0.extend(lines);
    }
}

fn reset() {
    book(|b| *b = Book::default());
}

/// Runs `scenario` and returns its trace lines, `=== name` … `=== end`.
pub async fn run(scenario: &Scenario) -> Vec<String> {
    reset();
    let mut t = Trace(vec![format!("=== {}", scenario.name)]);
    match &scenario.body {
        Body::Supervisor { tree, events } => run_sup(&mut t, tree, events).await,
        Body::Dynamic {
            max_children,
            intensity,
            period,
            events,
        } => run_dyn(&mut t, *max_children, *intensity, *period, events).await,
        Body::Registry {
            unique,
            processes,
            events,
        } => run_reg(&mut t, *unique, *processes, events).await,
    }
    t.line("=== end");
    t.0
}

// ---- supervision trees ----------------------------------------------------------------------

fn join(path: &[String], id: &str) -> String {
    let mut parts: Vec<&str> = path.iter().map(String::as_str).collect();
    parts.push(id);
    parts.join("/")
}

fn builder(path: &[String], node: &SupNode) -> SupervisorBuilder {
    let mut b = Supervisor::builder()
        .strategy(match node.strategy {
            Strategy::OneForOne => actor_supervisor::Strategy::OneForOne,
            Strategy::OneForAll => actor_supervisor::Strategy::OneForAll,
            Strategy::RestForOne => actor_supervisor::Strategy::RestForOne,
        })
        .intensity(node.intensity, Duration::from_secs(node.period.into()))
        .auto_shutdown(match node.auto_shutdown {
            AutoShutdown::Never => actor_supervisor::AutoShutdown::Never,
            AutoShutdown::AnySignificant => actor_supervisor::AutoShutdown::AnySignificant,
            AutoShutdown::AllSignificant => actor_supervisor::AutoShutdown::AllSignificant,
        });
    for child in &node.children {
        b = b.child(spec(path, child));
    }
    b
}

fn spec(path: &[String], child: &ChildNode) -> ChildSpec {
    let base = match &child.supervisor {
        None => ChildSpec::worker::<Worker>(child.id.as_str(), join(path, &child.id)),
        Some(node) => {
            let mut sub = path.to_vec();
            sub.push(child.id.clone());
            builder(&sub, node).into_child_spec(child.id.as_str())
        }
    };
    base.restart(match child.restart {
        Restart::Permanent => actor_supervisor::Restart::Permanent,
        Restart::Transient => actor_supervisor::Restart::Transient,
        Restart::Temporary => actor_supervisor::Restart::Temporary,
    })
    .shutdown(shutdown(child.shutdown))
    .significant(child.significant)
}

fn shutdown(s: Shutdown) -> actor_supervisor::Shutdown {
    match s {
        Shutdown::BrutalKill => actor_supervisor::Shutdown::BrutalKill,
        Shutdown::Timeout(ms) => actor_supervisor::Shutdown::Timeout(Duration::from_millis(ms)),
        Shutdown::Infinity => actor_supervisor::Shutdown::Infinity,
    }
}

fn sup_ref(pid: &Pid) -> Option<SupervisorRef> {
    pid.downcast::<Supervisor>()
        .ok()
        .map(SupervisorRef::from_actor_ref)
}

async fn find_child(sup: &SupervisorRef, id: &str) -> Option<(Pid, ChildType)> {
    let children = sup.which_children().await.ok()?;
    children.into_iter().find_map(|c| match (&c.id, c.pid) {
        (Some(cid), ChildPid::Running(pid)) if cid.as_str() == id => Some((pid, c.child_type)),
        _ => None,
    })
}

/// The supervisors from the root down to `path`, or `None` if one is not running.
async fn chain(root: &SupervisorRef, path: &[String]) -> Option<Vec<SupervisorRef>> {
    let mut chain = vec![root.clone()];
    for id in path {
        let last = chain.last()?;
        match find_child(last, id).await {
            Some((pid, ChildType::Supervisor)) => chain.push(sup_ref(&pid)?),
            _ => return None,
        }
    }
    Some(chain)
}

/// As the OTP runner: ask each supervisor from the innermost up; one that died is waited
/// for and its parent asked in turn.
async fn settle(chain: &[SupervisorRef]) {
    let mut rest = chain;
    while let Some((sup, parents)) = rest.split_last() {
        if sup.count_children().await.is_ok() {
            for parent in parents.iter().rev() {
                let _ = parent.count_children().await;
            }
            return;
        }
        sup.pid().exited().await;
        rest = parents;
    }
}

fn entry(c: &ChildInfo) -> (String, Option<Pid>) {
    let id =
        c.id.as_ref()
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default();
    match &c.pid {
        ChildPid::Running(pid) => (id, Some(pid.clone())),
        ChildPid::Restarting => (format!("{id}=restarting"), None),
        ChildPid::Undefined => (format!("{id}=undefined"), None),
    }
}

async fn descendants(sup: &SupervisorRef) -> Vec<Pid> {
    let mut all = Vec::new();
    for c in sup.which_children().await.unwrap_or_default() {
        if let ChildPid::Running(pid) = &c.pid {
            if let Some(sub) = sup_ref(pid) {
                all.extend(Box::pin(descendants(&sub)).await);
            }
            all.push(pid.clone());
        }
    }
    all
}

async fn tree(sup: &SupervisorRef) -> String {
    let Ok(children) = sup.which_children().await else {
        return "dead".to_owned();
    };
    let mut parts = Vec::new();
    for c in &children {
        let part = match entry(c) {
            (id, Some(pid)) if c.child_type == ChildType::Supervisor => match sup_ref(&pid) {
                Some(sub) => format!("{id}={}", Box::pin(tree(&sub)).await),
                None => format!("{id}=sup"),
            },
            (id, Some(pid)) => format!("{id}={}", label(&pid)),
            (text, None) => text,
        };
        parts.push(part);
    }
    format!("[{}]", parts.join(" "))
}

fn shallow(children: &[ChildInfo]) -> String {
    let parts: Vec<String> = children
        .iter()
        .map(|c| match entry(c) {
            (id, Some(pid)) => format!("{id}={}", label(&pid)),
            (text, None) => text,
        })
        .collect();
    format!("[{}]", parts.join(" "))
}

fn child_result(r: Result<Option<Pid>, ChildError>) -> String {
    match r {
        Ok(Some(pid)) => format!("ok {}", label(&pid)),
        Ok(None) => "ok ignored".to_owned(),
        Err(e) => error(&e),
    }
}

fn unit_result(r: Result<(), ChildError>) -> String {
    match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => error(&e),
    }
}

fn error(e: &ChildError) -> String {
    match e {
        ChildError::NotFound => "error not_found".to_owned(),
        ChildError::Running => "error running".to_owned(),
        ChildError::Restarting => "error restarting".to_owned(),
        ChildError::AlreadyPresent => "error already_present".to_owned(),
        ChildError::AlreadyStarted(pid) => format!("error already_started {}", label(pid)),
        ChildError::MaxChildren => "error max_children".to_owned(),
        _ => "error other".to_owned(),
    }
}

async fn run_sup(t: &mut Trace, tree_spec: &SupNode, events: &[SupEvent]) {
    let root = match builder(&[], tree_spec).start().await {
        Ok(root) => root,
        Err(e) => {
            t.flush();
            t.line(format!("start {e}"));
            return;
        }
    };
    t.flush();
    t.line(format!("tree {}", tree(&root).await));
    script(
        t,
        &root.pid(),
        events,
        async |event| sup_event(&root, event).await,
        async || format!("tree {}", tree(&root).await),
    )
    .await;
}

/// Runs `events` on the tree under `root`: for each, its number, the lines it caused, its
/// result, then `state()` while the root lives or the root's exit reason once it is gone.
/// A root still alive at the end is stopped with `shutdown`, unlogged.
async fn script<E>(
    t: &mut Trace,
    root: &Pid,
    events: &[E],
    mut event: impl AsyncFnMut(&E) -> String,
    state: impl AsyncFn() -> String,
) {
    for (i, e) in events.iter().enumerate() {
        t.line(format!("> {}", i + 1));
        let result = event(e).await;
        t.flush();
        t.line(format!("= {result}"));
        if root.is_alive() {
            t.line(state().await);
        } else {
            let reason = root.exited().await;
            t.line(format!("root exit {}", fmt_reason(&reason)));
            return;
        }
    }
    if root.is_alive() {
        let _ = root.stop_timeout(ExitReason::Shutdown, Duration::MAX).await;
        book(|b| b.log.clear());
    }
}

async fn sup_event(root: &SupervisorRef, event: &SupEvent) -> String {
    match event {
        SupEvent::Exit { path, reason } => {
            let Some((id, parent)) = path.split_last() else {
                return "noproc".to_owned();
            };
            let Some(chain) = chain(root, parent).await else {
                return "noproc".to_owned();
            };
            let Some(sup) = chain.last() else {
                return "noproc".to_owned();
            };
            let Some((pid, _)) = find_child(sup, id).await else {
                return "noproc".to_owned();
            };
            // A killed supervisor's children are orphaned and end on their own, concurrently
            // with the restart: wait for every one of them too.
            let orphans = match sup_ref(&pid) {
                Some(s) => descendants(&s).await,
                None => Vec::new(),
            };
            deliver(&pid, reason);
            pid.exited().await;
            settle(&chain).await;
            for orphan in orphans {
                orphan.exited().await;
            }
            "ok".to_owned()
        }
        SupEvent::TerminateChild { sup, id } => {
            with_sup(root, sup, async |s| {
                unit_result(s.terminate_child(id.as_str()).await)
            })
            .await
        }
        SupEvent::RestartChild { sup, id } => {
            with_sup(root, sup, async |s| {
                child_result(s.restart_child(id.as_str()).await)
            })
            .await
        }
        SupEvent::DeleteChild { sup, id } => {
            with_sup(root, sup, async |s| {
                unit_result(s.delete_child(id.as_str()).await)
            })
            .await
        }
        SupEvent::StartChild { sup, child } => {
            let spec = spec(sup, child);
            with_sup(root, sup, async move |s| {
                child_result(s.start_child(spec).await)
            })
            .await
        }
        SupEvent::WhichChildren { sup } => {
            with_sup(root, sup, async |s| match s.which_children().await {
                Ok(children) => shallow(&children),
                Err(e) => error(&e),
            })
            .await
        }
        SupEvent::CountChildren { sup } => {
            with_sup(root, sup, async |s| match s.count_children().await {
                Ok(c) => format!(
                    "specs={} active={} supervisors={} workers={}",
                    c.specs, c.active, c.supervisors, c.workers
                ),
                Err(e) => error(&e),
            })
            .await
        }
        SupEvent::Stop => {
            let _ = root.stop(ExitReason::Shutdown).await;
            "ok".to_owned()
        }
        SupEvent::WaitMs(ms) => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            "ok".to_owned()
        }
    }
}

async fn with_sup(
    root: &SupervisorRef,
    path: &[String],
    f: impl AsyncFnOnce(&SupervisorRef) -> String,
) -> String {
    let Some(chain) = chain(root, path).await else {
        return "nosup".to_owned();
    };
    let Some(sup) = chain.last() else {
        return "nosup".to_owned();
    };
    let result = f(sup).await;
    settle(&chain).await;
    result
}

// ---- DynamicSupervisor ----------------------------------------------------------------------

async fn run_dyn(
    t: &mut Trace,
    max_children: Option<u32>,
    intensity: u32,
    period: u32,
    events: &[DynEvent],
) {
    let mut b =
        DynamicSupervisor::builder().intensity(intensity, Duration::from_secs(period.into()));
    if let Some(max) = max_children {
        b = b.max_children(max as usize);
    }
    let sup = match b.start().await {
        Ok(sup) => sup,
        Err(e) => {
            t.line(format!("start {e}"));
            return;
        }
    };
    let mut started = 0u32;
    let mut last_pid: HashMap<u32, Pid> = HashMap::new();
    script(
        t,
        &sup.pid(),
        events,
        async |event| dyn_event(&sup, event, &mut started, &mut last_pid).await,
        async || format!("children {}", dyn_children(&sup).await),
    )
    .await;
}

async fn dyn_children(sup: &DynamicSupervisorRef) -> String {
    let Ok(children) = sup.which_children().await else {
        return "dead".to_owned();
    };
    let mut labels: Vec<String> = children
        .iter()
        .map(|c| match &c.pid {
            ChildPid::Running(pid) => label(pid),
            ChildPid::Restarting => "restarting".to_owned(),
            ChildPid::Undefined => "undefined".to_owned(),
        })
        .collect();
    labels.sort();
    format!("[{}]", labels.join(" "))
}

async fn dyn_event(
    sup: &DynamicSupervisorRef,
    event: &DynEvent,
    started: &mut u32,
    last_pid: &mut HashMap<u32, Pid>,
) -> String {
    // The current process of child `k` (its latest incarnation), else its last known pid.
    let current = |k: u32, last: &HashMap<u32, Pid>| {
        book(|b| b.current.get(&format!("w{k}")).cloned()).or_else(|| last.get(&k).cloned())
    };
    match event {
        DynEvent::StartChild {
            restart,
            shutdown: s,
        } => {
            *started += 1;
            let k = *started;
            let spec = ChildSpec::worker::<Worker>("w", format!("w{k}"))
                .restart(match restart {
                    Restart::Permanent => actor_supervisor::Restart::Permanent,
                    Restart::Transient => actor_supervisor::Restart::Transient,
                    Restart::Temporary => actor_supervisor::Restart::Temporary,
                })
                .shutdown(shutdown(*s));
            let r = sup.start_child(spec).await;
            if let Ok(Some(pid)) = &r {
                last_pid.insert(k, pid.clone());
            }
            child_result(r)
        }
        DynEvent::Exit { child, reason } => match current(*child, last_pid) {
            Some(pid) if pid.is_alive() => {
                deliver(&pid, reason);
                pid.exited().await;
                if sup.count_children().await.is_err() {
                    sup.pid().exited().await;
                }
                "ok".to_owned()
            }
            _ => "noproc".to_owned(),
        },
        DynEvent::TerminateChild { child } => match current(*child, last_pid) {
            Some(pid) => unit_result(sup.terminate_child(&pid).await),
            None => "noproc".to_owned(),
        },
        DynEvent::WhichChildren => match sup.which_children().await {
            Ok(children) => format!("{} children", children.len()),
            Err(e) => error(&e),
        },
        DynEvent::CountChildren => match sup.count_children().await {
            Ok(c) => format!(
                "specs={} active={} supervisors={} workers={}",
                c.specs, c.active, c.supervisors, c.workers
            ),
            Err(e) => error(&e),
        },
        DynEvent::Stop => {
            let _ = sup.stop(ExitReason::Shutdown).await;
            "ok".to_owned()
        }
        DynEvent::WaitMs(ms) => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            "ok".to_owned()
        }
    }
}

// ---- Registry -------------------------------------------------------------------------------

/// A process that registers keys for itself (`Registry.register/3` must run in the owner).
#[derive(Debug)]
pub struct Holder {
    registry: Registry<String, i64>,
}

/// Call: register `key` with `value` for the calling holder.
#[derive(Debug)]
pub struct Register(pub String, pub i64);
/// Call: unregister `key`.
#[derive(Debug)]
pub struct Unregister(pub String);

impl Actor for Holder {
    type Args = Registry<String, i64>;
    async fn init(registry: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Holder { registry })
    }
}

impl Call<Register> for Holder {
    type Reply = String;
    async fn handle_call(
        &mut self,
        Register(k, v): Register,
        _: &mut Context<Self>,
    ) -> CallReply<String> {
        CallReply::Reply(match self.registry.register(k, v) {
            Ok(_) => "ok".to_owned(),
            Err(actor_registry::RegistryError::AlreadyRegistered(pid)) => {
                format!("error already_registered {}", label(&pid))
            }
            Err(e) => format!("error {e}"),
        })
    }
}

impl Call<Unregister> for Holder {
    type Reply = String;
    async fn handle_call(
        &mut self,
        Unregister(k): Unregister,
        _: &mut Context<Self>,
    ) -> CallReply<String> {
        CallReply::Reply(match self.registry.unregister(&k) {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!("error {e}"),
        })
    }
}

async fn run_reg(t: &mut Trace, unique: bool, processes: u32, events: &[RegEvent]) {
    let builder = if unique {
        Registry::<String, i64>::unique("conformance")
    } else {
        Registry::<String, i64>::duplicate("conformance")
    };
    let registry = builder.build();
    let owner = match registry.clone().start_link().await {
        Ok(r) => r,
        Err(e) => {
            t.line(format!("start {e}"));
            return;
        }
    };
    let mut holders = Vec::new();
    for p in 1..=processes {
        match Holder::start(owner.clone()).await {
            Ok(h) => {
                book(|b| b.labels.insert(h.id(), format!("p{p}")));
                holders.push(h);
            }
            Err(e) => {
                t.line(format!("start {e}"));
                return;
            }
        }
    }
    for (i, event) in events.iter().enumerate() {
        t.line(format!("> {}", i + 1));
        let holder = |p: u32| holders.get((p as usize).wrapping_sub(1));
        let result = match event {
            RegEvent::Register { p, key, value } => match holder(*p) {
                Some(h) => h
                    .call(Register(key.clone(), *value))
                    .await
                    .unwrap_or_else(|_| "noproc".to_owned()),
                None => "noproc".to_owned(),
            },
            RegEvent::Unregister { p, key } => match holder(*p) {
                Some(h) => h
                    .call(Unregister(key.clone()))
                    .await
                    .unwrap_or_else(|_| "noproc".to_owned()),
                None => "noproc".to_owned(),
            },
            RegEvent::Lookup { key } => {
                let mut found: Vec<String> = owner
                    .lookup(key)
                    .iter()
                    .map(|(pid, v)| format!("{}={v}", label(pid)))
                    .collect();
                found.sort();
                format!("[{}]", found.join(" "))
            }
            RegEvent::Keys { p } => match holder(*p) {
                Some(h) => {
                    let mut keys = owner.keys(&h.pid());
                    keys.sort();
                    format!("[{}]", keys.join(" "))
                }
                None => "noproc".to_owned(),
            },
            RegEvent::Count => owner.count().to_string(),
            RegEvent::Kill { p } => match holder(*p) {
                Some(h) => {
                    h.pid().kill();
                    h.pid().exited().await;
                    // The registry drops a dead process's entries asynchronously, as
                    // Elixir's does; wait (bounded) until they are gone.
                    for _ in 0..2000 {
                        if owner.keys(&h.pid()).is_empty()
                            && owner.select(|_, p, _| p.id() == h.id()).is_empty()
                        {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    "ok".to_owned()
                }
                None => "noproc".to_owned(),
            },
        };
        t.line(format!("= {result}"));
    }
    for h in holders {
        let _ = h.stop(ExitReason::Shutdown).await;
    }
    if let Some(pid) = owner.owner() {
        // The owner traps exits and, like Elixir's Registry supervisor, ignores an exit
        // signal from a process that is not its parent; the runner has no parent, so kill.
        pid.kill();
        pid.exited().await;
    }
}
