//! The test's side of a probe: its inbox, selective receive with timeouts, and the requests
//! it runs as the probe's actor.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::time::Duration;

use actor_core::{
    Actor, ActorId, ActorRef, Down, Exit, ExitReason, MonitorRef, Name, Pid, RegisterError,
    StartError,
};
use actor_supervisor::{ChildError, ChildId, ChildSpec, Supervisor, SupervisorRef};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::actor::{Control, ProbeActor, ProbeArgs};
use crate::message::Message;

/// How long [`Probe::assert_receive`] waits unless told otherwise
/// ([`Probe::set_receive_timeout`]). Longer than ExUnit's 100 ms, for shared CI machines; a
/// test on a paused clock does not wait in real time at all.
pub const DEFAULT_RECEIVE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long [`Probe::refute_receive`] waits unless told otherwise
/// ([`Probe::set_refute_timeout`]): ExUnit's 100 ms.
pub const DEFAULT_REFUTE_TIMEOUT: Duration = Duration::from_millis(100);

/// A process for test code: what ExUnit's test process is to an Elixir test.
///
/// The probe is an actor ([`ProbeActor`]) the test drives from outside. What it starts with
/// [`start_link`](Probe::start_link) or [`run`](Probe::run) has it as parent and is linked
/// to it; it traps exits (unless told not to), monitors, links and registers names; and
/// every cast, info, trapped exit and DOWN it receives lands in its inbox, where the test
/// takes them with a pattern and a timeout ([`assert_receive`](Probe::assert_receive),
/// [`refute_receive`](Probe::refute_receive)), leaving the others queued in order, as a
/// selective `receive` does.
///
/// Children started with [`start_supervised`](Probe::start_supervised) run under a test
/// supervisor that is torn down with the probe: in order by [`shutdown`](Probe::shutdown),
/// or killed when the probe is dropped (at the end of the test, or when it panics).
///
/// Timeouts are tokio's, so a test with `#[tokio::test(start_paused = true)]` waits in
/// virtual time: a `refute_receive` costs no real time.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Cast, Context, ExitReason, Flow, InitError};
/// use actor_testkit::Probe;
///
/// struct Worker;
/// struct Crash;
///
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// impl Cast<Crash> for Worker {
///     async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
///         Flow::Stop(ExitReason::msg("boom"))
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut probe = Probe::start().await;              // traps exits
/// let worker = probe.start_link::<Worker>(()).await.unwrap();
/// assert_eq!(worker.info().links, vec![probe.id()]);
/// let monitor = probe.monitor(&worker.pid()).await;
///
/// worker.cast(Crash);
/// assert_eq!(probe.assert_exit(&worker.pid()).await, ExitReason::msg("boom"));
/// assert_eq!(probe.assert_down(monitor).await, ExitReason::msg("boom"));
/// probe.refute_receive(|_: &actor_core::Exit| true).await; // nothing else came
/// # }
/// ```
pub struct Probe {
    actor: ActorRef<ProbeActor>,
    inbox: mpsc::UnboundedReceiver<Message>,
    /// Taken from `inbox` but not matched yet, in arrival order.
    saved: VecDeque<Message>,
    supervisor: Option<SupervisorRef>,
    receive_timeout: Duration,
    refute_timeout: Duration,
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("pid", &self.actor.pid())
            .field("saved", &self.saved)
            .field(
                "supervisor",
                &self.supervisor.as_ref().map(SupervisorRef::pid),
            )
            .finish_non_exhaustive()
    }
}

impl Probe {
    /// Starts a probe that traps exits, as a test process that starts linked actors
    /// usually wants.
    ///
    /// # Panics
    ///
    /// If the probe's actor cannot start, which happens only when the runtime is shutting
    /// down.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the probe's actor being started.
    pub async fn start() -> Self {
        Self::start_with(true).await
    }

    /// Starts a probe that does not trap exits: an abnormal exit of anything linked to it
    /// kills it, and its links with it.
    ///
    /// # Panics
    ///
    /// As [`start`](Probe::start).
    ///
    /// # Cancel safety
    ///
    /// As [`start`](Probe::start).
    pub async fn start_untrapped() -> Self {
        Self::start_with(false).await
    }

