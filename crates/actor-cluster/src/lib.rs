//! Distribution for `actor-core` on NATS: what Erlang distribution gives an Erlang node.
//!
//! This first part is the node and its membership: [`Node::start`] with a name and NATS
//! options (servers, token, user and password or NKey credentials, TLS passed through);
//! membership by heartbeat; [`NodeEvent`]s when a node comes up or goes down, to a stream
//! ([`Node::subscribe`]) or to an actor ([`Node::monitor_nodes`], Erlang's
//! `net_kernel:monitor_nodes/1`); a node that dies is seen down within its `down_after`
//! plus one heartbeat. Remote actors, global names and process groups build on it.
//!
//! `docs/distribution.md` maps Erlang's distribution onto this crate; ADR 0006 records
//! the choice of NATS and the server version relied on.
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
