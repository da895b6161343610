//! `self_pid()`: the running actor's own pid, in every callback, in tasks that are not
//! actors (none), and while a killed actor's state is dropped.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

use actor_core::{Actor, Call, CallReply, Context, ExitReason, InitError, Pid, self_pid};
use tokio::sync::mpsc;

/// Reports `self_pid()` from `init`, a call, `terminate` and its own `Drop`.
struct Mirror {
    seen: mpsc::UnboundedSender<(&'static str, Option<Pid>)>,
}

struct Who;
struct Spawn;

impl Actor for Mirror {
    type Args = mpsc::UnboundedSender<(&'static str, Option<Pid>)>;
    async fn init(seen: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        let _ = seen.send(("init", self_pid()));
        Ok(Mirror { seen })
    }

    async fn terminate(&mut self, _: &ExitReason, _: &mut Context<Self>) {
        let _ = self.seen.send(("terminate", self_pid()));
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.seen.send(("drop", self_pid()));
    }
}

impl Call<Who> for Mirror {
    type Reply = Option<Pid>;
    async fn handle_call(&mut self, _: Who, _: &mut Context<Self>) -> CallReply<Option<Pid>> {
        CallReply::Reply(self_pid())
    }
}

impl Call<Spawn> for Mirror {
    type Reply = Option<Pid>;
    async fn handle_call(&mut self, _: Spawn, _: &mut Context<Self>) -> CallReply<Option<Pid>> {
        // A plain task spawned by an actor is not that actor.
        CallReply::Reply(tokio::spawn(async { self_pid() }).await.unwrap())
    }
}

#[tokio::test]
async fn an_actor_sees_itself_in_every_callback_and_a_plain_task_sees_none() {
    assert!(self_pid().is_none());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let m = Mirror::start(tx).await.unwrap();
    assert_eq!(rx.recv().await.unwrap(), ("init", Some(m.pid())));
    assert_eq!(m.call(Who).await.unwrap(), Some(m.pid()));
    assert_eq!(m.call(Spawn).await.unwrap(), None);
    m.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(rx.recv().await.unwrap(), ("terminate", Some(m.pid())));
    assert_eq!(rx.recv().await.unwrap(), ("drop", Some(m.pid())));
    assert!(self_pid().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_killed_actors_state_is_dropped_as_that_actor() {
    // The kill aborts the task: no terminate, but the state's `Drop` still runs as the actor,
    // as it did when the pid was a tokio task-local.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let m = Mirror::start(tx).await.unwrap();
    assert_eq!(rx.recv().await.unwrap(), ("init", Some(m.pid())));
    m.pid().kill();
    assert_eq!(m.pid().exited().await, ExitReason::Killed);
    let (what, who) = tokio::time::timeout(Duration::from_secs(1), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(what, "drop");
    assert_eq!(who.map(|p| p.id()), Some(m.pid().id()));
}
