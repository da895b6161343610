//! The static supervisor: one_for_one, one_for_all, rest_for_one (R-SUP, R-RST, R-INT,
//! R-SHUT, R-AUTO). It is an actor; the strategies are pure planners and this file is the one
//! executor that carries their plans out.

use std::fmt;
use std::time::Duration;

use actor_core::{
    Actor, ActorRef, Call, CallReply, Cast, Context, Exit, ExitReason, Flow, InitError, Name, Pid,
    StartError,
};
use tokio::time::Instant;

use crate::error::{ChildError, SpecError, SupervisorStartError};
use crate::flags::{AutoShutdown, Strategy, SupervisorFlags};
use crate::intensity::RestartIntensity;
use crate::shutdown::stop_child;
use crate::spec::{ChildId, ChildSpec, ChildType, ExtraArgs, Restart};
use crate::strategy::{self, ChildView};

/// A child's pid as a supervisor reports it: running, waiting for a restart retry, or not
/// running (`undefined`).
///
/// # Examples
///
/// See [`SupervisorRef::which_children`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChildPid {
    /// Running with this pid.
    Running(Pid),
    /// Its restart failed; a retry is scheduled (`restarting`).
    Restarting,
    /// Not running (`undefined`): stopped by `terminate_child`, exited without restart, or
    /// its start returned ignore.
    Undefined,
}

impl ChildPid {
    /// The pid, if running.
    pub fn pid(&self) -> Option<&Pid> {
        match self {
            Self::Running(p) => Some(p),
            _ => None,
        }
    }
}

/// One row of [`SupervisorRef::which_children`].
///
/// # Examples
///
/// See [`SupervisorRef::which_children`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildInfo {
    /// The id (`None` under a dynamic supervisor, where ids are ignored).
    pub id: Option<ChildId>,
    /// The pid or state.
    pub pid: ChildPid,
    /// Worker or supervisor.
    pub child_type: ChildType,
}

/// The result of `count_children` (R-SUP-9, R-DYN-4, R-SOFO-2).
///
/// # Examples
///
/// See [`SupervisorRef::count_children`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildCounts {
    /// Specs held (for simple_one_for_one: always 1).
    pub specs: usize,
    /// Children with a live pid.
    pub active: usize,
    /// Children of type supervisor, live or not.
    pub supervisors: usize,
    /// Children of type worker, live or not.
    pub workers: usize,
}

/// What a supervisor starts with: its flags and its children in start order.
///
/// # Examples
///
/// ```
/// use actor_supervisor::{SupervisorSpec, SupervisorFlags, Strategy};
/// let spec = SupervisorSpec::new(SupervisorFlags::default().with_strategy(Strategy::OneForAll));
/// assert!(spec.children.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SupervisorSpec {
    /// The flags.
    pub flags: SupervisorFlags,
    /// The children, in start order.
    pub children: Vec<ChildSpec>,
}

impl SupervisorSpec {
    /// A spec with these flags and no children yet.
    pub fn new(flags: SupervisorFlags) -> Self {
        Self {
            flags,
            children: Vec::new(),
        }
    }

    /// Adds a child at the end of the start order.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }
}

/// A module-based supervisor, as `use Supervisor` writes one: `init` returns the spec (or
/// `None` for `ignore`), and [`Supervisor::start_link_module`] starts it.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{ChildSpec, Supervise, Supervisor, SupervisorFlags, SupervisorSpec};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
///
/// struct App;
/// impl Supervise for App {
///     type Args = usize;
///     fn init(workers: usize) -> Option<SupervisorSpec> {
///         let mut spec = SupervisorSpec::new(SupervisorFlags::default());
///         for i in 0..workers {
///             spec = spec.child(ChildSpec::worker::<Worker>(format!("worker-{i}"), ()));
///         }
///         Some(spec)
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = Supervisor::start_link_module::<App>(3).await.unwrap();
/// assert_eq!(sup.count_children().await.unwrap().active, 3);
/// # }
/// ```
pub trait Supervise: Send + 'static {
    /// What `init` takes.
    type Args: Send + 'static;
    /// The flags and children, or `None` to ignore (start returns
    /// [`SupervisorStartError::Ignored`]).
    fn init(args: Self::Args) -> Option<SupervisorSpec>;
}

