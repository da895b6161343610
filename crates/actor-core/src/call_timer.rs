//! The deadline of a call, on a timer reused across calls.
//!
//! Every `call` waits for its reply with OTP's default 5 s timeout. A fresh tokio timer per
//! call costs a lock on the timer wheel and, when the runtime's driver is parked with no
//! earlier timer, a wake-up of the driver (an `eventfd` write): together most of a call's
//! cost on a multi-thread runtime (see `docs/benchmarks.md`). Each thread keeps the timer of
//! its last finished call instead. The next call keeps it as it is when it fires no later than
//! the call's own deadline (calls made back to back share one armed timer, and pay no reset),
//! and moves it otherwise. A kept timer that fires before the call's deadline is moved to that
//! deadline then, and the call waits on; it never times out early.
//!
//! A kept timer still holds the waker of the task that last polled it. When the same task
//! calls again, the timer is not polled at all (it would swap that waker for an equal one);
//! another task's call polls it, and so registers its own waker.
//!
//! The cached timer is tied to the runtime it was made in and is only reused there. A call
//! that is dropped mid-way drops its timer; a cached timer whose old deadline passes fires
//! into a task that no longer waits on it, which is a spurious wake-up and nothing more.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Poll, Waker};

use tokio::runtime::{Handle, Id};
use tokio::task;
use tokio::time::{Instant, Sleep};

pin_project_lite::pin_project! {
    /// A timer kept between calls, with what tells where it may be reused.
    struct Kept {
        // The runtime whose driver the timer is registered with; `None` only outside a
        // runtime, where `tokio::time::sleep_until` has already panicked.
        runtime: Option<Id>,
        // The task that used it last. Task ids are unique across runtimes, so the same task
        // again is on the same runtime, and the runtime need not be looked up (an `Arc`
        // clone and drop of its handle).
        owner: Option<task::Id>,
        // The waker the timer was last polled with, while the timer still holds it: neither
        // fired nor reset since. A call whose task's waker `will_wake`
        // the same task need not poll the timer again: polling would only swap a waker for
        // an equal one, four atomic operations, two of them on the task's header, which the
        // callee's thread writes when it wakes the caller.
        waker: Option<Waker>,
        #[pin]
        sleep: Sleep,
    }
}

thread_local! {
    /// One pointer, moved out and back per call: no borrow flag, no copy of the timer.
    static CACHED: Cell<Option<Pin<Box<Kept>>>> = const { Cell::new(None) };
}

/// The deadline passed first.
pub(crate) struct Elapsed;

/// A timer for `deadline` on the current runtime.
fn take(deadline: Instant) -> Pin<Box<Kept>> {
    let owner = task::try_id();
    if let Some(mut kept) = CACHED.try_with(Cell::take).ok().flatten() {
        let reusable = (owner.is_some() && kept.owner == owner) || {
            let runtime = Handle::try_current().ok().map(|h| h.id());
            runtime.is_some() && runtime == kept.runtime
        };
        if reusable {
            let this = kept.as_mut().project();
            *this.owner = owner;
            // An armed timer that fires no later than `deadline` is kept as it is: if it
            // fires first, `timeout_at` moves it to `deadline` then. So a thread making calls
            // back to back resets its timer about once per timeout, not once per call.
            if this.sleep.is_elapsed() || this.sleep.deadline() > deadline {
                this.sleep.reset(deadline);
                *this.waker = None;
            }
            return kept;
        }
    }
    Box::pin(Kept {
        runtime: Handle::try_current().ok().map(|h| h.id()),
        owner,
        waker: None,
        sleep: tokio::time::sleep_until(deadline),
    })
}

/// Keeps `kept` for the next call on this thread. The call may end on another worker of the
/// same runtime than it began on; the timer stays valid there.
fn give_back(kept: Pin<Box<Kept>>) {
    if kept.runtime.is_none() {
        return;
    }
    let _ = CACHED.try_with(|c| {
        // A timer already kept here (by a call that ended while this one waited) stays.
        let other = c.take();
        c.set(Some(other.unwrap_or(kept)));
    });
}

/// `fut`'s output, or [`Elapsed`] once `deadline` passes: `tokio::time::timeout_at` on a
/// reused timer. `fut` is polled first, so a result ready at the deadline wins.
pub(crate) async fn timeout_at<F: Future>(deadline: Instant, fut: F) -> Result<F::Output, Elapsed> {
    let mut fut = pin!(fut);
    let mut kept = take(deadline);
    let out = poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        let mut this = kept.as_mut().project();
        loop {
            if this.sleep.is_elapsed() {
                if this.sleep.deadline() >= deadline {
                    return Poll::Ready(Err(Elapsed));
                }
                // A kept timer fired before this call's deadline: move it there, wait again.
                this.sleep.as_mut().reset(deadline);
                *this.waker = None;
            }
            if this.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                // Armed, and holding a waker for this task: it wakes us when it fires.
                return Poll::Pending;
            }
            match this.sleep.as_mut().poll(cx) {
                Poll::Pending => {
                    *this.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                // Fired: the loop's first step decides.
                Poll::Ready(()) => *this.waker = None,
            }
        }
    })
    .await;
    give_back(kept);
    out
}
