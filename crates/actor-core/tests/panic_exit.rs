//! A panic in any callback becomes an abnormal exit reason (R-GS-9, R-GS-18); the runtime
//! and the callers survive.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::{
    Actor, Call, CallError, CallReply, Cast, Context, Continue, Down, Exit, ExitReason, Flow, Info,
    InitError,
};
use tokio::sync::mpsc;

/// Where `Fragile` panics.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Spot {
    Call,
    Cast,
    Info,
    Continue,
    Down,
    Exit,
    Timeout,
    Terminate,
}

struct Fragile {
    spot: Spot,
    terminated: mpsc::UnboundedSender<ExitReason>,
}

struct Go;

impl Actor for Fragile {
    type Args = (Spot, mpsc::UnboundedSender<ExitReason>);
    async fn init(
        (spot, terminated): Self::Args,
        ctx: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        Ok(Fragile { spot, terminated })
    }
    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        let _ = self.terminated.send(reason.clone());
        if self.spot == Spot::Terminate {
            panic!("terminate exploded");
        }
    }
    async fn handle_down(&mut self, _: Down, _: &mut Context<Self>) -> Flow {
        panic!("down exploded")
    }
    async fn handle_exit(&mut self, _: Exit, _: &mut Context<Self>) -> Flow {
        panic!("exit exploded")
    }
    async fn handle_timeout(&mut self, _: &mut Context<Self>) -> Flow {
        panic!("timeout exploded")
    }
}

impl Call<Go> for Fragile {
    type Reply = ();
    async fn handle_call(&mut self, _: Go, ctx: &mut Context<Self>) -> CallReply<()> {
        match self.spot {
            Spot::Call => panic!("call exploded"),
            Spot::Cast => ctx.myself().cast(Go),
            Spot::Info => ctx.myself().send_info(Go),
            Spot::Continue => ctx.continue_with(Go),
            Spot::Down => {
                let other = Fragile::start((Spot::Cast, mpsc::unbounded_channel().0))
                    .await
                    .expect("a second Fragile starts");
                ctx.monitor(&other.pid());
                other.pid().kill();
            }
            Spot::Exit => {
                let me = ctx.pid().clone();
                me.exit(ExitReason::Shutdown);
            }
            Spot::Timeout => ctx.set_timeout(Duration::from_millis(1)),
            Spot::Terminate => return CallReply::Stop(ExitReason::Normal),
        }
        CallReply::Reply(())
    }
}

impl Cast<Go> for Fragile {
    async fn handle_cast(&mut self, _: Go, _: &mut Context<Self>) -> Flow {
        panic!("cast exploded")
    }
}

impl Info<Go> for Fragile {
    async fn handle_info(&mut self, _: Go, _: &mut Context<Self>) -> Flow {
        panic!("info exploded")
    }
}

impl Continue<Go> for Fragile {
    async fn handle_continue(&mut self, _: Go, _: &mut Context<Self>) -> Flow {
        panic!("continue exploded")
    }
}

fn panic_reason(msg: &str) -> ExitReason {
    ExitReason::Panic(msg.into())
}

/// Counts the polls of the future it wraps.
struct Polls<F> {
    inner: std::pin::Pin<Box<F>>,
    count: u32,
}

impl<F: std::future::Future> std::future::Future for Polls<F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.count += 1;
        self.inner.as_mut().poll(cx)
    }
}

/// Panics in its call handler; its `terminate` yields once, which lets a woken caller run
/// before the exit is complete.
struct SlowEnd;

impl Actor for SlowEnd {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(SlowEnd)
    }
    async fn terminate(&mut self, _: &ExitReason, _: &mut Context<Self>) {
        tokio::task::yield_now().await;
    }
}

impl Call<Go> for SlowEnd {
    type Reply = ();
    async fn handle_call(&mut self, _: Go, _: &mut Context<Self>) -> CallReply<()> {
        panic!("call exploded")
    }
}

#[tokio::test]
async fn the_caller_of_a_crashing_call_is_woken_once_with_the_exit_complete() {
    // The reply sender of the call that crashed the actor is dropped only once the exit is
    // complete: the caller is polled twice (sent, then answered), not woken in between by a
    // reply slot closed before `terminate` (which yields here) and the exit.
    let s = SlowEnd::start(()).await.unwrap();
    let mut call = Polls {
        inner: Box::pin(s.call(Go)),
        count: 0,
    };
    let result = (&mut call).await;
    assert!(matches!(result, Err(CallError::Exit(ref r)) if *r == panic_reason("call exploded")));
    assert_eq!(call.count, 2, "polls of the crashing call");
    assert!(!s.pid().is_alive());
}

/// A waker that notes, each time it is woken, where the actor it watches is in its life.
struct StatusAtWake {
    pid: actor_core::Pid,
    seen: std::sync::Mutex<Vec<actor_core::Status>>,
}

impl std::task::Wake for StatusAtWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.seen.lock().unwrap().push(self.pid.status());
    }
}

