//! Every callback runs inside the actor's `actor` span (at `INFO` by default) when a
//! subscriber wants spans at that level, and no span is made when none does.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actor_core::{Actor, Call, CallReply, Cast, Context, Flow, InitError};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Held by each test for its whole length. Each installs its own subscriber for its thread,
/// but which callsites are enabled is cached process-wide, from every subscriber installed
/// at the time: a test whose subscriber wants less (WARN) running beside one that wants the
/// spans can leave the span's callsite cached as disabled for both.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Records, for every event, the name of the span entered when it was emitted.
#[derive(Default)]
struct Recorder {
    next_id: AtomicU64,
    names: Mutex<Vec<(u64, &'static str)>>,
    entered: Mutex<Vec<u64>>,
    events: Mutex<Vec<(String, Option<&'static str>)>>,
    max_level: Option<Level>,
}

/// The subscriber handed to tracing; the test keeps the other `Arc` to read the record.
struct Rec(Arc<Recorder>);

impl std::ops::Deref for Rec {
    type Target = Recorder;
    fn deref(&self) -> &Recorder {
        &self.0
    }
}

impl Subscriber for Rec {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        self.max_level.is_some_and(|max| *meta.level() <= max)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        self.names
            .lock()
            .unwrap()
            .push((id, span.metadata().name()));
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let current = self.entered.lock().unwrap().last().copied();
        let name = current.and_then(|id| {
            let names = self.names.lock().unwrap();
            names.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
        });
        self.events
            .lock()
            .unwrap()
            .push((event.metadata().target().to_owned(), name));
    }
    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }
}

struct Chatty;
struct Speak;
struct Ask;

impl Actor for Chatty {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        tracing::info!(target: "user::init", "starting");
        Ok(Chatty)
    }
}

impl Cast<Speak> for Chatty {
    async fn handle_cast(&mut self, _: Speak, _: &mut Context<Self>) -> Flow {
        tokio::task::yield_now().await; // the span is entered again on every poll
        tracing::info!(target: "user::cast", "spoke");
        Flow::Ok
    }
}

impl Call<Ask> for Chatty {
    type Reply = ();
    async fn handle_call(&mut self, _: Ask, _: &mut Context<Self>) -> CallReply<()> {
        tracing::info!(target: "user::call", "asked");
        CallReply::Reply(())
    }
}

fn user_events(rec: &Recorder) -> Vec<(String, Option<&'static str>)> {
    let events = rec.events.lock().unwrap();
    events
        .iter()
        .filter(|(target, _)| target.starts_with("user::"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn callbacks_run_inside_the_actor_span_when_debug_spans_are_wanted() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let rec = Arc::new(Recorder {
        max_level: Some(Level::DEBUG),
        ..Recorder::default()
    });
    let _default = tracing::subscriber::set_default(Rec(rec.clone()));
    let a = Chatty::start(()).await.unwrap();
    a.cast(Speak);
    a.call(Ask).await.unwrap();
    tracing::info!(target: "user::outside", "not in an actor");
    assert_eq!(
        user_events(&rec),
        vec![
            ("user::init".to_owned(), Some("actor")),
            ("user::cast".to_owned(), Some("actor")),
            ("user::call".to_owned(), Some("actor")),
            ("user::outside".to_owned(), None),
        ]
    );
}

#[tokio::test]
async fn the_actor_span_is_at_info_by_default_so_info_log_lines_name_their_actor() {
    let _alone = ONE_AT_A_TIME.lock().await;
    // Issue 20: at `RUST_LOG=info` every line an actor logs carries its span.
    let rec = Arc::new(Recorder {
        max_level: Some(Level::INFO),
        ..Recorder::default()
    });
    let _default = tracing::subscriber::set_default(Rec(rec.clone()));
    let a = Chatty::start(()).await.unwrap();
    a.call(Ask).await.unwrap();
    assert_eq!(
        user_events(&rec),
        vec![
            ("user::init".to_owned(), Some("actor")),
            ("user::call".to_owned(), Some("actor"))
        ]
    );
}

#[tokio::test]
async fn no_span_is_made_when_the_subscriber_wants_less_than_the_spans_level() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let rec = Arc::new(Recorder {
        max_level: Some(Level::WARN),
        ..Recorder::default()
    });
    let _default = tracing::subscriber::set_default(Rec(rec.clone()));
    let a = Chatty::start(()).await.unwrap();
    a.call(Ask).await.unwrap();
    assert!(rec.names.lock().unwrap().is_empty());
}
