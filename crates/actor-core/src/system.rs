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

/// Every actor that has not fully terminated, by id: every spawn and every exit touches it.
static LIVE: LazyLock<LiveTable<Pid>> = LazyLock::new(LiveTable::default);

/// Ids a [`Block`] covers.
const BLOCK: u64 = 8;

/// A table of values by id, for ids handed out in sequence (as this crate hands out
/// [`ActorId`]s: nobody else picks them) and mostly added and removed in runs of neighbours.
///
/// Neighbouring ids share one entry of `blocks`, so a run of spawns or exits touches one
/// entry (and one probe of the hash table) for every [`BLOCK`] ids, and the table has
/// `BLOCK` times fewer entries to grow and to move when it does. A value left alone in its
/// block, its neighbours gone, moves to `strays`, keyed by its own id, so long-lived values
/// scattered among short-lived ones cost an entry each, not a block each.
///
/// Values are taken out under the tables' locks and dropped after them: dropping the last
/// [`Pid`] of an actor drops its record, and with it whatever its mailbox still holds.
#[derive(Debug)]
struct LiveTable<V> {
    blocks: DashMap<u64, Block<V>, MixHash>,
    strays: DashMap<u64, V, MixHash>,
}

/// The values of [`BLOCK`] neighbouring ids.
#[derive(Debug)]
struct Block<V> {
    slots: [Option<V>; BLOCK as usize],
    /// How many slots are filled. Invariant: at least 1 while the block is in the table.
    live: u8,
}

impl<V> Default for Block<V> {
    fn default() -> Self {
        Self {
            slots: std::array::from_fn(|_| None),
            live: 0,
        }
    }
}

impl<V> Default for LiveTable<V> {
    fn default() -> Self {
        Self {
            blocks: DashMap::with_hasher(MixHash),
            strays: DashMap::with_hasher(MixHash),
        }
    }
}

impl<V: Clone> LiveTable<V> {
    /// Adds `value` under `id`. Ids are never handed out twice, so `id` holds nothing yet;
    /// if it did, the value it held is dropped, after the table's locks.
    fn insert(&self, id: u64, value: V) {
        let replaced = {
            let mut block = self.blocks.entry(id / BLOCK).or_default();
            let replaced = block.slots[slot_of(id)].replace(value);
            if replaced.is_none() {
                block.live += 1;
            }
            replaced
        };
        drop(replaced);
    }

    /// Removes and returns the value under `id`, if any; the caller drops it, after the
    /// table's locks.
    fn remove(&self, id: u64) -> Option<V> {
        let base = id / BLOCK * BLOCK;
        let mut taken = None;
        let mut displaced = None;
        // Under the block's lock: a value left alone moves to `strays` before its block leaves
        // the table, so a lookup finds it in one or the other. The locks are always taken in
        // this order (a block's, then a stray's), never the other way round.
        let emptied = self.blocks.remove_if_mut(&(id / BLOCK), |_, block| {
            taken = block.slots[slot_of(id)].take();
            if taken.is_none() {
                return false;
            }
            block.live -= 1;
            if block.live == 1 {
                let alone = block
                    .slots
                    .iter_mut()
                    .zip(base..)
                    .find_map(|(slot, at)| slot.take().map(|last| (at, last)));
                if let Some((at, last)) = alone {
                    displaced = self.strays.insert(at, last);
                    block.live = 0;
                }
            }
            block.live == 0
        });
        // Emptied, the block holds no value: dropping it drops none. `displaced` is always
        // `None` (ids are never handed out twice), and dropped here if not.
        drop((emptied, displaced));
        taken.or_else(|| self.strays.remove(&id).map(|(_, value)| value))
    }

    /// The value under `id`, if any.
    fn get(&self, id: u64) -> Option<V> {
        let in_block = self
            .blocks
            .get(&(id / BLOCK))
            .and_then(|block| block.slots[slot_of(id)].clone());
        in_block.or_else(|| self.strays.get(&id).map(|v| v.clone()))
    }

    /// Every value, in no order; one moved to `strays` while this runs may come twice.
    fn values(&self) -> Vec<V> {
        let mut all = Vec::new();
        for block in self.blocks.iter() {
            all.extend(block.slots.iter().flatten().cloned());
        }
        all.extend(self.strays.iter().map(|e| e.value().clone()));
        all
    }

