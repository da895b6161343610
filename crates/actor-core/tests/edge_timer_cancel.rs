//! Item 7 of the edge hardening: once `TimerRef::cancel` returns, the timer sends nothing
//! more. Stressed on two workers, with ticks firing while they are cancelled.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::HashSet;
use std::time::Duration;

use actor_core::{Actor, Call, CallReply, Context, Flow, Info, InitError};

/// Counts ticks that arrive after their timer's marker, which is sent once `cancel` has
/// returned: one mailbox keeps one order, so such a tick was queued after `cancel` returned.
#[derive(Default)]
struct Sink {
    cancelled: HashSet<u32>,
    late: u32,
    ticks: u64,
}

struct Tick(u32);

/// A message whose `Clone` (user code, run by the interval for every tick) takes a moment:
/// the old code cloned between its check of the cancel flag and its send.
impl Clone for Tick {
    fn clone(&self) -> Self {
        for _ in 0..2_000 {
            std::hint::spin_loop();
        }
        std::thread::yield_now();
        Tick(self.0)
    }
}
struct Cancelled(u32);
struct Report;

impl Actor for Sink {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Sink::default())
    }
}

impl Info<Tick> for Sink {
    async fn handle_info(&mut self, Tick(id): Tick, _: &mut Context<Self>) -> Flow {
        self.ticks += 1;
        if self.cancelled.contains(&id) {
            self.late += 1;
        }
        Flow::Ok
    }
}

impl Info<Cancelled> for Sink {
    async fn handle_info(&mut self, Cancelled(id): Cancelled, _: &mut Context<Self>) -> Flow {
        self.cancelled.insert(id);
        Flow::Ok
    }
}

impl Call<Report> for Sink {
    type Reply = (u32, u64);
    async fn handle_call(&mut self, _: Report, _: &mut Context<Self>) -> CallReply<(u32, u64)> {
        CallReply::Reply((self.late, self.ticks))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item7_no_interval_tick_is_sent_after_cancel_returns() {
    // On the old code (check the flag, then send) about 1 timer in 8,000 sent a tick after
    // `cancel` had returned.
    const TIMERS: u32 = 8_000;
    const AT_ONCE: u32 = 400;
    let sink = Sink::start(()).await.unwrap();
    let mut next = 0;
    while next < TIMERS {
        let mut cancellers = Vec::new();
        for id in next..next + AT_ONCE {
            let sink = sink.clone();
            cancellers.push(tokio::spawn(async move {
                let timer = sink.send_interval(Duration::from_millis(1), Tick(id));
                // Cancel at a moment that varies from timer to timer, often mid-tick.
                let until =
                    tokio::time::Instant::now() + Duration::from_micros(u64::from(id % 7) * 300);
                while tokio::time::Instant::now() < until {
                    tokio::task::yield_now().await;
                }
                timer.cancel();
                assert!(!timer.is_active());
                sink.send_info(Cancelled(id));
            }));
        }
        for c in cancellers {
            c.await.unwrap();
        }
        next += AT_ONCE;
    }
    let (late, ticks) = sink.call(Report).await.unwrap();
    assert!(
        ticks > 0,
        "the stress must have fired ticks to mean anything"
    );
    assert_eq!(
        late, 0,
        "{late} ticks arrived after their timer's cancel returned"
    );
}
