//! The start's future (`StartFuture`): `init` run in the starter's first poll when it
//! finishes there, handed to the actor's task when it awaits; either way the start keeps
//! `Start`'s contract.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::future::{Future, IntoFuture, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use actor_core::{
    Actor, ActorRef, Context, ExitReason, InitError, Name, NameRegistry, Pid, RegisterError,
    StartError, self_pid,
};
use tokio::sync::mpsc;

/// Reports the pid `init` sees as its own, and the context's.
struct Reporter;

impl Actor for Reporter {
    type Args = mpsc::UnboundedSender<(Option<Pid>, Pid)>;
    async fn init(tell: Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        let _ = tell.send((self_pid(), ctx.pid().clone()));
        Ok(Reporter)
    }
}

#[tokio::test]
async fn init_runs_as_the_new_actor_and_the_starter_stays_itself() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let before = self_pid();
    let r = Reporter::start(tx).await.unwrap();
    let (seen, own) = rx.recv().await.unwrap();
    assert_eq!(seen, Some(r.pid()));
    assert_eq!(own, r.pid());
    // The starter (here not an actor) is itself again once the start returned.
    assert_eq!(self_pid(), before);
    assert!(before.is_none());
}

#[tokio::test]
async fn a_start_dropped_after_its_first_poll_kills_the_started_actor() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut start = pin!(Reporter::start(tx).into_future());
        // One poll: `init` finishes in it, and the start waits for its next poll to return.
        let first = poll_fn(|cx| Poll::Ready(start.as_mut().poll(cx).is_ready())).await;
        assert!(!first, "the start returns only at its second poll");
    }
    // Dropped before it returned the handle: nobody could reach the actor, so it is killed.
    let (_, pid) = rx.recv().await.unwrap();
    assert_eq!(pid.exited().await, ExitReason::Killed);
}

/// Counts its wake-ups.
struct Wakes(AtomicUsize);

impl std::task::Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_start_whose_actor_is_killed_before_its_task_ran_is_woken() {
    // The start returns once its actor's task has had its first poll, which wakes it; a task
    // killed before that poll wakes it as it is dropped, so that the start does not wait for
    // a poll that never comes.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut start = pin!(Reporter::start(tx).into_future());
    let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
    let waker = std::task::Waker::from(wakes.clone());
    let polled = start
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker));
    assert!(
        polled.is_pending(),
        "the start returns only at its second poll"
    );
    // `init` ran in that poll; the actor's task is spawned and has not run yet.
    let (_, pid) = rx.try_recv().unwrap();
    pid.exit(ExitReason::Killed);
    assert_eq!(pid.exited().await, ExitReason::Killed);
    assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "the start was not woken");
    // Polled again, it returns the handle of the dead actor, as any start whose actor dies
    // right after `init`.
    assert!(!start.await.unwrap().is_alive());
}

/// Starts two `Reporter`s back to back in one call, each start polled once on its own before
/// it is awaited: whether each returned at that first poll.
struct Starter;

struct StartTwo(mpsc::UnboundedSender<(Option<Pid>, Pid)>);

impl Actor for Starter {
    type Args = ();
    async fn init((): (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Starter)
    }
}

impl actor_core::Call<StartTwo> for Starter {
    type Reply = (bool, bool);
    async fn handle_call(
        &mut self,
        StartTwo(tell): StartTwo,
        _: &mut Context<Self>,
    ) -> actor_core::CallReply<(bool, bool)> {
        let mut ready = [false; 2];
        for first_poll in &mut ready {
            let mut start = pin!(Reporter::start(tell.clone()).into_future());
            *first_poll = poll_fn(|cx| Poll::Ready(start.as_mut().poll(cx).is_ready())).await;
            if !*first_poll {
                start.await.unwrap();
            }
        }
        actor_core::CallReply::Reply((ready[0], ready[1]))
    }
}

#[tokio::test]
async fn an_actors_start_returns_at_once_and_a_second_one_before_the_first_ran_yields() {
    // A start made by an actor (a supervisor's restart) returns at its first poll, sparing
    // the actor a round of the scheduler. The next start on the thread, made before the
    // first one's actor has had its first poll, yields: a loop of starts in one handler never
    // queues more than two tasks that have not run. A start made outside any actor yields
    // every time (`a_start_dropped_after_its_first_poll_kills_the_started_actor`).
    let starter = Starter::start(()).await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    assert_eq!(starter.call(StartTwo(tx)).await.unwrap(), (true, false));
    // Both actors ran their `init` and are alive.
    for _ in 0..2 {
        let (_, pid) = rx.recv().await.unwrap();
        assert!(pid.is_alive());
    }
}

/// Starts the next of a chain from its `init`, linked, until `depth` is 0; each reports its
/// pid and its parent's.
struct Chain;

impl Actor for Chain {
    type Args = (u32, mpsc::UnboundedSender<(Pid, Vec<actor_core::ActorId>)>);
    async fn init((depth, tell): Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        if depth > 0 {
            Chain::start_link((depth - 1, tell.clone()))
                .await
                .map_err(|e| InitError::Error(ExitReason::msg(e.to_string())))?;
        }
        let _ = tell.send((ctx.pid().clone(), ctx.pid().info().links));
        Ok(Chain)
    }
}

#[tokio::test]
async fn a_chain_of_starts_deeper_than_the_inline_limit_starts_every_actor() {
    const DEPTH: u32 = 40;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let head: ActorRef<Chain> = Chain::start((DEPTH, tx)).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..=DEPTH {
        seen.push(rx.recv().await.unwrap());
    }
    // Reported deepest first; each is alive and linked to the one that started it.
    assert_eq!(seen[DEPTH as usize].0, head.pid());
    for pair in seen.windows(2) {
        let (child, _) = &pair[0];
        let (parent, parent_links) = &pair[1];
        assert!(child.is_alive());
        assert!(parent_links.contains(&child.id()));
        assert!(child.info().links.contains(&parent.id()));
    }
}

/// A registry whose registration panics.
#[derive(PartialEq)]
struct Broken;

impl NameRegistry<&'static str> for Broken {
    fn register_name(&self, _: &&'static str, _: &Pid) -> Result<(), RegisterError> {
        panic!("the registry broke")
    }
    fn unregister_name(&self, _: &&'static str, _: &Pid) {}
    fn whereis_name(&self, _: &&'static str) -> Option<Pid> {
        None
    }
}

/// Counts its `init`s.
struct Counted;

static INITS: AtomicUsize = AtomicUsize::new(0);

impl Actor for Counted {
    type Args = ();
    async fn init((): (), _: &mut Context<Self>) -> Result<Self, InitError> {
        INITS.fetch_add(1, Ordering::SeqCst);
        Ok(Counted)
    }
}

#[tokio::test]
async fn a_registry_panicking_at_start_fails_the_start_with_the_panic_and_runs_no_init() {
    // With and without a start timeout: `init` in the starter's poll, and in the actor's task.
    for timeout in [None, Some(Duration::from_secs(5))] {
        let mut start = Counted::start(()).name(Name::via(Broken, "worker"));
        if let Some(t) = timeout {
            start = start.timeout(t);
        }
        match start.await {
            Err(StartError::Failed(ExitReason::Panic(msg))) => {
                assert!(msg.contains("the registry broke"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(INITS.load(Ordering::SeqCst), 0);
}
