//! DynamicSupervisor (R-DYN) and the simple_one_for_one flavour (R-SOFO): children started on
//! demand, keyed by pid, one_for_one restarts, all stopped at once.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use actor_core::{
    Actor, ActorId, ActorRef, Call, CallReply, Cast, Context, Exit, ExitReason, Flow, InitError,
    Name, Pid, StartError,
};
use tokio::time::Instant;

use crate::error::{ChildError, FlagsError, SpecError, SupervisorStartError};
use crate::intensity::RestartIntensity;
use crate::shutdown::stop_all_at_once;
use crate::spec::{ChildId, ChildSpec, ChildType, ExtraArgs, Restart, Shutdown, StartFuture};
use crate::supervisor::{ChildCounts, ChildInfo, ChildPid};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Dynamic,
    Simple,
}

/// Options of a dynamic supervisor: Elixir's `DynamicSupervisor.init/1` keys.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_supervisor::DynamicOptions;
/// let opts = DynamicOptions::default();
/// assert_eq!((opts.intensity, opts.period, opts.max_children), (3, Duration::from_secs(5), None));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DynamicOptions {
    /// Restarts tolerated within `period` (default 3).
    pub intensity: u32,
    /// The intensity window (default 5 s).
    pub period: Duration,
    /// At most this many children, restarting ones included (default: no limit).
    pub max_children: Option<usize>,
    /// Passed to every start of every child whose spec asks for it
    /// ([`ChildSpec::with_extra`]), restarts included.
    pub extra_arguments: ExtraArgs,
}

impl Default for DynamicOptions {
    fn default() -> Self {
        Self {
            intensity: 3,
            period: Duration::from_secs(5),
            max_children: None,
            extra_arguments: ExtraArgs::default(),
        }
    }
}

#[derive(Debug)]
struct DynChild {
    spec: ChildSpec,
    /// The current pid, or `None` while restarting.
    pid: Option<Pid>,
    /// The pid it is known by in `by_pid` (the last one it ran with).
    key: ActorId,
}

/// A dynamic supervisor: starts children on demand, keyed by pid, restarts them one for one
/// within its intensity, and stops them all at once.
///
/// [`DynamicSupervisorRef`] is its handle; [`SimpleOneForOne`] is the simple_one_for_one
/// flavour over the same actor.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{ChildSpec, ChildError, DynamicSupervisor};
///
/// struct Player { _name: String }
/// impl Actor for Player {
///     type Args = String;
///     async fn init(name: String, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Player { _name: name }) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let players = DynamicSupervisor::builder().max_children(2).start_link().await.unwrap();
/// let ann = players.start_child(ChildSpec::worker::<Player>("player", "ann".into())).await.unwrap().unwrap();
/// players.start_child(ChildSpec::worker::<Player>("player", "bob".into())).await.unwrap();
/// // ids are ignored: two children with the same id are fine; the limit is not
/// assert!(matches!(
///     players.start_child(ChildSpec::worker::<Player>("player", "cy".into())).await,
///     Err(ChildError::MaxChildren)
/// ));
/// players.terminate_child(&ann).await.unwrap();
/// assert_eq!(players.count_children().await.unwrap().active, 1);
/// # }
/// ```
pub struct DynamicSupervisor {
    mode: Mode,
    max_children: Option<usize>,
    extra: ExtraArgs,
    intensity: RestartIntensity,
    children: HashMap<u64, DynChild>,
    by_pid: HashMap<ActorId, u64>,
    next_slot: u64,
}

impl fmt::Debug for DynamicSupervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicSupervisor")
            .field("mode", &self.mode)
            .field("children", &self.children.len())
            .field("max_children", &self.max_children)
            .finish_non_exhaustive()
    }
}

/// The arguments the dynamic supervisor actor starts with.
pub struct DynamicArgs {
    mode: Mode,
    options: DynamicOptions,
}

impl fmt::Debug for DynamicArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicArgs")
            .field("mode", &self.mode)
            .field("options", &self.options)
            .finish()
    }
}

impl DynamicSupervisor {
    /// A builder with Elixir's defaults (3 restarts in 5 s, no `max_children`).
    pub fn builder() -> DynamicBuilder {
        DynamicBuilder {
            options: DynamicOptions::default(),
            name: None,
        }
    }

