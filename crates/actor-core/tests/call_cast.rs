//! Calls and casts: ordering, typed replies, deferred replies, stops, failures (R-GS-4..10).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::{Actor, Call, CallError, CallReply, Cast, Context, ExitReason, Flow, InitError};
use support::*;
use tokio::sync::{mpsc, oneshot};

#[tokio::test]
async fn casts_and_calls_from_one_sender_are_handled_in_send_order() {
    let (s, mut ev) = spy(false).await;
    for i in 0..1000 {
        s.cast(Note(i));
        if i % 100 == 0 {
            s.send_info(Note(i));
        }
    }
    // R-SIG-5: a cast followed by a call from the same client is handled cast-first.
    assert_eq!(s.call(Ping).await.unwrap(), 42);
    for i in 0..1000 {
        assert_eq!(next(&mut ev).await, Event::Cast(i));
        if i % 100 == 0 {
            assert_eq!(next(&mut ev).await, Event::Info(i));
        }
    }
    assert_quiet(&mut ev);
}

#[tokio::test]
async fn deferred_reply_from_state_answers_the_waiting_callers() {
    let (s, _ev) = spy(false).await;
    let c1 = tokio::spawn({
        let s = s.clone();
        async move { s.call(Hold).await }
    });
    let c2 = tokio::spawn({
        let s = s.clone();
        async move { s.call(Hold).await }
    });
    // The actor keeps serving while the replies are pending.
    while s.call(HeldCount).await.unwrap() < 2 {
        assert!(
            !c1.is_finished() && !c2.is_finished(),
            "a held call returned before Release"
        );
        tokio::task::yield_now().await;
    }
    s.cast(Release(7));
    assert_eq!(c1.await.unwrap().unwrap(), 7);
    assert_eq!(c2.await.unwrap().unwrap(), 7);
}

struct Deferrer;
struct Double(u64);

impl Actor for Deferrer {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Deferrer)
    }
}

impl Call<Double> for Deferrer {
    type Reply = u64;
    async fn handle_call(&mut self, Double(n): Double, ctx: &mut Context<Self>) -> CallReply<u64> {
        let reply = ctx.reply_to::<Double>().expect("inside handle_call");
        assert!(
            ctx.reply_to::<Double>().is_none(),
            "the handle can be taken once"
        );
        tokio::spawn(async move { reply.send(n * 2) });
        CallReply::NoReply
    }
}

/// Replies through the handle it takes, and also returns a reply, which goes nowhere.
struct Twice;
struct Answer(Option<oneshot::Sender<()>>);
struct Ask(oneshot::Sender<()>, oneshot::Sender<()>);

impl Drop for Answer {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

impl Actor for Twice {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Twice)
    }
}

impl Call<Ask> for Twice {
    type Reply = Answer;
    async fn handle_call(
        &mut self,
        Ask(sent, spare): Ask,
        ctx: &mut Context<Self>,
    ) -> CallReply<Answer> {
        ctx.reply_to::<Ask>()
            .expect("inside handle_call")
            .send(Answer(Some(sent)));
        CallReply::Reply(Answer(Some(spare)))
    }
}

#[tokio::test(start_paused = true)]
async fn a_reply_returned_after_the_handle_was_taken_is_dropped_at_once() {
    // The caller gets what was sent through the handle; the reply the handler also returned
    // has nobody to go to and is dropped when the handler ends, not kept until the (idle)
    // actor's next message.
    let t = Twice::start(()).await.unwrap();
    let (sent_tx, _sent_rx) = oneshot::channel();
    let (spare_tx, spare_rx) = oneshot::channel();
    let answer = t.call(Ask(sent_tx, spare_tx)).await.unwrap();
    assert!(
        answer.0.is_some(),
        "the caller got the reply sent through the handle"
    );
    tokio::time::timeout(Duration::from_secs(1), spare_rx)
        .await
        .expect("the returned reply was kept past its handler")
        .unwrap();
}

/// Asks for the reply handle of a call it is not handling first.
struct Picky;
struct Label;
struct Other;

impl Actor for Picky {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Picky)
    }
}

impl Call<Label> for Picky {
    type Reply = String;
    async fn handle_call(&mut self, _: Label, ctx: &mut Context<Self>) -> CallReply<String> {
        // A handle for another reply type is refused and leaves this call's handle in place.
        let wrong = ctx.reply_to::<Other>().is_none();
        match ctx.reply_to::<Label>() {
            Some(reply) => reply.send(format!("refused the wrong handle: {wrong}")),
            None => return CallReply::Stop(ExitReason::shutdown_with("handle lost")),
        }
        // The handle was taken: this reply goes nowhere, the deferred one above counts.
        CallReply::Reply("too late".to_owned())
    }
}

