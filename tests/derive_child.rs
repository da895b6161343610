//! `#[derive(Child)]` at run time: a supervisor started from derived specs, and each option's
//! effect observed.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

use actor_core::{Actor, Cast, Context, ExitReason, Flow, InitError, Pid};
use actor_supervisor::{
    AutoShutdown, Child, ChildPid, Supervise, Supervisor, SupervisorFlags, SupervisorRef,
    SupervisorSpec,
};
use actor_testkit::Probe;
use tokio::sync::mpsc;

type Log = mpsc::UnboundedSender<(&'static str, ExitReason)>;

/// Stops itself with a reason.
struct Stop(ExitReason);

macro_rules! worker {
    ($name:ident, $label:literal $(, $attr:meta)?) => {
        #[derive(Child)]
        $(#[$attr])?
        struct $name(Log);
        impl Actor for $name {
            type Args = Log;
            async fn init(log: Log, ctx: &mut Context<Self>) -> Result<Self, InitError> {
                ctx.trap_exit(true);
                Ok($name(log))
            }
            async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
                let _ = self.0.send(($label, reason.clone()));
            }
        }
        impl Cast<Stop> for $name {
            async fn handle_cast(&mut self, Stop(r): Stop, _: &mut Context<Self>) -> Flow {
                Flow::Stop(r)
            }
        }
    };
}

worker!(Transient, "transient", child(restart = "transient"));
worker!(Temporary, "temporary", child(restart = "temporary"));
worker!(Brutal, "brutal", child(shutdown = "brutal_kill"));
worker!(Permanent, "permanent");
worker!(
    Significant,
    "significant",
    child(id = "sig", restart = "transient", significant = true)
);

/// Ignores shutdown: terminate hangs, so only the shutdown timeout's kill ends it.
#[derive(Child)]
#[child(shutdown = "2s")]
struct Slow;
impl Actor for Slow {
    type Args = ();
    async fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        Ok(Slow)
    }
    async fn terminate(&mut self, _: &ExitReason, _: &mut Context<Self>) {
        std::future::pending::<()>().await;
    }
}

async fn pid_of(sup: &SupervisorRef, id: &str) -> Option<Pid> {
    sup.which_children()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id.as_ref().is_some_and(|i| i.as_str() == id))
        .and_then(|c| c.pid.pid().cloned())
}

#[tokio::test]
async fn default_ids_and_restart_types_take_effect() {
    let (log, mut rx) = mpsc::unbounded_channel();
    let sup = Supervisor::builder()
        .intensity(10, Duration::from_secs(60))
        .child(Permanent::child_spec(log.clone()))
        .child(Transient::child_spec(log.clone()))
        .child(Temporary::child_spec(log.clone()))
        .start_link()
        .await
        .unwrap();
    let ids: Vec<String> = sup
        .which_children()
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.clone().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        ["Temporary", "Transient", "Permanent"],
        "ids default to the type names"
    );

    // transient + normal exit: not restarted, spec kept
    let t = pid_of(&sup, "Transient").await.unwrap();
    t.downcast::<Transient>()
        .unwrap()
        .cast(Stop(ExitReason::Normal));
    assert_eq!(t.exited().await, ExitReason::Normal);
    assert_eq!(rx.recv().await.unwrap(), ("transient", ExitReason::Normal));
    let infos = sup.which_children().await.unwrap();
    assert!(infos.iter().any(|c| c.id.as_ref().unwrap().as_str() == "Transient" && c.pid == ChildPid::Undefined));

    // temporary + crash: not restarted, spec dropped
    let tmp = pid_of(&sup, "Temporary").await.unwrap();
    tmp.downcast::<Temporary>()
        .unwrap()
        .cast(Stop(ExitReason::msg("crash")));
    tmp.exited().await;
    assert_eq!(rx.recv().await.unwrap().0, "temporary");
    assert_eq!(sup.count_children().await.unwrap().specs, 2);

    // permanent + normal exit: restarted
    let p = pid_of(&sup, "Permanent").await.unwrap();
    p.downcast::<Permanent>()
        .unwrap()
        .cast(Stop(ExitReason::Normal));
    p.exited().await;
    assert_eq!(rx.recv().await.unwrap().0, "permanent");
    let again = pid_of(&sup, "Permanent").await.unwrap();
    assert_ne!(again, p);
}

