//! The actor's task: registers names, runs `init`, drains the mailbox, runs `terminate`.
//!
//! Every callback runs under `catch_unwind`; a panic becomes [`ExitReason::Panic`] and takes
//! the same path as a returned stop. Exit signals that kill (the kill signal, or an untrapped
//! abnormal exit) do not pass through here: they abort the task, and dropping the task's
//! [`MailboxRx`] cleans up.

use std::any::Any;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Waker;

use tokio::sync::oneshot;

use crate::actor::{Actor, InitError};
use crate::actor_ref::ActorRef;
use crate::cell::{self, ActorCell};
use crate::context::Context;
use crate::envelope::{Deliver, Envelope, Handler};
use crate::error::{RegisterError, StartError};
use crate::exit::ExitReason;
use crate::handler::Flow;
use crate::harness::{
    HandlerFuture, call_caught, catch, caught_handler, handler_future, poll_in_span,
};
use crate::mailbox::MailboxRx;
use crate::pid::Pid;
use crate::signal;
use crate::signal::{Down, Exit};
use crate::spawn::Names;

/// A system message, handled in its place in the mailbox's order.
pub(crate) enum SystemEnvelope {
    /// A trapped exit signal.
    Exit(Exit),
    /// A monitor fired.
    Down(Down),
    /// `stop/3`: terminate with this reason.
    Stop(ExitReason),
    /// Handled already.
    Taken,
}

impl<A: Actor> Deliver<A> for SystemEnvelope {
    fn deliver<'a>(&'a mut self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandlerFuture<'a> {
        match std::mem::replace(self, SystemEnvelope::Taken) {
            SystemEnvelope::Exit(exit) => {
                let from_parent = match (&exit.from, ctx.parent()) {
                    (Some(from), Some(parent)) => from.id() == parent.id(),
                    _ => false,
                };
                if from_parent {
                    // R-GS-17: a trapping server terminates when its parent exits.
                    handler_future(std::future::ready(Flow::Stop(exit.reason)))
                } else {
                    caught_handler(|| actor.handle_exit(exit, ctx))
                }
            }
            SystemEnvelope::Down(down) => {
                // A DOWN for a monitor removed by demonitor is flushed here.
                let held = ctx.monitors.as_mut().and_then(|m| m.remove(&down.monitor));
                if held.is_some() {
                    ctx.pid().inner.core().forget_monitoring(down.monitor);
                    caught_handler(|| actor.handle_down(down, ctx))
                } else {
                    handler_future(std::future::ready(Flow::Ok))
                }
            }
            SystemEnvelope::Stop(reason) => handler_future(std::future::ready(Flow::Stop(reason))),
            // Unreachable: an envelope is handled once. Nothing to run.
            SystemEnvelope::Taken => handler_future(std::future::ready(Flow::Ok)),
        }
    }

    fn take_msg(&mut self) -> Option<Box<dyn Any + Send>> {
        None
    }
}

/// What the loop waits for next.
enum Next<A: Actor> {
    Continue(Box<dyn Handler<A>>),
    Envelope(Envelope<A>),
    Timeout,
}

/// What `init` gave: the running actor and its context, or why it did not start (the
/// failed start already fully cleaned up, R-GS-2, R-NAME-3).
type Started<A> = Result<(A, Context<A>), StartError>;

pin_project_lite::pin_project! {
    /// The start phase of an actor: claims the names and runs `init`.
    ///
    /// The starter may poll it first, in its own task and as the new actor
    /// ([`poll_init`](Self::poll_init)): an `init` that finishes in that poll leaves its
    /// result here for the actor's task to take, and nobody needs an acknowledgement. Otherwise
    /// the starter gives it a channel ([`acknowledge_to`](Self::acknowledge_to)) and the
    /// actor's task, polling it as a future, finishes `init` and tells the starter through it.
    pub(crate) struct StartTask<A: Actor, F> {
        #[pin]
        init: Option<F>,
        started: Option<(A, Context<A>)>,
        ack: Option<oneshot::Sender<Result<(), StartError>>>,
        starter: StarterWake,
    }
}

