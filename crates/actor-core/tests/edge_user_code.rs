//! Where user code meets the runtime: a panic before a callback's future exists, and the
//! order in which the actor's state is dropped against its exit being observable.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::future::Future;
use std::sync::{Arc, Mutex};

use actor_core::{
    Actor, Call, CallError, CallReply, Cast, Context, ExitReason, Flow, InitError, Pid, StartError,
    Status,
};

// ---- item 3: a panic in the synchronous part of a callback -----------------------------

/// Panics in the plain-function part of each callback, before returning its future: legal
/// with the traits as declared (`fn .. -> impl Future`).
struct Eager {
    terminate_panics: bool,
}

struct Boom;
struct BoomCast;
struct Quit;

impl Actor for Eager {
    type Args = (bool, bool);
    fn init(
        (init_panics, terminate_panics): (bool, bool),
        _: &mut Context<Self>,
    ) -> impl Future<Output = Result<Self, InitError>> + Send {
        if init_panics {
            panic!("init panicked before its future");
        }
        async move { Ok(Eager { terminate_panics }) }
    }
    fn terminate(
        &mut self,
        _: &ExitReason,
        _: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        if self.terminate_panics {
            panic!("terminate panicked before its future");
        }
        async {}
    }
}

impl Call<Boom> for Eager {
    type Reply = ();
    fn handle_call(
        &mut self,
        _: Boom,
        _: &mut Context<Self>,
    ) -> impl Future<Output = CallReply<()>> + Send {
        if !self.terminate_panics {
            panic!("call panicked before its future");
        }
        async { CallReply::Reply(()) }
    }
}

impl Call<Quit> for Eager {
    type Reply = ();
    async fn handle_call(&mut self, _: Quit, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::Stop(ExitReason::Normal)
    }
}

impl Cast<BoomCast> for Eager {
    fn handle_cast(
        &mut self,
        _: BoomCast,
        _: &mut Context<Self>,
    ) -> impl Future<Output = Flow> + Send {
        if !self.terminate_panics {
            panic!("cast panicked before its future");
        }
        async { Flow::Ok }
    }
}

#[tokio::test]
async fn item3_init_panicking_before_its_future_fails_the_start_with_the_panic() {
    // Before the fix the panic escaped every catch: the task died and start saw `Killed`.
    let err = Eager::start((true, false)).await.unwrap_err();
    match err {
        StartError::Failed(reason) => assert_eq!(
            reason,
            ExitReason::Panic("init panicked before its future".into())
        ),
        other => panic!("expected Failed(Panic), got {other:?}"),
    }
}

#[tokio::test]
async fn item3_call_handler_panicking_before_its_future_exits_with_the_panic() {
    let actor = Eager::start((false, false)).await.unwrap();
    let pid = actor.pid();
    match actor.call(Boom).await {
        Err(CallError::Exit(reason)) => assert_eq!(
            reason,
            ExitReason::Panic("call panicked before its future".into())
        ),
        other => panic!("expected Exit(Panic), got {other:?}"),
    }
    assert_eq!(
        pid.exited().await,
        ExitReason::Panic("call panicked before its future".into())
    );
}

#[tokio::test]
async fn item3_cast_handler_panicking_before_its_future_exits_with_the_panic() {
    let actor = Eager::start((false, false)).await.unwrap();
    actor.cast(BoomCast);
    assert_eq!(
        actor.pid().exited().await,
        ExitReason::Panic("cast panicked before its future".into())
    );
}

#[tokio::test]
async fn item3_terminate_panicking_before_its_future_replaces_the_reason() {
    let actor = Eager::start((false, true)).await.unwrap();
    let pid = actor.pid();
    let _ = actor.call(Quit).await;
    assert_eq!(
        pid.exited().await,
        ExitReason::Panic("terminate panicked before its future".into())
    );
}

// ---- item 2: the state is dropped before the exit can be observed ------------------------

/// Records, in its `Drop`, what the rest of the world could see of its actor at that moment.
struct Owner {
    me: Option<Pid>,
    seen: Arc<Mutex<Option<Status>>>,
    drop_panics: bool,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(me) = &self.me {
            *self.seen.lock().unwrap() = Some(me.status());
        }
        if self.drop_panics {
            panic!("state panicked in Drop");
        }
    }
}

struct Crash;

impl Actor for Owner {
    type Args = (Arc<Mutex<Option<Status>>>, bool);
    async fn init(
        (seen, drop_panics): Self::Args,
        ctx: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        Ok(Owner {
            me: Some(ctx.pid().clone()),
            seen,
            drop_panics,
        })
    }
}

impl Cast<Crash> for Owner {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        panic!("crash")
    }
}

fn seen() -> Arc<Mutex<Option<Status>>> {
    Arc::new(Mutex::new(None))
}

#[tokio::test]
async fn item2_state_is_dropped_before_stop_returns_and_before_the_actor_is_dead() {
    // Before the fix the state went after the exit was announced: its `Drop` saw `Dead`.
    let seen = seen();
    let actor = Owner::start((seen.clone(), false)).await.unwrap();
    actor.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(Status::Terminating));
}

