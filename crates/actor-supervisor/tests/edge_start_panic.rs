//! Item 1 of the edge hardening: a start function that panics is a failed start, as OTP's
//! supervisor takes an exception in a start function as `{error, Reason}`. The supervisor
//! and its other children carry on; a panic during a restart is a failed restart, counted
//! and retried (R-RST-4).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use actor_core::{ExitReason, Pid, StartError};
use actor_supervisor::{ChildError, ChildSpec, DynamicSupervisor, Supervisor};
use support::*;

fn panicking(id: &'static str) -> ChildSpec {
    ChildSpec::new(id, || async { panic!("bad config") })
}

fn panicking_before_its_future(id: &'static str) -> ChildSpec {
    ChildSpec::new(
        id,
        || -> std::future::Ready<Result<Option<Pid>, StartError>> { panic!("bad config") },
    )
}

fn is_start_panic(err: &ChildError, child: &str) -> bool {
    matches!(err, ChildError::StartFailed { id, reason: StartError::Failed(ExitReason::Panic(msg)) }
        if id.as_str() == child && &**msg == "bad config")
}

#[tokio::test]
async fn item1_a_panicking_start_function_fails_start_child_and_the_supervisor_lives() {
    let (p, mut ev) = probe();
    let sup = Supervisor::builder()
        .child(p.spec("sibling"))
        .start_link()
        .await
        .unwrap();
    assert_eq!(next(&mut ev).await, started("sibling"));
    let sibling = pid_of(&sup, "sibling").await;

    for spec in [panicking("boom"), panicking_before_its_future("boom2")] {
        let id = spec.id().as_str().to_owned();
        let err = sup.start_child(spec).await.unwrap_err();
        assert!(is_start_panic(&err, &id), "unexpected {err:?}");
    }
    // The error names the child and the panic.
    let err = sup.start_child(panicking("boom")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "child `boom` failed to start: init failed: panic: bad config"
    );
    // The start error is the cause, for error reporters.
    let cause = std::error::Error::source(&err).unwrap();
    assert_eq!(cause.to_string(), "init failed: panic: bad config");
    // Nothing was stored, the sibling was not touched and the supervisor still answers.
    assert!(sup.pid().is_alive());
    assert!(sibling.is_alive());
    assert_eq!(sup.which_children().await.unwrap().len(), 1);
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn item1_a_panicking_start_function_at_supervisor_start_is_a_failed_child_start() {
    let err = Supervisor::builder()
        .child(panicking("boom"))
        .start_link()
        .await
        .unwrap_err();
    match err {
        actor_supervisor::SupervisorStartError::FailedToStartChild { id, reason } => {
            assert_eq!(id.as_str(), "boom");
            assert_eq!(reason.to_string(), "init failed: panic: bad config");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn item1_a_dynamic_supervisor_names_the_child_whose_start_panicked() {
    let (p, mut ev) = probe();
    let sup = DynamicSupervisor::builder().start_link().await.unwrap();
    let sibling = sup.start_child(p.spec("sibling")).await.unwrap().unwrap();
    assert_eq!(next(&mut ev).await, started("sibling"));
    for spec in [panicking("boom"), panicking_before_its_future("boom2")] {
        let id = spec.id().as_str().to_owned();
        let err = sup.start_child(spec).await.unwrap_err();
        assert!(is_start_panic(&err, &id), "unexpected {err:?}");
    }
    assert!(sup.pid().is_alive());
    assert!(sibling.is_alive());
    assert_eq!(sup.count_children().await.unwrap().active, 1);
}

/// A spec whose start function panics on its second and third calls (the first two
/// restarts), and starts a worker otherwise.
fn panics_on_restart(p: &Probe, calls: Arc<AtomicU32>) -> ChildSpec {
    let args = p.args("flaky");
    ChildSpec::new("flaky", move || {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let args = args.clone();
        async move {
            if n == 1 || n == 2 {
                panic!("bad config");
            }
            actor_supervisor::started(<W as actor_core::Actor>::start_link(args).await)
        }
    })
}

#[tokio::test]
async fn item1_a_start_function_panicking_during_a_restart_is_retried_by_the_supervisor() {
    let (p, mut ev) = probe();
    let calls = Arc::new(AtomicU32::new(0));
    let sup = Supervisor::builder()
        .intensity(10, std::time::Duration::from_secs(5))
        .child(p.spec("sibling"))
        .child(panics_on_restart(&p, calls.clone()))
        .start_link()
        .await
        .unwrap();
    assert_eq!(next(&mut ev).await, started("sibling"));
    assert_eq!(next(&mut ev).await, started("flaky"));
    let sibling = pid_of(&sup, "sibling").await;
    die(&sup, "flaky", ExitReason::msg("crash"), &mut ev).await;
    // Two panicking restarts, each counted and retried, then a good one.
    assert_eq!(next(&mut ev).await, started("flaky"));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(sup.pid().is_alive());
    assert!(sibling.is_alive());
    assert!(pid_of(&sup, "flaky").await.is_alive());
}

#[tokio::test]
async fn item1_a_dynamic_child_whose_restart_panics_is_retried() {
    let (p, mut ev) = probe();
    let calls = Arc::new(AtomicU32::new(0));
    let sup = DynamicSupervisor::builder()
        .intensity(10, std::time::Duration::from_secs(5))
        .start_link()
        .await
        .unwrap();
    let first = sup
        .start_child(panics_on_restart(&p, calls.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next(&mut ev).await, started("flaky"));
    first
        .downcast::<W>()
        .unwrap()
        .cast(Die(ExitReason::msg("crash")));
    assert_eq!(
        next(&mut ev).await,
        terminated("flaky", ExitReason::msg("crash"))
    );
    assert_eq!(next(&mut ev).await, started("flaky"));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(sup.pid().is_alive());
    assert_eq!(sup.count_children().await.unwrap().active, 1);
}
