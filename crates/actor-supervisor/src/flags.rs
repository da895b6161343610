//! Supervisor flags (R-FLAG).

use std::time::Duration;

use crate::error::FlagsError;

/// Which children a restart takes with it (R-RST-2).
///
/// # Examples
///
/// ```
/// assert_eq!(actor_supervisor::Strategy::default(), actor_supervisor::Strategy::OneForOne);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Strategy {
    /// Restart only the child that exited.
    #[default]
    OneForOne,
    /// Stop every other child, then restart them all.
    OneForAll,
    /// Stop the children started after the one that exited, then restart it and them.
    RestForOne,
}

/// When significant children shut their supervisor down (R-AUTO).
///
/// # Examples
///
/// ```
/// assert_eq!(actor_supervisor::AutoShutdown::default(), actor_supervisor::AutoShutdown::Never);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AutoShutdown {
    /// Never (the default).
    #[default]
    Never,
    /// When any significant child exits by itself without being restarted.
    AnySignificant,
    /// When no significant child is left running.
    AllSignificant,
}

/// A supervisor's flags: strategy, restart intensity and auto shutdown.
///
/// The default is Elixir's: `OneForOne`, at most 3 restarts in 5 s, no auto shutdown.
/// The period is written in the one duration format of every configuration: `"5s"`,
/// `"500ms"`, `"10m"`, `"1h"` (`docs/configuration.md`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_supervisor::{Strategy, SupervisorFlags};
///
/// let flags: SupervisorFlags = serde_json::from_str(
///     r#"{"strategy": "rest_for_one", "intensity": 10, "period": "1500ms"}"#,
/// ).unwrap();
/// assert_eq!(flags.strategy, Strategy::RestForOne);
/// assert_eq!(flags.period, Duration::from_millis(1500));
/// assert_eq!(serde_json::to_value(flags).unwrap()["period"], "1500ms");
/// assert_eq!(SupervisorFlags::default().intensity, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct SupervisorFlags {
    /// The restart strategy.
    pub strategy: Strategy,
    /// How many restarts are tolerated within `period` (`max_restarts`).
    pub intensity: u32,
    /// The sliding window (`max_seconds`); must be more than zero.
    #[cfg_attr(
        feature = "serde",
        serde(serialize_with = "crate::duration::serialize")
    )]
    pub period: Duration,
    /// When significant children shut the supervisor down.
    pub auto_shutdown: AutoShutdown,
}

impl Default for SupervisorFlags {
    fn default() -> Self {
        Self {
            strategy: Strategy::OneForOne,
            intensity: 3,
            period: Duration::from_secs(5),
            auto_shutdown: AutoShutdown::Never,
        }
    }
}

impl SupervisorFlags {
    /// The flags with another strategy.
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// The flags with another intensity and period.
    pub fn with_intensity(mut self, intensity: u32, period: Duration) -> Self {
        self.intensity = intensity;
        self.period = period;
        self
    }

    /// The flags with another auto shutdown.
    pub fn with_auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Checks the flags (R-FLAG-3).
    ///
    /// # Errors
    ///
    /// [`FlagsError::InvalidPeriod`] for a zero period.
    pub fn validate(&self) -> Result<(), FlagsError> {
        if self.period.is_zero() {
            return Err(FlagsError::InvalidPeriod(self.period));
        }
        Ok(())
    }
}
