//! A call's reply channel: one reply from the actor's [`ReplyTx`] to the caller's
//! [`ReplyRx`], on a cell that each thread reuses across calls.
//!
//! `tokio::sync::oneshot` allocates a record per call, frees it after, and takes seven
//! atomic read-modify-writes along the way. A call needs less: the caller's waker is in
//! place before the request is queued, and the cell goes back to the thread's pool instead
//! of the allocator (`docs/benchmarks.md` has the counts).
//!
//! The protocol, on one word of state:
//! - [`RX_TASK`]: the waker slot holds the receiver's waker. While it is set only the
//!   sender uses the slot (it wakes through it); the receiver clears it (a compare-exchange
//!   that fails once the sender has completed) before it writes another waker.
//! - [`COMPLETE`]: the sender is done with the reply: with [`VALUE`] the value slot holds
//!   it (written before this bit is set), without it none will come.
//! - [`TX_DONE`], [`RX_DONE`]: that side will not touch the cell again. The side whose
//!   bit completes the pair owns the cell alone: it drops what is left (an untaken reply,
//!   the waker) and returns the cell to its thread's pool. [`TAKEN`] comes with `RX_DONE`
//!   when the receiver took the reply.
//!
//! Every transition is an `AcqRel` read-modify-write, so each side sees what the other wrote
//! before its own last transition; the two `DONE` bits order all of both sides' accesses
//! before the owner's.
//!
//! The channel uses no lock, and user code (a reply's `Drop`) runs only once the cell is
//! back in the pool or freed.
#![allow(
    unsafe_code,
    reason = "a cell shared by raw pointer between the two ends, whose ownership the state word decides"
)]

use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

use crate::sync::{AtomicUsize, UnsafeCell};

/// The waker slot holds the receiver's waker, for the sender.
const RX_TASK: usize = 1;
/// The sender is done with the reply.
const COMPLETE: usize = 1 << 1;
/// The value slot holds the reply (with `COMPLETE`).
const VALUE: usize = 1 << 2;
/// The sender no longer touches the cell.
const TX_DONE: usize = 1 << 3;
/// The receiver no longer touches the cell.
const RX_DONE: usize = 1 << 4;
/// The receiver took the reply out (with `RX_DONE`).
const TAKEN: usize = 1 << 5;

/// The record both ends point at.
struct Cell<R> {
    state: AtomicUsize,
    value: UnsafeCell<MaybeUninit<R>>,
    waker: UnsafeCell<Option<Waker>>,
}

impl<R> Cell<R> {
    fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            waker: UnsafeCell::new(None),
        }
    }
}

/// The actor's end: sends the reply, or, dropped unsent, tells the caller none will come.
pub(crate) struct ReplyTx<R: Send + 'static> {
    /// `None` once the reply went.
    cell: Option<NonNull<Cell<R>>>,
}

/// The caller's end: a future of the reply, or [`Closed`] if the sender went unanswered.
pub(crate) struct ReplyRx<R: Send + 'static> {
    /// `None` once the reply (or its absence) was returned.
    cell: Option<NonNull<Cell<R>>>,
}

// Safety: the ends share the cell only through its state word (atomic) and the two slots,
// whose accesses the state word orders (see the module's protocol); a reply of type `R`
// crosses from the sender's thread to the receiver's, hence `R: Send`. No `&self` method of
// either end touches a slot (`is_closed` reads the state word only), so shared references
// are as safe as owned ones.
unsafe impl<R: Send + 'static> Send for ReplyTx<R> {}
// Safety: as for `Send`.
unsafe impl<R: Send + 'static> Sync for ReplyTx<R> {}
// Safety: as for `ReplyTx`.
unsafe impl<R: Send + 'static> Send for ReplyRx<R> {}
// Safety: as for `ReplyTx`.
unsafe impl<R: Send + 'static> Sync for ReplyRx<R> {}

/// The sender went without a reply.
#[derive(Debug)]
pub(crate) struct Closed;

