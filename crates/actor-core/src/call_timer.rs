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
//! The cached timer is tied to the runtime it was made in and is only reused there. A call
//! that is dropped mid-way drops its timer; a cached timer whose old deadline passes fires
//! into a task that no longer waits on it, which is a spurious wake-up and nothing more.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Poll, ready};

use tokio::runtime::{Handle, Id};
use tokio::time::{Instant, Sleep};

thread_local! {
    static CACHED: RefCell<Option<(Id, Pin<Box<Sleep>>)>> = const { RefCell::new(None) };
}

/// The deadline passed first.
pub(crate) struct Elapsed;

/// A timer for `deadline` on the current runtime (`None` outside one), and that runtime.
fn take(deadline: Instant) -> (Pin<Box<Sleep>>, Option<Id>) {
    let runtime = Handle::try_current().ok().map(|h| h.id());
    let cached = CACHED.try_with(|c| c.borrow_mut().take()).ok().flatten();
    let sleep = match (cached, runtime) {
        (Some((id, mut sleep)), Some(runtime)) if id == runtime => {
            // An armed timer that fires no later than `deadline` is kept as it is: if it fires
            // first, `timeout_at` moves it to `deadline` then. So a thread making calls back
            // to back resets its timer about once per timeout, not once per call.
            if sleep.is_elapsed() || sleep.deadline() > deadline {
                sleep.as_mut().reset(deadline);
            }
            sleep
        }
        _ => Box::pin(tokio::time::sleep_until(deadline)),
    };
    (sleep, runtime)
}

/// Keeps `sleep` (of `runtime`) for the next call on this thread. The call may end on
/// another worker of the same runtime than it began on; the timer stays valid there.
fn give_back(sleep: Pin<Box<Sleep>>, runtime: Option<Id>) {
    let Some(runtime) = runtime else {
        return;
    };
    let _ = CACHED.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut()
            && c.is_none()
        {
            *c = Some((runtime, sleep));
        }
    });
}

/// `fut`'s output, or [`Elapsed`] once `deadline` passes: `tokio::time::timeout_at` on a
/// reused timer. `fut` is polled first, so a result ready at the deadline wins.
pub(crate) async fn timeout_at<F: Future>(deadline: Instant, fut: F) -> Result<F::Output, Elapsed> {
    let mut fut = pin!(fut);
    let (mut sleep, runtime) = take(deadline);
    let out = poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        loop {
            ready!(sleep.as_mut().poll(cx));
            if sleep.deadline() >= deadline {
                return Poll::Ready(Err(Elapsed));
            }
            // A kept timer fired before this call's deadline: move it there and wait again.
            sleep.as_mut().reset(deadline);
        }
    })
    .await;
    give_back(sleep, runtime);
    out
}
