//! Auto shutdown with significant children (R-AUTO-1 … R-AUTO-3).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use actor_core::ExitReason;
use actor_supervisor::{AutoShutdown, ChildPid, Restart, Supervisor};
use support::*;

#[tokio::test]
async fn any_significant_shuts_down_when_one_exits_by_itself() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(p.spec("plain"))
        .child(p.spec("sig1").restart(Restart::Transient).significant(true))
        .child(p.spec("sig2").restart(Restart::Temporary).significant(true))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 3).await;
    die(&sup, "sig1", ExitReason::Normal, &mut ev).await;
    assert_eq!(
        take(&mut ev, 2).await,
        [
            terminated("sig2", ExitReason::Shutdown),
            terminated("plain", ExitReason::Shutdown)
        ]
    );
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn all_significant_waits_for_the_last_one() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AllSignificant)
        .child(p.spec("sig1").restart(Restart::Transient).significant(true))
        .child(p.spec("sig2").restart(Restart::Temporary).significant(true))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 2).await;
    die(&sup, "sig1", ExitReason::Shutdown, &mut ev).await;
    assert!(sup.pid().is_alive());
    assert_eq!(sup.count_children().await.unwrap().active, 1);
    die(&sup, "sig2", ExitReason::msg("crash"), &mut ev).await; // temporary: any reason counts
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn exits_that_are_restarted_or_asked_for_do_not_count() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(p.spec("sig").restart(Restart::Transient).significant(true))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    // An abnormal transient exit is restarted, not counted.
    die(&sup, "sig", ExitReason::msg("crash"), &mut ev).await;
    assert_eq!(next(&mut ev).await, started("sig"));
    // terminate_child never triggers auto shutdown.
    sup.terminate_child("sig").await.unwrap();
    assert_eq!(next(&mut ev).await, terminated("sig", ExitReason::Shutdown));
    assert_eq!(state_of(&sup, "sig").await, Some(ChildPid::Undefined));
    assert!(sup.pid().is_alive());
}

#[tokio::test]
async fn auto_shutdown_escalates_through_a_significant_child_supervisor() {
    let (p, mut ev) = probe();
    let inner = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(p.spec("job").restart(Restart::Transient).significant(true));
    let top = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(p.spec("other"))
        .child(
            inner
                .into_child_spec("inner")
                .restart(Restart::Transient)
                .significant(true),
        )
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 2).await;
    let inner_ref = actor_supervisor::SupervisorRef::from_actor_ref(
        pid_of(&top, "inner").await.downcast().unwrap(),
    );
    die(&inner_ref, "job", ExitReason::Normal, &mut ev).await;
    // inner exits `shutdown` (benign) → a significant transient exit → top shuts down too.
    assert_eq!(
        next(&mut ev).await,
        terminated("other", ExitReason::Shutdown)
    );
    assert_eq!(top.pid().exited().await, ExitReason::Shutdown);
}
