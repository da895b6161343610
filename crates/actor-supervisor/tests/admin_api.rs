//! The supervisor API and its error results (R-SUP-1 … R-SUP-10, R-CS-2, R-FLAG-3, §12).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use actor_core::ExitReason;
use actor_supervisor::{
    AutoShutdown, ChildError, ChildPid, ChildSpec, ChildType, Restart, Shutdown, SpecError,
    Supervisor, SupervisorStartError,
};
use support::*;

#[tokio::test]
async fn a_failing_child_at_start_stops_the_started_ones_in_reverse_and_fails_the_start() {
    let (p, mut ev) = probe();
    let bad = p.args("bad");
    bad.fail_starts.store(1, Ordering::SeqCst);
    let r = Supervisor::builder()
        .child(p.spec("a"))
        .child(p.spec("b"))
        .child(ChildSpec::worker::<W>("bad", bad))
        .child(p.spec("never"))
        .start_link()
        .await;
    match r {
        Err(SupervisorStartError::FailedToStartChild { id, reason }) => {
            assert_eq!(id.as_str(), "bad");
            assert!(
                matches!(reason, actor_core::StartError::Failed(r) if r == ExitReason::msg("start failed"))
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        take(&mut ev, 4).await,
        [
            started("a"),
            started("b"),
            terminated("b", ExitReason::Shutdown),
            terminated("a", ExitReason::Shutdown)
        ]
    );
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn ignore_at_start_keeps_permanent_specs_and_drops_temporary_ones() {
    let (p, _ev) = probe();
    let mut ign = p.args("ign");
    ign.ignore = true;
    let sup = Supervisor::builder()
        .child(ChildSpec::worker::<W>("ign", ign.clone()))
        .child(ChildSpec::worker::<W>("ign-tmp", ign).restart(Restart::Temporary))
        .start_link()
        .await
        .unwrap();
    let children = sup.which_children().await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].pid, ChildPid::Undefined);
}

#[tokio::test]
async fn invalid_flags_and_specs_fail_the_start() {
    let r = Supervisor::builder()
        .intensity(1, Duration::ZERO)
        .start_link()
        .await;
    assert!(matches!(r, Err(SupervisorStartError::Flags(_))));
    let (p, _ev) = probe();
    let r = Supervisor::builder()
        .child(p.spec("a"))
        .child(p.spec("a"))
        .start_link()
        .await;
    assert!(
        matches!(r, Err(SupervisorStartError::Spec(SpecError::DuplicateChildId(id))) if id.as_str() == "a")
    );
    let r = Supervisor::builder()
        .child(p.spec("a").significant(true))
        .start_link()
        .await;
    assert!(matches!(
        r,
        Err(SupervisorStartError::Spec(SpecError::SignificantPermanent(
            _
        )))
    ));
    let r = Supervisor::builder()
        .child(p.spec("a").restart(Restart::Transient).significant(true))
        .start_link()
        .await;
    assert!(matches!(
        r,
        Err(SupervisorStartError::Spec(
            SpecError::SignificantWithoutAutoShutdown(_)
        ))
    ));
    let r = Supervisor::builder()
        .child(p.spec("a").id_as(""))
        .start_link()
        .await;
    assert!(matches!(
        r,
        Err(SupervisorStartError::Spec(SpecError::MissingId))
    ));
}

#[tokio::test]
async fn start_child_results() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .start_link()
        .await
        .unwrap();
    let pid = sup.start_child(p.spec("a")).await.unwrap().unwrap();
    assert_eq!(next(&mut ev).await, started("a"));
    assert!(
        matches!(sup.start_child(p.spec("a")).await, Err(ChildError::AlreadyStarted(x)) if x == pid)
    );
    sup.terminate_child("a").await.unwrap();
    assert!(matches!(
        sup.start_child(p.spec("a")).await,
        Err(ChildError::AlreadyPresent)
    ));
    assert!(matches!(
        sup.start_child(p.spec("x").significant(true)).await,
        Err(ChildError::InvalidSpec(_))
    ));
    let bad = p.args("bad");
    bad.fail_starts.store(1, Ordering::SeqCst);
    assert!(matches!(
        sup.start_child(ChildSpec::worker::<W>("bad", bad)).await,
        Err(ChildError::StartFailed { .. })
    ));
    // A failed start stores nothing.
    assert!(matches!(
        sup.child_spec("bad").await,
        Err(ChildError::NotFound)
    ));
    // Appended last: which_children is newest first.
    sup.start_child(p.spec("b")).await.unwrap();
    let ids: Vec<String> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.unwrap().to_string())
        .collect();
    assert_eq!(ids, ["b", "a"]);
}

