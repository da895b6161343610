//! What the one engine gives every flavour: significant children and auto shutdown under
//! simple_one_for_one (OTP 24+), the task supervisor's counts and its tasks' shutdown, the
//! flags setter on every builder.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::future::pending;
use std::time::Duration;

use actor_core::{Actor, ExitReason};
use actor_supervisor::{
    AutoShutdown, ChildPid, DynamicSupervisor, FlagsError, Restart, Shutdown, SimpleOneForOne,
    SpecError, Strategy, SupervisorFlags, SupervisorStartError, TaskError, TaskSupervisor,
};
use support::*;

/// Makes worker `pid` stop itself with `reason` (a normal exit cannot be sent from outside)
/// and waits until it is gone.
async fn stop_itself(pid: &actor_core::Pid, reason: ExitReason) {
    pid.downcast::<W>().unwrap().cast(Die(reason));
    pid.exited().await;
}

fn significant_sofo(
    p: &Probe,
    restart: Restart,
    auto: AutoShutdown,
) -> actor_supervisor::SimpleBuilder<&'static str> {
    let p = p.clone();
    SimpleOneForOne::builder("w", move |name: &'static str| {
        let args = p.args(name);
        async move { actor_supervisor::started(W::start_link(args).await) }
    })
    .restart(restart)
    .significant(true)
    .auto_shutdown(auto)
}

#[tokio::test]
async fn simple_one_for_one_any_significant_stops_when_one_child_exits_by_itself() {
    let (p, mut ev) = probe();
    let sup = significant_sofo(&p, Restart::Transient, AutoShutdown::AnySignificant)
        .start_link()
        .await
        .unwrap();
    let a = sup.start_child("a").await.unwrap().unwrap();
    sup.start_child("b").await.unwrap().unwrap();
    take(&mut ev, 2).await;
    // A transient child that exits normally is not restarted: the supervisor shuts down,
    // stopping the other child.
    stop_itself(&a, ExitReason::Normal).await;
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
    assert!(!sup.pid().is_alive());
}

#[tokio::test]
async fn simple_one_for_one_all_significant_waits_for_the_last_child() {
    let (p, mut ev) = probe();
    let sup = significant_sofo(&p, Restart::Temporary, AutoShutdown::AllSignificant)
        .start_link()
        .await
        .unwrap();
    let a = sup.start_child("a").await.unwrap().unwrap();
    let b = sup.start_child("b").await.unwrap().unwrap();
    take(&mut ev, 2).await;
    stop_itself(&a, ExitReason::msg("crash")).await;
    // One significant child still runs: the supervisor answers, with one child left.
    assert_eq!(sup.count_children().await.unwrap().active, 1);
    stop_itself(&b, ExitReason::Normal).await;
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn a_significant_template_is_checked_when_the_supervisor_starts() {
    let (p, _ev) = probe();
    let permanent = significant_sofo(&p, Restart::Permanent, AutoShutdown::AnySignificant);
    assert!(matches!(
        permanent.start_link().await,
        Err(SupervisorStartError::Spec(SpecError::SignificantPermanent(
            _
        )))
    ));
    let never = significant_sofo(&p, Restart::Transient, AutoShutdown::Never);
    assert!(matches!(
        never.start_link().await,
        Err(SupervisorStartError::Spec(
            SpecError::SignificantWithoutAutoShutdown(_)
        ))
    ));
}

#[tokio::test]
async fn a_dynamic_supervisor_takes_flags_but_only_one_for_one() {
    let flags = SupervisorFlags::default().with_intensity(7, Duration::from_secs(9));
    let sup = DynamicSupervisor::builder()
        .flags(flags)
        .start()
        .await
        .unwrap();
    sup.stop(ExitReason::Normal).await.unwrap();
    let rest = SupervisorFlags::default().with_strategy(Strategy::RestForOne);
    assert!(matches!(
        DynamicSupervisor::builder().flags(rest).start().await,
        Err(SupervisorStartError::Flags(
            FlagsError::UnsupportedStrategy(Strategy::RestForOne)
        ))
    ));
    let auto = SupervisorFlags::default().with_auto_shutdown(AutoShutdown::AnySignificant);
    assert!(matches!(
        TaskSupervisor::builder().flags(auto).start_link().await,
        Err(SupervisorStartError::Flags(FlagsError::InvalidAutoShutdown))
    ));
}

#[tokio::test]
async fn the_task_supervisor_counts_and_lists_its_tasks() {
    let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    let t1 = tasks.async_nolink(pending::<()>()).await.unwrap();
    let t2 = tasks.async_nolink(pending::<()>()).await.unwrap();
    let counts = tasks.count_children().await.unwrap();
    assert_eq!((counts.specs, counts.active, counts.workers), (2, 2, 2));
    let mut listed: Vec<_> = tasks
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| match c.pid {
            ChildPid::Running(pid) => pid,
            other => panic!("a task that is not running: {other:?}"),
        })
        .collect();
    listed.sort_by_key(|p| p.id());
    let mut expected = vec![t1.pid().clone(), t2.pid().clone()];
    expected.sort_by_key(|p| p.id());
    assert_eq!(listed, expected);
    tasks.terminate_child(t1.pid()).await.unwrap();
    assert_eq!(tasks.count_children().await.unwrap().active, 1);
}

