//! Introspection: live actors and per-actor snapshots.

use std::sync::LazyLock;

use dashmap::DashMap;
use rustc_hash::FxBuildHasher;

use crate::pid::{ActorId, Pid};

/// Where an actor is in its life.
///
/// # Examples
///
/// ```
/// # use actor_core::{Actor, Context, InitError, Status, ExitReason};
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Args = ();
/// #     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let a = Idle::start(()).await.unwrap();
/// assert_eq!(a.status(), Status::Running);
/// a.stop(ExitReason::Normal).await.unwrap();
/// assert_eq!(a.status(), Status::Dead);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Status {
    /// `init` is running.
    Starting,
    /// Handling messages.
    Running,
    /// `terminate` is running.
    Terminating,
    /// Fully terminated: names released, links and monitors signalled.
    Dead,
}

/// A snapshot of one actor, for observers and tests (like `Process.info/1`).
///
/// # Examples
///
/// ```
/// # use actor_core::{Actor, Context, InitError, Status};
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Args = ();
/// #     async fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, InitError> { ctx.trap_exit(true); Ok(Idle) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let a = Idle::start(()).await.unwrap();
/// let info = a.info();
/// assert_eq!(info.status, Status::Running);
/// assert!(info.trap_exit);
/// assert_eq!(info.mailbox_len, 0);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActorInfo {
    /// The actor's id.
    pub id: ActorId,
    /// The Rust type of the actor.
    pub type_name: &'static str,
    /// Its lifecycle status.
    pub status: Status,
    /// Messages queued and not yet taken.
    pub mailbox_len: usize,
    /// The actors it is linked with.
    pub links: Vec<ActorId>,
    /// The actors monitoring it, one entry per monitor (monitors stack).
    pub monitored_by: Vec<ActorId>,
    /// The actors it monitors, one entry per monitor it holds, oldest first.
    pub monitors: Vec<ActorId>,
    /// Whether it traps exits.
    pub trap_exit: bool,
    /// Its registered names, as their keys print.
    pub names: Vec<String>,
    /// Messages and callbacks handled so far (`init` excluded; a continuation and an idle
    /// timeout count as one each): `Process.info(pid, :reductions)`'s rough cousin.
    pub messages_handled: u64,
    /// When it was spawned, to the second.
    pub started_at: std::time::SystemTime,
}

/// Keyed by ids this crate hands out in sequence (nobody else picks them), so hashed with
/// `rustc-hash`'s multiply-rotate rather than SipHash: every spawn and every exit touches it.
static LIVE: LazyLock<DashMap<ActorId, Pid, FxBuildHasher>> =
    LazyLock::new(|| DashMap::with_hasher(FxBuildHasher));

pub(crate) fn remember(pid: &Pid) {
    LIVE.insert(pid.id(), pid.clone());
}

pub(crate) fn forget(id: ActorId) {
    LIVE.remove(&id);
}

/// Every actor of this program that has not fully terminated, in id order:
/// `Process.list/0`. This observer table is the only process-wide state; no behaviour
/// depends on it.
///
/// # Examples
///
/// ```
/// # use actor_core::{Actor, Context, InitError};
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Args = ();
/// #     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let a = Idle::start(()).await.unwrap();
/// assert!(actor_core::live_actors().contains(&a.pid()));
/// # }
/// ```
pub fn live_actors() -> Vec<Pid> {
    let mut all: Vec<Pid> = LIVE.iter().map(|e| e.value().clone()).collect();
    all.sort();
    all
}

/// The actor with this id, if it has not fully terminated.
///
/// # Examples
///
/// ```
/// # use actor_core::{Actor, Context, InitError};
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Args = ();
/// #     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let a = Idle::start(()).await.unwrap();
/// let id = actor_core::ActorId::from_u64(a.id().as_u64());
/// assert_eq!(actor_core::find_actor(id), Some(a.pid()));
/// # }
/// ```
pub fn find_actor(id: ActorId) -> Option<Pid> {
    LIVE.get(&id).map(|e| e.value().clone())
}

/// How many actors of this program have not fully terminated.
///
/// # Examples
///
/// ```
/// assert_eq!(actor_core::live_count(), 0);
/// ```
pub fn live_count() -> usize {
    LIVE.len()
}
