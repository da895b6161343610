//! The registry's storage: partitions over DashMap. Unique registries partition by key,
//! duplicate registries by pid, as Elixir's do. Every method is synchronous and returns
//! clones; no guard outlives a call.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};

use actor_core::{ActorId, Pid};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::registry::Keys;

struct Partition<K, V> {
    by_key: DashMap<K, Vec<(Pid, V)>>,
    by_pid: DashMap<ActorId, Vec<K>>,
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

    fn by_key_part(&self, key: &K) -> &Partition<K, V> {
        let h = self.hasher.hash_one(key);
        &self.partitions[usize::try_from(h % self.partitions.len() as u64).unwrap_or(0)]
    }

    fn by_pid_part(&self, pid: ActorId) -> &Partition<K, V> {
        &self.partitions[usize::try_from(pid.as_u64() % self.partitions.len() as u64).unwrap_or(0)]
    }

    /// The partition an entry of `pid` under `key` lives in.
    fn home(&self, key: &K, pid: ActorId) -> &Partition<K, V> {
        match self.keys {
            Keys::Unique => self.by_key_part(key),
            Keys::Duplicate => self.by_pid_part(pid),
        }
    }

    /// The partitions that may hold entries of `pid`.
    fn homes_of_pid(&self, pid: ActorId) -> Vec<&Partition<K, V>> {
        match self.keys {
            Keys::Unique => self.partitions.iter().collect(),
            Keys::Duplicate => vec![self.by_pid_part(pid)],
        }
    }

    /// The partitions that may hold entries under `key`.
    fn homes_of_key(&self, key: &K) -> Vec<&Partition<K, V>> {
        match self.keys {
            Keys::Unique => vec![self.by_key_part(key)],
            Keys::Duplicate => self.partitions.iter().collect(),
        }
    }

    fn has_keys(&self, pid: ActorId) -> bool {
        self.homes_of_pid(pid)
            .iter()
            .any(|p| p.by_pid.get(&pid).is_some_and(|k| !k.is_empty()))
    }

    pub(crate) fn register(&self, key: K, pid: &Pid, value: V) -> Inserted {
        let first_key_of_pid = !self.has_keys(pid.id());
        let part = self.home(&key, pid.id());
        match self.keys {
            Keys::Unique => match part.by_key.entry(key.clone()) {
                Entry::Occupied(mut e) => {
                    if let Some((holder, _)) = e.get().first() {
                        if holder.is_alive() {
                            return Inserted::Taken(holder.clone());
                        }
                    }
                    // A dead holder is replaced; its own cleanup only removes its own entries.
                    e.insert(vec![(pid.clone(), value)]);
                }
                Entry::Vacant(e) => {
                    e.insert(vec![(pid.clone(), value)]);
                }
            },
            Keys::Duplicate => part
                .by_key
                .entry(key.clone())
                .or_default()
                .push((pid.clone(), value)),
        }
        part.by_pid.entry(pid.id()).or_default().push(key);
        Inserted::Ok { first_key_of_pid }
    }

    /// Removes `pid`'s entries under `key` whose value matches; returns how many went and
    /// whether `pid` has no key left in the registry.
    pub(crate) fn unregister_where(
        &self,
        key: &K,
        pid: ActorId,
        keep: impl Fn(&V) -> bool,
    ) -> (usize, bool) {
        let part = self.home(key, pid);
        let mut removed = 0;
        if let Some(mut entries) = part.by_key.get_mut(key) {
            let before = entries.len();
            entries.retain(|(p, v)| p.id() != pid || keep(v));
            removed = before - entries.len();
        }
        part.by_key.remove_if(key, |_, entries| entries.is_empty());
        if removed > 0 {
            if let Some(mut keys) = part.by_pid.get_mut(&pid) {
                // Drop as many copies of `key` as entries went, keeping the rest.
                let mut to_drop = removed;
                keys.retain(|k| {
                    if to_drop > 0 && k == key {
                        to_drop -= 1;
                        false
                    } else {
                        true
                    }
                });
            }
            part.by_pid.remove_if(&pid, |_, keys| keys.is_empty());
        }
        (removed, !self.has_keys(pid))
    }

    /// Removes every entry of a dead actor.
    pub(crate) fn remove_pid(&self, pid: ActorId) {
        for part in self.homes_of_pid(pid) {
            let Some((_, keys)) = part.by_pid.remove(&pid) else {
                continue;
            };
            for key in keys {
                if let Some(mut entries) = part.by_key.get_mut(&key) {
                    entries.retain(|(p, _)| p.id() != pid);
                }
                part.by_key.remove_if(&key, |_, entries| entries.is_empty());
            }
        }
    }

    pub(crate) fn clear(&self) {
        for part in &self.partitions {
            part.by_key.clear();
            part.by_pid.clear();
        }
    }

    /// Entries under `key`; a unique registry hides a dead holder.
    pub(crate) fn lookup(&self, key: &K) -> Vec<(Pid, V)> {
        let mut out = Vec::new();
        for part in self.homes_of_key(key) {
            if let Some(entries) = part.by_key.get(key) {
                out.extend(entries.iter().cloned());
            }
        }
        if self.keys == Keys::Unique {
            out.retain(|(p, _)| p.is_alive());
        }
        out
    }

    /// Entries under `key`, grouped by partition (for `dispatch`).
    pub(crate) fn lookup_by_partition(&self, key: &K) -> Vec<Vec<(Pid, V)>> {
        self.homes_of_key(key)
            .into_iter()
            .filter_map(|part| part.by_key.get(key).map(|e| e.clone()))
            .filter(|e| !e.is_empty())
            .collect()
    }

    pub(crate) fn keys_of(&self, pid: ActorId) -> Vec<K> {
        let mut out = Vec::new();
        for part in self.homes_of_pid(pid) {
            if let Some(keys) = part.by_pid.get(&pid) {
                out.extend(keys.iter().cloned());
            }
        }
        out
    }

    pub(crate) fn count(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| p.by_key.iter().map(|e| e.value().len()).sum::<usize>())
            .sum()
    }

    /// Every entry `(key, pid, value)` that `keep` accepts.
    pub(crate) fn select(&self, keep: impl Fn(&K, &Pid, &V) -> bool) -> Vec<(K, Pid, V)> {
        let mut out = Vec::new();
        for part in &self.partitions {
            for e in &part.by_key {
                for (p, v) in e.value() {
                    if keep(e.key(), p, v) {
                        out.push((e.key().clone(), p.clone(), v.clone()));
                    }
                }
            }
        }
        out
    }

    /// Replaces the value of `pid`'s entry under a unique `key`; `(new, old)` if it held it.
    pub(crate) fn update_value(
        &self,
        key: &K,
        pid: ActorId,
        f: impl FnOnce(&V) -> V,
    ) -> Option<(V, V)> {
        let part = self.by_key_part(key);
        let mut entries = part.by_key.get_mut(key)?;
        let (holder, value) = entries.first_mut()?;
        if holder.id() != pid {
            return None;
        }
        let new = f(value);
        let old = std::mem::replace(value, new.clone());
        Some((new, old))
    }
}