type InitFn = Box<dyn FnOnce() -> Option<SupervisorSpec> + Send>;

/// The arguments the supervisor actor starts with.
pub struct SupervisorArgs {
    init: InitFn,
}

impl fmt::Debug for SupervisorArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SupervisorArgs(..)")
    }
}

impl From<SupervisorSpec> for SupervisorArgs {
    fn from(spec: SupervisorSpec) -> Self {
        Self {
            init: Box::new(move || Some(spec)),
        }
    }
}

#[derive(Debug)]
struct Child {
    spec: ChildSpec,
    state: ChildPid,
}

/// A static supervisor: starts its children in order, restarts them by its strategy within
/// its restart intensity, and stops them in reverse order.
///
/// It is an actor that traps exits; [`SupervisorRef`] is its handle.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, ExitReason, InitError};
/// use actor_supervisor::{ChildSpec, Strategy, Supervisor};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = Supervisor::builder()
///     .strategy(Strategy::OneForOne)
///     .intensity(3, Duration::from_secs(5))
///     .child(ChildSpec::worker::<Worker>("a", ()))
///     .child(ChildSpec::worker::<Worker>("b", ()))
///     .start_link()
///     .await
///     .unwrap();
///
/// let children = sup.which_children().await.unwrap();
/// assert_eq!(children[0].id.as_ref().unwrap().as_str(), "b"); // newest first
///
/// // Crash "a": it is restarted with a new pid.
/// let a = children[1].pid.pid().unwrap().clone();
/// a.exit(ExitReason::msg("crash"));
/// a.exited().await;
/// let again = sup.which_children().await.unwrap();
/// assert_ne!(again[1].pid.pid(), Some(&a));
/// sup.stop(ExitReason::Normal).await.unwrap();
/// # }
/// ```
pub struct Supervisor {
    flags: SupervisorFlags,
    children: Vec<Child>,
    intensity: RestartIntensity,
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("flags", &self.flags)
            .field("children", &self.children)
            .finish()
    }
}

