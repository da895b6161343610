//! The actor's task: registers names, runs `init`, drains the mailbox, runs `terminate`.
//!
//! Every callback runs under `catch_unwind`; a panic becomes [`ExitReason::Panic`] and takes
//! the same path as a returned stop. Exit signals that kill (the kill signal, or an untrapped
//! abnormal exit) do not pass through here: they abort the task, and the task's
//! [`ExitGuard`] cleans up.

use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use tokio::sync::oneshot;

use crate::actor::{Actor, InitError};
use crate::actor_ref::ActorRef;
use crate::cell::{self, ActorCell, ExitGuard};
use crate::context::Context;
use crate::error::{RegisterError, StartError};
use crate::exit::ExitReason;
use crate::mailbox::{Envelope, MailboxRx, Outcome};
use crate::name::Name;
use crate::pid::Pid;
use crate::signal;

/// Polls `fut`, turning a panic into its exit reason.
async fn catch<F: Future>(fut: F) -> Result<F::Output, ExitReason> {
    let mut fut = pin!(fut);
    poll_fn(
        move |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(ExitReason::from_panic(payload.as_ref()))),
        },
    )
    .await
}

fn flow(result: Result<Outcome, ExitReason>) -> Outcome {
    result.unwrap_or_else(Outcome::Stop)
}

/// What the loop waits for next.
enum Next<A: Actor> {
    Envelope(Envelope<A>),
    Timeout,
}

pub(crate) async fn run<A: Actor>(
    cell: Arc<ActorCell<A>>,
    mut rx: MailboxRx<A>,
    args: A::Args,
    parent: Option<Pid>,
    names: Vec<Name>,
    ack: oneshot::Sender<Result<(), StartError>>,
    guard: ExitGuard,
) {
    let pid = guard.pid.clone();
    let core = &cell.core;

    // R-NAME-2b: the new actor registers itself; a clash means it exits normal, no init.
    for name in names {
        if let Err(e) = name.claim(&pid) {
            let err = match e {
                RegisterError::Taken(holder) => StartError::AlreadyStarted(holder),
                RegisterError::Unsupported(why) => StartError::InvalidName(why),
                RegisterError::NoProc => {
                    StartError::InvalidName("the registry found the new actor dead")
                }
            };
            return fail_start(&pid, parent.as_ref(), ExitReason::Normal, err, ack);
        }
        if !core.add_name(name.clone()) {
            name.release(&pid);
        }
    }

    let mut ctx = Context::new(ActorRef { cell: cell.clone() }, parent.clone());
    let mut actor = match catch(Box::pin(A::init(args, &mut ctx))).await {
        Ok(Ok(actor)) => actor,
        Ok(Err(InitError::Ignore)) => {
            drop(ctx);
            return fail_start(
                &pid,
                parent.as_ref(),
                ExitReason::Normal,
                StartError::Ignored,
                ack,
            );
        }
        Ok(Err(InitError::Stop(reason))) => {
            drop(ctx);
            let err = StartError::Failed(reason.clone());
            return fail_start(&pid, parent.as_ref(), reason, err, ack);
        }
        Ok(Err(InitError::Error(reason))) => {
            drop(ctx);
            return fail_start(
                &pid,
                parent.as_ref(),
                ExitReason::Normal,
                StartError::Failed(reason),
                ack,
            );
        }
        Err(panic) => {
            drop(ctx);
            let err = StartError::Failed(panic.clone());
            return fail_start(&pid, parent.as_ref(), panic, err, ack);
        }
    };
    core.set_running();
    tracing::debug!("actor started");
    // The starter may have given up waiting; the actor runs all the same, as in OTP.
    let _ = ack.send(Ok(()));

    let reason = loop {
        if core.is_doomed() {
            // An exit signal decided; the guard cleans up with its reason, no terminate.
            return;
        }
        let outcome = if let Some(cont) = ctx.continuation.take() {
            // R-GS-14: a continuation runs before anything already queued.
            ctx.timeout = None;
            flow(catch(cont.handle(&mut actor, &mut ctx)).await)
        } else {
            let next = match ctx.timeout.take() {
                None => Next::Envelope(rx.recv().await),
                Some(after) => tokio::select! {
                    biased;
                    env = rx.recv() => Next::Envelope(env),
                    // Boxed: an idle actor's task should not carry a timer entry inline.
                    () = Box::pin(tokio::time::sleep(after)) => Next::Timeout,
                },
            };
            match next {
                Next::Timeout => catch(Box::pin(actor.handle_timeout(&mut ctx)))
                    .await
                    .map(Outcome::from)
                    .unwrap_or_else(Outcome::Stop),
                Next::Envelope(env) => dispatch(env, &mut actor, &mut ctx).await,
            }
        };
        match outcome {
            Outcome::Ok => {
                if let Some(reason) = ctx.stop.take() {
                    break reason;
                }
            }
            Outcome::Stop(reason) => break reason,
        }
    };

    // R-GS-7/9/16/17: terminate, then a held reply, then exit.
    core.set_terminating();
    let reason = match catch(Box::pin(actor.terminate(&reason, &mut ctx))).await {
        Ok(()) => reason,
        // R-GS-18: a panicking terminate replaces the reason.
        Err(panic) => panic,
    };
    if let Some(slot) = ctx.reply.take() {
        slot.flush();
    }
    core.set_exit(reason);
    // Returning drops the guard, which cleans up.
}

async fn dispatch<A: Actor>(env: Envelope<A>, actor: &mut A, ctx: &mut Context<A>) -> Outcome {
    match env {
        Envelope::Msg(mut msg) => {
            let handled = msg.deliver(actor, ctx);
            // Emptied by `deliver`; dropped now so the await below does not carry it.
            drop(msg);
            flow(catch(handled).await)
        }
        Envelope::Call(handler) => flow(catch(handler.handle(actor, ctx)).await),
        Envelope::Exit(exit) => {
            let from_parent = match (&exit.from, ctx.parent()) {
                (Some(from), Some(parent)) => from.id() == parent.id(),
                _ => false,
            };
            if from_parent {
                // R-GS-17: a trapping server terminates when its parent exits.
                Outcome::Stop(exit.reason)
            } else {
                flow(
                    catch(Box::pin(actor.handle_exit(*exit, ctx)))
                        .await
                        .map(Outcome::from),
                )
            }
        }
        Envelope::Down(down) => {
            // A DOWN for a monitor removed by demonitor is flushed here.
            if ctx.monitors.remove(&down.monitor).is_some() {
                flow(
                    catch(Box::pin(actor.handle_down(*down, ctx)))
                        .await
                        .map(Outcome::from),
                )
            } else {
                Outcome::Ok
            }
        }
        Envelope::Stop(reason) => Outcome::Stop(*reason),
    }
}

/// `init` did not produce a running actor: exit with `exit_reason`, fully clean up, then
/// tell the starter (R-GS-2, R-NAME-3).
fn fail_start(
    pid: &Pid,
    parent: Option<&Pid>,
    exit_reason: ExitReason,
    err: StartError,
    ack: oneshot::Sender<Result<(), StartError>>,
) {
    if let Some(parent) = parent {
        // A trapping starter is not left an EXIT (OTP >= 26); a non-trapping one is killed by
        // the link when the reason is abnormal, so the link stays for that case.
        if parent.inner.core().traps_exit() || exit_reason.is_normal() {
            signal::unlink_pair(parent, pid);
        }
    }
    pid.inner.core().set_exit(exit_reason);
    cell::cleanup(pid, ExitReason::Normal);
    let _ = ack.send(Err(err));
}
