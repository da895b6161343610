//! Stop from outside (R-GS-16), bounded mailboxes, introspection.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::{
    Actor, Cast, Context, ExitReason, Flow, InitError, Mailbox, Status, StopError, TrySendError,
};
use support::*;

#[tokio::test]
async fn stop_runs_terminate_even_without_trap_exit_and_waits_for_the_exit() {
    let (s, mut ev) = spy(false).await;
    s.stop(ExitReason::shutdown_with("bye")).await.unwrap();
    assert_eq!(
        next(&mut ev).await,
        Event::Terminate(ExitReason::shutdown_with("bye"))
    );
    assert_eq!(s.status(), Status::Dead);
}

#[tokio::test]
async fn stop_is_handled_in_mailbox_order() {
    let (s, mut ev) = spy(false).await;
    s.cast(Note(1));
    s.cast(Note(2));
    s.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(next(&mut ev).await, Event::Cast(1));
    assert_eq!(next(&mut ev).await, Event::Cast(2));
    assert_eq!(next(&mut ev).await, Event::Terminate(ExitReason::Normal));
}

#[tokio::test]
async fn stop_on_a_dead_actor_is_noproc() {
    let (s, _) = spy(false).await;
    s.pid().kill();
    s.pid().exited().await;
    assert_eq!(s.stop(ExitReason::Normal).await, Err(StopError::NoProc));
}