    async fn start_with(trap_exit: bool) -> Self {
        let (tx, inbox) = mpsc::unbounded_channel();
        let started = ProbeActor::start(ProbeArgs {
            inbox: tx,
            trap_exit,
        })
        .await;
        let actor = match started {
            Ok(actor) => actor,
            Err(e) => panic!("the probe's actor did not start: {e}"),
        };
        Self {
            actor,
            inbox,
            saved: VecDeque::new(),
            supervisor: None,
            receive_timeout: DEFAULT_RECEIVE_TIMEOUT,
            refute_timeout: DEFAULT_REFUTE_TIMEOUT,
        }
    }

    /// The probe's actor, to send it casts and infos or to pass where an `ActorRef` is
    /// wanted (a registry listener, for example).
    pub fn actor_ref(&self) -> &ActorRef<ProbeActor> {
        &self.actor
    }

    /// The probe's pid.
    pub fn pid(&self) -> Pid {
        self.actor.pid()
    }

    /// The probe's id.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// How long [`assert_receive`](Probe::assert_receive) and
    /// [`receive`](Probe::receive) wait from now on.
    pub fn set_receive_timeout(&mut self, timeout: Duration) {
        self.receive_timeout = timeout;
    }

    /// How long [`refute_receive`](Probe::refute_receive) waits from now on.
    pub fn set_refute_timeout(&mut self, timeout: Duration) {
        self.refute_timeout = timeout;
    }

    // ---- acting as the probe ---------------------------------------------------------------

    /// Runs `work` inside the probe's task and returns its output: whatever `work` starts
    /// with `start_link` is the probe's child, and whatever it registers (`Registry`
    /// entries, for example) is the probe's. The probe handles no message meanwhile; they
    /// stay queued.
    ///
    /// # Panics
    ///
    /// If the probe's actor has exited (it does not trap exits and something linked to it
    /// crashed, or it was killed), or if `work` panics (the probe then exits with that
    /// panic).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not stop `work`: it runs to its end in the probe, and its
    /// output is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::self_pid;
    /// use actor_testkit::Probe;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let probe = Probe::start().await;
    /// let inside = probe.run(async { self_pid() }).await;
    /// assert_eq!(inside, Some(probe.pid()));
    /// # }
    /// ```
    pub fn run<F>(&self, work: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: IntoFuture + Send + 'static,
        F::IntoFuture: Send,
        F::Output: Send + 'static,
    {
        self.request("run", move |tx| {
            Control::Run(Box::pin(async move {
                let out = work.await;
                let _ = tx.send(out);
            }))
        })
    }

    /// Starts an `A` linked to the probe, which becomes its parent (`start_link` called by
    /// the test process).
    ///
    /// # Errors
    ///
    /// As [`Actor::start_link`]: the [`StartError`] of a failed start.
    ///
    /// # Panics
    ///
    /// As [`run`](Probe::run).
    ///
    /// # Cancel safety
    ///
    /// As [`run`](Probe::run): the start completes in the probe.
    pub fn start_link<A: Actor>(
        &self,
        args: A::Args,
    ) -> impl Future<Output = Result<ActorRef<A>, StartError>> + Send + 'static {
        self.run(A::start_link(args))
    }

