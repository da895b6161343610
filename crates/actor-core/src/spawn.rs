//! Starting actors: `start`, `start_link`, names, start timeout, mailbox kind.

use std::cell::Cell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::cell::ActorCell;
use crate::context::current_pid;
use crate::current::{self, AsCurrent};
use crate::error::StartError;
use crate::exit::ExitReason;
use crate::harness::call_caught;
use crate::mailbox::{Mailbox, MailboxRx};
use crate::name::Name;
use crate::pid::Pid;
use crate::run_loop::{self, StartTask};
use crate::signal;
use crate::system;

/// A start in preparation: set options, then `.await` it. Made by [`Actor::start`] and
/// [`Actor::start_link`].
///
/// Awaiting it spawns the actor on the current tokio runtime and returns once `init` has
/// finished (R-GS-1); on failure it returns only after the actor has fully terminated and its
/// names are released (R-GS-2, R-NAME-3).
///
/// # Cancel safety
///
/// Dropping the future before it returns (in a `select!`, or under `tokio::time::timeout`)
/// kills the actor, whether `init` is still running or has just finished: a started actor is
/// never left running without its starter holding its handle. It is unlinked from its parent
/// first, so the parent hears no exit signal. The kill is asynchronous: the actor's names are
/// released and its links and monitors signalled shortly after the drop; wait with
/// [`Pid::exited`](crate::Pid::exited) on a pid obtained otherwise (a name) when that matters.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, InitError, Mailbox};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = u32;
///     async fn init(_: u32, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let w = Worker::start(7)
///     .timeout(Duration::from_secs(1))    // {timeout, 1000}
///     .mailbox(Mailbox::bounded(1024))    // try_cast refuses past 1024 queued
///     .await
///     .unwrap();
/// assert!(w.is_alive());
/// # }
/// ```
#[must_use = "a Start does nothing until it is awaited"]
pub struct Start<A: Actor> {
    args: A::Args,
    link: bool,
    names: Names,
    timeout: Option<Duration>,
    mailbox: Mailbox,
}

/// The names a start registers: almost always none or one, so kept without a `Vec` (an
/// allocation per start) for those.
#[derive(Debug, Default)]
pub(crate) enum Names {
    #[default]
    None,
    One(Name),
    Many(Vec<Name>),
}

impl Names {
    fn push(&mut self, name: Name) {
        *self = match std::mem::take(self) {
            Names::None => Names::One(name),
            Names::One(first) => Names::Many(vec![first, name]),
            Names::Many(mut names) => {
                names.push(name);
                Names::Many(names)
            }
        };
    }

    pub(crate) fn as_slice(&self) -> &[Name] {
        match self {
            Names::None => &[],
            Names::One(name) => std::slice::from_ref(name),
            Names::Many(names) => names,
        }
    }
}

impl<A: Actor> Start<A> {
    pub(crate) fn new(args: A::Args, link: bool) -> Self {
        Self {
            args,
            link,
            names: Names::None,
            timeout: None,
            mailbox: Mailbox::Unbounded,
        }
    }

    /// Registers the actor under `name` before `init` runs (R-NAME-2). If a live actor
    /// already holds it, the start fails with [`StartError::AlreadyStarted`] and nothing runs.
    /// May be given several times to register several names.
    pub fn name(mut self, name: Name) -> Self {
        self.names.push(name);
        self
    }

    /// Links the new actor to the calling actor (see [`Actor::start_link`]).
    pub fn link(mut self) -> Self {
        self.link = true;
        self
    }

    /// Fails with [`StartError::Timeout`] and kills the actor if `init` takes longer than
    /// `timeout`. The default is no timeout (`:infinity`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The kind of mailbox. The default is [`Mailbox::Unbounded`].
    pub fn mailbox(mut self, mailbox: Mailbox) -> Self {
        self.mailbox = mailbox;
        self
    }

