//! Which actor the running task belongs to: OTP's `self()`.
//!
//! An actor's task future is wrapped in [`AsCurrent`], which puts the actor's id in a
//! thread-local slot for the length of each poll (and of the future's drop) and puts the
//! previous value back afterwards, even when the poll panics. The slot is a `Cell<u64>`
//! with a const initialiser and no destructor, so entering and leaving are a load and a
//! store each, where a task-local `Pid` (tokio's `LocalKey` with a `RefCell` and a
//! destructor to register) costs several times that on every poll of every actor. The pid
//! itself, needed only to link, signal or register as the current actor, is found from the
//! id in the live-actor table.
//!
//! The same wrapper gives each poll of an actor's task its message budget
//! ([`take_budget`]): after [`BUDGET`] messages in one poll the loop yields its worker, so
//! an actor with a full mailbox still lets the other tasks on its worker run.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::pid::{ActorId, Pid};

/// No actor: ids start at 1.
const NONE: u64 = 0;

thread_local! {
    /// The id of the actor whose task this thread is polling, or [`NONE`].
    static CURRENT: Cell<u64> = const { Cell::new(NONE) };
}

/// How many messages an actor's task takes from its mailbox in one poll before it yields
/// its worker: tokio's own per-poll budget.
pub(crate) const BUDGET: u32 = 128;

thread_local! {
    /// What is left of the budget of the actor task this thread is polling: reset to
    /// [`BUDGET`] at the start of each poll of an actor's task ([`AsCurrent`]).
    static LEFT: Cell<u32> = const { Cell::new(BUDGET) };
}

/// Spends one unit of the running actor task's budget: `false` once this poll of the task
/// has taken [`BUDGET`] messages, and the loop should yield before taking more.
///
/// Not tokio's cooperative budget (`tokio::task::coop`): spending it through its public API
/// makes two calls out of line per message, and even reading it (`has_budget_remaining`) is a
/// checked thread-local access (`docs/benchmarks.md` has the figures). The actor's task holds
/// nothing else that would spend tokio's budget; a handler that awaits tokio's resources
/// spends it, and yields through them when it runs out.
#[inline(always)]
pub(crate) fn take_budget() -> bool {
    LEFT.with(|left| {
        let n = left.get();
        if n == 0 {
            return false;
        }
        left.set(n - 1);
        true
    })
}

/// Gives the task about to be polled on this thread a fresh budget.
#[inline]
pub(crate) fn refill_budget() {
    LEFT.with(|left| left.set(BUDGET));
}

/// The id of the actor running the current task, if any.
#[inline]
pub(crate) fn current_id() -> Option<ActorId> {
    let id = CURRENT.with(Cell::get);
    (id != NONE).then(|| ActorId::from_u64(id))
}

/// The pid of the actor running the current task, if any (and not yet cleaned up: during
/// its exit cleanup an actor is no longer anyone's parent or sender).
pub(crate) fn current_pid() -> Option<Pid> {
    current_id().and_then(crate::system::find_actor)
}

/// Runs as actor `id` until the guard is dropped: a start running its actor's `init` in the
/// starter's poll.
#[inline]
pub(crate) fn enter(id: ActorId) -> Enter {
    Enter::new(id.as_u64())
}

/// Sets the slot to `id` until dropped, then puts back the previous value.
pub(crate) struct Enter {
    previous: u64,
}

impl Enter {
    #[inline]
    fn new(id: u64) -> Self {
        Self {
            previous: CURRENT.with(|slot| slot.replace(id)),
        }
    }
}

impl Drop for Enter {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|slot| slot.set(self.previous));
    }
}

pin_project_lite::pin_project! {
    /// An actor's task future, run as that actor (see the module).
    pub(crate) struct AsCurrent<F> {
        id: u64,
        #[pin]
        inner: Option<F>,
    }

    impl<F> PinnedDrop for AsCurrent<F> {
        fn drop(this: Pin<&mut Self>) {
            // The state's `Drop` (on a kill, the task is dropped mid-flight) sees its own
            // `self_pid()`, as it does when the actor stops by itself.
            let mut this = this.project();
            let _enter = Enter::new(*this.id);
            this.inner.set(None);
        }
    }
}

impl<F> AsCurrent<F> {
    pub(crate) fn new(id: ActorId, inner: F) -> Self {
        Self {
            id: id.as_u64(),
            inner: Some(inner),
        }
    }
}

impl<F: Future> Future for AsCurrent<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _enter = Enter::new(*this.id);
        // A fresh budget for each poll. Polls of actor tasks do not nest (a task is polled
        // only by its runtime's scheduler), so there is no outer budget to put back.
        refill_budget();
        match this.inner.as_pin_mut() {
            Some(inner) => inner.poll(cx),
            // Only `drop` empties it, and nothing polls a future being dropped.
            None => Poll::Pending,
        }
    }
}