#[tokio::test]
async fn the_caller_of_a_crashing_call_is_woken_only_when_the_actor_is_dead() {
    // The actor's exit runs in one poll of its task, so only the waker can tell when, within
    // it, the caller was woken: the sender of the crashing call must be let go after the
    // exit is complete (status `Dead`), not while `terminate` is ending (`Terminating`).
    let (tx, _terminated) = mpsc::unbounded_channel();
    let b = Fragile::start((Spot::Call, tx)).await.unwrap();
    let recorder = std::sync::Arc::new(StatusAtWake {
        pid: b.pid(),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    let waker = std::task::Waker::from(recorder.clone());
    let mut call = Box::pin(b.call(Go));
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(call.as_mut().poll(&mut cx).is_pending(), "the call is sent");
    assert_eq!(b.pid().exited().await, panic_reason("call exploded"));
    assert_eq!(
        *recorder.seen.lock().unwrap(),
        [actor_core::Status::Dead],
        "woken once, with the exit complete"
    );
    match call.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Err(CallError::Exit(r))) => {
            assert_eq!(r, panic_reason("call exploded"))
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Its call handler waits once, then panics: the panic comes from a later poll.
struct Late;
struct Later;

impl Actor for Late {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Late)
    }
}

impl Call<Later> for Late {
    type Reply = u32;
    async fn handle_call(&mut self, _: Later, _: &mut Context<Self>) -> CallReply<u32> {
        tokio::task::yield_now().await;
        panic!("exploded after a wait")
    }
}

impl Call<Go> for Late {
    type Reply = u32;
    async fn handle_call(&mut self, _: Go, _: &mut Context<Self>) -> CallReply<u32> {
        CallReply::Reply(7)
    }
}

#[tokio::test]
async fn a_call_handler_that_panics_after_waiting_stops_the_actor_with_the_panic() {
    let l = Late::start(()).await.unwrap();
    assert_eq!(l.call(Go).await.unwrap(), 7);
    match l.call(Later).await {
        Err(CallError::Exit(r)) => assert_eq!(r, panic_reason("exploded after a wait")),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        l.pid().exited().await,
        panic_reason("exploded after a wait")
    );
    assert!(matches!(l.call(Go).await, Err(CallError::NoProc(Go))));
}

#[tokio::test]
async fn a_panic_in_handle_call_runs_terminate_and_the_caller_gets_the_reason() {
    let (tx, mut terminated) = mpsc::unbounded_channel();
    let f = Fragile::start((Spot::Call, tx)).await.unwrap();
    match f.call(Go).await {
        Err(CallError::Exit(r)) => assert_eq!(r, panic_reason("call exploded")),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(terminated.recv().await, Some(panic_reason("call exploded")));
    assert_eq!(f.pid().exited().await, panic_reason("call exploded"));
}

#[tokio::test]
async fn a_panic_in_any_other_callback_runs_terminate_and_exits_with_the_panic() {
    for (spot, msg) in [
        (Spot::Cast, "cast exploded"),
        (Spot::Info, "info exploded"),
        (Spot::Continue, "continue exploded"),
        (Spot::Down, "down exploded"),
        (Spot::Exit, "exit exploded"),
        (Spot::Timeout, "timeout exploded"),
    ] {
        let (tx, mut terminated) = mpsc::unbounded_channel();
        let f = Fragile::start((spot, tx)).await.unwrap();
        // The call itself succeeds (or the actor dies right after its reply).
        let _ = f.call(Go).await;
        let reason = f.pid().exited().await;
        assert_eq!(reason, panic_reason(msg), "{spot:?}");
        assert!(!reason.is_benign());
        assert_eq!(terminated.recv().await, Some(panic_reason(msg)), "{spot:?}");
    }
}

#[tokio::test]
async fn a_panic_in_terminate_replaces_the_exit_reason() {
    let (tx, mut terminated) = mpsc::unbounded_channel();
    let f = Fragile::start((Spot::Terminate, tx)).await.unwrap();
    let _ = f.call(Go).await;
    assert_eq!(terminated.recv().await, Some(ExitReason::Normal));
    assert_eq!(f.pid().exited().await, panic_reason("terminate exploded"));
}

#[tokio::test]
async fn a_stop_whose_terminate_panics_reports_the_other_reason() {
    let (tx, _terminated) = mpsc::unbounded_channel();
    let f = Fragile::start((Spot::Terminate, tx)).await.unwrap();
    assert_eq!(
        f.stop(ExitReason::Normal).await,
        Err(actor_core::StopError::Exit(panic_reason(
            "terminate exploded"
        )))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_never_take_down_the_runtime() {
    for _ in 0..50 {
        let (tx, _t) = mpsc::unbounded_channel();
        let f = Fragile::start((Spot::Call, tx)).await.unwrap();
        assert!(f.call(Go).await.is_err());
    }
    // The runtime still runs new actors.
    let (tx, _t) = mpsc::unbounded_channel();
    let f = Fragile::start((Spot::Terminate, tx)).await.unwrap();
    assert!(f.is_alive());
}
