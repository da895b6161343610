//! Running user code so that a panic never escapes: the one place that builds a callback's
//! future (erased, inline when it fits), polls it inside the actor's span, and drops the
//! actor's state. Every path of the run loop (init, the handlers, continue, down, exit,
//! timeout, terminate) goes through it.
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

use smallbox::SmallBox;

use crate::cell::Core;
use crate::exit::ExitReason;
use crate::handler::Flow;

/// Calls `build` (user code that returns a future), a panic turned into its exit reason.
pub(crate) fn call_caught<F>(build: impl FnOnce() -> F) -> Result<F, ExitReason> {
    catch_unwind(AssertUnwindSafe(build))
        .map_err(|payload| ExitReason::from_panic(payload.as_ref()))
}

/// Inline room for a cast or info handler's future: eight words, which holds the state of a
/// handler that awaits nothing large; a bigger future goes to the heap.
pub(crate) type FutureSpace = smallbox::space::S4;

/// A running handler, erased over its type, held in the loop's own task (not boxed) when it
/// fits [`FutureSpace`].
pub(crate) type HandlerFuture<'a> = SmallBox<dyn Future<Output = Flow> + Send + 'a, FutureSpace>;

/// Erases a cast or info handler's future, inline when it fits.
///
/// A future that fits is held in the loop's own slot: handling a message allocates nothing
/// for its handler (`docs/benchmarks.md`).
pub(crate) fn handler_future<'a, F>(fut: F) -> HandlerFuture<'a>
where
    F: Future<Output = Flow> + Send + 'a,
{
    // Safety: as in `Envelope::new`, the macro's `SmallBox::new_unchecked(val, ptr)` gets
    // `ptr` from `val` itself, so the pointer's metadata (the `Future` vtable of `F`) matches
    // the value.
    // `SmallBox` is `!Unpin` when its content is, and polls it only through `Pin`, so an
    // inline future is never moved once polled.
    smallbox::smallbox!(fut)
}

/// Builds a handler's future with `build` (user code) under a catch: a panic before any
/// future exists ends the actor as one while the future runs does. The future is erased
/// wrapped in [`Caught`], so that it catches its own panics.
pub(crate) fn caught_handler<'a, F>(build: impl FnOnce() -> F) -> HandlerFuture<'a>
where
    F: Future<Output = Flow> + Send + 'a,
{
    match crate::harness::call_caught(build) {
        Ok(fut) => handler_future(Caught { fut }),
        Err(panic) => handler_future(std::future::ready(Flow::Stop(panic))),
    }
}

pin_project_lite::pin_project! {
    /// A handler's future that catches its own panic, as `Flow::Stop` with the panic's exit
    /// reason.
    ///
    /// The catch is in this future's own poll, not around the loop's poll of the erased
    /// future: the poll is then a single dynamic call, with no frame of its own around it,
    /// and the frame that catches is this small one, for the handler's type, which the
    /// unwinder searches instead of the loop's (large) one.
    pub(crate) struct Caught<F> {
        #[pin]
        fut: F,
    }
}

impl<F: Future<Output = Flow>> Future for Caught<F> {
    type Output = Flow;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Flow> {
        let fut = self.project().fut;
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Flow::Stop(ExitReason::from_panic(payload.as_ref()))),
        }
    }
}

/// Builds a callback's future with `build` and polls it inside the actor's span, turning a
/// panic in either into its exit reason. A future of its own type, not an `async` block,
/// which would hold `build` and the future it builds side by side.
pub(crate) fn catch<F: Future>(
    core: &Core,
    build: impl FnOnce() -> F,
) -> InSpan<'_, CatchPanic<F>> {
    let span = core.span();
    let caught = {
        let _entered = span.map(tracing::Span::enter);
        catch_panic(build)
    };
    InSpan {
        span,
        inner: caught,
    }
}

pin_project_lite::pin_project! {
    /// Polls `inner` inside `span`.
    pub(crate) struct InSpan<'a, F> {
        span: Option<&'a tracing::Span>,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for InSpan<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.map(tracing::Span::enter);
        this.inner.poll(cx)
    }
}

/// One poll of a handler inside the actor's span. The handler's future catches its own
/// panics ([`Caught`]), or cannot panic (a ready result), so no panic unwinds through here.
/// The loop polls each handler in place with this rather than through [`catch`], which would
/// move the handler into a future of its own (two copies of the handler slot per message).
#[inline(always)]
pub(crate) fn poll_in_span(
    core: &Core,
    fut: Pin<&mut HandlerFuture<'_>>,
    cx: &mut TaskContext<'_>,
) -> Poll<Flow> {
    let _entered = core.span().map(tracing::Span::enter);
    fut.poll(cx)
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
