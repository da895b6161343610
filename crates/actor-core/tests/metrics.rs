//! The `metrics` feature: what is recorded through the facade (issue 22).
#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

use actor_core::metrics::{CALL_DURATION, CALL_ERRORS, MESSAGES_HANDLED};
use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

struct Echo;
struct Quiet;

impl Actor for Echo {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Echo)
    }
}

impl Call<u32> for Echo {
    type Reply = u32;
    async fn handle_call(&mut self, n: u32, _: &mut Context<Self>) -> CallReply<u32> {
        CallReply::Reply(n)
    }
}

/// Never answers: the caller times out.
impl Call<Quiet> for Echo {
    type Reply = ();
    async fn handle_call(&mut self, _: Quiet, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::NoReply
    }
}

impl Cast<u8> for Echo {
    async fn handle_cast(&mut self, _: u8, _: &mut Context<Self>) -> Flow {
        Flow::Ok
    }
}

/// Each recorded series as (name, labels, value).
type Series = Vec<(String, Vec<(String, String)>, DebugValue)>;

fn run_recorded(body: impl AsyncFnOnce()) -> Series {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(body());
    });
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels = key
                .key()
                .labels()
                .map(|l| (l.key().to_string(), l.value().to_string()))
                .collect();
            (key.key().name().to_string(), labels, value)
        })
        .collect()
}

fn find<'a>(series: &'a Series, name: &str, label: (&str, &str)) -> Option<&'a DebugValue> {
    series
        .iter()
        .find(|(n, labels, _)| {
            n == name && labels.iter().any(|(k, v)| k == label.0 && v == label.1)
        })
        .map(|(_, _, v)| v)
}

#[test]
fn calls_record_their_duration_and_failures_their_kind() {
    let series = run_recorded(async || {
        let echo = Echo::start(()).await.unwrap();
        for n in 0..3 {
            assert_eq!(echo.call(n).await.unwrap(), n);
        }
        assert!(
            echo.call_timeout(Quiet, Duration::from_secs(1))
                .await
                .is_err()
        );
        echo.stop(ExitReason::Normal).await.unwrap();
        assert!(echo.call(9).await.is_err());
    });
    let ty = std::any::type_name::<Echo>();
    match find(&series, CALL_DURATION, ("actor_type", ty)) {
        Some(DebugValue::Histogram(samples)) => assert_eq!(samples.len(), 3),
        other => panic!("no call histogram: {other:?}"),
    }
    for error in ["timeout", "noproc"] {
        assert!(
            series.iter().any(|(n, labels, v)| n == CALL_ERRORS
                && labels.contains(&("error".into(), error.into()))
                && *v == DebugValue::Counter(1)),
            "{error}: {series:?}"
        );
    }
}

#[test]
fn messages_handled_are_counted_exactly_by_the_time_the_actor_exits() {
    let series = run_recorded(async || {
        let echo = Echo::start(()).await.unwrap();
        for _ in 0..100 {
            echo.cast(1u8);
        }
        echo.call(1).await.unwrap();
        echo.stop(ExitReason::Normal).await.unwrap();
    });
    // 100 casts, 1 call and the stop request (a system message, handled in order).
    assert_eq!(
        find(
            &series,
            MESSAGES_HANDLED,
            ("actor_type", std::any::type_name::<Echo>())
        ),
        Some(&DebugValue::Counter(102))
    );
}