impl Supervisor {
    /// A builder for a supervisor with Elixir's default flags.
    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder {
            spec: SupervisorSpec::default(),
            name: None,
        }
    }

    /// Starts a module-based supervisor linked to the caller.
    ///
    /// # Errors
    ///
    /// As [`SupervisorBuilder::start_link`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link_module<S: Supervise>(
        args: S::Args,
    ) -> Result<SupervisorRef, SupervisorStartError> {
        let init: InitFn = Box::new(move || S::init(args));
        start(SupervisorArgs { init }, None, true).await
    }

    /// A child spec that runs a module-based supervisor under another supervisor: type
    /// supervisor, shutdown `Infinity`, permanent.
    pub fn child_spec_module<S: Supervise>(id: impl Into<ChildId>, args: S::Args) -> ChildSpec
    where
        S::Args: Clone + Sync,
    {
        ChildSpec::new(id, move || {
            let args = args.clone();
            async move {
                let init: InitFn = Box::new(move || S::init(args));
                start_for_parent(SupervisorArgs { init }).await
            }
        })
        .child_type(ChildType::Supervisor)
    }

    fn views(&self) -> Vec<ChildView> {
        self.children
            .iter()
            .map(|c| ChildView {
                restart: c.spec.restart_type(),
                running: matches!(c.state, ChildPid::Running(_)),
            })
            .collect()
    }

    fn index_of(&self, id: &ChildId) -> Option<usize> {
        self.children.iter().position(|c| c.spec.id() == id)
    }

    /// Stops the child at `idx` if it runs, leaving it `Undefined`.
    async fn stop_at(&mut self, idx: usize, ctx: &mut Context<Self>) {
        let child = &mut self.children[idx];
        if let ChildPid::Running(pid) = std::mem::replace(&mut child.state, ChildPid::Undefined) {
            ctx.unlink(&pid);
            stop_child(&pid, child.spec.shutdown_value(), child.spec.restart_type()).await;
        }
    }

    /// Restarts the child at `idx` by the strategy; counts toward intensity (R-RST-2/4,
    /// R-INT-1). Returns `Stop(Shutdown)` when the intensity is exceeded.
    async fn restart(&mut self, idx: usize, ctx: &mut Context<Self>) -> Flow {
        let id = self.children[idx].spec.id().clone();
        if !self.intensity.add_restart(Instant::now()) {
            tracing::error!(
                supervisor = %ctx.pid(),
                child = %id,
                intensity = self.flags.intensity,
                period = ?self.flags.period,
                "restart intensity exceeded; shutting down"
            );
            return Flow::Stop(ExitReason::Shutdown);
        }
        tracing::warn!(supervisor = %ctx.pid(), child = %id, restarts_in_window = self.intensity.in_window(), "restarting child");
        if self.flags.strategy == Strategy::OneForOne {
            // The planner's answer for one_for_one is always "start the failed child, touch
            // no other": taken directly, the restart builds no plan.
            self.start_again(idx, ctx).await;
            return Flow::Ok;
        }
        let plan = strategy::plan(self.flags.strategy, &self.views(), idx);
        for &i in &plan.terminate {
            self.stop_at(i, ctx).await;
        }
        let start_ids: Vec<ChildId> = plan
            .start
            .iter()
            .map(|&i| self.children[i].spec.id().clone())
            .collect();
        let remove_ids: Vec<ChildId> = plan
            .remove
            .iter()
            .map(|&i| self.children[i].spec.id().clone())
            .collect();
        self.children.retain(|c| !remove_ids.contains(c.spec.id()));
        for sid in start_ids {
            let Some(i) = self.index_of(&sid) else {
                continue;
            };
            if !self.start_again(i, ctx).await {
                return Flow::Ok;
            }
        }
        Flow::Ok
    }

    /// Starts the child at `i` again. A failed start leaves it `Restarting`, with a retry
    /// queued through the mailbox (R-RST-4), and returns `false`: the rest of a plan waits
    /// for the retry.
    async fn start_again(&mut self, i: usize, ctx: &mut Context<Self>) -> bool {
        match self.children[i].spec.start(&ExtraArgs::default()).await {
            Ok(Some(pid)) => self.children[i].state = ChildPid::Running(pid),
            Ok(None) => self.children[i].state = ChildPid::Undefined,
            Err(e) => {
                // R-RST-4: show it restarting and retry through the mailbox, so the
                // supervisor keeps answering between attempts.
                let sid = self.children[i].spec.id().clone();
                tracing::warn!(supervisor = %ctx.pid(), child = %sid, error = %e, "restart failed; will retry");
                self.children[i].state = ChildPid::Restarting;
                ctx.myself().cast(Retry(sid));
                return false;
            }
        }
        true
    }

    /// R-AUTO-2/3: a significant child exited by itself and is not restarted.
    fn auto_shutdown(&self, significant: bool) -> Flow {
        if !significant {
            return Flow::Ok;
        }
        let shut = match self.flags.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .children
                .iter()
                .any(|c| c.spec.is_significant() && matches!(c.state, ChildPid::Running(_))),
        };
        if shut {
            Flow::Stop(ExitReason::Shutdown)
        } else {
            Flow::Ok
        }
    }

    async fn start_child(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        spec.validate(self.flags.auto_shutdown)?;
        if let Some(i) = self.index_of(spec.id()) {
            return Err(match &self.children[i].state {
                ChildPid::Running(pid) => ChildError::AlreadyStarted(pid.clone()),
                _ => ChildError::AlreadyPresent,
            });
        }
        match spec.start(&ExtraArgs::default()).await {
            Ok(Some(pid)) => {
                self.children.push(Child {
                    spec,
                    state: ChildPid::Running(pid.clone()),
                });
                Ok(Some(pid))
            }
            Ok(None) => {
                if spec.restart_type() != Restart::Temporary {
                    self.children.push(Child {
                        spec,
                        state: ChildPid::Undefined,
                    });
                }
                Ok(None)
            }
            Err(StartError::AlreadyStarted(pid)) => Err(ChildError::AlreadyStarted(pid)),
            Err(reason) => Err(ChildError::StartFailed {
                id: spec.id().clone(),
                reason,
            }),
        }
    }

    async fn terminate_child(
        &mut self,
        id: &ChildId,
        ctx: &mut Context<Self>,
    ) -> Result<(), ChildError> {
        let i = self.index_of(id).ok_or(ChildError::NotFound)?;
        self.stop_at(i, ctx).await;
        if self.children[i].spec.restart_type() == Restart::Temporary {
            self.children.remove(i);
        }
        Ok(())
    }

    async fn restart_child(&mut self, id: &ChildId) -> Result<Option<Pid>, ChildError> {
        let i = self.index_of(id).ok_or(ChildError::NotFound)?;
        match self.children[i].state {
            ChildPid::Running(_) => return Err(ChildError::Running),
            ChildPid::Restarting => return Err(ChildError::Restarting),
            ChildPid::Undefined => {}
        }
        match self.children[i].spec.start(&ExtraArgs::default()).await {
            Ok(Some(pid)) => {
                self.children[i].state = ChildPid::Running(pid.clone());
                Ok(Some(pid))
            }
            Ok(None) => Ok(None),
            Err(StartError::AlreadyStarted(pid)) => Err(ChildError::AlreadyStarted(pid)),
            Err(reason) => Err(ChildError::StartFailed {
                id: id.clone(),
                reason,
            }),
        }
    }

    fn delete_child(&mut self, id: &ChildId) -> Result<(), ChildError> {
        let i = self.index_of(id).ok_or(ChildError::NotFound)?;
        match self.children[i].state {
            ChildPid::Running(_) => Err(ChildError::Running),
            ChildPid::Restarting => Err(ChildError::Restarting),
            ChildPid::Undefined => {
                self.children.remove(i);
                Ok(())
            }
        }
    }

    fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .iter()
            .rev()
            .map(|c| ChildInfo {
                id: Some(c.spec.id().clone()),
                pid: c.state.clone(),
                child_type: c.spec.kind(),
            })
            .collect()
    }

    fn count_children(&self) -> ChildCounts {
        let mut counts = ChildCounts {
            specs: self.children.len(),
            ..ChildCounts::default()
        };
        for c in &self.children {
            if matches!(c.state, ChildPid::Running(_)) {
                counts.active += 1;
            }
            match c.spec.kind() {
                ChildType::Worker => counts.workers += 1,
                ChildType::Supervisor => counts.supervisors += 1,
            }
        }
        counts
    }
}

