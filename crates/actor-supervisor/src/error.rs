//! Supervisor errors (the error results of R-SUP, R-DYN, R-SOFO, R-TASK, §12).

use std::time::Duration;

use actor_core::{CallError, ExitReason, Pid, StartError};
use thiserror::Error;

use crate::spec::ChildId;

/// An invalid child spec (R-CS-2).
///
/// # Examples
///
/// ```
/// use actor_supervisor::{AutoShutdown, ChildSpec, Restart, SpecError};
/// let spec = ChildSpec::new("x", || async { Ok(None) }).significant(true);
/// assert!(matches!(spec.validate(AutoShutdown::AnySignificant), Err(SpecError::SignificantPermanent(_))));
/// let spec = spec.restart(Restart::Transient);
/// assert!(matches!(spec.validate(AutoShutdown::Never), Err(SpecError::SignificantWithoutAutoShutdown(_))));
/// assert!(spec.validate(AutoShutdown::AnySignificant).is_ok());
/// ```
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecError {
    /// The id is empty (`missing_id`).
    #[error("child spec has an empty id")]
    MissingId,
    /// `significant` with a permanent restart (`{bad_combination, [{restart, permanent}, {significant, true}]}`).
    #[error(
        "child `{0}` is significant and permanent; significant children must be transient or temporary"
    )]
    SignificantPermanent(ChildId),
    /// `significant` under a supervisor whose auto shutdown is `never`.
    #[error("child `{0}` is significant but the supervisor's auto_shutdown is never")]
    SignificantWithoutAutoShutdown(ChildId),
    /// `significant` under a dynamic supervisor, which does not support it (`{invalid_significant, true}`).
    #[error("dynamic supervisors do not support significant children")]
    SignificantNotSupported,
    /// Two init specs share an id (`{duplicate_child_name, Id}`).
    #[error("duplicate child id `{0}`")]
    DuplicateChildId(ChildId),
}

/// Invalid supervisor flags (R-FLAG-3).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_supervisor::{FlagsError, SupervisorFlags};
/// let flags = SupervisorFlags::default().with_intensity(1, Duration::ZERO);
/// assert!(matches!(flags.validate(), Err(FlagsError::InvalidPeriod(_))));
/// ```
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlagsError {
    /// The period is zero (`{invalid_period, 0}`).
    #[error("invalid period {0:?}: it must be more than zero")]
    InvalidPeriod(Duration),
    /// The dynamic supervisor's auto shutdown is not `never`.
    #[error("dynamic supervisors only support auto_shutdown never")]
    InvalidAutoShutdown,
    /// A dynamic supervisor (or simple_one_for_one, or task supervisor) given another
    /// strategy than `one_for_one`.
    #[error("dynamic supervisors only support the one_for_one strategy, not {0:?}")]
    UnsupportedStrategy(crate::flags::Strategy),
}

/// Why a supervisor did not start (R-SUP-2, R-FLAG-3, R-CS-2).
///
/// # Examples
///
/// See [`Supervisor`](crate::Supervisor).
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum SupervisorStartError {
    /// A child failed to start (`{shutdown, {failed_to_start_child, Id, Reason}}`); the
    /// children started before it were stopped in reverse order.
    #[error("failed to start child `{id}`: {reason}")]
    FailedToStartChild {
        /// The child's id.
        id: ChildId,
        /// Why it did not start.
        reason: StartError,
    },
    /// Invalid flags (`{supervisor_data, E}`).
    #[error("invalid supervisor flags: {0}")]
    Flags(#[from] FlagsError),
    /// An invalid child spec (`{start_spec, E}`).
    #[error("invalid child spec: {0}")]
    Spec(#[from] SpecError),
    /// The supervisor's own init returned ignore.
    #[error("supervisor init returned ignore")]
    Ignored,
    /// The supervisor's name is taken, or it failed for another reason.
    #[error("supervisor did not start: {0}")]
    Start(#[source] StartError),
}

/// The error of a call to a supervisor about its children (the error results of §12).
///
/// # Examples
///
/// See [`SupervisorRef`](crate::SupervisorRef).
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum ChildError {
    /// No child with that id or pid (`not_found`).
    #[error("child not found")]
    NotFound,
    /// The child is running (`running`).
    #[error("child is running")]
    Running,
    /// The child is waiting for a restart retry (`restarting`).
    #[error("child is restarting")]
    Restarting,
    /// The id exists but the child is not running (`already_present`).
    #[error("child spec already present")]
    AlreadyPresent,
    /// The id is running, or the child's own name is taken (`{already_started, Pid}`).
    #[error("child already started as {0}")]
    AlreadyStarted(Pid),
    /// The dynamic supervisor holds `max_children` children (`max_children`).
    #[error("max_children reached")]
    MaxChildren,
    /// The spec is invalid.
    #[error("invalid child spec: {0}")]
    InvalidSpec(#[from] SpecError),
    /// The child's start failed (`{error, Reason}`): its start function returned an error,
    /// its `init` failed, or the start function panicked
    /// (`StartError::Failed(ExitReason::Panic(..))`).
    #[error("child `{id}` failed to start: {reason}")]
    StartFailed {
        /// The child's id.
        id: ChildId,
        /// Why it failed.
        #[source]
        reason: StartError,
    },
    /// The supervisor is not running (`noproc`).
    #[error("supervisor not running")]
    NoProc,
    /// The supervisor called its own API from inside one of its callbacks (`calling_self`).
    #[error("a supervisor cannot call itself")]
    CallingSelf,
    /// The supervisor exited while handling the request.
    #[error("supervisor exited: {0}")]
    SupervisorExit(#[source] ExitReason),
    /// The supervisor did not answer within the handle's timeout
    /// (`with_timeout`); the request was not withdrawn.
    #[error("supervisor did not answer in time")]
    Timeout,
}

impl<M> From<CallError<M>> for ChildError {
    fn from(e: CallError<M>) -> Self {
        match e {
            CallError::Exit(r) => Self::SupervisorExit(r),
            CallError::CallingSelf(_) => Self::CallingSelf,
            CallError::Timeout { .. } => Self::Timeout,
            // The supervisor is dead, or not a supervisor at all.
            _ => Self::NoProc,
        }
    }
}
