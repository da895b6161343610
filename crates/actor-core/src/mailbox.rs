//! The mailbox: one ordered queue per actor for calls, casts, infos and system messages.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use tokio::sync::{mpsc, oneshot};

use crate::actor::Actor;
use crate::context::Context;
use crate::exit::ExitReason;
use crate::handler::{Call, CallReply, Cast, Continue, Flow, Info};
use crate::signal::{Down, Exit};

/// The kind of mailbox an actor gets at start.
///
/// Every mailbox keeps one order for all messages, so messages from one sender are handled in
/// the order they were sent (R-SIG-5). A bounded mailbox refuses
/// [`try_cast`](crate::ActorRef::try_cast) and [`try_send_info`](crate::ActorRef::try_send_info)
/// when it holds `capacity` messages, handing the message back; [`cast`](crate::ActorRef::cast),
/// [`send_info`](crate::ActorRef::send_info), calls and system messages (exit signals, DOWN,
/// stop) are never refused, so nothing is lost, as with OTP's unbounded mailboxes.
///
/// # Examples
///
/// ```
/// use actor_core::Mailbox;
///
/// assert_eq!(Mailbox::default(), Mailbox::Unbounded);
/// assert_eq!(Mailbox::bounded(0), Mailbox::Bounded(1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Mailbox {
    /// No bound (the default, as in OTP).
    #[default]
    Unbounded,
    /// `try_` sends fail once this many messages are queued.
    Bounded(usize),
}

impl Mailbox {
    /// A bounded mailbox; a capacity of 0 is taken as 1.
    pub fn bounded(capacity: usize) -> Self {
        Self::Bounded(capacity.max(1))
    }

    pub(crate) fn capacity(self) -> usize {
        match self {
            Self::Unbounded => usize::MAX,
            Self::Bounded(n) => n.max(1),
        }
    }
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a message handler asks the loop to do next.
pub(crate) enum Outcome {
    Ok,
    Stop(ExitReason),
}

impl From<Flow> for Outcome {
    fn from(flow: Flow) -> Self {
        match flow {
            Flow::Ok => Self::Ok,
            Flow::Stop(reason) => Self::Stop(reason),
        }
    }
}

/// A queued item.
pub(crate) enum Envelope<A: Actor> {
    /// A call, cast, info or continue, erased over its message type.
    Msg(Box<dyn Handler<A>>),
    /// A trapped exit signal.
    Exit(Box<Exit>),
    /// A monitor fired.
    Down(Box<Down>),
    /// `stop/3`: terminate with this reason.
    Stop(Box<ExitReason>),
}

/// A message erased over its type: knows which handler of `A` to run.
pub(crate) trait Handler<A: Actor>: Send + 'static {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Outcome>;

    /// Recovers the concrete envelope, to hand an unsent message back to its sender.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// The sending half. A thin wrapper so the queue can change without touching callers.
pub(crate) struct MailboxSender<A: Actor>(mpsc::UnboundedSender<Envelope<A>>);

/// The receiving half, owned by the actor's loop.
pub(crate) struct MailboxRx<A: Actor>(mpsc::UnboundedReceiver<Envelope<A>>);

pub(crate) fn channel<A: Actor>() -> (MailboxSender<A>, MailboxRx<A>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (MailboxSender(tx), MailboxRx(rx))
}

impl<A: Actor> MailboxSender<A> {
    pub(crate) fn send(&self, env: Envelope<A>) -> Result<(), Envelope<A>> {
        self.0.send(env).map_err(|e| e.0)
    }
}

impl<A: Actor> MailboxRx<A> {
    /// The next envelope; `None` once every sender is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as `mpsc::UnboundedReceiver::recv` is.
    pub(crate) async fn recv(&mut self) -> Option<Envelope<A>> {
        self.0.recv().await
    }
}

// ---- the envelopes -------------------------------------------------------------------------

pub(crate) struct CastEnvelope<M>(pub(crate) M);
pub(crate) struct InfoEnvelope<M>(pub(crate) M);
pub(crate) struct ContinueEnvelope<C>(pub(crate) C);

impl<A: Cast<M>, M: Send + 'static> Handler<A> for CastEnvelope<M> {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Outcome> {
        let Self(msg) = *self;
        Box::pin(async move { actor.handle_cast(msg, ctx).await.into() })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl<A: Info<M>, M: Send + 'static> Handler<A> for InfoEnvelope<M> {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Outcome> {
        let Self(msg) = *self;
        Box::pin(async move { actor.handle_info(msg, ctx).await.into() })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl<A: Continue<C>, C: Send + 'static> Handler<A> for ContinueEnvelope<C> {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Outcome> {
        let Self(c) = *self;
        Box::pin(async move { actor.handle_continue(c, ctx).await.into() })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A call: the request, the reply slot, and room for a reply that must wait for
/// `terminate` (`CallReply::ReplyAndStop`).
pub(crate) struct CallEnvelope<M, R> {
    msg: Option<M>,
    tx: Option<oneshot::Sender<R>>,
    held_reply: Option<R>,
}

impl<M, R> CallEnvelope<M, R> {
    pub(crate) fn new(msg: M, tx: oneshot::Sender<R>) -> Self {
        Self {
            msg: Some(msg),
            tx: Some(tx),
            held_reply: None,
        }
    }