    fn insert(&mut self, spec: ChildSpec, pid: Pid) {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.by_pid.insert(pid.id(), slot);
        self.children.insert(
            slot,
            DynChild {
                spec,
                key: pid.id(),
                pid: Some(pid),
            },
        );
    }

    fn remove(&mut self, slot: u64) -> Option<DynChild> {
        let child = self.children.remove(&slot)?;
        self.by_pid.remove(&child.key);
        Some(child)
    }

    async fn start_child(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        if spec.id().as_str().is_empty() {
            return Err(SpecError::MissingId.into());
        }
        if spec.is_significant() {
            return Err(SpecError::SignificantNotSupported.into());
        }
        if self
            .max_children
            .is_some_and(|max| self.children.len() >= max)
        {
            return Err(ChildError::MaxChildren);
        }
        match spec.start(&self.extra).await {
            Ok(Some(pid)) => {
                self.insert(spec, pid.clone());
                Ok(Some(pid))
            }
            // R-DYN-2 / R-SOFO-1: ignore stores nothing, whatever the restart type.
            Ok(None) => Ok(None),
            Err(StartError::AlreadyStarted(pid)) => Err(ChildError::AlreadyStarted(pid)),
            Err(reason) => Err(ChildError::StartFailed {
                id: spec.id().clone(),
                reason,
            }),
        }
    }

    async fn terminate_child(
        &mut self,
        pid: &Pid,
        ctx: &mut Context<Self>,
    ) -> Result<(), ChildError> {
        let Some(&slot) = self.by_pid.get(&pid.id()) else {
            // R-SOFO-3: simple_one_for_one says ok for a dead pid; R-DYN-3: not_found.
            return if self.mode == Mode::Simple && !pid.is_alive() {
                Ok(())
            } else {
                Err(ChildError::NotFound)
            };
        };
        let Some(child) = self.remove(slot) else {
            return Err(ChildError::NotFound);
        };
        if let Some(pid) = child.pid {
            ctx.unlink(&pid);
            crate::shutdown::stop_child(
                &pid,
                child.spec.shutdown_value(),
                child.spec.restart_type(),
            )
            .await;
        }
        Ok(())
    }

    async fn restart(&mut self, slot: u64, ctx: &mut Context<Self>) -> Flow {
        if !self.intensity.add_restart(Instant::now()) {
            tracing::error!(supervisor = %ctx.pid(), "restart intensity exceeded; shutting down");
            return Flow::Stop(ExitReason::Shutdown);
        }
        let Some(child) = self.children.get(&slot) else {
            return Flow::Ok;
        };
        tracing::warn!(supervisor = %ctx.pid(), child = %child.key, restarts_in_window = self.intensity.in_window(), "restarting child");
        let spec = child.spec.clone();
        match spec.start(&self.extra).await {
            Ok(Some(pid)) => {
                if let Some(child) = self.children.get_mut(&slot) {
                    self.by_pid.remove(&child.key);
                    child.key = pid.id();
                    child.pid = Some(pid.clone());
                    self.by_pid.insert(pid.id(), slot);
                }
                Flow::Ok
            }
            Ok(None) => {
                // R-DYN-5: a restart returning ignore removes the child.
                self.remove(slot);
                Flow::Ok
            }
            Err(e) => {
                tracing::warn!(supervisor = %ctx.pid(), error = %e, "restart failed; will retry");
                if let Some(child) = self.children.get_mut(&slot) {
                    child.pid = None;
                }
                ctx.myself().cast(RetrySlot(slot));
                Flow::Ok
            }
        }
    }

    fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .values()
            .map(|c| ChildInfo {
                id: None,
                pid: c
                    .pid
                    .clone()
                    .map_or(ChildPid::Restarting, ChildPid::Running),
                child_type: c.spec.kind(),
            })
            .collect()
    }

    fn count_children(&self) -> ChildCounts {
        let mut counts = ChildCounts {
            specs: if self.mode == Mode::Simple {
                1
            } else {
                self.children.len()
            },
            ..ChildCounts::default()
        };
        for c in self.children.values() {
            if c.pid.is_some() {
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

impl Actor for DynamicSupervisor {
    type Args = DynamicArgs;

    async fn init(args: DynamicArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        if args.options.period.is_zero() {
            let e = SupervisorStartError::Flags(FlagsError::InvalidPeriod(args.options.period));
            return Err(InitError::Stop(ExitReason::error(e)));
        }
        Ok(DynamicSupervisor {
            mode: args.mode,
            max_children: args.options.max_children,
            extra: args.options.extra_arguments,
            intensity: RestartIntensity::new(args.options.intensity, args.options.period),
            children: HashMap::new(),
            by_pid: HashMap::new(),
            next_slot: 0,
        })
    }

    /// R-SHUT-4: every child is signalled at once.
    async fn terminate(&mut self, _reason: &ExitReason, ctx: &mut Context<Self>) {
        let mut running = Vec::new();
        for child in self.children.values() {
            if let Some(pid) = &child.pid {
                ctx.unlink(pid);
                running.push((pid.clone(), child.spec.shutdown_value()));
            }
        }
        self.children.clear();
        self.by_pid.clear();
        stop_all_at_once(running).await;
    }

    async fn handle_exit(&mut self, exit: Exit, ctx: &mut Context<Self>) -> Flow {
        let Some(from) = exit.from else {
            return Flow::Ok;
        };
        let Some(&slot) = self.by_pid.get(&from.id()) else {
            return Flow::Ok;
        };
        let Some(child) = self.children.get(&slot) else {
            return Flow::Ok;
        };
        if child.pid.as_ref() != Some(&from) {
            return Flow::Ok;
        }
        match (child.spec.restart_type(), exit.reason.is_benign()) {
            (Restart::Temporary, _) | (Restart::Transient, true) => {
                self.remove(slot);
                Flow::Ok
            }
            _ => {
                tracing::warn!(supervisor = %ctx.pid(), child = %from, reason = %exit.reason, "child terminated");
                if let Some(child) = self.children.get_mut(&slot) {
                    child.pid = None;
                }
                self.restart(slot, ctx).await
            }
        }
    }
}

pub(crate) struct StartDyn(pub(crate) ChildSpec);
pub(crate) struct TerminateDyn(pub(crate) Pid);
pub(crate) struct WhichDyn;
pub(crate) struct CountDyn;
pub(crate) struct SpecOfDyn(pub(crate) Pid);
struct RetrySlot(u64);

impl Call<StartDyn> for DynamicSupervisor {
    type Reply = Result<Option<Pid>, ChildError>;
    async fn handle_call(
        &mut self,
        StartDyn(spec): StartDyn,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.start_child(spec).await)
    }
}

impl Call<TerminateDyn> for DynamicSupervisor {
    type Reply = Result<(), ChildError>;
    async fn handle_call(
        &mut self,
        TerminateDyn(pid): TerminateDyn,
        ctx: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        CallReply::Reply(self.terminate_child(&pid, ctx).await)
    }
}

impl Call<WhichDyn> for DynamicSupervisor {
    type Reply = Vec<ChildInfo>;
    async fn handle_call(&mut self, _: WhichDyn, _: &mut Context<Self>) -> CallReply<Self::Reply> {
        CallReply::Reply(self.which_children())
    }
}

impl Call<CountDyn> for DynamicSupervisor {
    type Reply = ChildCounts;
    async fn handle_call(&mut self, _: CountDyn, _: &mut Context<Self>) -> CallReply<Self::Reply> {
        CallReply::Reply(self.count_children())
    }
}

impl Call<SpecOfDyn> for DynamicSupervisor {
    type Reply = Result<ChildSpec, ChildError>;
    async fn handle_call(
        &mut self,
        SpecOfDyn(pid): SpecOfDyn,
        _: &mut Context<Self>,
    ) -> CallReply<Self::Reply> {
        let spec = self
            .by_pid
            .get(&pid.id())
            .and_then(|s| self.children.get(s))
            .map(|c| c.spec.clone());
        CallReply::Reply(spec.ok_or(ChildError::NotFound))
    }
}

impl Cast<RetrySlot> for DynamicSupervisor {
    async fn handle_cast(&mut self, RetrySlot(slot): RetrySlot, ctx: &mut Context<Self>) -> Flow {
        match self.children.get(&slot) {
            Some(child) if child.pid.is_none() => self.restart(slot, ctx).await,
            _ => Flow::Ok,
        }
    }
}

// ---- the handle ------------------------------------------------------------------------------

/// Configures and starts a [`DynamicSupervisor`].
///
/// # Examples
///
/// See [`DynamicSupervisor`].
#[must_use = "a builder does nothing until started"]
#[derive(Debug)]
pub struct DynamicBuilder {
    options: DynamicOptions,
    name: Option<Name>,
}

impl DynamicBuilder {
    /// At most `max_restarts` restarts within `period` (default 3 in 5 s).
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.options.intensity = max_restarts;
        self.options.period = period;
        self
    }

    /// At most `max` children, restarting ones included.
    pub fn max_children(mut self, max: usize) -> Self {
        self.options.max_children = Some(max);
        self
    }

    /// Extra arguments passed to every start of specs made with [`ChildSpec::with_extra`].
    pub fn extra_arguments<E: Send + Sync + 'static>(mut self, extra: E) -> Self {
        self.options.extra_arguments = ExtraArgs::new(extra);
        self
    }

    /// All options at once.
    pub fn options(mut self, options: DynamicOptions) -> Self {
        self.options = options;
        self
    }

    /// Names the supervisor.
    pub fn name(mut self, name: Name) -> Self {
        self.name = Some(name);
        self
    }

    /// Starts it linked to the calling actor, if any.
    ///
    /// # Errors
    ///
    /// [`SupervisorStartError`] for a zero period or a name clash.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<DynamicSupervisorRef, SupervisorStartError> {
        let args = DynamicArgs {
            mode: Mode::Dynamic,
            options: self.options,
        };
        start_dynamic(args, self.name, true)
            .await
            .map(|inner| DynamicSupervisorRef { inner })
    }

    /// Starts it without a link.
    ///
    /// # Errors
    ///
    /// As [`start_link`](Self::start_link).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start(self) -> Result<DynamicSupervisorRef, SupervisorStartError> {
        let args = DynamicArgs {
            mode: Mode::Dynamic,
            options: self.options,
        };
        start_dynamic(args, self.name, false)
            .await
            .map(|inner| DynamicSupervisorRef { inner })
    }

    /// A child spec running this dynamic supervisor under another supervisor (type
    /// supervisor, shutdown `Infinity`). A restart starts it empty, as in OTP.
    pub fn into_child_spec(self, id: impl Into<ChildId>) -> ChildSpec {
        let options = self.options;
        let name = self.name;
        ChildSpec::new(id, move || {
            let args = DynamicArgs {
                mode: Mode::Dynamic,
                options: options.clone(),
            };
            let name = name.clone();
            async move {
                start_dynamic(args, name, true)
                    .await
                    .map(|s| Some(s.pid()))
                    .map_err(into_start_error)
            }
        })
        .child_type(ChildType::Supervisor)
    }
}

