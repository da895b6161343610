//! The mailbox: one ordered queue per actor for calls, casts, infos and system messages. What
//! a queued item is and how it reaches the actor is `envelope.rs`; this file is the queue.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context as TaskContext, Poll, Waker};

use crate::actor::Actor;
use crate::cell::ActorCell;
use crate::current;
use crate::envelope::Envelope;
use crate::exit::ExitReason;
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
/// A message that finds nothing queued waits in a slot of its own (`first`), so an actor
/// handling one message at a time (a call, a cast to an idle actor) never allocates queue
/// storage; an actor that was never sent anything holds none at all.
pub(crate) struct Queue<A: Actor> {
    shared: Mutex<Shared<A>>,
    /// Envelopes the loop has taken out of `shared` and not yet started; written by the loop
    /// only, so `len` (and a bounded push) count what is still waiting.
    in_hand: AtomicUsize,
}

struct Shared<A: Actor> {
    /// The oldest message, when it arrived to an empty queue: it goes before everything in
    /// `queue`. Invariant: `queue` is empty whenever `first` is.
    first: Option<Envelope<A>>,
    queue: VecDeque<Envelope<A>>,
    /// The loop's waker while it waits for a message.
    waker: Option<Waker>,
    /// How many envelopes a bounded push finds room for (`usize::MAX`: unbounded); 0 once
    /// the queue is closed (a mailbox's capacity is at least 1), which refuses every push.
    capacity: usize,
}

/// Above this many slots, a drained buffer is released when the loop goes idle, so an actor
/// that once saw a burst does not keep the burst's memory while it waits.
const KEEP_IDLE_SLOTS: usize = 32;

impl<A: Actor> Queue<A> {
    pub(crate) fn new(mailbox: Mailbox) -> Self {
        Self {
            shared: Mutex::new(Shared {
                first: None,
                queue: VecDeque::new(),
                waker: None,
                capacity: mailbox.capacity(),
            }),
            in_hand: AtomicUsize::new(0),
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
        if shared.is_closed() {
            return Err(Refused::Closed(env));
        }
        if bounded && shared.len() + self.in_hand.load(Ordering::Relaxed) >= shared.capacity {
            return Err(Refused::Full(env));
        }
        if shared.first.is_none() {
            shared.first = Some(env);
        } else {
            shared.queue.push_back(env);
        }
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
        self.lock().len() + self.in_hand.load(Ordering::Relaxed)
    }

    /// Refuses every later push and hands back what is queued, to be dropped by the caller
    /// outside the lock (dropping a call envelope tells its caller the actor is gone).
    pub(crate) fn close(&self) -> VecDeque<Envelope<A>> {
        let mut shared = self.lock();
        shared.capacity = CLOSED;
        shared.waker = None;
        let mut rest = std::mem::take(&mut shared.queue);
        if let Some(first) = shared.first.take() {
            rest.push_front(first);
        }
        rest
    }
}

/// [`Shared::capacity`] of a closed queue.
const CLOSED: usize = 0;

impl<A: Actor> Shared<A> {
    fn is_closed(&self) -> bool {
        self.capacity == CLOSED
    }

    /// Envelopes queued here (not counting the loop's batch).
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.queue.len()
    }
}

/// The receiving half, owned by the actor's task: the batch taken from the shared queue.
///
/// Dropping it (the loop ended, or the task was aborted or dropped with its runtime) ends
/// the actor: [`cleanup`](crate::cell::cleanup) closes the queue, records the exit (`killed`
/// unless a reason was set), releases names and signals links and monitors. It lives in the
/// task's future from the start, so even a task aborted before its first poll is cleaned
/// up.
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

    /// The next envelope. Spends the task's message budget ([`current::take_budget`]), so an
    /// actor with a full mailbox still lets other tasks on its worker run.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an envelope is only taken out of the batch when it is returned.
    pub(crate) fn recv(&mut self) -> Recv<'_, A> {
        Recv { rx: self }
    }

    /// Inlined into the loop: the common case, a batch in hand, is a budget check and a pop.
    #[inline(always)]
    fn poll_recv(&mut self, cx: &mut TaskContext<'_>) -> Poll<Envelope<A>> {
        if self.batch.is_empty() {
            // A message is ready, or the loop waits. Only with one ready is the budget
            // spent: an exhausted budget with the mailbox empty is no reason to yield. Out of
            // budget, the message goes back to the front (as the batch) and the loop yields
            // with it kept.
            let Some(env) = self.refill(cx) else {
                return Poll::Pending;
            };
            if !current::take_budget() {
                self.batch.push_front(env);
                self.cell
                    .mailbox
                    .in_hand
                    .store(self.batch.len(), Ordering::Relaxed);
                return yield_now(cx);
            }
            return Poll::Ready(env);
        }
        // A message is ready: spend one unit of the budget on it, or yield with it kept in
        // the batch.
        if !current::take_budget() {
            return yield_now(cx);
        }
        match self.batch.pop_front() {
            Some(env) => {
                self.cell
                    .mailbox
                    .in_hand
                    .store(self.batch.len(), Ordering::Relaxed);
                Poll::Ready(env)
            }
            // Unreachable: the batch is not empty here. Polled again, it would wait properly.
            None => yield_now(cx),
        }
    }

    /// Takes everything queued: returns the oldest message, the rest becoming the new batch
    /// (a message alone needs no batch); or, with nothing queued, leaves the loop's waker and
    /// returns `None`. Kept out of line: once per batch, not per message. Only called with
    /// the batch empty.
    #[inline(never)]
    fn refill(&mut self, cx: &mut TaskContext<'_>) -> Option<Envelope<A>> {
        let queue = &self.cell.mailbox;
        let mut shared = queue.lock();
        let Some(first) = shared.first.take() else {
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
            return None;
        };
        if shared.queue.is_empty() {
            return Some(first);
        }
        // The rest becomes the batch; the loop's drained buffer goes back to the senders, so
        // a busy actor allocates no queue storage per batch.
        std::mem::swap(&mut shared.queue, &mut self.batch);
        queue.in_hand.store(self.batch.len(), Ordering::Relaxed);
        Some(first)
    }
}