    pub(crate) fn into_msg(self) -> Option<M> {
        self.msg
    }
}

/// The reply slot of the call being handled, kept in the context without its message type so
/// that [`Context::reply_to`] can take it. It reuses the envelope's allocation.
pub(crate) trait ReplySlot: Send {
    /// `&mut Option<oneshot::Sender<R>>`, to be downcast by the typed side.
    fn sender(&mut self) -> &mut dyn Any;
    /// Keeps a reply (`&mut Option<R>`, taken) to send once `terminate` has run.
    fn hold(&mut self, reply: &mut dyn Any);
    /// Sends the held reply, if any.
    fn flush(self: Box<Self>);
}

impl<M: Send + 'static, R: Send + 'static> ReplySlot for CallEnvelope<M, R> {
    fn sender(&mut self) -> &mut dyn Any {
        &mut self.tx
    }

    fn hold(&mut self, reply: &mut dyn Any) {
        if let Some(reply) = reply.downcast_mut::<Option<R>>() {
            self.held_reply = reply.take();
        }
    }

    fn flush(self: Box<Self>) {
        let this = *self;
        if let (Some(tx), Some(reply)) = (this.tx, this.held_reply) {
            // A reply to a caller that gave up is dropped silently (R-GS-8).
            let _ = tx.send(reply);
        }
    }
}

impl<A, M> Handler<A> for CallEnvelope<M, <A as Call<M>>::Reply>
where
    A: Call<M>,
    M: Send + 'static,
{
    fn handle<'a>(
        mut self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let Some(msg) = self.msg.take() else {
                return Outcome::Ok;
            };
            ctx.reply = Some(self);
            let result = actor.handle_call(msg, ctx).await;
            match result {
                CallReply::Reply(reply) => {
                    send_reply::<A::Reply>(ctx.reply.take(), reply);
                    Outcome::Ok
                }
                CallReply::NoReply => {
                    // Unless the handler took the reply handle, the caller waits until its
                    // timeout or the actor's exit, as in OTP.
                    ctx.reply = None;
                    Outcome::Ok
                }
                CallReply::Stop(reason) => {
                    ctx.reply = None;
                    Outcome::Stop(reason)
                }
                CallReply::ReplyAndStop(reply, reason) => {
                    // The reply waits in the slot until terminate has run (R-GS-7).
                    if let Some(slot) = ctx.reply.as_mut() {
                        slot.hold(&mut Some(reply));
                    }
                    Outcome::Stop(reason)
                }
            }
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

fn send_reply<R: Send + 'static>(slot: Option<Box<dyn ReplySlot>>, reply: R) {
    let Some(mut slot) = slot else { return };
    let tx = slot
        .sender()
        .downcast_mut::<Option<oneshot::Sender<R>>>()
        .and_then(Option::take);
    if let Some(tx) = tx {
        // A caller that gave up is ignored silently (R-GS-8).
        let _ = tx.send(reply);
    }
}