#[tokio::test]
async fn item2_a_crashed_actors_state_is_dropped_before_its_exit_is_seen() {
    let seen = seen();
    let actor = Owner::start((seen.clone(), false)).await.unwrap();
    let pid = actor.pid();
    actor.cast(Crash);
    assert_eq!(pid.exited().await, ExitReason::Panic("crash".into()));
    assert_eq!(*seen.lock().unwrap(), Some(Status::Terminating));
}

#[tokio::test]
async fn item2_a_killed_actors_state_is_dropped_before_its_exit_is_seen() {
    let seen = seen();
    let actor = Owner::start((seen.clone(), false)).await.unwrap();
    let pid = actor.pid();
    actor_core::Pid::exit(&pid, ExitReason::Killed);
    assert_eq!(pid.exited().await, ExitReason::Killed);
    let status = seen.lock().unwrap().unwrap();
    assert_ne!(status, Status::Dead);
}

#[tokio::test]
async fn item2_a_panic_in_the_states_drop_is_contained_and_becomes_the_reason() {
    let seen = seen();
    let actor = Owner::start((seen.clone(), true)).await.unwrap();
    let pid = actor.pid();
    let err = actor.stop(ExitReason::Normal).await.unwrap_err();
    assert_eq!(
        err,
        actor_core::StopError::Exit(ExitReason::Panic("state panicked in Drop".into()))
    );
    assert_eq!(
        pid.exited().await,
        ExitReason::Panic("state panicked in Drop".into())
    );
    // The runtime lives on: another actor starts and stops.
    let other = Owner::start((seen, false)).await.unwrap();
    other.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test]
async fn item2_a_killed_actors_panicking_drop_is_contained() {
    let actor = Owner::start((seen(), true)).await.unwrap();
    let pid = actor.pid();
    actor_core::Pid::exit(&pid, ExitReason::Killed);
    assert_eq!(pid.exited().await, ExitReason::Killed);
    let other = Owner::start((seen(), false)).await.unwrap();
    other.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item2_a_restarted_listener_can_bind_the_port_its_predecessor_held() {
    // A state that owns a listening socket: the next start binds the same port as soon as
    // the previous actor's exit is seen, the supervisor's restart pattern.
    struct Listener {
        _socket: std::net::TcpListener,
    }
    impl Actor for Listener {
        type Args = std::net::SocketAddr;
        async fn init(addr: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
            let socket = std::net::TcpListener::bind(addr).map_err(ExitReason::error)?;
            Ok(Listener { _socket: socket })
        }
    }
    impl Cast<Crash> for Listener {
        async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
            panic!("crash")
        }
    }
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for _ in 0..50 {
        let actor = Listener::start(addr).await.unwrap();
        let pid = actor.pid();
        actor.cast(Crash);
        pid.exited().await;
    }
}

// ---- item 6: a start future dropped before `init` is acknowledged ------------------------

/// Tells the test its pid, then takes an hour to initialise.
struct SlowInit;

impl Actor for SlowInit {
    type Args = tokio::sync::oneshot::Sender<Pid>;
    async fn init(tell: Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        let _ = tell.send(ctx.pid().clone());
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        Ok(SlowInit)
    }
}

#[tokio::test(start_paused = true)]
async fn item6_a_start_dropped_by_a_timeout_kills_the_child() {
    // Before the fix the child went on running, reachable by nobody.
    let (tell, told) = tokio::sync::oneshot::channel();
    let start = tokio::time::timeout(std::time::Duration::from_millis(5), SlowInit::start(tell));
    assert!(start.await.is_err());
    let child = told.await.unwrap();
    // Bounded (in paused time), so the old behaviour fails instead of hanging.
    let exited = tokio::time::timeout(std::time::Duration::from_secs(10), child.exited()).await;
    assert_eq!(
        exited.expect("the abandoned child still runs"),
        ExitReason::Killed
    );
    assert!(!child.is_alive());
}

/// Starts a `SlowInit` linked to itself, then drops that start; reports the child's exit.
struct Starter;
struct AbandonChild(tokio::sync::oneshot::Sender<Pid>);

impl Actor for Starter {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Starter)
    }
}

impl Call<AbandonChild> for Starter {
    type Reply = ();
    async fn handle_call(
        &mut self,
        AbandonChild(tell): AbandonChild,
        _: &mut Context<Self>,
    ) -> CallReply<()> {
        let start = SlowInit::start_link(tell);
        let _ = tokio::time::timeout(std::time::Duration::from_millis(5), start).await;
        CallReply::Reply(())
    }
}

#[tokio::test(start_paused = true)]
async fn item6_a_linked_start_dropped_kills_the_child_and_spares_the_parent() {
    let starter = Starter::start(()).await.unwrap();
    let (tell, told) = tokio::sync::oneshot::channel();
    starter
        .call_timeout(AbandonChild(tell), std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let child = told.await.unwrap();
    // Bounded (in paused time), so the old behaviour fails instead of hanging.
    let exited = tokio::time::timeout(std::time::Duration::from_secs(10), child.exited()).await;
    assert_eq!(
        exited.expect("the abandoned child still runs"),
        ExitReason::Killed
    );
    // Unlinked before the kill: the parent heard nothing and lives.
    assert!(starter.is_alive());
    assert!(starter.info().links.is_empty());
}
