//! Local names (R-NAME-2 … R-NAME-4) and via-names through a Registry (R-NAME-5, R-NAME-6,
//! R-REG-8), including a name that follows its actor across supervisor restarts.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use actor_testkit::Probe;

use std::time::Duration;

use actor_core::{
    Actor, Call, CallError, CallReply, Cast, Context, ExitReason, Flow, InitError, RegisterError,
    StartError, StopError,
};
use actor_registry::{LocalRegistry, LookupError, Registry};
use actor_supervisor::{ChildSpec, Supervisor};

struct Counter(u32);
struct Get;
struct Bump;
struct Crash;

impl Actor for Counter {
    type Args = u32;
    async fn init(n: u32, _: &mut Context<Self>) -> Result<Self, InitError> {
        if n == 999 {
            return Err(InitError::Stop(ExitReason::msg("refused")));
        }
        Ok(Counter(n))
    }
}
impl Call<Get> for Counter {
    type Reply = u32;
    async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<u32> {
        CallReply::Reply(self.0)
    }
}
impl Cast<Bump> for Counter {
    async fn handle_cast(&mut self, _: Bump, _: &mut Context<Self>) -> Flow {
        self.0 += 1;
        Flow::Ok
    }
}
impl Cast<Crash> for Counter {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(ExitReason::msg("crash"))
    }
}

// ---- local names ------------------------------------------------------------------------------

#[tokio::test]
async fn local_names_register_resolve_typed_and_release_on_death() {
    let names = LocalRegistry::new();
    let c = Counter::start(1).name(names.name("counter")).await.unwrap();
    assert_eq!(names.whereis("counter"), Some(c.pid()));
    assert_eq!(names.registered(), vec!["counter".into()]);
    assert_eq!(
        names
            .whereis_ref::<Counter>("counter")
            .unwrap()
            .call(Get)
            .await
            .unwrap(),
        1
    );
    assert!(matches!(
        names.whereis_ref::<actor_testkit::ProbeActor>("counter"),
        Err(LookupError::WrongType(_))
    ));
    c.pid().kill();
    c.pid().exited().await;
    assert!(matches!(
        names.whereis_ref::<Counter>("counter"),
        Err(LookupError::NotFound(_))
    ));
    assert!(names.registered().is_empty());
}

#[tokio::test]
async fn a_name_is_found_by_its_text_in_any_form() {
    let names = LocalRegistry::new();
    let c = Counter::start(3).name(names.name("tally")).await.unwrap();
    let as_name = actor_registry::LocalName::from("tally");
    assert_eq!(names.whereis("tally"), Some(c.pid()));
    assert_eq!(names.whereis(String::from("tally")), Some(c.pid()));
    assert_eq!(names.whereis(&as_name), Some(c.pid()));
    assert_eq!(names.whereis(as_name.clone()), Some(c.pid()));
    assert_eq!(
        names
            .whereis_ref::<Counter>(&as_name)
            .unwrap()
            .call(Get)
            .await
            .unwrap(),
        3
    );
    // A miss names what was asked for.
    match names.whereis_ref::<Counter>("tall") {
        Err(LookupError::NotFound(n)) => assert_eq!(n.as_str(), "tall"),
        other => panic!("expected NotFound(tall), got {other:?}"),
    }
    assert!(names.unregister(String::from("tally")));
    assert_eq!(names.whereis(&as_name), None);
    assert!(!names.unregister("tally"));
}

#[tokio::test]
async fn registering_a_running_actor_and_unregistering() {
    let names = LocalRegistry::new();
    let (a, b) = (
        Probe::start_untrapped().await,
        Probe::start_untrapped().await,
    );
    names.register("svc", &a.pid()).unwrap();
    assert!(
        matches!(names.register("svc", &b.pid()), Err(RegisterError::Taken(p)) if p == a.pid())
    );
    assert!(names.unregister("svc"));
    assert!(!names.unregister("svc"));
    names.register("svc", &b.pid()).unwrap();
    b.pid().kill();
    b.pid().exited().await;
    assert_eq!(names.whereis("svc"), None, "released when the actor died");
    assert!(matches!(
        names.register("svc", &b.pid()),
        Err(RegisterError::NoProc)
    ));
}

#[tokio::test]
async fn an_actor_lists_only_the_local_names_it_still_holds() {
    let names = LocalRegistry::new();
    let a = Probe::start_untrapped().await;
    names.register("kept", &a.pid()).unwrap();
    for i in 0..1_000 {
        let key = format!("n{i}");
        names.register(key.as_str(), &a.pid()).unwrap();
        assert!(names.unregister(key.as_str()));
    }
    assert_eq!(a.pid().info().names, vec![":kept".to_string()]);
    // Naming it again with a name it holds records nothing more: one unregister lets it go.
    for _ in 0..3 {
        names.register("kept", &a.pid()).unwrap();
    }
    assert_eq!(a.pid().info().names, vec![":kept".to_string()]);
    assert!(names.unregister("kept"));
    assert!(a.pid().info().names.is_empty());
    assert_eq!(names, names.clone(), "clones are one registry");
    assert_ne!(names, LocalRegistry::new());
}

