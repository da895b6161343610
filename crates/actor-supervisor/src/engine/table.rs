//! The child table every supervisor flavour keeps: children in start order, found by key,
//! by id or by pid.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeBounds;

use actor_core::{ActorId, ExitReason, Pid};
use rustc_hash::FxBuildHasher;

use crate::info::ChildPid;
use crate::spec::{ChildId, ChildSpec};
use crate::strategy::ChildView;

/// A child's place in the table: keys grow with every child added, so key order is start
/// order, and a child restarted in place keeps its key.
pub(crate) type Key = u64;

/// One child: its spec and its state.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) spec: ChildSpec,
    pub(crate) state: ChildPid,
    /// The pid it is found by in `by_pid`: its current one, or the last one while it is
    /// restarting (OTP's `{restarting, OldPid}`); `None` when it is not running.
    known_as: Option<ActorId>,
    /// Times it was started again after an exit.
    pub(crate) restarts: u32,
    /// The reason of its last exit.
    pub(crate) last_exit: Option<ExitReason>,
}

impl Entry {
    pub(crate) fn view(&self) -> ChildView {
        ChildView {
            restart: self.spec.get_restart(),
            running: matches!(self.state, ChildPid::Running(_)),
        }
    }
}

/// The children of one supervisor.
///
/// Invariant: `by_pid` maps exactly the `known_as` of every entry that has one, to that
/// entry's key. Hashed with `FxHash`: actor ids are the runtime's own sequence numbers, not
/// chosen by anyone outside, so a keyed hash buys nothing there.
#[derive(Debug, Default)]
pub(crate) struct ChildTable {
    entries: BTreeMap<Key, Entry>,
    by_pid: HashMap<ActorId, Key, FxBuildHasher>,
    next: Key,
}

impl ChildTable {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a child at the end of the start order.
    pub(crate) fn push(&mut self, spec: ChildSpec, state: ChildPid) -> Key {
        let key = self.next;
        self.next += 1;
        let known_as = state.pid().map(Pid::id);
        if let Some(id) = known_as {
            self.by_pid.insert(id, key);
        }
        self.entries.insert(
            key,
            Entry {
                spec,
                state,
                known_as,
                restarts: 0,
                last_exit: None,
            },
        );
        key
    }

    pub(crate) fn get(&self, key: Key) -> Option<&Entry> {
        self.entries.get(&key)
    }

    pub(crate) fn contains(&self, key: Key) -> bool {
        self.entries.contains_key(&key)
    }

    /// Sets a child's state. A running child is found by its pid from now on; a restarting
    /// one still by its last pid; a stopped one by none.
    pub(crate) fn set_state(&mut self, key: Key, state: ChildPid) {
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        let known_as = match &state {
            ChildPid::Running(pid) => Some(pid.id()),
            ChildPid::Restarting => entry.known_as,
            ChildPid::Undefined => None,
        };
        if entry.known_as != known_as {
            if let Some(old) = entry.known_as.take() {
                self.by_pid.remove(&old);
            }
            if let Some(new) = known_as {
                self.by_pid.insert(new, key);
            }
            entry.known_as = known_as;
        }
        entry.state = state;
    }

    /// Records a child's exit reason.
    pub(crate) fn note_exit(&mut self, key: Key, reason: ExitReason) {
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.last_exit = Some(reason);
        }
    }

    /// Counts a restart of the child; returns its restarts so far.
    pub(crate) fn count_restart(&mut self, key: Key) -> u32 {
        self.entries.get_mut(&key).map_or(0, |entry| {
            entry.restarts = entry.restarts.saturating_add(1);
            entry.restarts
        })
    }

    pub(crate) fn remove(&mut self, key: Key) -> Option<Entry> {
        let entry = self.entries.remove(&key)?;
        if let Some(id) = entry.known_as {
            self.by_pid.remove(&id);
        }
        Some(entry)
    }

    /// Removes every child, oldest first.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Entry> {
        self.by_pid.clear();
        std::mem::take(&mut self.entries).into_values()
    }

    /// The key of the child known by `pid` (running, or restarting after it).
    pub(crate) fn key_of_pid(&self, pid: &Pid) -> Option<Key> {
        self.by_pid.get(&pid.id()).copied()
    }

    /// The key of the child with this id (the first one, oldest first).
    pub(crate) fn key_of_id(&self, id: &ChildId) -> Option<Key> {
        self.entries
            .iter()
            .find(|(_, e)| e.spec.id() == id)
            .map(|(k, _)| *k)
    }

    /// Keys in start order, within `range`.
    pub(crate) fn keys_in(
        &self,
        range: impl RangeBounds<Key>,
    ) -> impl DoubleEndedIterator<Item = Key> + '_ {
        self.entries.range(range).map(|(k, _)| *k)
    }

    /// The children, oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str) -> ChildSpec {
        ChildSpec::new(id, || async { Ok(None) })
    }

    #[test]
    fn keys_follow_start_order_and_ids_find_the_oldest() {
        let mut t = ChildTable::default();
        let a = t.push(spec("a"), ChildPid::Undefined);
        let b = t.push(spec("b"), ChildPid::Undefined);
        let a2 = t.push(spec("a"), ChildPid::Undefined);
        assert!(a < b && b < a2);
        assert_eq!(t.key_of_id(&ChildId::from("a")), Some(a));
        assert_eq!(t.keys_in(b..).collect::<Vec<_>>(), vec![b, a2]);
        t.remove(a);
        assert_eq!(t.key_of_id(&ChildId::from("a")), Some(a2));
        assert_eq!(t.len(), 2);
    }
}
