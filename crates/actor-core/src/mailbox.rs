//! The mailbox: one ordered queue per actor for calls, casts, infos and system messages.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context as TaskContext, Poll, Waker, ready};

use smallbox::SmallBox;
use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::cell::ActorCell;
use crate::context::Context;
use crate::exit::ExitReason;
use crate::handler::{Call, CallReply, Cast, Continue, Flow, Info};
use crate::signal::{Down, Exit};
use crate::sync::{AtomicUsize, Mutex, MutexGuard};

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
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Mailbox {
    /// No bound (the default, as in OTP).
    #[default]
    Unbounded,
    /// `try_` sends fail once this many messages are queued.
    Bounded(usize),
}

/// Read as `"unbounded"` or `{"bounded": capacity}`; a capacity of 0 is read as 1, as
/// [`Mailbox::bounded`] takes it, so what is read equals what `bounded` makes.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Mailbox {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, Visitor};

        const FORMS: &str = r#"a mailbox: "unbounded" or {"bounded": capacity}"#;

        struct MailboxVisitor;

        impl<'de> Visitor<'de> for MailboxVisitor {
            type Value = Mailbox;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(FORMS)
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Mailbox, E> {
                match s {
                    "unbounded" => Ok(Mailbox::Unbounded),
                    _ => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
                }
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Mailbox, M::Error> {
                match map.next_key::<String>()?.as_deref() {
                    Some("bounded") => {}
                    Some(other) => {
                        return Err(de::Error::custom(format_args!(
                            "unknown key `{other}` in a mailbox, expected {FORMS}"
                        )));
                    }
                    None => return Err(de::Error::invalid_length(0, &self)),
                }
                let capacity = map
                    .next_value::<usize>()
                    .map_err(|e| de::Error::custom(format_args!("mailbox capacity: {e}")))?;
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom(format_args!(
                        "a mailbox map has one key, expected {FORMS}"
                    )));
                }
                Ok(Mailbox::bounded(capacity))
            }
        }

        d.deserialize_any(MailboxVisitor)
    }
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
        // The only unsafe code in the libraries is this macro's expansion: it calls
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
    // As in `Envelope::new`: the macro's `SmallBox::new_unchecked(val, ptr)` gets `ptr` from `val`
    // itself, so the pointer's metadata (the `Future` vtable of `F`) matches the value.
    // `SmallBox` is `!Unpin` when its content is, and polls it only through `Pin`, so an
    // inline future is never moved once polled.
    smallbox::smallbox!(fut)
}

/// Builds a handler's future with `build` (user code) under a catch: a panic before any
/// future exists ends the actor as one while the future runs does.
pub(crate) fn caught_handler<'a, F>(build: impl FnOnce() -> F) -> HandlerFuture<'a>
where
    F: Future<Output = Flow> + Send + 'a,
{
    match crate::harness::call_caught(build) {
        Ok(fut) => handler_future(fut),
        Err(panic) => handler_future(std::future::ready(Flow::Stop(panic))),
    }
}

/// A continuation erased over its type: knows which handler of `A` to run.
pub(crate) trait Handler<A: Actor>: Send + 'static {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, Flow>;
}

/// Why the queue refused an envelope; the envelope comes back.
pub(crate) enum Refused<A: Actor> {
    /// A bounded push found `capacity` envelopes queued.
    Full(Envelope<A>),
    /// The actor's loop has ended.
    Closed(Envelope<A>),
}

/// The queue every sender pushes to, kept inside the actor's cell.
///
/// One mutex guards the queue, the loop's waker and the closed flag, so a push, the wake-up
/// decision and closing can never interleave: a push either lands before the close (and is
/// dropped with the rest of the queue by the closing loop) or is refused and handed back.
/// The loop takes everything queued in one lock ([`MailboxRx::recv`] swaps the whole
/// `VecDeque` out), so senders and the loop meet on the lock once per batch, not per message.
/// An actor that was never sent anything holds no queue storage at all.
pub(crate) struct Queue<A: Actor> {
    shared: Mutex<Shared<A>>,
    /// Envelopes the loop has taken out of `shared` and not yet started; written by the loop
    /// only, so `len` (and a bounded push) count what is still waiting.
    in_hand: AtomicUsize,
    capacity: usize,
}

struct Shared<A: Actor> {
    queue: VecDeque<Envelope<A>>,
    /// The loop's waker while it waits for a message.
    waker: Option<Waker>,
    closed: bool,
}