    /// Spawns the actor without waiting for its `init`: Erlang's `spawn` rather than
    /// `proc_lib:start`. The reference is usable at once: messages sent now are queued, and
    /// handled once `init` has run. A failed `init` is seen only as the actor's exit (by a
    /// link, a monitor or [`Pid::exited`](crate::Pid::exited)); [`timeout`](Self::timeout)
    /// does not apply.
    ///
    /// # Errors
    ///
    /// [`StartError::NoRuntime`] outside a tokio runtime, [`StartError::AlreadyStarted`]
    /// when a name resolves already. A name taken between that check and the registration
    /// inside the task makes the actor exit `normal`, as in [`Start`]'s future.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Actor, Cast, Context, Flow, InitError};
    ///
    /// struct Log(Vec<String>);
    /// impl Actor for Log {
    ///     type Args = ();
    ///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Log(vec![])) }
    /// }
    /// impl Cast<String> for Log {
    ///     async fn handle_cast(&mut self, line: String, _: &mut Context<Self>) -> Flow { self.0.push(line); Flow::Ok }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let log = Log::start(()).spawn().unwrap(); // no await: init runs in the actor's task
    /// log.cast("first".to_string());            // queued, handled after init
    /// # }
    /// ```
    pub fn spawn(self) -> Result<ActorRef<A>, StartError> {
        let Launch {
            cell,
            starting,
            rx,
            handle,
            ..
        } = self.prepare()?;
        // Nobody waits for the acknowledgement: `init` runs in the actor's task.
        spawn_task(&handle, &cell, starting, rx);
        Ok(ActorRef { cell })
    }

    /// Checks the names, creates the actor and links it to its parent; its task is not yet
    /// spawned.
    #[allow(
        clippy::type_complexity,
        reason = "the start phase's future type is only named by inference"
    )]
    fn prepare(
        self,
    ) -> Result<
        Launch<A, impl Future<Output = Result<(A, crate::Context<A>), StartError>> + Send>,
        StartError,
    > {
        let handle = Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        // R-NAME-2a: a name that resolves means nothing is spawned.
        for name in self.names.as_slice() {
            if let Some(holder) = name.whereis() {
                return Err(StartError::AlreadyStarted(holder));
            }
        }
        let parent = if self.link { current_pid() } else { None };
        let (cell, rx) = ActorCell::<A>::new(self.mailbox);
        let pid = cell.pid();
        if let Some(parent) = &parent {
            signal::link_pair(parent, &pid);
        }
        system::remember(&pid);
        let starting = run_loop::start(cell.clone(), self.args, parent.clone(), self.names);
        Ok(Launch {
            cell,
            pid,
            parent,
            starting,
            rx,
            handle,
            timeout: self.timeout,
        })
    }

    /// The first poll of the start: the actor is created, and its `init` is run right here
    /// when it can be (see [`StartFuture`]); otherwise its task is spawned to run it and the
    /// rest of the start waits for its acknowledgement.
    fn begin(self, cx: &mut TaskContext<'_>) -> Begun<A> {
        let Launch {
            cell,
            pid,
            parent,
            mut starting,
            rx,
            handle,
            timeout,
        } = match self.prepare() {
            Ok(launch) => launch,
            Err(e) => return Begun::Done(Err(e)),
        };
        // A start timeout must be able to fire while `init` runs, so such a start waits from
        // another task; so does a start nested too deep in other starts' `init`s.
        let inline = match timeout {
            None => InlineStart::enter(),
            Some(_) => None,
        };
        if let Some(depth) = inline {
            let polled = {
                let _as_child = current::enter(pid.id());
                catch_unwind(AssertUnwindSafe(|| starting.as_mut().poll_init(cx)))
            };
            drop(depth);
            match polled {
                Ok(Poll::Ready(Ok(()))) => {
                    if !start_yields() {
                        spawn_task(&handle, &cell, starting, rx);
                        return Begun::Done(Ok(ActorRef { cell }));
                    }
                    // The start returns at its next poll, once its actor's task has had its
                    // first poll, which wakes it.
                    starting.as_mut().wake_after_first_poll(cx.waker().clone());
                    spawn_task(&handle, &cell, starting, rx);
                    return Begun::Started(
                        ActorRef { cell },
                        Abandoned {
                            child: Some(pid),
                            parent,
                        },
                    );
                }
                // Cleaned up already (`run_loop::fail_start`): no task to spawn.
                Ok(Poll::Ready(Err(e))) => {
                    // R-GS-2: a non-trapping parent killed by the link never sees the start
                    // return; its task ends at this poll's end.
                    if parent.is_some_and(|p| p.inner.core().is_doomed()) {
                        return Begun::ParentKilled;
                    }
                    return Begun::Done(Err(e));
                }
                Ok(Poll::Pending) => {}
                Err(payload) => {
                    // A panic outside `init` (a registry's code claiming a name): the start
                    // fails with it, as if the actor's task had panicked there.
                    let reason = ExitReason::from_panic(payload.as_ref());
                    pid.inner.core().set_exit(reason.clone());
                    // What the start phase holds (the arguments, a half-built state) is
                    // dropped as the actor; a panic in a `Drop` there is contained.
                    let _ = {
                        let _as_child = current::enter(pid.id());
                        call_caught(move || drop(starting))
                    };
                    // Dropping the receiver cleans up.
                    drop(rx);
                    return Begun::Done(Err(StartError::Failed(reason)));
                }
            }
        }
        let (ack_tx, ack) = oneshot::channel();
        starting.as_mut().acknowledge_to(ack_tx);
        spawn_task(&handle, &cell, starting, rx);
        Begun::Waiting(Box::pin(wait_for_init(cell, pid, parent, ack, timeout)))
    }
}

