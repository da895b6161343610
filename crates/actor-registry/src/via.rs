//! Via-names through a `Registry` (R-NAME-5, R-REG-8).

use std::fmt;

use actor_core::{Name, NameRegistry, Pid, RegisterError, self_pid};

use crate::error::RegistryError;
use crate::registry::{Keys, Registry, RegistryKey, RegistryValue};

/// `{via, Registry, {Reg, Key, Value}}`: the registry plus the value a via-registration
/// stores.
struct Via<K: RegistryKey, V: RegistryValue> {
    registry: Registry<K, V>,
    value: V,
}

impl<K, V> NameRegistry<K> for Via<K, V>
where
    K: RegistryKey,
    V: RegistryValue,
{
    fn register_name(&self, key: &K, pid: &Pid) -> Result<(), RegisterError> {
        if self.registry.keys_kind() != Keys::Unique {
            return Err(RegisterError::Unsupported(
                "via-names need a unique registry, not a duplicate one",
            ));
        }
        // R-NAME-5: called in the new actor with its own pid.
        if self_pid().as_ref() != Some(pid) {
            return Err(RegisterError::Unsupported(
                "a via-name registers the calling actor only",
            ));
        }
        match self
            .registry
            .register_pid(key.clone(), pid, self.value.clone())
        {
            Ok(_) => Ok(()),
            Err(RegistryError::AlreadyRegistered(holder)) => Err(RegisterError::Taken(holder)),
            Err(_) => Err(RegisterError::Unsupported("the registry is not running")),
        }
    }

    fn unregister_name(&self, key: &K, pid: &Pid) {
        // Called as the actor dies: remove its entries directly (no caller context needed).
        let _ = self
            .registry
            .inner
            .table
            .unregister_where(key, pid.id(), |_| true);
    }

    fn whereis_name(&self, key: &K) -> Option<Pid> {
        self.registry.whereis(key)
    }
}

impl<K, V> Registry<K, V>
where
    K: RegistryKey + fmt::Debug,
    V: RegistryValue,
{
    /// A via-name `{via, Registry, {reg, key}}` that stores `V::default()` (Elixir's `nil`).
    /// Give it to [`Start::name`](actor_core::Start::name). A duplicate registry refuses it
    /// at start with [`StartError::InvalidName`](actor_core::StartError::InvalidName).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Actor, Context, InitError, StartError};
    /// use actor_registry::Registry;
    ///
    /// struct Sync;
    /// impl Actor for Sync {
    ///     type Args = ();
    ///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Sync) }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let reg = Registry::<u64, ()>::unique("mentions").start_link().await.unwrap();
    /// let s = Sync::start(()).name(reg.via(42)).await.unwrap();
    /// assert_eq!(reg.whereis(&42), Some(s.pid()));
    /// assert!(matches!(Sync::start(()).name(reg.via(42)).await, Err(StartError::AlreadyStarted(_))));
    /// # }
    /// ```
    pub fn via(&self, key: K) -> Name
    where
        V: Default,
    {
        self.via_with_value(key, V::default())
    }

    /// `{via, Registry, {reg, key, value}}`: a via-name that stores `value`.
    pub fn via_with_value(&self, key: K, value: V) -> Name {
        Name::via(
            Via {
                registry: self.clone(),
                value,
            },
            key,
        )
    }
}