#[tokio::test]
async fn a_brutal_kill_child_is_killed_at_once_on_shutdown() {
    let (log, mut rx) = mpsc::unbounded_channel();
    let sup = Supervisor::builder()
        .child(Permanent::child_spec(log.clone()))
        .child(Brutal::child_spec(log.clone()))
        .start_link()
        .await
        .unwrap();
    let brutal = pid_of(&sup, "Brutal").await.unwrap();
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(brutal.exited().await, ExitReason::Killed);
    // Only the gracefully stopped child ran terminate.
    assert_eq!(
        rx.recv().await.unwrap(),
        ("permanent", ExitReason::Shutdown)
    );
    assert!(rx.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_timeout_kills_after_its_duration() {
    let sup = Supervisor::builder()
        .child(Slow::child_spec(()))
        .start_link()
        .await
        .unwrap();
    let slow = pid_of(&sup, "Slow").await.unwrap();
    let t0 = tokio::time::Instant::now();
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(t0.elapsed(), Duration::from_secs(2));
    assert_eq!(slow.exited().await, ExitReason::Killed);
}

#[tokio::test]
async fn a_significant_child_shuts_its_supervisor_down() {
    let (log, _rx) = mpsc::unbounded_channel();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(Significant::child_spec(log))
        .start_link()
        .await
        .unwrap();
    let sig = pid_of(&sup, "sig").await.unwrap();
    sig.downcast::<Significant>()
        .unwrap()
        .cast(Stop(ExitReason::Normal));
    assert_eq!(sup.pid().exited().await, ExitReason::Shutdown);
}

/// A module-based supervisor deriving its own child spec.
#[derive(Child)]
#[child(type = "supervisor")]
struct Branch;

impl Supervise for Branch {
    type Args = Log;
    fn init(log: Log) -> Option<SupervisorSpec> {
        Some(SupervisorSpec::new(SupervisorFlags::default()).child(Permanent::child_spec(log)))
    }
}

#[tokio::test]
async fn a_derived_supervisor_spec_nests_with_infinity_shutdown() {
    let (log, mut rx) = mpsc::unbounded_channel();
    let top = Supervisor::builder()
        .child(Branch::child_spec(log))
        .start_link()
        .await
        .unwrap();
    let spec = top.child_spec("Branch").await.unwrap();
    assert_eq!(spec.get_shutdown(), actor_supervisor::Shutdown::Infinity);
    assert_eq!(top.count_children().await.unwrap().supervisors, 1);
    top.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(
        rx.recv().await.unwrap(),
        ("permanent", ExitReason::Shutdown)
    );
}

/// One named actor per key under a dynamic supervisor, from the derive.
#[derive(Child)]
#[child(restart = "transient")]
struct Room;

impl Actor for Room {
    type Args = u64;
    async fn init(_: u64, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Room)
    }
}

#[tokio::test]
async fn a_derived_child_can_be_named_one_per_key() {
    // The registry and the dynamic supervisor run under the test's supervisor, as they
    // would under an application's, and are torn down with the probe.
    let mut probe = Probe::start().await;
    let rooms = actor_registry::Registry::<u64, ()>::unique("rooms").build();
    probe
        .start_supervised(rooms.child_spec("rooms-registry"))
        .await
        .unwrap();
    let sup_pid = probe
        .start_supervised(actor_supervisor::DynamicSupervisor::builder().into_child_spec("rooms"))
        .await
        .unwrap()
        .unwrap();
    let sup = actor_supervisor::DynamicSupervisorRef::from_pid(&sup_pid)
        .await
        .unwrap();
    let seven = sup
        .start_child(Room::child_spec_named(7, rooms.via(7)))
        .await
        .unwrap()
        .unwrap();
    let eight = sup
        .start_child(Room::child_spec_named(8, rooms.via(8)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rooms.via(7).whereis(), Some(seven.clone()));
    assert_eq!(rooms.via(8).whereis(), Some(eight));
    // The derive's options carry over to the named spec.
    let spec = Room::child_spec_named(9, rooms.via(9));
    assert_eq!(spec.get_restart(), actor_supervisor::Restart::Transient);
    // A second child for a key that is taken is refused, and nothing is started.
    assert!(matches!(
        sup.start_child(Room::child_spec_named(7, rooms.via(7))).await,
        Err(actor_supervisor::ChildError::AlreadyStarted(pid)) if pid == seven
    ));
    assert_eq!(sup.count_children().await.unwrap().active, 2);
}
