//! OTP supervisors on [`actor_core`]: static supervisors with the `one_for_one`,
//! `one_for_all` and `rest_for_one` strategies, dynamic supervisors, the simple_one_for_one
//! flavour, and task supervisors, with OTP's restart rules, restart intensity, shutdown order
//! and auto shutdown.
//!
//! # Quick start
//!
//! ```
//! use std::time::Duration;
//! use actor_core::{Actor, Call, CallReply, Context, ExitReason, InitError};
//! use actor_supervisor::{ChildSpec, Restart, Strategy, Supervisor};
//!
//! struct Queue(Vec<u32>);
//! struct Pop;
//!
//! impl Actor for Queue {
//!     type Args = Vec<u32>;
//!     async fn init(items: Vec<u32>, _: &mut Context<Self>) -> Result<Self, InitError> {
//!         Ok(Queue(items))
//!     }
//! }
//! impl Call<Pop> for Queue {
//!     type Reply = Option<u32>;
//!     async fn handle_call(&mut self, _: Pop, _: &mut Context<Self>) -> CallReply<Option<u32>> {
//!         CallReply::Reply(self.0.pop())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let sup = Supervisor::builder()
//!     .strategy(Strategy::OneForOne)
//!     .intensity(3, Duration::from_secs(5))
//!     .child(ChildSpec::worker::<Queue>("queue", vec![1, 2, 3]).restart(Restart::Permanent))
//!     .start_link()
//!     .await
//!     .unwrap();
//! let counts = sup.count_children().await.unwrap();
//! assert_eq!(counts.active, 1);
//! sup.stop(ExitReason::Shutdown).await.unwrap();
//! # }
//! ```
//!
//! `docs/supervision.md` in the repository maps every OTP and Elixir supervisor function to
//! its Rust equivalent here.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]
#![warn(clippy::print_stdout)]

mod application;
mod builder;
mod child;
#[cfg(feature = "serde")]
mod config;
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub mod duration;
mod dynamic;
mod engine;
mod error;
mod events;
mod flags;
mod info;
mod inspect;
mod intensity;
mod server;
mod shutdown;
mod simple;
mod spec;
mod strategy;
mod supervisor;
mod task;

pub use application::{Application, Ended, Outcome, RestartLimit};
pub use child::Child;
pub use dynamic::{DynamicBuilder, DynamicSupervisor, DynamicSupervisorRef};
pub use error::{ChildError, FlagsError, SpecError, SupervisorStartError};
pub use events::{EVENT_BUFFER, SupervisorEvent, SupervisorEventKind, subscribe};
pub use flags::{AutoShutdown, Strategy, SupervisorFlags};
pub use info::{ChildCounts, ChildInfo, ChildPid};
pub use inspect::{
    ChildReport, SupervisorKind, SupervisorReport, SupervisorTree, inspect, inspect_tree,
};
pub use server::{Supervisor, SupervisorArgs};
pub use simple::{SimpleBuilder, SimpleOneForOne};
pub use spec::{
    ChildId, ChildOptions, ChildSpec, ChildType, ExtraArgs, Restart, Shutdown, StartFuture, started,
};
pub use supervisor::{Supervise, SupervisorBuilder, SupervisorRef, SupervisorSpec};
pub use task::{Task, TaskError, TaskSupervisor, TaskSupervisorBuilder, TaskSupervisorRef};

/// Derives [`Child`] for an actor (or a [`Supervise`] type): `Type::child_spec(args)` returns
/// a ready [`ChildSpec`], with options as `#[child(...)]` attributes, and
/// `Type::child_spec_named(args, name)` the same spec with the child registered under `name`
/// at every start (one named child per key: [`ChildSpec::worker_named`]). Available with the
/// `derive` feature.
///
/// | attribute | values | default |
/// |---|---|---|
/// | `id` | a string | the type's name |
/// | `restart` | `"permanent"`, `"transient"`, `"temporary"` | `"permanent"` |
/// | `shutdown` | `"brutal_kill"`, `"infinity"`, a duration such as `"500ms"`, `"10s"`, `"2m"` | 5 s for a worker, `infinity` for a supervisor |
/// | `type` | `"worker"` (an [`Actor`](actor_core::Actor)), `"supervisor"` (a [`Supervise`] type) | `"worker"` |
/// | `significant` | `true`, `false` | `false` |
/// | `crate` | a path to this crate, if renamed | `::actor_supervisor` |
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{Child, Restart, Shutdown};
///
/// #[derive(Child)]
/// #[child(restart = "transient", shutdown = "10s")]
/// struct Session;
///
/// impl Actor for Session {
///     type Args = u64;
///     async fn init(_user: u64, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Session) }
/// }
///
/// let spec = Session::child_spec(7);
/// assert_eq!(spec.id().as_str(), "Session");
/// assert_eq!(spec.get_restart(), Restart::Transient);
/// assert_eq!(spec.get_shutdown(), Shutdown::Timeout(std::time::Duration::from_secs(10)));
/// ```
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use actor_macros::Child;

/// What generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::{ChildSpec, ChildType, Restart, Shutdown, Supervise, Supervisor};
    pub use actor_core::{Actor, Name};
    pub use std::time::Duration;
}