/// A reply channel on a cell from the thread's pool. With `waker`, the caller's waker is
/// put in place now, so the receiver's first poll finds it there and only reads the state.
pub(crate) fn channel<R: Send + 'static>(waker: Option<&Waker>) -> (ReplyTx<R>, ReplyRx<R>) {
    let cell = pool::take::<R>();
    if let Some(waker) = waker {
        // Safety: the cell is owned here (from the pool or new): no other reference to it.
        cell.waker
            .with_mut(|slot| unsafe { *slot = Some(waker.clone()) });
        cell.state.store(RX_TASK, Relaxed);
    }
    let cell = NonNull::from(Box::leak(cell));
    (ReplyTx { cell: Some(cell) }, ReplyRx { cell: Some(cell) })
}

impl<R: Send + 'static> ReplyTx<R> {
    /// Sends the reply. A receiver that is gone is not told; the reply is dropped.
    pub(crate) fn send(mut self, reply: R) {
        if let Some(cell) = self.cell.take() {
            complete(cell, Some(reply));
        }
    }

    /// `true` once the receiver is gone (the caller gave up).
    pub(crate) fn is_closed(&self) -> bool {
        self.cell.is_some_and(|cell| {
            // Safety: the cell lives until both ends are done, and this end is not.
            let cell = unsafe { cell.as_ref() };
            cell.state.load(Acquire) & RX_DONE != 0
        })
    }
}

impl<R: Send + 'static> Drop for ReplyTx<R> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            complete(cell, None);
        }
    }
}

/// The sender's last steps: the reply (if any) in its slot, `COMPLETE`, the receiver woken,
/// then `TX_DONE`.
fn complete<R: Send + 'static>(cell: NonNull<Cell<R>>, reply: Option<R>) {
    // Safety: the cell lives until both ends are done, and the sender is not.
    let shared = unsafe { cell.as_ref() };
    let mut bits = COMPLETE;
    if let Some(reply) = reply {
        // Safety: only the sender writes the value slot, once, before `COMPLETE`; the
        // receiver reads it only after seeing `COMPLETE | VALUE`.
        shared
            .value
            .with_mut(|slot| unsafe { (*slot).write(reply) });
        bits |= VALUE;
    }
    let prev = shared.state.fetch_or(bits, AcqRel);
    if prev & RX_DONE != 0 {
        // The receiver is gone, and the `AcqRel` above saw all it did: the cell is ours.
        recycle(cell, prev | bits | TX_DONE);
        return;
    }
    if prev & RX_TASK != 0 {
        // Safety: `RX_TASK` was set when `COMPLETE` went in, so the receiver wrote the waker
        // before it and can no longer clear the bit (its compare-exchange sees `COMPLETE`):
        // it only reads the slot from now on, as here, until both ends are done.
        shared.waker.with(|slot| {
            if let Some(waker) = unsafe { &*slot } {
                waker.wake_by_ref();
            }
        });
    }
    release(cell, TX_DONE);
}

/// Marks this end done (`bit`, with `TAKEN` for a receiver that took the reply); the end
/// that completes the pair recycles the cell.
fn release<R: Send + 'static>(cell: NonNull<Cell<R>>, bit: usize) {
    // Safety: the cell lives until both ends are done, and this one is not yet.
    let prev = unsafe { cell.as_ref() }.state.fetch_or(bit, AcqRel);
    let other = if bit & TX_DONE != 0 { RX_DONE } else { TX_DONE };
    if prev & other != 0 {
        recycle(cell, prev | bit);
    }
}

/// The cell, now owned by this end alone (both ends done, seen through `AcqRel`): what is
/// left in it goes, after the cell went back to the pool.
fn recycle<R: Send + 'static>(cell: NonNull<Cell<R>>, state: usize) {
    // Safety: both ends are done (the state word says so), so this is the only reference
    // left to the cell, which `channel` leaked from a `Box`.
    let cell = unsafe { Box::from_raw(cell.as_ptr()) };
    let reply = if state & VALUE != 0 && state & TAKEN == 0 {
        // Safety: written by the sender and never taken; read once, here.
        Some(
            cell.value
                .with_mut(|slot| unsafe { (*slot).assume_init_read() }),
        )
    } else {
        None
    };
    // Safety: as above, the cell is this end's alone.
    let waker = cell.waker.with_mut(|slot| unsafe { (*slot).take() });
    cell.state.store(0, Relaxed);
    pool::give_back(cell);
    // Last: a reply's `Drop` is user code.
    drop(waker);
    drop(reply);
}