/// A created actor whose task is not yet spawned.
struct Launch<A: Actor, F> {
    cell: Arc<ActorCell<A>>,
    pid: Pid,
    parent: Option<Pid>,
    starting: Pin<Box<StartTask<A, F>>>,
    /// Dropped, it ends the actor (see [`MailboxRx`]).
    rx: MailboxRx<A>,
    handle: Handle,
    timeout: Option<Duration>,
}

/// Spawns the actor's task: the start phase (done already, or to finish), then the loop.
fn spawn_task<A: Actor, F>(
    handle: &Handle,
    cell: &Arc<ActorCell<A>>,
    starting: Pin<Box<StartTask<A, F>>>,
    rx: MailboxRx<A>,
) where
    F: Future<Output = Result<(A, crate::Context<A>), StartError>> + Send + 'static,
{
    let task = run_loop::run(starting, rx);
    let join = handle.spawn(AsCurrent::new(cell.core.id, task));
    cell.core.set_task(join);
}

/// Waits for a spawned actor's acknowledgement of `init`.
async fn wait_for_init<A: Actor>(
    cell: Arc<ActorCell<A>>,
    pid: Pid,
    parent: Option<Pid>,
    ack: oneshot::Receiver<Result<(), StartError>>,
    timeout: Option<Duration>,
) -> Result<ActorRef<A>, StartError> {
    // From here until a result is returned, dropping this future (a `select!` or `timeout`
    // around the start) kills the child: nobody could reach it otherwise.
    let mut abandoned = Abandoned {
        child: Some(pid.clone()),
        parent,
    };
    let ack = match timeout {
        None => ack.await,
        Some(timeout) => match tokio::time::timeout(timeout, ack).await {
            Ok(ack) => ack,
            Err(_) => {
                // {error, timeout}: unlink first so the parent hears nothing, then kill and
                // wait for the full exit.
                abandoned.kill();
                pid.exited().await;
                return Err(StartError::Timeout);
            }
        },
    };
    // The child's fate is settled (running and handed over, or cleaned up by its own failed
    // start); a drop from here on leaves it alone.
    abandoned.child = None;
    match ack {
        Ok(Ok(())) => Ok(ActorRef { cell }),
        Ok(Err(e)) => Err(e),
        // The actor died before acknowledging (killed by a signal during init).
        Err(_) => Err(StartError::Failed(pid.exited().await)),
    }
}

