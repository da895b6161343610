//! Restart intensity: a sliding window of restart times (R-INT). Pure; the caller passes the
//! clock.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// At most `max_restarts` restarts within any window of `period`.
#[derive(Clone, Debug)]
pub(crate) struct RestartIntensity {
    max_restarts: u32,
    period: Duration,
    restarts: VecDeque<Instant>,
}

impl RestartIntensity {
    pub(crate) fn new(max_restarts: u32, period: Duration) -> Self {
        Self {
            max_restarts,
            period,
            restarts: VecDeque::new(),
        }
    }

    /// Records a restart at `now`. Returns `false` when this restart exceeds the intensity:
    /// the supervisor must give up. Restarts older than `now - period` no longer count.
    pub(crate) fn add_restart(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.restarts.front() {
            if now.saturating_duration_since(oldest) > self.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.push_back(now);
        self.restarts.len() <= self.max_restarts as usize
    }

    /// Restarts counted in the current window.
    pub(crate) fn in_window(&self) -> usize {
        self.restarts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, secs: u64) -> Instant {
        base + Duration::from_secs(secs)
    }

    #[test]
    fn n_restarts_are_tolerated_and_the_next_one_gives_up() {
        let t0 = Instant::now();
        let mut i = RestartIntensity::new(3, Duration::from_secs(5));
        assert!(i.add_restart(at(t0, 0)));
        assert!(i.add_restart(at(t0, 1)));
        assert!(i.add_restart(at(t0, 2)));
        assert!(!i.add_restart(at(t0, 3)));
    }

    #[test]
    fn zero_intensity_gives_up_on_the_first_restart() {
        let mut i = RestartIntensity::new(0, Duration::from_secs(5));
        assert!(!i.add_restart(Instant::now()));
    }

    #[test]
    fn the_window_slides() {
        let t0 = Instant::now();
        let mut i = RestartIntensity::new(2, Duration::from_secs(5));
        assert!(i.add_restart(at(t0, 0)));
        assert!(i.add_restart(at(t0, 3)));
        // At t = 7 the restart at 0 is out of the window; 3 and 7 remain.
        assert!(i.add_restart(at(t0, 7)));
        assert_eq!(i.in_window(), 2);
        // At t = 9 the restart at 3 is 6 s old: out. 7 and 9 remain.
        assert!(i.add_restart(at(t0, 9)));
        // At t = 11: 7, 9 and 11 are all within 5 s → 3 restarts > 2.
        assert!(!i.add_restart(at(t0, 11)));
    }

    #[test]
    fn a_restart_exactly_period_old_still_counts() {
        let t0 = Instant::now();
        let mut i = RestartIntensity::new(1, Duration::from_secs(5));
        assert!(i.add_restart(at(t0, 0)));
        assert!(!i.add_restart(at(t0, 5)));
    }
}
