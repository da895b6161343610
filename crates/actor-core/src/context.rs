//! The context handed to every callback: the actor's view of itself and its process.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::envelope::{ContinueEnvelope, Handler, ReplySender, reply_taken, take_reply_sender};
use crate::exit::ExitReason;
use crate::handler::{Call, Continue, Info, ReplyTo};
use crate::pid::{ActorId, Pid};
use crate::signal::{self, MonitorRef};
use crate::timer::{self, TimerRef};

pub(crate) use crate::current::{current_id, current_pid};

/// The actor's own handle to its process, given to every callback.
///
/// Through it an actor finds itself and its parent, asks for a continuation, an idle timeout
/// or a stop after the current callback, traps exits, links, monitors, signals other actors,
/// and sets timers.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, Flow, InitError};
///
/// struct Session;
///
/// impl Actor for Session {
///     type Args = ();
///     async fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, InitError> {
///         ctx.trap_exit(true);                        // exit signals become messages
///         ctx.set_timeout(Duration::from_secs(30));   // handle_timeout if idle for 30 s
///         Ok(Session)
///     }
///     async fn handle_timeout(&mut self, ctx: &mut Context<Self>) -> Flow {
///         ctx.stop(actor_core::ExitReason::Normal);
///         Flow::Ok
///     }
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let session = Session::start(()).await.unwrap();
/// // Nobody talks to it for 30 s, so it stops itself.
/// assert_eq!(session.pid().exited().await, actor_core::ExitReason::Normal);
/// # }
/// ```
pub struct Context<A: Actor> {
    myself: ActorRef<A>,
    pid: Pid,
    parent: Option<Pid>,
    pub(crate) continuation: Option<Box<dyn Handler<A>>>,
    /// The idle timeout asked for by the current callback, in nanoseconds; `NO_TIMEOUT` for
    /// none. One word instead of an `Option<Duration>`'s two: every idle actor carries it.
    timeout_ns: u64,
    /// A stop asked for by [`Context::stop`]: boxed, one word instead of three in every idle
    /// actor's task, for a call made once in an actor's life.
    pub(crate) stop: Option<Box<ExitReason>>,
    /// The monitors this actor holds, allocated on the first one: most actors hold none,
    /// and every idle actor carries its context.
    #[allow(
        clippy::box_collection,
        reason = "one word in every context instead of a HashMap's six; allocated on first use"
    )]
    pub(crate) monitors: Option<Box<HashMap<MonitorRef, Pid>>>,
    /// The reply sender of the call being handled (see [`ReplySender`]).
    pub(crate) reply: Option<ReplySender>,
}

/// `timeout_ns` when no idle timeout is set.
const NO_TIMEOUT: u64 = u64::MAX;

impl<A: Actor> Context<A> {
    /// Takes the idle timeout the last callback asked for, if any.
    pub(crate) fn take_timeout(&mut self) -> Option<Duration> {
        let ns = std::mem::replace(&mut self.timeout_ns, NO_TIMEOUT);
        (ns != NO_TIMEOUT).then(|| Duration::from_nanos(ns))
    }

    pub(crate) fn new(myself: ActorRef<A>, parent: Option<Pid>) -> Self {
        let pid = myself.pid();
        Self {
            myself,
            pid,
            parent,
            continuation: None,
            timeout_ns: NO_TIMEOUT,
            stop: None,
            monitors: None,
            reply: None,
        }
    }

    /// This actor's typed reference.
    pub fn myself(&self) -> &ActorRef<A> {
        &self.myself
    }

