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

mod dynamic;
mod error;
mod flags;
mod intensity;
mod shutdown;
mod spec;
mod strategy;
mod supervisor;
mod task;

pub use dynamic::{
    DynamicArgs, DynamicBuilder, DynamicOptions, DynamicSupervisor, DynamicSupervisorRef,
    SimpleBuilder, SimpleOneForOne,
};
pub use error::{ChildError, FlagsError, SpecError, SupervisorStartError};
pub use flags::{AutoShutdown, Strategy, SupervisorFlags};
pub use spec::{
    ChildId, ChildOptions, ChildSpec, ChildType, ExtraArgs, Restart, Shutdown, StartFuture, started,
};
pub use supervisor::{
    ChildCounts, ChildInfo, ChildPid, Supervise, Supervisor, SupervisorArgs, SupervisorBuilder,
    SupervisorRef, SupervisorSpec,
};
pub use task::{Task, TaskError, TaskSupervisor, TaskSupervisorBuilder, TaskSupervisorRef};
