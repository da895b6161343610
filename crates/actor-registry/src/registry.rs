//! `Registry<K, V>`: Elixir's Registry (R-REG-1 … R-REG-10).

use std::any::Any;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use actor_core::{Actor, ActorRef, Pid, StartError, self_pid};
use dashmap::DashMap;

use crate::builder::RegistryBuilder;
use crate::error::RegistryError;
use crate::owner::{Owner, Watch};
use crate::table::{Inserted, Table};

/// Unique or duplicate keys (`keys: :unique | :duplicate`).
///
/// # Examples
///
/// ```
/// assert_ne!(actor_registry::Keys::Unique, actor_registry::Keys::Duplicate);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Keys {
    /// One actor per key.
    Unique,
    /// Any number of entries per key, identical ones included.
    Duplicate,
}

/// What listeners hear (R-REG-10). Nothing is sent when a registered actor dies.
///
/// # Examples
///
/// See [`RegistryBuilder::listener`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryEvent<K, V> {
    /// `{register, Registry, Key, Pid, Value}`.
    Register {
        /// The registry's name.
        registry: Arc<str>,
        /// The key.
        key: K,
        /// Who registered.
        pid: Pid,
        /// The value.
        value: V,
    },
    /// `{unregister, Registry, Key, Pid}`.
    Unregister {
        /// The registry's name.
        registry: Arc<str>,
        /// The key.
        key: K,
        /// Who unregistered.
        pid: Pid,
    },
}

pub(crate) type Listener<K, V> = Arc<dyn Fn(RegistryEvent<K, V>) + Send + Sync>;

/// The future [`Registry::start_fn`] returns, as a supervisor's start functions do.
pub type OwnerStart =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Pid>, StartError>> + Send>>;

/// What a registry key needs: equality, hashing, cloning, and crossing threads.
pub trait RegistryKey: Eq + Hash + Clone + Send + Sync + 'static {}
impl<T: Eq + Hash + Clone + Send + Sync + 'static> RegistryKey for T {}

/// What a registry value needs: cloning and crossing threads.
pub trait RegistryValue: Clone + Send + Sync + 'static {}
impl<T: Clone + Send + Sync + 'static> RegistryValue for T {}

/// What every handle of one registry shares.
pub(crate) struct Inner<K: RegistryKey, V: RegistryValue> {
    pub(crate) name: Arc<str>,
    pub(crate) keys: Keys,
    pub(crate) table: Table<K, V>,
    pub(crate) listeners: Vec<Listener<K, V>>,
    pub(crate) meta: DashMap<Arc<str>, Arc<dyn Any + Send + Sync>>,
    pub(crate) owner: Mutex<Option<ActorRef<Owner<K, V>>>>,
}

/// An Elixir-style registry: a key-value store of actors, with unique or duplicate keys,
/// cleanup when a registered actor dies, dispatch, meta and listeners.
///
/// `register` always registers the **calling actor** (it must run inside one). Build it with
/// [`Registry::unique`] or [`Registry::duplicate`], then start its owner with
/// [`start_link`](Registry::start_link), or run it under a supervisor with
/// [`start_fn`](Registry::start_fn). Several registries can live side by side; none is global.
///
/// Partitions spread the tables for concurrency and never change what the registry does.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Call, CallReply, Context, InitError};
/// use actor_registry::{Registry, RegistryError};
///
/// struct Player;
/// struct Join(Registry<String, u32>, &'static str, u32);
///
/// impl Actor for Player {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Player) }
/// }
/// impl Call<Join> for Player {
///     type Reply = Result<(), RegistryError>;
///     async fn handle_call(&mut self, Join(reg, room, score): Join, _: &mut Context<Self>) -> CallReply<Self::Reply> {
///         CallReply::Reply(reg.register(room.to_string(), score).map(|_| ()))
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let rooms = Registry::<String, u32>::duplicate("rooms").start_link().await.unwrap();
/// let (a, b) = (Player::start(()).await.unwrap(), Player::start(()).await.unwrap());
/// a.call(Join(rooms.clone(), "lobby", 10)).await.unwrap().unwrap();
/// b.call(Join(rooms.clone(), "lobby", 20)).await.unwrap().unwrap();
/// let mut scores: Vec<u32> = rooms.lookup(&"lobby".to_string()).into_iter().map(|(_, s)| s).collect();
/// scores.sort();
/// assert_eq!(scores, [10, 20]);
/// # }
/// ```
pub struct Registry<K: RegistryKey, V: RegistryValue> {
    pub(crate) inner: Arc<Inner<K, V>>,
}

