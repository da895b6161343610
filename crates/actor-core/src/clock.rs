//! The wall-clock time of an actor's spawn, kept in whole seconds in its record.
//!
//! An actor's start time is read from the monotonic clock at spawn and mapped onto the wall
//! clock through one pair of readings taken once per process, so a wall-clock step (NTP, a
//! suspended VM) after that does not reorder actors' start times.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// The pair of readings spawn times are counted from: the monotonic clock and the wall
/// clock, read together once per process.
fn wall_base() -> &'static (Instant, SystemTime) {
    static BASE: OnceLock<(Instant, SystemTime)> = OnceLock::new();
    BASE.get_or_init(|| (Instant::now(), SystemTime::now()))
}

/// Whole seconds since the process's clock base (saturating after 136 years).
pub(crate) fn secs_since_base() -> u32 {
    let since = Instant::now().saturating_duration_since(wall_base().0);
    u32::try_from(since.as_secs()).unwrap_or(u32::MAX)
}

/// The wall-clock time `secs` after the process's clock base.
pub(crate) fn system_time_of(secs: u32) -> SystemTime {
    wall_base().1 + Duration::from_secs(u64::from(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_times_map_onto_the_wall_clock() {
        let before = SystemTime::now();
        let at = system_time_of(secs_since_base());
        // To the second, and never after now.
        assert!(at <= SystemTime::now());
        assert!(at + Duration::from_secs(1) >= before);
    }
}
