//! The three strategies (R-RST-2), the restart-type table (R-RST-1), failed restarts
//! (R-RST-4).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use actor_core::ExitReason;
use actor_supervisor::{ChildPid, ChildSpec, Restart, Strategy, Supervisor, SupervisorRef};
use support::*;

async fn three(strategy: Strategy, p: &Probe, ev: &mut Events) -> SupervisorRef {
    let sup = Supervisor::builder()
        .strategy(strategy)
        .intensity(10, Duration::from_secs(60))
        .child(p.spec("a"))
        .child(p.spec("b"))
        .child(p.spec("c"))
        .start_link()
        .await
        .unwrap();
    assert_eq!(
        take(ev, 3).await,
        [started("a"), started("b"), started("c")]
    );
    sup
}

#[tokio::test]
async fn one_for_one_restarts_only_the_crashed_child() {
    let (p, mut ev) = probe();
    let sup = three(Strategy::OneForOne, &p, &mut ev).await;
    let before = running(&sup).await;
    die(&sup, "b", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(next(&mut ev).await, started("b"));
    let after = running(&sup).await;
    assert_eq!(after[0], before[0]);
    assert_ne!(after[1], before[1]);
    assert_eq!(after[2], before[2]);
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn one_for_all_stops_the_others_newest_first_then_starts_all_in_order() {
    let (p, mut ev) = probe();
    let sup = three(Strategy::OneForAll, &p, &mut ev).await;
    die(&sup, "b", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(
        take(&mut ev, 5).await,
        [
            terminated("c", ExitReason::Shutdown),
            terminated("a", ExitReason::Shutdown),
            started("a"),
            started("b"),
            started("c"),
        ]
    );
}

#[tokio::test]
async fn rest_for_one_restarts_the_child_and_the_later_ones() {
    let (p, mut ev) = probe();
    let sup = three(Strategy::RestForOne, &p, &mut ev).await;
    let a = pid_of(&sup, "a").await;
    die(&sup, "b", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(
        take(&mut ev, 3).await,
        [
            terminated("c", ExitReason::Shutdown),
            started("b"),
            started("c")
        ]
    );
    assert_eq!(pid_of(&sup, "a").await, a, "earlier children are untouched");
}

#[tokio::test]
async fn temporary_bystanders_are_removed_and_stopped_specs_come_back_with_one_for_all() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(p.spec("a"))
        .child(p.spec("tmp").restart(Restart::Temporary))
        .child(p.spec("stopped").restart(Restart::Transient))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 3).await;
    sup.terminate_child("stopped").await.unwrap();
    assert_eq!(
        next(&mut ev).await,
        terminated("stopped", ExitReason::Shutdown)
    );
    die(&sup, "a", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(
        take(&mut ev, 3).await,
        [
            terminated("tmp", ExitReason::Shutdown),
            started("a"),
            started("stopped")
        ]
    );
    let ids: Vec<String> = running(&sup).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        ["a", "stopped"],
        "the temporary bystander is gone, the stopped spec restarted"
    );
}

/// R-RST-1: restart type × exit reason.
#[tokio::test]
async fn the_restart_type_times_reason_table() {
    let reasons = [
        ExitReason::Normal,
        ExitReason::Shutdown,
        ExitReason::shutdown_with("t"),
        ExitReason::Killed,
        ExitReason::msg("other"),
    ];
    for restart in [Restart::Permanent, Restart::Transient, Restart::Temporary] {
        for reason in reasons.clone() {
            let (p, mut ev) = probe();
            let mut args = p.args("c");
            args.trap = false;
            let sup = Supervisor::builder()
                .intensity(10, Duration::from_secs(60))
                .child(ChildSpec::worker::<W>("c", args).restart(restart))
                .start_link()
                .await
                .unwrap();
            take(&mut ev, 1).await;
            let pid = pid_of(&sup, "c").await;
            if reason == ExitReason::Killed {
                pid.kill();
                pid.exited().await;
            } else {
                // An exit signal would be ignored for Normal; stop the child from inside.
                pid.downcast::<W>()
                    .unwrap()
                    .stop(reason.clone())
                    .await
                    .unwrap();
                take(&mut ev, 1).await; // its terminate
            }
            let restarted = restart == Restart::Permanent
                || (restart == Restart::Transient && !reason.is_benign());
            let counts = sup.count_children().await.unwrap();
            let state = state_of(&sup, "c").await;
            if restarted {
                assert_eq!(next(&mut ev).await, started("c"), "{restart:?} {reason:?}");
                assert!(
                    matches!(state, Some(ChildPid::Running(_))),
                    "{restart:?} {reason:?}"
                );
            } else if restart == Restart::Temporary {
                assert_eq!(state, None, "temporary spec dropped: {reason:?}");
                assert_eq!(counts.specs, 0);
            } else {
                assert_eq!(
                    state,
                    Some(ChildPid::Undefined),
                    "transient kept: {reason:?}"
                );
                assert_eq!(counts.specs, 1);
            }
            assert_quiet(&mut ev);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_restart_is_retried_while_the_supervisor_keeps_answering() {
    let (p, mut ev) = probe();
    let args = p.args("flaky");
    let fail = args.fail_starts.clone();
    let sup = Supervisor::builder()
        .intensity(5, Duration::from_secs(60))
        .child(ChildSpec::worker::<W>("flaky", args))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    fail.store(2, Ordering::SeqCst); // the next two starts fail
    die(&sup, "flaky", ExitReason::msg("boom"), &mut ev).await;
    // The retries go through the mailbox; the supervisor answers in between, and each retry
    // counts toward intensity (1 crash + 2 failed retries + 1 success = 3 restarts).
    assert_eq!(next(&mut ev).await, started("flaky"));
    assert_eq!(fail.load(Ordering::SeqCst), 0);
    assert!(sup.count_children().await.unwrap().active == 1);
}

#[tokio::test(start_paused = true)]
async fn failed_restarts_past_the_intensity_shut_the_supervisor_down() {
    let (p, mut ev) = probe();
    let args = p.args("flaky");
    let fail = args.fail_starts.clone();
    let sup = Supervisor::builder()
        .intensity(2, Duration::from_secs(60))
        .child(ChildSpec::worker::<W>("flaky", args))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    fail.store(100, Ordering::SeqCst);
    die(&sup, "flaky", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn a_restarting_child_shows_as_restarting_and_can_be_terminated() {
    let (p, mut ev) = probe();
    let args = p.args("flaky");
    let fail = args.fail_starts.clone();
    let sup = Supervisor::builder()
        .intensity(1000, Duration::from_secs(60))
        .child(ChildSpec::worker::<W>("flaky", args))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    fail.store(u32::MAX, Ordering::SeqCst);
    die(&sup, "flaky", ExitReason::msg("boom"), &mut ev).await;
    // Retries keep failing; the supervisor still answers and reports it restarting.
    loop {
        if state_of(&sup, "flaky").await == Some(ChildPid::Restarting) {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(matches!(
        sup.restart_child("flaky").await,
        Err(actor_supervisor::ChildError::Restarting)
    ));
    assert!(matches!(
        sup.delete_child("flaky").await,
        Err(actor_supervisor::ChildError::Restarting)
    ));
    sup.terminate_child("flaky").await.unwrap();
    assert_eq!(state_of(&sup, "flaky").await, Some(ChildPid::Undefined));
    fail.store(0, Ordering::SeqCst);
    sup.restart_child("flaky").await.unwrap();
    assert_eq!(next(&mut ev).await, started("flaky"));
}
