//! The registry's storage: partitions over DashMap. Unique registries partition by key,
//! duplicate registries by pid, as Elixir's do. Entries are indexed by key and then by pid,
//! and each pid's keys are counted, so registering, unregistering and cleaning up one actor
//! never scans other actors' entries. Every method is synchronous and returns clones; no
//! guard outlives a call.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};

use actor_core::{ActorId, Pid};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::registry::Keys;

/// One actor's values under one key (several in a duplicate registry).
struct Slot<V> {
    pid: Pid,
    values: Vec<V>,
}

struct Partition<K, V> {
    by_key: DashMap<K, HashMap<ActorId, Slot<V>>>,
    /// For each actor, its keys here and how many entries under each.
    by_pid: DashMap<ActorId, HashMap<K, usize>>,
}

impl<K: Eq + Hash, V> Default for Partition<K, V> {
    fn default() -> Self {
        Self {
            by_key: DashMap::new(),
            by_pid: DashMap::new(),
        }
    }
}

pub(crate) struct Table<K, V> {
    keys: Keys,
    partitions: Vec<Partition<K, V>>,
    hasher: RandomState,
}

/// What `register` found.
pub(crate) enum Inserted {
    Ok { first_key_of_pid: bool },
    Taken(Pid),
}

/// What `unregister_where` did.
pub(crate) struct Removed<V> {
    pub(crate) count: usize,
    /// In a unique table (an actor has at most one value under a key), the value removed;
    /// always `None` in a duplicate one, whose values nobody needs back.
    pub(crate) value: Option<V>,
    /// The actor has no entry left under this key.
    pub(crate) key_cleared: bool,
    /// The actor has no entry left in the registry.
    pub(crate) pid_cleared: bool,
}

