//! Item 5 of the edge hardening: the deadline timer of a call. No timer outlives its call
//! under a paused clock, none is used across runtimes, and a runtime without a time driver
//! is a clear panic (documented on `call`).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod support;

use std::time::Duration;

use actor_core::Actor;
use actor_core::CallError;
use support::{Hold, Ping, Spy, spy, spy_args};

#[tokio::test(start_paused = true)]
async fn item5a_a_finished_call_leaves_no_timer_for_the_paused_clock_to_advance_to() {
    // On the old code the call's 5 s timer stayed armed in a per-thread cache, and the
    // paused clock jumped to it as soon as the runtime idled.
    let (echo, _events) = spy(false).await;
    let started = tokio::time::Instant::now();
    assert_eq!(echo.call(Ping).await.unwrap(), 42);
    // Wait on something outside the runtime: it idles meanwhile, and a paused clock
    // advances to the next armed timer, if there is one.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let outside = std::thread::spawn(move || {
        // A plain OS thread, outside the runtime: the real time it takes is what lets the
        // runtime idle; the assertion below does not depend on how long that is.
        #[allow(
            clippy::disallowed_methods,
            reason = "a thread of its own, not an executor's"
        )]
        std::thread::sleep(Duration::from_millis(20));
        let _ = tx.send(());
    });
    rx.await.unwrap();
    outside.join().unwrap();
    assert_eq!(started.elapsed(), Duration::ZERO);
}

fn multi_thread() -> tokio::runtime::Runtime {
    multi_thread_with(2)
}

fn multi_thread_with(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// Calls from the runtime's own thread (the `block_on` future) and from tasks, timed and
/// timing out, as a service does.
async fn calls() {
    let (echo, _events) = spy(false).await;
    for _ in 0..100 {
        assert_eq!(echo.call(Ping).await.unwrap(), 42);
    }
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let echo = echo.clone();
            tokio::spawn(async move {
                for _ in 0..100 {
                    assert_eq!(echo.call(Ping).await.unwrap(), 42);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let err = echo
        .call_timeout(Hold, Duration::from_millis(20))
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }));
}

#[test]
fn item5b_calls_time_out_on_each_of_many_runtimes_made_and_dropped_on_one_thread() {
    // Every runtime's calls, timeouts included, are served by timers of that runtime: a
    // timer kept from a dropped one would never fire, and the timeout would hang.
    for _ in 0..20 {
        let rt = multi_thread();
        rt.block_on(calls());
        drop(rt);
        let paused = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        paused.block_on(async {
            let (echo, _events) = spy(false).await;
            let started = tokio::time::Instant::now();
            let err = echo
                .call_timeout(Hold, Duration::from_secs(3))
                .await
                .unwrap_err();
            assert!(matches!(err, CallError::Timeout { .. }));
            assert_eq!(started.elapsed(), Duration::from_secs(3));
        });
    }
}

#[test]
fn a_timed_call_on_a_multi_thread_runtime_never_times_out_early() {
    // There the deadline is read from the monotonic clock rather than tokio's: every timeout
    // is at least as long as asked, after calls back to back have kept a timer armed for an
    // earlier deadline.
    let rt = multi_thread();
    rt.block_on(async {
        let (echo, _events) = spy(false).await;
        for ms in [1, 3, 7, 15, 30] {
            for _ in 0..50 {
                assert_eq!(echo.call(Ping).await.unwrap(), 42);
            }
            let timeout = Duration::from_millis(ms);
            times_out_no_earlier(timeout, echo.call_timeout(Hold, timeout)).await;
        }
    });
}

/// Runs `body` with a started spy on a runtime built without a time driver.
fn without_time<F: std::future::Future<Output = ()>>(
    body: impl FnOnce(actor_core::ActorRef<Spy>) -> F,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        // Started without `spy`, which waits for its first event with a timeout.
        let (args, _events) = spy_args(false);
        let echo = Spy::start(args).await.unwrap();
        body(echo).await;
    });
}

#[test]
#[should_panic(expected = "timers are disabled")]
fn item5d_a_timed_call_on_a_runtime_without_time_panics_with_tokios_message() {
    without_time(|echo| async move {
        let _ = echo.call(Ping).await;
    });
}

#[test]
fn item5d_an_untimed_call_needs_no_time_driver() {
    without_time(|echo| async move {
        assert_eq!(echo.call_timeout(Ping, Duration::MAX).await.unwrap(), 42);
    });
}