pub(crate) async fn start_dynamic(
    args: DynamicArgs,
    name: Option<Name>,
    link: bool,
) -> Result<ActorRef<DynamicSupervisor>, SupervisorStartError> {
    let mut start = if link {
        DynamicSupervisor::start_link(args)
    } else {
        DynamicSupervisor::start(args)
    };
    if let Some(name) = name {
        start = start.name(name);
    }
    start.await.map_err(|e| match e {
        StartError::Failed(reason) => match reason.downcast_ref::<SupervisorStartError>() {
            Some(inner) => inner.clone(),
            None => SupervisorStartError::Start(StartError::Failed(reason)),
        },
        other => SupervisorStartError::Start(other),
    })
}

pub(crate) fn into_start_error(e: SupervisorStartError) -> StartError {
    match e {
        SupervisorStartError::Start(e) => e,
        other => StartError::Failed(ExitReason::error(other)),
    }
}

pub(crate) fn dynamic_args(options: DynamicOptions) -> DynamicArgs {
    DynamicArgs {
        mode: Mode::Dynamic,
        options,
    }
}

/// The handle of a running [`DynamicSupervisor`] (R-DYN-2 … R-DYN-4). Requests wait without a
/// timeout.
///
/// # Examples
///
/// See [`DynamicSupervisor`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamicSupervisorRef {
    pub(crate) inner: ActorRef<DynamicSupervisor>,
}