/// The waker of a starter that returns only once its actor's task has had its first poll
/// (see `spawn::start_yields`): woken by that poll, or, if the task is dropped without one
/// (killed before it ran, or its runtime shut down), by the drop, so that no starter waits
/// for a poll that never comes.
///
/// Woken from the actor's task rather than by the starter waking itself: the starter is then
/// scheduled as the next task of the worker that ran the first poll, and no other worker is
/// woken to take it.
#[derive(Default)]
struct StarterWake(Option<Waker>);

impl StarterWake {
    fn wake(&mut self) {
        if let Some(waker) = self.0.take() {
            waker.wake();
        }
    }
}

impl Drop for StarterWake {
    fn drop(&mut self) {
        self.wake();
    }
}

impl<A: Actor, F: Future<Output = Started<A>>> StartTask<A, F> {
    /// Polls the start phase until `init` is done: `Ok` once the actor runs (its state kept
    /// here for the task), or the failed start's error.
    pub(crate) fn poll_init(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), StartError>> {
        let mut this = self.project();
        let Some(init) = this.init.as_mut().as_pin_mut() else {
            // Done already: a second poll by the task after the starter's.
            return std::task::Poll::Ready(Ok(()));
        };
        let started = std::task::ready!(init.poll(cx));
        this.init.set(None);
        std::task::Poll::Ready(started.map(|pair| {
            *this.started = Some(pair);
        }))
    }

    /// Wakes `starter` at the actor's task's first poll (or when the task is dropped unpolled).
    pub(crate) fn wake_after_first_poll(self: Pin<&mut Self>, starter: Waker) {
        self.project().starter.0 = Some(starter);
    }

    /// Where the actor's task reports the end of `init`, when the starter waits for it.
    pub(crate) fn acknowledge_to(
        self: Pin<&mut Self>,
        ack: oneshot::Sender<Result<(), StartError>>,
    ) {
        *self.project().ack = Some(ack);
    }
}

impl<A: Actor, F: Future<Output = Started<A>>> Future for StartTask<A, F> {
    type Output = Option<(A, Context<A>)>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let done = std::task::ready!(self.as_mut().poll_init(cx));
        let this = self.project();
        this.starter.wake();
        // The starter may have given up waiting; the actor runs all the same, as in OTP.
        let failed = done.is_err();
        if let Some(ack) = this.ack.take() {
            let _ = ack.send(done);
        }
        if failed {
            return std::task::Poll::Ready(None);
        }
        std::task::Poll::Ready(this.started.take())
    }
}

/// Builds the start phase of a new actor.
pub(crate) fn start<A: Actor>(
    cell: Arc<ActorCell<A>>,
    args: A::Args,
    parent: Option<Pid>,
    names: Names,
) -> Pin<Box<StartTask<A, impl Future<Output = Started<A>> + Send>>> {
    // An `async` block, not an `async fn`, which would hold its arguments twice (see `run`).
    let init = async move {
        let pid = cell.pid();
        let core = &cell.core;

        // R-NAME-2b: the new actor registers itself; a clash means it exits normal, no init.
        for name in names.as_slice() {
            // A registry is user code: its panic fails the start as one in `init` does.
            let (exit_reason, err) = match catch(core, || name.claim_at_start(&pid)).await {
                Ok(Ok(())) => (ExitReason::Normal, None),
                Ok(Err(RegisterError::Taken(holder))) => {
                    (ExitReason::Normal, Some(StartError::AlreadyStarted(holder)))
                }
                Ok(Err(RegisterError::Unsupported(why))) => {
                    (ExitReason::Normal, Some(StartError::InvalidName(why)))
                }
                Ok(Err(RegisterError::NoProc)) => (
                    ExitReason::Normal,
                    Some(StartError::InvalidName(
                        "the registry found the new actor dead",
                    )),
                ),
                Err(panic) => (panic.clone(), Some(StartError::Failed(panic))),
            };
            if let Some(err) = err {
                return Err(fail_start(&pid, parent.as_ref(), exit_reason, err));
            }
            if !core.add_name(name.clone()) {
                name.release(&pid);
            }
        }

        let mut ctx = Context::new(ActorRef { cell: cell.clone() }, parent.clone());
        let init_ctx = &mut ctx;
        let (exit_reason, err) = match catch(core, move || A::init(args, init_ctx)).await {
            Ok(Ok(actor)) => {
                core.set_running();
                tracing::debug!("actor started");
                return Ok((actor, ctx));
            }
            Ok(Err(InitError::Ignore)) => (ExitReason::Normal, StartError::Ignored),
            Ok(Err(InitError::Stop(reason))) => (reason.clone(), StartError::Failed(reason)),
            Ok(Err(InitError::Error(reason))) => (ExitReason::Normal, StartError::Failed(reason)),
            Err(panic) => (panic.clone(), StartError::Failed(panic)),
        };
        drop(ctx);
        Err(fail_start(&pid, parent.as_ref(), exit_reason, err))
    };
    Box::pin(StartTask {
        init: Some(init),
        started: None,
        ack: None,
        starter: StarterWake::default(),
    })
}