#[tokio::test]
async fn an_async_task_is_stopped_by_its_own_shutdown() {
    let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    // The default shutdown (5 s) sends the shutdown signal: the task exits with it.
    let polite = tasks.async_nolink(pending::<()>()).await.unwrap();
    tasks.terminate_child(&polite.pid().clone()).await.unwrap();
    assert!(matches!(
        polite.await_result().await,
        Err(TaskError::Exit(ExitReason::Shutdown))
    ));
    // `brutal_kill` kills it.
    let killed = tasks
        .async_nolink_with(pending::<()>(), Shutdown::BrutalKill)
        .await
        .unwrap();
    tasks.terminate_child(&killed.pid().clone()).await.unwrap();
    assert!(matches!(
        killed.await_result().await,
        Err(TaskError::Exit(ExitReason::Killed))
    ));
    let linked = tasks
        .async_link_with(pending::<()>(), Shutdown::BrutalKill)
        .await
        .unwrap();
    tasks.stop(ExitReason::Shutdown).await.unwrap();
    assert!(matches!(
        linked.await_result().await,
        Err(TaskError::Exit(ExitReason::Killed))
    ));
}

#[tokio::test]
async fn every_handle_reaches_the_one_supervisor_actor() {
    // Each flavour's handle exposes the same actor type.
    let dynamic = DynamicSupervisor::builder().start().await.unwrap();
    let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    let as_static = actor_supervisor::SupervisorRef::from_actor_ref(dynamic.actor_ref().clone());
    // Under a dynamic supervisor, ids are ignored: a request by id finds nothing.
    assert!(matches!(
        as_static.terminate_child("any").await,
        Err(actor_supervisor::ChildError::NotFound)
    ));
    assert_eq!(tasks.actor_ref().pid(), tasks.pid());
}

/// The messages of the `tracing` events logged on this thread.
#[derive(Clone, Default)]
struct Logged(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Logged {
    /// Whether an event with this message was logged, with every one of `fields` among its
    /// fields' text.
    fn contains(&self, message: &str, fields: &[&str]) -> bool {
        self.0.lock().unwrap().iter().any(|e| {
            e.split_once('|').map_or(e.as_str(), |(m, _)| m) == message
                && fields.iter().all(|f| e.contains(f))
        })
    }
}

impl tracing::Subscriber for Logged {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        // The message first, then every other field as `name=value`.
        struct Fields(String, String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                } else {
                    self.1.push_str(&format!(" {}={v:?}", f.name()));
                }
            }
        }
        let mut fields = Fields(String::new(), String::new());
        event.record(&mut fields);
        self.0
            .lock()
            .unwrap()
            .push(format!("{}|{}", fields.0, fields.1));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn a_dynamic_supervisor_logs_a_temporary_childs_crash_as_a_static_one_does() {
    // Before the one engine, only the static supervisor logged it. The runtime is this
    // thread's (current-thread), so the subscriber set here sees the supervisor's events.
    let logged = Logged::default();
    let _guard = tracing::subscriber::set_default(logged.clone());
    let (p, mut ev) = probe();
    let sup = DynamicSupervisor::builder().start().await.unwrap();
    let pid = sup
        .start_child(p.spec("t").restart(Restart::Temporary))
        .await
        .unwrap()
        .unwrap();
    take(&mut ev, 1).await;
    stop_itself(&pid, ExitReason::msg("crash")).await;
    // The supervisor has handled the EXIT once it answers the next request.
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
    assert!(logged.contains("temporary child exited", &["child=t"]));
}

#[tokio::test(start_paused = true)]
async fn a_handle_with_a_timeout_gives_up_on_a_busy_supervisor() {
    let sup = DynamicSupervisor::builder().start_link().await.unwrap();
    // A start function that takes 10 s keeps the supervisor busy for that long.
    let slow = actor_supervisor::ChildSpec::new("slow", || async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(None)
    });
    let busy = sup.clone();
    let starting = tokio::spawn(async move { busy.start_child(slow).await });
    tokio::task::yield_now().await;
    let impatient = sup.clone().with_timeout(Duration::from_secs(1));
    assert_eq!(impatient, sup, "the same supervisor, whatever the timeout");
    let started = tokio::time::Instant::now();
    assert!(matches!(
        impatient.count_children().await,
        Err(actor_supervisor::ChildError::Timeout)
    ));
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    // The patient handle (no timeout) waits for the supervisor to be free again.
    assert_eq!(starting.await.unwrap().unwrap(), None);
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
}