/// How many starts are running `init` in their starter's poll on this thread, one inside
/// another's `init` (a supervisor starting its children).
const MAX_INLINE_DEPTH: u32 = 8;

thread_local! {
    static INLINE_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// A start on this thread returned at once, and no actor's task has had its first poll
    /// on this thread since (see [`start_yields`]).
    static UNPOLLED_START: Cell<bool> = const { Cell::new(false) };
}

/// Whether the start that is about to spawn its actor's task waits before it returns until
/// that task has had its first poll (which wakes it): a loop of starts then never queues up
/// tasks that have not run yet, with the start phases they hold (`init`'s result, waiting to
/// move into the task). The task wakes the start (rather than the start waking itself to
/// yield), so the start runs next on the worker that polled the task, and no other worker is
/// woken to take it over.
///
/// A start made outside any actor (a program's or a test's own task) always yields. A start
/// made by an actor (a supervisor starting or restarting a child, one per message) yields
/// only when the start before it on this thread returned at once and no actor's first poll
/// has run here since: a single start returns at once, sparing the actor and whatever waits
/// on it a round of the scheduler, and a loop of starts inside one handler yields every other
/// time, so it queues at most two tasks that have not run yet.
fn start_yields() -> bool {
    if crate::current::current_id().is_none() {
        return true;
    }
    UNPOLLED_START
        .try_with(|unpolled| {
            // Waiting, this start resumes once its actor's task has run; returning at once, it
            // leaves that task unpolled.
            let yields = unpolled.get();
            unpolled.set(!yields);
            yields
        })
        // The thread is being torn down: no loop of starts to pace.
        .unwrap_or(false)
}

/// An actor's task has had its first poll on this thread: the next start here may return
/// at once (see [`start_yields`]).
pub(crate) fn first_poll_ran() {
    let _ = UNPOLLED_START.try_with(|unpolled| unpolled.set(false));
}

/// One level of [`INLINE_DEPTH`], given back on drop (a panic included).
struct InlineStart(());

impl InlineStart {
    /// A level, unless [`MAX_INLINE_DEPTH`] are taken: the stack of nested `init`s stays
    /// bounded however deep a chain of starts goes.
    fn enter() -> Option<Self> {
        INLINE_DEPTH.with(|depth| {
            let d = depth.get();
            (d < MAX_INLINE_DEPTH).then(|| {
                depth.set(d + 1);
                InlineStart(())
            })
        })
    }
}