#[tokio::test]
async fn a_failed_start_never_leaves_the_name_behind() {
    let names = LocalRegistry::new();
    let r = Counter::start(999).name(names.name("c")).await;
    assert!(matches!(r, Err(StartError::Failed(_))));
    assert_eq!(names.whereis("c"), None);
    Counter::start(1).name(names.name("c")).await.unwrap();
}

#[tokio::test]
async fn separate_local_registries_are_separate_namespaces() {
    let (n1, n2) = (LocalRegistry::new(), LocalRegistry::new());
    let a = Counter::start(1).name(n1.name("x")).await.unwrap();
    let b = Counter::start(2).name(n2.name("x")).await.unwrap();
    assert_eq!(n1.whereis("x"), Some(a.pid()));
    assert_eq!(n2.whereis("x"), Some(b.pid()));
}

// ---- via-names --------------------------------------------------------------------------------

#[tokio::test]
async fn call_cast_stop_and_whereis_through_a_via_name() {
    let reg = Registry::<(u64, u64), ()>::unique("sessions")
        .start_link()
        .await
        .unwrap();
    let name = reg.via((1, 1));
    let c = Counter::start(5).name(name.clone()).await.unwrap();
    assert_eq!(name.whereis(), Some(c.pid()));
    name.cast::<Counter, _>(Bump).unwrap();
    assert_eq!(name.call::<Counter, _>(Get).await.unwrap(), 6);
    name.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(name.whereis(), None);
    // A missing key: call is noproc with the message back, cast is dropped, stop is noproc.
    assert!(matches!(
        name.call::<Counter, _>(Get).await,
        Err(CallError::NoProc(Get))
    ));
    name.cast::<Counter, _>(Bump).unwrap();
    assert_eq!(name.stop(ExitReason::Normal).await, Err(StopError::NoProc));
}

#[tokio::test]
async fn a_via_name_clash_gives_already_started_and_stores_the_value() {
    let reg = Registry::<String, &'static str>::unique("named")
        .start_link()
        .await
        .unwrap();
    let a = Counter::start(1)
        .name(reg.via_with_value("k".into(), "meta"))
        .await
        .unwrap();
    assert_eq!(reg.lookup(&"k".to_string()), vec![(a.pid(), "meta")]);
    match Counter::start(2).name(reg.via("k".into())).await {
        Err(StartError::AlreadyStarted(p)) => assert_eq!(p, a.pid()),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_duplicate_registry_refuses_to_name_an_actor() {
    let reg = Registry::<String, ()>::duplicate("topics")
        .start_link()
        .await
        .unwrap();
    let r = Counter::start(1).name(reg.via("k".into())).await;
    assert!(matches!(r, Err(StartError::InvalidName(why)) if why.contains("unique")));
    assert_eq!(reg.count(), 0);
}

#[tokio::test]
async fn a_via_name_is_released_at_death_and_by_a_failed_start() {
    let reg = Registry::<u32, ()>::unique("r").start_link().await.unwrap();
    assert!(Counter::start(999).name(reg.via(1)).await.is_err());
    assert_eq!(reg.count(), 0, "released before start returned");
    let c = Counter::start(1).name(reg.via(1)).await.unwrap();
    c.pid().kill();
    c.pid().exited().await;
    // Released before the exit was signalled: no waiting for the owner's cleanup.
    assert_eq!(reg.whereis(&1), None);
    assert_eq!(reg.count(), 0);
}

#[tokio::test]
async fn a_supervised_actor_keeps_its_via_name_across_restarts() {
    let reg = Registry::<&'static str, ()>::unique("svc")
        .start_link()
        .await
        .unwrap();
    let r = reg.clone();
    let sup = Supervisor::builder()
        .intensity(100, Duration::from_secs(60))
        .child(ChildSpec::new("counter", move || {
            let name = r.via("counter");
            async move { actor_supervisor::started(Counter::start_link(0).name(name).await) }
        }))
        .start_link()
        .await
        .unwrap();
    let name = reg.via("counter");
    for _ in 0..20 {
        let old = name.whereis().unwrap();
        name.cast::<Counter, _>(Crash).unwrap();
        old.exited().await;
        // The EXIT reached the supervisor before `exited` returned, so this call is answered
        // after the restart, which registered the same name again.
        sup.count_children().await.unwrap();
        assert!(name.whereis().is_some_and(|p| p != old));
        assert_eq!(name.call::<Counter, _>(Get).await.unwrap(), 0);
        assert_eq!(reg.lookup(&"counter").len(), 1, "never two holders");
    }
    sup.stop(ExitReason::Shutdown).await.unwrap();
}
