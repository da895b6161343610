//! Child specifications (R-CS).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actor_core::{Actor, Name, Pid, StartError};

use crate::error::SpecError;
use crate::flags::AutoShutdown;

/// When a child is restarted (R-RST-1).
///
/// # Examples
///
/// ```
/// use actor_supervisor::Restart;
/// assert_eq!(Restart::default(), Restart::Permanent);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Restart {
    /// Always restarted.
    #[default]
    Permanent,
    /// Restarted only after an abnormal exit (not `Normal`, `Shutdown`, `ShutdownWith`).
    Transient,
    /// Never restarted; its spec is removed when it exits.
    Temporary,
}

/// How a child is stopped (R-SHUT-2).
///
/// Written as `"brutal_kill"`, `"infinity"` or a duration in the one configuration
/// format, `"500ms"`, `"5s"`, `"2m"` (`docs/configuration.md`), as `#[derive(Child)]` takes
/// it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_supervisor::Shutdown;
/// let s = Shutdown::Timeout(Duration::from_secs(5));
/// assert_eq!(s, Shutdown::default_for(actor_supervisor::ChildType::Worker));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// Killed at once (`brutal_kill`); it exits `Killed`, `terminate` does not run.
    BrutalKill,
    /// Sent `Shutdown`, then killed if it has not exited within the duration.
    Timeout(Duration),
    /// Sent `Shutdown`, and waited for as long as it takes (`infinity`).
    Infinity,
}

impl Shutdown {
    /// OTP's default: 5 s for a worker, `Infinity` for a supervisor.
    pub fn default_for(child_type: ChildType) -> Self {
        match child_type {
            ChildType::Worker => Self::Timeout(Duration::from_secs(5)),
            ChildType::Supervisor => Self::Infinity,
        }
    }
}

/// A worker or a supervisor (R-CS).
///
/// # Examples
///
/// ```
/// assert_eq!(actor_supervisor::ChildType::default(), actor_supervisor::ChildType::Worker);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ChildType {
    /// A worker (the default).
    #[default]
    Worker,
    /// A supervisor.
    Supervisor,
}

/// A child's id: unique within a static supervisor, ignored by dynamic ones.
///
/// # Examples
///
/// ```
/// use actor_supervisor::ChildId;
/// let id = ChildId::from("queue");
/// assert_eq!(id.as_str(), "queue");
/// assert_eq!(id.to_string(), "queue");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct ChildId(Arc<str>);

impl ChildId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ChildId {
    fn from(s: &str) -> Self {
        Self(Arc::from(s))
    }
}

impl From<String> for ChildId {
    fn from(s: String) -> Self {
        Self(Arc::from(s))
    }
}

impl fmt::Debug for ChildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ChildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Turns the result of starting an actor into what a start function returns: the pid,
/// `Ok(None)` for ignore (`StartError::Ignored`), or the error.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{started, ChildSpec};
///
/// struct Maybe;
/// impl Actor for Maybe {
///     type Args = bool;
///     async fn init(run: bool, _: &mut Context<Self>) -> Result<Self, InitError> {
///         if run { Ok(Maybe) } else { Err(InitError::Ignore) }
///     }
/// }
/// let spec = ChildSpec::new("maybe", || async { started(Maybe::start_link(false).await) });
/// # let _ = spec;
/// ```
pub fn started<A: Actor>(
    result: Result<actor_core::ActorRef<A>, StartError>,
) -> Result<Option<Pid>, StartError> {
    match result {
        Ok(actor) => Ok(Some(actor.pid())),
        Err(StartError::Ignored) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The future a start function returns: `Ok(Some(pid))` for a started child, `Ok(None)` for
/// `ignore`, or the start error.
pub type StartFuture = Pin<Box<dyn Future<Output = Result<Option<Pid>, StartError>> + Send>>;

type StartFn = Arc<dyn Fn(&ExtraArgs) -> StartFuture + Send + Sync>;

/// The `extra_arguments` of a dynamic supervisor, passed to every start of its children.
///
/// # Examples
///
/// See [`ChildSpec::with_extra`].
#[derive(Clone, Default)]
pub struct ExtraArgs(Option<Arc<dyn std::any::Any + Send + Sync>>);

impl ExtraArgs {
    pub(crate) fn new<E: Send + Sync + 'static>(extra: E) -> Self {
        Self(Some(Arc::new(extra)))
    }

    /// The extra arguments, if they are an `E`.
    pub fn get<E: 'static>(&self) -> Option<&E> {
        self.0.as_deref().and_then(|a| a.downcast_ref::<E>())
    }
}

impl fmt::Debug for ExtraArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "ExtraArgs(..)"
        } else {
            "ExtraArgs(none)"
        })
    }
}

