//! Registry errors.

use actor_core::{DowncastError, Pid};
use thiserror::Error;

use crate::local::LocalName;

/// Why a registry operation failed (R-REG).
///
/// # Examples
///
/// See [`Registry::register`](crate::Registry::register).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// A unique key is held by this live actor (`{already_registered, Pid}`); it may be the
    /// caller itself.
    #[error("key already registered by {0}")]
    AlreadyRegistered(Pid),
    /// `register` and friends register the calling actor; they were called outside one.
    #[error("registry operations that register the caller must run inside an actor")]
    NotInActor,
    /// The registry's owner is not running (never started, or stopped).
    #[error("the registry is not running")]
    NotRunning,
    /// The operation needs a unique registry (`update_value`, via-names).
    #[error("this operation needs a unique registry")]
    NotUnique,
    /// The caller does not hold the key (`update_value`'s `:error`).
    #[error("the caller does not hold this key")]
    NotRegistered,
}

/// Why a local name lookup gave no typed reference.
///
/// # Examples
///
/// See [`LocalRegistry::whereis_ref`](crate::LocalRegistry::whereis_ref).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No live actor holds the name.
    #[error("no actor is registered as {0}")]
    NotFound(LocalName),
    /// The holder is an actor of another type.
    #[error(transparent)]
    WrongType(#[from] DowncastError),
}
