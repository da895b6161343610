//! Starting actors: `start`, `start_link`, names, start timeout, mailbox kind.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::cell::{ActorCell, ExitGuard};
use crate::context::current_pid;
use crate::current::AsCurrent;
use crate::error::StartError;
use crate::mailbox::Mailbox;
use crate::name::Name;
use crate::pid::Pid;
use crate::run_loop;
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

    // An `async` block, not an `async fn`, which would hold `self` twice (see `run_loop::run`).
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
        // Nobody waits for the acknowledgement: the actor's task ignores a dropped receiver.
        self.launch().map(|launched| ActorRef {
            cell: launched.cell,
        })
    }

    /// Checks the names, creates the actor, links it to its parent and spawns its task.
    fn launch(self) -> Result<Launched<A>, StartError> {
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
        let (ack_tx, ack) = oneshot::channel();
        let guard = ExitGuard { pid: pid.clone() };
        let starting = run_loop::start(cell.clone(), self.args, parent.clone(), self.names, ack_tx);
        let task = run_loop::run(starting, rx, guard);
        let join = handle.spawn(AsCurrent::new(pid.id(), task));
        cell.core.set_abort(join.abort_handle());
        Ok(Launched {
            cell,
            pid,
            parent,
            ack,
            timeout: self.timeout,
        })
    }

    #[allow(
        clippy::manual_async_fn,
        reason = "an `async fn` would hold its arguments twice in the future"
    )]
    fn run(self) -> impl Future<Output = Result<ActorRef<A>, StartError>> + Send {
        async move {
            let Launched {
                cell,
                pid,
                parent,
                ack: ack_rx,
                timeout,
            } = self.launch()?;
            // From here until a result is returned, dropping this future (a `select!` or
            // `timeout` around the start) kills the child: nobody could reach it otherwise.
            let mut abandoned = Abandoned {
                child: Some(pid.clone()),
                parent: parent.clone(),
            };

            let ack = match timeout {
                None => ack_rx.await,
                Some(timeout) => match tokio::time::timeout(timeout, ack_rx).await {
                    Ok(ack) => ack,
                    Err(_) => {
                        // {error, timeout}: unlink first so the parent hears nothing, then kill
                        // and wait for the full exit.
                        abandoned.kill();
                        pid.exited().await;
                        return Err(StartError::Timeout);
                    }
                },
            };
            // The child's fate is settled (running and handed over, or cleaned up by its own
            // failed start); a drop from here on leaves it alone.
            abandoned.child = None;
            match ack {
                Ok(Ok(())) => Ok(ActorRef { cell }),
                Ok(Err(e)) => Err(e),
                // The actor died before acknowledging (killed by a signal during init).
                Err(_) => Err(StartError::Failed(pid.exited().await)),
            }
        }
    }
}

/// A spawned actor, before its start is acknowledged.
struct Launched<A: Actor> {
    cell: Arc<ActorCell<A>>,
    pid: Pid,
    parent: Option<Pid>,
    ack: oneshot::Receiver<Result<(), StartError>>,
    timeout: Option<Duration>,
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

impl<A: Actor> IntoFuture for Start<A> {
    type Output = Result<ActorRef<A>, StartError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
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
