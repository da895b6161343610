//! Restart intensity (R-INT-1/2), escalation to the parent (R-INT-3), nesting.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::ExitReason;
use actor_supervisor::{ChildPid, Restart, Strategy, Supervisor};
use support::*;

#[tokio::test(start_paused = true)]
async fn n_restarts_are_tolerated_and_the_next_one_shuts_the_supervisor_down() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .intensity(3, Duration::from_secs(5))
        .child(p.spec("a"))
        .child(p.spec("b"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 2).await;
    for _ in 0..3 {
        die(&sup, "a", ExitReason::msg("boom"), &mut ev).await;
        assert_eq!(next(&mut ev).await, started("a"));
    }
    die(&sup, "a", ExitReason::msg("boom"), &mut ev).await;
    // Giving up stops the other children in reverse order and exits with shutdown.
    assert_eq!(next(&mut ev).await, terminated("b", ExitReason::Shutdown));
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn zero_intensity_gives_up_at_the_first_restart() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(p.spec("a"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    die(&sup, "a", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn the_window_slides() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .intensity(2, Duration::from_secs(5))
        .child(p.spec("a"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    // Two restarts, then wait until they leave the window (staying well clear of its edge).
    for _ in 0..2 {
        die(&sup, "a", ExitReason::msg("boom"), &mut ev).await;
        assert_eq!(next(&mut ev).await, started("a"));
    }
    tokio::time::sleep(Duration::from_secs(7)).await;
    for _ in 0..2 {
        die(&sup, "a", ExitReason::msg("boom"), &mut ev).await;
        assert_eq!(next(&mut ev).await, started("a"));
    }
    assert!(sup.pid().is_alive());
    // The third within the new window is one too many.
    die(&sup, "a", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_child_supervisor_escalates_to_a_permanent_restart_in_its_parent() {
    let (p, mut ev) = probe();
    let inner = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(p.spec("leaf"));
    let top = Supervisor::builder()
        .intensity(5, Duration::from_secs(60))
        .child(inner.into_child_spec("inner"))
        .start_link()
        .await
        .unwrap();
    assert_eq!(next(&mut ev).await, started("leaf"));
    let inner_pid = pid_of(&top, "inner").await;
    let inner_ref = actor_supervisor::SupervisorRef::from_actor_ref(inner_pid.downcast().unwrap());
    die(&inner_ref, "leaf", ExitReason::msg("boom"), &mut ev).await;
    assert_eq!(inner_pid.exited().await, ExitReason::Shutdown);
    // The parent restarts the inner supervisor afresh, which starts its leaf again.
    assert_eq!(next(&mut ev).await, started("leaf"));
    assert_ne!(pid_of(&top, "inner").await, inner_pid);
}

#[tokio::test(start_paused = true)]
async fn a_transient_child_supervisor_that_gives_up_is_not_restarted() {
    let (p, mut ev) = probe();
    let inner = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(p.spec("leaf"));
    let top = Supervisor::builder()
        .child(inner.into_child_spec("inner").restart(Restart::Transient))
        .start_link()
        .await
        .unwrap();
    assert_eq!(next(&mut ev).await, started("leaf"));
    let inner_pid = pid_of(&top, "inner").await;
    let inner_ref = actor_supervisor::SupervisorRef::from_actor_ref(inner_pid.downcast().unwrap());
    die(&inner_ref, "leaf", ExitReason::msg("boom"), &mut ev).await;
    inner_pid.exited().await;
    // `shutdown` is benign: the transient child supervisor stays down.
    assert_eq!(state_of(&top, "inner").await, Some(ChildPid::Undefined));
    assert!(top.pid().is_alive());
    assert_quiet(&mut ev);
}

#[tokio::test(start_paused = true)]
async fn escalation_climbs_a_three_level_tree_until_a_level_has_room() {
    let (p, mut ev) = probe();
    let l3 = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(p.spec("leaf"));
    let l2 = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(l3.into_child_spec("l3"));
    let top = Supervisor::builder()
        .strategy(Strategy::OneForOne)
        .intensity(1, Duration::from_secs(60))
        .child(l2.into_child_spec("l2"))
        .start_link()
        .await
        .unwrap();
    assert_eq!(next(&mut ev).await, started("leaf"));
    let l2_pid = pid_of(&top, "l2").await;
    let l2_ref = actor_supervisor::SupervisorRef::from_actor_ref(l2_pid.downcast().unwrap());
    let l3_ref = actor_supervisor::SupervisorRef::from_actor_ref(
        pid_of(&l2_ref, "l3").await.downcast().unwrap(),
    );
    die(&l3_ref, "leaf", ExitReason::msg("boom"), &mut ev).await;
    // l3 gives up → l2 gives up → top restarts l2 (its one allowed restart).
    assert_eq!(l2_pid.exited().await, ExitReason::Shutdown);
    assert_eq!(next(&mut ev).await, started("leaf"));
    assert!(top.pid().is_alive());
}