impl DynamicSupervisorRef {
    /// The supervisor's pid.
    pub fn pid(&self) -> Pid {
        self.inner.pid()
    }

    /// The underlying actor reference.
    pub fn actor_ref(&self) -> &ActorRef<DynamicSupervisor> {
        &self.inner
    }

    /// Starts a child (R-DYN-2). `Ok(None)` when its start returned ignore (nothing stored).
    ///
    /// # Errors
    ///
    /// `InvalidSpec` (an empty id, or `significant`), `MaxChildren`, `AlreadyStarted(pid)`
    /// (the child's own name is taken), `StartFailed`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        self.inner
            .call_timeout(StartDyn(spec), Duration::MAX)
            .await?
    }

    /// Stops a child and removes it, whatever its restart type (R-DYN-3).
    ///
    /// # Errors
    ///
    /// `NotFound` for a pid that is not a child (dead or alive), or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn terminate_child(&self, pid: &Pid) -> Result<(), ChildError> {
        self.inner
            .call_timeout(TerminateDyn(pid.clone()), Duration::MAX)
            .await?
    }

    /// The children, in no particular order (R-DYN-4).
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, ChildError> {
        Ok(self.inner.call_timeout(WhichDyn, Duration::MAX).await?)
    }

    /// The counts; `specs` is the number of children (R-DYN-4).
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn count_children(&self) -> Result<ChildCounts, ChildError> {
        Ok(self.inner.call_timeout(CountDyn, Duration::MAX).await?)
    }

    /// The spec a child was started with.
    ///
    /// # Errors
    ///
    /// `NotFound`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn child_spec(&self, pid: &Pid) -> Result<ChildSpec, ChildError> {
        self.inner
            .call_timeout(SpecOfDyn(pid.clone()), Duration::MAX)
            .await?
    }

    /// Stops the supervisor: all children at once, then it exits with `reason`.
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

// ---- simple_one_for_one ------------------------------------------------------------------------

type Template<T> = Arc<dyn Fn(T) -> StartFuture + Send + Sync>;

/// A simple_one_for_one supervisor (R-SOFO): one template spec; each
/// [`start_child`](SimpleOneForOne::start_child) appends its arguments to the template's.
///
/// Built on the same actor as [`DynamicSupervisor`], with OTP's simple_one_for_one answers:
/// ignore gives `Ok(None)`, `terminate_child` accepts a dead pid, `count_children` reports
/// one spec. `restart_child`, `delete_child` and termination by id, which OTP can only answer
/// with `{error, simple_one_for_one}`, are not methods of this type.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{Restart, SimpleOneForOne};
///
/// struct Container { _name: String }
/// impl Actor for Container {
///     type Args = String;
///     async fn init(name: String, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Container { _name: name }) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = SimpleOneForOne::builder("container", |name: String| async move {
///         actor_supervisor::started(Container::start_link(name).await)
///     })
///     .restart(Restart::Transient)
///     .intensity(10, Duration::from_secs(100))
///     .start_link()
///     .await
///     .unwrap();
/// let c1 = sup.start_child("container1".to_string()).await.unwrap().unwrap();
/// assert_eq!(sup.count_children().await.unwrap().specs, 1);
/// sup.terminate_child(&c1).await.unwrap();
/// # }
/// ```
pub struct SimpleOneForOne<T> {
    sup: DynamicSupervisorRef,
    id: ChildId,
    template: Template<T>,
    restart: Restart,
    shutdown: Option<Shutdown>,
    child_type: ChildType,
}

impl<T> Clone for SimpleOneForOne<T> {
    fn clone(&self) -> Self {
        Self {
            sup: self.sup.clone(),
            id: self.id.clone(),
            template: self.template.clone(),
            restart: self.restart,
            shutdown: self.shutdown,
            child_type: self.child_type,
        }
    }
}

