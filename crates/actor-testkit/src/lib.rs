//! A probe process for tests, as ExUnit's test process is one: the parent of what a test
//! starts, trapping exits, monitoring, registering, and receiving with a pattern and a
//! timeout.
//!
//! Test code is not an actor, so without help it cannot be the parent of `start_link`, see
//! an `EXIT`, hold a monitor or a `Registry` entry, or wait for "a message like this one
//! within 100 ms". A [`Probe`] is an actor the test drives from outside: it does those
//! things as itself and hands everything it receives to the test.
//!
//! | ExUnit / Erlang | here |
//! |---|---|
//! | the test process; `Process.flag(:trap_exit, true)` | [`Probe::start`] (traps exits) |
//! | `start_link` from the test | [`Probe::start_link`], [`Probe::run`] |
//! | `Process.monitor/1`, `Process.link/1` | [`Probe::monitor`], [`Probe::link`] |
//! | `Process.register/2`, `Registry.register/3` | [`Probe::register`], `probe.run(async move { reg.register(..) })` |
//! | `assert_receive pattern, timeout` | [`Probe::assert_receive`], [`Probe::assert_receive_within`] |
//! | `refute_receive`, `refute_received` | [`Probe::refute_receive`], [`Probe::refute_receive_within`] with zero |
//! | `assert_receive {:EXIT, ^pid, reason}` | [`Probe::assert_exit`] |
//! | `assert_receive {:DOWN, ^ref, _, _, reason}` | [`Probe::assert_down`] |
//! | `start_supervised/1`, `stop_supervised/1` | [`Probe::start_supervised`], [`Probe::stop_supervised`] |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use actor_core::{Actor, Context, InitError};
//! use actor_testkit::Probe;
//!
//! struct Ticker;
//! struct Tick;
//!
//! impl Actor for Ticker {
//!     type Args = actor_core::ActorRef<actor_testkit::ProbeActor>;
//!     async fn init(to: Self::Args, _: &mut Context<Self>) -> Result<Self, InitError> {
//!         to.send_after(Duration::from_secs(30), Tick); // a 30 s timer
//!         Ok(Ticker)
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let mut probe = Probe::start().await;
//!     probe.start_link::<Ticker>(probe.actor_ref().clone()).await.unwrap();
//!     probe.refute_receive(|_: &Tick| true).await;           // 100 ms of virtual time
//!     probe.assert_receive_within(Duration::from_secs(60), |_: &Tick| true).await;
//! }
//! ```
#![doc(test(attr(deny(warnings))))]

mod actor;
mod message;
mod probe;

pub use actor::{ProbeActor, ProbeArgs};
pub use message::{Kind, Message};
pub use probe::{DEFAULT_RECEIVE_TIMEOUT, DEFAULT_REFUTE_TIMEOUT, Probe};