/// Drops the reply handle of every call it gets, and runs on.
struct Forgetful;

impl Actor for Forgetful {
    type Args = ();
    async fn init(
        (): (),
        _: &mut actor_core::Context<Self>,
    ) -> Result<Self, actor_core::InitError> {
        Ok(Forgetful)
    }
}

impl actor_core::Call<Hold> for Forgetful {
    type Reply = u32;
    async fn handle_call(
        &mut self,
        _: Hold,
        ctx: &mut actor_core::Context<Self>,
    ) -> actor_core::CallReply<u32> {
        drop(ctx.reply_to::<Hold>());
        actor_core::CallReply::NoReply
    }
}

#[test]
fn a_long_call_timeout_counted_in_ticks_is_never_early() {
    // Timeouts of a second and more are counted on the runtime's call clock (ticks at least
    // 10 ms apart) instead of read from the clock. Each is still at least as long as asked:
    // right after calls back to back (the ticker counting), after the ticker went to sleep
    // (the timeout before reached its mark, and nothing raised it), and when the wait goes
    // on after the reply was dropped unanswered (a second wait on the same deadline).
    let rt = multi_thread();
    rt.block_on(async {
        let (echo, _events) = spy(false).await;
        for _ in 0..50 {
            assert_eq!(echo.call(Ping).await.unwrap(), 42);
        }
        for ms in [1_000, 1_500] {
            let timeout = Duration::from_millis(ms);
            times_out_no_earlier(timeout, echo.call_timeout(Hold, timeout)).await;
        }
        let forgetful = Forgetful::start(()).await.unwrap();
        let timeout = Duration::from_secs(1);
        times_out_no_earlier(timeout, forgetful.call_timeout(Hold, timeout)).await;
    });
}

#[test]
fn a_call_served_by_the_kept_timer_of_an_earlier_call_is_never_early() {
    // Calls back to back with the same timeout leave the thread's timer armed for the tick
    // of the first of them. A later call whose own tick comes after that one keeps the timer
    // as it is (the common case: the timer is not reset); when it fires, before this
    // call's deadline, the call must wait on for its own tick rather than time out.
    let rt = multi_thread();
    rt.block_on(async {
        let (echo, _events) = spy(false).await;
        let timeout = Duration::from_secs(1);
        for _ in 0..50 {
            assert_eq!(echo.call_timeout(Ping, timeout).await.unwrap(), 42);
        }
        // Whatever this sleep's length, the kept timer is armed no later than the next
        // call's tick, so that call keeps it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        times_out_no_earlier(timeout, echo.call_timeout(Hold, timeout)).await;
    });
}

#[test]
fn a_call_waiting_on_its_tasks_standing_timer_times_out_on_time() {
    // In a task, calls back to back leave the worker thread a standing timer bound to that
    // task, armed for the tick of the first of them; later calls wait on it where it is.
    // One that gets no reply is woken when it fires (before its own deadline) and must then
    // wait on for its own tick: neither time out early nor hang. One worker: the task stays
    // on the thread that holds its standing timer.
    let rt = multi_thread_with(1);
    rt.block_on(async {
        let (echo, _events) = spy(false).await;
        tokio::spawn(async move {
            let timeout = Duration::from_secs(1);
            for _ in 0..50 {
                assert_eq!(echo.call_timeout(Ping, timeout).await.unwrap(), 42);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            // A hang fails here rather than stalling the suite.
            tokio::time::timeout(
                Duration::from_secs(10),
                times_out_no_earlier(timeout, echo.call_timeout(Hold, timeout)),
            )
            .await
            .expect("the call waiting on the standing timer timed out");
        })
        .await
        .unwrap();
    });
}

/// Awaits `call`, which must end in `CallError::Timeout` no earlier than `timeout` after now
/// (real time: a multi-thread runtime's clock cannot be paused).
async fn times_out_no_earlier<R: std::fmt::Debug, M>(
    timeout: Duration,
    call: impl std::future::Future<Output = Result<R, CallError<M>>>,
) {
    let started = std::time::Instant::now();
    let err = call.await.unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, CallError::Timeout { .. }), "{err:?}");
    assert!(
        waited >= timeout,
        "timed out after {waited:?}, before {timeout:?}"
    );
}