impl<R: Send + 'static> Future for ReplyRx<R> {
    type Output = Result<R, Closed>;

    /// Ready with the reply, or [`Closed`] if the sender went without one. Polled again
    /// after that, it stays pending.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(cell) = this.cell else {
            return Poll::Pending;
        };
        // Safety: the cell lives until both ends are done, and the receiver is not.
        let shared = unsafe { cell.as_ref() };
        let mut state = shared.state.load(Acquire);
        loop {
            if state & COMPLETE != 0 {
                this.cell = None;
                let out = if state & VALUE == 0 {
                    Err(Closed)
                } else {
                    // Safety: `COMPLETE | VALUE` seen with `Acquire`: the sender wrote the
                    // value before, and never touches it again; read once (`TAKEN` says so).
                    Ok(shared
                        .value
                        .with(|slot| unsafe { (*slot).assume_init_read() }))
                };
                let done = RX_DONE | if out.is_ok() { TAKEN } else { 0 };
                if state & TX_DONE != 0 {
                    // The sender is gone, and the `Acquire` load saw all it did: the cell is
                    // ours without another write to the state.
                    recycle(cell, state | done);
                } else {
                    release(cell, done);
                }
                return Poll::Ready(out);
            }
            if state & RX_TASK != 0 {
                // Safety: while `RX_TASK` is set nobody writes the slot; reading it is
                // shared with the sender's wake.
                let same = shared.waker.with(|slot| {
                    unsafe { &*slot }
                        .as_ref()
                        .is_some_and(|w| w.will_wake(cx.waker()))
                });
                if same {
                    return Poll::Pending;
                }
                // Another task polls now: take the slot back to put its waker in, unless the
                // sender completed meanwhile.
                match shared
                    .state
                    .compare_exchange(state, state & !RX_TASK, AcqRel, Acquire)
                {
                    Ok(_) => {}
                    Err(actual) => {
                        state = actual;
                        continue;
                    }
                }
            }
            // Safety: `RX_TASK` is clear, so the sender does not read the slot (it wakes only
            // if the bit was set when it completed) and the receiver alone writes it.
            let old = shared
                .waker
                .with_mut(|slot| unsafe { (*slot).replace(cx.waker().clone()) });
            drop(old);
            let prev = shared.state.fetch_or(RX_TASK, AcqRel);
            if prev & COMPLETE != 0 {
                state = prev | RX_TASK;
                continue;
            }
            return Poll::Pending;
        }
    }
}

impl<R: Send + 'static> Drop for ReplyRx<R> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            release(cell, RX_DONE);
        }
    }
}

/// Each thread's spare cells, by reply type.
#[cfg(not(all(loom, test)))]
mod pool {
    use std::any::{Any, TypeId};
    use std::cell::RefCell;

    use super::Cell;

    /// How many spare cells a thread keeps (of all reply types together).
    const KEEP: usize = 16;

    thread_local! {
        /// The spare cells, each with its type's id (compared inline, not through `Any`).
        static SPARE: RefCell<Vec<(TypeId, Box<dyn Any>)>> = const { RefCell::new(Vec::new()) };
    }

    /// A spare cell for replies of type `R`, or a new one.
    pub(super) fn take<R: Send + 'static>() -> Box<Cell<R>> {
        let spare = SPARE
            .try_with(|spare| {
                let mut spare = spare.try_borrow_mut().ok()?;
                let wanted = TypeId::of::<Cell<R>>();
                let at = spare.iter().rposition(|(id, _)| *id == wanted)?;
                spare.swap_remove(at).1.downcast::<Cell<R>>().ok()
            })
            .ok()
            .flatten();
        spare.unwrap_or_else(|| Box::new(Cell::new()))
    }

    /// Keeps `cell` (emptied: no reply, no waker, state 0) for a later call on this thread,
    /// or frees it when the thread keeps enough.
    pub(super) fn give_back<R: Send + 'static>(cell: Box<Cell<R>>) {
        let unkept = SPARE
            .try_with(|spare| match spare.try_borrow_mut() {
                Ok(mut spare) if spare.len() < KEEP => {
                    spare.push((TypeId::of::<Cell<R>>(), cell));
                    None
                }
                _ => Some(cell),
            })
            .unwrap_or(None);
        drop(unkept);
    }
}

