//! Exit signals, links and monitors (R-SIG).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::exit::ExitReason;
use crate::pid::Pid;

/// An exit signal received as a message by an actor that traps exits: Erlang's
/// `{'EXIT', From, Reason}`.
///
/// It reaches [`Actor::handle_exit`](crate::Actor::handle_exit), except when it comes from
/// the actor's parent: then the actor terminates with the same reason (R-GS-17).
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, Exit, Flow, InitError};
///
/// struct Watcher;
///
/// impl Actor for Watcher {
///     type Args = ();
///     async fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, InitError> {
///         ctx.trap_exit(true);
///         Ok(Watcher)
///     }
///     async fn handle_exit(&mut self, exit: Exit, _ctx: &mut Context<Self>) -> Flow {
///         println!("{:?} exited: {}", exit.from, exit.reason);
///         Flow::Ok
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let w = Watcher::start(()).await.unwrap();
/// w.pid().exit(actor_core::ExitReason::Shutdown); // trapped: becomes a message
/// assert!(w.is_alive());
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Exit {
    /// The actor that sent the signal (the linked actor that died, or the caller of
    /// [`Pid::exit`]); `None` when it was sent from outside any actor.
    pub from: Option<Pid>,
    /// The reason carried by the signal.
    pub reason: ExitReason,
}

/// A monitored actor went down: Erlang's `{'DOWN', Ref, process, Pid, Reason}`.
///
/// Delivered to [`Actor::handle_down`](crate::Actor::handle_down) once per monitor.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, Down, Flow, InitError};
///
/// struct Watcher;
///
/// impl Actor for Watcher {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Watcher) }
///     async fn handle_down(&mut self, down: Down, _ctx: &mut Context<Self>) -> Flow {
///         println!("{} is down: {}", down.pid, down.reason);
///         Flow::Ok
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let w = Watcher::start(()).await.unwrap();
/// # drop(w);
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Down {
    /// The reference [`Context::monitor`](crate::Context::monitor) returned.
    pub monitor: MonitorRef,
    /// The actor that went down.
    pub pid: Pid,
    /// Its exit reason; [`ExitReason::NoProc`] if it was already dead when monitored.
    pub reason: ExitReason,
}

/// Identifies one monitor; monitors stack, so each call gets a new reference.
///
/// # Examples
///
/// See [`Context::monitor`](crate::Context::monitor).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorRef(u64);

impl MonitorRef {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Debug for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ref<{}>", self.0)
    }
}

/// Delivers an exit signal per the matrix of R-SIG-2 (the `kill` row is [`kill`]).
pub(crate) fn deliver_exit(target: &Pid, from: Option<Pid>, reason: ExitReason) {
    let core = target.inner.core();
    if core.is_dead() {
        return;
    }
    if core.traps_exit() {
        target.inner.push_exit(Exit { from, reason });
        return;
    }
    if reason.is_normal() {
        // A normal exit signal is ignored, unless an actor sends it to itself.
        if from.as_ref().is_some_and(|f| f.id() == target.id()) {
            core.request_exit(ExitReason::Normal);
        }
        return;
    }
    core.request_exit(reason);
}

/// `exit(Pid, Reason)` from `from`.
pub(crate) fn send_exit(target: &Pid, from: Option<Pid>, reason: ExitReason) {
    deliver_exit(target, from, reason);
}

/// `exit(Pid, kill)`: untrappable; the victim's reason is `killed`.
pub(crate) fn kill(target: &Pid) {
    target.inner.core().request_exit(ExitReason::Killed);
}

/// Links `me` (the running actor) with `other`. If `other` is dead, `me` receives an exit
/// signal with reason `noproc`, as OTP's `link/1` does.
pub(crate) fn link_pair(me: &Pid, other: &Pid) {
    if me.id() == other.id() {
        return;
    }
    if other.inner.core().add_link(me) {
        me.inner.core().add_link(other);
    } else {
        deliver_exit(me, Some(other.clone()), ExitReason::NoProc);
    }
}

pub(crate) fn unlink_pair(me: &Pid, other: &Pid) {
    other.inner.core().remove_link(me.id());
    me.inner.core().remove_link(other.id());
}

/// `watcher` monitors `target`; a dead target gives an immediate `DOWN` with `noproc`.
pub(crate) fn monitor(watcher: &Pid, target: &Pid) -> MonitorRef {
    let monitor = MonitorRef::next();
    if !target.inner.core().add_monitor(monitor, watcher) {
        watcher.inner.push_down(Down {
            monitor,
            pid: target.clone(),
            reason: ExitReason::NoProc,
        });
    }
    monitor
}

/// The pid of the actor whose task runs this code: Erlang's `self()`. `None` outside any
/// actor (for example in `main`, or in a task spawned with `tokio::spawn`).
///
/// # Examples
///
/// ```
/// assert!(actor_core::self_pid().is_none()); // not inside an actor here
/// ```
pub fn self_pid() -> Option<Pid> {
    crate::context::current_pid()
}

/// Links the actor running this code with `other`, as [`Context::link`](crate::Context::link)
/// does: `link/1`. Returns `false`, doing nothing, when called outside any actor.
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
/// assert!(!actor_core::link(&a.pid())); // main is not an actor
/// # }
/// ```
pub fn link(other: &Pid) -> bool {
    match self_pid() {
        Some(me) => {
            link_pair(&me, other);
            true
        }
        None => false,
    }
}

/// Removes the link between the actor running this code and `other`: `unlink/1`. Returns
/// `false` when called outside any actor.
///
/// # Examples
///
/// ```
/// assert!(actor_core::self_pid().is_none());
/// ```
pub fn unlink(other: &Pid) -> bool {
    match self_pid() {
        Some(me) => {
            unlink_pair(&me, other);
            true
        }
        None => false,
    }
}

/// Links `a` and `b` from outside both, as if `a` had called `link(b)`: for layers that
/// stand a local process in for another (a distribution layer's proxies). If `b` is dead,
/// `a` receives an exit signal with `noproc` from it; if `a` is dead, nothing happens.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, ExitReason, InitError};
/// struct Idle;
/// impl Actor for Idle {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let a = Idle::start(()).await.unwrap();
/// let b = Idle::start(()).await.unwrap();
/// actor_core::link_pids(&a.pid(), &b.pid());
/// b.pid().exit(ExitReason::msg("crash"));
/// assert_eq!(a.pid().exited().await.to_string(), "error: crash");
/// # }
/// ```
pub fn link_pids(a: &Pid, b: &Pid) {
    if a.is_alive() {
        link_pair(a, b);
    }
}

/// Removes the link between `a` and `b`, from outside both.
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
/// actor_core::link_pids(&a.pid(), &b.pid());
/// actor_core::unlink_pids(&a.pid(), &b.pid());
/// assert!(a.pid().info().links.is_empty());
/// # }
/// ```
pub fn unlink_pids(a: &Pid, b: &Pid) {
    unlink_pair(a, b);
}