/// How to start, restart and stop one child: OTP's child spec map.
///
/// The start function must create the child **linked to the caller** (the supervisor), as
/// [`Actor::start_link`] does; it is called again for every restart. The other fields have
/// OTP's defaults: `Permanent`, `Worker`, 5 s shutdown for a worker and `Infinity` for a
/// supervisor, not significant.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{ChildSpec, Restart, Shutdown};
///
/// struct Queue { _items: Vec<u32> }
/// impl Actor for Queue {
///     type Args = Vec<u32>;
///     async fn init(items: Vec<u32>, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Queue { _items: items }) }
/// }
///
/// let spec = ChildSpec::worker::<Queue>("queue", vec![1, 2, 3])
///     .restart(Restart::Transient)
///     .shutdown(Shutdown::Timeout(Duration::from_secs(2)));
/// assert_eq!(spec.id().as_str(), "queue");
/// assert_eq!(spec.get_restart(), Restart::Transient);
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    id: ChildId,
    start: StartFn,
    restart: Restart,
    shutdown: Option<Shutdown>,
    child_type: ChildType,
    significant: bool,
}

impl ChildSpec {
    /// A spec with a start function that returns the started child's pid (`None` for
    /// `ignore`).
    ///
    /// A start function that panics, while building its future or while it runs, is a
    /// failed start (`StartError::Failed(ExitReason::Panic(..))`), as OTP's supervisor takes
    /// an exception in a start function as `{error, Reason}`: the supervisor and its other
    /// children carry on, and a restart that panics is retried.
    pub fn new<F, Fut>(id: impl Into<ChildId>, start: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Pid>, StartError>> + Send + 'static,
    {
        Self::from_fn(
            id.into(),
            Arc::new(move |_: &ExtraArgs| -> StartFuture { Box::pin(start()) }),
        )
    }

    /// A spec whose start function also receives the dynamic supervisor's
    /// `extra_arguments` (R-DYN-2: prepended to every start, re-applied on restart). When the
    /// supervisor has none, or of another type, the start fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Actor, Context, InitError};
    /// use actor_supervisor::ChildSpec;
    ///
    /// struct Conn { _pool: String, _user: u64 }
    /// impl Actor for Conn {
    ///     type Args = (String, u64);
    ///     async fn init((pool, user): Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
    ///         Ok(Conn { _pool: pool, _user: user })
    ///     }
    /// }
    ///
    /// let user = 7;
    /// let spec = ChildSpec::with_extra("conn", move |pool: String| async move {
    ///     actor_supervisor::started(Conn::start_link((pool, user)).await)
    /// });
    /// # let _ = spec;
    /// ```
    pub fn with_extra<E, F, Fut>(id: impl Into<ChildId>, start: F) -> Self
    where
        E: Clone + Send + Sync + 'static,
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Pid>, StartError>> + Send + 'static,
    {
        Self::from_fn(
            id.into(),
            Arc::new(move |extra: &ExtraArgs| -> StartFuture {
                match extra.get::<E>() {
                    Some(e) => Box::pin(start(e.clone())),
                    None => Box::pin(std::future::ready(Err(StartError::Failed(
                        actor_core::ExitReason::msg(
                            "the supervisor's extra_arguments are missing or of another type",
                        ),
                    )))),
                }
            }),
        )
    }

    /// A worker spec that starts actor `A` with `A::start_link(args.clone())`.
    pub fn worker<A>(id: impl Into<ChildId>, args: A::Args) -> Self
    where
        A: Actor,
        A::Args: Clone + Sync,
    {
        Self::new(id, move || {
            let args = args.clone();
            async move { started(A::start_link(args).await) }
        })
    }

    /// A worker spec that starts actor `A` registered under `name`:
    /// `A::start_link(args.clone()).name(name.clone())`, Elixir's
    /// `{A, args}` with `name: {:via, …}`. The name is claimed before `init` at every start,
    /// restarts included; a name held by another live actor fails the start with
    /// `AlreadyStarted`.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Actor, Context, InitError, Name, NameRegistry, Pid, RegisterError};
    /// use actor_supervisor::{ChildSpec, DynamicSupervisor};
    /// # use std::{collections::HashMap, sync::{Arc, Mutex}};
    /// # #[derive(Clone, Default)]
    /// # struct Names(Arc<Mutex<HashMap<u64, Pid>>>);
    /// # impl NameRegistry<u64> for Names {
    /// #     fn register_name(&self, k: &u64, p: &Pid) -> Result<(), RegisterError> {
    /// #         self.0.lock().unwrap().insert(*k, p.clone()); Ok(())
    /// #     }
    /// #     fn unregister_name(&self, k: &u64, _: &Pid) { self.0.lock().unwrap().remove(k); }
    /// #     fn whereis_name(&self, k: &u64) -> Option<Pid> {
    /// #         self.0.lock().unwrap().get(k).filter(|p| p.is_alive()).cloned()
    /// #     }
    /// # }
    ///
    /// struct Room;
    /// impl Actor for Room {
    ///     type Args = u64;
    ///     async fn init(_: u64, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Room) }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let rooms = DynamicSupervisor::builder().start_link().await.unwrap();
    /// let names = Names::default(); // any `NameRegistry`, such as actor_registry's
    /// let name = Name::via(names, 7u64);
    /// let pid = rooms.start_child(ChildSpec::worker_named::<Room>("room", 7, name.clone())).await.unwrap();
    /// assert_eq!(name.whereis(), pid);
    /// # }
    /// ```
    pub fn worker_named<A>(id: impl Into<ChildId>, args: A::Args, name: Name) -> Self
    where
        A: Actor,
        A::Args: Clone + Sync,
    {
        Self::new(id, move || {
            let (args, name) = (args.clone(), name.clone());
            async move { started(A::start_link(args).name(name).await) }
        })
    }

    fn from_fn(id: ChildId, start: StartFn) -> Self {
        Self {
            id,
            start,
            restart: Restart::Permanent,
            shutdown: None,
            child_type: ChildType::Worker,
            significant: false,
        }
    }

    /// Sets the restart type.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets the shutdown; without it the default for the child type applies.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Sets the child type.
    pub fn child_type(mut self, child_type: ChildType) -> Self {
        self.child_type = child_type;
        self
    }

    /// Marks the child significant for auto shutdown (R-AUTO).
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Changes the id.
    pub fn id_as(mut self, id: impl Into<ChildId>) -> Self {
        self.id = id.into();
        self
    }

    /// Applies options (from a configuration file, for example) over this spec.
    pub fn with_options(mut self, options: &ChildOptions) -> Self {
        if let Some(id) = &options.id {
            self.id = id.clone();
        }
        if let Some(r) = options.restart {
            self.restart = r;
        }
        if let Some(s) = options.shutdown {
            self.shutdown = Some(s);
        }
        if let Some(t) = options.child_type {
            self.child_type = t;
        }
        if let Some(s) = options.significant {
            self.significant = s;
        }
        self
    }

    /// The id.
    pub fn id(&self) -> &ChildId {
        &self.id
    }

    /// The restart type (set with [`restart`](Self::restart)).
    pub fn get_restart(&self) -> Restart {
        self.restart
    }

    /// The shutdown (set with [`shutdown`](Self::shutdown)), with the default for the child
    /// type filled in (R-CS-3).
    pub fn get_shutdown(&self) -> Shutdown {
        self.shutdown
            .unwrap_or_else(|| Shutdown::default_for(self.child_type))
    }

    /// The child type (set with [`child_type`](Self::child_type)).
    pub fn get_child_type(&self) -> ChildType {
        self.child_type
    }

    /// Whether the child is significant (set with [`significant`](Self::significant)).
    pub fn is_significant(&self) -> bool {
        self.significant
    }

    /// Checks the spec on its own and against the supervisor's auto shutdown (R-CS-2).
    ///
    /// # Errors
    ///
    /// [`SpecError`] naming the first problem found.
    pub fn validate(&self, auto_shutdown: AutoShutdown) -> Result<(), SpecError> {
        if self.id.as_str().is_empty() {
            return Err(SpecError::MissingId);
        }
        if self.significant && self.restart == Restart::Permanent {
            return Err(SpecError::SignificantPermanent(self.id.clone()));
        }
        if self.significant && auto_shutdown == AutoShutdown::Never {
            return Err(SpecError::SignificantWithoutAutoShutdown(self.id.clone()));
        }
        Ok(())
    }

    /// Runs the start function. A panic in it, while it builds its future or while that
    /// future runs, is caught and returned as `StartError::Failed(ExitReason::Panic(..))`, as
    /// OTP's supervisor catches an exception in a start function and takes it as
    /// `{error, Reason}`: the supervisor and its other children carry on.
    pub(crate) fn start(
        &self,
        extra: &ExtraArgs,
    ) -> impl Future<Output = Result<Option<Pid>, StartError>> + Send + 'static {
        let caught = actor_core::catch_panic(|| (self.start)(extra));
        async move {
            caught
                .await
                .unwrap_or_else(|panic| Err(StartError::Failed(panic)))
        }
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.get_shutdown())
            .field("type", &self.child_type)
            .field("significant", &self.significant)
            .finish_non_exhaustive()
    }
}

/// The data part of a child spec, for configuration files: every field optional, applied
/// with [`ChildSpec::with_options`].
///
/// # Examples
///
/// ```
/// use actor_supervisor::{ChildOptions, Restart, Shutdown};
/// let opts: ChildOptions = serde_json::from_str(
///     r#"{"id": "queue", "restart": "transient", "shutdown": "2s", "type": "worker"}"#,
/// ).unwrap();
/// assert_eq!(opts.restart, Some(Restart::Transient));
/// assert_eq!(opts.shutdown, Some(Shutdown::Timeout(std::time::Duration::from_secs(2))));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ChildOptions {
    /// The id.
    pub id: Option<ChildId>,
    /// The restart type.
    pub restart: Option<Restart>,
    /// The shutdown.
    pub shutdown: Option<Shutdown>,
    /// The child type.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub child_type: Option<ChildType>,
    /// Whether the child is significant.
    pub significant: Option<bool>,
}

#[cfg(feature = "serde")]
impl serde::Serialize for Shutdown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::BrutalKill => s.serialize_str("brutal_kill"),
            Self::Infinity => s.serialize_str("infinity"),
            Self::Timeout(d) => s.collect_str(&crate::duration::Display(*d)),
        }
    }
}
