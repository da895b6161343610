//! DynamicSupervisor's front (R-DYN): children started on demand, addressed by pid,
//! restarted one for one, all stopped at once. It runs on the one engine with
//! [`Flavour::Dynamic`].

use std::time::Duration;

use actor_core::{ActorRef, ExitReason, Pid};

use crate::builder::{Setup, common_setters, dynamic_setters};
use crate::engine::{ChildKey, Flavour};
use crate::error::{ChildError, SupervisorStartError};
use crate::info::{ChildCounts, ChildInfo};
use crate::server::{
    CountChildren, GetChildSpec, StartChild, Supervisor, TerminateChild, WhichChildren, request,
};
use crate::spec::{ChildId, ChildSpec, ExtraArgs};

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
#[derive(Debug)]
pub struct DynamicSupervisor {
    _private: (),
}

impl DynamicSupervisor {
    /// A builder with Elixir's defaults (3 restarts in 5 s, no `max_children`).
    pub fn builder() -> DynamicBuilder {
        DynamicBuilder {
            setup: Setup::new(Flavour::Dynamic),
        }
    }
}

/// Configures and starts a [`DynamicSupervisor`].
///
/// # Examples
///
/// See [`DynamicSupervisor`].
#[must_use = "a builder does nothing until started"]
#[derive(Debug)]
pub struct DynamicBuilder {
    setup: Setup,
}

impl DynamicBuilder {
    common_setters!();
    dynamic_setters!();

    /// All options at once.
    pub fn options(mut self, options: DynamicOptions) -> Self {
        let flags = &mut self.setup.config.flags;
        flags.intensity = options.intensity;
        flags.period = options.period;
        self.setup.config.max_children = options.max_children;
        self.setup.config.extra = options.extra_arguments;
        self
    }

    /// Starts it linked to the calling actor, if any.
    ///
    /// # Errors
    ///
    /// [`SupervisorStartError`] for invalid flags (a zero period, a strategy other than
    /// `one_for_one`, an auto shutdown) or a name clash.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<DynamicSupervisorRef, SupervisorStartError> {
        let inner = self.setup.start(Vec::new(), true).await?;
        Ok(DynamicSupervisorRef { inner })
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
        let inner = self.setup.start(Vec::new(), false).await?;
        Ok(DynamicSupervisorRef { inner })
    }

    /// A child spec running this dynamic supervisor under another supervisor (type
    /// supervisor, shutdown `Infinity`). A restart starts it empty, as in OTP.
    pub fn into_child_spec(self, id: impl Into<ChildId>) -> ChildSpec {
        self.setup.into_child_spec(id, Vec::new())
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
    pub(crate) inner: ActorRef<Supervisor>,
}

impl DynamicSupervisorRef {
    /// The supervisor's pid.
    pub fn pid(&self) -> Pid {
        self.inner.pid()
    }

    /// The underlying actor reference.
    pub fn actor_ref(&self) -> &ActorRef<Supervisor> {
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
        request(&self.inner, StartChild(spec)).await?
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
        request(&self.inner, TerminateChild(ChildKey::Pid(pid.clone()))).await?
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
        request(&self.inner, WhichChildren).await
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
        request(&self.inner, CountChildren).await
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
        request(&self.inner, GetChildSpec(ChildKey::Pid(pid.clone()))).await?
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