impl Actor for Supervisor {
    type Args = SupervisorArgs;

    async fn init(args: SupervisorArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        let Some(spec) = (args.init)() else {
            return Err(InitError::Ignore);
        };
        let fail = |e: SupervisorStartError| InitError::Stop(ExitReason::error(e));
        spec.flags.validate().map_err(|e| fail(e.into()))?;
        let mut seen = std::collections::HashSet::new();
        for child in &spec.children {
            child
                .validate(spec.flags.auto_shutdown)
                .map_err(|e| fail(e.into()))?;
            if !seen.insert(child.id().clone()) {
                return Err(fail(SpecError::DuplicateChildId(child.id().clone()).into()));
            }
        }
        let mut sup = Supervisor {
            flags: spec.flags,
            children: Vec::with_capacity(spec.children.len()),
            intensity: RestartIntensity::new(spec.flags.intensity, spec.flags.period),
        };
        // R-SUP-1/2/3: in order; on failure stop the started ones in reverse and give up.
        for child in spec.children {
            match child.start(&ExtraArgs::default()).await {
                Ok(Some(pid)) => sup.children.push(Child {
                    spec: child,
                    state: ChildPid::Running(pid),
                }),
                Ok(None) => {
                    if child.restart_type() != Restart::Temporary {
                        sup.children.push(Child {
                            spec: child,
                            state: ChildPid::Undefined,
                        });
                    }
                }
                Err(reason) => {
                    for i in (0..sup.children.len()).rev() {
                        sup.stop_at(i, ctx).await;
                    }
                    let err = SupervisorStartError::FailedToStartChild {
                        id: child.id().clone(),
                        reason,
                    };
                    return Err(InitError::Stop(ExitReason::shutdown_with_error(err)));
                }
            }
        }
        Ok(sup)
    }