/// Above this many slots, a drained buffer is released when the loop goes idle, so an actor
/// that once saw a burst does not keep the burst's memory while it waits.
const KEEP_IDLE_SLOTS: usize = 32;

impl<A: Actor> Queue<A> {
    pub(crate) fn new(mailbox: Mailbox) -> Self {
        Self {
            shared: Mutex::new(Shared {
                queue: VecDeque::new(),
                waker: None,
                closed: false,
            }),
            in_hand: AtomicUsize::new(0),
            capacity: mailbox.capacity(),
        }
    }

    /// Locks the queue. A `parking_lot` lock: senders on several threads meet here, and its
    /// brief spinning before sleeping keeps them out of the kernel (see `docs/benchmarks.md`).
    fn lock(&self) -> MutexGuard<'_, Shared<A>> {
        self.shared.lock()
    }

    /// Queues `env`, waking the loop if it waits. With `bounded`, a queue holding
    /// `capacity` envelopes refuses it.
    pub(crate) fn push(&self, env: Envelope<A>, bounded: bool) -> Result<(), Refused<A>> {
        let mut shared = self.lock();
        if shared.closed {
            return Err(Refused::Closed(env));
        }
        if bounded && shared.queue.len() + self.in_hand.load(Ordering::Relaxed) >= self.capacity {
            return Err(Refused::Full(env));
        }
        shared.queue.push_back(env);
        let waker = shared.waker.take();
        drop(shared);
        // Woken outside the lock: the woken loop may run at once on another thread.
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Envelopes queued and not yet taken by the loop.
    pub(crate) fn len(&self) -> usize {
        self.lock().queue.len() + self.in_hand.load(Ordering::Relaxed)
    }

    /// Refuses every later push and hands back what is queued, to be dropped by the caller
    /// outside the lock (dropping a call envelope tells its caller the actor is gone).
    pub(crate) fn close(&self) -> VecDeque<Envelope<A>> {
        let mut shared = self.lock();
        shared.closed = true;
        shared.waker = None;
        std::mem::take(&mut shared.queue)
    }
}

/// The receiving half, owned by the actor's loop: the batch taken from the shared queue.
/// Dropping it (the loop ended, or its task was aborted) closes the queue.
pub(crate) struct MailboxRx<A: Actor> {
    pub(crate) cell: Arc<ActorCell<A>>,
    batch: VecDeque<Envelope<A>>,
}

impl<A: Actor> MailboxRx<A> {
    pub(crate) fn new(cell: Arc<ActorCell<A>>) -> Self {
        Self {
            cell,
            batch: VecDeque::new(),
        }
    }

