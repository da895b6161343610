//! What the runtime tells `tracing`: actor spans at the level the user picks (info by
//! default), and panics reported as events by the opt-in hook. Its own test binary: the
//! panic hook is process-wide.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::sync::{Arc, Mutex};

use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError};
use tracing::Level;

/// Records the spans created and the events logged, at or above `max`.
#[derive(Clone)]
struct Recorder {
    max: Level,
    spans: Arc<Mutex<Vec<(String, Level)>>>,
    events: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn new(max: Level) -> Self {
        Self {
            max,
            spans: Arc::default(),
            events: Arc::default(),
        }
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, m: &tracing::Metadata<'_>) -> bool {
        *m.level() <= self.max
    }
    fn new_span(&self, a: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let m = a.metadata();
        let mut spans = self.spans.lock().unwrap();
        spans.push((m.name().to_owned(), *m.level()));
        tracing::span::Id::from_u64(spans.len() as u64)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &tracing::Event<'_>) {
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={v:?} ", f.name()));
            }
        }
        let mut text = Text(String::new());
        e.record(&mut text);
        self.events.lock().unwrap().push(text.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

struct Worker;
struct Boom;
struct Ping;

impl Actor for Worker {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Worker)
    }
}

impl Cast<Boom> for Worker {
    async fn handle_cast(&mut self, _: Boom, _: &mut Context<Self>) -> Flow {
        panic!("boom")
    }
}

impl Call<Ping> for Worker {
    type Reply = ();
    async fn handle_call(&mut self, _: Ping, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::Reply(())
    }
}

#[tokio::test]
async fn spans_follow_the_level_set_and_panics_become_events() {
    // The runtime is this thread's (current-thread): the subscriber set here sees it all.
    let recorder = Recorder::new(Level::INFO);
    let _guard = tracing::subscriber::set_default(recorder.clone());

    // At the default level (info), an info subscriber gets every actor's span.
    assert_eq!(actor_core::span_level(), Level::INFO);
    let w = Worker::start(()).await.unwrap();
    w.call(Ping).await.unwrap();
    assert!(
        recorder
            .spans
            .lock()
            .unwrap()
            .contains(&("actor".to_owned(), Level::INFO)),
        "{:?}",
        recorder.spans.lock().unwrap()
    );

    // Debug spans are not created for an info subscriber.
    actor_core::set_span_level(Level::DEBUG);
    let before = recorder.spans.lock().unwrap().len();
    let quiet = Worker::start(()).await.unwrap();
    quiet.call(Ping).await.unwrap();
    assert_eq!(recorder.spans.lock().unwrap().len(), before);
    actor_core::set_span_level(Level::INFO);

    // A panic in a handler is an error event naming the actor, not stderr's message.
    actor_core::report_panics_with_tracing();
    w.cast(Boom);
    assert_eq!(w.pid().exited().await, ExitReason::Panic("boom".into()));
    let events = recorder.events.lock().unwrap().clone();
    let id = w.pid().id().to_string();
    assert!(
        events
            .iter()
            .any(|e| e.contains("panicked: boom") && e.contains(&id) && e.contains("location")),
        "{events:?}"
    );
    let _ = std::panic::take_hook();
}

#[tokio::test]
async fn info_counts_the_messages_handled_and_tells_when_the_actor_started() {
    let before = std::time::SystemTime::now();
    let w = Worker::start(()).await.unwrap();
    assert_eq!(w.info().messages_handled, 0, "init is not a message");
    for _ in 0..5 {
        w.call(Ping).await.unwrap();
    }
    assert_eq!(w.info().messages_handled, 5);
    // To the second: no earlier than the second before, no later than now.
    let started = w.info().started_at;
    let after = std::time::SystemTime::now();
    assert!(
        started + std::time::Duration::from_secs(2) >= before,
        "{started:?} vs {before:?}"
    );
    assert!(started <= after, "{started:?} is after {after:?}");
}

#[tokio::test]
async fn info_lists_the_monitors_an_actor_holds_and_those_held_on_it() {
    let target = Worker::start(()).await.unwrap();
    let mut probe = actor_testkit::Probe::start().await;
    let first = probe.monitor(&target.pid()).await;
    let second = probe.monitor(&target.pid()).await;
    assert_eq!(probe.pid().info().monitors, vec![target.id(), target.id()]);
    assert_eq!(target.info().monitored_by, vec![probe.id(), probe.id()]);
    // demonitor forgets one record; a DOWN delivered forgets the other.
    assert!(probe.demonitor(first).await);
    assert_eq!(probe.pid().info().monitors, vec![target.id()]);
    target.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(probe.assert_down(second).await, ExitReason::Normal);
    assert!(probe.pid().info().monitors.is_empty());
}