    /// R-SHUT-1: one at a time, in reverse start order.
    async fn terminate(&mut self, _reason: &ExitReason, ctx: &mut Context<Self>) {
        for i in (0..self.children.len()).rev() {
            self.stop_at(i, ctx).await;
        }
    }

    async fn handle_exit(&mut self, exit: Exit, ctx: &mut Context<Self>) -> Flow {
        let Some(from) = exit.from else {
            return Flow::Ok;
        };
        // R-SUP-11: an EXIT from a pid that is not a child is ignored.
        let Some(idx) = self
            .children
            .iter()
            .position(|c| c.state.pid() == Some(&from))
        else {
            return Flow::Ok;
        };
        let child = &mut self.children[idx];
        child.state = ChildPid::Undefined;
        let significant = child.spec.is_significant();
        match (child.spec.restart_type(), exit.reason.is_benign()) {
            (Restart::Temporary, _) => {
                if !exit.reason.is_benign() {
                    tracing::warn!(supervisor = %ctx.pid(), child = %child.spec.id(), reason = %exit.reason, "temporary child exited");
                }
                self.children.remove(idx);
                self.auto_shutdown(significant)
            }
            (Restart::Transient, true) => self.auto_shutdown(significant),
            _ => {
                tracing::warn!(supervisor = %ctx.pid(), child = %self.children[idx].spec.id(), reason = %exit.reason, "child terminated");
                self.restart(idx, ctx).await
            }
        }
    }
}

// ---- requests ----------------------------------------------------------------------------------

pub(crate) struct StartChild(pub(crate) ChildSpec);
pub(crate) struct TerminateChild(pub(crate) ChildId);
pub(crate) struct RestartChild(pub(crate) ChildId);
pub(crate) struct DeleteChild(pub(crate) ChildId);
pub(crate) struct WhichChildren;
pub(crate) struct CountChildren;
pub(crate) struct GetChildSpec(pub(crate) ChildId);
pub(crate) struct Retry(ChildId);

impl Call<StartChild> for Supervisor {
    type Reply = Result<Option<Pid>, ChildError>;
    async fn handle_call(
        &mut self,
        StartChild(spec): StartChild,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.start_child(spec).await)
    }
}

impl Call<TerminateChild> for Supervisor {
    type Reply = Result<(), ChildError>;
    async fn handle_call(
        &mut self,
        TerminateChild(id): TerminateChild,
        ctx: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.terminate_child(&id, ctx).await)
    }
}

impl Call<RestartChild> for Supervisor {
    type Reply = Result<Option<Pid>, ChildError>;
    async fn handle_call(
        &mut self,
        RestartChild(id): RestartChild,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.restart_child(&id).await)
    }
}

impl Call<DeleteChild> for Supervisor {
    type Reply = Result<(), ChildError>;
    async fn handle_call(
        &mut self,
        DeleteChild(id): DeleteChild,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.delete_child(&id))
    }
}

impl Call<WhichChildren> for Supervisor {
    type Reply = Vec<ChildInfo>;
    async fn handle_call(
        &mut self,
        _: WhichChildren,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.which_children())
    }
}

impl Call<CountChildren> for Supervisor {
    type Reply = ChildCounts;
    async fn handle_call(
        &mut self,
        _: CountChildren,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.count_children())
    }
}

impl Call<GetChildSpec> for Supervisor {
    type Reply = Result<ChildSpec, ChildError>;
    async fn handle_call(
        &mut self,
        GetChildSpec(id): GetChildSpec,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(
            self.index_of(&id)
                .map(|i| self.children[i].spec.clone())
                .ok_or(ChildError::NotFound),
        )
    }
}

