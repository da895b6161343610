//! Conformance: the same scenarios on real Erlang/OTP (`supervisor`, `gen_server`), on
//! Elixir (`DynamicSupervisor`, `Registry`) and on this framework; the normalized traces
//! must be identical line for line.
//!
//! - [`scenario`]: the data format (serde) and its rendering as Erlang terms;
//! - [`generate`]: the seeded generator of random trees and scripts;
//! - [`rust_runner`]: the runner on our crates;
//! - [`compare`]: running the external runners and reporting the first diverging line.
//!
//! `just conformance` runs the hand-written scenarios in `scenarios/` plus generated ones.
//!
//! # Examples
//!
//! ```
//! use conformance::scenario::Scenario;
//! let s: Scenario = serde_json::from_str(r#"{
//!     "name": "one worker", "kind": "supervisor",
//!     "tree": {"strategy": "one_for_one", "intensity": 1, "period": 3600,
//!              "auto_shutdown": "never",
//!              "children": [{"id": "a", "restart": "permanent", "shutdown": {"timeout": 500}}]},
//!     "events": [{"exit": {"path": ["a"], "reason": "crash"}}, "stop"]
//! }"#).unwrap();
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let trace = conformance::rust_runner::run(&s).await;
//! assert_eq!(trace[1..4], ["start a#1", "tree [a=a#1]", "> 1"]);
//! # });
//! ```

pub mod compare;
pub mod generate;
pub mod rust_runner;
pub mod scenario;
