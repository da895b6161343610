//! Via-names through a `Registry` (R-NAME-5, R-REG-8).

use std::fmt;
use std::sync::Arc;

use actor_core::{Name, NameRegistry, Pid, RegisterError, self_pid};

use crate::error::RegistryError;
use crate::registry::{Keys, Registry, RegistryKey, RegistryValue};

/// `{via, Registry, {Reg, Key, Value}}`: the registry plus the value a via-registration
/// stores.
struct Via<K: RegistryKey, V: RegistryValue> {
    registry: Registry<K, V>,
    value: V,
}

/// A via handle is its registry: the value it stores does not make another one.
impl<K: RegistryKey, V: RegistryValue> PartialEq for Via<K, V> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.registry.inner, &other.registry.inner)
    }
}

/// `holder` lost `key` in `registry` by its own `unregister`: if a via-name had given it
/// that key, the holder stops recording the name for release at exit. `value` is any value
/// the key held (a via handle compares by its registry only).
pub(crate) fn forget<K: RegistryKey, V: RegistryValue>(
    registry: &Registry<K, V>,
    holder: &Pid,
    key: &K,
    value: V,
) {
    let via = Via {
        registry: registry.clone(),
        value,
    };
    holder.forget_name(&via, key);
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
            .unregister_marked(key, pid.id(), |_| true);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

    use std::sync::Arc;

    use actor_core::{Actor, Call, CallReply, Context, InitError};

    use crate::Registry;

    /// Drops its key in `reg` when asked: `Registry.unregister/2` from the holder itself.
    struct Holder(Registry<u32, ()>);
    struct Release(u32);

    impl Actor for Holder {
        type Args = Registry<u32, ()>;
        async fn init(reg: Registry<u32, ()>, _: &mut Context<Self>) -> Result<Self, InitError> {
            Ok(Holder(reg))
        }
    }

    impl Call<Release> for Holder {
        type Reply = ();
        async fn handle_call(
            &mut self,
            Release(key): Release,
            _: &mut Context<Self>,
        ) -> CallReply<()> {
            self.0.unregister(&key).unwrap();
            CallReply::Reply(())
        }
    }

    #[tokio::test]
    async fn unregistering_a_via_key_lets_its_holder_forget_the_name() {
        let reg = Registry::<u32, ()>::unique("forget")
            .start_link()
            .await
            .unwrap();
        let h = Holder::start(reg.clone()).name(reg.via(7)).await.unwrap();
        // The handles: `reg`, the holder's own copy, the one the holder records in its name.
        let handles = Arc::strong_count(&reg.inner);
        assert_eq!(reg.whereis(&7), Some(h.pid()));
        h.call(Release(7)).await.unwrap();
        assert_eq!(reg.whereis(&7), None);
        assert_eq!(
            Arc::strong_count(&reg.inner),
            handles - 1,
            "the name is let go"
        );
        // A key it never held through a via-name changes nothing.
        h.call(Release(8)).await.unwrap();
        assert_eq!(Arc::strong_count(&reg.inner), handles - 1);
    }
}
