//! DynamicSupervisor (R-DYN-1 … R-DYN-6) and simple_one_for_one (R-SOFO-1 … R-SOFO-4).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use actor_core::{Actor, Context, ExitReason, InitError, StartError};
use actor_supervisor::started as start_result;
use actor_supervisor::{
    ChildError, ChildPid, ChildSpec, DynamicSupervisor, Restart, Shutdown, SimpleOneForOne,
    SpecError,
};
use support::*;

#[tokio::test]
async fn ids_are_ignored_and_children_are_keyed_by_pid() {
    let (p, mut ev) = probe();
    let sup = DynamicSupervisor::builder().start_link().await.unwrap();
    let a = sup.start_child(p.spec("same")).await.unwrap().unwrap();
    let b = sup.start_child(p.spec("same")).await.unwrap().unwrap();
    take(&mut ev, 2).await;
    assert_ne!(a, b);
    let c = sup.count_children().await.unwrap();
    assert_eq!((c.specs, c.active, c.workers), (2, 2, 2));
    assert!(
        sup.which_children()
            .await
            .unwrap()
            .iter()
            .all(|c| c.id.is_none())
    );
}

#[tokio::test]
async fn max_children_counts_and_refuses() {
    let (p, _ev) = probe();
    let sup = DynamicSupervisor::builder()
        .max_children(1)
        .start_link()
        .await
        .unwrap();
    sup.start_child(p.spec("a")).await.unwrap();
    assert!(matches!(
        sup.start_child(p.spec("b")).await,
        Err(ChildError::MaxChildren)
    ));
}

#[tokio::test]
async fn start_child_validation_ignore_and_errors() {
    let (p, _ev) = probe();
    let sup = DynamicSupervisor::builder().start_link().await.unwrap();
    let sig = p.spec("s").restart(Restart::Transient).significant(true);
    assert!(matches!(
        sup.start_child(sig).await,
        Err(ChildError::InvalidSpec(SpecError::SignificantNotSupported))
    ));
    let mut ign = p.args("ign");
    ign.ignore = true;
    assert_eq!(
        sup.start_child(ChildSpec::worker::<W>("ign", ign))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        sup.count_children().await.unwrap().specs,
        0,
        "ignore stores nothing"
    );
    let bad = p.args("bad");
    bad.fail_starts.store(1, Ordering::SeqCst);
    assert!(matches!(
        sup.start_child(ChildSpec::worker::<W>("bad", bad)).await,
        Err(ChildError::StartFailed { .. })
    ));
}

#[tokio::test]
async fn terminate_child_removes_whatever_the_restart_type_and_unknown_pids_are_not_found() {
    let (p, mut ev) = probe();
    let sup = DynamicSupervisor::builder().start_link().await.unwrap();
    let a = sup.start_child(p.spec("a")).await.unwrap().unwrap();
    take(&mut ev, 1).await;
    sup.terminate_child(&a).await.unwrap();
    assert_eq!(next(&mut ev).await, terminated("a", ExitReason::Shutdown));
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
    // R-DYN-3: a dead pid or a stranger is not_found.
    assert!(matches!(
        sup.terminate_child(&a).await,
        Err(ChildError::NotFound)
    ));
    assert!(matches!(
        sup.terminate_child(&sup.pid()).await,
        Err(ChildError::NotFound)
    ));
}

#[tokio::test]
async fn restarts_follow_the_restart_type() {
    let (p, mut ev) = probe();
    let sup = DynamicSupervisor::builder()
        .intensity(10, Duration::from_secs(60))
        .start_link()
        .await
        .unwrap();
    let perm = sup.start_child(p.spec("perm")).await.unwrap().unwrap();
    let trans = sup
        .start_child(p.spec("trans").restart(Restart::Transient))
        .await
        .unwrap()
        .unwrap();
    take(&mut ev, 2).await;
    kill_from_inside(&perm, ExitReason::Normal, &mut ev, "perm").await;
    assert_eq!(
        next(&mut ev).await,
        started("perm"),
        "permanent: restarted even after normal"
    );
    kill_from_inside(&trans, ExitReason::Normal, &mut ev, "trans").await;
    // transient + normal: removed.
    assert_eq!(sup.count_children().await.unwrap().specs, 1);
    assert_quiet(&mut ev);
}

async fn kill_from_inside(
    pid: &actor_core::Pid,
    reason: ExitReason,
    ev: &mut Events,
    name: &'static str,
) {
    pid.downcast::<W>().unwrap().cast(Die(reason.clone()));
    assert_eq!(next(ev).await, terminated(name, reason));
    pid.exited().await;
}

