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
