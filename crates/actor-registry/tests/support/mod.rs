//! A member actor that runs closures in its own task, so tests can act as a registered actor.
#![allow(
    clippy::unwrap_used,
    dead_code,
    unreachable_pub,
    reason = "test helpers; each test binary uses a different part"
)]

use actor_core::{
    Actor, ActorRef, Call, CallReply, Cast, Context, ExitReason, Flow, Info, InitError,
};
use actor_registry::RegistryEvent;
use tokio::sync::mpsc;

/// Runs a closure inside the member's task (as that actor) and replies with its result.
pub struct Exec<R>(pub Box<dyn FnOnce() -> R + Send>);

pub struct Member;

impl Actor for Member {
    type Args = bool;
    async fn init(trap: bool, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(trap);
        Ok(Member)
    }
}

impl<R: Send + 'static> Call<Exec<R>> for Member {
    type Reply = R;
    async fn handle_call(&mut self, Exec(f): Exec<R>, _: &mut Context<Self>) -> CallReply<R> {
        CallReply::Reply(f())
    }
}

/// Makes the member stop with a reason.
pub struct Quit(pub ExitReason);

impl Cast<Quit> for Member {
    async fn handle_cast(&mut self, Quit(r): Quit, _: &mut Context<Self>) -> Flow {
        Flow::Stop(r)
    }
}

pub async fn member() -> ActorRef<Member> {
    Member::start(false).await.unwrap()
}

/// Runs `f` as the member.
pub async fn as_member<R: Send + 'static>(
    m: &ActorRef<Member>,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    m.call(Exec(Box::new(f))).await.unwrap()
}

/// A listener that forwards registry events to the test.
pub struct Listener<K, V> {
    tx: mpsc::UnboundedSender<RegistryEvent<K, V>>,
}

impl<K: Send + 'static, V: Send + 'static> Actor for Listener<K, V> {
    type Args = mpsc::UnboundedSender<RegistryEvent<K, V>>;
    async fn init(tx: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Listener { tx })
    }
}

impl<K: Send + 'static, V: Send + 'static> Info<RegistryEvent<K, V>> for Listener<K, V> {
    async fn handle_info(&mut self, e: RegistryEvent<K, V>, _: &mut Context<Self>) -> Flow {
        let _ = self.tx.send(e);
        Flow::Ok
    }
}

/// Waits until `cond` holds, yielding to the runtime in between (the registry's cleanup is
/// asynchronous by contract; this waits on the observable state, not on a guessed delay).
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never held");
}
