//! Distribution for `actor-core` on NATS: what Erlang distribution gives an Erlang node.
//!
//! - **Nodes** ([`Node::start`]) with a name and NATS options (servers, token, user and
//!   password or NKey credentials, TLS passed through); membership by heartbeat; node events
//!   to a stream ([`Node::subscribe`]) or an actor ([`Node::monitor_nodes`]).
//! - **Remote actors**: [`RemotePid`], and [`RemoteRef`] with `call`, `cast` and
//!   `send_info` for [`RemoteMessage`]s (serde types under stable names) that the receiving
//!   node accepted ([`Node::accept_call`]); per-pair ordering, replies at most once, "no
//!   responders" as [`RemoteCallError::NodeDown`] at once.
//! - **Links and monitors** across nodes ([`Node::link`], [`Node::monitor`]), broken with
//!   [`NoConnection`] when a node is lost.
//! - **Global names** ([`GlobalNames`], `:global`) on JetStream key-value, at most one
//!   holder by construction, usable as a [`Name`](actor_core::Name) at start.
//! - **Process groups** ([`ProcessGroups`], `pg`).
//!
//! `docs/distribution.md` maps Erlang's distribution onto this crate and states the
//! guarantees; ADR 0006 records the choice of NATS and the server version relied on.
//!
//! # Examples
//!
//! ```no_run
//! use actor_cluster::{Node, NodeName, NodeOptions};
//!
//! # #[tokio::main] async fn main() -> Result<(), actor_cluster::ClusterError> {
//! let a = Node::start(NodeOptions::new(NodeName::new("a")?, "nats://127.0.0.1:4222")).await?;
//! let b = Node::start(NodeOptions::new(NodeName::new("b")?, "nats://127.0.0.1:4222")).await?;
//! let mut seen = a.subscribe();
//! let up = seen.recv().await; // NodeEvent::Up("b") within a heartbeat
//! # let _ = up;
//! b.stop().await;             // a sees Down { node: "b", reason: Stopped }
//! # Ok(()) }
//! ```
#![doc(test(attr(deny(warnings))))]

mod error;
mod global;
mod hash;
mod links;
mod node;
mod options;
mod pg;
mod remote;
mod transport;
mod wire;

pub use error::ClusterError;
pub use global::{GlobalError, GlobalNames, GlobalOptions, NameLost};
pub use node::{DownReason, Node, NodeEvent, NodeMonitor};
pub use options::{Auth, NodeName, NodeOptions, Tls};
pub use pg::ProcessGroups;
pub use remote::{NoConnection, RemoteCallError, RemoteMessage, RemotePid, RemoteRef, SendError};