/// A minimal via registry for naming supervisors in these tests.
#[derive(Clone, Default)]
struct Names(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, actor_core::Pid>>>);

impl actor_core::NameRegistry<String> for Names {
    fn register_name(
        &self,
        key: &String,
        pid: &actor_core::Pid,
    ) -> Result<(), actor_core::RegisterError> {
        self.0.lock().unwrap().insert(key.clone(), pid.clone());
        Ok(())
    }
    fn unregister_name(&self, key: &String, _: &actor_core::Pid) {
        self.0.lock().unwrap().remove(key);
    }
    fn whereis_name(&self, key: &String) -> Option<actor_core::Pid> {
        self.0
            .lock()
            .unwrap()
            .get(key)
            .filter(|p| p.is_alive())
            .cloned()
    }
}

#[tokio::test]
async fn every_kind_of_supervisor_has_a_handle_from_its_pid_or_its_name() {
    use actor_supervisor::{DynamicSupervisorRef, Supervisor, SupervisorRef, TaskSupervisorRef};
    let names = Names::default();
    let rooms = actor_core::Name::via(names.clone(), "rooms".to_string());
    let top = Supervisor::builder()
        .child(
            DynamicSupervisor::builder()
                .name(rooms.clone())
                .into_child_spec("rooms"),
        )
        .child(TaskSupervisor::builder().into_child_spec("tasks"))
        .start_link()
        .await
        .unwrap();
    let children = top.which_children().await.unwrap();
    let pid_of = |id: &str| {
        children
            .iter()
            .find(|c| c.id.as_ref().map(|i| i.as_str()) == Some(id))
            .and_then(|c| c.pid.pid().cloned())
            .unwrap()
    };
    // The nested dynamic supervisor, by name and by pid: the same handle.
    let by_name = DynamicSupervisorRef::whereis(&rooms).await.unwrap();
    assert_eq!(
        Some(by_name.clone()),
        DynamicSupervisorRef::from_pid(&pid_of("rooms")).await
    );
    let (p, mut ev) = probe();
    by_name.start_child(p.spec("room")).await.unwrap().unwrap();
    take(&mut ev, 1).await;
    assert_eq!(by_name.count_children().await.unwrap().active, 1);
    // The nested task supervisor.
    let tasks = TaskSupervisorRef::from_pid(&pid_of("tasks")).await.unwrap();
    let answer = tasks.async_nolink(async { 42 }).await.unwrap();
    assert_eq!(answer.await_result().await.unwrap(), 42);
    // The top one, and the wrong kinds.
    assert_eq!(SupervisorRef::from_pid(&top.pid()).await, Some(top.clone()));
    assert_eq!(DynamicSupervisorRef::from_pid(&top.pid()).await, None);
    assert_eq!(SupervisorRef::from_pid(&pid_of("rooms")).await, None);
    let worker = by_name.which_children().await.unwrap()[0]
        .pid
        .pid()
        .cloned()
        .unwrap();
    assert_eq!(SupervisorRef::from_pid(&worker).await, None);
    top.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(DynamicSupervisorRef::whereis(&rooms).await, None);
}

#[tokio::test]
async fn giving_up_names_the_supervisor_the_child_and_its_last_reason() {
    let logged = Logged::default();
    let _guard = tracing::subscriber::set_default(logged.clone());
    let (p, mut ev) = probe();
    let sup = actor_supervisor::Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(p.spec("store"))
        .start()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    let pid = sup.which_children().await.unwrap()[0]
        .pid
        .pid()
        .cloned()
        .unwrap();
    stop_itself(&pid, ExitReason::msg("disk full")).await;
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
    let supervisor = format!("supervisor={}", sup.pid());
    assert!(
        logged.contains(
            "restart intensity exceeded; shutting down",
            &[
                &supervisor,
                "child=Some(\"store\")",
                "reason=error: disk full"
            ]
        ),
        "{:?}",
        logged.0.lock().unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn a_supervisor_that_does_not_stop_in_time_gives_a_stop_timeout() {
    let (p, mut ev) = probe();
    let stubborn = actor_supervisor::ChildSpec::worker::<Stubborn>("stubborn", p.clone())
        .shutdown(Shutdown::Infinity);
    let sup = actor_supervisor::Supervisor::builder()
        .child(stubborn)
        .start()
        .await
        .unwrap();
    take(&mut ev, 1).await;
    assert!(matches!(
        sup.stop_timeout(ExitReason::Shutdown, Duration::from_secs(2))
            .await,
        Err(actor_core::StopError::Timeout)
    ));
    // Still stopping (its child never ends by itself); a kill ends it.
    assert!(sup.pid().is_alive());
    sup.pid().kill();
    assert_eq!(sup.pid().exited().await, ExitReason::Killed);
}
