//! handle_continue ordering (R-GS-14) and the idle timeout (R-GS-13).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::{Actor, Call, CallReply, Cast, Context, Continue, Flow, InitError};
use support::*;
use tokio::sync::mpsc;

/// Records the order of everything it runs.
struct Chain {
    log: mpsc::UnboundedSender<String>,
}

struct Step(u32);
struct Poke(u32);
struct CallThenContinue;

impl Actor for Chain {
    type Args = mpsc::UnboundedSender<String>;
    async fn init(log: Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        // Sent to itself during init, so already queued when the continuation runs.
        ctx.myself().cast(Poke(0));
        ctx.continue_with(Step(3));
        Ok(Chain { log })
    }
}

impl Continue<Step> for Chain {
    async fn handle_continue(&mut self, Step(n): Step, ctx: &mut Context<Self>) -> Flow {
        let _ = self.log.send(format!("continue {n}"));
        if n > 1 {
            ctx.myself().cast(Poke(n)); // queued, must wait for the whole chain
            ctx.continue_with(Step(n - 1));
        }
        Flow::Ok
    }
}

impl Cast<Poke> for Chain {
    async fn handle_cast(&mut self, Poke(n): Poke, _: &mut Context<Self>) -> Flow {
        let _ = self.log.send(format!("poke {n}"));
        Flow::Ok
    }
}

impl Call<CallThenContinue> for Chain {
    type Reply = ();
    async fn handle_call(&mut self, _: CallThenContinue, ctx: &mut Context<Self>) -> CallReply<()> {
        let _ = self.log.send("call".to_string());
        ctx.continue_with(Step(1));
        CallReply::Reply(())
    }
}

#[tokio::test]
async fn continuations_chain_and_run_before_anything_queued() {
    let (tx, mut log) = mpsc::unbounded_channel();
    let chain = Chain::start(tx).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        seen.push(log.recv().await.unwrap());
    }
    // The whole chain runs before anything queued, even what the actor sent itself.
    assert_eq!(seen, ["continue 3", "continue 2", "continue 1", "poke 0"]);
    // Sent once the chain has run, so after the pokes it queued.
    chain.cast(Poke(100));
    chain.call(CallThenContinue).await.unwrap();
    chain.cast(Poke(200));
    seen.clear();
    while seen.len() < 6 {
        seen.push(log.recv().await.unwrap());
    }
    // Then the mailbox in its order; a call's continuation runs after its reply and before
    // the next message.
    assert_eq!(
        seen,
        [
            "poke 3",
            "poke 2",
            "poke 100",
            "call",
            "continue 1",
            "poke 200"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_idle_timeout_fires_when_no_message_arrives() {
    let (mut args, mut ev) = spy_args(false);
    args.timeout = Some(Duration::from_secs(2));
    let started = tokio::time::Instant::now();
    let _s = Spy::start(args).await.unwrap();
    assert_eq!(next(&mut ev).await, Event::Init);
    assert_eq!(next(&mut ev).await, Event::Timeout);
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_message_cancels_the_idle_timeout_and_it_is_one_shot() {
    let (mut args, mut ev) = spy_args(false);
    args.timeout = Some(Duration::from_secs(2));
    let s = Spy::start(args).await.unwrap();
    assert_eq!(next(&mut ev).await, Event::Init);
    tokio::time::sleep(Duration::from_secs(1)).await;
    s.cast(Note(1)); // the cast's callback does not re-arm the timeout
    assert_eq!(next(&mut ev).await, Event::Cast(1));
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(s.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

#[tokio::test(start_paused = true)]
async fn a_queued_message_means_a_zero_timeout_never_fires() {
    struct Zero {
        log: mpsc::UnboundedSender<&'static str>,
    }
    impl Actor for Zero {
        type Args = mpsc::UnboundedSender<&'static str>;
        async fn init(log: Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
            ctx.myself().cast(Poke(0));
            ctx.set_timeout(Duration::ZERO);
            Ok(Zero { log })
        }
        async fn handle_timeout(&mut self, _: &mut Context<Self>) -> Flow {
            let _ = self.log.send("timeout");
            Flow::Ok
        }
    }
    impl Cast<Poke> for Zero {
        async fn handle_cast(&mut self, _: Poke, ctx: &mut Context<Self>) -> Flow {
            let _ = self.log.send("poke");
            ctx.set_timeout(Duration::ZERO); // re-armed; fires now that the mailbox is empty
            Flow::Ok
        }
    }
    let (tx, mut log) = mpsc::unbounded_channel();
    let _z = Zero::start(tx).await.unwrap();
    assert_eq!(log.recv().await, Some("poke"));
    assert_eq!(log.recv().await, Some("timeout"));
}
