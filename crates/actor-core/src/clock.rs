//! A cheap reading of the monotonic clock that is never behind it: the start of a call's
//! timeout on a multi-thread runtime.
//!
//! A call's deadline must never come early (OTP's `gen_server:call/3` waits at least its
//! timeout) and may come a little late (tokio's timers already round up to the next
//! millisecond). [`now_not_before`] reads Linux's `CLOCK_MONOTONIC_COARSE`, the kernel's
//! monotonic clock as of its last tick, which is read without the hardware counter that
//! `Instant::now` reads (the cost is in `docs/benchmarks.md`), and maps it onto
//! `Instant`'s timeline (`CLOCK_MONOTONIC`, the same clock, advanced at every reading) with
//! one pair of readings taken once per process.
//!
//! The contract: `now_not_before()` is never earlier than `Instant::now()` read at the same
//! moment, and at most two ticks of the coarse clock later (its resolution, 1 to 10 ms
//! depending on the kernel's `HZ`). Proof: the coarse clock lags the precise one by less
//! than one tick, `0 <= precise(t) - coarse(t) < tick`. At calibration the coarse clock is
//! read first, then the precise one: `base_coarse <= base_precise`. A later reading returns
//! `base_precise + (coarse(t) - base_coarse) + tick`, which is at least
//! `coarse(t) + tick > precise(t)`, and at most `precise(t) + (base_precise - base_coarse)
//! + tick < precise(t) + 2 tick` (plus the time between the two calibration readings).
//!
//! Elsewhere (another OS, a clock the kernel refuses, or a tick coarser than
//! [`MAX_TICK`]), it is `Instant::now()`. It is never used under tokio's paused clock:
//! that clock exists on current-thread runtimes only, where a call reads tokio's clock.

use std::time::Instant;

/// A coarse clock with a longer tick than this is not used: a call may time out late by
/// two ticks.
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAX_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// Now, or a little later, never earlier (see the module's contract).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn now_not_before() -> Instant {
    use std::sync::OnceLock;
    use std::time::Duration;

    /// The pair of readings that maps the coarse clock onto `Instant`'s timeline.
    struct Base {
        precise: Instant,
        coarse: Duration,
        tick: Duration,
    }
    static BASE: OnceLock<Option<Base>> = OnceLock::new();

    let base = BASE.get_or_init(|| {
        let tick = coarse_resolution().filter(|t| *t <= MAX_TICK)?;
        // The coarse clock first, then the precise one: `coarse <= precise` on one timeline.
        let coarse = read_coarse()?;
        Some(Base {
            precise: Instant::now(),
            coarse,
            tick,
        })
    });
    match (base, read_coarse()) {
        (Some(base), Some(coarse)) => {
            // The coarse clock is monotonic, so `coarse >= base.coarse`; saturating all the
            // same, and a sum that does not fit falls back to the precise clock.
            let since = coarse.saturating_sub(base.coarse) + base.tick;
            base.precise.checked_add(since).unwrap_or_else(Instant::now)
        }
        _ => Instant::now(),
    }
}

/// Now, from the precise clock: no coarse clock on this OS.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn now_not_before() -> Instant {
    Instant::now()
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn read_coarse() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Safety: `ts` is a valid, writable `timespec` that outlives the call, which writes
    // nothing else; `CLOCK_MONOTONIC_COARSE` is a clock id, and an id the kernel does not
    // know makes the call fail (checked), not misbehave.
    #[allow(unsafe_code, reason = "the FFI call that reads the coarse clock")]
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    timespec_duration(rc, &ts)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn coarse_resolution() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Safety: as in `read_coarse`.
    #[allow(unsafe_code, reason = "the FFI call that asks the coarse clock's tick")]
    let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    timespec_duration(rc, &ts).filter(|tick| !tick.is_zero())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn timespec_duration(rc: libc::c_int, ts: &libc::timespec) -> Option<std::time::Duration> {
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u32::try_from(ts.tv_nsec)
        .ok()
        .filter(|n| *n < 1_000_000_000)?;
    (rc == 0).then(|| std::time::Duration::new(secs, nanos))
}

/// The pair of readings spawn times are counted from: the cheap clock and the wall clock,
/// read together once per process.
fn wall_base() -> &'static (Instant, std::time::SystemTime) {
    static BASE: std::sync::OnceLock<(Instant, std::time::SystemTime)> = std::sync::OnceLock::new();
    BASE.get_or_init(|| (now_not_before(), std::time::SystemTime::now()))
}

/// Whole seconds since the process's clock base (saturating after 136 years): an actor's
/// spawn time, read from the cheap clock.
pub(crate) fn secs_since_base() -> u32 {
    let since = now_not_before().saturating_duration_since(wall_base().0);
    u32::try_from(since.as_secs()).unwrap_or(u32::MAX)
}

/// The wall-clock time `secs` after the process's clock base.
pub(crate) fn system_time_of(secs: u32) -> std::time::SystemTime {
    wall_base().1 + std::time::Duration::from_secs(u64::from(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_behind_the_precise_clock_and_at_most_two_ticks_ahead() {
        // Bounds from the module's contract; 20 ms is two ticks of the coarsest clock used.
        for _ in 0..100_000 {
            let before = Instant::now();
            let cheap = now_not_before();
            let after = Instant::now();
            assert!(cheap >= before, "{cheap:?} is before {before:?}");
            assert!(
                cheap.duration_since(after) <= std::time::Duration::from_millis(20),
                "{cheap:?} is too far past {after:?}"
            );
        }
    }
}