impl<K: RegistryKey, V: RegistryValue> Clone for Registry<K, V> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K: RegistryKey, V: RegistryValue> fmt::Debug for Registry<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("name", &self.inner.name)
            .field("keys", &self.inner.keys)
            .finish_non_exhaustive()
    }
}

impl<K, V> Registry<K, V>
where
    K: RegistryKey,
    V: RegistryValue,
{
    /// A unique-key registry named `name` (`keys: :unique`).
    pub fn unique(name: impl Into<Arc<str>>) -> RegistryBuilder<K, V> {
        RegistryBuilder {
            name: name.into(),
            keys: Keys::Unique,
            partitions: 1,
            listeners: Vec::new(),
            meta: Vec::new(),
        }
    }

    /// A duplicate-key registry named `name` (`keys: :duplicate`).
    pub fn duplicate(name: impl Into<Arc<str>>) -> RegistryBuilder<K, V> {
        RegistryBuilder {
            name: name.into(),
            keys: Keys::Duplicate,
            partitions: 1,
            listeners: Vec::new(),
            meta: Vec::new(),
        }
    }

    /// The registry's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Unique or duplicate.
    pub fn keys_kind(&self) -> Keys {
        self.inner.keys
    }

    /// Starts (or restarts) the registry's owner, linked to the calling actor, and returns
    /// this handle. The tables start empty.
    ///
    /// # Errors
    ///
    /// [`StartError`] as for any actor start.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the registry's owner actor being started
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<Self, StartError> {
        Owner::start_link(self.inner.clone()).await?;
        Ok(self)
    }

    /// The start function for running the registry's owner under a supervisor:
    /// `ChildSpec::new(registry.name(), registry.start_fn()).child_type(ChildType::Supervisor)`
    /// is Elixir's `{Registry, keys: …, name: …}` child (R-CS-4). This handle keeps working
    /// across restarts; a restart starts with empty tables, as Elixir's does.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_registry::Registry;
    /// use actor_supervisor::{ChildSpec, ChildType, Supervisor};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sessions = Registry::<u64, ()>::unique("sessions").build();
    /// let sup = Supervisor::builder()
    ///     .child(ChildSpec::new(sessions.name(), sessions.start_fn()).child_type(ChildType::Supervisor))
    ///     .start_link()
    ///     .await
    ///     .unwrap();
    /// assert!(sessions.owner().is_some());
    /// # drop(sup);
    /// # }
    /// ```
    pub fn start_fn(&self) -> impl Fn() -> OwnerStart + Send + Sync + 'static {
        let inner = self.inner.clone();
        move || {
            let inner = inner.clone();
            Box::pin(async move { Owner::start_link(inner).await.map(|o| Some(o.pid())) })
        }
    }

    /// The child spec running the registry's owner under a supervisor, with the child id
    /// `id` (the registry's name may be another child's id): type supervisor, as Elixir's
    /// `{Registry, keys: …, name: …}` child (R-CS-4). This handle keeps working across
    /// restarts; a restart starts with empty tables, as Elixir's does.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_registry::Registry;
    /// use actor_supervisor::{DynamicSupervisor, Supervisor};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sessions = Registry::<u64, ()>::unique("sessions").build();
    /// let sup = Supervisor::builder()
    ///     .child(sessions.child_spec("sessions-registry"))
    ///     .child(DynamicSupervisor::builder().into_child_spec("sessions"))
    ///     .start_link()
    ///     .await
    ///     .unwrap();
    /// assert!(sessions.owner().is_some());
    /// assert_eq!(sup.count_children().await.unwrap().active, 2);
    /// # }
    /// ```
    pub fn child_spec(
        &self,
        id: impl Into<actor_supervisor::ChildId>,
    ) -> actor_supervisor::ChildSpec {
        actor_supervisor::ChildSpec::new(id, self.start_fn())
            .child_type(actor_supervisor::ChildType::Supervisor)
    }

    /// The pid of the owner, if running.
    pub fn owner(&self) -> Option<Pid> {
        self.owner_ref().map(|o| o.pid())
    }

    fn owner_ref(&self) -> Option<ActorRef<Owner<K, V>>> {
        self.inner
            .owner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .filter(ActorRef::is_alive)
    }

    fn notify(&self, event: impl Fn() -> RegistryEvent<K, V>) {
        for l in &self.inner.listeners {
            l(event());
        }
    }

    /// Registers the **calling actor** under `key` with `value`: `Registry.register/3`.
    /// Returns the owner's pid; the caller is linked to the owner.
    ///
    /// # Errors
    ///
    /// [`RegistryError::AlreadyRegistered`] for a unique key held by a live actor (possibly
    /// the caller), `NotInActor`, `NotRunning`.
    pub fn register(&self, key: K, value: V) -> Result<Pid, RegistryError> {
        let me = self_pid().ok_or(RegistryError::NotInActor)?;
        self.register_pid(key, &me, value)
    }

    pub(crate) fn register_pid(&self, key: K, pid: &Pid, value: V) -> Result<Pid, RegistryError> {
        let owner = self.owner_ref().ok_or(RegistryError::NotRunning)?;
        match self.inner.table.register(key.clone(), pid, value.clone()) {
            Inserted::Taken(holder) => Err(RegistryError::AlreadyRegistered(holder)),
            Inserted::Ok { first_key_of_pid } => {
                if first_key_of_pid {
                    // Linked by the caller itself, as Elixir's `Registry.register/3` does: no
                    // message to the owner per registration, so no churn of registrations
                    // can pile messages up in its mailbox. Another actor registered by name
                    // (`Name::register`) is linked by the owner.
                    if self_pid().is_some_and(|me| me.id() == pid.id()) {
                        actor_core::link(&owner.pid());
                    } else {
                        owner.cast(Watch(pid.clone()));
                    }
                }
                if !self.inner.listeners.is_empty() {
                    let event = RegistryEvent::Register {
                        registry: self.inner.name.clone(),
                        key,
                        pid: pid.clone(),
                        value,
                    };
                    self.notify(|| event.clone());
                }
                Ok(owner.pid())
            }
        }
    }

    /// Removes all the calling actor's entries under `key`: `Registry.unregister/2`. Always
    /// succeeds, even when there were none; the caller is unlinked from the owner once it has
    /// no key left.
    ///
    /// # Errors
    ///
    /// `NotInActor`.
    pub fn unregister(&self, key: &K) -> Result<(), RegistryError> {
        let me = self_pid().ok_or(RegistryError::NotInActor)?;
        self.unregister_picked(key, &me, |_| true);
        Ok(())
    }

    /// Removes the calling actor's entries under `key` whose value matches:
    /// `Registry.unregister_match/4` with the pattern as a predicate.
    ///
    /// # Errors
    ///
    /// `NotInActor`.
    pub fn unregister_match(
        &self,
        key: &K,
        matches: impl Fn(&V) -> bool,
    ) -> Result<(), RegistryError> {
        let me = self_pid().ok_or(RegistryError::NotInActor)?;
        // `matches` (user code) runs on a snapshot, outside the table's locks; only the
        // caller changes its own entries, so the snapshot is still what it removes from.
        let gone: Vec<bool> = self
            .inner
            .table
            .values(key, me.id())
            .iter()
            .map(&matches)
            .collect();
        self.unregister_picked(key, &me, |i| gone.get(i).copied().unwrap_or(false));
        Ok(())
    }

    /// Removes the entries of `me` (the caller) under `key` whose positions `gone` picks,
    /// then tells whoever must hear of it.
    fn unregister_picked(&self, key: &K, me: &Pid, gone: impl Fn(usize) -> bool) {
        let removed = self.inner.table.unregister_marked(key, me.id(), gone);
        // A via-name (unique registries only: `value` is `None` in a duplicate one) that gave
        // the caller this key is no longer its to release.
        if let Some(value) = removed.value {
            crate::via::forget(self, me, key, value);
        }
        // R-REG-10: listeners hear of it when the caller has no entry left under the key.
        if removed.count > 0 && removed.key_cleared {
            self.notify(|| RegistryEvent::Unregister {
                registry: self.inner.name.clone(),
                key: key.clone(),
                pid: me.clone(),
            });
        }
        if removed.count > 0 && removed.pid_cleared {
            // The caller unlinks itself, as Elixir's does: no message to the owner.
            if let Some(owner) = self.owner_ref() {
                actor_core::unlink(&owner.pid());
            }
        }
    }

    /// The entries under `key`: `Registry.lookup/2`. A unique registry hides a dead holder
    /// at once; a duplicate one may list a dead actor until its cleanup has run.
    pub fn lookup(&self, key: &K) -> Vec<(Pid, V)> {
        self.inner.table.lookup(key)
    }

    /// The live actor holding a unique `key`.
    pub fn whereis(&self, key: &K) -> Option<Pid> {
        if self.inner.keys != Keys::Unique {
            return None;
        }
        self.inner
            .table
            .lookup(key)
            .into_iter()
            .next()
            .map(|(p, _)| p)
    }

    /// The keys `pid` holds, repeated in a duplicate registry: `Registry.keys/2`.
    pub fn keys(&self, pid: &Pid) -> Vec<K> {
        self.inner.table.keys_of(pid.id())
    }

    /// The values `pid` holds under `key`: `Registry.values/3`.
    pub fn values(&self, key: &K, pid: &Pid) -> Vec<V> {
        self.inner.table.values(key, pid.id())
    }

    /// Entries under `key` whose value matches: `Registry.match/4` with the pattern and
    /// guards as a predicate.
    pub fn match_values(&self, key: &K, matches: impl Fn(&V) -> bool) -> Vec<(Pid, V)> {
        self.inner
            .table
            .lookup(key)
            .into_iter()
            .filter(|(_, v)| matches(v))
            .collect()
    }

    /// How many entries under `key` match: `Registry.count_match/4`.
    pub fn count_match(&self, key: &K, matches: impl Fn(&V) -> bool) -> usize {
        self.match_values(key, matches).len()
    }

    /// All entries, duplicates counted: `Registry.count/1`.
    pub fn count(&self) -> usize {
        self.inner.table.count()
    }

    /// Every `(key, pid, value)` the predicate accepts: `Registry.select/2`.
    pub fn select(&self, keep: impl Fn(&K, &Pid, &V) -> bool) -> Vec<(K, Pid, V)> {
        // The predicate (user code) runs on a snapshot, outside the table's locks.
        let mut all = self.inner.table.entries();
        all.retain(|(k, p, v)| keep(k, p, v));
        all
    }

    /// How many entries the predicate accepts: `Registry.count_select/2`.
    pub fn count_select(&self, keep: impl Fn(&K, &Pid, &V) -> bool) -> usize {
        self.inner
            .table
            .entries()
            .iter()
            .filter(|(k, p, v)| keep(k, p, v))
            .count()
    }

    /// Calls `f` with the entries under `key`, in the caller, once per partition that has
    /// any, and not at all when there are none: `Registry.dispatch/3` (R-REG-5).
    pub fn dispatch(&self, key: &K, mut f: impl FnMut(&[(Pid, V)])) {
        for entries in self.inner.table.lookup_by_partition(key) {
            f(&entries);
        }
    }

    /// As [`dispatch`](Self::dispatch), with one task per partition (`parallel: true`); waits
    /// for them all.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops waiting for the per-partition tasks; the tasks already spawned
    /// still run to completion.
    pub async fn dispatch_parallel<F>(&self, key: &K, f: F)
    where
        F: Fn(&[(Pid, V)]) + Clone + Send + 'static,
    {
        let mut tasks = tokio::task::JoinSet::new();
        for entries in self.inner.table.lookup_by_partition(key) {
            let f = f.clone();
            tasks.spawn(async move { f(&entries) });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Updates the calling actor's value under a unique `key`: `Registry.update_value/3`.
    /// Returns `(new, old)`.
    ///
    /// # Errors
    ///
    /// `NotUnique` on a duplicate registry, `NotRegistered` if the caller does not hold the
    /// key, `NotInActor`.
    pub fn update_value(&self, key: &K, f: impl FnOnce(&V) -> V) -> Result<(V, V), RegistryError> {
        if self.inner.keys != Keys::Unique {
            return Err(RegistryError::NotUnique);
        }
        let me = self_pid().ok_or(RegistryError::NotInActor)?;
        // `f` (user code) runs outside the table's locks, on a copy of the value; only the
        // caller changes its own entry, so nothing can change it in between.
        let old = self
            .inner
            .table
            .values(key, me.id())
            .into_iter()
            .next()
            .ok_or(RegistryError::NotRegistered)?;
        let new = f(&old);
        if self.inner.table.replace_value(key, me.id(), new.clone()) {
            Ok((new, old))
        } else {
            Err(RegistryError::NotRegistered)
        }
    }

    /// A meta value: `Registry.meta/2`.
    pub fn meta<T: Clone + 'static>(&self, key: &str) -> Option<T> {
        self.inner
            .meta
            .get(key)
            .and_then(|v| v.value().downcast_ref::<T>().cloned())
    }

    /// Sets a meta value: `Registry.put_meta/3`.
    pub fn put_meta<T: Send + Sync + 'static>(&self, key: &str, value: T) {
        self.inner.meta.insert(Arc::from(key), Arc::new(value));
    }

    /// Deletes a meta value: `Registry.delete_meta/2`.
    pub fn delete_meta(&self, key: &str) {
        self.inner.meta.remove(key);
    }
}
