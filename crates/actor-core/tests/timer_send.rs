//! Timers: send_after, send_interval and cancel, from the context and from outside, on
//! paused time.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::{Actor, Cast, Context, Flow, InitError, TimerRef};
use support::*;
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn send_after_delivers_once_at_the_deadline() {
    let (s, mut ev) = spy(false).await;
    let started = Instant::now();
    let timer = s.send_after(Duration::from_secs(3), Note(1));
    assert_eq!(next(&mut ev).await, Event::Info(1));
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert!(!timer.is_active());
    assert_eq!(
        timer.cancel(),
        None,
        "a fired one-shot timer cannot be cancelled"
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_returns_the_time_left_and_nothing_is_sent() {
    let (s, mut ev) = spy(false).await;
    let timer = s.send_after(Duration::from_secs(10), Note(1));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(timer.cancel(), Some(Duration::from_secs(6)));
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(s.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

#[tokio::test(start_paused = true)]
async fn send_interval_repeats_until_cancelled() {
    let (s, mut ev) = spy(false).await;
    let started = Instant::now();
    let timer = s.send_interval(Duration::from_secs(2), Note(7));
    for i in 1..=3 {
        assert_eq!(next(&mut ev).await, Event::Info(7));
        assert_eq!(started.elapsed(), Duration::from_secs(2 * i));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(timer.cancel(), Some(Duration::from_millis(1500)));
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(s.call(Ping).await.unwrap(), 42);
    assert_quiet(&mut ev);
}

#[tokio::test(start_paused = true)]
async fn an_interval_stops_when_its_actor_dies() {
    let (s, mut ev) = spy(false).await;
    let timer = s.send_interval(Duration::from_secs(1), Note(1));
    assert_eq!(next(&mut ev).await, Event::Info(1));
    s.pid().kill();
    s.pid().exited().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!timer.is_active());
}

/// Arms its own timers from the context.
struct SelfTimed {
    tx: tokio::sync::mpsc::UnboundedSender<Event>,
    pending: Option<TimerRef>,
}
struct Arm;
struct Disarm;

impl Actor for SelfTimed {
    type Args = tokio::sync::mpsc::UnboundedSender<Event>;
    async fn init(tx: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(SelfTimed { tx, pending: None })
    }
}

impl actor_core::Info<Note> for SelfTimed {
    async fn handle_info(&mut self, Note(n): Note, _: &mut Context<Self>) -> Flow {
        let _ = self.tx.send(Event::Info(n));
        Flow::Ok
    }
}

impl Cast<Arm> for SelfTimed {
    async fn handle_cast(&mut self, _: Arm, ctx: &mut Context<Self>) -> Flow {
        ctx.send_after(Duration::from_secs(1), Note(1));
        self.pending = Some(ctx.send_after(Duration::from_secs(2), Note(2)));
        Flow::Ok
    }
}

impl Cast<Disarm> for SelfTimed {
    async fn handle_cast(&mut self, _: Disarm, _: &mut Context<Self>) -> Flow {
        if let Some(t) = self.pending.take() {
            assert!(t.cancel().is_some());
        }
        Flow::Ok
    }
}

#[tokio::test(start_paused = true)]
async fn timers_from_the_context() {
    let (tx, mut ev) = tokio::sync::mpsc::unbounded_channel();
    let a = SelfTimed::start(tx).await.unwrap();
    a.cast(Arm);
    assert_eq!(next(&mut ev).await, Event::Info(1));
    a.cast(Disarm);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(ev.try_recv().is_err(), "the cancelled timer never sent");
}
