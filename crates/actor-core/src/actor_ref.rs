//! `ActorRef<A>`: the typed, cloneable handle users hold.

use std::fmt;
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::Duration;

use crate::actor::Actor;
use crate::cell::{ActorCell, PushError};
use crate::context::current_id;
use crate::envelope::{CallEnvelope, CastEnvelope, InfoEnvelope};
use crate::error::{CallError, StopError, TrySendError};
use crate::exit::ExitReason;
use crate::handler::{Call, Cast, Info};
use crate::pid::{ActorId, Pid};
use crate::stream::{StreamMessage, StreamRef};
use crate::system::{ActorInfo, Status};
use crate::timer::{self, TimerRef};

/// The default call timeout, as in `GenServer.call/2`: 5 seconds.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A typed reference to a running (or dead) actor of type `A`.
///
/// Cheap to clone (one `Arc`), `Send` and `Sync`. The message methods are checked at compile
/// time: `call(M)` needs `A: Call<M>` and returns that impl's reply type, `cast(M)` needs
/// `A: Cast<M>`, `send_info(M)` needs `A: Info<M>`.
///
/// Holding a reference does not keep the actor running, and an actor does not stop when its
/// references are dropped: like an Erlang process, it runs until it stops or is stopped.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Call, CallReply, Cast, Context, Flow, InitError};
///
/// struct Counter(u64);
/// struct Inc;
/// struct Get;
///
/// impl Actor for Counter {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Counter(0)) }
/// }
/// impl Cast<Inc> for Counter {
///     async fn handle_cast(&mut self, _: Inc, _: &mut Context<Self>) -> Flow { self.0 += 1; Flow::Ok }
/// }
/// impl Call<Get> for Counter {
///     type Reply = u64;
///     async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<u64> { CallReply::Reply(self.0) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let counter = Counter::start(()).await.unwrap();
/// let other = counter.clone();
/// other.cast(Inc);
/// other.cast(Inc);
/// assert_eq!(counter.call(Get).await.unwrap(), 2);
/// # }
/// ```
pub struct ActorRef<A: Actor> {
    pub(crate) cell: Arc<ActorCell<A>>,
}

