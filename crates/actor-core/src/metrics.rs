//! What actor-core reports through the [`metrics`](https://docs.rs/metrics) facade, with the
//! `metrics` feature: the application installs a recorder (Prometheus, OpenTelemetry,
//! StatsD…) and these series appear in it. Without a recorder they cost a clock read per
//! call and an atomic load per report; without the feature, nothing.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | [`CALL_DURATION`] | histogram (seconds) | `actor_type` | each answered call's time from send to reply, as its caller sees it |
//! | [`CALL_ERRORS`] | counter | `actor_type`, `error` (`timeout`, `exit`, `noproc`) | calls that got no reply |
//! | [`MESSAGES_HANDLED`] | counter | `actor_type` | messages and callbacks handled, added each time an actor's mailbox runs empty and at its exit |
//!
//! `actor_type` is the actor's Rust type name (`std::any::type_name`). Live actors and
//! mailbox depths are gauges an observer samples (the `actor-observer` crate does), not
//! counts kept on the hot path.
//!
//! # Examples
//!
//! ```
//! use actor_core::{Actor, Call, CallReply, Context, InitError};
//! use metrics_util::debugging::DebuggingRecorder;
//!
//! struct Echo;
//! impl Actor for Echo {
//!     type Args = ();
//!     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Echo) }
//! }
//! impl Call<u32> for Echo {
//!     type Reply = u32;
//!     async fn handle_call(&mut self, n: u32, _: &mut Context<Self>) -> CallReply<u32> {
//!         CallReply::Reply(n)
//!     }
//! }
//!
//! let recorder = DebuggingRecorder::new();
//! let snapshotter = recorder.snapshotter();
//! metrics::with_local_recorder(&recorder, || {
//!     let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//!     rt.block_on(async {
//!         let echo = Echo::start(()).await.unwrap();
//!         assert_eq!(echo.call(7).await.unwrap(), 7);
//!     });
//! });
//! let names: Vec<String> = snapshotter
//!     .snapshot()
//!     .into_vec()
//!     .into_iter()
//!     .map(|(key, ..)| key.key().name().to_string())
//!     .collect();
//! assert!(names.contains(&actor_core::metrics::CALL_DURATION.to_string()));
//! ```

use std::time::Instant;

use crate::cell::Core;

/// Histogram of answered calls' durations, in seconds; label `actor_type`.
pub const CALL_DURATION: &str = "actor_call_duration_seconds";
/// Counter of calls that got no reply; labels `actor_type` and `error`.
pub const CALL_ERRORS: &str = "actor_call_errors_total";
/// Counter of messages and callbacks handled; label `actor_type`.
pub const MESSAGES_HANDLED: &str = "actor_messages_handled_total";

/// Records the end of a call that started at `started`.
pub(crate) fn call_done(actor_type: &'static str, started: Instant, error: Option<&'static str>) {
    match error {
        None => metrics::histogram!(CALL_DURATION, "actor_type" => actor_type)
            .record(started.elapsed().as_secs_f64()),
        Some(error) => {
            metrics::counter!(CALL_ERRORS, "actor_type" => actor_type, "error" => error)
                .increment(1);
        }
    }
}

/// Adds what the actor handled since its last report. Called by the actor's own task
/// only, so the reported mark cannot race.
pub(crate) fn report_handled(core: &Core, actor_type: &'static str) {
    let (handled, reported) = core.handled_and_reported();
    if handled > reported {
        metrics::counter!(MESSAGES_HANDLED, "actor_type" => actor_type)
            .increment(handled - reported);
        core.mark_reported(handled);
    }
}
