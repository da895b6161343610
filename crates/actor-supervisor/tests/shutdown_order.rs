//! Shutdown (R-SHUT-1 … R-SHUT-5): reverse order one at a time, per-child shutdown specs,
//! terminate only for trapping children, killing a supervisor.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::ExitReason;
use actor_supervisor::{ChildSpec, Shutdown, Supervisor};
use support::*;

#[tokio::test]
async fn children_stop_one_at_a_time_in_reverse_start_order() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .child(p.spec("a"))
        .child(p.spec("b"))
        .child(p.spec("c"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 3).await;
    sup.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(
        take(&mut ev, 3).await,
        [
            terminated("c", ExitReason::Shutdown),
            terminated("b", ExitReason::Shutdown),
            terminated("a", ExitReason::Shutdown)
        ]
    );
    assert_eq!(sup.pid().exited().await, ExitReason::Normal);
}

#[tokio::test]
async fn brutal_kill_kills_at_once_without_terminate() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .child(p.spec("gentle"))
        .child(p.spec("brutal").shutdown(Shutdown::BrutalKill))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 2).await;
    let brutal = pid_of(&sup, "brutal").await;
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(brutal.exited().await, ExitReason::Killed);
    // Only the gentle child ran terminate.
    assert_eq!(
        next(&mut ev).await,
        terminated("gentle", ExitReason::Shutdown)
    );
    assert_quiet(&mut ev);
}

#[tokio::test(start_paused = true)]
async fn a_child_that_ignores_shutdown_is_killed_after_its_timeout() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .child(
            ChildSpec::worker::<Stubborn>("stubborn", p.clone())
                .shutdown(Shutdown::Timeout(Duration::from_secs(2))),
        )
        .start_link()
        .await
        .unwrap();
    assert_eq!(next(&mut ev).await, started("stubborn"));
    let child = pid_of(&sup, "stubborn").await;
    let t0 = tokio::time::Instant::now();
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(t0.elapsed(), Duration::from_secs(2));
    assert_eq!(child.exited().await, ExitReason::Killed);
}

#[tokio::test]
async fn terminate_runs_only_for_trapping_children() {
    let (p, mut ev) = probe();
    let mut plain = p.args("plain");
    plain.trap = false;
    let sup = Supervisor::builder()
        .child(ChildSpec::worker::<W>("plain", plain))
        .child(p.spec("trapping"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 2).await;
    let plain_pid = pid_of(&sup, "plain").await;
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(
        next(&mut ev).await,
        terminated("trapping", ExitReason::Shutdown)
    );
    assert_eq!(plain_pid.exited().await, ExitReason::Shutdown);
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn killing_a_supervisor_skips_the_ordered_shutdown() {
    let (p, mut ev) = probe();
    let mut plain = p.args("plain");
    plain.trap = false;
    let sup = Supervisor::builder()
        .child(ChildSpec::worker::<W>("plain", plain))
        .child(p.spec("trapping"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 2).await;
    let plain_pid = pid_of(&sup, "plain").await;
    let trapping_pid = pid_of(&sup, "trapping").await;
    sup.pid().kill();
    assert_eq!(sup.pid().exited().await, ExitReason::Killed);
    // Linked children receive `killed`: the non-trapping one dies, the trapping one runs
    // terminate(killed) because the signal comes from its parent (R-SHUT-5).
    assert_eq!(plain_pid.exited().await, ExitReason::Killed);
    assert_eq!(
        next(&mut ev).await,
        terminated("trapping", ExitReason::Killed)
    );
    assert_eq!(trapping_pid.exited().await, ExitReason::Killed);
}

#[tokio::test]
async fn a_supervisor_dies_with_its_parent() {
    let (p, mut ev) = probe();
    let inner = Supervisor::builder().child(p.spec("leaf"));
    let top = Supervisor::builder()
        .child(inner.into_child_spec("inner"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    let inner_pid = pid_of(&top, "inner").await;
    top.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(
        next(&mut ev).await,
        terminated("leaf", ExitReason::Shutdown)
    );
    assert_eq!(inner_pid.exited().await, ExitReason::Shutdown);
}