impl<A: Actor> ActorRef<A> {
    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.core.id
    }

    /// The untyped pid, for links, monitors, exit signals and registries.
    pub fn pid(&self) -> Pid {
        self.cell.pid()
    }

    /// `true` until the actor has fully terminated.
    pub fn is_alive(&self) -> bool {
        !self.cell.core.is_dead()
    }

    /// The actor's lifecycle status.
    pub fn status(&self) -> Status {
        self.cell.core.status()
    }

    /// Messages queued and not yet taken by the actor.
    pub fn mailbox_len(&self) -> usize {
        self.cell.mailbox.len()
    }

    /// A snapshot of the actor's state, for observers and tests.
    pub fn info(&self) -> ActorInfo {
        self.cell
            .core
            .info(std::any::type_name::<A>(), self.cell.mailbox.len())
    }

    /// A reference that does not keep the actor's record alive.
    pub fn downgrade(&self) -> WeakActorRef<A> {
        WeakActorRef {
            cell: Arc::downgrade(&self.cell),
        }
    }

    /// Calls the actor with the default timeout of 5 s: `GenServer.call/2`.
    ///
    /// # Errors
    ///
    /// One flat [`CallError`]: `NoProc(msg)` if the actor is dead (nothing was sent),
    /// `CallingSelf(msg)` if an actor calls itself, `Timeout` if no reply came in time (a late
    /// reply is dropped, never delivered), or `Exit(reason)` if the actor exited before
    /// replying. The caller never hangs on a dead actor.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the actor still handles it, and its
    /// reply is dropped.
    ///
    /// # Panics
    ///
    /// On a tokio runtime built without a time driver (`enable_time` or `enable_all`), with
    /// tokio's message "timers are disabled", as every tokio timer: the 5 s deadline needs
    /// one. [`call_timeout`](Self::call_timeout) with `Duration::MAX` needs no timer.
    // Not an `async fn`: the future of the one below is returned as it is, rather than
    // awaited in one more state machine that would move the message and the result once more
    // per call.
    #[allow(
        clippy::manual_async_fn,
        reason = "an `async fn` would wrap the call's future in one more layer"
    )]
    pub fn call<M>(&self, msg: M) -> impl Future<Output = Result<A::Reply, CallError<M>>>
    where
        A: Call<M>,
        M: Send + 'static,
    {
        self.call_timeout(msg, DEFAULT_CALL_TIMEOUT)
    }

    /// Calls the actor, waiting at most `timeout` for the reply: `GenServer.call/3`. Use
    /// `Duration::MAX` to wait forever (`:infinity`).
    ///
    /// A call never times out before `timeout` has passed. On a multi-thread runtime a
    /// timeout of a second or more (the 5 s default among them) is counted in 10 ms ticks of
    /// the runtime's call clock, which spares every call a clock read; it ends at most about
    /// a tick, plus the runtime's delay in running its ticker, after the deadline. A shorter
    /// timeout, or any on a current-thread runtime (whose clock a test may pause), ends at
    /// tokio's timer resolution (1 ms) after it.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    ///
    /// # Cancel safety
    ///
    /// As [`call`](Self::call).
    ///
    /// # Panics
    ///
    /// As [`call`](Self::call), unless `timeout` is `Duration::MAX`.
    // Not an `async fn`, as `call`: without metrics, the call's own future is returned as it
    // is.
    #[allow(
        clippy::manual_async_fn,
        reason = "an `async fn` would wrap the call's future in one more layer"
    )]
    pub fn call_timeout<M>(
        &self,
        msg: M,
        timeout: Duration,
    ) -> impl Future<Output = Result<A::Reply, CallError<M>>>
    where
        A: Call<M>,
        M: Send + 'static,
    {
        #[cfg(feature = "metrics")]
        {
            async move {
                let started = std::time::Instant::now();
                let result = self.call_inner(msg, timeout).await;
                let error = match &result {
                    Ok(_) => None,
                    Err(CallError::Timeout { .. }) => Some("timeout"),
                    Err(CallError::Exit(_)) => Some("exit"),
                    Err(_) => Some("noproc"),
                };
                crate::metrics::call_done(std::any::type_name::<A>(), started, error);
                result
            }
        }
        #[cfg(not(feature = "metrics"))]
        self.call_inner(msg, timeout)
    }

    /// The call itself, with no metrics.
    async fn call_inner<M>(&self, msg: M, timeout: Duration) -> Result<A::Reply, CallError<M>>
    where
        A: Call<M>,
        M: Send + 'static,
    {
        if current_id() == Some(self.id()) {
            return Err(CallError::CallingSelf(msg));
        }
        // `Duration::MAX` (`:infinity`) needs no deadline, and no clock read; a reply there
        // at once needs no clock read either.
        let mut limit = crate::call_timer::Deadline::after(timeout);
        // The reply channel holds the caller's waker from the start: the first wait for the
        // reply then only reads its state.
        let (tx, rx) =
            std::future::poll_fn(|cx| Poll::Ready(crate::reply::channel(Some(cx.waker())))).await;
        if let Err(msg) = self.cell.push_call(CallEnvelope::new(msg, tx)) {
            return Err(CallError::NoProc(msg));
        }
        // The steps of `request::await_reply`, written out rather than awaited as a nested
        // future, on this hot path (docs/benchmarks.md says why).
        let core = &self.cell.core;
        let outcome = crate::call_timer::timeout(&mut limit, rx).await;
        match outcome {
            Ok(Ok(reply)) => Ok(reply),
            // The reply slot was dropped unanswered: the actor died before replying, or the
            // handler dropped a deferred reply. Like OTP's monitor, wait for the exit until
            // the deadline.
            Ok(Err(_)) => {
                if let Some(reason) = core.final_reason() {
                    return Err(CallError::Exit(reason));
                }
                let exited = crate::call_timer::timeout(&mut limit, core.wait_exit())
                    .await
                    .ok();
                exited.map_or_else(
                    || Err(CallError::Timeout { callee: self.pid() }),
                    |reason| Err(CallError::Exit(reason)),
                )
            }
            Err(_) => Err(CallError::Timeout { callee: self.pid() }),
        }
    }

    /// Puts a call request in the actor's mailbox and returns without waiting for the reply:
    /// `gen_server:send_request/2`. The request is queued when this returns, so it is
    /// handled before anything this caller sends the actor afterwards; wait for the reply
    /// with [`PendingReply::wait`](crate::PendingReply::wait).
    ///
    /// # Errors
    ///
    /// `NoProc(msg)` if the actor is dead, `CallingSelf(msg)` if an actor sends itself a
    /// request; nothing was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use actor_core::{Actor, Call, CallReply, Cast, Context, Flow, InitError};
    ///
    /// struct Counter(u64);
    /// struct Inc;
    /// struct Get;
    /// impl Actor for Counter {
    ///     type Args = ();
    ///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Counter(0)) }
    /// }
    /// impl Cast<Inc> for Counter {
    ///     async fn handle_cast(&mut self, _: Inc, _: &mut Context<Self>) -> Flow { self.0 += 1; Flow::Ok }
    /// }
    /// impl Call<Get> for Counter {
    ///     type Reply = u64;
    ///     async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<u64> { CallReply::Reply(self.0) }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let counter = Counter::start(()).await.unwrap();
    /// let pending = counter.send_request(Get).unwrap(); // queued before the cast below
    /// counter.cast(Inc);
    /// assert_eq!(pending.wait(Duration::from_secs(5)).await.unwrap(), 0);
    /// # }
    /// ```
    pub fn send_request<M>(&self, msg: M) -> Result<crate::PendingReply<A::Reply>, CallError<M>>
    where
        A: Call<M>,
        M: Send + 'static,
    {
        if current_id() == Some(self.id()) {
            return Err(CallError::CallingSelf(msg));
        }
        let (tx, rx) = crate::reply::channel(None);
        if let Err(msg) = self.cell.push_call(CallEnvelope::new(msg, tx)) {
            return Err(CallError::NoProc(msg));
        }
        Ok(crate::PendingReply {
            rx,
            callee: self.pid(),
        })
    }

    /// Casts `msg`: `GenServer.cast/2`. Never blocks and never fails; a cast to a dead actor
    /// is dropped silently (R-GS-10). On a bounded mailbox the bound is not applied (nothing
    /// is lost); use [`try_cast`](Self::try_cast) for back-pressure.
    pub fn cast<M>(&self, msg: M)
    where
        A: Cast<M>,
        M: Send + 'static,
    {
        let _ = self.cell.push_msg::<M, _>(CastEnvelope(Some(msg)), false);
    }

    /// Casts `msg` if the mailbox has room.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when a bounded mailbox is full, [`TrySendError::Closed`] when the
    /// actor is dead; both hand the message back.
    pub fn try_cast<M>(&self, msg: M) -> Result<(), TrySendError<M>>
    where
        A: Cast<M>,
        M: Send + 'static,
    {
        self.cell
            .push_msg(CastEnvelope(Some(msg)), true)
            .map_err(|e| match e {
                PushError::Full(m) => TrySendError::Full(m),
                PushError::Closed(m) => TrySendError::Closed(m),
            })
    }

    /// Sends `msg` to the actor's [`Info<M>`] handler: `Kernel.send/2`. Never blocks, never
    /// fails; dropped silently if the actor is dead.
    pub fn send_info<M>(&self, msg: M)
    where
        A: Info<M>,
        M: Send + 'static,
    {
        let _ = self.cell.push_msg::<M, _>(InfoEnvelope(Some(msg)), false);
    }

    /// Sends `msg` to the [`Info<M>`] handler if the mailbox has room.
    ///
    /// # Errors
    ///
    /// As [`try_cast`](Self::try_cast).
    pub fn try_send_info<M>(&self, msg: M) -> Result<(), TrySendError<M>>
    where
        A: Info<M>,
        M: Send + 'static,
    {
        self.cell
            .push_msg(InfoEnvelope(Some(msg)), true)
            .map_err(|e| match e {
                PushError::Full(m) => TrySendError::Full(m),
                PushError::Closed(m) => TrySendError::Closed(m),
            })
    }

    /// Stops the actor and waits for it to exit: `GenServer.stop/3` with an infinite
    /// timeout. The stop is handled in mailbox order; `terminate` runs with `reason` whether
    /// or not the actor traps exits.
    ///
    /// # Errors
    ///
    /// `NoProc` if the actor is dead, `CallingSelf` if an actor stops itself this way (use
    /// [`Context::stop`](crate::Context::stop)), `Exit(other)` if it exited with another
    /// reason (for example `terminate` panicked).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the stop.
    pub async fn stop(&self, reason: ExitReason) -> Result<(), StopError> {
        self.pid().stop_timeout(reason, Duration::MAX).await
    }

    /// As [`stop`](Self::stop), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// As [`stop`](Self::stop), plus `Timeout`.
    ///
    /// # Cancel safety
    ///
    /// As [`stop`](Self::stop).
    ///
    /// # Panics
    ///
    /// With a finite `timeout`, on a runtime without a time driver (as
    /// [`call`](Self::call)).
    pub async fn stop_timeout(
        &self,
        reason: ExitReason,
        timeout: Duration,
    ) -> Result<(), StopError> {
        self.pid().stop_timeout(reason, timeout).await
    }

    /// Sends `msg` to the actor's [`Info<M>`] handler after `after`.
    pub fn send_after<M>(&self, after: Duration, msg: M) -> TimerRef
    where
        A: Info<M>,
        M: Send + 'static,
    {
        timer::send_after(self, after, msg)
    }

    /// Attaches `stream` to the actor: each item arrives at its
    /// [`Info<StreamMessage<T>>`](Info) handler as [`StreamMessage::Item`], in the stream's
    /// order and in mailbox order with everything else, then [`StreamMessage::End`] once the
    /// stream ends. The stream is polled on a task of its own and dropped when the actor
    /// exits or the returned [`StreamRef`] is cancelled.
    ///
    /// Items are queued as they come (as `send_info` queues them), whatever the mailbox's
    /// bound: a stream faster than its actor grows the mailbox. Throttle or batch such a
    /// stream before attaching it.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn`.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Actor, Call, CallReply, Context, Flow, Info, InitError, StreamMessage};
    ///
    /// struct Sum { total: u64, done: bool }
    /// impl Actor for Sum {
    ///     type Args = ();
    ///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
    ///         Ok(Sum { total: 0, done: false })
    ///     }
    /// }
    /// impl Info<StreamMessage<u64>> for Sum {
    ///     async fn handle_info(&mut self, msg: StreamMessage<u64>, _: &mut Context<Self>) -> Flow {
    ///         match msg {
    ///             StreamMessage::Item(n) => self.total += n,
    ///             StreamMessage::End => self.done = true,
    ///         }
    ///         Flow::Ok
    ///     }
    /// }
    /// struct Total;
    /// impl Call<Total> for Sum {
    ///     type Reply = Option<u64>;
    ///     async fn handle_call(&mut self, _: Total, _: &mut Context<Self>) -> CallReply<Option<u64>> {
    ///         CallReply::Reply(self.done.then_some(self.total))
    ///     }
    /// }
    /// # struct Iter<I>(I);
    /// # impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    /// #     type Item = I::Item;
    /// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>)
    /// #         -> std::task::Poll<Option<I::Item>> { std::task::Poll::Ready(self.0.next()) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sum = Sum::start(()).await.unwrap();
    /// let numbers = Iter(1..=4u64); // any `futures_core::Stream`, such as a tokio_stream's
    /// sum.attach_stream(numbers);
    /// while sum.call(Total).await.unwrap().is_none() {
    ///     tokio::task::yield_now().await;
    /// }
    /// assert_eq!(sum.call(Total).await.unwrap(), Some(10));
    /// # }
    /// ```
    pub fn attach_stream<S>(&self, stream: S) -> StreamRef
    where
        A: Info<StreamMessage<S::Item>>,
        S: futures_core::Stream + Send + 'static,
        S::Item: Send + 'static,
    {
        crate::stream::attach(self, stream)
    }

    /// Sends a clone of `msg` to the actor's [`Info<M>`] handler every `period` until
    /// cancelled or the actor exits.
    pub fn send_interval<M>(&self, period: Duration, msg: M) -> TimerRef
    where
        A: Info<M>,
        M: Clone + Send + 'static,
    {
        timer::send_interval(self, period, msg)
    }
}