/// Gives the worker back as tokio's own cooperative yield does: the task's wake-up is deferred
/// until the worker has looked at everything else that is ready (other tasks, the I/O and
/// timer drivers, a runtime's `block_on` future), which a plain self-wake would not wait for.
/// Done by polling `tokio::task::yield_now()` once, which defers the waker and returns
/// `Pending`.
#[cold]
fn yield_now<T>(cx: &mut TaskContext<'_>) -> Poll<T> {
    let yielding = std::pin::pin!(tokio::task::yield_now());
    // Its first poll is always `Pending`, having deferred the wake-up; what it returns is not
    // needed.
    let _ = yielding.poll(cx);
    Poll::Pending
}

/// The future of [`MailboxRx::recv`]. Its own type rather than a `poll_fn`, whose poll the
/// compiler keeps out of line: this one's poll is always inlined, so that the common case, a
/// batch in hand, runs in the loop's own frame, with no call.
pub(crate) struct Recv<'a, A: Actor> {
    rx: &'a mut MailboxRx<A>,
}

impl<A: Actor> Future for Recv<'_, A> {
    type Output = Envelope<A>;

    #[inline(always)]
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Envelope<A>> {
        self.rx.poll_recv(cx)
    }
}

impl<A: Actor> Drop for MailboxRx<A> {
    fn drop(&mut self) {
        // Runs once: an actor that stopped by itself cleaned up already. Its first step
        // closes the queue and drops what is queued; the batch in hand goes after, when the
        // exit is complete (dropping a call tells its caller).
        crate::cell::cleanup(&self.cell.pid(), ExitReason::Killed);
        self.cell.mailbox.in_hand.store(0, Ordering::Relaxed);
        self.batch.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

    use std::pin::pin;
    use std::task::{Context as TaskContext, Poll, Waker};

    use super::*;
    use crate::cell::PushError;
    use crate::envelope::CastEnvelope;
    use crate::test_actor::{Note, Sink};

    /// One poll, as the actor's task would make it (each with a fresh budget).
    fn poll(rx: &mut MailboxRx<Sink>) -> Poll<Envelope<Sink>> {
        crate::current::refill_budget();
        let mut cx = TaskContext::from_waker(Waker::noop());
        pin!(rx.recv()).poll(&mut cx)
    }

    fn note(mut env: Envelope<Sink>) -> u32 {
        env.take_msg().unwrap().downcast::<Note>().unwrap().0
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
    fn a_poll_takes_at_most_its_budget_then_yields_with_the_rest_kept() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        struct Wakes(AtomicUsize);
        impl std::task::Wake for Wakes {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }

        let (cell, mut rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        let total = 2 * crate::current::BUDGET + 10;
        for i in 0..total {
            assert!(
                cell.push_msg::<Note, _>(CastEnvelope(Some(Note(i))), false)
                    .is_ok()
            );
        }
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = TaskContext::from_waker(&waker);
        let mut next = 0;
        // Three polls of the task: two full budgets, then the rest.
        for poll_of_task in 0..3 {
            crate::current::refill_budget();
            while let Poll::Ready(env) = pin!(rx.recv()).poll(&mut cx) {
                assert_eq!(note(env), next);
                next += 1;
            }
            let taken = next.min((poll_of_task + 1) * crate::current::BUDGET);
            assert_eq!(next, taken, "poll {poll_of_task} took more than its budget");
            // Out of budget, the task had its wake-up deferred to go on (outside a runtime,
            // tokio wakes it at once); with the mailbox empty it waits, unwoken.
            let expected_wakes = if next < total { poll_of_task + 1 } else { 2 };
            assert_eq!(wakes.0.load(Ordering::SeqCst) as u32, expected_wakes);
            assert_eq!(cell.mailbox.len(), (total - next) as usize);
        }
        assert_eq!(next, total);
    }

    #[test]
    fn one_message_at_a_time_needs_no_queue_storage() {
        let (cell, mut rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        for i in 0..10 {
            assert!(poll(&mut rx).is_pending());
            assert!(
                cell.push_msg::<Note, _>(CastEnvelope(Some(Note(i))), false)
                    .is_ok()
            );
            assert_eq!(cell.mailbox.len(), 1);
            let Poll::Ready(env) = poll(&mut rx) else {
                panic!("message {i} missing")
            };
            assert_eq!(note(env), i);
            assert_eq!(cell.mailbox.len(), 0);
        }
        assert_eq!(cell.mailbox.lock().queue.capacity(), 0);
        assert_eq!(rx.batch.capacity(), 0);
    }

    #[test]
    fn closing_hands_back_the_first_message_before_the_rest() {
        let (cell, _rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        for i in 0..3 {
            assert!(
                cell.push_msg::<Note, _>(CastEnvelope(Some(Note(i))), false)
                    .is_ok()
            );
        }
        let rest: Vec<u32> = cell.mailbox.close().into_iter().map(note).collect();
        assert_eq!(rest, [0, 1, 2]);
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
