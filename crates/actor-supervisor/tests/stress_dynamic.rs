//! Stress: 10,000 children under one DynamicSupervisor crash at random for a bounded time.
//! Afterwards the supervisor counts them right and, once stopped, no actor is left behind.
//! (Its own test binary, so the process-wide live count has no other tests in it.)
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actor_core::{Actor, Context, ExitReason, Flow, Info, InitError};
use actor_supervisor::{ChildSpec, DynamicSupervisor};
use tokio::time::Instant;

const CHILDREN: usize = 10_000;

#[derive(Clone)]
struct Chaos {
    /// While set, every (re)started child schedules its own crash.
    active: Arc<AtomicBool>,
    /// Crash timers set and not yet handled.
    pending: Arc<AtomicUsize>,
    crashes: Arc<AtomicUsize>,
}

struct Flaky {
    chaos: Chaos,
}

struct Crash;

fn delay(seed: u64) -> Duration {
    // xorshift: a cheap spread of delays from 50 to 500 ms
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    Duration::from_millis(50 + x % 451)
}

impl Actor for Flaky {
    type Args = Chaos;
    async fn init(chaos: Chaos, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        if chaos.active.load(Ordering::SeqCst) {
            chaos.pending.fetch_add(1, Ordering::SeqCst);
            ctx.send_after(delay(ctx.id().as_u64()), Crash);
        }
        Ok(Flaky { chaos })
    }
}

impl Info<Crash> for Flaky {
    async fn handle_info(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        self.chaos.crashes.fetch_add(1, Ordering::SeqCst);
        self.chaos.pending.fetch_sub(1, Ordering::SeqCst);
        Flow::Stop(ExitReason::msg("chaos"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_children_crashing_at_random_leak_nothing() {
    let baseline = actor_core::live_count();
    let sup = DynamicSupervisor::builder()
        .intensity(u32::MAX, Duration::from_secs(1))
        .start_link()
        .await
        .unwrap();
    let chaos = Chaos {
        active: Arc::new(AtomicBool::new(false)),
        pending: Arc::new(AtomicUsize::new(0)),
        crashes: Arc::new(AtomicUsize::new(0)),
    };
    let mut pids = Vec::with_capacity(CHILDREN);
    for _ in 0..CHILDREN {
        pids.push(
            sup.start_child(ChildSpec::worker::<Flaky>("flaky", chaos.clone()))
                .await
                .unwrap()
                .unwrap(),
        );
    }
    // Chaos on: every child gets a crash at a random moment; each restart arms another.
    chaos.active.store(true, Ordering::SeqCst);
    for pid in &pids {
        chaos.pending.fetch_add(1, Ordering::SeqCst);
        pid.downcast::<Flaky>()
            .unwrap()
            .send_after(delay(pid.id().as_u64()), Crash);
    }
    // Crashes and restarts run for a bounded time once everyone is up, then stop.
    tokio::time::sleep(Duration::from_secs(2)).await;
    chaos.active.store(false, Ordering::SeqCst);
    // Wait for the last crash timer to be handled (explicit: a counter, not a guess).
    let give_up = Instant::now() + Duration::from_secs(120);
    while chaos.pending.load(Ordering::SeqCst) > 0 {
        assert!(Instant::now() < give_up, "crash timers never drained");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every first incarnation scheduled a crash, and all of them were handled.
    let crashes = chaos.crashes.load(Ordering::SeqCst);
    assert!(
        crashes >= CHILDREN,
        "every child crashed at least once ({crashes} crashes)"
    );
    // Every crash was restarted: all 10,000 run, none restarting.
    let counts = sup.count_children().await.unwrap();
    assert_eq!(
        (counts.specs, counts.active, counts.workers),
        (CHILDREN, CHILDREN, CHILDREN)
    );
    assert_eq!(actor_core::live_count(), baseline + CHILDREN + 1);
    sup.stop(ExitReason::Shutdown).await.unwrap();
    // stop returns after every child and the supervisor have fully terminated.
    assert_eq!(actor_core::live_count(), baseline);
}
