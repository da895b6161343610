//! Every init outcome (R-GS-1, R-GS-2, R-GS-3) and named starts (R-NAME-2, R-NAME-3).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actor_core::{
    Actor, Call, CallReply, Context, Exit, ExitReason, InitError, Name, StartError, Status,
};
use actor_testkit::Probe;
use support::*;

/// What `Picky::init` does with its argument.
#[derive(Clone)]
enum Plan {
    Ok,
    Ignore,
    Stop(ExitReason),
    Error(ExitReason),
    Panic,
    Hang,
}

struct Picky;

impl Actor for Picky {
    type Args = (Plan, Arc<AtomicUsize>);
    async fn init((plan, inits): Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        inits.fetch_add(1, Ordering::SeqCst);
        match plan {
            Plan::Ok => Ok(Picky),
            Plan::Ignore => Err(InitError::Ignore),
            Plan::Stop(r) => Err(InitError::Stop(r)),
            Plan::Error(r) => Err(InitError::Error(r)),
            Plan::Panic => panic!("init exploded"),
            Plan::Hang => {
                std::future::pending::<()>().await;
                Ok(Picky)
            }
        }
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

#[tokio::test]
async fn init_ok_returns_a_running_actor() {
    let a = Picky::start((Plan::Ok, counter())).await.unwrap();
    assert_eq!(a.status(), Status::Running);
}

#[tokio::test]
async fn init_ignore_returns_ignored() {
    assert!(matches!(
        Picky::start((Plan::Ignore, counter())).await,
        Err(StartError::Ignored)
    ));
}

#[tokio::test]
async fn init_stop_and_error_return_the_reason() {
    let r = ExitReason::msg("bad config");
    match Picky::start((Plan::Stop(r.clone()), counter())).await {
        Err(StartError::Failed(got)) => assert_eq!(got, r),
        other => panic!("unexpected {other:?}"),
    }
    match Picky::start((Plan::Error(r.clone()), counter())).await {
        Err(StartError::Failed(got)) => assert_eq!(got, r),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn init_panic_is_caught_and_returned() {
    match Picky::start((Plan::Panic, counter())).await {
        Err(StartError::Failed(ExitReason::Panic(msg))) => assert_eq!(&*msg, "init exploded"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn init_past_the_start_timeout_is_killed_and_start_returns_timeout() {
    let names = TestNames::default();
    let name = Name::via(names.clone(), "slow".to_string());
    let started = tokio::time::Instant::now();
    let r = Picky::start((Plan::Hang, counter()))
        .name(name)
        .timeout(Duration::from_millis(500))
        .await;
    assert!(matches!(r, Err(StartError::Timeout)));
    assert_eq!(started.elapsed(), Duration::from_millis(500));
    // The killed actor is fully gone when start returns: its name is released.
    assert!(!names.holds("slow"));
}

// The parent of a `start_link` is the test's probe (actor-testkit): a trapping or
// non-trapping process that starts the child from inside its own task.

#[tokio::test]
async fn start_link_makes_the_caller_the_parent_and_links_them() {
    let p = Probe::start_untrapped().await;
    let child = p.start_link::<Picky>((Plan::Ok, counter())).await.unwrap();
    assert_eq!(child.info().links, vec![p.id()]);
    assert_eq!(p.pid().info().links, vec![child.id()]);
}

#[tokio::test]
async fn failed_start_link_leaves_no_exit_for_a_trapping_parent() {
    let mut parent = Probe::start().await;
    let r = parent
        .start_link::<Picky>((Plan::Stop(ExitReason::msg("nope")), counter()))
        .await;
    assert!(matches!(r, Err(StartError::Failed(_))));
    // R-GS-2 (OTP >= 26): no EXIT is left in the trapping parent's mailbox.
    parent
        .refute_receive_within(Duration::ZERO, |_: &Exit| true)
        .await;
    assert!(parent.pid().info().links.is_empty());
}

#[tokio::test]
async fn abnormal_init_failure_kills_a_non_trapping_linked_parent() {
    let p = Probe::start_untrapped().await;
    let pid = p.pid();
    // The link kills the parent before its start_link returns, so the start's result is
    // never delivered: run it as a task and watch the parent.
    let start = tokio::spawn(async move {
        p.start_link::<Picky>((Plan::Stop(ExitReason::msg("crash")), counter()))
            .await
            .map(|_| ())
    });
    assert_eq!(pid.exited().await, ExitReason::msg("crash"));
    assert!(start.await.is_err(), "the parent died inside start_link");
}

#[tokio::test]
async fn init_error_exits_normal_so_a_non_trapping_parent_survives() {
    let p = Probe::start_untrapped().await;
    let r = p
        .start_link::<Picky>((Plan::Error(ExitReason::msg("soft")), counter()))
        .await;
    assert!(matches!(r, Err(StartError::Failed(ref e)) if *e == ExitReason::msg("soft")));
    let r = p.start_link::<Picky>((Plan::Ignore, counter())).await;
    assert!(matches!(r, Err(StartError::Ignored)));
    assert!(p.pid().is_alive());
}

#[tokio::test]
async fn a_taken_name_starts_nothing() {
    let names = TestNames::default();
    let name = Name::via(names.clone(), "svc".to_string());
    let first = Picky::start((Plan::Ok, counter()))
        .name(name.clone())
        .await
        .unwrap();
    let inits = counter();
    match Picky::start((Plan::Ok, inits.clone()))
        .name(name.clone())
        .await
    {
        Err(StartError::AlreadyStarted(holder)) => assert_eq!(holder, first.pid()),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(inits.load(Ordering::SeqCst), 0, "init must not run");
    assert_eq!(name.whereis(), Some(first.pid()));
}

#[tokio::test]
async fn a_start_registers_every_name_it_is_given_and_a_clash_on_any_starts_nothing() {
    let names = TestNames::default();
    let [a, b, c] = ["a", "b", "c"].map(|key| Name::via(names.clone(), key.to_string()));
    let first = Picky::start((Plan::Ok, counter()))
        .name(a.clone())
        .name(b.clone())
        .name(c.clone())
        .await
        .unwrap();
    for name in [&a, &b, &c] {
        assert_eq!(name.whereis(), Some(first.pid()), "{name:?}");
    }
    assert_eq!(first.info().names.len(), 3);

    // A name already held, even after a free one: nothing is spawned (R-NAME-2a), and the
    // free name stays free.
    let d = Name::via(names.clone(), "d".to_string());
    let inits = counter();
    match Picky::start((Plan::Ok, inits.clone()))
        .name(d.clone())
        .name(c.clone())
        .await
    {
        Err(StartError::AlreadyStarted(holder)) => assert_eq!(holder, first.pid()),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(inits.load(Ordering::SeqCst), 0, "init must not run");
    assert_eq!(d.whereis(), None);

    first.pid().kill();
    first.pid().exited().await;
    for name in [&a, &b, &c] {
        assert_eq!(name.whereis(), None, "{name:?} released at exit");
    }
}

#[tokio::test]
async fn a_failed_init_releases_the_name_before_start_returns() {
    let names = TestNames::default();
    let name = Name::via(names.clone(), "flaky".to_string());
    for plan in [
        Plan::Ignore,
        Plan::Stop(ExitReason::Shutdown),
        Plan::Error(ExitReason::Shutdown),
        Plan::Panic,
    ] {
        let r = Picky::start((plan, counter())).name(name.clone()).await;
        assert!(r.is_err());
        // R-NAME-3: already gone, not merely dead.
        assert!(!names.holds("flaky"));
        assert_eq!(name.whereis(), None);
    }
    Picky::start((Plan::Ok, counter()))
        .name(name.clone())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_named_starts_have_exactly_one_winner() {
    for round in 0..20 {
        let names = TestNames::default();
        let name = Name::via(names.clone(), format!("race-{round}"));
        let inits = counter();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let name = name.clone();
            let inits = inits.clone();
            tasks.push(tokio::spawn(async move {
                Picky::start((Plan::Ok, inits)).name(name).await
            }));
        }
        let mut winners = Vec::new();
        let mut holders = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(a) => winners.push(a.pid()),
                Err(StartError::AlreadyStarted(h)) => holders.push(h),
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1);
        assert!(holders.iter().all(|h| *h == winners[0]));
        assert_eq!(inits.load(Ordering::SeqCst), 1, "losers never run init");
    }
}

/// Traps exits and, inside `handle_exit`, reports whether the registry still holds "svc".
struct NameChecker {
    names: TestNames,
    seen: tokio::sync::mpsc::UnboundedSender<bool>,
}

impl Actor for NameChecker {
    type Args = (TestNames, tokio::sync::mpsc::UnboundedSender<bool>);
    async fn init((names, seen): Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        Ok(NameChecker { names, seen })
    }
    async fn handle_exit(
        &mut self,
        _: actor_core::Exit,
        _: &mut Context<Self>,
    ) -> actor_core::Flow {
        let _ = self.seen.send(self.names.holds("svc"));
        actor_core::Flow::Ok
    }
    async fn handle_down(
        &mut self,
        _: actor_core::Down,
        _: &mut Context<Self>,
    ) -> actor_core::Flow {
        let _ = self.seen.send(self.names.holds("svc"));
        actor_core::Flow::Ok
    }
}

struct Watch(actor_core::Pid);
impl Call<Watch> for NameChecker {
    type Reply = ();
    async fn handle_call(&mut self, Watch(p): Watch, ctx: &mut Context<Self>) -> CallReply<()> {
        ctx.link(&p);
        ctx.monitor(&p);
        CallReply::Reply(())
    }
}

#[tokio::test]
async fn names_are_released_before_links_and_monitors_hear_of_the_exit() {
    let names = TestNames::default();
    let name = Name::via(names.clone(), "svc".to_string());
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let checker = NameChecker::start((names.clone(), tx)).await.unwrap();
    let target = Spy::start(spy_args(false).0)
        .name(name.clone())
        .await
        .unwrap();
    assert!(names.holds("svc"));
    checker.call(Watch(target.pid())).await.unwrap();
    target.pid().exit(ExitReason::msg("boom"));
    // Both the EXIT (link) and the DOWN (monitor) saw the name already released.
    assert_eq!(seen.recv().await, Some(false));
    assert_eq!(seen.recv().await, Some(false));
    let again = Spy::start(spy_args(false).0)
        .name(name.clone())
        .await
        .unwrap();
    assert_eq!(name.whereis(), Some(again.pid()));
}

#[tokio::test]
async fn names_unregistered_by_hand_do_not_pile_up_in_their_actor() {
    let names = TestNames::default();
    let (a, _events) = spy(false).await;
    let kept = Name::via(names.clone(), "kept".to_string());
    kept.register(&a.pid()).unwrap();
    for i in 0..1_000 {
        let key = format!("n{i}");
        Name::via(names.clone(), key.clone())
            .register(&a.pid())
            .unwrap();
        // The registry's own unregister: the actor is not told.
        names.remove(&key);
        // Registering a name it already holds, again and again, through one `Name`.
        kept.register(&a.pid()).unwrap();
    }
    // The actor keeps about as many names as it holds (here one), not the thousand it was
    // given: the handles are this one, `kept` (one `Name`, however often registered), and
    // each other name the actor still records.
    let recorded = names.handles() - 2;
    assert!(recorded <= 16, "the actor still records {recorded} names");
    assert_eq!(a.pid().info().names, vec![format!("{:?}", "kept")]);
    // The name it holds is still released at its exit.
    a.pid().kill();
    a.pid().exited().await;
    assert!(!names.holds("kept"));
    assert_eq!(
        names.handles(),
        2,
        "every name let go once the actor is gone"
    );
}

#[tokio::test]
async fn a_registry_that_tells_the_holder_lets_the_name_go_at_once() {
    let names = TestNames::default();
    let other = TestNames::default();
    let (a, _events) = spy(false).await;
    for key in ["x", "y"] {
        Name::via(names.clone(), key.to_string())
            .register(&a.pid())
            .unwrap();
    }
    Name::via(other.clone(), "x".to_string())
        .register(&a.pid())
        .unwrap();
    // Handles: the test's own, plus one per name the actor records.
    assert_eq!((names.handles(), other.handles()), (3, 2));
    names.unregister("x");
    // Only the name `x` of this registry: not `y`, not `x` in the other one.
    assert_eq!((names.handles(), other.handles()), (2, 2));
    assert!(!names.holds("x") && names.holds("y") && other.holds("x"));
    // Unknown keys and registries change nothing.
    names.unregister("nothing");
    a.pid().forget_name(&TestNames::default(), &"y".to_string());
    assert_eq!((names.handles(), other.handles()), (2, 2));
}
