//! OTP's GenServer on tokio: actors with typed calls, casts and infos, `init` /
//! `terminate` / `handle_continue`, exit reasons, links, monitors, `trap_exit` and timers,
//! with the semantics of Erlang/OTP.
//!
//! An actor is a type implementing [`Actor`], plus one [`Call`], [`Cast`] or [`Info`] impl
//! per message type it accepts. Each actor runs in its own tokio task and owns its state as
//! `&mut self`. [`ActorRef<A>`] is the typed handle; [`Pid`] the untyped one used by links,
//! monitors and registries.
//!
//! # Quick start
//!
//! ```
//! use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError};
//!
//! struct Counter { count: u64 }
//!
//! struct Add(u64);     // a cast
//! struct Get;          // a call, replying u64
//!
//! impl Actor for Counter {
//!     type Args = u64;
//!     async fn init(start: u64, _ctx: &mut Context<Self>) -> Result<Self, InitError> {
//!         Ok(Counter { count: start })
//!     }
//! }
//!
//! impl Cast<Add> for Counter {
//!     async fn handle_cast(&mut self, Add(n): Add, _ctx: &mut Context<Self>) -> Flow {
//!         self.count += n;
//!         Flow::Ok
//!     }
//! }
//!
//! impl Call<Get> for Counter {
//!     type Reply = u64;
//!     async fn handle_call(&mut self, _: Get, _ctx: &mut Context<Self>) -> CallReply<u64> {
//!         CallReply::Reply(self.count)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let counter = Counter::start(10).await.unwrap();   // returns once init has run
//! counter.cast(Add(5));                               // fire and forget
//! assert_eq!(counter.call(Get).await.unwrap(), 15);   // 5 s default timeout
//! counter.stop(ExitReason::Normal).await.unwrap();    // runs terminate, waits for the exit
//! # }
//! ```
//!
//! # The contract
//!
//! `docs/semantics.md` in the repository states the runtime contract: message ordering,
//! call timeouts and late replies, what exit signals do with and without `trap_exit`,
//! panics, and when names are released. Each rule cites the OTP rule it implements.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]
#![warn(clippy::print_stdout)]

mod actor;
mod actor_ref;
mod call_ticks;
mod call_timer;
mod cell;
mod clock;
mod context;
mod current;
mod envelope;
mod error;
mod exit;
mod handler;
mod harness;
mod mailbox;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
mod name;
mod observe;
mod pid;
mod relations;
mod reply;
mod request;
mod run_loop;
mod signal;
mod spawn;
mod stream;
mod sync;
mod system;
mod timer;

#[cfg(all(loom, test))]
mod loom_tests;
#[cfg(test)]
mod test_actor;

pub use actor::{Actor, InitError};
pub use actor_ref::{ActorRef, DEFAULT_CALL_TIMEOUT, WeakActorRef};
pub use context::Context;
pub use error::{CallError, DowncastError, RegisterError, StartError, StopError, TrySendError};
pub use exit::ExitReason;
pub use handler::{Call, CallReply, Cast, Continue, Flow, Info, ReplyTo};
pub use harness::{CatchPanic, catch_panic};
pub use mailbox::Mailbox;
pub use name::{Name, NameRegistry, RegisterFuture};
pub use observe::{report_panics_with_tracing, set_span_level, span_level};
pub use pid::{ActorId, Pid};
pub use request::PendingReply;
pub use signal::{Down, Exit, MonitorRef, link, link_pids, self_pid, unlink, unlink_pids};
pub use spawn::{Start, StartFuture};
pub use stream::{StreamMessage, StreamRef};
pub use system::{ActorInfo, Status, find_actor, live_actors, live_count};
pub use timer::TimerRef;
