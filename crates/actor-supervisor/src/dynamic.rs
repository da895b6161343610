//! DynamicSupervisor's front (R-DYN): children started on demand, addressed by pid,
//! restarted one for one, all stopped at once. It runs on the one engine with
//! [`Flavour::Dynamic`].

use actor_core::{ActorRef, Pid};

use crate::builder::{Setup, common_setters, dynamic_setters, handle_methods, handle_type};
use crate::engine::Flavour;
use crate::error::{ChildError, SupervisorStartError};
use crate::server::{StartChild, Supervisor, request};
use crate::spec::{ChildId, ChildSpec};

/// A dynamic supervisor: starts children on demand, keyed by pid, restarts them one for one
/// within its intensity, and stops them all at once.
///
/// [`DynamicSupervisorRef`] is its handle; [`SimpleOneForOne`](crate::SimpleOneForOne) is the simple_one_for_one
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
        Ok(DynamicSupervisorRef::new(inner))
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
        Ok(DynamicSupervisorRef::new(inner))
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
#[derive(Clone, Debug)]
pub struct DynamicSupervisorRef {
    inner: ActorRef<Supervisor>,
    /// How long each request waits for the supervisor's answer (`with_timeout`).
    timeout: std::time::Duration,
}

handle_type!(DynamicSupervisorRef);

impl DynamicSupervisorRef {
    handle_methods!(by_pid);
    handle_methods!(from Dynamic);

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
        request(&self.inner, self.timeout, StartChild(spec)).await?
    }
}
