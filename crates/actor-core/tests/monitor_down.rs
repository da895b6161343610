//! Monitors: one-way, stackable, DOWN with reason, noproc for the dead, demonitor with
//! flush (R-SIG-4), and ordering of a reply before the DOWN (R-SIG-5).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use actor_core::ExitReason;
use support::*;

#[tokio::test]
async fn down_carries_the_exit_reason_and_the_monitor_is_one_way() {
    let (watcher, mut ev) = spy(false).await;
    let (target, _) = spy(false).await;
    watcher.call(MonitorOf(target.pid())).await.unwrap();
    target.pid().exit(ExitReason::msg("gone"));
    assert_eq!(
        next(&mut ev).await,
        Event::Down {
            pid: target.id(),
            reason: ExitReason::msg("gone")
        }
    );
    assert!(watcher.is_alive(), "a monitor never kills the watcher");

    // One-way: the watcher dying tells the target nothing.
    let (target, mut tev) = spy(true).await;
    watcher.call(MonitorOf(target.pid())).await.unwrap();
    watcher.pid().kill();
    watcher.pid().exited().await;
    assert_eq!(target.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut tev);
}

#[tokio::test]
async fn monitors_stack() {
    let (watcher, mut ev) = spy(false).await;
    let (target, _) = spy(false).await;
    let m1 = watcher.call(MonitorOf(target.pid())).await.unwrap();
    let m2 = watcher.call(MonitorOf(target.pid())).await.unwrap();
    assert_ne!(m1, m2);
    assert_eq!(target.info().monitored_by.len(), 2);
    target.pid().kill();
    let down = Event::Down {
        pid: target.id(),
        reason: ExitReason::Killed,
    };
    assert_eq!(next(&mut ev).await, down);
    assert_eq!(next(&mut ev).await, down);
    assert_eq!(watcher.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn monitoring_a_dead_actor_gives_noproc_at_once() {
    let (watcher, mut ev) = spy(false).await;
    let (target, _) = spy(false).await;
    target.pid().kill();
    target.pid().exited().await;
    watcher.call(MonitorOf(target.pid())).await.unwrap();
    assert_eq!(
        next(&mut ev).await,
        Event::Down {
            pid: target.id(),
            reason: ExitReason::NoProc
        }
    );
}

#[tokio::test]
async fn demonitor_prevents_a_future_down() {
    let (watcher, mut ev) = spy(false).await;
    let (target, _) = spy(false).await;
    let m = watcher.call(MonitorOf(target.pid())).await.unwrap();
    assert!(watcher.call(Demonitor(m)).await.unwrap());
    assert!(
        !watcher.call(Demonitor(m)).await.unwrap(),
        "already removed"
    );
    assert!(target.info().monitored_by.is_empty());
    target.pid().kill();
    target.pid().exited().await;
    assert_eq!(watcher.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

/// Demonitors while a DOWN is already queued behind the current message.
struct BlockThenDemonitor(tokio::sync::oneshot::Receiver<()>, actor_core::MonitorRef);

impl actor_core::Cast<BlockThenDemonitor> for Spy {
    async fn handle_cast(
        &mut self,
        BlockThenDemonitor(gate, m): BlockThenDemonitor,
        ctx: &mut actor_core::Context<Self>,
    ) -> actor_core::Flow {
        let _ = gate.await;
        assert!(ctx.demonitor(m));
        actor_core::Flow::Ok
    }
}

#[tokio::test]
async fn demonitor_flushes_a_down_already_queued() {
    let (watcher, mut ev) = spy(false).await;
    let (target, _) = spy(false).await;
    let m = watcher.call(MonitorOf(target.pid())).await.unwrap();
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel();
    watcher.cast(BlockThenDemonitor(gate_rx, m));
    target.pid().kill();
    target.pid().exited().await;
    // The DOWN is now queued behind the blocked cast.
    assert_eq!(watcher.mailbox_len(), 1);
    gate_tx.send(()).unwrap();
    assert_eq!(watcher.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn a_dead_watchers_monitors_are_removed_from_the_target() {
    let (target, _) = spy(false).await;
    for _ in 0..10 {
        let (watcher, _) = spy(false).await;
        watcher.call(MonitorOf(target.pid())).await.unwrap();
        watcher.pid().kill();
        watcher.pid().exited().await;
    }
    assert!(target.info().monitored_by.is_empty());
}

/// Sends a note to `to`, then stops in the same callback.
struct NoteThenStop(actor_core::ActorRef<Spy>);

impl actor_core::Cast<NoteThenStop> for Spy {
    async fn handle_cast(
        &mut self,
        NoteThenStop(to): NoteThenStop,
        _: &mut actor_core::Context<Self>,
    ) -> actor_core::Flow {
        to.send_info(Note(9));
        actor_core::Flow::Stop(ExitReason::Normal)
    }
}

#[tokio::test]
async fn a_message_sent_before_exiting_arrives_before_the_down() {
    for _ in 0..50 {
        let (watcher, mut ev) = spy(false).await;
        let (target, _) = spy(false).await;
        watcher.call(MonitorOf(target.pid())).await.unwrap();
        target.cast(NoteThenStop(watcher.clone()));
        assert_eq!(next(&mut ev).await, Event::Info(9));
        assert_eq!(
            next(&mut ev).await,
            Event::Down {
                pid: target.id(),
                reason: ExitReason::Normal
            }
        );
    }
}
