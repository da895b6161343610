//! Seed 004, "supervisor的simple_one_for_one": a `container_sup` simple_one_for_one supervisor
//! (intensity 10 in 100 s) starts four transient containers, each registered under a local
//! name from its argument. A container stopped with reason `normal` is not restarted; a
//! crashed one is; `terminate_child` by id, `delete_child` and `restart_child` answer
//! `{error, simple_one_for_one}`.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example containers
//! ```
//!
//! It prints a transcript and exits non-zero if the supervisor misbehaves.

use std::time::Duration;

use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError};
use actor_registry::LocalRegistry;
use actor_supervisor::{Restart, Shutdown, SimpleOneForOne, started};
use otp_actors::check;

/// `-record(state, {name}).`
struct Container {
    name: String,
}

/// `gen_server:call(Name, {stop})` → `{stop, normal, ok, State}`.
struct StopContainer;
/// Any other call → `{reply, ok, State}`; here it answers the container's name.
struct Hello;
/// A bug: the container crashes.
struct Crash;

impl Actor for Container {
    type Args = String;
    async fn init(name: String, _: &mut Context<Self>) -> Result<Self, InitError> {
        println!("  init({name})");
        Ok(Container { name })
    }
    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        println!("  terminate({}, {reason})", self.name);
    }
}

impl Call<StopContainer> for Container {
    type Reply = &'static str;
    async fn handle_call(
        &mut self,
        _: StopContainer,
        _: &mut Context<Self>,
    ) -> CallReply<&'static str> {
        CallReply::ReplyAndStop("ok", ExitReason::Normal)
    }
}

impl Call<Hello> for Container {
    type Reply = String;
    async fn handle_call(&mut self, _: Hello, _: &mut Context<Self>) -> CallReply<String> {
        CallReply::Reply(self.name.clone())
    }
}

impl Cast<Crash> for Container {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(ExitReason::msg("badarith"))
    }
}

#[tokio::main]
async fn main() {
    // {local, container1} … : one local name table for the node.
    let names = LocalRegistry::new();

    println!(
        "container_sup:start_link() -- {{simple_one_for_one, 10, 100}}, spec {{container, {{container, start_link, []}}, transient, 2000, worker}}"
    );
    let registry = names.clone();
    let container_sup = SimpleOneForOne::builder("container", move |name: String| {
        let local = registry.name(name.as_str());
        async move { started(Container::start_link(name).name(local).await) }
    })
    .restart(Restart::Transient)
    .shutdown(Shutdown::Timeout(Duration::from_millis(2000)))
    .intensity(10, Duration::from_secs(100))
    .start_link()
    .await
    .expect("container_sup starts");
    check(
        container_sup.count_children().await.map(|c| c.active).ok() == Some(0),
        "no child is started at init",
    );

    println!("\ncontainer:setup() -- start_child(container_sup, [\"containerN\"]) four times");
    for i in 1..=4 {
        let pid = container_sup
            .start_child(format!("container{i}"))
            .await
            .expect("start_child");
        println!(
            "  started container{i} as {}",
            pid.map(|p| p.to_string()).unwrap_or_default()
        );
    }
    let counts = container_sup.count_children().await.expect("count");
    println!(
        "  count_children: specs={} active={} workers={}",
        counts.specs, counts.active, counts.workers
    );
    check(
        counts.specs == 1 && counts.active == 4,
        "four children, one spec (simple_one_for_one)",
    );
    let c1 = names
        .whereis_ref::<Container>("container1")
        .expect("container1 is registered");
    check(
        c1.call(Hello).await.ok().as_deref() == Some("container1"),
        "container1 answers under its local name",
    );

    println!("\ncontainer:stop(\"container2\") -- {{stop, normal, ok, State}}");
    let c2 = names
        .whereis_ref::<Container>("container2")
        .expect("container2");
    check(
        c2.call(StopContainer).await.ok() == Some("ok"),
        "the stop call replied ok",
    );
    check(
        c2.pid().exited().await == ExitReason::Normal,
        "container2 exited normal",
    );
    check(
        container_sup.count_children().await.map(|c| c.active).ok() == Some(3),
        "a transient container that stops normally is not restarted",
    );
    check(names.whereis("container2").is_none(), "its name is gone");

    println!("\ncontainer3 crashes");
    let c3 = names.whereis("container3").expect("container3");
    c3.downcast::<Container>().expect("a container").cast(Crash);
    c3.exited().await;
    // Its exit was complete only once the supervisor had its EXIT queued, so this call is
    // answered after the restart: the supervisor restarts it with the same arguments, and the
    // new container registers the same name before the supervisor moves on.
    check(
        container_sup.count_children().await.map(|c| c.active).ok() == Some(3),
        "three containers run",
    );
    let again = names.whereis("container3").filter(|p| *p != c3);
    check(
        again.is_some(),
        "a crashed transient container is restarted, under the same name",
    );

    println!("\nterminate_child / delete_child / restart_child by id");
    println!(
        "  not methods of SimpleOneForOne: OTP's {{error, simple_one_for_one}} is a compile error here"
    );
    let c4 = names.whereis("container4").expect("container4");
    container_sup
        .terminate_child(&c4)
        .await
        .expect("terminate by pid works");
    check(
        names.whereis("container4").is_none(),
        "terminate_child with a pid stops the child",
    );

    container_sup
        .stop(ExitReason::Shutdown)
        .await
        .expect("stop");
    check(
        names.registered().is_empty(),
        "every container stopped with its supervisor",
    );
    println!("containers complete");
}
