//! Building a [`Registry`]: its keys, partitions, listeners and meta.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex};

use actor_core::{ActorRef, Info, StartError};
use dashmap::DashMap;

use crate::registry::{Inner, Keys, Listener, Registry, RegistryEvent, RegistryKey, RegistryValue};
use crate::table::Table;

/// Builds a [`Registry`].
///
/// # Examples
///
/// See [`Registry`].
#[must_use = "a builder does nothing until built or started"]
pub struct RegistryBuilder<K, V> {
    pub(crate) name: Arc<str>,
    pub(crate) keys: Keys,
    pub(crate) partitions: usize,
    pub(crate) listeners: Vec<Listener<K, V>>,
    pub(crate) meta: Vec<(Arc<str>, Arc<dyn Any + Send + Sync>)>,
}

impl<K, V> fmt::Debug for RegistryBuilder<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryBuilder")
            .field("name", &self.name)
            .field("keys", &self.keys)
            .field("partitions", &self.partitions)
            .finish_non_exhaustive()
    }
}

impl<K, V> RegistryBuilder<K, V>
where
    K: RegistryKey,
    V: RegistryValue,
{
    /// How many partitions (default 1); values below 1 count as 1.
    pub fn partitions(mut self, n: usize) -> Self {
        self.partitions = n.max(1);
        self
    }

    /// An actor told of every register and unregister (`listeners: [...]`).
    pub fn listener<L>(mut self, listener: ActorRef<L>) -> Self
    where
        L: Info<RegistryEvent<K, V>>,
    {
        self.listeners
            .push(Arc::new(move |e| listener.send_info(e)));
        self
    }

    /// A meta value set at start (`meta: [...]`).
    pub fn meta<T: Send + Sync + 'static>(mut self, key: &str, value: T) -> Self {
        self.meta.push((Arc::from(key), Arc::new(value)));
        self
    }

    /// The handle, not started yet: start it with [`Registry::start_link`] or supervise it
    /// with [`Registry::start_fn`].
    pub fn build(self) -> Registry<K, V> {
        let meta = DashMap::new();
        for (k, v) in self.meta {
            meta.insert(k, v);
        }
        Registry {
            inner: Arc::new(Inner {
                name: self.name,
                keys: self.keys,
                table: Table::new(self.keys, self.partitions),
                listeners: self.listeners,
                meta,
                owner: Mutex::new(None),
            }),
        }
    }

    /// Builds and starts it, linked to the calling actor.
    ///
    /// # Errors
    ///
    /// As [`Registry::start_link`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the registry's owner actor being started
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<Registry<K, V>, StartError> {
        self.build().start_link().await
    }
}
