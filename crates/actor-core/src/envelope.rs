//! What a mailbox holds and how each item reaches the actor: the envelope of a cast, an info,
//! a call (with its reply, answered once the handler's future is gone) or a system message,
//! and the continuation of `handle_continue`. The run loop delivers them; the queue
//! (`mailbox.rs`) only stores them.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use smallbox::SmallBox;

use crate::actor::Actor;
use crate::context::Context;
use crate::handler::{Call, CallReply, Cast, Continue, Flow, Info};
use crate::harness::{HandlerFuture, caught_handler, handler_future};
use crate::reply::ReplyTx;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Inline room for a cast or info message: two words, so a message of up to 8 bytes (16 with
/// a niche, such as a `Box` or an `Arc`) is queued without a heap allocation of its own.
pub(crate) type InlineSpace = smallbox::space::S2;

/// A queued item, erased over its kind and message type: a cast, an info, a call or a
/// system message. 32 bytes: a message, or a call whose request and reply are small, is held
/// inline; a bigger one goes to the heap on its own.
///
/// Invariant: four words (a unit test pins it). All system messages share one variant so
/// that none adds a fifth word, and a small call is held inline, so that queuing it costs
/// no allocation of its own (`docs/benchmarks.md` has the measurements behind both).
pub(crate) struct Envelope<A: Actor>(SmallBox<dyn Deliver<A>, InlineSpace>);

impl<A: Actor> Envelope<A> {
    /// Puts `item` in an envelope, inline when it fits [`InlineSpace`].
    ///
    /// A message that fits is never boxed: queuing a cast allocates nothing of its own
    /// (`docs/benchmarks.md`).
    pub(crate) fn new<D: Deliver<A>>(item: D) -> Self {
        // Safety: this macro's expansion is unsafe code (with the other `smallbox!` uses and
        // the reply channel, the only unsafe code of the libraries): it calls
        // `SmallBox::new_unchecked(val, ptr)` with `ptr` taken from `val` itself by
        // `addr_of!`, so the pointer's metadata (the `Deliver<A>` vtable of `D`) matches the
        // value, which is that function's whole safety contract.
        Self(smallbox::smallbox!(item))
    }

    /// Builds the handler's future; a call's borrows the envelope to leave its result.
    pub(crate) fn deliver<'a>(
        &'a mut self,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> HandlerFuture<'a> {
        self.0.deliver(actor, ctx)
    }

    /// See [`Deliver::finish`].
    pub(crate) fn finish(&mut self, ctx: &mut Context<A>, stopping: bool) -> bool {
        self.0.finish(ctx, stopping)
    }

    /// See [`Deliver::flush`].
    pub(crate) fn flush(&mut self) {
        self.0.flush();
    }

    /// Takes the message out (as `Box<M>`), to hand an unsent message back to its sender.
    pub(crate) fn take_msg(&mut self) -> Option<Box<dyn Any + Send>> {
        self.0.take_msg()
    }
}

/// What an [`Envelope`] holds, erased over its type: knows which handler of `A` to run. Run
/// in up to three steps by the loop: [`deliver`] builds the handler's future, which for a
/// call borrows the envelope to leave its result there; once that future is gone and the
/// context free again, [`finish`] answers the caller; [`flush`] sends a reply held for after
/// `terminate`. Only a call has anything to finish or flush.
///
/// [`deliver`]: Deliver::deliver
/// [`finish`]: Deliver::finish
/// [`flush`]: Deliver::flush
pub(crate) trait Deliver<A: Actor>: Send + 'static {
    /// Takes the message out and builds its handler's future. A call's reply sender goes to
    /// `ctx` (for [`Context::reply_to`]); its result comes back into this envelope.
    fn deliver<'a>(&'a mut self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandlerFuture<'a>;

    /// Answers the caller as the handler decided, taking the reply sender (or the marker
    /// [`Context::reply_to`] left) out of `ctx`. Returns `true` if the envelope must be kept
    /// until the actor has exited: it holds a reply to send after `terminate`
    /// (`CallReply::ReplyAndStop`), or, when the actor is `stopping`, the sender of a call
    /// left unanswered, dropped once the exit is complete so that its caller is woken once,
    /// to find the exit, rather than once to find no reply and again for the exit. The loop
    /// calls it only after a call, which always leaves a sender or the marker in `ctx`.
    fn finish(&mut self, _ctx: &mut Context<A>, _stopping: bool) -> bool {
        false
    }

    /// Sends the held reply, if any.
    fn flush(&mut self) {}

    /// Takes the message out (as `Box<M>`), to hand an unsent message back to its sender.
    fn take_msg(&mut self) -> Option<Box<dyn Any + Send>>;
}

/// A continuation erased over its type: knows which handler of `A` to run.
pub(crate) trait Handler<A: Actor>: Send + 'static {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Flow>;
}

pub(crate) struct CastEnvelope<M>(pub(crate) Option<M>);
pub(crate) struct InfoEnvelope<M>(pub(crate) Option<M>);
pub(crate) struct ContinueEnvelope<C>(pub(crate) C);