    /// Links the probe with `other` (`Process.link/1`).
    ///
    /// # Panics
    ///
    /// If the probe's actor has exited.
    ///
    /// # Cancel safety
    ///
    /// The link is made even if the future is dropped once polled.
    pub fn link(&self, other: &Pid) -> impl Future<Output = ()> + Send + 'static {
        let other = other.clone();
        self.request("link", move |tx| Control::Link(other, tx))
    }

    /// Removes a link between the probe and `other` (`Process.unlink/1`).
    ///
    /// # Panics
    ///
    /// If the probe's actor has exited.
    ///
    /// # Cancel safety
    ///
    /// The link is removed even if the future is dropped once polled.
    pub fn unlink(&self, other: &Pid) -> impl Future<Output = ()> + Send + 'static {
        let other = other.clone();
        self.request("unlink", move |tx| Control::Unlink(other, tx))
    }

    /// Monitors `other` from the probe (`Process.monitor/1`); its [`Down`] arrives in the
    /// inbox (see [`assert_down`](Probe::assert_down)).
    ///
    /// # Panics
    ///
    /// If the probe's actor has exited.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future once polled may leave the monitor set, with its reference lost.
    pub fn monitor(&self, other: &Pid) -> impl Future<Output = MonitorRef> + Send + 'static {
        let other = other.clone();
        self.request("monitor", move |tx| Control::Monitor(other, tx))
    }

    /// Removes a monitor (`Process.demonitor/1`); returns whether it was still set. A DOWN
    /// already in the inbox stays there, as with `demonitor` without `:flush`.
    ///
    /// # Panics
    ///
    /// If the probe's actor has exited.
    ///
    /// # Cancel safety
    ///
    /// The monitor is removed even if the future is dropped once polled.
    pub fn demonitor(&self, monitor: MonitorRef) -> impl Future<Output = bool> + Send + 'static {
        self.request("demonitor", move |tx| Control::Demonitor(monitor, tx))
    }

    /// Turns exit trapping on or off (`Process.flag(:trap_exit, on)`).
    ///
    /// # Panics
    ///
    /// If the probe's actor has exited.
    ///
    /// # Cancel safety
    ///
    /// The flag is set even if the future is dropped once polled.
    pub fn trap_exit(&self, on: bool) -> impl Future<Output = ()> + Send + 'static {
        self.request("trap_exit", move |tx| Control::TrapExit(on, tx))
    }

    /// Registers the probe under `name` (`Process.register/2`, or a via-name); released
    /// when the probe exits.
    ///
    /// # Errors
    ///
    /// As [`Name::register`]: the name is taken, or the probe is dead.
    pub fn register(&self, name: &Name) -> Result<(), RegisterError> {
        name.register(&self.actor.pid())
    }

    /// Returns once every message sent to the probe before this call is in its inbox.
    fn sync(&self) -> impl Future<Output = ()> + Send + 'static {
        self.request("receive", Control::Sync)
    }

    /// Sends the probe's actor a request when first polled and waits for its answer. The
    /// future owns what it needs, so it does not borrow the probe.
    fn request<T: Send + 'static>(
        &self,
        what: &'static str,
        make: impl FnOnce(oneshot::Sender<T>) -> Control + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        let actor = self.actor.clone();
        async move {
            let (tx, rx) = oneshot::channel();
            actor.cast(make(tx));
            match rx.await {
                Ok(out) => out,
                // The request was dropped unanswered: the probe's actor is gone (or the
                // job panicked, which made it exit).
                Err(_) => {
                    let reason = actor.pid().exited().await;
                    panic!("probe {what}: the probe's actor exited with {reason}")
                }
            }
        }
    }

    // ---- start_supervised ---------------------------------------------------------------

    /// The test supervisor: one_for_one, restarting without limit in practice (a million
    /// restarts a second, as ExUnit's), started at first use and torn down with the probe.
    ///
    /// # Panics
    ///
    /// If the test supervisor cannot start (only when the runtime is shutting down).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future while the supervisor starts kills it; the next call starts
    /// another.
    pub async fn supervisor(&mut self) -> SupervisorRef {
        if let Some(sup) = &self.supervisor
            && sup.pid().is_alive()
        {
            return sup.clone();
        }
        let started = Supervisor::builder()
            .intensity(1_000_000, Duration::from_secs(1))
            .start()
            .await;
        let sup = match started {
            Ok(sup) => sup,
            Err(e) => panic!("the probe's test supervisor did not start: {e}"),
        };
        self.supervisor = Some(sup.clone());
        sup
    }

    /// Starts `spec` under the test supervisor (ExUnit's `start_supervised/2`) and returns
    /// its pid (`None` if its start was ignored). The child lives until
    /// [`stop_supervised`](Probe::stop_supervised), the probe's
    /// [`shutdown`](Probe::shutdown), or the drop of the probe.
    ///
    /// # Errors
    ///
    /// As [`SupervisorRef::start_child`]: a duplicate id, a failed start.
    ///
    /// # Panics
    ///
    /// As [`supervisor`](Probe::supervisor).
    ///
    /// # Cancel safety
    ///
    /// As [`SupervisorRef::start_child`]: dropping the future does not cancel the start.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Actor, Context, InitError};
    /// use actor_supervisor::ChildSpec;
    /// use actor_testkit::Probe;
    ///
    /// struct Cache;
    /// impl Actor for Cache {
    ///     type Args = ();
    ///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Cache) }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut probe = Probe::start().await;
    /// let pid = probe
    ///     .start_supervised(ChildSpec::worker::<Cache>("cache", ()))
    ///     .await
    ///     .unwrap()
    ///     .unwrap();
    /// probe.stop_supervised("cache").await.unwrap();
    /// assert!(!pid.is_alive());
    /// # }
    /// ```
    pub async fn start_supervised(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        self.supervisor().await.start_child(spec).await
    }

    /// Stops a child started with [`start_supervised`](Probe::start_supervised) and
    /// forgets its spec (ExUnit's `stop_supervised/1`).
    ///
    /// # Errors
    ///
    /// [`ChildError::NotFound`] when no such child was started.
    ///
    /// # Cancel safety
    ///
    /// As [`SupervisorRef::terminate_child`]: the stop goes on if the future is dropped.
    pub async fn stop_supervised(&mut self, id: impl Into<ChildId>) -> Result<(), ChildError> {
        let Some(sup) = self.supervisor.clone() else {
            return Err(ChildError::NotFound);
        };
        let id = id.into();
        sup.terminate_child(id.clone()).await?;
        sup.delete_child(id).await
    }

    /// Stops the test supervisor (its children in reverse start order, each within its
    /// shutdown) and then the probe, and waits for both. Dropping the probe instead kills
    /// them without waiting.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills whatever is still running, as dropping the probe does.
    pub async fn shutdown(mut self) {
        if let Some(sup) = self.supervisor.take() {
            // An error means it is already gone, which is what this wants.
            let _ = sup.stop(ExitReason::Shutdown).await;
        }
        let _ = self.actor.stop(ExitReason::Shutdown).await;
    }

    // ---- receiving ----------------------------------------------------------------------

    /// The next message of any type, waiting up to the receive timeout; `None` when none
    /// came (or the probe's actor is gone and its inbox is empty).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message taken from the inbox is returned, or kept if the future is
    /// dropped.
    pub async fn next(&mut self) -> Option<Message> {
        if let Some(msg) = self.saved.pop_front() {
            return Some(msg);
        }
        let deadline = Instant::now() + self.receive_timeout;
        tokio::time::timeout_at(deadline, self.inbox.recv())
            .await
            .ok()
            .flatten()
    }

    /// The first `T` in the inbox for which `matches` holds, waiting until `timeout` for
    /// one to arrive; the messages passed over stay queued, in order (a selective receive).
    /// `None` when none arrived in time. With `Duration::ZERO` it looks at what the probe
    /// had received when it was called, without waiting for more.
    ///
    /// # Panics
    ///
    /// With `Duration::ZERO`, if the probe's actor has exited.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: messages taken from the channel are kept in the inbox.
    pub async fn receive_within<T: Send + 'static>(
        &mut self,
        timeout: Duration,
        mut matches: impl FnMut(&T) -> bool,
    ) -> Option<T> {
        if let Some(i) = self
            .saved
            .iter()
            .position(|m| m.downcast_ref::<T>().is_some_and(&mut matches))
        {
            return self.saved.remove(i).and_then(|m| m.downcast::<T>().ok());
        }
        if timeout.is_zero() {
            // "Already received" must include what is still in the actor's mailbox.
            self.sync().await;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let msg = if timeout.is_zero() {
                self.inbox.try_recv().ok()
            } else {
                // `None` on timeout, or when the actor is gone and nothing more can come.
                tokio::time::timeout_at(deadline, self.inbox.recv())
                    .await
                    .ok()
                    .flatten()
            };
            let msg = msg?;
            if msg.downcast_ref::<T>().is_some_and(&mut matches) {
                return msg.downcast::<T>().ok();
            }
            self.saved.push_back(msg);
        }
    }

    /// [`receive_within`](Probe::receive_within) with the receive timeout.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_within`](Probe::receive_within).
    pub async fn receive<T: Send + 'static>(
        &mut self,
        matches: impl FnMut(&T) -> bool,
    ) -> Option<T> {
        let timeout = self.receive_timeout;
        self.receive_within(timeout, matches).await
    }

    /// Waits for a `T` for which `matches` holds and returns it (ExUnit's `assert_receive`).
    ///
    /// # Panics
    ///
    /// When none arrives within the receive timeout; the message lists what the inbox holds.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_within`](Probe::receive_within).
    pub async fn assert_receive<T: Send + 'static>(
        &mut self,
        matches: impl FnMut(&T) -> bool,
    ) -> T {
        let timeout = self.receive_timeout;
        self.assert_receive_within(timeout, matches).await
    }

    /// [`assert_receive`](Probe::assert_receive) with its own timeout.
    ///
    /// # Panics
    ///
    /// As [`assert_receive`](Probe::assert_receive).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_within`](Probe::receive_within).
    pub async fn assert_receive_within<T: Send + 'static>(
        &mut self,
        timeout: Duration,
        matches: impl FnMut(&T) -> bool,
    ) -> T {
        match self.receive_within(timeout, matches).await {
            Some(msg) => msg,
            None => panic!(
                "no matching {} received within {timeout:?}; the probe's inbox holds {:?}",
                std::any::type_name::<T>(),
                self.saved
            ),
        }
    }

    /// Fails if a `T` for which `matches` holds arrives within the refute timeout, or is
    /// already queued (ExUnit's `refute_receive`). Other messages stay queued.
    ///
    /// # Panics
    ///
    /// When such a message arrives.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_within`](Probe::receive_within).
    pub async fn refute_receive<T: Send + 'static>(&mut self, matches: impl FnMut(&T) -> bool) {
        let timeout = self.refute_timeout;
        self.refute_receive_within(timeout, matches).await;
    }

    /// [`refute_receive`](Probe::refute_receive) with its own timeout; `Duration::ZERO`
    /// checks only what is already queued (ExUnit's `refute_received`).
    ///
    /// # Panics
    ///
    /// As [`refute_receive`](Probe::refute_receive).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_within`](Probe::receive_within).
    pub async fn refute_receive_within<T: Send + 'static>(
        &mut self,
        timeout: Duration,
        mut matches: impl FnMut(&T) -> bool,
    ) {
        let mut seen = None;
        if self
            .receive_within(timeout, |m: &T| {
                let hit = matches(m);
                if hit {
                    seen = Some(std::any::type_name::<T>());
                }
                hit
            })
            .await
            .is_some()
        {
            panic!(
                "received a {} that should not have come within {timeout:?}",
                seen.unwrap_or("message")
            );
        }
    }

    /// Waits for the trapped exit signal from `from` and returns its reason: the
    /// `{:EXIT, pid, reason}` of a linked actor that ended.
    ///
    /// # Panics
    ///
    /// When none arrives within the receive timeout.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_within`](Probe::receive_within).
    pub async fn assert_exit(&mut self, from: &Pid) -> ExitReason {
        let id = from.id();
        self.assert_receive(|e: &Exit| e.from.as_ref().map(Pid::id) == Some(id))
            .await
            .reason
    }

    /// Waits for the DOWN of `monitor` and returns the reason.
    ///
    /// # Panics
    ///
    /// When none arrives within the receive timeout.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_within`](Probe::receive_within).
    pub async fn assert_down(&mut self, monitor: MonitorRef) -> ExitReason {
        self.assert_receive(|d: &Down| d.monitor == monitor)
            .await
            .reason
    }

    /// Every message the probe has received and the test has not taken, in order; the inbox
    /// is left empty.
    ///
    /// # Panics
    ///
    /// If the probe's actor has exited.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is taken from the inbox until the future completes.
    pub async fn flush(&mut self) -> Vec<Message> {
        self.sync().await;
        while let Ok(msg) = self.inbox.try_recv() {
            self.saved.push_back(msg);
        }
        self.saved.drain(..).collect()
    }
}

impl Drop for Probe {
    /// Kills the test supervisor (and so, through their links, its children), then the
    /// probe's actor (and so every non-trapping actor linked to it; a trapping child it
    /// started terminates, its parent being gone).
    fn drop(&mut self) {
        if let Some(sup) = self.supervisor.take() {
            sup.pid().kill();
        }
        self.actor.pid().kill();
    }
}
