//! A runtime's call clock: a count of ticks, so that a call with a long timeout (OTP's
//! default 5 s among them) fixes its deadline with one atomic load instead of a clock read.
//!
//! The contract that makes a deadline in ticks never early:
//! - A ticker task per multi-thread runtime counts the ticks. Between two counts it sleeps a
//!   whole [`TICK`], started after the count before, and a tokio sleep never ends early: two
//!   ticks are counted at least a `TICK` apart.
//! - A call that starts while the count is `e` is timed out only once it reads a count of at
//!   least `e + 1 + k`, with `k` ticks at least its timeout. Tick `e + 1` comes after the
//!   call's start (the call would have read it otherwise), and the `k` after it take at least
//!   `k` ticks, so the timeout has passed.
//! - The ticker counts while some call waits for a tick to come (each call raises the mark it
//!   counts up to), and sleeps otherwise. A count that pauses only makes a timeout later.
//!
//! A timeout in ticks ends at most a tick, plus the runtime's lag in running the ticker,
//! after its deadline. Only timeouts of at least [`TICKED_FROM`] are counted in ticks, so
//! that is at most 1 % late; shorter ones read the clock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::runtime::{Handle, Id};
use tokio::sync::Notify;
use tokio::time::Instant;

/// How far apart two ticks are counted at least.
pub(crate) const TICK: Duration = Duration::from_nanos(TICK_NANOS);

/// [`TICK`] in nanoseconds: a whole divisor of a second.
const TICK_NANOS: u64 = 10_000_000;

/// The shortest timeout counted in ticks.
pub(crate) const TICKED_FROM: Duration = Duration::from_secs(1);

/// One runtime's tick count and its ticker's state.
pub(crate) struct Ticks {
    runtime: Id,
    count: AtomicU64,
    /// When the last tick was counted, in nanoseconds after `base`: a hint for arming a
    /// timer, never what decides a timeout.
    last: AtomicU64,
    base: Instant,
    /// The ticker counts until `count` reaches this.
    until: AtomicU64,
    /// Wakes a sleeping ticker when `until` is raised.
    wake: Notify,
    /// The ticker is gone (its runtime shut down): these ticks count no more.
    closed: AtomicBool,
}

/// Every open runtime's ticks, found by runtime id when a thread first makes a call there.
static RUNTIMES: Mutex<Vec<Weak<Ticks>>> = Mutex::new(Vec::new());