impl<A: Cast<M>, M: Send + 'static> Deliver<A> for CastEnvelope<M> {
    fn deliver<'a>(&'a mut self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandlerFuture<'a> {
        match self.0.take() {
            Some(msg) => caught_handler(|| actor.handle_cast(msg, ctx)),
            // Unreachable: an envelope is delivered once. Nothing to run.
            None => handler_future(std::future::ready(Flow::Ok)),
        }
    }

    fn take_msg(&mut self) -> Option<Box<dyn Any + Send>> {
        self.0.take().map(|m| Box::new(m) as Box<dyn Any + Send>)
    }
}

impl<A: Info<M>, M: Send + 'static> Deliver<A> for InfoEnvelope<M> {
    fn deliver<'a>(&'a mut self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandlerFuture<'a> {
        match self.0.take() {
            Some(msg) => caught_handler(|| actor.handle_info(msg, ctx)),
            // Unreachable: an envelope is delivered once. Nothing to run.
            None => handler_future(std::future::ready(Flow::Ok)),
        }
    }

    fn take_msg(&mut self) -> Option<Box<dyn Any + Send>> {
        self.0.take().map(|m| Box::new(m) as Box<dyn Any + Send>)
    }
}

impl<A: Continue<C>, C: Send + 'static> Handler<A> for ContinueEnvelope<C> {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Flow> {
        let Self(c) = *self;
        Box::pin(actor.handle_continue(c, ctx))
    }
}

/// The reply sender of the call being handled, kept in the context without its types so
/// that [`Context::reply_to`] can take it: a [`CallSender<M, R>`], one word, held inline
/// (taken out whole, by [`take_reply_sender`]).
pub(crate) type ReplySender = SmallBox<dyn Any + Send, smallbox::space::S1>;

/// A call's reply sender, tagged with the call's message type `M`, so that only a
/// `reply_to::<M>()` takes it, not one for another message that happens to reply with the
/// same type. The tag has no size.
struct CallSender<M, R: Send + 'static> {
    tx: ReplyTx<R>,
    _msg: PhantomData<fn() -> M>,
}

/// What [`Context::reply_to`] leaves in the reply sender's place: the call still has its
/// envelope to finish (to drop what the handler left there at once).
struct ReplyTaken;

/// A [`ReplyTaken`] marker, inline (it has no size).
pub(crate) fn reply_taken() -> ReplySender {
    // Safety: as in `Envelope::new`, the macro's `SmallBox::new_unchecked(val, ptr)` gets
    // `ptr` from `val` itself, so the pointer's metadata (the `Any` vtable) matches the value.
    smallbox::smallbox!(ReplyTaken)
}

/// Takes the reply sender out of `slot` if it is the sender of a call of message `M`; any
/// other (a `reply_to` for another message) stays where it is.
pub(crate) fn take_reply_sender<M: 'static, R: Send + 'static>(
    slot: &mut Option<ReplySender>,
) -> Option<ReplyTx<R>> {
    match slot.take()?.downcast::<CallSender<M, R>>() {
        Ok(sender) => Some(sender.into_inner().tx),
        Err(other) => {
            *slot = Some(other);
            None
        }
    }
}

/// A call: the request and the reply sender, then what the handler decided. One field
/// for all of it, so that a call with a small request (up to 4 bytes) and a small reply (up
/// to 8) fits the envelope's inline space: queued with no allocation of its own.
pub(crate) struct CallEnvelope<M, R: Send + 'static>(CallState<M, R>);

enum CallState<M, R: Send + 'static> {
    /// Queued.
    Request(M, ReplyTx<R>),
    /// Delivered; nothing to send: running, `NoReply`, `Stop`, or the handler panicked.
    Nothing,
    /// `Reply`: send now.
    Reply(R),
    /// `ReplyAndStop`: send once `terminate` has run (R-GS-7)...
    Hold(R),
    /// ...with the sender taken back from the context (rare: boxed, to keep the rest small).
    Held(Box<(R, ReplyTx<R>)>),
    /// No reply, and the actor is stopping: the sender, dropped once the exit is complete.
    Unanswered { _tx: ReplyTx<R> },
}

impl<M, R: Send + 'static> CallEnvelope<M, R> {
    pub(crate) fn new(msg: M, tx: ReplyTx<R>) -> Self {
        Self(CallState::Request(msg, tx))
    }
}

pin_project_lite::pin_project! {
    /// A call handler's future: maps its [`CallReply`] to the loop's [`Flow`] and leaves the
    /// reply in the envelope. Written out rather than an `async` block: it holds no context
    /// of its own (so a trivial handler's call fits the loop's inline slot, with no box), and
    /// has nothing to clean up when the handler panics (an `async` block adds a landing pad,
    /// and so one more unwinding step, to every crash).
    struct CallFuture<'a, F, M, R>
    where
        R: Send,
        R: 'static,
    {
        #[pin]
        inner: F,
        done: &'a mut CallState<M, R>,
    }
}