impl Cast<Retry> for Supervisor {
    async fn handle_cast(&mut self, Retry(id): Retry, ctx: &mut Context<Self>) -> Flow {
        match self.index_of(&id) {
            // Each retry is a new restart, counted toward intensity (R-RST-4).
            Some(i) if self.children[i].state == ChildPid::Restarting => self.restart(i, ctx).await,
            _ => Flow::Ok,
        }
    }
}

// ---- starting -------------------------------------------------------------------------------

/// Configures and starts a [`Supervisor`].
///
/// # Examples
///
/// See [`Supervisor`].
#[must_use = "a builder does nothing until started"]
#[derive(Debug)]
pub struct SupervisorBuilder {
    spec: SupervisorSpec,
    name: Option<Name>,
}

impl SupervisorBuilder {
    /// The restart strategy (default `OneForOne`).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.spec.flags.strategy = strategy;
        self
    }

    /// At most `max_restarts` restarts within `period` (default 3 in 5 s).
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.spec.flags.intensity = max_restarts;
        self.spec.flags.period = period;
        self
    }

    /// Auto shutdown (default `Never`).
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.spec.flags.auto_shutdown = auto_shutdown;
        self
    }

    /// All the flags at once (from a configuration file, for example).
    pub fn flags(mut self, flags: SupervisorFlags) -> Self {
        self.spec.flags = flags;
        self
    }

    /// Adds a child at the end of the start order.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.spec.children.push(spec);
        self
    }

    /// Names the supervisor.
    pub fn name(mut self, name: Name) -> Self {
        self.name = Some(name);
        self
    }

    /// Starts the supervisor linked to the calling actor (if any) and returns once every
    /// child has started.
    ///
    /// # Errors
    ///
    /// [`SupervisorStartError`]: invalid flags or specs, a child that failed to start (the
    /// others were stopped in reverse order first), or a name clash.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<SupervisorRef, SupervisorStartError> {
        start(self.spec.into(), self.name, true).await
    }

    /// Starts the supervisor without a link.
    ///
    /// # Errors
    ///
    /// As [`start_link`](Self::start_link).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start(self) -> Result<SupervisorRef, SupervisorStartError> {
        start(self.spec.into(), self.name, false).await
    }

    /// A child spec that runs this supervisor under another supervisor: type supervisor,
    /// shutdown `Infinity`, permanent. Each restart starts it afresh from this configuration.
    pub fn into_child_spec(self, id: impl Into<ChildId>) -> ChildSpec {
        let spec = self.spec;
        let name = self.name;
        ChildSpec::new(id, move || {
            let spec = spec.clone();
            let name = name.clone();
            async move {
                let mut start = Supervisor::start_link(spec.into());
                if let Some(name) = name {
                    start = start.name(name);
                }
                crate::spec::started(start.await)
            }
        })
        .child_type(ChildType::Supervisor)
    }
}

async fn start(
    args: SupervisorArgs,
    name: Option<Name>,
    link: bool,
) -> Result<SupervisorRef, SupervisorStartError> {
    let mut start = if link {
        Supervisor::start_link(args)
    } else {
        Supervisor::start(args)
    };
    if let Some(name) = name {
        start = start.name(name);
    }
    start
        .await
        .map(|inner| SupervisorRef { inner })
        .map_err(start_error)
}

async fn start_for_parent(args: SupervisorArgs) -> Result<Option<Pid>, StartError> {
    crate::spec::started(Supervisor::start_link(args).await)
}

fn start_error(e: StartError) -> SupervisorStartError {
    match e {
        StartError::Ignored => SupervisorStartError::Ignored,
        StartError::Failed(reason) => match reason.downcast_ref::<SupervisorStartError>() {
            Some(inner) => inner.clone(),
            None => SupervisorStartError::Start(StartError::Failed(reason)),
        },
        other => SupervisorStartError::Start(other),
    }
}

