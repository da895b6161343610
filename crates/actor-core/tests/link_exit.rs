//! Exit signals with and without trap_exit (the R-SIG-2 matrix), kill, and links (R-SIG-3),
//! parent exits (R-GS-17, R-GS-19).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use actor_core::ExitReason;
use actor_testkit::Probe;
use support::*;

// ---- the R-SIG-2 matrix, signal sent with Pid::exit / kill ------------------------------------

#[tokio::test]
async fn not_trapping_normal_signal_is_ignored() {
    let (s, mut ev) = spy(false).await;
    s.pid().exit(ExitReason::Normal);
    assert_eq!(s.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn not_trapping_other_signal_kills_with_that_reason_without_terminate() {
    for reason in [
        ExitReason::Shutdown,
        ExitReason::msg("boom"),
        ExitReason::Killed,
    ] {
        let (s, mut ev) = spy(false).await;
        s.pid().exit(reason.clone());
        assert_eq!(s.pid().exited().await, reason);
        assert_quiet(&mut ev); // no Terminate event
    }
}

#[tokio::test]
async fn kill_kills_trapping_and_non_trapping_actors_without_terminate() {
    for trap in [false, true] {
        let (s, mut ev) = spy(trap).await;
        s.pid().kill();
        assert_eq!(s.pid().exited().await, ExitReason::Killed);
        assert_quiet(&mut ev);
    }
}

#[tokio::test]
async fn trapping_turns_every_trappable_signal_into_a_message() {
    let (s, mut ev) = spy(true).await;
    for reason in [
        ExitReason::Normal,
        ExitReason::Shutdown,
        ExitReason::Killed,
        ExitReason::msg("x"),
    ] {
        s.pid().exit(reason.clone());
        assert_eq!(next(&mut ev).await, Event::Exit { from: None, reason });
    }
    assert!(s.is_alive());
}

#[tokio::test]
async fn an_exit_signal_names_the_sending_actor() {
    let (sender, _) = spy(false).await;
    let (s, mut ev) = spy(true).await;
    sender
        .call(ExitOther(s.pid(), ExitReason::Shutdown))
        .await
        .unwrap();
    assert_eq!(
        next(&mut ev).await,
        Event::Exit {
            from: Some(sender.id()),
            reason: ExitReason::Shutdown
        }
    );
}

#[tokio::test]
async fn a_normal_exit_signal_to_oneself_exits_normal() {
    let (s, _) = spy(false).await;
    s.call(ExitOther(s.pid(), ExitReason::Normal))
        .await
        .unwrap();
    assert_eq!(s.pid().exited().await, ExitReason::Normal);
}

#[tokio::test]
async fn signalling_a_dead_actor_does_nothing() {
    let (s, _) = spy(false).await;
    s.pid().kill();
    s.pid().exited().await;
    s.pid().exit(ExitReason::msg("late"));
    s.pid().kill();
    assert_eq!(s.pid().exited().await, ExitReason::Killed);
}

#[tokio::test]
async fn messages_queued_before_a_trapped_exit_are_handled_first() {
    let (s, mut ev) = spy(true).await;
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel();
    s.cast(Block(gate_rx));
    s.cast(Note(1));
    s.pid().exit(ExitReason::Shutdown);
    s.cast(Note(2));
    gate_tx.send(()).unwrap();
    assert_eq!(next(&mut ev).await, Event::Cast(1));
    assert_eq!(
        next(&mut ev).await,
        Event::Exit {
            from: None,
            reason: ExitReason::Shutdown
        }
    );
    assert_eq!(next(&mut ev).await, Event::Cast(2));
}

// ---- links ---------------------------------------------------------------------------------

#[tokio::test]
async fn links_are_bidirectional() {
    // a crashes, b (not trapping) dies with a's reason
    let (a, _) = spy(false).await;
    let (b, mut bev) = spy(false).await;
    a.call(LinkTo(b.pid())).await.unwrap();
    a.pid().exit(ExitReason::msg("a crashed"));
    assert_eq!(b.pid().exited().await, ExitReason::msg("a crashed"));
    assert_quiet(&mut bev);

    // b crashes, a (the one that linked) dies too
    let (a, _) = spy(false).await;
    let (b, _) = spy(false).await;
    a.call(LinkTo(b.pid())).await.unwrap();
    b.pid().exit(ExitReason::msg("b crashed"));
    assert_eq!(a.pid().exited().await, ExitReason::msg("b crashed"));
}

#[tokio::test]
async fn a_normal_exit_does_not_take_down_a_non_trapping_linked_actor() {
    let (a, _) = spy(false).await;
    let (b, _) = spy(false).await;
    a.call(LinkTo(b.pid())).await.unwrap();
    b.cast(CastStop(ExitReason::Normal));
    assert_eq!(b.pid().exited().await, ExitReason::Normal);
    assert_eq!(a.call(Ping).await.unwrap(), 42);
    assert!(a.info().links.is_empty(), "the dead partner's link is gone");
}

#[tokio::test]
async fn a_killed_partner_propagates_killed_which_is_trappable() {
    let (watcher, mut ev) = spy(true).await;
    let (victim, _) = spy(false).await;
    let (bystander, _) = spy(false).await;
    watcher.call(LinkTo(victim.pid())).await.unwrap();
    bystander.call(LinkTo(victim.pid())).await.unwrap();
    victim.pid().kill();
    assert_eq!(
        next(&mut ev).await,
        Event::Exit {
            from: Some(victim.id()),
            reason: ExitReason::Killed
        }
    );
    assert!(watcher.is_alive());
    // A non-trapping partner dies with `killed`.
    assert_eq!(bystander.pid().exited().await, ExitReason::Killed);
}

#[tokio::test]
async fn at_most_one_link_per_pair_and_unlink_removes_it() {
    let (a, _) = spy(false).await;
    let (b, _) = spy(false).await;
    a.call(LinkTo(b.pid())).await.unwrap();
    a.call(LinkTo(b.pid())).await.unwrap();
    b.call(LinkTo(a.pid())).await.unwrap();
    assert_eq!(a.info().links, vec![b.id()]);
    assert_eq!(b.info().links, vec![a.id()]);
    a.call(UnlinkFrom(b.pid())).await.unwrap();
    assert!(a.info().links.is_empty());
    assert!(b.info().links.is_empty());
    b.pid().exit(ExitReason::msg("alone"));
    b.pid().exited().await;
    assert_eq!(a.call(Ping).await.unwrap(), 42);
}

#[tokio::test]
async fn linking_to_oneself_does_nothing() {
    let (a, _) = spy(false).await;
    a.call(LinkTo(a.pid())).await.unwrap();
    assert!(a.info().links.is_empty());
}

#[tokio::test]
async fn linking_to_a_dead_actor_signals_noproc() {
    let (dead, _) = spy(false).await;
    dead.pid().kill();
    dead.pid().exited().await;

    let mut trapper = Probe::start().await;
    trapper.link(&dead.pid()).await;
    assert_eq!(trapper.assert_exit(&dead.pid()).await, ExitReason::NoProc);

    let plain = Probe::start_untrapped().await;
    plain.link(&dead.pid()).await;
    assert_eq!(plain.pid().exited().await, ExitReason::NoProc);
}

// ---- parents (R-GS-17, R-GS-19) -------------------------------------------------------------

// The parent is the test's probe (actor-testkit): `start_link` runs inside it.

#[tokio::test]
async fn a_trapping_child_terminates_with_its_parents_reason_even_normal() {
    for reason in [
        ExitReason::Normal,
        ExitReason::Shutdown,
        ExitReason::msg("parent crashed"),
    ] {
        let parent = Probe::start_untrapped().await;
        let (args, mut ev) = spy_args(true);
        let child = parent.start_link::<Spy>(args).await.unwrap();
        assert_eq!(next(&mut ev).await, Event::Init);
        parent.actor_ref().stop(reason.clone()).await.unwrap();
        // Not handle_exit: terminate with the parent's reason, then exit with it.
        assert_eq!(next(&mut ev).await, Event::Terminate(reason.clone()));
        assert_eq!(child.pid().exited().await, reason);
    }
}

#[tokio::test]
async fn a_non_trapping_child_ignores_its_parents_normal_exit() {
    let parent = Probe::start_untrapped().await;
    let (args, mut ev) = spy_args(false);
    let child = parent.start_link::<Spy>(args).await.unwrap();
    assert_eq!(next(&mut ev).await, Event::Init);
    parent.actor_ref().stop(ExitReason::Normal).await.unwrap();
    assert_eq!(child.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn an_exit_from_a_linked_non_parent_goes_to_handle_exit() {
    let parent = Probe::start_untrapped().await;
    let (args, mut ev) = spy_args(true);
    let child = parent.start_link::<Spy>(args).await.unwrap();
    assert_eq!(next(&mut ev).await, Event::Init);
    let (other, _) = spy(false).await;
    child.call(LinkTo(other.pid())).await.unwrap();
    other.pid().exit(ExitReason::Shutdown);
    assert_eq!(
        next(&mut ev).await,
        Event::Exit {
            from: Some(other.id()),
            reason: ExitReason::Shutdown
        }
    );
    assert!(child.is_alive());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_exited_returns_links_have_already_been_signalled() {
    for _ in 0..2000 {
        let (watcher, _ev) = spy(true).await;
        let (target, _) = spy(false).await;
        watcher.call(LinkTo(target.pid())).await.unwrap();
        // Keep the watcher busy so the EXIT stays queued where we can count it.
        let (gate_tx, gate_rx) = tokio::sync::oneshot::channel();
        watcher.cast(Block(gate_rx));
        while watcher.mailbox_len() > 0 {
            tokio::task::yield_now().await;
        }
        target.pid().kill();
        target.pid().exited().await;
        assert_eq!(
            watcher.mailbox_len(),
            1,
            "the EXIT is queued before exited() returns"
        );
        let _ = gate_tx.send(());
    }
}