    /// How many values the table holds; while others insert and remove, a value moving to
    /// `strays` as this runs may count twice.
    fn len(&self) -> usize {
        let in_blocks: usize = self.blocks.iter().map(|b| usize::from(b.live)).sum();
        in_blocks + self.strays.len()
    }
}

/// Where `id` sits in its block.
fn slot_of(id: u64) -> usize {
    // Less than `BLOCK`, a small constant: the cast cannot truncate.
    (id % BLOCK) as usize
}

/// The hash of the live-actor table's keys: block numbers and ids. Keys come in sequence,
/// so each is mixed in full ([`mix`]): no pattern of keys (every 8th, every 1024th) piles up
/// in one part of a table or in one of its shards.
#[derive(Clone, Copy, Default, Debug)]
struct MixHash;

impl std::hash::BuildHasher for MixHash {
    type Hasher = MixHasher;

    fn build_hasher(&self) -> MixHasher {
        MixHasher(0)
    }
}

/// See [`MixHash`]. A key hashes as one `u64`; other input (none in this crate) is folded in
/// byte by byte.
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        mix(self.0)
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
    LIVE.insert(pid.id().as_u64(), pid.clone());
}

pub(crate) fn forget(id: ActorId) {
    // Dropped here, after the table's locks.
    drop(LIVE.remove(id.as_u64()));
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
    let mut all = LIVE.values();
    all.sort();
    all.dedup();
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
    LIVE.get(id.as_u64())
}

