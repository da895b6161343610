//! What can go wrong starting a node.

use crate::options::NodeName;

/// Why a node did not start.
///
/// # Examples
///
/// ```
/// use actor_cluster::{ClusterError, NodeName};
/// assert!(matches!(NodeName::new(""), Err(ClusterError::InvalidName(_))));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A node name that is empty, too long, or has a character other than letters, digits,
    /// `_`, `-` and `@`.
    #[error("invalid node name {0:?}: use 1 to 128 letters, digits, `_`, `-` or `@`")]
    InvalidName(String),
    /// Options that cannot work together.
    #[error("invalid node options: {0}")]
    InvalidOptions(String),
    /// The NATS servers could not be reached, or refused the credentials.
    #[error("cannot connect to NATS: {0}")]
    Connect(#[source] async_nats::ConnectError),
    /// A live node of the cluster already has this name.
    #[error("node name {0} is taken by a running node")]
    NameTaken(NodeName),
    /// NATS refused an operation the node needs (a subscription, a publish).
    #[error("NATS: {0}")]
    Nats(String),
}