impl<F: Future<Output = CallReply<R>>, M, R: Send + 'static> Future for CallFuture<'_, F, M, R> {
    type Output = Flow;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Flow> {
        let this = self.project();
        // A panic here unwinds to the `Caught` this future is wrapped in (`caught_handler`),
        // with `done` left as it is: no reply, and the actor stops with the panic as its
        // reason.
        let reply = std::task::ready!(this.inner.poll(cx));
        let (done, flow) = match reply {
            CallReply::Reply(reply) => (CallState::Reply(reply), Flow::Ok),
            // Unless the handler took the reply handle, the caller waits until its timeout
            // or the actor's exit, as in OTP.
            CallReply::NoReply => (CallState::Nothing, Flow::Ok),
            CallReply::Stop(reason) => (CallState::Nothing, Flow::Stop(reason)),
            CallReply::ReplyAndStop(reply, reason) => (CallState::Hold(reply), Flow::Stop(reason)),
        };
        **this.done = done;
        Poll::Ready(flow)
    }
}

impl<A, M> Deliver<A> for CallEnvelope<M, <A as Call<M>>::Reply>
where
    A: Call<M>,
    M: Send + 'static,
{
    fn deliver<'a>(&'a mut self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandlerFuture<'a> {
        let CallState::Request(msg, tx) = std::mem::replace(&mut self.0, CallState::Nothing) else {
            // Unreachable: an envelope is delivered once. Nothing to run.
            return handler_future(std::future::ready(Flow::Ok));
        };
        ctx.reply = Some(reply_sender::<M, _>(tx));
        // A panic while the handler's future is built stops the actor with no reply, as one
        // while it runs does: the caller is told the exit.
        let done = &mut self.0;
        caught_handler(move || CallFuture {
            inner: actor.handle_call(msg, ctx),
            done,
        })
    }

    fn finish(&mut self, ctx: &mut Context<A>, stopping: bool) -> bool {
        // The sender, unless the handler took it with `reply_to` (leaving a marker).
        let Some(tx) = take_reply_sender::<M, A::Reply>(&mut ctx.reply) else {
            ctx.reply = None;
            self.0 = CallState::Nothing;
            return false;
        };
        match std::mem::replace(&mut self.0, CallState::Nothing) {
            CallState::Reply(reply) => {
                // A caller that gave up is ignored silently (R-GS-8).
                tx.send(reply);
                false
            }
            CallState::Hold(reply) => {
                self.0 = CallState::Held(Box::new((reply, tx)));
                true
            }
            // No reply, and the actor stops (`Stop`, or the handler panicked): keep the
            // sender until the exit is complete, then drop it unanswered.
            CallState::Nothing if stopping => {
                self.0 = CallState::Unanswered { _tx: tx };
                true
            }
            // Dropping the sender unanswered: the caller waits for the exit, as with OTP's
            // monitor.
            _ => false,
        }
    }

    fn flush(&mut self) {
        // Only a held reply goes now. A sender kept unanswered (the call that stopped the
        // actor) stays until the envelope is dropped, once the exit is complete: taken out
        // here, it would be dropped here, and its caller woken before the exit.
        if !matches!(self.0, CallState::Held(_)) {
            return;
        }
        if let CallState::Held(held) = std::mem::replace(&mut self.0, CallState::Nothing) {
            let (reply, tx) = *held;
            // A reply to a caller that gave up is dropped silently (R-GS-8).
            tx.send(reply);
        }
    }

    fn take_msg(&mut self) -> Option<Box<dyn Any + Send>> {
        match std::mem::replace(&mut self.0, CallState::Nothing) {
            CallState::Request(msg, _) => Some(Box::new(msg)),
            other => {
                self.0 = other;
                None
            }
        }
    }
}

/// Erases a call's reply sender, inline.
fn reply_sender<M: 'static, R: Send + 'static>(tx: ReplyTx<R>) -> ReplySender {
    let sender = CallSender::<M, R> {
        tx,
        _msg: PhantomData,
    };
    // Safety: as in `Envelope::new`, the macro's `SmallBox::new_unchecked(val, ptr)` gets
    // `ptr` from `val` itself, so the pointer's metadata (the `Any` vtable of the sender)
    // matches the value.
    smallbox::smallbox!(sender)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_actor::{Get, Lookup, Sink};

    #[test]
    fn a_small_call_is_queued_inline_and_a_big_one_boxed() {
        // A request of up to 4 bytes with a reply of up to 8 needs no allocation of its own.
        let (tx, _rx) = crate::reply::channel::<u64>(None);
        let small = Envelope::<Sink>::new(CallEnvelope::new(Get, tx));
        assert!(!small.0.is_heap());
        let (tx, _rx) = crate::reply::channel::<u64>(None);
        let big = Envelope::<Sink>::new(CallEnvelope::new(Lookup([1, 2]), tx));
        assert!(big.0.is_heap());
    }
}