/// How many actors of this program have not fully terminated.
///
/// It walks the live-actor table, so it takes time in proportion to the actors alive: an
/// observer's call, not one for a hot loop. While actors start or exit on other threads, the
/// count is a snapshot that may be off by a few of them; once they are done, it is exact.
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
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use dashmap::try_result::TryResult;

    use super::*;

    fn sorted(table: &LiveTable<u64>) -> Vec<u64> {
        let mut all = table.values();
        all.sort_unstable();
        all
    }

    #[test]
    fn a_table_finds_what_it_holds_until_it_is_removed() {
        let table = LiveTable::default();
        for id in 1..=100 {
            table.insert(id, id * 10);
        }
        assert_eq!(table.len(), 100);
        assert_eq!(table.get(37), Some(370));
        assert_eq!(table.get(0), None);
        assert_eq!(table.get(101), None);
        for id in (2..=100).step_by(2) {
            assert_eq!(table.remove(id), Some(id * 10));
        }
        assert_eq!(table.len(), 50);
        for id in 1..=100 {
            let expected = (id % 2 == 1).then_some(id * 10);
            assert_eq!(table.get(id), expected, "id {id}");
        }
        assert_eq!(
            sorted(&table),
            (1..=100).step_by(2).map(|id| id * 10).collect::<Vec<_>>()
        );
        // Removed already, or never there: nothing to return, nothing changes.
        assert_eq!(table.remove(2), None);
        assert_eq!(table.remove(1_000), None);
        assert_eq!(table.len(), 50);
    }

    #[test]
    fn a_value_left_alone_in_its_block_moves_out_of_it() {
        let table = LiveTable::default();
        let ids = 0..BLOCK * 64;
        for id in ids.clone() {
            table.insert(id, id);
        }
        assert_eq!(table.blocks.len(), 64);
        assert!(table.strays.is_empty());
        // Every block keeps one value: each moves to `strays`, and the blocks go.
        for id in ids.clone().filter(|id| id % BLOCK != 3) {
            assert_eq!(table.remove(id), Some(id));
        }
        assert!(table.blocks.is_empty());
        assert_eq!(table.strays.len(), 64);
        assert_eq!(table.len(), 64);
        for id in ids.clone() {
            let expected = (id % BLOCK == 3).then_some(id);
            assert_eq!(table.get(id), expected, "id {id}");
        }
        // A block taken again by later ids (its first ids are strays now).
        table.insert(BLOCK * 64 + 1, 1);
        for id in ids.filter(|id| id % BLOCK == 3) {
            assert_eq!(table.remove(id), Some(id));
        }
        assert_eq!(sorted(&table), vec![1]);
        assert_eq!(table.remove(BLOCK * 64 + 1), Some(1));
        assert_eq!(table.len(), 0);
        assert!(table.blocks.is_empty() && table.strays.is_empty());
    }

    #[test]
    fn a_value_moving_out_of_its_block_is_always_found() {
        // Two threads remove everything but one value a block, so every kept value moves to
        // `strays` while a third looks the kept values up, again and again: each lookup
        // finds its value, in the block or in `strays`, never in neither.
        const BLOCKS: u64 = 2_000;
        let table = LiveTable::default();
        for id in 0..BLOCK * BLOCKS {
            table.insert(id, id);
        }
        let kept = |id: &u64| id % BLOCK == 5;
        let removing = AtomicUsize::new(2);
        let misses = std::thread::scope(|scope| {
            for parity in 0..2 {
                let (table, removing) = (&table, &removing);
                scope.spawn(move || {
                    for id in (0..BLOCK * BLOCKS).filter(|id| !kept(id) && id % 2 == parity) {
                        assert_eq!(table.remove(id), Some(id));
                    }
                    removing.fetch_sub(1, Ordering::Release);
                });
            }
            let reader = scope.spawn(|| {
                let mut misses = 0;
                let mut rounds = 0;
                // At least one full round after both removers are done.
                while removing.load(Ordering::Acquire) > 0 || rounds == 0 {
                    for id in (0..BLOCK * BLOCKS).filter(kept) {
                        if table.get(id) != Some(id) {
                            misses += 1;
                        }
                    }
                    rounds += 1;
                }
                misses
            });
            reader.join().unwrap_or(usize::MAX)
        });
        assert_eq!(misses, 0);
        assert!(table.blocks.is_empty());
        assert_eq!(table.len(), BLOCKS as usize);
    }

    #[test]
    fn two_values_left_in_a_block_stay_in_it() {
        let table = LiveTable::default();
        for id in 0..BLOCK {
            table.insert(id, id);
        }
        for id in 2..BLOCK {
            table.remove(id);
        }
        assert_eq!(table.blocks.len(), 1);
        assert!(table.strays.is_empty());
        assert_eq!((table.get(0), table.get(1)), (Some(0), Some(1)));
        table.remove(0);
        assert!(table.blocks.is_empty());
        assert_eq!(table.get(1), Some(1));
    }

    /// A value that records, when dropped, whether a lock of [`PROBED`] was held.
    #[derive(Clone)]
    struct DropProbe(u64);

    static PROBED: LazyLock<LiveTable<DropProbe>> = LazyLock::new(LiveTable::default);
    static DROPPED_UNDER_LOCK: AtomicUsize = AtomicUsize::new(0);

    impl Drop for DropProbe {
        fn drop(&mut self) {
            let id = self.0;
            let block_locked =
                matches!(PROBED.blocks.try_get_mut(&(id / BLOCK)), TryResult::Locked);
            let stray_locked = matches!(PROBED.strays.try_get_mut(&id), TryResult::Locked);
            if block_locked || stray_locked {
                DROPPED_UNDER_LOCK.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    #[test]
    fn values_are_dropped_after_the_tables_locks() {
        // Dropping an actor's last `Pid` runs user code (what its mailbox holds).
        for id in 0..BLOCK * 4 {
            PROBED.insert(id, DropProbe(id));
        }
        // From blocks, from a block that empties, and from `strays`.
        for id in (0..BLOCK * 4).filter(|id| id % BLOCK != 5) {
            drop(PROBED.remove(id));
        }
        for id in (0..BLOCK * 4).filter(|id| id % BLOCK == 5) {
            drop(PROBED.remove(id));
        }
        assert_eq!(PROBED.len(), 0);
        assert_eq!(DROPPED_UNDER_LOCK.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn no_stride_of_keys_piles_up_in_a_table() {
        // 4,096 keys into a table of 4,096 slots, seen as 512 groups of 8: on average 8 keys
        // a group whatever the pattern, and no group takes more than a few times that.
        for stride in [1u64, 2, 3, 8, 64, 1024, 4096, 1 << 20, 1 << 32] {
            let mut per_group = [0u32; 512];
            for k in 0..4096u64 {
                per_group[((MixHash.hash_one(1 + k * stride) & 4095) >> 3) as usize] += 1;
            }
            let fullest = per_group.iter().max().copied().unwrap_or(0);
            assert!(
                fullest <= 32,
                "stride {stride}: {fullest} keys in one group"
            );
        }
    }
}
