//! Seed 004's promises: under simple_one_for_one with transient children, a container that
//! stops with reason normal is not restarted; a crashed one is, under the same local name.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use actor_core::{Actor, Call, CallReply, Context, ExitReason, InitError};
use actor_registry::LocalRegistry;
use actor_supervisor::{Restart, SimpleOneForOne, started};

struct Container;
struct Stop(ExitReason);

impl Actor for Container {
    type Args = String;
    async fn init(_: String, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Container)
    }
}

impl Call<Stop> for Container {
    type Reply = ();
    async fn handle_call(&mut self, Stop(reason): Stop, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::ReplyAndStop((), reason)
    }
}

async fn setup(names: &LocalRegistry) -> SimpleOneForOne<String> {
    let registry = names.clone();
    let sup = SimpleOneForOne::builder("container", move |name: String| {
        let start = Container::start_link(name.clone()).name(registry.name(name));
        async move { started(start.await) }
    })
    .restart(Restart::Transient)
    .intensity(10, std::time::Duration::from_secs(100))
    .start_link()
    .await
    .unwrap();
    for i in 1..=4 {
        sup.start_child(format!("container{i}")).await.unwrap();
    }
    sup
}

#[tokio::test]
async fn a_container_stopped_normally_is_not_restarted() {
    let names = LocalRegistry::new();
    let sup = setup(&names).await;
    let c2 = names.whereis_ref::<Container>("container2").unwrap();
    c2.call(Stop(ExitReason::Normal)).await.unwrap();
    assert_eq!(c2.pid().exited().await, ExitReason::Normal);
    assert_eq!(sup.count_children().await.unwrap().active, 3);
    assert!(names.whereis("container2").is_none());
}

#[tokio::test]
async fn a_crashed_container_is_restarted_under_its_name() {
    let names = LocalRegistry::new();
    let sup = setup(&names).await;
    let c3 = names.whereis_ref::<Container>("container3").unwrap();
    c3.call(Stop(ExitReason::msg("badarith"))).await.unwrap();
    c3.pid().exited().await;
    assert_eq!(sup.count_children().await.unwrap().active, 4);
    let again = names.whereis("container3").unwrap();
    assert_ne!(again, c3.pid());
}
