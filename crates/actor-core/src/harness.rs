//! Running user code so that a panic never escapes: building a callback's future, polling
//! it, and dropping the actor's state.
//!
//! A callback's future is built by calling user code (`A::init(..)`, `handle_cast(..)`),
//! which may panic before it returns a future at all, as when a handler is written as
//! `fn handle_cast(..) -> impl Future { panic!(); async {} }`. Every user future is therefore
//! built under a catch as well as polled under one; a panic in either becomes the actor's
//! exit reason ([`ExitReason::Panic`]), the same for both.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::exit::ExitReason;

/// Calls `build` (user code that returns a future), a panic turned into its exit reason.
pub(crate) fn call_caught<F>(build: impl FnOnce() -> F) -> Result<F, ExitReason> {
    catch_unwind(AssertUnwindSafe(build))
        .map_err(|payload| ExitReason::from_panic(payload.as_ref()))
}

pin_project_lite::pin_project! {
    /// The future of [`catch_panic`]: the user future, built and polled under a catch.
    #[must_use = "futures do nothing unless polled"]
    pub struct CatchPanic<F> {
        #[pin]
        state: CatchState<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = CatchProj]
    enum CatchState<F> {
        Running { #[pin] fut: F },
        Panicked { reason: Option<ExitReason> },
    }
}

/// Builds a future with `build` and runs it, turning a panic, while building or while
/// polling, into `Err(ExitReason::Panic(message))`.
///
/// This is what the framework does with every piece of user code it runs (callbacks, start
/// functions); it is public so that code which runs user closures of its own (a supervisor's
/// start functions, a task runner) contains their panics the same way.
///
/// # Examples
///
/// ```
/// use actor_core::{catch_panic, ExitReason};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// std::panic::set_hook(Box::new(|_| {})); // keep the doctest's output clean
/// let ok = catch_panic(|| async { 7 }).await;
/// assert_eq!(ok, Ok(7));
///
/// // A panic before any future exists...
/// let early = catch_panic(|| -> std::future::Ready<u8> { panic!("bad config") }).await;
/// assert_eq!(early, Err(ExitReason::Panic("bad config".into())));
///
/// // ...and one while it runs are caught alike.
/// let late = catch_panic(|| async { panic!("later") }).await;
/// assert_eq!(late, Err::<(), _>(ExitReason::Panic("later".into())));
/// # let _ = std::panic::take_hook();
/// # }
/// ```
///
/// # Cancel safety
///
/// Dropping the returned future drops the user future (its `Drop` may run user code, which
/// is not caught: the caller decides what a panic in it means).
pub fn catch_panic<F: Future>(build: impl FnOnce() -> F) -> CatchPanic<F> {
    let state = match call_caught(build) {
        Ok(fut) => CatchState::Running { fut },
        Err(reason) => CatchState::Panicked {
            reason: Some(reason),
        },
    };
    CatchPanic { state }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ExitReason>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            CatchProj::Running { fut } => match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
                Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(payload) => Poll::Ready(Err(ExitReason::from_panic(payload.as_ref()))),
            },
            CatchProj::Panicked { reason } => Poll::Ready(Err(reason
                .take()
                .unwrap_or_else(|| ExitReason::Panic("polled after completion".into())))),
        }
    }
}

impl<F> std::fmt::Debug for CatchPanic<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatchPanic").finish_non_exhaustive()
    }
}