impl Call<Other> for Picky {
    type Reply = u8;
    async fn handle_call(&mut self, _: Other, _: &mut Context<Self>) -> CallReply<u8> {
        CallReply::Reply(1)
    }
}

#[tokio::test]
async fn reply_to_for_another_reply_type_is_none_and_keeps_the_handle() {
    let p = Picky::start(()).await.unwrap();
    assert_eq!(
        p.call(Label).await.unwrap(),
        "refused the wrong handle: true"
    );
    // The actor keeps serving, with every call answered by its own handle.
    assert_eq!(p.call(Other).await.unwrap(), 1);
    assert_eq!(
        p.call(Label).await.unwrap(),
        "refused the wrong handle: true"
    );
}

#[tokio::test]
async fn deferred_reply_from_another_task() {
    let d = Deferrer::start(()).await.unwrap();
    assert_eq!(d.call(Double(21)).await.unwrap(), 42);
    assert_eq!(d.call(Double(5)).await.unwrap(), 10);
}

struct Closing {
    events: mpsc::UnboundedSender<&'static str>,
}
struct Close;
struct Abort;

impl Actor for Closing {
    type Args = mpsc::UnboundedSender<&'static str>;
    async fn init(events: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Closing { events })
    }
    async fn terminate(&mut self, _: &ExitReason, _: &mut Context<Self>) {
        let _ = self.events.send("terminate");
    }
}

impl Call<Close> for Closing {
    type Reply = &'static str;
    async fn handle_call(&mut self, _: Close, _: &mut Context<Self>) -> CallReply<&'static str> {
        CallReply::ReplyAndStop("bye", ExitReason::Normal)
    }
}

impl Call<Abort> for Closing {
    type Reply = ();
    async fn handle_call(&mut self, _: Abort, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::Stop(ExitReason::shutdown_with("aborted"))
    }
}

#[tokio::test]
async fn stop_with_reply_runs_terminate_before_the_reply() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let c = Closing::start(tx).await.unwrap();
    assert_eq!(c.call(Close).await.unwrap(), "bye");
    // R-GS-7: terminate ran first, so its event is already there when the reply arrives.
    assert_eq!(rx.try_recv(), Ok("terminate"));
    assert_eq!(c.pid().exited().await, ExitReason::Normal);
}

#[tokio::test]
async fn stop_without_reply_gives_the_caller_the_exit_reason() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let c = Closing::start(tx).await.unwrap();
    match c.call(Abort).await {
        Err(CallError::Exit(r)) => assert_eq!(r, ExitReason::shutdown_with("aborted")),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(rx.try_recv(), Ok("terminate"));
}

#[tokio::test]
async fn call_to_a_dead_actor_is_noproc_and_hands_the_message_back() {
    let (s, _ev) = spy(false).await;
    s.pid().kill();
    s.pid().exited().await;
    match s.call(LinkTo(s.pid())).await {
        Err(CallError::NoProc(LinkTo(p))) => assert_eq!(p, s.pid()),
        other => panic!("unexpected {other:?}"),
    }
}

/// Its state's drop tells the test it has begun, then waits for the test: it runs after
/// `terminate` and before the exit is recorded, which holds that window open.
struct Lingering {
    dropping: std::sync::mpsc::Sender<()>,
    release: std::sync::mpsc::Receiver<()>,
}
#[derive(Debug)]
struct Knock;

impl Actor for Lingering {
    type Args = (std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>);
    async fn init(
        (dropping, release): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        Ok(Lingering { dropping, release })
    }
}

