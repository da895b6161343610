//! Naming actors at start through any registry: the via contract (R-NAME-5).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::error::{CallError, DowncastError, RegisterError, StopError};
use crate::exit::ExitReason;
use crate::handler::{Call, Cast};
use crate::pid::Pid;

/// A registry that can name actors: OTP's via module (`register_name`, `unregister_name`,
/// `whereis_name`).
///
/// Implement it for a cheap-to-clone handle and pass the registry and a key to
/// [`Name::via`]; [`Start::name`](crate::Start::name) then registers the new actor from
/// inside its own task before `init` runs, and the runtime unregisters it the moment the
/// actor dies, before links and monitors hear of the exit. `send` is not part of the
/// contract: resolve with `whereis_name` and use the typed reference.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use actor_core::{Actor, Context, InitError, Name, NameRegistry, Pid, RegisterError, StartError};
///
/// #[derive(Clone, Default)]
/// struct Names(Arc<Mutex<HashMap<String, Pid>>>);
///
/// impl NameRegistry<String> for Names {
///     fn register_name(&self, key: &String, pid: &Pid) -> Result<(), RegisterError> {
///         let mut map = self.0.lock().unwrap();
///         match map.get(key) {
///             Some(holder) if holder.is_alive() => Err(RegisterError::Taken(holder.clone())),
///             _ => { map.insert(key.clone(), pid.clone()); Ok(()) }
///         }
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
/// let name = Name::via(names.clone(), "worker".to_string());
/// let w = Worker::start(()).name(name.clone()).await.unwrap();
/// assert_eq!(name.whereis(), Some(w.pid()));
/// assert!(matches!(Worker::start(()).name(name.clone()).await, Err(StartError::AlreadyStarted(_))));
///
/// // Naming a running actor; the name goes when the actor does.
/// let late = Name::via(names.clone(), "late".to_string());
/// let w2 = Worker::start(()).await.unwrap();
/// late.register(&w2.pid()).unwrap();
/// w2.pid().kill();
/// w2.pid().exited().await;
/// assert_eq!(late.whereis(), None);
/// # }
/// ```
pub trait NameRegistry<K>: Send + Sync + 'static {
    /// Registers `pid` under `key`. Called from inside the new actor's task, with its own pid.
    ///
    /// # Errors
    ///
    /// [`RegisterError::Taken`] with the holder if a live actor holds `key`.
    fn register_name(&self, key: &K, pid: &Pid) -> Result<(), RegisterError>;

    /// Removes `key` if `pid` holds it. Called when the actor dies; the pid makes sure a new
    /// holder that replaced a dead one is left alone.
    fn unregister_name(&self, key: &K, pid: &Pid);

    /// The live actor holding `key`, if any.
    fn whereis_name(&self, key: &K) -> Option<Pid>;

    /// For a registry whose registrations take a round trip (one kept on other machines):
    /// the registration of a new actor at start, to be awaited from inside its task before
    /// `init` runs, with the same outcome as [`register_name`](Self::register_name).
    /// `None`, the default, makes the start call `register_name`.
    ///
    /// Only the start awaits it; [`Name::register`] (naming a running actor) calls
    /// `register_name`.
    fn register_name_async(&self, key: &K, pid: &Pid) -> Option<RegisterFuture> {
        let _ = (key, pid);
        None
    }
}

/// A registration in flight: see [`NameRegistry::register_name_async`].
pub type RegisterFuture = Pin<Box<dyn Future<Output = Result<(), RegisterError>> + Send + 'static>>;

/// A registration name: a key in some [`NameRegistry`], given to an actor at start.
///
/// # Examples
///
/// See [`NameRegistry`].
#[derive(Clone)]
pub struct Name {
    inner: Arc<dyn ErasedName>,
}

trait ErasedName: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn register(&self, pid: &Pid) -> Result<(), RegisterError>;
    fn register_async(&self, pid: &Pid) -> Option<RegisterFuture>;
    fn unregister(&self, pid: &Pid);
    fn whereis(&self) -> Option<Pid>;
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

struct Via<R, K> {
    registry: R,
    key: K,
}