impl Pid {
    /// Stops the actor behind this pid and waits for its exit, as
    /// [`ActorRef::stop_timeout`] does. Use `Duration::MAX` for no timeout.
    ///
    /// # Errors
    ///
    /// As [`ActorRef::stop_timeout`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the stop.
    ///
    /// # Panics
    ///
    /// With a finite `timeout`, on a runtime without a time driver (as
    /// [`ActorRef::call`]).
    pub async fn stop_timeout(
        &self,
        reason: ExitReason,
        timeout: Duration,
    ) -> Result<(), StopError> {
        if current_id() == Some(self.id()) {
            return Err(StopError::CallingSelf);
        }
        let core = self.inner.core();
        if core.is_dead() || !self.inner.push_stop(reason.clone()) {
            return Err(StopError::NoProc);
        }
        let mut limit = crate::call_timer::Deadline::after(timeout);
        let exited = crate::call_timer::timeout(&mut limit, core.wait_exit())
            .await
            .ok();
        match exited {
            None => Err(StopError::Timeout),
            Some(r) if r == reason => Ok(()),
            Some(other) => Err(StopError::Exit(other)),
        }
    }
}

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        Self {
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> PartialEq for ActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<A: Actor> Eq for ActorRef<A> {}

impl<A: Actor> std::hash::Hash for ActorRef<A> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorRef<{}>({})", std::any::type_name::<A>(), self.id())
    }
}

impl<A: Actor> From<ActorRef<A>> for Pid {
    fn from(r: ActorRef<A>) -> Self {
        Self { inner: r.cell }
    }
}

/// A reference that does not keep the actor's record alive; upgrade it to use it.
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
/// let actor = Idle::start(()).await.unwrap();
/// let weak = actor.downgrade();
/// assert_eq!(weak.upgrade(), Some(actor));
/// # }
/// ```
pub struct WeakActorRef<A: Actor> {
    cell: Weak<ActorCell<A>>,
}

impl<A: Actor> WeakActorRef<A> {
    /// The strong reference, if the actor's record still exists.
    pub fn upgrade(&self) -> Option<ActorRef<A>> {
        self.cell.upgrade().map(|cell| ActorRef { cell })
    }
}

impl<A: Actor> Clone for WeakActorRef<A> {
    fn clone(&self) -> Self {
        Self {
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> fmt::Debug for WeakActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WeakActorRef(..)")
    }
}
