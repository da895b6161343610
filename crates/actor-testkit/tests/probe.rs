//! The probe's contract: parent and links, trapped exits, monitors, names, selective receive
//! with timeouts on a paused clock, start_supervised and teardown.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

use actor_core::{Actor, Cast, Context, Down, Exit, ExitReason, Flow, InitError, self_pid};
use actor_registry::{LocalRegistry, Registry, RegistryEvent};
use actor_supervisor::{ChildSpec, Restart};
use actor_testkit::{Kind, Probe};

struct Worker;
struct Crash(ExitReason);

impl Actor for Worker {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Worker)
    }
}

impl Cast<Crash> for Worker {
    async fn handle_cast(&mut self, Crash(reason): Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(reason)
    }
}

#[tokio::test]
async fn start_link_makes_the_probe_the_parent_and_a_crash_an_exit_message() {
    let mut probe = Probe::start().await;
    let w = probe.start_link::<Worker>(()).await.unwrap();
    assert_eq!(w.info().links, vec![probe.id()]);
    w.cast(Crash(ExitReason::msg("boom")));
    assert_eq!(probe.assert_exit(&w.pid()).await, ExitReason::msg("boom"));
    assert!(probe.pid().is_alive(), "the probe traps exits");
}

#[tokio::test]
async fn an_untrapped_probe_dies_with_its_linked_child() {
    let probe = Probe::start_untrapped().await;
    let w = probe.start_link::<Worker>(()).await.unwrap();
    w.cast(Crash(ExitReason::msg("boom")));
    assert_eq!(probe.pid().exited().await, ExitReason::msg("boom"));
}

#[tokio::test]
async fn trap_exit_can_be_turned_off_later() {
    let probe = Probe::start().await;
    probe.trap_exit(false).await;
    let w = probe.start_link::<Worker>(()).await.unwrap();
    w.cast(Crash(ExitReason::Shutdown));
    assert_eq!(probe.pid().exited().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn monitor_demonitor_link_unlink() {
    let mut probe = Probe::start().await;
    let w = Worker::start(()).await.unwrap();
    let m = probe.monitor(&w.pid()).await;
    let gone = probe.monitor(&w.pid()).await;
    assert!(probe.demonitor(gone).await);
    probe.link(&w.pid()).await;
    assert_eq!(w.info().links, vec![probe.id()]);
    probe.unlink(&w.pid()).await;
    assert!(w.info().links.is_empty());
    w.cast(Crash(ExitReason::msg("x")));
    assert_eq!(probe.assert_down(m).await, ExitReason::msg("x"));
    // Neither the removed monitor's DOWN nor an EXIT from the unlinked worker arrives.
    probe.refute_receive(|_: &Down| true).await;
    probe.refute_receive(|_: &Exit| true).await;
}

#[tokio::test]
async fn run_executes_as_the_probe() {
    let probe = Probe::start().await;
    assert_eq!(self_pid(), None, "the test itself is not an actor");
    assert_eq!(probe.run(async { self_pid() }).await, Some(probe.pid()));
    // A plain closure's result, through an async block.
    assert_eq!(probe.run(async { 6 * 7 }).await, 42);
}

#[tokio::test]
#[should_panic(expected = "the probe's actor exited with")]
async fn a_request_to_a_dead_probe_panics_with_its_reason() {
    let probe = Probe::start().await;
    probe.pid().kill();
    probe.pid().exited().await;
    probe.run(async {}).await;
}

#[tokio::test]
async fn register_names_the_probe_until_it_exits() {
    let names = LocalRegistry::new();
    let name = names.name("probe");
    let probe = Probe::start().await;
    probe.register(&name).unwrap();
    assert_eq!(name.whereis(), Some(probe.pid()));
    let pid = probe.pid();
    drop(probe);
    pid.exited().await;
    assert_eq!(name.whereis(), None);
}

#[tokio::test]
async fn registry_entries_and_events_belong_to_the_probe() {
    let mut probe = Probe::start().await;
    let reg: Registry<String, u32> = Registry::unique("kit")
        .listener(probe.actor_ref().clone())
        .start_link()
        .await
        .unwrap();
    let r = reg.clone();
    let owner = probe
        .run(async move { r.register("k".to_string(), 7) })
        .await
        .unwrap();
    assert_eq!(Some(owner), reg.owner());
    assert_eq!(reg.lookup(&"k".to_string()), vec![(probe.pid(), 7)]);
    let event = probe
        .assert_receive(|_: &RegistryEvent<String, u32>| true)
        .await;
    assert!(
        matches!(event, RegistryEvent::Register { ref key, ref pid, value: 7, .. }
        if key == "k" && *pid == probe.pid())
    );
}

#[tokio::test(start_paused = true)]
async fn receive_is_selective_and_keeps_the_rest_in_order() {
    let mut probe = Probe::start().await;
    let me = probe.actor_ref().clone();
    me.send_info(1u8);
    me.cast("two");
    me.send_info(3u8);
    me.send_info(4u16);
    // Take the u16 first, then the second u8: the others stay, in arrival order.
    assert_eq!(probe.assert_receive(|_: &u16| true).await, 4);
    assert_eq!(probe.assert_receive(|n: &u8| *n == 3).await, 3);
    let rest = probe.flush().await;
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0].kind(), Kind::Info);
    assert_eq!(rest[0].downcast_ref::<u8>(), Some(&1));
    assert_eq!(rest[1].kind(), Kind::Cast);
    assert_eq!(rest[1].downcast_ref::<&str>(), Some(&"two"));
    assert!(probe.flush().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn timeouts_run_on_the_paused_clock() {
    let mut probe = Probe::start().await;
    let me = probe.actor_ref().clone();
    let t0 = tokio::time::Instant::now();
    me.send_after(Duration::from_secs(30), 9u32);
    probe.refute_receive(|_: &u32| true).await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_millis(100),
        "refute waits 100 ms"
    );
    assert_eq!(
        probe
            .receive_within(Duration::from_secs(10), |_: &u32| true)
            .await,
        None
    );
    let n = probe
        .assert_receive_within(Duration::from_secs(60), |_: &u32| true)
        .await;
    assert_eq!(n, 9);
    assert_eq!(t0.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = "no matching u32 received within 1s; the probe's inbox holds [Info<u8>, Cast<&str>]"
)]
async fn a_failed_assert_receive_lists_the_inbox() {
    let mut probe = Probe::start().await;
    probe.actor_ref().send_info(1u8);
    probe.actor_ref().cast("x");
    probe.assert_receive(|_: &u32| true).await;
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "received a u8 that should not have come")]
async fn refute_receive_fails_on_a_queued_match() {
    let mut probe = Probe::start().await;
    probe.actor_ref().send_info(1u8);
    probe
        .refute_receive_within(Duration::ZERO, |n: &u8| *n == 1)
        .await;
}