impl Ticks {
    /// The ticks of `handle`'s runtime, with their ticker spawned there if this is the first
    /// time.
    pub(crate) fn of(handle: &Handle) -> Arc<Ticks> {
        let runtime = handle.id();
        // A poisoned list is still a list of weak references: carry on with it.
        let mut all = RUNTIMES.lock().unwrap_or_else(|e| e.into_inner());
        // Gone or closed ticks go: a closed runtime's id may be reused by a new one.
        all.retain(|t| {
            t.upgrade()
                .is_some_and(|t| !t.closed.load(Ordering::Acquire))
        });
        if let Some(ticks) = all
            .iter()
            .filter_map(Weak::upgrade)
            .find(|t| t.runtime == runtime)
        {
            return ticks;
        }
        let ticks = Arc::new(Ticks {
            runtime,
            count: AtomicU64::new(0),
            last: AtomicU64::new(0),
            base: Instant::now(),
            until: AtomicU64::new(0),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        all.push(Arc::downgrade(&ticks));
        drop(all);
        // Dropped at the latest when the runtime shuts down, which closes the ticks.
        drop(handle.spawn(tick(Ticker(ticks.clone()))));
        ticks
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The tick at which a call starting now with `timeout` (at least [`TICKED_FROM`]) has
    /// timed out; the ticker counts at least that far.
    #[inline]
    pub(crate) fn target(&self, timeout: Duration) -> u64 {
        let k = ticks_in(timeout);
        let target = self
            .count
            .load(Ordering::Acquire)
            .saturating_add(k)
            .saturating_add(1);
        // Raised once per tick on a thread making calls back to back: the first call after
        // each tick finds the mark one short.
        if self.until.load(Ordering::Acquire) < target {
            self.until.fetch_max(target, Ordering::AcqRel);
            self.wake.notify_one();
        }
        target
    }

    /// Whether tick `target` has been counted.
    #[inline]
    pub(crate) fn reached(&self, target: u64) -> bool {
        self.count.load(Ordering::Acquire) >= target
    }

    /// When tick `target` comes if the ticker keeps its pace from its last tick: when a
    /// timer waiting for it is armed. Earlier than that tick after the ticker slept or fell
    /// behind, and then the timer is armed again (see [`rearm`](Self::rearm)).
    pub(crate) fn hint(&self, target: u64) -> Instant {
        let count = self.count.load(Ordering::Acquire);
        let last = self.base + Duration::from_nanos(self.last.load(Ordering::Relaxed));
        let ahead = u32::try_from(target.saturating_sub(count)).unwrap_or(u32::MAX);
        last.checked_add(TICK.saturating_mul(ahead))
            .unwrap_or_else(far_future)
    }

    /// When to look again for tick `target`, not yet counted, from a timer that has fired:
    /// its [`hint`](Self::hint), or a tick from now when that has passed.
    pub(crate) fn rearm(&self, target: u64) -> Instant {
        let hint = self.hint(target);
        let now = Instant::now();
        if hint > now { hint } else { now + TICK }
    }
}

/// How many ticks `timeout` takes, rounded up: whole seconds and the rest, in integer
/// steps (a tick divides a second).
#[inline]
fn ticks_in(timeout: Duration) -> u64 {
    const PER_SEC: u64 = 1_000_000_000 / TICK_NANOS;
    timeout
        .as_secs()
        .saturating_mul(PER_SEC)
        .saturating_add(u64::from(timeout.subsec_nanos()).div_ceil(TICK_NANOS))
}

/// An instant far enough off to mean never, for a target beyond `Instant`'s range.
pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// Owned by the ticker task: closes the ticks when the task is dropped, at the latest when
/// its runtime shuts down.
struct Ticker(Arc<Ticks>);

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
    }
}

/// The ticker: counts a tick every [`TICK`] while some call counts on one to come.
async fn tick(ticker: Ticker) {
    let ticks = &ticker.0;
    loop {
        while ticks.count.load(Ordering::Acquire) >= ticks.until.load(Ordering::Acquire) {
            // A raise between the check and this wait left a permit: no wake-up is lost.
            ticks.wake.notified().await;
        }
        // Started after the last count: the next is a whole tick later at least.
        tokio::time::sleep(TICK).await;
        let since = Instant::now().saturating_duration_since(ticks.base);
        let since = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
        ticks.last.store(since, Ordering::Relaxed);
        ticks.count.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ticks_are_counted_a_tick_apart_while_a_call_waits_and_then_stop() {
        let ticks = Ticks::of(&Handle::current());
        assert!(Arc::ptr_eq(&ticks, &Ticks::of(&Handle::current())));
        let start = std::time::Instant::now();
        let target = ticks.target(Duration::from_millis(50));
        // 50 ms is 5 ticks, plus the one under way.
        assert_eq!(target, ticks.count.load(Ordering::Acquire) + 6);
        while !ticks.reached(target) {
            tokio::time::sleep_until(ticks.rearm(target)).await;
        }
        // Never early.
        assert!(start.elapsed() >= Duration::from_millis(50));
        // The ticker stops at the mark: no further call raised it.
        let stopped = ticks.count.load(Ordering::Acquire);
        assert_eq!(stopped, ticks.until.load(Ordering::Acquire));
    }

    #[test]
    fn a_timeout_takes_its_ticks_rounded_up() {
        assert_eq!(1_000_000_000 % TICK_NANOS, 0);
        assert_eq!(ticks_in(Duration::from_secs(5)), 500);
        assert_eq!(ticks_in(Duration::from_millis(5_001)), 501);
        assert_eq!(ticks_in(Duration::from_nanos(1)), 1);
        assert_eq!(ticks_in(Duration::ZERO), 0);
        assert_eq!(ticks_in(Duration::new(u64::MAX, 999_999_999)), u64::MAX);
    }
}
