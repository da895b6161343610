//! Task supervisor (R-TASK-1 … R-TASK-6).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use actor_core::ExitReason;
use actor_supervisor::{ChildError, Restart, Shutdown, TaskError, TaskSupervisor};

#[tokio::test]
async fn async_nolink_yields_the_result_or_the_crash_without_harming_the_caller() {
    let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    let ok = tasks.async_nolink(async { "done" }).await.unwrap();
    assert_eq!(ok.await_result().await, Ok("done"));
    let crash = tasks
        .async_nolink(async { panic!("task blew up") })
        .await
        .unwrap();
    match crash.await_result().await {
        Err(TaskError::Exit(ExitReason::Panic(m))) => assert_eq!(&*m, "task blew up"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(tasks.pid().is_alive());
}

#[tokio::test(start_paused = true)]
async fn await_timeout_does_not_kill_the_task() {
    let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    let slow = tasks
        .async_nolink(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            1
        })
        .await
        .unwrap();
    let pid = slow.pid().clone();
    assert_eq!(
        slow.await_timeout(Duration::from_secs(1)).await,
        Err(TaskError::Timeout)
    );
    assert!(pid.is_alive());
    assert_eq!(tasks.children().await.unwrap(), vec![pid.clone()]);
    // It finishes later on its own, normally.
    assert_eq!(pid.exited().await, ExitReason::Normal);
}

#[tokio::test]
async fn start_child_is_temporary_by_default_and_permanent_restarts_every_exit() {
    let tasks = TaskSupervisor::builder()
        .intensity(100, Duration::from_secs(60))
        .start_link()
        .await
        .unwrap();
    let runs = Arc::new(AtomicU32::new(0));
    let r = runs.clone();
    let pid = tasks
        .start_child(move || {
            let r = r.clone();
            async move {
                r.fetch_add(1, Ordering::SeqCst);
            }
        })
        .await
        .unwrap();
    assert_eq!(pid.exited().await, ExitReason::Normal);
    assert!(
        tasks.children().await.unwrap().is_empty(),
        "temporary: gone after it finished"
    );

    // Permanent: restarted on every exit, normal included, until it is terminated.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pid = tasks
        .start_child_with(
            move || {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(());
                }
            },
            Restart::Permanent,
            Shutdown::BrutalKill,
        )
        .await
        .unwrap();
    for _ in 0..3 {
        rx.recv().await.unwrap();
    }
    pid.exited().await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn max_children_refuses_async_and_start_child() {
    let tasks = TaskSupervisor::builder()
        .max_children(1)
        .start_link()
        .await
        .unwrap();
    let _held = tasks
        .async_nolink(std::future::pending::<()>())
        .await
        .unwrap();
    assert!(matches!(
        tasks.async_nolink(async {}).await,
        Err(ChildError::MaxChildren)
    ));
    assert!(matches!(
        tasks.start_child(|| async {}).await,
        Err(ChildError::MaxChildren)
    ));
}

#[tokio::test]
async fn terminate_child_and_brutal_kill_on_shutdown() {
    let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    let forever = tasks
        .async_nolink(std::future::pending::<()>())
        .await
        .unwrap();
    let pid = forever.pid().clone();
    tasks.terminate_child(&pid).await.unwrap();
    assert_eq!(pid.exited().await, ExitReason::Shutdown);
    assert!(matches!(
        tasks.terminate_child(&pid).await,
        Err(ChildError::NotFound)
    ));
    assert!(matches!(
        forever.await_result().await,
        Err(TaskError::Exit(ExitReason::Shutdown))
    ));

    let brutal = tasks
        .start_child_with(
            std::future::pending::<()>,
            Restart::Temporary,
            Shutdown::BrutalKill,
        )
        .await
        .unwrap();
    tasks.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(brutal.exited().await, ExitReason::Killed);
}

/// An actor that runs a linked task that crashes.
struct Caller;
struct RunLinked(actor_supervisor::TaskSupervisorRef);

impl actor_core::Actor for Caller {
    type Args = bool;
    async fn init(
        trap: bool,
        ctx: &mut actor_core::Context<Self>,
    ) -> Result<Self, actor_core::InitError> {
        ctx.trap_exit(trap);
        Ok(Caller)
    }
}

impl actor_core::Call<RunLinked> for Caller {
    type Reply = bool;
    async fn handle_call(
        &mut self,
        RunLinked(tasks): RunLinked,
        _: &mut actor_core::Context<Self>,
    ) -> actor_core::CallReply<bool> {
        let task = tasks
            .async_link(async { panic!("linked task crashed") })
            .await
            .unwrap();
        actor_core::CallReply::Reply(task.await_result().await.is_err())
    }
}

#[tokio::test]
async fn async_link_takes_down_a_non_trapping_caller_when_the_task_crashes() {
    use actor_core::Actor as _;
    let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    let caller = Caller::start(false).await.unwrap();
    assert!(caller.call(RunLinked(tasks.clone())).await.is_err());
    assert!(
        matches!(caller.pid().exited().await, ExitReason::Panic(m) if &*m == "linked task crashed")
    );

    // A trapping caller survives and sees the error.
    let caller = Caller::start(true).await.unwrap();
    assert!(caller.call(RunLinked(tasks)).await.unwrap());
    assert!(caller.is_alive());
}
