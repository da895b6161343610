//! The registry's owner actor: linked to every registered actor, it hears of their deaths
//! and removes their entries (R-REG-7).

use std::fmt;
use std::sync::{Arc, PoisonError};

use actor_core::{Actor, Cast, Context, Exit, Flow, InitError, Pid};

use crate::registry::{Inner, RegistryKey, RegistryValue};

/// The registry's owner: links to every registered actor, so it hears of their deaths and
/// they hear of its own, and cleans their entries up.
pub(crate) struct Owner<K: RegistryKey, V: RegistryValue> {
    inner: Arc<Inner<K, V>>,
}

impl<K: RegistryKey, V: RegistryValue> fmt::Debug for Owner<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Owner")
            .field("registry", &self.inner.name)
            .finish()
    }
}

/// Links the owner to an actor registered by another one (`Name::register`).
pub(crate) struct Watch(pub(crate) Pid);

impl<K, V> Actor for Owner<K, V>
where
    K: RegistryKey,
    V: RegistryValue,
{
    type Args = Arc<Inner<K, V>>;

    async fn init(inner: Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        // A (re)started registry starts empty, as a new ETS table would.
        inner.table.clear();
        *inner.owner.lock().unwrap_or_else(PoisonError::into_inner) = Some(ctx.myself().clone());
        Ok(Owner { inner })
    }

    async fn handle_exit(&mut self, exit: Exit, _: &mut Context<Self>) -> Flow {
        // R-REG-7: a registered actor died; remove all its entries (asynchronously, as in
        // Elixir). A supervisor parent's EXIT never gets here: it terminates the owner.
        if let Some(from) = exit.from {
            self.inner.table.remove_pid(from.id());
        }
        Flow::Ok
    }
}

impl<K, V> Cast<Watch> for Owner<K, V>
where
    K: RegistryKey,
    V: RegistryValue,
{
    async fn handle_cast(&mut self, Watch(pid): Watch, ctx: &mut Context<Self>) -> Flow {
        // Linking to an actor that already died gives an EXIT with noproc, which cleans up.
        ctx.link(&pid);
        Flow::Ok
    }
}