impl Call<Knock> for Lingering {
    type Reply = ();
    async fn handle_call(&mut self, _: Knock, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::Reply(())
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let _ = self.dropping.send(());
        // Bounded, so a regression fails the test instead of hanging it.
        let _ = self.release.recv_timeout(Duration::from_secs(5));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_while_the_state_drops_gets_the_exit_and_one_after_it_noproc() {
    let (dropping_tx, dropping) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel();
    let a = Lingering::start((dropping_tx, release_rx)).await.unwrap();
    let stopper = {
        let a = a.clone();
        tokio::spawn(async move { a.stop(ExitReason::Normal).await })
    };
    // The state is being dropped: the exit is not recorded yet, so a call is still queued,
    // and is answered with the exit once it is.
    tokio::task::spawn_blocking(move || dropping.recv_timeout(Duration::from_secs(5)))
        .await
        .unwrap()
        .unwrap();
    assert!(a.is_alive());
    let caller = {
        let a = a.clone();
        tokio::spawn(async move { a.call(Knock).await })
    };
    // The call is queued (or already refused) before the state is let go.
    while a.mailbox_len() == 0 && !caller.is_finished() {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    match caller.await.unwrap() {
        Err(CallError::Exit(ExitReason::Normal)) => {}
        other => panic!("a call queued while the state drops must get the exit, got {other:?}"),
    }
    stopper.await.unwrap().unwrap();
    // The exit is complete: a call is refused at once.
    match a.call(Knock).await {
        Err(CallError::NoProc(Knock)) => {}
        other => panic!("a call after the exit must be NoProc, got {other:?}"),
    }
    assert_eq!(a.mailbox_len(), 0);
}

struct Slow {
    handled: u32,
}
struct Sleep(Duration);
struct Handled;

impl Actor for Slow {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Slow { handled: 0 })
    }
}

impl Call<Sleep> for Slow {
    type Reply = u32;
    async fn handle_call(&mut self, Sleep(d): Sleep, _: &mut Context<Self>) -> CallReply<u32> {
        tokio::time::sleep(d).await;
        self.handled += 1;
        CallReply::Reply(1000 + self.handled)
    }
}

impl Call<Handled> for Slow {
    type Reply = u32;
    async fn handle_call(&mut self, _: Handled, _: &mut Context<Self>) -> CallReply<u32> {
        CallReply::Reply(self.handled)
    }
}

#[tokio::test(start_paused = true)]
async fn call_timeout_discards_the_late_reply_and_the_request_still_runs() {
    let s = Slow::start(()).await.unwrap();
    let started = tokio::time::Instant::now();
    let err = s
        .call_timeout(Sleep(Duration::from_secs(10)), Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }));
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    // R-GS-6: the server still handled it; the next reply is this call's own, not the late one.
    assert_eq!(
        s.call_timeout(Handled, Duration::from_secs(20))
            .await
            .unwrap(),
        1
    );
    assert_eq!(started.elapsed(), Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn a_reused_call_timer_fires_at_each_calls_own_deadline() {
    // The deadline timer of a finished call is kept for the next call on the thread and
    // moved: later (a longer timeout), earlier (a shorter one), and after it fired.
    let s = Slow::start(()).await.unwrap();
    for _ in 0..3 {
        assert_eq!(s.call(Handled).await.unwrap(), 0);
    }
    for timeout in [
        Duration::from_millis(50),
        Duration::from_secs(7),
        Duration::from_millis(20),
        Duration::from_millis(20),
    ] {
        let started = tokio::time::Instant::now();
        let err = s
            .call_timeout(Sleep(Duration::from_secs(60)), timeout)
            .await
            .unwrap_err();
        assert!(matches!(err, CallError::Timeout { .. }));
        assert_eq!(started.elapsed(), timeout);
        // The next call queues behind the 60 s request, which still runs (R-GS-6), and is
        // answered when it ends, before its own (reused) deadline.
        let started = tokio::time::Instant::now();
        assert!(
            s.call_timeout(Handled, Duration::from_secs(120))
                .await
                .unwrap()
                > 0
        );
        assert_eq!(started.elapsed(), Duration::from_secs(60) - timeout);
    }
}

#[tokio::test(start_paused = true)]
async fn a_kept_call_timer_that_fires_early_does_not_end_a_later_call() {
    // The first call leaves its timer armed for t = 5 s. A call at t = 3 s with a 5 s timeout
    // keeps that timer (it fires no later than t = 8 s); when it fires at t = 5 s the call must
    // not time out, only at its own deadline.
    let s = Slow::start(()).await.unwrap();
    assert_eq!(s.call(Handled).await.unwrap(), 0);
    tokio::time::advance(Duration::from_secs(3)).await;
    let started = tokio::time::Instant::now();
    let err = s
        .call_timeout(Sleep(Duration::from_secs(60)), Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }));
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_kept_call_timer_wakes_the_task_now_waiting_on_it() {
    // The first call leaves its timer armed, holding this task's waker. A call from another
    // task on the same thread takes that timer over: it must register its own waker, or it
    // would never be woken at its deadline (the outer timeout below would end the test).
    let s = Slow::start(()).await.unwrap();
    assert_eq!(s.call(Handled).await.unwrap(), 0);
    let other = s.clone();
    let waited = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let err = other
            .call_timeout(Sleep(Duration::from_secs(60)), Duration::from_secs(5))
            .await
            .unwrap_err();
        (err, started.elapsed())
    });
    let (err, elapsed) = tokio::time::timeout(Duration::from_secs(30), waited)
        .await
        .expect("the second task's call was never woken at its deadline")
        .unwrap();
    assert!(matches!(err, CallError::Timeout { .. }));
    assert_eq!(elapsed, Duration::from_secs(5));
}