impl<R, K> ErasedName for Via<R, K>
where
    R: NameRegistry<K>,
    K: fmt::Debug + Send + Sync + 'static,
{
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn register(&self, pid: &Pid) -> Result<(), RegisterError> {
        self.registry.register_name(&self.key, pid)
    }

    fn register_async(&self, pid: &Pid) -> Option<RegisterFuture> {
        self.registry.register_name_async(&self.key, pid)
    }

    fn unregister(&self, pid: &Pid) {
        self.registry.unregister_name(&self.key, pid);
    }

    fn whereis(&self) -> Option<Pid> {
        self.registry.whereis_name(&self.key)
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.key)
    }
}

impl Name {
    /// `{via, Registry, Key}`: the name `key` in `registry`.
    pub fn via<R, K>(registry: R, key: K) -> Self
    where
        R: NameRegistry<K>,
        K: fmt::Debug + Send + Sync + 'static,
    {
        Self {
            inner: Arc::new(Via { registry, key }),
        }
    }

    /// The live actor holding this name, if any: `GenServer.whereis/1`.
    pub fn whereis(&self) -> Option<Pid> {
        self.inner.whereis()
    }

    /// The typed reference of the live actor holding this name.
    ///
    /// # Errors
    ///
    /// `Ok(None)` if no live actor holds the name, [`DowncastError`] if it is held by an actor
    /// of another type.
    pub fn whereis_ref<A: Actor>(&self) -> Result<Option<ActorRef<A>>, DowncastError> {
        self.whereis().map(|pid| pid.downcast::<A>()).transpose()
    }

    /// Registers a running actor under this name now, as `Process.register/2` does; the name
    /// is released when the actor dies, like a name given at start.
    ///
    /// The actor records the name to release it. A name unregistered in the registry itself
    /// (say `LocalRegistry::unregister`) is dropped from that record the next time the actor
    /// is given a name and the record has doubled in size, so an actor whose names come and
    /// go keeps only about as many as it holds; [`Pid::info`] lists only those it holds.
    /// Registering a name the actor already holds does nothing (OTP's `register/2` raises
    /// `badarg` there).
    ///
    /// # Errors
    ///
    /// [`RegisterError::Taken`] if a live actor holds the name, [`RegisterError::NoProc`] if
    /// `pid` is dead, or what the registry refuses.
    ///
    /// # Examples
    ///
    /// See [`NameRegistry`].
    pub fn register(&self, pid: &Pid) -> Result<(), RegisterError> {
        if !pid.is_alive() {
            return Err(RegisterError::NoProc);
        }
        // Already this actor's: nothing to claim, and nothing more for the actor to record
        // (each record is a name to release at exit), whatever the registry.
        if self.whereis().is_some_and(|holder| holder == *pid) {
            return Ok(());
        }
        self.claim(pid)?;
        if !pid.inner.core().add_name(self.clone()) {
            // The actor died meanwhile; its cleanup has run, so release the name here.
            self.release(pid);
            return Err(RegisterError::NoProc);
        }
        Ok(())
    }

    /// Calls the actor holding this name: `GenServer.call({:via, …}, msg)`. The name is
    /// resolved first; nothing is sent when it does not resolve (R-NAME-6).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] with the message when no live actor holds the name,
    /// [`CallError::WrongType`] with the message when the one that does is not an `A`,
    /// otherwise as [`ActorRef::call`].
    ///
    /// # Cancel safety
    ///
    /// As [`ActorRef::call`].
    pub async fn call<A, M>(&self, msg: M) -> Result<<A as Call<M>>::Reply, CallError<M>>
    where
        A: Call<M>,
        M: Send + 'static,
    {
        self.call_timeout::<A, M>(msg, crate::DEFAULT_CALL_TIMEOUT)
            .await
    }

