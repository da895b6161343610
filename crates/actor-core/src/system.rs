//! Introspection: live actors and per-actor snapshots.

use std::sync::LazyLock;

use dashmap::DashMap;

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

/// Keyed by ids this crate hands out in sequence (nobody else picks them), hashed with
/// [`IdHash`]: every spawn and every exit touches it.
static LIVE: LazyLock<DashMap<ActorId, Pid, IdHash>> =
    LazyLock::new(|| DashMap::with_hasher(IdHash));

/// The hash of the live-actor table. Ids are handed out in sequence, so actors spawned (and
/// often stopped) together have neighbouring ids: each block of 8 neighbours hashes to 8
/// neighbouring slots (its low three bits are the id's own), so a run of spawns or exits
/// writes a few cache lines of the table rather than one per actor. The blocks are spread
/// over the table and its shards by a full 64-bit mix of the block number, so no pattern of
/// ids (every 8th, every 1024th) piles up in one place, and the id's low bits also go to
/// the top seven bits the table filters on, so neighbours are told apart there too.
#[derive(Clone, Copy, Default)]
struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// See [`IdHash`]. An `ActorId` hashes as one `u64`; other input (none in this crate) is
/// folded in byte by byte.
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        let id = self.0;
        let low = id & 7;
        (mix(id >> 3) & !7) ^ low ^ (low << 57)
    }
}

/// A bijective 64-bit finaliser (MurmurHash3's): every input bit moves every output bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;

    fn hash(id: u64) -> u64 {
        IdHash.hash_one(ActorId::from_u64(id))
    }

    #[test]
    fn neighbouring_ids_hash_to_neighbouring_slots_with_distinct_tags() {
        for block in [0u64, 1, 977, 1 << 40] {
            let first = hash(block * 8);
            for i in 0..8 {
                let h = hash(block * 8 + i);
                assert_eq!(h & !7 & ((1 << 57) - 1), first & !7 & ((1 << 57) - 1));
                assert_eq!(h & 7, (first & 7) ^ i);
            }
            let tags: HashSet<u64> = (0..8).map(|i| hash(block * 8 + i) >> 57).collect();
            assert_eq!(tags.len(), 8);
        }
    }

    #[test]
    fn no_stride_of_ids_piles_up_in_a_table() {
        // 4,096 ids into a table of 4,096 slots, seen as 512 blocks of 8: on average 8 ids
        // a block whatever the pattern. The ids of one block of 8 stay together; the blocks
        // go anywhere, so no table block takes more than a few blocks' worth.
        for stride in [1u64, 2, 3, 8, 64, 1024, 4096, 1 << 20, 1 << 32] {
            let mut per_block = [0u32; 512];
            for k in 0..4096u64 {
                per_block[((hash(1 + k * stride) & 4095) >> 3) as usize] += 1;
            }
            let fullest = per_block.iter().max().copied().unwrap_or(0);
            assert!(fullest <= 48, "stride {stride}: {fullest} ids in one block");
        }
    }
}