#[tokio::test(start_paused = true)]
async fn intensity_exceeded_shuts_the_dynamic_supervisor_down() {
    let (p, mut ev) = probe();
    let sup = DynamicSupervisor::builder()
        .intensity(1, Duration::from_secs(5))
        .start_link()
        .await
        .unwrap();
    let a = sup.start_child(p.spec("a")).await.unwrap().unwrap();
    take(&mut ev, 1).await;
    kill_from_inside(&a, ExitReason::msg("x"), &mut ev, "a").await;
    assert_eq!(next(&mut ev).await, started("a"));
    let a = sup.which_children().await.unwrap()[0]
        .pid
        .pid()
        .unwrap()
        .clone();
    kill_from_inside(&a, ExitReason::msg("x"), &mut ev, "a").await;
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn children_stop_all_at_once_each_with_its_own_shutdown() {
    let (p, mut ev) = probe();
    let sup = DynamicSupervisor::builder().start_link().await.unwrap();
    let gentle = sup.start_child(p.spec("gentle")).await.unwrap().unwrap();
    let brutal = sup
        .start_child(p.spec("brutal").shutdown(Shutdown::BrutalKill))
        .await
        .unwrap()
        .unwrap();
    let stubborn = sup
        .start_child(
            ChildSpec::worker::<Stubborn>("stubborn", p.clone())
                .shutdown(Shutdown::Timeout(Duration::from_secs(3))),
        )
        .await
        .unwrap()
        .unwrap();
    take(&mut ev, 3).await;
    let t0 = tokio::time::Instant::now();
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(3),
        "one timer for the group, not one per child in turn"
    );
    assert_eq!(gentle.exited().await, ExitReason::Shutdown);
    assert_eq!(brutal.exited().await, ExitReason::Killed);
    assert_eq!(stubborn.exited().await, ExitReason::Killed);
}

/// A child that checks the supervisor's extra arguments in `init`.
struct Conn;

impl Actor for Conn {
    type Args = (String, u32);
    async fn init((pool, _user): Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        if pool != "pool-1" {
            return Err(InitError::Stop(ExitReason::msg("wrong pool")));
        }
        Ok(Conn)
    }
}

#[tokio::test]
async fn extra_arguments_are_passed_to_every_start_including_restarts() {
    let sup = DynamicSupervisor::builder()
        .extra_arguments("pool-1".to_string())
        .start_link()
        .await
        .unwrap();
    let spec = ChildSpec::with_extra("conn", |pool: String| async move {
        start_result(Conn::start_link((pool, 7)).await)
    });
    let pid = sup.start_child(spec).await.unwrap().unwrap();
    // A crash restarts it with the same extra arguments (init checks them).
    pid.exit(ExitReason::msg("crash"));
    pid.exited().await;
    loop {
        let children = sup.which_children().await.unwrap();
        match children.first().map(|c| c.pid.clone()) {
            Some(ChildPid::Running(new)) if new != pid => break,
            Some(_) => tokio::task::yield_now().await,
            None => panic!("the restart failed: the extra arguments were not re-applied"),
        }
    }
}

#[tokio::test]
async fn a_spec_without_the_extra_arguments_it_needs_fails_to_start() {
    let sup = DynamicSupervisor::builder().start_link().await.unwrap();
    let spec = ChildSpec::with_extra("conn", |_: String| async { Ok(None) });
    assert!(matches!(
        sup.start_child(spec).await,
        Err(ChildError::StartFailed {
            reason: StartError::Failed(_),
            ..
        })
    ));
}

// ---- simple_one_for_one -----------------------------------------------------------------------

async fn containers(p: &Probe) -> SimpleOneForOne<&'static str> {
    let p = p.clone();
    SimpleOneForOne::builder("container", move |name: &'static str| {
        let args = p.args(name);
        async move { start_result(W::start_link(args).await) }
    })
    .restart(Restart::Transient)
    .shutdown(Shutdown::Timeout(Duration::from_secs(2)))
    .intensity(10, Duration::from_secs(100))
    .start_link()
    .await
    .unwrap()
}

#[tokio::test]
async fn simple_one_for_one_appends_args_to_the_template_and_restarts_with_them() {
    let (p, mut ev) = probe();
    let sup = containers(&p).await;
    let c1 = sup.start_child("container1").await.unwrap().unwrap();
    let c2 = sup.start_child("container2").await.unwrap().unwrap();
    assert_eq!(
        take(&mut ev, 2).await,
        [started("container1"), started("container2")]
    );
    let counts = sup.count_children().await.unwrap();
    assert_eq!((counts.specs, counts.active), (1, 2));
    // Crash: restarted with its own arguments.
    kill_from_inside(&c1, ExitReason::msg("crash"), &mut ev, "container1").await;
    assert_eq!(next(&mut ev).await, started("container1"));
    // Normal stop of a transient container: not restarted, removed (seed 004).
    kill_from_inside(&c2, ExitReason::Normal, &mut ev, "container2").await;
    let counts = sup.count_children().await.unwrap();
    assert_eq!((counts.specs, counts.active), (1, 1));
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn simple_one_for_one_error_results() {
    let (p, mut ev) = probe();
    let sup = containers(&p).await;
    let c = sup.start_child("c").await.unwrap().unwrap();
    take(&mut ev, 1).await;
    // restart_child, delete_child and terminate by id do not exist on a
    // simple_one_for_one supervisor: OTP's {error, simple_one_for_one} is a compile error.
    // A live pid that is not a child: not_found. A dead pid: ok.
    assert!(matches!(
        sup.terminate_child(&sup.pid()).await,
        Err(ChildError::NotFound)
    ));
    sup.terminate_child(&c).await.unwrap();
    assert_eq!(next(&mut ev).await, terminated("c", ExitReason::Shutdown));
    sup.terminate_child(&c).await.unwrap();
    assert_eq!(
        sup.count_children().await.unwrap().specs,
        1,
        "specs is always 1"
    );
}
