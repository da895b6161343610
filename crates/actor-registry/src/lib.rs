//! Names for [`actor_core`] actors: a local name table, an Elixir-style [`Registry`] with
//! unique and duplicate keys, and via-names, so any registry can name an actor at start.
//!
//! # Quick start
//!
//! ```
//! use actor_core::{Actor, Context, InitError};
//! use actor_registry::{LocalRegistry, Registry};
//!
//! struct Session;
//! impl Actor for Session {
//!     type Args = ();
//!     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Session) }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // A local name, like {local, :session}.
//! let names = LocalRegistry::new();
//! let s = Session::start(()).name(names.name("session")).await.unwrap();
//! assert_eq!(names.whereis("session"), Some(s.pid()));
//!
//! // A via-name in a unique Registry, like {:via, Registry, {Sessions, {user, game}}}.
//! let sessions = Registry::<(u64, u64), ()>::unique("sessions").start_link().await.unwrap();
//! let s2 = Session::start(()).name(sessions.via((1, 1))).await.unwrap();
//! assert_eq!(sessions.whereis(&(1, 1)), Some(s2.pid()));
//! # }
//! ```
//!
//! `docs/registry.md` in the repository maps Elixir's `Registry` to this crate.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]
#![warn(clippy::print_stdout)]

mod builder;
mod error;
mod local;
mod owner;
mod registry;
mod table;
mod via;

pub use builder::RegistryBuilder;
pub use error::{LookupError, RegistryError};
pub use local::{LocalName, LocalRegistry};
pub use registry::{Keys, OwnerStart, Registry, RegistryEvent, RegistryKey, RegistryValue};