/// What the loop handles next: a continuation first (R-GS-14: before anything already
/// queued), else the next envelope, or the idle timeout the last callback asked for. A macro
/// so that it is awaited in the loop's own future, not as a nested one.
macro_rules! next {
    ($rx:ident, $ctx:ident) => {
        if let Some(cont) = $ctx.continuation.take() {
            $ctx.take_timeout();
            Next::Continue(cont)
        } else {
            match $ctx.take_timeout() {
                None => Next::Envelope($rx.recv().await),
                Some(after) => tokio::select! {
                    biased;
                    env = $rx.recv() => Next::Envelope(env),
                    // Boxed: an idle actor's task should not carry a timer entry inline.
                    () = Box::pin(tokio::time::sleep(after)) => Next::Timeout,
                },
            }
        }
    };
}

/// The actor's task: the start phase, then the mailbox loop, then `terminate`. Dropping
/// `rx` cleans up, however the task ends.
///
/// The start phase is boxed (a thin pointer: `run` is generic over its type) and awaited
/// first, so the arguments, names and acknowledgement channel it holds are freed once the
/// actor runs instead of staying in every idle actor's task.
///
/// A plain function returning an `async` block, not an `async fn`: an `async fn`'s future
/// holds its arguments twice (as captured, and again as the body's locals), which would make
/// every idle actor's task bigger (a unit test below bounds its size).
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` would hold its arguments twice in the future"
)]
pub(crate) fn run<A: Actor, S>(
    starting: Pin<Box<S>>,
    mut rx: MailboxRx<A>,
) -> impl Future<Output = ()> + Send
where
    S: Future<Output = Option<(A, Context<A>)>> + Send,
{
    async move {
        // When the task is aborted (a kill), the future is dropped: its locals, `actor` among
        // them, before its captured arguments, `rx` among them, so the state is dropped
        // before `rx`'s cleanup makes the exit observable, as on the paths below. A panic in
        // the state's `Drop` there unwinds into tokio, which contains it (the task's result
        // carries it); `rx` still cleans up, and the reason stays the signal's.
        let Some((mut actor, mut ctx)) = starting.await else {
            // Start failed and was fully cleaned up; dropping `rx` does nothing more.
            return;
        };
        crate::spawn::first_poll_ran();

        // The envelope being handled: a call's handler future borrows it to leave the result,
        // and it answers the caller once that future is gone. Kept past the loop when it holds a
        // reply for after `terminate`.
        let mut held: Option<Envelope<A>> = None;
        let reason = loop {
            if rx.cell.core.is_doomed() {
                // An exit signal decided; dropping `rx` cleans up with its reason, no terminate.
                return;
            }
            // Every callback of the loop is awaited at this one point, as one future type, so
            // the task holds a single handler slot, built where it is polled. What the loop
            // takes next (`Next`) lives only until its handler is built: kept across the
            // handler's await, it would be room in every idle actor's task.
            let outcome = {
                // Built in its pinned slot and polled there: moved into the awaited future
                // instead, it would be copied once more per message.
                let handler = pin!(match next!(rx, ctx) {
                    // Each handler's future is built under a catch too (`caught_handler`): user
                    // code may panic before it returns a future.
                    Next::Continue(cont) => caught_handler(|| cont.handle(&mut actor, &mut ctx)),
                    Next::Timeout => caught_handler(|| actor.handle_timeout(&mut ctx)),
                    // The envelope stays in `held`, where a call's handler leaves its result.
                    Next::Envelope(env) => held.insert(env).deliver(&mut actor, &mut ctx),
                });
                let handling = Handling {
                    handler,
                    core: &rx.cell.core,
                };
                handling.await
            };
            let core = &rx.cell.core;
            core.count_handled();
            #[cfg(feature = "metrics")]
            if rx.batch_is_empty() {
                crate::metrics::report_handled(core, std::any::type_name::<A>());
            }
            // Only a call leaves something in the context's reply slot (its sender, or the
            // marker `reply_to` left): answer it, and let its envelope go unless it holds a
            // reply for after `terminate`. Any other envelope is spent (its message taken) and is
            // dropped when the next one takes the slot (one drop per envelope, no extra step),
            // or below when none is in hand.
            if ctx.reply.is_some() {
                let stopping = matches!(outcome, Flow::Stop(_)) || ctx.stop.is_some();
                if !held
                    .as_mut()
                    .is_some_and(|env| env.finish(&mut ctx, stopping))
                {
                    held = None;
                }
            } else if rx.batch_is_empty() {
                // The batch in hand is spent, so the loop may now wait: the spent envelope goes
                // at once, not when the next message takes its place, so that an idle actor
                // keeps no message's allocation (one too big to sit inline is on the heap).
                held = None;
            }
            match outcome {
                Flow::Ok => {
                    if let Some(reason) = ctx.stop.take() {
                        break *reason;
                    }
                }
                Flow::Stop(reason) => break reason,
            }
        };

        // R-GS-7/9/16/17: terminate, then a held reply, then exit.
        let core = &rx.cell.core;
        #[cfg(feature = "metrics")]
        crate::metrics::report_handled(core, std::any::type_name::<A>());
        core.set_terminating();
        let term_ctx = &mut ctx;
        let reason = match catch(core, || Box::pin(actor.terminate(&reason, term_ctx))).await {
            Ok(()) => reason,
            // R-GS-18: a panicking terminate replaces the reason.
            Err(panic) => panic,
        };
        // The state goes before the exit is recorded and announced: what it owns (a
        // listening socket, a file lock) is released before a waiter, a linked or monitoring
        // actor or a supervisor restarting it can see the exit. A panic in its `Drop` replaces
        // the reason, as one in `terminate` does.
        let reason = match call_caught(move || drop((actor, ctx))) {
            Ok(()) => reason,
            Err(panic) => panic,
        };
        if let Some(held) = held.as_mut() {
            held.flush();
        }
        core.set_exit(reason);
        // Dropping the receiver cleans up.
        drop(rx);
        // A call the stop left unanswered is let go only now: its caller wakes once and
        // finds the exit complete (it would otherwise wake to no reply, then again for it).
        drop(held);
    }
}

pin_project_lite::pin_project! {
    /// A handler being run: polled in place inside the actor's span (the handler's future
    /// turns its own panic into `Flow::Stop` with its reason, see `harness::Caught`).
    struct Handling<'a, 'h> {
        core: &'a crate::cell::Core,
        handler: Pin<&'a mut HandlerFuture<'h>>,
    }
}

impl Future for Handling<'_, '_> {
    type Output = Flow;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Flow> {
        let this = self.project();
        poll_in_span(this.core, this.handler.as_mut(), cx)
    }
}

/// `init` did not produce a running actor: exit with `exit_reason` and fully clean up
/// (R-GS-2, R-NAME-3); then the starter may be told `err`, which this returns.
fn fail_start(
    pid: &Pid,
    parent: Option<&Pid>,
    exit_reason: ExitReason,
    err: StartError,
) -> StartError {
    if let Some(parent) = parent {
        // A trapping starter is not left an EXIT (OTP >= 26); a non-trapping one is killed by
        // the link when the reason is abnormal, so the link stays for that case.
        if parent.inner.core().traps_exit() || exit_reason.is_normal() {
            signal::unlink_pair(parent, pid);
        }
    }
    pid.inner.core().set_exit(exit_reason);
    cell::cleanup(pid, ExitReason::Normal);
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::Mailbox;
    use crate::test_actor::Sink;

    #[test]
    fn an_idle_actors_task_stays_small() {
        // Every idle actor holds this future (in its tokio task): its size is most of the
        // memory per idle actor (`docs/benchmarks.md`). The bound is what a trivial actor
        // needs; `run` as an `async fn` exceeds it.
        let (_cell, rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        let starting = Box::pin(std::future::ready(None));
        let task = run(starting, rx);
        let size = std::mem::size_of_val(&task);
        assert!(size <= 256, "an idle actor's task grew to {size} bytes");
    }
}