#[tokio::test]
async fn a_child_whose_own_name_is_taken_gives_already_started_unwrapped() {
    let sup = Supervisor::builder().start_link().await.unwrap();
    let holder = actor_core::Pid::clone(&sup.pid());
    let spec = ChildSpec::new("named", move || {
        let holder = holder.clone();
        async move { Err(actor_core::StartError::AlreadyStarted(holder)) }
    });
    assert!(
        matches!(sup.start_child(spec).await, Err(ChildError::AlreadyStarted(p)) if p == sup.pid())
    );
}

#[tokio::test]
async fn terminate_restart_delete_results() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .child(p.spec("a"))
        .child(p.spec("tmp").restart(Restart::Temporary))
        .child(p.spec("b"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 3).await;
    assert!(matches!(
        sup.terminate_child("zzz").await,
        Err(ChildError::NotFound)
    ));
    assert!(matches!(
        sup.restart_child("a").await,
        Err(ChildError::Running)
    ));
    assert!(matches!(
        sup.delete_child("a").await,
        Err(ChildError::Running)
    ));

    sup.terminate_child("a").await.unwrap();
    assert_eq!(next(&mut ev).await, terminated("a", ExitReason::Shutdown));
    sup.terminate_child("a").await.unwrap(); // idempotent
    assert_eq!(state_of(&sup, "a").await, Some(ChildPid::Undefined));

    // A restarted child goes back to its original position.
    sup.restart_child("a").await.unwrap().unwrap();
    assert_eq!(next(&mut ev).await, started("a"));
    let ids: Vec<String> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.unwrap().to_string())
        .collect();
    assert_eq!(ids, ["b", "tmp", "a"]);

    // Terminating a temporary child deletes its spec.
    sup.terminate_child("tmp").await.unwrap();
    assert_eq!(next(&mut ev).await, terminated("tmp", ExitReason::Shutdown));
    assert!(matches!(
        sup.child_spec("tmp").await,
        Err(ChildError::NotFound)
    ));

    sup.terminate_child("b").await.unwrap();
    sup.delete_child("b").await.unwrap();
    assert!(matches!(
        sup.delete_child("b").await,
        Err(ChildError::NotFound)
    ));
    assert!(matches!(
        sup.restart_child("b").await,
        Err(ChildError::NotFound)
    ));
}

#[tokio::test]
async fn terminate_child_never_restarts_and_never_counts_toward_intensity() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(p.spec("a"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    for _ in 0..5 {
        sup.terminate_child("a").await.unwrap();
        sup.restart_child("a").await.unwrap();
    }
    assert!(sup.pid().is_alive());
}

#[tokio::test]
async fn count_children_and_child_spec() {
    let (p, _ev) = probe();
    let inner = Supervisor::builder();
    let sup = Supervisor::builder()
        .child(p.spec("a"))
        .child(p.spec("b"))
        .child(inner.into_child_spec("inner"))
        .start_link()
        .await
        .unwrap();
    sup.terminate_child("b").await.unwrap();
    let c = sup.count_children().await.unwrap();
    assert_eq!((c.specs, c.active, c.supervisors, c.workers), (3, 2, 1, 2));
    let spec = sup.child_spec("inner").await.unwrap();
    assert_eq!(spec.get_child_type(), ChildType::Supervisor);
    assert_eq!(spec.get_shutdown(), Shutdown::Infinity);
    assert_eq!(spec.get_restart(), Restart::Permanent);
    let spec = sup.child_spec("a").await.unwrap();
    assert_eq!(
        spec.get_shutdown(),
        Shutdown::Timeout(Duration::from_secs(5))
    );
}

#[tokio::test]
async fn calls_to_a_dead_supervisor_are_noproc() {
    let sup = Supervisor::builder().start_link().await.unwrap();
    sup.stop(ExitReason::Normal).await.unwrap();
    assert!(matches!(
        sup.which_children().await,
        Err(ChildError::NoProc)
    ));
    assert!(matches!(
        sup.terminate_child("a").await,
        Err(ChildError::NoProc)
    ));
}

#[tokio::test]
async fn an_exit_from_a_stranger_is_ignored() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .child(p.spec("a"))
        .start_link()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    sup.pid().exit(ExitReason::msg("stranger"));
    assert_eq!(sup.count_children().await.unwrap().active, 1);
    assert!(sup.pid().is_alive());
}

#[tokio::test]
async fn a_supervisor_calling_its_own_api_gets_calling_self_not_a_deadlock() {
    let sup = Supervisor::builder().start_link().await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let me = sup.clone();
    // The start function runs inside the supervisor's own task.
    let spec = ChildSpec::new("probe", move || {
        let me = me.clone();
        let tx = tx.lock().unwrap().take();
        async move {
            let r = me.which_children().await;
            if let Some(tx) = tx {
                let _ = tx.send(matches!(r, Err(ChildError::CallingSelf)));
            }
            Ok(None)
        }
    });
    assert_eq!(sup.start_child(spec).await.unwrap(), None);
    assert!(rx.await.unwrap());
}
