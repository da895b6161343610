//! The static supervisor's front: its spec, its builder and its handle (R-SUP-4 … R-SUP-10).
//! It runs on the one engine with [`Flavour::Static`]: children by id, in start order, with
//! the `one_for_one`, `one_for_all` and `rest_for_one` strategies.

use actor_core::{ActorRef, Pid};

use crate::builder::{
    Setup, common_setters, from_start_error, handle_methods, handle_type, start_actor,
};
use crate::engine::{ChildKey, Config, Flavour};
use crate::error::{ChildError, SupervisorStartError};
use crate::flags::{AutoShutdown, Strategy, SupervisorFlags};
use crate::server::{
    DeleteChild, GetChildSpec, RestartChild, StartChild, Supervisor, SupervisorArgs,
    TerminateChild, request,
};
use crate::spec::{ChildId, ChildSpec, ChildType, started};

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

impl Supervisor {
    /// A builder for a static supervisor with Elixir's default flags.
    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder {
            setup: Setup::new(Flavour::Static),
            children: Vec::new(),
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
        start_actor(module_args::<S>(args), None, true)
            .await
            .map(SupervisorRef::new)
            .map_err(from_start_error)
    }

    /// A child spec that runs a module-based supervisor under another supervisor: type
    /// supervisor, shutdown `Infinity`, permanent.
    pub fn child_spec_module<S: Supervise>(id: impl Into<ChildId>, args: S::Args) -> ChildSpec
    where
        S::Args: Clone + Sync,
    {
        ChildSpec::new(id, move || {
            let args = module_args::<S>(args.clone());
            async move { started(start_actor(args, None, true).await) }
        })
        .child_type(ChildType::Supervisor)
    }

    /// As [`child_spec_module`](Self::child_spec_module), with the supervisor registered
    /// under `name` at every start.
    pub fn child_spec_module_named<S: Supervise>(
        id: impl Into<ChildId>,
        args: S::Args,
        name: actor_core::Name,
    ) -> ChildSpec
    where
        S::Args: Clone + Sync,
    {
        ChildSpec::new(id, move || {
            let (args, name) = (module_args::<S>(args.clone()), name.clone());
            async move { started(start_actor(args, Some(name), true).await) }
        })
        .child_type(ChildType::Supervisor)
    }
}

/// A module-based supervisor's arguments: its `init` runs in the new supervisor.
fn module_args<S: Supervise>(args: S::Args) -> SupervisorArgs {
    SupervisorArgs::new(move || S::init(args).map(static_config))
}

/// A static supervisor's configuration and children from its spec.
fn static_config(spec: SupervisorSpec) -> (Config, Vec<ChildSpec>) {
    let mut config = Config::new(Flavour::Static);
    config.flags = spec.flags;
    (config, spec.children)
}

/// Configures and starts a [`Supervisor`].
///
/// # Examples
///
/// See [`Supervisor`].
#[must_use = "a builder does nothing until started"]
#[derive(Debug)]
pub struct SupervisorBuilder {
    setup: Setup,
    children: Vec<ChildSpec>,
}

impl SupervisorBuilder {
    common_setters!();

    /// The restart strategy (default `OneForOne`).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.setup.config.flags.strategy = strategy;
        self
    }

    /// Auto shutdown (default `Never`).
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.setup.config.flags.auto_shutdown = auto_shutdown;
        self
    }

    /// Tells `hook` when this supervisor gives up (for an `Application`).
    pub(crate) fn on_give_up(mut self, hook: crate::engine::GiveUpHook) -> Self {
        self.setup.config.on_give_up = Some(hook);
        self
    }

    /// Adds a child at the end of the start order.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
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
        let inner = self.setup.start(self.children, true).await?;
        Ok(SupervisorRef::new(inner))
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
        let inner = self.setup.start(self.children, false).await?;
        Ok(SupervisorRef::new(inner))
    }

    /// A child spec that runs this supervisor under another supervisor: type supervisor,
    /// shutdown `Infinity`, permanent. Each restart starts it afresh from this configuration.
    pub fn into_child_spec(self, id: impl Into<ChildId>) -> ChildSpec {
        self.setup.into_child_spec(id, self.children)
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
#[derive(Clone, Debug)]
pub struct SupervisorRef {
    inner: ActorRef<Supervisor>,
    /// How long each request waits for the supervisor's answer (`with_timeout`).
    timeout: std::time::Duration,
}

handle_type!(SupervisorRef);

impl SupervisorRef {
    /// Wraps the actor reference of a supervisor (for example one found by name).
    pub fn from_actor_ref(inner: ActorRef<Supervisor>) -> Self {
        Self::new(inner)
    }

    handle_methods!();
    handle_methods!(from Static);

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
        request(&self.inner, self.timeout, StartChild(spec)).await?
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
        request(
            &self.inner,
            self.timeout,
            TerminateChild(ChildKey::Id(id.into())),
        )
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
        request(&self.inner, self.timeout, RestartChild(id.into())).await?
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
        request(&self.inner, self.timeout, DeleteChild(id.into())).await?
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
        request(
            &self.inner,
            self.timeout,
            GetChildSpec(ChildKey::Id(id.into())),
        )
        .await?
    }
}