#[tokio::test(start_paused = true)]
async fn stop_times_out_on_a_busy_actor() {
    let (s, _) = spy(false).await;
    let (_gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
    s.cast(Block(gate_rx));
    let r = s
        .stop_timeout(ExitReason::Normal, Duration::from_secs(2))
        .await;
    assert_eq!(r, Err(StopError::Timeout));
    assert!(s.is_alive());
}

#[tokio::test]
async fn stop_reports_a_different_exit_reason() {
    let (s, _) = spy(false).await;
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
    s.cast(Block(gate_rx));
    let stopping = tokio::spawn({
        let s = s.clone();
        async move { s.stop(ExitReason::Normal).await }
    });
    tokio::task::yield_now().await;
    s.pid().kill();
    drop(gate_tx);
    let r = stopping.await.unwrap();
    // Either the stop was queued before the kill landed, or not at all: both see `killed`.
    assert!(
        matches!(
            r,
            Err(StopError::Exit(ExitReason::Killed)) | Err(StopError::NoProc)
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_bounded_mailbox_refuses_try_cast_when_full_and_hands_the_message_back() {
    let (args, mut ev) = spy_args(false);
    let s = Spy::start(args).mailbox(Mailbox::bounded(2)).await.unwrap();
    assert_eq!(next(&mut ev).await, Event::Init);
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel();
    s.cast(Block(gate_rx));
    // Wait until the Block is taken, so the mailbox is empty.
    while s.mailbox_len() > 0 {
        tokio::task::yield_now().await;
    }
    s.try_cast(Note(1)).unwrap();
    s.try_send_info(Note(2)).unwrap();
    match s.try_cast(Note(3)) {
        Err(TrySendError::Full(Note(3))) => {}
        other => panic!("unexpected {other:?}"),
    }
    // Plain cast never loses a message, bound or not.
    s.cast(Note(4));
    assert_eq!(s.mailbox_len(), 3);
    gate_tx.send(()).unwrap();
    assert_eq!(next(&mut ev).await, Event::Cast(1));
    assert_eq!(next(&mut ev).await, Event::Info(2));
    assert_eq!(next(&mut ev).await, Event::Cast(4));
    s.try_cast(Note(5)).unwrap();
    assert_eq!(next(&mut ev).await, Event::Cast(5));
}

#[tokio::test]
async fn try_cast_to_a_dead_actor_is_closed_with_the_message() {
    let (s, _) = spy(false).await;
    s.pid().kill();
    s.pid().exited().await;
    match s.try_cast(Note(1)) {
        Err(e @ TrySendError::Closed(_)) => assert_eq!(e.into_inner().0, 1),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn introspection_reports_status_names_links_and_the_live_list() {
    let names = TestNames::default();
    let (args, mut ev) = spy_args(true);
    let s = Spy::start(args)
        .name(actor_core::Name::via(names, "probe".to_string()))
        .await
        .unwrap();
    assert_eq!(next(&mut ev).await, Event::Init);
    let (other, _) = spy(false).await;
    s.call(LinkTo(other.pid())).await.unwrap();
    let info = s.info();
    assert_eq!(info.id, s.id());
    assert_eq!(info.status, Status::Running);
    assert!(info.trap_exit);
    assert_eq!(info.links, vec![other.id()]);
    assert_eq!(info.names, vec!["\"probe\"".to_string()]);
    assert!(info.type_name.ends_with("Spy"));
    assert!(actor_core::live_actors().contains(&s.pid()));
    s.stop(ExitReason::Normal).await.unwrap();
    assert!(!actor_core::live_actors().contains(&s.pid()));
    assert_eq!(s.info().status, Status::Dead);
}

/// A pid turns back into the typed reference only for the right type.
#[tokio::test]
async fn downcast_checks_the_actor_type() {
    struct Other;
    impl Actor for Other {
        type Args = ();
        async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
            Ok(Other)
        }
    }
    impl Cast<Note> for Other {
        async fn handle_cast(&mut self, _: Note, _: &mut Context<Self>) -> Flow {
            Flow::Ok
        }
    }
    let (s, _) = spy(false).await;
    assert_eq!(s.pid().downcast::<Spy>().unwrap(), s);
    let err = s.pid().downcast::<Other>().unwrap_err();
    assert_eq!(err.pid, s.id());
    assert!(err.to_string().contains("Spy"));
}

/// Counts casts; on the first one, spawns a task that records how many it had handled by the
/// time that task got to run.
struct Flooded {
    handled: std::sync::Arc<std::sync::atomic::AtomicU64>,
    seen_by_other_task: std::sync::Arc<std::sync::atomic::AtomicU64>,
}
struct Tick;

impl Actor for Flooded {
    type Args = Flooded;
    async fn init(me: Flooded, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(me)
    }
}

impl Cast<Tick> for Flooded {
    async fn handle_cast(&mut self, _: Tick, _: &mut Context<Self>) -> Flow {
        use std::sync::atomic::Ordering;
        if self.handled.fetch_add(1, Ordering::SeqCst) == 0 {
            let (handled, seen) = (self.handled.clone(), self.seen_by_other_task.clone());
            tokio::spawn(
                async move { seen.store(handled.load(Ordering::SeqCst), Ordering::SeqCst) },
            );
        }
        Flow::Ok
    }
}

#[tokio::test]
async fn an_actor_with_a_full_mailbox_yields_its_worker_to_other_tasks() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let handled = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(AtomicU64::new(u64::MAX));
    let a = Flooded::start(Flooded {
        handled: handled.clone(),
        seen_by_other_task: seen.clone(),
    })
    .await
    .unwrap();
    // One thread: the other task can only run if the actor gives the worker back while it
    // still has messages.
    for _ in 0..10_000 {
        a.cast(Tick);
    }
    while handled.load(Ordering::SeqCst) < 10_000 || seen.load(Ordering::SeqCst) == u64::MAX {
        tokio::task::yield_now().await;
    }
    let at = seen.load(Ordering::SeqCst);
    assert!(
        at < 10_000,
        "the other task ran only after the whole flood ({at} handled)"
    );
}

/// Casts itself a `Spin` for every `Spin` it handles, forever; answers how many it handled.
struct Spinner {
    handled: u64,
}
struct Spin;
struct Handled;

impl Actor for Spinner {
    type Args = ();
    async fn init((): (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Spinner { handled: 0 })
    }
}

impl Cast<Spin> for Spinner {
    async fn handle_cast(&mut self, _: Spin, ctx: &mut Context<Self>) -> Flow {
        self.handled += 1;
        ctx.myself().cast(Spin);
        Flow::Ok
    }
}

impl actor_core::Call<Handled> for Spinner {
    type Reply = u64;
    async fn handle_call(
        &mut self,
        _: Handled,
        _: &mut Context<Self>,
    ) -> actor_core::CallReply<u64> {
        actor_core::CallReply::Reply(self.handled)
    }
}

#[tokio::test]
async fn an_actor_busy_with_its_own_messages_yields_to_the_runtimes_main_future() {
    // One thread. The actor never runs out of messages, so the test's own future (the
    // runtime's `block_on` future, not a task) runs only when the actor yields. A yield that
    // merely re-queues the actor's task lets the worker run it again and again before it looks
    // at that future; a yield as tokio's own defers the wake-up until it has.
    let a = Spinner::start(()).await.unwrap();
    a.cast(Spin);
    tokio::task::yield_now().await;
    let handled = a.call(Handled).await.unwrap();
    // Within a few polls of the actor (128 messages each), not dozens.
    assert!(
        handled <= 4 * 128,
        "the actor handled {handled} of its own messages before the test's future ran again"
    );
    a.stop(ExitReason::Normal).await.unwrap();
}