    /// No envelope in hand: the next [`recv`](Self::recv) goes to the shared queue, and may
    /// wait.
    pub(crate) fn batch_is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// The next envelope. Uses the task's cooperative budget like tokio's own channels, so
    /// an actor with a full mailbox still lets other tasks on its worker run.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an envelope is only taken out of the batch when it is returned.
    pub(crate) fn recv(&mut self) -> impl Future<Output = Envelope<A>> + '_ {
        std::future::poll_fn(move |cx| self.poll_recv(cx))
    }

    /// Inlined into the loop: the common case, a batch in hand, is a budget check and a pop.
    #[inline(always)]
    fn poll_recv(&mut self, cx: &mut TaskContext<'_>) -> Poll<Envelope<A>> {
        if self.batch.is_empty() && !self.refill(cx) {
            return Poll::Pending;
        }
        // A message is ready: spend one unit of tokio's budget on it, or yield with it kept
        // in the batch. Only here: asking an exhausted budget while the mailbox is empty
        // would yield, and be woken again, for nothing.
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        match self.batch.pop_front() {
            Some(env) => {
                self.cell
                    .mailbox
                    .in_hand
                    .store(self.batch.len(), Ordering::Relaxed);
                coop.made_progress();
                Poll::Ready(env)
            }
            // Unreachable: the batch is not empty here. Polled again, it would wait properly.
            None => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// Takes everything queued as the new batch, or, with nothing queued, leaves the loop's
    /// waker and returns `false`. Kept out of line: once per batch, not per message.
    #[inline(never)]
    fn refill(&mut self, cx: &mut TaskContext<'_>) -> bool {
        let queue = &self.cell.mailbox;
        let mut shared = queue.lock();
        if shared.queue.is_empty() {
            match &mut shared.waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            if shared.queue.capacity() > KEEP_IDLE_SLOTS {
                shared.queue = VecDeque::new();
            }
            drop(shared);
            if self.batch.capacity() > KEEP_IDLE_SLOTS {
                self.batch = VecDeque::new();
            }
            return false;
        }
        // Everything queued becomes the batch; the loop's drained buffer goes back to the
        // senders, so a busy actor allocates no queue storage per batch.
        std::mem::swap(&mut shared.queue, &mut self.batch);
        queue.in_hand.store(self.batch.len(), Ordering::Relaxed);
        true
    }
}

impl<A: Actor> Drop for MailboxRx<A> {
    fn drop(&mut self) {
        let rest = self.cell.mailbox.close();
        self.cell.mailbox.in_hand.store(0, Ordering::Relaxed);
        drop(rest);
        self.batch.clear();
    }
}

// ---- the envelopes -------------------------------------------------------------------------

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
struct CallSender<M, R> {
    tx: oneshot::Sender<R>,
    _msg: PhantomData<fn() -> M>,
}

/// What [`Context::reply_to`] leaves in the reply sender's place: the call still has its
/// envelope to finish (to drop what the handler left there at once).
struct ReplyTaken;

/// A [`ReplyTaken`] marker, inline (it has no size).
pub(crate) fn reply_taken() -> ReplySender {
    // As in `Envelope::new`: the macro's `SmallBox::new_unchecked(val, ptr)` gets `ptr` from
    // `val` itself, so the pointer's metadata (the `Any` vtable) matches the value.
    smallbox::smallbox!(ReplyTaken)
}

/// Takes the reply sender out of `slot` if it is the sender of a call of message `M`; any
/// other (a `reply_to` for another message) stays where it is.
pub(crate) fn take_reply_sender<M: 'static, R: Send + 'static>(
    slot: &mut Option<ReplySender>,
) -> Option<oneshot::Sender<R>> {
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
pub(crate) struct CallEnvelope<M, R>(CallState<M, R>);

enum CallState<M, R> {
    /// Queued.
    Request(M, oneshot::Sender<R>),
    /// Delivered; nothing to send: running, `NoReply`, `Stop`, or the handler panicked.
    Nothing,
    /// `Reply`: send now.
    Reply(R),
    /// `ReplyAndStop`: send once `terminate` has run (R-GS-7)...
    Hold(R),
    /// ...with the sender taken back from the context (rare: boxed, to keep the rest small).
    Held(Box<(R, oneshot::Sender<R>)>),
    /// No reply, and the actor is stopping: the sender, dropped once the exit is complete.
    Unanswered { _tx: oneshot::Sender<R> },
}

impl<M, R> CallEnvelope<M, R> {
    pub(crate) fn new(msg: M, tx: oneshot::Sender<R>) -> Self {
        Self(CallState::Request(msg, tx))
    }
}

pin_project_lite::pin_project! {
    /// A call handler's future: maps its [`CallReply`] to the loop's [`Flow`] and leaves the
    /// reply in the envelope. Written out rather than an `async` block: it holds no context
    /// of its own (so a trivial handler's call fits the loop's inline slot, with no box), and
    /// has nothing to clean up when the handler panics (an `async` block adds a landing pad,
    /// and so one more unwinding step, to every crash).
    struct CallFuture<'a, F, M, R> {
        #[pin]
        inner: F,
        done: &'a mut CallState<M, R>,
    }
}

impl<F: Future<Output = CallReply<R>>, M, R> Future for CallFuture<'_, F, M, R> {
    type Output = Flow;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Flow> {
        let mut this = self.project();
        // The handler is polled under a catch of its own, so a panicking call handler unwinds
        // to this frame, not through it to the loop's catch: one frame fewer for both passes
        // of the unwinder (`docs/benchmarks.md`). The panic ends the same way: no reply, and
        // the actor stops with the panic as its reason.
        let reply = match catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx))) {
            Ok(Poll::Ready(reply)) => reply,
            Ok(Poll::Pending) => return Poll::Pending,
            Err(payload) => {
                return Poll::Ready(Flow::Stop(ExitReason::from_panic(payload.as_ref())));
            }
        };
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
                let _ = tx.send(reply);
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
            let _ = tx.send(reply);
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
fn reply_sender<M: 'static, R: Send + 'static>(tx: oneshot::Sender<R>) -> ReplySender {
    let sender = CallSender::<M, R> {
        tx,
        _msg: PhantomData,
    };
    // As in `Envelope::new`: the macro's `SmallBox::new_unchecked(val, ptr)` gets `ptr` from `val`
    // itself, so the pointer's metadata (the `Any` vtable of the sender) matches the value.
    smallbox::smallbox!(sender)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

    use std::pin::pin;
    use std::task::{Context as TaskContext, Poll, Waker};

    use super::*;
    use crate::cell::PushError;
    use crate::test_actor::{Get, Lookup, Note, Sink};

    fn poll(rx: &mut MailboxRx<Sink>) -> Poll<Envelope<Sink>> {
        let mut cx = TaskContext::from_waker(Waker::noop());
        pin!(rx.recv()).poll(&mut cx)
    }

    fn note(mut env: Envelope<Sink>) -> u32 {
        env.take_msg().unwrap().downcast::<Note>().unwrap().0
    }

    #[test]
    fn a_small_call_is_queued_inline_and_a_big_one_boxed() {
        // A request of up to 4 bytes with a reply of up to 8 needs no allocation of its own.
        let (tx, _rx) = oneshot::channel::<u64>();
        let small = Envelope::<Sink>::new(CallEnvelope::new(Get, tx));
        assert!(!small.0.is_heap());
        let (tx, _rx) = oneshot::channel::<u64>();
        let big = Envelope::<Sink>::new(CallEnvelope::new(Lookup([1, 2]), tx));
        assert!(big.0.is_heap());
    }

    #[test]
    fn an_envelope_is_four_words() {
        // The boxed variant shares the inline variant's bytes and its pointer's niche; a
        // fifth word would be a quarter more memory for every queued message.
        assert_eq!(std::mem::size_of::<Envelope<Sink>>(), 32);
    }

    #[test]
    fn a_burst_is_taken_in_order_and_its_storage_released_once_idle() {
        let (cell, mut rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        assert!(poll(&mut rx).is_pending());
        for i in 0..1000 {
            assert!(
                cell.push_msg::<Note, _>(CastEnvelope(Some(Note(i))), false)
                    .is_ok()
            );
        }
        assert_eq!(cell.mailbox.len(), 1000);
        for i in 0..1000 {
            let Poll::Ready(env) = poll(&mut rx) else {
                panic!("message {i} missing")
            };
            assert_eq!(note(env), i);
            assert_eq!(cell.mailbox.len(), 999 - i as usize);
        }
        assert!(poll(&mut rx).is_pending());
        assert!(rx.batch.capacity() <= KEEP_IDLE_SLOTS);
        assert!(cell.mailbox.lock().queue.capacity() <= KEEP_IDLE_SLOTS);
    }

    #[test]
    fn a_bounded_queue_counts_the_batch_in_hand() {
        let (cell, mut rx) = ActorCell::<Sink>::new(Mailbox::bounded(2));
        assert!(
            cell.push_msg::<Note, _>(CastEnvelope(Some(Note(0))), true)
                .is_ok()
        );
        assert!(
            cell.push_msg::<Note, _>(CastEnvelope(Some(Note(1))), true)
                .is_ok()
        );
        assert!(matches!(
            cell.push_msg::<Note, _>(CastEnvelope(Some(Note(2))), true),
            Err(PushError::Full(_))
        ));
        // One taken, one still in the loop's batch: room for exactly one more.
        let Poll::Ready(env) = poll(&mut rx) else {
            panic!("empty")
        };
        assert_eq!(note(env), 0);
        assert!(
            cell.push_msg::<Note, _>(CastEnvelope(Some(Note(2))), true)
                .is_ok()
        );
        assert!(matches!(
            cell.push_msg::<Note, _>(CastEnvelope(Some(Note(3))), true),
            Err(PushError::Full(_))
        ));
    }

    #[test]
    fn dropping_the_receiver_closes_the_queue_and_refuses_later_pushes() {
        let (cell, rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        assert!(
            cell.push_msg::<Note, _>(CastEnvelope(Some(Note(0))), false)
                .is_ok()
        );
        drop(rx);
        assert_eq!(cell.mailbox.len(), 0);
        match cell.push_msg::<Note, _>(CastEnvelope(Some(Note(7))), false) {
            Err(PushError::Closed(Note(7))) => {}
            _ => panic!("a closed queue must hand the message back"),
        }
    }
}