impl<T> fmt::Debug for SimpleOneForOne<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleOneForOne")
            .field("id", &self.id)
            .field("pid", &self.sup.pid())
            .finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync + 'static> SimpleOneForOne<T> {
    /// A builder from the template: `id` and the start function that receives each
    /// child's arguments.
    pub fn builder<F, Fut>(id: impl Into<ChildId>, start: F) -> SimpleBuilder<T>
    where
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Pid>, StartError>> + Send + 'static,
    {
        SimpleBuilder {
            id: id.into(),
            template: Arc::new(move |args: T| -> StartFuture { Box::pin(start(args)) }),
            restart: Restart::Permanent,
            shutdown: None,
            child_type: ChildType::Worker,
            options: DynamicOptions::default(),
            name: None,
            _args: PhantomData,
        }
    }

    /// Starts a child with the template and `args` (R-SOFO-1). `Ok(None)` when it returned
    /// ignore (not stored). A restart reuses the same `args`.
    ///
    /// # Errors
    ///
    /// `MaxChildren`, `AlreadyStarted(pid)`, `StartFailed`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn start_child(&self, args: T) -> Result<Option<Pid>, ChildError> {
        let template = self.template.clone();
        let mut spec = ChildSpec::new(self.id.clone(), move || template(args.clone()))
            .restart(self.restart)
            .child_type(self.child_type);
        if let Some(s) = self.shutdown {
            spec = spec.shutdown(s);
        }
        self.sup.start_child(spec).await
    }

    /// Stops and removes a child by pid (R-SOFO-3). `Ok` for a dead pid too.
    ///
    /// # Errors
    ///
    /// `NotFound` for a live pid that is not a child, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn terminate_child(&self, pid: &Pid) -> Result<(), ChildError> {
        self.sup.terminate_child(pid).await
    }

    /// The children, in no particular order (R-SOFO-2).
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, ChildError> {
        self.sup.which_children().await
    }

    /// The counts; `specs` is always 1 (R-SOFO-2).
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn count_children(&self) -> Result<ChildCounts, ChildError> {
        self.sup.count_children().await
    }

    /// The spec of a child, with its arguments bound.
    ///
    /// # Errors
    ///
    /// `NotFound`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn child_spec(&self, pid: &Pid) -> Result<ChildSpec, ChildError> {
        self.sup.child_spec(pid).await
    }

    /// The supervisor's pid.
    pub fn pid(&self) -> Pid {
        self.sup.pid()
    }

    /// Stops the supervisor and all its children at once.
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
        self.sup.stop(reason).await
    }
}

/// Configures and starts a [`SimpleOneForOne`].
///
/// # Examples
///
/// See [`SimpleOneForOne`].
#[must_use = "a builder does nothing until started"]
pub struct SimpleBuilder<T> {
    id: ChildId,
    template: Template<T>,
    restart: Restart,
    shutdown: Option<Shutdown>,
    child_type: ChildType,
    options: DynamicOptions,
    name: Option<Name>,
    _args: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for SimpleBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleBuilder")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync + 'static> SimpleBuilder<T> {
    /// The template's restart type (default `Permanent`).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// The template's shutdown (default by child type).
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// The template's child type (default worker).
    pub fn child_type(mut self, child_type: ChildType) -> Self {
        self.child_type = child_type;
        self
    }

    /// At most `max_restarts` restarts within `period` (default 3 in 5 s).
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.options.intensity = max_restarts;
        self.options.period = period;
        self
    }

    /// At most `max` children.
    pub fn max_children(mut self, max: usize) -> Self {
        self.options.max_children = Some(max);
        self
    }

    /// Names the supervisor.
    pub fn name(mut self, name: Name) -> Self {
        self.name = Some(name);
        self
    }

    /// Starts it linked to the calling actor, if any.
    ///
    /// # Errors
    ///
    /// [`SupervisorStartError`] for a zero period or a name clash.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<SimpleOneForOne<T>, SupervisorStartError> {
        let args = DynamicArgs {
            mode: Mode::Simple,
            options: self.options,
        };
        let inner = start_dynamic(args, self.name, true).await?;
        Ok(SimpleOneForOne {
            sup: DynamicSupervisorRef { inner },
            id: self.id,
            template: self.template,
            restart: self.restart,
            shutdown: self.shutdown,
            child_type: self.child_type,
        })
    }
}