/// Under the model checker every cell is new and freed after: the pool is thread-local
/// bookkeeping, outside the protocol.
#[cfg(all(loom, test))]
mod pool {
    use super::Cell;

    pub(super) fn take<R: Send + 'static>() -> Box<Cell<R>> {
        Box::new(Cell::new())
    }

    pub(super) fn give_back<R: Send + 'static>(cell: Box<Cell<R>>) {
        drop(cell);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize as Count;
    use std::task::Wake;

    /// Counts its wake-ups.
    struct Wakes(Count);

    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    fn waker() -> (Arc<Wakes>, Waker) {
        let wakes = Arc::new(Wakes(Count::new(0)));
        (wakes.clone(), Waker::from(wakes))
    }

    /// Counts its drops.
    struct Dropped(Arc<Count>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    #[test]
    fn a_reply_sent_wakes_the_registered_receiver_once_and_is_taken() {
        let (wakes, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        let (tx, mut rx) = channel::<u32>(Some(&waker));
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        tx.send(7);
        assert_eq!(wakes.0.load(Relaxed), 1);
        assert!(matches!(
            Pin::new(&mut rx).poll(&mut cx),
            Poll::Ready(Ok(7))
        ));
        // Polled again it stays pending, and wakes nobody.
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        assert_eq!(wakes.0.load(Relaxed), 1);
    }

    #[test]
    fn a_sender_dropped_unanswered_closes_the_channel_and_wakes_the_receiver() {
        let (wakes, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        let (tx, mut rx) = channel::<u32>(None);
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        drop(tx);
        assert_eq!(wakes.0.load(Relaxed), 1);
        assert!(matches!(
            Pin::new(&mut rx).poll(&mut cx),
            Poll::Ready(Err(Closed))
        ));
    }

    #[test]
    fn a_receiver_polled_by_another_task_is_woken_there() {
        let (first, first_waker) = waker();
        let (second, second_waker) = waker();
        let (tx, mut rx) = channel::<u32>(Some(&first_waker));
        assert!(
            Pin::new(&mut rx)
                .poll(&mut Context::from_waker(&second_waker))
                .is_pending()
        );
        tx.send(1);
        assert_eq!(first.0.load(Relaxed), 0);
        assert_eq!(second.0.load(Relaxed), 1);
    }

    #[test]
    fn a_reply_nobody_takes_is_dropped_once_whichever_end_goes_last() {
        let drops = Arc::new(Count::new(0));
        // The receiver goes first: the sender drops the reply.
        let (tx, rx) = channel::<Dropped>(None);
        drop(rx);
        assert!(tx.is_closed());
        tx.send(Dropped(drops.clone()));
        assert_eq!(drops.load(Relaxed), 1);
        // The sender goes first: the receiver drops it.
        let (tx, rx) = channel::<Dropped>(None);
        tx.send(Dropped(drops.clone()));
        assert_eq!(drops.load(Relaxed), 1);
        drop(rx);
        assert_eq!(drops.load(Relaxed), 2);
        // Taken: dropped by its taker, once.
        let (waker_count, waker) = waker();
        let (tx, mut rx) = channel::<Dropped>(Some(&waker));
        tx.send(Dropped(drops.clone()));
        let Poll::Ready(Ok(reply)) = Pin::new(&mut rx).poll(&mut Context::from_waker(&waker))
        else {
            panic!("the reply is there");
        };
        drop(rx);
        assert_eq!(drops.load(Relaxed), 2);
        drop(reply);
        assert_eq!(drops.load(Relaxed), 3);
        assert_eq!(waker_count.0.load(Relaxed), 1);
    }

    #[test]
    fn a_cell_is_reused_by_the_next_call_on_the_thread_and_holds_no_waker_meanwhile() {
        let (wakes, waker) = waker();
        let (tx, rx) = channel::<u64>(Some(&waker));
        let first = rx.cell.map(NonNull::as_ptr);
        tx.send(1);
        drop(rx);
        // Recycled without the waker: the pool keeps no task alive.
        assert_eq!(Arc::strong_count(&wakes), 2);
        let (tx, rx) = channel::<u64>(None);
        assert_eq!(rx.cell.map(NonNull::as_ptr), first);
        drop((tx, rx));
    }
}
