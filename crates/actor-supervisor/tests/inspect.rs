//! Introspection (issue 22): a supervisor's report of its children with restart counts and
//! last exit reasons, the walk of a tree, and the event stream.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

use actor_core::{Actor, Cast, Context, ExitReason, Flow, InitError, Pid};
use actor_supervisor::{
    ChildError, ChildPid, ChildSpec, ChildType, DynamicSupervisor, Restart, Strategy, Supervisor,
    SupervisorEvent, SupervisorEventKind, SupervisorKind, inspect, inspect_tree, subscribe,
};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(5);

struct Worker;
struct Crash(ExitReason);

impl Actor for Worker {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Worker)
    }
}

impl Cast<Crash> for Worker {
    async fn handle_cast(&mut self, Crash(r): Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(r)
    }
}

fn running(state: &ChildPid) -> Pid {
    state.pid().cloned().expect("running")
}

/// The next event of `sup` (events are process-wide; other tests' supervisors publish too).
async fn next_of(events: &mut broadcast::Receiver<SupervisorEvent>, sup: &Pid) -> SupervisorEvent {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("an event within 30 s")
            .unwrap();
        if e.supervisor == *sup {
            return e;
        }
    }
}

#[tokio::test]
async fn a_report_counts_restarts_and_keeps_the_last_exit_reason() {
    let mut events = subscribe();
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .intensity(10, Duration::from_secs(60))
        .child(ChildSpec::worker::<Worker>("a", ()))
        .child(ChildSpec::worker::<Worker>("b", ()).restart(Restart::Transient))
        .start_link()
        .await
        .unwrap();
    let before = sup.inspect().await.unwrap();
    assert_eq!(before.kind, SupervisorKind::Static);
    assert_eq!(before.flags.strategy, Strategy::OneForAll);
    assert_eq!(before.flags.intensity, 10);
    assert_eq!(before.restarts_in_window, 0);
    let ids: Vec<&str> = before.children.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"], "oldest first");
    assert!(
        before
            .children
            .iter()
            .all(|c| c.restarts == 0 && c.last_exit.is_none())
    );
    assert_eq!(before.children[1].restart, Restart::Transient);

    // `a` crashes: one_for_all stops `b` and restarts both.
    running(&before.children[0].state)
        .downcast::<Worker>()
        .unwrap()
        .cast(Crash(ExitReason::msg("boom")));
    let exited = next_of(&mut events, &sup.pid()).await;
    assert_eq!(exited.child.as_ref().unwrap().as_str(), "a");
    assert!(matches!(
        exited.kind,
        SupervisorEventKind::ChildExited { ref reason, restarting: true, .. } if *reason == ExitReason::msg("boom")
    ));
    for expected in ["a", "b"] {
        let e = next_of(&mut events, &sup.pid()).await;
        assert_eq!(e.child.unwrap().as_str(), expected);
        assert!(matches!(
            e.kind,
            SupervisorEventKind::ChildRestarted { restarts: 1, .. }
        ));
    }
    let after = sup.inspect().await.unwrap();
    assert_eq!(after.restarts_in_window, 1);
    assert_eq!(after.children[0].restarts, 1);
    assert_eq!(after.children[0].last_exit, Some(ExitReason::msg("boom")));
    assert_eq!(after.children[1].restarts, 1);
    assert_eq!(
        after.children[1].last_exit,
        Some(ExitReason::Shutdown),
        "stopped by the strategy"
    );
    assert_ne!(after.children[0].state, before.children[0].state);
}

#[tokio::test]
async fn giving_up_is_an_event() {
    let mut events = subscribe();
    let sup = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(ChildSpec::worker::<Worker>("w", ()))
        .start()
        .await
        .unwrap();
    let w = running(&sup.inspect().await.unwrap().children[0].state);
    w.downcast::<Worker>()
        .unwrap()
        .cast(Crash(ExitReason::msg("last straw")));
    let _exited = next_of(&mut events, &sup.pid()).await;
    let gave_up = next_of(&mut events, &sup.pid()).await;
    assert_eq!(gave_up.child.unwrap().as_str(), "w");
    let SupervisorEventKind::GaveUp { reason } = gave_up.kind else {
        panic!("not a give-up: {:?}", gave_up.kind)
    };
    assert_eq!(reason, ExitReason::msg("last straw").to_string());
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn a_tree_is_walked_through_every_kind_of_supervisor() {
    // A child of type supervisor that is not one of ours: it is a leaf.
    let not_ours =
        ChildSpec::worker::<Worker>("registry-like", ()).child_type(ChildType::Supervisor);
    let top = Supervisor::builder()
        .child(DynamicSupervisor::builder().into_child_spec("rooms"))
        .child(not_ours)
        .child(ChildSpec::worker::<Worker>("w", ()))
        .start_link()
        .await
        .unwrap();
    let tree = inspect_tree(&top.pid(), T).await.unwrap();
    let rooms_pid = running(&tree.report.children[0].state);
    let rooms = actor_supervisor::DynamicSupervisorRef::from_pid(&rooms_pid)
        .await
        .unwrap();
    rooms
        .start_child(ChildSpec::worker::<Worker>("room", ()))
        .await
        .unwrap();
    let tree = inspect_tree(&top.pid(), T).await.unwrap();
    assert_eq!(
        tree.subtrees.len(),
        1,
        "only the dynamic supervisor has a subtree"
    );
    let (index, sub) = &tree.subtrees[0];
    assert_eq!(*index, 0);
    assert_eq!(sub.report.kind, SupervisorKind::Dynamic);
    assert_eq!(sub.report.children.len(), 1);
    assert_eq!(sub.report.children[0].id.as_str(), "room");
    assert_eq!(tree.supervisors().len(), 2);
}

#[tokio::test]
async fn inspecting_what_is_not_a_supervisor_is_not_found() {
    let w = Worker::start(()).await.unwrap();
    assert!(matches!(
        inspect(&w.pid(), T).await,
        Err(ChildError::NotFound)
    ));
    let sup = Supervisor::builder().start().await.unwrap();
    let pid = sup.pid();
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert!(matches!(inspect(&pid, T).await, Err(ChildError::NotFound)));
}