    /// This actor's pid.
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.pid.id()
    }

    /// The actor that started this one with `start_link`, if any. A trapping actor whose
    /// parent exits terminates with the parent's reason (R-GS-17).
    pub fn parent(&self) -> Option<&Pid> {
        self.parent.as_ref()
    }

    /// Stops the actor once the current callback returns: `terminate` runs with `reason`,
    /// then the actor exits with it. A stop returned by the callback itself takes precedence.
    pub fn stop(&mut self, reason: ExitReason) {
        self.stop = Some(Box::new(reason));
    }

    /// Runs `Continue<C>::handle_continue(cont)` right after the current callback, before
    /// any queued message: OTP's `{continue, C}` (R-GS-14). Calling it again in the same
    /// callback replaces the earlier continuation.
    pub fn continue_with<C>(&mut self, cont: C)
    where
        A: Continue<C>,
        C: Send + 'static,
    {
        self.continuation = Some(Box::new(ContinueEnvelope(cont)));
    }

    /// Calls [`Actor::handle_timeout`] if no message arrives within `after` of the current
    /// callback's end (R-GS-13). Any message cancels it, a queued message means it never
    /// fires, and it lasts for one wait only: set it again in each callback that wants it.
    pub fn set_timeout(&mut self, after: Duration) {
        // Beyond u64 nanoseconds (584 years) is as good as no timeout, OTP's `infinity`.
        self.timeout_ns = u64::try_from(after.as_nanos()).unwrap_or(NO_TIMEOUT);
    }

    /// Turns exit signals into [`Exit`](crate::Exit) messages (`true`) or back into deaths
    /// (`false`): `Process.flag(:trap_exit, on)`. The untrappable kill still kills.
    pub fn trap_exit(&mut self, on: bool) {
        self.pid.inner.core().set_trap_exit(on);
    }

    /// `true` if this actor traps exits.
    pub fn traps_exit(&self) -> bool {
        self.pid.inner.core().traps_exit()
    }

    /// Links this actor with `other`: when either exits, the other gets an exit signal.
    /// At most one link exists per pair; linking to oneself does nothing. Linking to a dead
    /// actor sends this actor an exit signal with reason `NoProc`, as `link/1` does.
    pub fn link(&mut self, other: &Pid) {
        signal::link_pair(&self.pid, other);
    }

    /// Removes the link with `other`, if any. An [`Exit`](crate::Exit) already queued stays
    /// queued.
    pub fn unlink(&mut self, other: &Pid) {
        signal::unlink_pair(&self.pid, other);
    }

    /// Monitors `other`: when it exits, this actor gets one [`Down`](crate::Down) for this
    /// monitor. Monitors stack; a dead `other` gives a `Down` with `NoProc` at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Actor, Context, Down, Flow, InitError, Pid};
    ///
    /// struct Watch { seen: Vec<String> }
    ///
    /// impl Actor for Watch {
    ///     type Args = Pid;
    ///     async fn init(target: Pid, ctx: &mut Context<Self>) -> Result<Self, InitError> {
    ///         ctx.monitor(&target);
    ///         Ok(Watch { seen: Vec::new() })
    ///     }
    ///     async fn handle_down(&mut self, down: Down, _: &mut Context<Self>) -> Flow {
    ///         self.seen.push(down.reason.to_string());
    ///         Flow::Ok
    ///     }
    /// }
    /// # struct Idle;
    /// # impl Actor for Idle {
    /// #     type Args = ();
    /// #     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let target = Idle::start(()).await.unwrap();
    /// let watch = Watch::start(target.pid()).await.unwrap();
    /// assert_eq!(target.info().monitored_by, vec![watch.id()]);
    /// # drop(watch);
    /// # }
    /// ```
    pub fn monitor(&mut self, other: &Pid) -> MonitorRef {
        let monitor = signal::monitor(&self.pid, other);
        self.pid.inner.core().record_monitoring(monitor, other);
        self.monitors
            .get_or_insert_default()
            .insert(monitor, other.clone());
        monitor
    }

    /// Removes a monitor, and guarantees that no `Down` for it is handled afterwards, even
    /// one already queued (`demonitor(Ref, [flush])`). Returns `false` if it was not active.
    pub fn demonitor(&mut self, monitor: MonitorRef) -> bool {
        // Forgetting the ref here is what guarantees the flush: the loop drops any DOWN whose
        // ref is not in this map. Removing it at the target stops a DOWN from being sent.
        match self.monitors.as_mut().and_then(|m| m.remove(&monitor)) {
            Some(target) => {
                target.inner.core().remove_monitor(monitor);
                self.pid.inner.core().forget_monitoring(monitor);
                true
            }
            None => false,
        }
    }

    /// Sends `reason` as an exit signal to `other`, from this actor: `Process.exit/2`.
    pub fn exit(&mut self, other: &Pid, reason: ExitReason) {
        signal::send_exit(other, Some(self.pid.clone()), reason);
    }

    /// Sends the untrappable kill signal to `other`.
    pub fn kill(&mut self, other: &Pid) {
        signal::kill(other);
    }

    /// The reply handle of the call being handled, for a deferred reply: take it in
    /// `Call<M>::handle_call` and return [`CallReply::NoReply`](crate::CallReply::NoReply).
    ///
    /// Returns `None` outside `handle_call` for `M` (in the handler of another message, even
    /// one with the same reply type), or if it was already taken.
    pub fn reply_to<M>(&mut self) -> Option<ReplyTo<<A as Call<M>>::Reply>>
    where
        A: Call<M>,
        M: Send + 'static,
    {
        let tx = take_reply_sender::<M, <A as Call<M>>::Reply>(&mut self.reply)?;
        // Left in the sender's place: the loop still sees a call to finish.
        self.reply = Some(reply_taken());
        Some(ReplyTo { tx })
    }

    /// Sends `msg` to this actor's [`Info<M>`] handler after `after`: `Process.send_after/3`.
    pub fn send_after<M>(&mut self, after: Duration, msg: M) -> TimerRef
    where
        A: Info<M>,
        M: Send + 'static,
    {
        timer::send_after(&self.myself, after, msg)
    }

    /// Attaches `stream` to this actor, as [`ActorRef::attach_stream`].
    ///
    /// # Panics
    ///
    /// As [`ActorRef::attach_stream`].
    pub fn attach_stream<S>(&mut self, stream: S) -> crate::StreamRef
    where
        A: Info<crate::StreamMessage<S::Item>>,
        S: futures_core::Stream + Send + 'static,
        S::Item: Send + 'static,
    {
        crate::stream::attach(&self.myself, stream)
    }

    /// Sends a clone of `msg` to this actor's [`Info<M>`] handler every `period`, until the
    /// timer is cancelled or the actor exits: `:timer.send_interval/2`.
    pub fn send_interval<M>(&mut self, period: Duration, msg: M) -> TimerRef
    where
        A: Info<M>,
        M: Clone + Send + 'static,
    {
        timer::send_interval(&self.myself, period, msg)
    }
}

/// When the actor's task ends, however it ends, the monitors it holds are removed from their
/// targets, so a long-lived target does not keep records of dead watchers.
impl<A: Actor> Drop for Context<A> {
    fn drop(&mut self) {
        for (monitor, target) in self.monitors.take().into_iter().flat_map(|m| *m) {
            target.inner.core().remove_monitor(monitor);
            self.pid.inner.core().forget_monitoring(monitor);
        }
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("pid", &self.pid)
            .field("parent", &self.parent)
            .field("trap_exit", &self.traps_exit())
            .finish_non_exhaustive()
    }
}