/// The handle of a running [`Supervisor`]: its API as async methods (R-SUP-4 … R-SUP-10).
/// Every request waits without a timeout, as OTP's supervisor calls do.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{ChildError, ChildSpec, Supervisor};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = Supervisor::builder().start_link().await.unwrap();
/// let pid = sup.start_child(ChildSpec::worker::<Worker>("w", ())).await.unwrap().unwrap();
/// assert!(matches!(sup.start_child(ChildSpec::worker::<Worker>("w", ())).await, Err(ChildError::AlreadyStarted(p)) if p == pid));
///
/// sup.terminate_child("w").await.unwrap();          // stopped, spec kept
/// assert!(matches!(sup.delete_child("nope").await, Err(ChildError::NotFound)));
/// let counts = sup.count_children().await.unwrap();
/// assert_eq!((counts.specs, counts.active), (1, 0));
/// sup.restart_child("w").await.unwrap();            // back at its position
/// assert_eq!(sup.count_children().await.unwrap().active, 1);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupervisorRef {
    inner: ActorRef<Supervisor>,
}

impl SupervisorRef {
    /// Wraps the actor reference of a supervisor (for example one found by name).
    pub fn from_actor_ref(inner: ActorRef<Supervisor>) -> Self {
        Self { inner }
    }

    /// The supervisor's pid.
    pub fn pid(&self) -> Pid {
        self.inner.pid()
    }

    /// The underlying actor reference.
    pub fn actor_ref(&self) -> &ActorRef<Supervisor> {
        &self.inner
    }

    /// Adds a child at the end of the start order and starts it (R-SUP-4). `Ok(None)` when
    /// its start returned ignore.
    ///
    /// # Errors
    ///
    /// `InvalidSpec`, `AlreadyStarted(pid)` (the id runs, or the child's own name is taken),
    /// `AlreadyPresent` (the id exists, not running), `StartFailed` (nothing stored), or the
    /// supervisor is gone (`NoProc`, `SupervisorExit`).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        self.inner
            .call_timeout(StartChild(spec), Duration::MAX)
            .await?
    }

    /// Stops a child by id, keeping its spec unless temporary (R-SUP-5). Never restarts it and
    /// never counts toward intensity; idempotent.
    ///
    /// # Errors
    ///
    /// `NotFound`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn terminate_child(&self, id: impl Into<ChildId>) -> Result<(), ChildError> {
        self.inner
            .call_timeout(TerminateChild(id.into()), Duration::MAX)
            .await?
    }

    /// Starts a stopped child again at its original position (R-SUP-6). Does not count
    /// toward intensity.
    ///
    /// # Errors
    ///
    /// `NotFound`, `Running`, `Restarting`, `StartFailed` (the child stays stopped), or the
    /// supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn restart_child(&self, id: impl Into<ChildId>) -> Result<Option<Pid>, ChildError> {
        self.inner
            .call_timeout(RestartChild(id.into()), Duration::MAX)
            .await?
    }

    /// Removes a stopped child's spec (R-SUP-7).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Running`, `Restarting`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn delete_child(&self, id: impl Into<ChildId>) -> Result<(), ChildError> {
        self.inner
            .call_timeout(DeleteChild(id.into()), Duration::MAX)
            .await?
    }

    /// The children, newest first (R-SUP-8).
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, ChildError> {
        Ok(self
            .inner
            .call_timeout(WhichChildren, Duration::MAX)
            .await?)
    }

    /// Counts of specs, live children, supervisors and workers (R-SUP-9).
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn count_children(&self) -> Result<ChildCounts, ChildError> {
        Ok(self
            .inner
            .call_timeout(CountChildren, Duration::MAX)
            .await?)
    }

    /// The full spec of a child (R-SUP-10).
    ///
    /// # Errors
    ///
    /// `NotFound`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn child_spec(&self, id: impl Into<ChildId>) -> Result<ChildSpec, ChildError> {
        self.inner
            .call_timeout(GetChildSpec(id.into()), Duration::MAX)
            .await?
    }

    /// Stops the supervisor: its children stop in reverse start order, then it exits with
    /// `reason`.
    ///
    /// # Errors
    ///
    /// As [`ActorRef::stop`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the stop: the actor still stops; only the wait for
    /// it ends.
    pub async fn stop(&self, reason: ExitReason) -> Result<(), actor_core::StopError> {
        self.inner.stop(reason).await
    }
}