impl<K, V> Table<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    pub(crate) fn new(keys: Keys, partitions: usize) -> Self {
        let n = partitions.max(1);
        Self {
            keys,
            partitions: (0..n).map(|_| Partition::default()).collect(),
            hasher: RandomState::new(),
        }
    }

    fn index(&self, h: u64) -> usize {
        usize::try_from(h % self.partitions.len() as u64).unwrap_or(0)
    }

    fn by_key_part(&self, key: &K) -> &Partition<K, V> {
        &self.partitions[self.index(self.hasher.hash_one(key))]
    }

    fn by_pid_part(&self, pid: ActorId) -> &Partition<K, V> {
        &self.partitions[self.index(pid.as_u64())]
    }

    /// The partition an entry of `pid` under `key` lives in.
    fn home(&self, key: &K, pid: ActorId) -> &Partition<K, V> {
        match self.keys {
            Keys::Unique => self.by_key_part(key),
            Keys::Duplicate => self.by_pid_part(pid),
        }
    }

    /// The one partition `one` if given, else all of them.
    fn one_or_all<'a>(
        &'a self,
        one: Option<&'a Partition<K, V>>,
    ) -> impl Iterator<Item = &'a Partition<K, V>> {
        let all = one
            .is_none()
            .then(|| self.partitions.iter())
            .into_iter()
            .flatten();
        one.into_iter().chain(all)
    }

    /// The partitions that may hold entries of `pid`.
    fn homes_of_pid(&self, pid: ActorId) -> impl Iterator<Item = &Partition<K, V>> {
        self.one_or_all((self.keys == Keys::Duplicate).then(|| self.by_pid_part(pid)))
    }

    /// The partitions that may hold entries under `key`.
    fn homes_of_key(&self, key: &K) -> impl Iterator<Item = &Partition<K, V>> {
        self.one_or_all((self.keys == Keys::Unique).then(|| self.by_key_part(key)))
    }

    fn has_keys(&self, pid: ActorId) -> bool {
        self.homes_of_pid(pid).any(|p| p.by_pid.contains_key(&pid))
    }

    pub(crate) fn register(&self, key: K, pid: &Pid, value: V) -> Inserted {
        let first_key_of_pid = !self.has_keys(pid.id());
        let part = self.home(&key, pid.id());
        match self.keys {
            Keys::Unique => match part.by_key.entry(key.clone()) {
                Entry::Occupied(mut e) => {
                    if let Some(holder) = e.get().values().map(|s| &s.pid).find(|p| p.is_alive()) {
                        return Inserted::Taken(holder.clone());
                    }
                    // A dead holder is replaced; its own cleanup only removes its own entries,
                    // and its key count is corrected here.
                    for old in e.get().keys() {
                        forget_key(&part.by_pid, *old, &key, usize::MAX);
                    }
                    e.insert(HashMap::from([(
                        pid.id(),
                        Slot {
                            pid: pid.clone(),
                            values: vec![value],
                        },
                    )]));
                }
                Entry::Vacant(e) => {
                    e.insert(HashMap::from([(
                        pid.id(),
                        Slot {
                            pid: pid.clone(),
                            values: vec![value],
                        },
                    )]));
                }
            },
            Keys::Duplicate => {
                let mut slots = part.by_key.entry(key.clone()).or_default();
                slots
                    .entry(pid.id())
                    .or_insert_with(|| Slot {
                        pid: pid.clone(),
                        values: Vec::new(),
                    })
                    .values
                    .push(value);
            }
        }
        *part
            .by_pid
            .entry(pid.id())
            .or_default()
            .entry(key)
            .or_insert(0) += 1;
        Inserted::Ok { first_key_of_pid }
    }

    /// Removes `pid`'s entries under `key` whose position `gone` picks, positions as in what
    /// [`values`](Self::values) returns (only `pid` changes its entries, so they stay put).
    /// `gone` is the framework's own, never user code: it runs under the table's lock.
    pub(crate) fn unregister_marked(
        &self,
        key: &K,
        pid: ActorId,
        gone: impl Fn(usize) -> bool,
    ) -> Removed<V> {
        let part = self.home(key, pid);
        let mut gone_values = Vec::new();
        let mut key_cleared = true;
        if let Some(mut slots) = part.by_key.get_mut(key) {
            if let Some(slot) = slots.get_mut(&pid) {
                let all = std::mem::take(&mut slot.values);
                for (i, v) in all.into_iter().enumerate() {
                    if gone(i) {
                        gone_values.push(v);
                    } else {
                        slot.values.push(v);
                    }
                }
                key_cleared = slot.values.is_empty();
                if key_cleared {
                    slots.remove(&pid);
                }
            }
        }
        part.by_key.remove_if(key, |_, slots| slots.is_empty());
        let count = gone_values.len();
        if count > 0 {
            forget_key(&part.by_pid, pid, key, count);
        }
        // Moved out, not cloned; the rest (user `Drop`) go here, after the locks.
        let value = if self.keys == Keys::Unique {
            gone_values.pop()
        } else {
            None
        };
        drop(gone_values);
        Removed {
            count,
            value,
            key_cleared,
            pid_cleared: !self.has_keys(pid),
        }
    }

    /// Removes every entry of a dead actor.
    pub(crate) fn remove_pid(&self, pid: ActorId) {
        for part in self.homes_of_pid(pid) {
            // The key entries go first and the pid's index last, so that once `keys_of(pid)`
            // is empty no entry of `pid` is left anywhere.
            let keys: Vec<K> = match part.by_pid.get(&pid) {
                Some(keys) => keys.keys().cloned().collect(),
                None => continue,
            };
            for key in &keys {
                if let Some(mut slots) = part.by_key.get_mut(key) {
                    slots.remove(&pid);
                }
                part.by_key.remove_if(key, |_, slots| slots.is_empty());
            }
            part.by_pid.remove(&pid);
        }
    }

    pub(crate) fn clear(&self) {
        for part in &self.partitions {
            part.by_key.clear();
            part.by_pid.clear();
        }
    }

    fn entries_in(part: &Partition<K, V>, key: &K, out: &mut Vec<(Pid, V)>) {
        if let Some(slots) = part.by_key.get(key) {
            for slot in slots.values() {
                out.extend(slot.values.iter().map(|v| (slot.pid.clone(), v.clone())));
            }
        }
    }

    /// Entries under `key`; a unique registry hides a dead holder.
    pub(crate) fn lookup(&self, key: &K) -> Vec<(Pid, V)> {
        let mut out = Vec::new();
        for part in self.homes_of_key(key) {
            Self::entries_in(part, key, &mut out);
        }
        if self.keys == Keys::Unique {
            out.retain(|(p, _)| p.is_alive());
        }
        out
    }

    /// `pid`'s values under `key`.
    pub(crate) fn values(&self, key: &K, pid: ActorId) -> Vec<V> {
        self.home(key, pid)
            .by_key
            .get(key)
            .and_then(|slots| slots.get(&pid).map(|s| s.values.clone()))
            .unwrap_or_default()
    }

    /// Entries under `key`, grouped by partition (for `dispatch`).
    pub(crate) fn lookup_by_partition(&self, key: &K) -> Vec<Vec<(Pid, V)>> {
        self.homes_of_key(key)
            .map(|part| {
                let mut out = Vec::new();
                Self::entries_in(part, key, &mut out);
                out
            })
            .filter(|e| !e.is_empty())
            .collect()
    }

    /// The keys `pid` holds, each as many times as it has entries under it.
    pub(crate) fn keys_of(&self, pid: ActorId) -> Vec<K> {
        let mut out = Vec::new();
        for part in self.homes_of_pid(pid) {
            if let Some(keys) = part.by_pid.get(&pid) {
                for (k, n) in keys.iter() {
                    out.extend(std::iter::repeat_n(k.clone(), *n));
                }
            }
        }
        out
    }

    pub(crate) fn count(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| {
                p.by_key
                    .iter()
                    .map(|e| e.value().values().map(|s| s.values.len()).sum::<usize>())
                    .sum::<usize>()
            })
            .sum()
    }

    /// Every entry `(key, pid, value)`.
    pub(crate) fn entries(&self) -> Vec<(K, Pid, V)> {
        let mut out = Vec::new();
        for part in &self.partitions {
            for e in &part.by_key {
                for slot in e.value().values() {
                    for v in &slot.values {
                        out.push((e.key().clone(), slot.pid.clone(), v.clone()));
                    }
                }
            }
        }
        out
    }

    /// Replaces the value of `pid`'s entry under a unique `key`; `false` if it holds none.
    pub(crate) fn replace_value(&self, key: &K, pid: ActorId, new: V) -> bool {
        let part = self.by_key_part(key);
        let old = {
            let Some(mut slots) = part.by_key.get_mut(key) else {
                return false;
            };
            match slots.get_mut(&pid).and_then(|s| s.values.first_mut()) {
                Some(value) => std::mem::replace(value, new),
                None => return false,
            }
        };
        // The old value (user `Drop`) goes after the lock.
        drop(old);
        true
    }
}

/// Lowers `pid`'s count of entries under `key` by `n` (saturating), dropping empty records.
fn forget_key<K: Eq + Hash>(
    by_pid: &DashMap<ActorId, HashMap<K, usize>>,
    pid: ActorId,
    key: &K,
    n: usize,
) {
    if let Some(mut keys) = by_pid.get_mut(&pid) {
        if let Some(count) = keys.get_mut(key) {
            *count = count.saturating_sub(n);
            if *count == 0 {
                keys.remove(key);
            }
        }
    }
    by_pid.remove_if(&pid, |_, keys| keys.is_empty());
}
