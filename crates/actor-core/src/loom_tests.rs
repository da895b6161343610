//! Model checks (`loom`) of the protocols where threads meet on an actor's shared record.
//! Built and run only with `RUSTFLAGS="--cfg loom" cargo test -p actor-core --lib loom`
//! (`just loom`); see `docs/adr/0004-model-checking-with-loom.md`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::sync::Arc;

use crate::actor_ref::ActorRef;
use crate::cell::{self, ActorCell, PushError};
use crate::envelope::CastEnvelope;
use crate::exit::ExitReason;
use crate::mailbox::Mailbox;
use crate::test_actor::{Note, Sink, Tick};
use crate::timer::TimerState;

#[test]
fn loom_a_push_racing_the_close_is_queued_before_it_or_handed_back() {
    loom::model(|| {
        let (cell, rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        let sender = cell.clone();
        let pusher = loom::thread::spawn(move || {
            match sender.push_msg::<Note, _>(CastEnvelope(Some(Note(7))), false) {
                Ok(()) => None,
                Err(PushError::Closed(Note(n)) | PushError::Full(Note(n))) => Some(n),
            }
        });
        let left_in_queue = cell.mailbox.close();
        let handed_back = pusher.join().unwrap();
        // Never lost, never both: queued before the close (and so among what the close
        // hands over), or refused with the message handed back.
        match handed_back {
            Some(n) => {
                assert_eq!(n, 7);
                assert!(left_in_queue.is_empty());
            }
            None => assert_eq!(left_in_queue.len(), 1),
        }
        // Once closed, every push is refused.
        assert!(
            cell.push_msg::<Note, _>(CastEnvelope(Some(Note(8))), false)
                .is_err()
        );
        drop(left_in_queue);
        drop(rx);
    });
}

#[test]
fn loom_an_exit_waiter_racing_the_cleanup_is_always_woken_with_the_reason() {
    loom::model(|| {
        let (cell, rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        let pid = cell.pid();
        let watched = pid.clone();
        let waiter =
            loom::thread::spawn(move || loom::future::block_on(watched.inner.core().wait_exit()));
        cell::cleanup(&pid, ExitReason::Normal);
        // A waiter that checked before the cleanup finished is woken by it; one that comes
        // after sees the exit at once. Either way, never a lost wake-up (the model would
        // report the waiter's thread as deadlocked).
        assert_eq!(waiter.join().unwrap(), ExitReason::Normal);
        assert_eq!(pid.inner.core().final_reason(), Some(ExitReason::Normal));
        drop(rx);
    });
}

#[test]
fn loom_no_timer_message_is_queued_after_cancel_returns() {
    loom::model(|| {
        let (cell, rx) = ActorCell::<Sink>::new(Mailbox::Unbounded);
        let target = ActorRef { cell: cell.clone() };
        let state = Arc::new(TimerState::new(tokio::time::Instant::now(), None));
        let firing = state.clone();
        let fire = loom::thread::spawn(move || {
            // An interval's tick: sent unless the timer is done.
            let _ = firing.gate.send(&target, Tick, false);
        });
        let cancelled = state.gate.finish();
        let queued_when_cancel_returned = cell.mailbox.len();
        fire.join().unwrap();
        assert!(cancelled);
        // Whatever the interleaving, nothing arrived after `cancel` returned.
        assert_eq!(cell.mailbox.len(), queued_when_cancel_returned);
        drop(rx);
    });
}

/// Counts the drops of a reply, across the model's threads.
struct Counted(Arc<loom::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn loom_a_reply_sent_on_another_thread_reaches_the_waiting_receiver_once() {
    loom::model(|| {
        let drops = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        // The receiver waits with its waker in place from the start, as a call does.
        let (tx, rx) = loom::future::block_on(std::future::poll_fn(|cx| {
            std::task::Poll::Ready(crate::reply::channel::<Counted>(Some(cx.waker())))
        }));
        let reply = Counted(drops.clone());
        let sender = loom::thread::spawn(move || tx.send(reply));
        // Never a lost wake-up (the model would report this thread deadlocked), and the
        // reply arrives whole.
        let got = loom::future::block_on(rx);
        sender.join().unwrap();
        assert!(got.is_ok());
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 0);
        drop(got);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    });
}

#[test]
fn loom_a_sender_dropped_unanswered_on_another_thread_wakes_a_receiver_polled_late() {
    loom::model(|| {
        // No waker in place: the receiver registers at its first poll, racing the drop.
        let (tx, rx) = crate::reply::channel::<u64>(None);
        let sender = loom::thread::spawn(move || drop(tx));
        assert!(loom::future::block_on(rx).is_err());
        sender.join().unwrap();
    });
}

#[test]
fn loom_a_reply_racing_the_receivers_drop_is_dropped_exactly_once() {
    loom::model(|| {
        let drops = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let (tx, rx) = crate::reply::channel::<Counted>(None);
        let reply = Counted(drops.clone());
        let sender = loom::thread::spawn(move || tx.send(reply));
        // The caller gives up while the reply goes: whichever end is last frees the reply.
        drop(rx);
        sender.join().unwrap();
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    });
}

#[test]
fn loom_a_receiver_moved_to_another_task_while_the_reply_goes_is_woken_there() {
    loom::model(|| {
        // Registered for one task; polled by another (its waker swapped in) while the
        // sender completes: the new task is woken, or finds the reply at once.
        let (tx, rx) = crate::reply::channel::<u64>(Some(std::task::Waker::noop()));
        let sender = loom::thread::spawn(move || tx.send(5));
        assert_eq!(loom::future::block_on(rx).ok(), Some(5));
        sender.join().unwrap();
    });
}