impl Drop for InlineStart {
    fn drop(&mut self) {
        INLINE_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// What the first poll of a start came to.
enum Begun<A: Actor> {
    Done(Result<ActorRef<A>, StartError>),
    /// `init` is done, the actor's task spawned, and the start waits for the task's first
    /// poll, which wakes it (see `start_yields`): it returns at the next poll.
    Started(ActorRef<A>, Abandoned),
    /// The failed start's link killed the starter: the start never returns.
    ParentKilled,
    Waiting(Pin<Box<dyn Future<Output = Result<ActorRef<A>, StartError>> + Send>>),
}

/// Kills a child whose start was given up (the start future dropped, or timed out) before
/// the starter got its handle, unlinked from the starter first so that the starter hears
/// nothing of it ({error, timeout} in OTP leaves no EXIT either).
struct Abandoned {
    child: Option<Pid>,
    parent: Option<Pid>,
}

impl Abandoned {
    fn kill(&mut self) {
        if let Some(child) = self.child.take() {
            if let Some(parent) = &self.parent {
                signal::unlink_pair(parent, &child);
            }
            signal::kill(&child);
        }
    }
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The future of a [`Start`]: awaiting it starts the actor (see [`Start`] for what it
/// returns and when, and for its cancel safety).
///
/// The actor's `init` runs as the new actor (its own [`self_pid`](crate::self_pid), its own
/// span), in its own task or, to spare a round trip, in this future's first poll: when the
/// start has no [`timeout`](Start::timeout), the first poll runs `init` up to its first
/// pending await, and an `init` that finishes there is acknowledged without leaving this
/// poll. An `init` that awaits something not ready goes on in the actor's task, and this
/// future waits for it. Nothing else tells the two apart: the actor is linked, named and
/// reachable in the same order, and the same errors come back.
///
/// # Panics
///
/// Polling it again after it returned a result panics, as most futures do.
///
/// # Examples
///
/// ```
/// use std::future::IntoFuture;
/// use actor_core::{Actor, Context, InitError, StartFuture};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let starting: StartFuture<Worker> = Worker::start(()).into_future();
/// let worker = starting.await.unwrap();
/// assert!(worker.is_alive());
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct StartFuture<A: Actor> {
    state: StartState<A>,
}

enum StartState<A: Actor> {
    New(Start<A>),
    Waiting(Pin<Box<dyn Future<Output = Result<ActorRef<A>, StartError>> + Send>>),
    /// See [`Begun::Started`]; dropped before the next poll, the guard kills the actor.
    Started(ActorRef<A>, Abandoned),
    /// The starter is being killed (see [`Begun::ParentKilled`]).
    ParentKilled,
    Done,
}

// Nothing in it is ever pinned in place: the `Start` is moved out at the first poll, and the
// waiting future is boxed.
impl<A: Actor> Unpin for StartFuture<A> {}

impl<A: Actor> Future for StartFuture<A> {
    type Output = Result<ActorRef<A>, StartError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut waiting = match std::mem::replace(&mut this.state, StartState::Done) {
            StartState::New(start) => match start.begin(cx) {
                Begun::Done(result) => return Poll::Ready(result),
                Begun::Started(actor, abandoned) => {
                    this.state = StartState::Started(actor, abandoned);
                    return Poll::Pending;
                }
                Begun::ParentKilled => {
                    this.state = StartState::ParentKilled;
                    return Poll::Pending;
                }
                Begun::Waiting(waiting) => waiting,
            },
            StartState::Waiting(waiting) => waiting,
            StartState::Started(actor, mut abandoned) => {
                abandoned.child = None;
                return Poll::Ready(Ok(actor));
            }
            StartState::ParentKilled => {
                this.state = StartState::ParentKilled;
                return Poll::Pending;
            }
            StartState::Done => panic!("a StartFuture polled after it returned"),
        };
        match waiting.as_mut().poll(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => {
                this.state = StartState::Waiting(waiting);
                Poll::Pending
            }
        }
    }
}

impl<A: Actor> fmt::Debug for StartFuture<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            StartState::New(_) => "new",
            StartState::Waiting(_) | StartState::Started(..) => "waiting for init",
            StartState::ParentKilled => "starter killed by the failed start",
            StartState::Done => "done",
        };
        f.debug_struct("StartFuture")
            .field("actor", &std::any::type_name::<A>())
            .field("state", &state)
            .finish()
    }
}

impl<A: Actor> IntoFuture for Start<A> {
    type Output = Result<ActorRef<A>, StartError>;
    type IntoFuture = StartFuture<A>;

    fn into_future(self) -> Self::IntoFuture {
        StartFuture {
            state: StartState::New(self),
        }
    }
}

impl<A: Actor> fmt::Debug for Start<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Start")
            .field("actor", &std::any::type_name::<A>())
            .field("link", &self.link)
            .field("names", &self.names.as_slice())
            .field("timeout", &self.timeout)
            .field("mailbox", &self.mailbox)
            .finish_non_exhaustive()
    }
}