    /// Calls the actor holding this name, waiting at most `timeout` for the reply:
    /// `GenServer.call({:via, …}, msg, timeout)`. `Duration::MAX` waits forever.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`CallError::Timeout`] when no reply came in time.
    ///
    /// # Cancel safety
    ///
    /// As [`ActorRef::call`].
    ///
    /// # Panics
    ///
    /// As [`ActorRef::call_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use actor_core::{Actor, Call, CallReply, Context, InitError, Name, NameRegistry, Pid, RegisterError};
    ///
    /// #[derive(Clone, Default)]
    /// struct Names(Arc<Mutex<HashMap<String, Pid>>>);
    /// impl NameRegistry<String> for Names {
    ///     fn register_name(&self, key: &String, pid: &Pid) -> Result<(), RegisterError> {
    ///         self.0.lock().unwrap().insert(key.clone(), pid.clone());
    ///         Ok(())
    ///     }
    ///     fn unregister_name(&self, key: &String, _: &Pid) { self.0.lock().unwrap().remove(key); }
    ///     fn whereis_name(&self, key: &String) -> Option<Pid> {
    ///         self.0.lock().unwrap().get(key).filter(|p| p.is_alive()).cloned()
    ///     }
    /// }
    ///
    /// struct Echo;
    /// impl Actor for Echo {
    ///     type Args = ();
    ///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Echo) }
    /// }
    /// impl Call<u32> for Echo {
    ///     type Reply = u32;
    ///     async fn handle_call(&mut self, n: u32, _: &mut Context<Self>) -> CallReply<u32> {
    ///         CallReply::Reply(n)
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let echo = Name::via(Names::default(), "echo".to_string());
    /// Echo::start(()).name(echo.clone()).await.unwrap();
    /// let n = echo.call_timeout::<Echo, _>(7, Duration::from_millis(100)).await.unwrap();
    /// assert_eq!(n, 7);
    /// # }
    /// ```
    pub async fn call_timeout<A, M>(
        &self,
        msg: M,
        timeout: std::time::Duration,
    ) -> Result<<A as Call<M>>::Reply, CallError<M>>
    where
        A: Call<M>,
        M: Send + 'static,
    {
        match self.whereis_ref::<A>() {
            Ok(Some(actor)) => actor.call_timeout(msg, timeout).await,
            Ok(None) => Err(CallError::NoProc(msg)),
            Err(wrong) => Err(CallError::WrongType(msg, Box::new(wrong))),
        }
    }

    /// Casts to the actor holding this name: `GenServer.cast({:via, …}, msg)`. When the name
    /// does not resolve, the message is dropped silently, as OTP does (R-GS-10).
    ///
    /// # Errors
    ///
    /// [`DowncastError`] when the name is held by a live actor of another type than `A`: a
    /// mistake in the program, not a race, so it is not dropped silently. Nothing is sent.
    pub fn cast<A, M>(&self, msg: M) -> Result<(), DowncastError>
    where
        A: Cast<M>,
        M: Send + 'static,
    {
        if let Some(actor) = self.whereis_ref::<A>()? {
            actor.cast(msg);
        }
        Ok(())
    }

    /// Stops the actor holding this name: `GenServer.stop({:via, …}, reason)`.
    ///
    /// # Errors
    ///
    /// [`StopError::NoProc`] when the name does not resolve, otherwise as
    /// [`ActorRef::stop`].
    ///
    /// # Cancel safety
    ///
    /// As [`ActorRef::stop`].
    pub async fn stop(&self, reason: ExitReason) -> Result<(), StopError> {
        match self.whereis() {
            Some(pid) => pid.stop_timeout(reason, std::time::Duration::MAX).await,
            None => Err(StopError::NoProc),
        }
    }

    pub(crate) fn claim(&self, pid: &Pid) -> Result<(), RegisterError> {
        self.inner.register(pid)
    }

    /// The registration at start: the registry's round trip if it has one.
    pub(crate) async fn claim_at_start(&self, pid: &Pid) -> Result<(), RegisterError> {
        match self.inner.register_async(pid) {
            Some(registering) => registering.await,
            None => self.inner.register(pid),
        }
    }

    pub(crate) fn release(&self, pid: &Pid) {
        self.inner.unregister(pid);
    }

    /// Whether this is the name `key` in `registry`.
    pub(crate) fn is_via<R, K>(&self, registry: &R, key: &K) -> bool
    where
        R: PartialEq + 'static,
        K: PartialEq + 'static,
    {
        self.inner
            .as_any()
            .downcast_ref::<Via<R, K>>()
            .is_some_and(|via| via.registry == *registry && via.key == *key)
    }

    /// Which registration this is: clones of one `Name` share it.
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.inner).cast::<()>() as usize
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.describe(f)
    }
}