#[test]
fn a_call_timer_is_never_reused_across_runtimes() {
    // Runtimes one after another on this thread: each call uses a timer of its own runtime
    // (one kept from a dropped runtime would panic or never fire).
    for _ in 0..3 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let s = Slow::start(()).await.unwrap();
            assert_eq!(s.call(Handled).await.unwrap(), 0);
            let started = tokio::time::Instant::now();
            let err = s
                .call_timeout(Sleep(Duration::from_secs(9)), Duration::from_secs(2))
                .await
                .unwrap_err();
            assert!(matches!(err, CallError::Timeout { .. }));
            assert_eq!(started.elapsed(), Duration::from_secs(2));
        });
    }
}

#[tokio::test(start_paused = true)]
async fn default_call_timeout_is_five_seconds() {
    let s = Slow::start(()).await.unwrap();
    let started = tokio::time::Instant::now();
    let err = s.call(Sleep(Duration::from_secs(60))).await.unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }));
    assert_eq!(started.elapsed(), actor_core::DEFAULT_CALL_TIMEOUT);
    assert_eq!(actor_core::DEFAULT_CALL_TIMEOUT, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_deferred_reply_leaves_the_caller_waiting_until_its_timeout() {
    struct Forgetful;
    struct Ask;
    impl Actor for Forgetful {
        type Args = ();
        async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
            Ok(Forgetful)
        }
    }
    impl Call<Ask> for Forgetful {
        type Reply = ();
        async fn handle_call(&mut self, _: Ask, ctx: &mut Context<Self>) -> CallReply<()> {
            drop(ctx.reply_to::<Ask>());
            CallReply::NoReply
        }
    }
    let f = Forgetful::start(()).await.unwrap();
    let started = tokio::time::Instant::now();
    let err = f
        .call_timeout(Ask, Duration::from_secs(3))
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }));
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert!(f.is_alive());
}

#[tokio::test]
async fn a_caller_waiting_on_a_deferred_reply_gets_the_exit_reason_when_the_actor_dies() {
    let (s, _ev) = spy(false).await;
    let waiting = tokio::spawn({
        let s = s.clone();
        async move { s.call_timeout(Hold, Duration::MAX).await }
    });
    // Once Ping is answered the Hold is in the state.
    s.call(Ping).await.unwrap();
    s.pid().kill();
    match waiting.await.unwrap() {
        Err(CallError::Exit(r)) => assert_eq!(r, ExitReason::Killed),
        other => panic!("unexpected {other:?}"),
    }
}

struct SelfCaller;
struct CallMe;
struct Inner;

impl Actor for SelfCaller {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(SelfCaller)
    }
}

impl Call<Inner> for SelfCaller {
    type Reply = ();
    async fn handle_call(&mut self, _: Inner, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::Reply(())
    }
}

impl Call<CallMe> for SelfCaller {
    type Reply = (bool, bool);
    async fn handle_call(&mut self, _: CallMe, ctx: &mut Context<Self>) -> CallReply<(bool, bool)> {
        let me = ctx.myself().clone();
        let call = matches!(me.call(Inner).await, Err(CallError::CallingSelf(Inner)));
        let stop = me.stop(ExitReason::Normal).await == Err(actor_core::StopError::CallingSelf);
        CallReply::Reply((call, stop))
    }
}

#[tokio::test(start_paused = true)]
async fn calling_or_stopping_oneself_is_an_error_not_a_deadlock() {
    let s = SelfCaller::start(()).await.unwrap();
    let started = tokio::time::Instant::now();
    assert_eq!(s.call(CallMe).await.unwrap(), (true, true));
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(s.is_alive(), "R-GS-16: the server keeps running");
}

#[tokio::test]
async fn cast_to_a_dead_actor_is_silent() {
    let (s, _ev) = spy(false).await;
    s.pid().kill();
    s.pid().exited().await;
    s.cast(Note(1));
    s.send_info(Note(1));
    assert_eq!(s.mailbox_len(), 0);
}

#[tokio::test]
async fn a_stop_flow_from_a_cast_runs_terminate() {
    let (s, mut ev) = spy(false).await;
    s.cast(CastStop(ExitReason::Shutdown));
    assert_eq!(next(&mut ev).await, Event::Terminate(ExitReason::Shutdown));
    assert_eq!(s.pid().exited().await, ExitReason::Shutdown);
}

struct Quitter;
struct Quit;
impl Actor for Quitter {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Quitter)
    }
}
impl Cast<Quit> for Quitter {
    async fn handle_cast(&mut self, _: Quit, ctx: &mut Context<Self>) -> Flow {
        ctx.stop(ExitReason::shutdown_with("asked"));
        Flow::Ok
    }
}

#[tokio::test]
async fn context_stop_stops_after_the_callback() {
    let q = Quitter::start(()).await.unwrap();
    q.cast(Quit);
    assert_eq!(q.pid().exited().await, ExitReason::shutdown_with("asked"));
}
