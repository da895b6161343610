//! The engine's pure rules.

use super::*;

#[test]
fn the_restart_rule_is_otps() {
    let crash = ExitReason::msg("crash");
    assert_eq!(
        after_exit(Restart::Permanent, &ExitReason::Normal),
        AfterExit::Restart
    );
    assert_eq!(after_exit(Restart::Permanent, &crash), AfterExit::Restart);
    assert_eq!(
        after_exit(Restart::Transient, &ExitReason::Normal),
        AfterExit::Stopped
    );
    assert_eq!(
        after_exit(Restart::Transient, &ExitReason::Shutdown),
        AfterExit::Stopped
    );
    assert_eq!(after_exit(Restart::Transient, &crash), AfterExit::Restart);
    assert_eq!(after_exit(Restart::Temporary, &crash), AfterExit::Stopped);
}

#[test]
fn flags_are_checked_against_the_flavour() {
    let mut config = Config::new(Flavour::Dynamic);
    assert_eq!(config.validate(), Ok(()));
    config.flags.strategy = Strategy::OneForAll;
    assert_eq!(
        config.validate(),
        Err(FlagsError::UnsupportedStrategy(Strategy::OneForAll))
    );
    config.flags.strategy = Strategy::OneForOne;
    config.flags.auto_shutdown = AutoShutdown::AnySignificant;
    assert_eq!(config.validate(), Err(FlagsError::InvalidAutoShutdown));
    config.flavour = Flavour::Simple;
    assert_eq!(config.validate(), Ok(()));
}