#[tokio::test]
async fn start_supervised_restarts_and_stop_supervised_removes() {
    let mut probe = Probe::start().await;
    let first = probe
        .start_supervised(ChildSpec::worker::<Worker>("w", ()))
        .await
        .unwrap()
        .unwrap();
    let m = probe.monitor(&first).await;
    first.kill();
    assert_eq!(probe.assert_down(m).await, ExitReason::Killed);
    let sup = probe.supervisor().await;
    // The test supervisor restarted it (its restart is permanent).
    let mut second = None;
    for _ in 0..1000 {
        second = sup.which_children().await.unwrap()[0].pid.pid().cloned();
        if second.as_ref().is_some_and(|p| *p != first) {
            break;
        }
        tokio::task::yield_now().await;
    }
    let second = second.unwrap();
    assert_ne!(second, first);
    probe.stop_supervised("w").await.unwrap();
    assert!(!second.is_alive());
    assert!(sup.which_children().await.unwrap().is_empty());
    assert!(probe.stop_supervised("w").await.is_err());
}

#[tokio::test]
async fn dropping_the_probe_tears_down_its_children_and_supervised_ones() {
    let mut probe = Probe::start().await;
    let linked = probe.start_link::<Worker>(()).await.unwrap();
    let supervised = probe
        .start_supervised(ChildSpec::worker::<Worker>("w", ()).restart(Restart::Temporary))
        .await
        .unwrap()
        .unwrap();
    let sup = probe.supervisor().await.pid();
    drop(probe);
    assert_eq!(sup.exited().await, ExitReason::Killed);
    assert_eq!(supervised.exited().await, ExitReason::Killed);
    assert_eq!(linked.pid().exited().await, ExitReason::Killed);
}

#[tokio::test]
async fn shutdown_stops_in_order_and_waits() {
    let mut probe = Probe::start().await;
    let supervised = probe
        .start_supervised(ChildSpec::worker::<Worker>("w", ()))
        .await
        .unwrap()
        .unwrap();
    let pid = probe.pid();
    probe.shutdown().await;
    assert!(!supervised.is_alive());
    assert!(!pid.is_alive());
    assert_eq!(pid.exited().await, ExitReason::Shutdown);
}
