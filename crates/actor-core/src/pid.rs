//! Untyped process identifiers.

use std::any::Any;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::cell::{ActorCell, Process};
use crate::error::DowncastError;
use crate::exit::ExitReason;
use crate::name::NameRegistry;
use crate::signal;
use crate::system::{ActorInfo, Status};

/// The unique number of an actor, stable for its whole life and never reused in a program run.
///
/// It prints the way Erlang prints a pid: `<0.42.0>`.
///
/// # Examples
///
/// ```
/// # use actor_core::{Actor, Context, InitError};
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Args = ();
/// #     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let a = Idle::start(()).await.unwrap();
/// let b = Idle::start(()).await.unwrap();
/// assert_ne!(a.id(), b.id());
/// assert!(a.id().to_string().starts_with("<0."));
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ActorId(u64);

impl ActorId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number inside the id.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The id with this number, as [`as_u64`](Self::as_u64) gave it (to find an actor from
    /// an id read back from a log or a URL, with [`find_actor`](crate::find_actor)).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::ActorId;
    /// let id = ActorId::from_u64(42);
    /// assert_eq!(id.as_u64(), 42);
    /// assert_eq!(id.to_string(), "<0.42.0>");
    /// ```
    pub fn from_u64(n: u64) -> Self {
        Self(n)
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.0>", self.0)
    }
}

/// An untyped reference to an actor of any type: what links, monitors, exit signals and
/// name registries work with.
///
/// A `Pid` compares, hashes and orders by [`ActorId`]. Turn it back into a typed
/// [`ActorRef`] with [`Pid::downcast`].
///
/// # Examples
///
/// ```
/// # use actor_core::{Actor, Context, InitError, ExitReason};
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Args = ();
/// #     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let actor = Idle::start(()).await.unwrap();
/// let pid = actor.pid();
/// assert!(pid.is_alive());
/// assert!(pid.downcast::<Idle>().is_ok());
///
/// pid.kill();
/// assert_eq!(pid.exited().await, ExitReason::Killed);
/// assert!(!pid.is_alive());
/// # }
/// ```
#[derive(Clone)]
pub struct Pid {
    pub(crate) inner: Arc<dyn Process>,
}

impl Pid {
    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.inner.core().id
    }

    /// `true` until the actor has fully terminated.
    pub fn is_alive(&self) -> bool {
        !self.inner.core().is_dead()
    }

    /// The actor's lifecycle status.
    pub fn status(&self) -> Status {
        self.inner.core().status()
    }

    /// The Rust type name of the actor.
    pub fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    /// Messages queued and not yet taken: [`ActorInfo::mailbox_len`](crate::ActorInfo)
    /// without the rest of the snapshot.
    pub fn mailbox_len(&self) -> usize {
        self.inner.mailbox_len()
    }

    /// For [`NameRegistry`] implementations: the registry removed this actor's name `key`
    /// by itself (its own `unregister`, not the actor's exit), so the actor stops recording
    /// it for release at exit. Matches names made with [`Name::via`](crate::Name::via) over
    /// an equal `registry` and an equal `key`, and forgets one record (the oldest: one made
    /// by a registration since the removal stays); does nothing if there is none.
    ///
    /// Optional: an actor also drops, now and then, the names that no longer resolve to it
    /// (see [`Name::register`](crate::Name::register)); telling it at once saves it the
    /// lookups.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::{Arc, Mutex};
    /// use actor_core::{Actor, Context, InitError, Name, NameRegistry, Pid, RegisterError};
    ///
    /// #[derive(Clone, Default)]
    /// struct Names(Arc<Mutex<HashMap<String, Pid>>>);
    ///
    /// // Clones of one registry are the same registry.
    /// impl PartialEq for Names {
    ///     fn eq(&self, other: &Self) -> bool { Arc::ptr_eq(&self.0, &other.0) }
    /// }
    ///
    /// impl Names {
    ///     /// `unregister/1`: removes the name whoever holds it.
    ///     fn unregister(&self, key: &str) {
    ///         let removed = self.0.lock().unwrap().remove_entry(key);
    ///         if let Some((key, pid)) = removed {
    ///             pid.forget_name(self, &key);
    ///         }
    ///     }
    /// }
    ///
    /// impl NameRegistry<String> for Names {
    ///     fn register_name(&self, key: &String, pid: &Pid) -> Result<(), RegisterError> {
    ///         self.0.lock().unwrap().insert(key.clone(), pid.clone());
    ///         Ok(())
    ///     }
    ///     fn unregister_name(&self, key: &String, pid: &Pid) {
    ///         let mut map = self.0.lock().unwrap();
    ///         if map.get(key) == Some(pid) { map.remove(key); }
    ///     }
    ///     fn whereis_name(&self, key: &String) -> Option<Pid> {
    ///         self.0.lock().unwrap().get(key).filter(|p| p.is_alive()).cloned()
    ///     }
    /// }
    ///
    /// struct Worker;
    /// impl Actor for Worker {
    ///     type Args = ();
    ///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let names = Names::default();
    /// let w = Worker::start(()).await.unwrap();
    /// Name::via(names.clone(), "job".to_string()).register(&w.pid()).unwrap();
    /// assert_eq!(w.pid().info().names, vec!["\"job\"".to_string()]);
    /// names.unregister("job");
    /// assert!(w.pid().info().names.is_empty());
    /// # }
    /// ```
    pub fn forget_name<R, K>(&self, registry: &R, key: &K)
    where
        R: NameRegistry<K> + PartialEq,
        K: PartialEq + 'static,
    {
        self.inner
            .core()
            .forget_name(|name| name.is_via(registry, key));
    }

    /// A snapshot of the actor's state, for observers and tests.
    pub fn info(&self) -> ActorInfo {
        self.inner
            .core()
            .info(self.inner.type_name(), self.inner.mailbox_len())
    }

    /// Sends an exit signal with `reason`, as `Process.exit(pid, reason)` does.
    ///
    /// The sender is the calling actor, if this runs inside one. What the receiver does follows
    /// OTP: a trapping actor gets the signal as an [`Exit`](crate::Exit) message, a
    /// non-trapping one dies with `reason`, unless `reason` is `Normal` (ignored). To kill an
    /// actor whatever it traps, use [`kill`](Self::kill). Signalling a dead actor does nothing.
    pub fn exit(&self, reason: ExitReason) {
        signal::send_exit(self, crate::context::current_pid(), reason);
    }

    /// Sends the untrappable kill signal: the actor dies with [`ExitReason::Killed`] at its
    /// next await point, without running `terminate`.
    pub fn kill(&self) {
        signal::kill(self);
    }

    /// Waits until the actor has fully terminated and returns its exit reason.
    ///
    /// When this returns, the actor's names are released and its links and monitors have been
    /// signalled. For an actor that is already dead it returns at once.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future has no effect on the actor.
    pub async fn exited(&self) -> ExitReason {
        self.inner.core().wait_exit().await
    }

    /// The typed reference, if this pid belongs to an actor of type `A`.
    ///
    /// # Errors
    ///
    /// [`DowncastError`] when the actor is of another type; it names both types.
    pub fn downcast<A: Actor>(&self) -> Result<ActorRef<A>, DowncastError> {
        let any: Arc<dyn Any + Send + Sync> = self.inner.clone().into_any();
        match any.downcast::<ActorCell<A>>() {
            Ok(cell) => Ok(ActorRef { cell }),
            Err(_) => Err(DowncastError {
                pid: self.id(),
                expected: std::any::type_name::<A>(),
                actual: self.type_name(),
            }),
        }
    }
}

impl PartialEq for Pid {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Pid {}

impl Hash for Pid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl PartialOrd for Pid {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pid {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id().cmp(&other.id())
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pid({})", self.id())
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.id(), f)
    }
}
