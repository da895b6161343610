//! Local names: Erlang's `register/2`, `whereis/1`, `{local, Name}`.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use actor_core::{Actor, ActorRef, Name, NameRegistry, Pid, RegisterError};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::error::LookupError;

/// A local name: a typed string, not a bare one.
///
/// # Examples
///
/// ```
/// use actor_registry::LocalName;
/// let n = LocalName::new("queue");
/// assert_eq!(n.as_str(), "queue");
/// assert_eq!(n, LocalName::from("queue"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct LocalName(Arc<str>);

impl LocalName {
    /// A name.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self(name.into())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name is looked up by its text: equal names have equal text and hash as it does.
impl Borrow<str> for LocalName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for LocalName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for LocalName {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for LocalName {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for LocalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ":{}", self.0)
    }
}

impl fmt::Display for LocalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A table of local names. Cheap to clone; each value is its own namespace, so tests and
/// subsystems can have their own (there is no hidden global one).
///
/// A name is released the moment its actor dies, before the exit is signalled, so a restart
/// can take it again at once; a failed start never leaves it behind.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, InitError, StartError};
/// use actor_registry::{LocalRegistry, LookupError};
///
/// struct Queue;
/// impl Actor for Queue {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Queue) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let names = LocalRegistry::new();
/// let q = Queue::start(()).name(names.name("queue")).await.unwrap();   // {local, queue}
/// assert_eq!(names.whereis_ref::<Queue>("queue").unwrap(), q);
/// assert!(matches!(Queue::start(()).name(names.name("queue")).await, Err(StartError::AlreadyStarted(_))));
///
/// q.pid().kill();
/// q.pid().exited().await;
/// assert!(matches!(names.whereis_ref::<Queue>("queue"), Err(LookupError::NotFound(_))));
/// # }
/// ```
#[derive(Clone, Default)]
pub struct LocalRegistry {
    names: Arc<DashMap<LocalName, Pid>>,
}

/// Clones of one registry are the same registry; two made by [`LocalRegistry::new`] are not.
impl PartialEq for LocalRegistry {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.names, &other.names)
    }
}

impl Eq for LocalRegistry {}

impl fmt::Debug for LocalRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRegistry")
            .field("names", &self.names.len())
            .finish()
    }
}

impl LocalRegistry {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The start-time name `{local, name}` in this table, for [`Start::name`](actor_core::Start::name).
    pub fn name(&self, name: impl Into<LocalName>) -> Name {
        Name::via(self.clone(), name.into())
    }

    /// Names a running actor: `register/2`. Naming an actor with a name it already holds
    /// does nothing (OTP's `register/2` raises `badarg` there; this accepts it).
    ///
    /// # Errors
    ///
    /// [`RegisterError::Taken`] if another live actor holds the name,
    /// [`RegisterError::NoProc`] if the actor is dead.
    pub fn register(&self, name: impl Into<LocalName>, pid: &Pid) -> Result<(), RegisterError> {
        self.name(name).register(pid)
    }

    /// Removes a name whoever holds it: `unregister/1`. Returns whether it was registered.
    pub fn unregister(&self, name: impl AsRef<str>) -> bool {
        match self.names.remove(name.as_ref()) {
            Some((name, holder)) => {
                // The holder stops recording the name it no longer has.
                holder.forget_name(self, &name);
                true
            }
            None => false,
        }
    }

    /// The live actor holding `name`: `whereis/1`. Takes the name as text (a `&str`, a
    /// `String` or a [`LocalName`]) and allocates nothing.
    pub fn whereis(&self, name: impl AsRef<str>) -> Option<Pid> {
        self.lookup(name.as_ref())
    }

    /// The typed reference of the live actor holding `name`.
    ///
    /// # Errors
    ///
    /// [`LookupError::NotFound`], or [`LookupError::WrongType`] naming both types.
    pub fn whereis_ref<A: Actor>(&self, name: impl AsRef<str>) -> Result<ActorRef<A>, LookupError> {
        let name = name.as_ref();
        // Typed straight from the table's entry: one count taken on the actor, not a pid's
        // taken and given back as well.
        match self.lookup_with(name, Pid::downcast::<A>) {
            Some(typed) => Ok(typed?),
            None => Err(LookupError::NotFound(LocalName::from(name))),
        }
    }

    /// The live holder of `name`, found by its text: a lookup needs no [`LocalName`].
    fn lookup(&self, name: &str) -> Option<Pid> {
        self.lookup_with(name, Pid::clone)
    }

    /// `with` applied to the live holder of `name`, inside the table's read guard (held for
    /// `with` only, which must not touch the table).
    fn lookup_with<T>(&self, name: &str, with: impl FnOnce(&Pid) -> T) -> Option<T> {
        self.names
            .get(name)
            .filter(|e| e.value().is_alive())
            .map(|e| with(e.value()))
    }

    /// Every name held by a live actor: `registered/0`.
    pub fn registered(&self) -> Vec<LocalName> {
        let mut v: Vec<LocalName> = self
            .names
            .iter()
            .filter(|e| e.value().is_alive())
            .map(|e| e.key().clone())
            .collect();
        v.sort();
        v
    }
}

impl NameRegistry<LocalName> for LocalRegistry {
    fn register_name(&self, key: &LocalName, pid: &Pid) -> Result<(), RegisterError> {
        match self.names.entry(key.clone()) {
            Entry::Occupied(mut e) => {
                if e.get().is_alive() && e.get() != pid {
                    return Err(RegisterError::Taken(e.get().clone()));
                }
                e.insert(pid.clone());
                Ok(())
            }
            Entry::Vacant(e) => {
                e.insert(pid.clone());
                Ok(())
            }
        }
    }

    fn unregister_name(&self, key: &LocalName, pid: &Pid) {
        self.names.remove_if(key, |_, holder| holder == pid);
    }

    fn whereis_name(&self, key: &LocalName) -> Option<Pid> {
        self.lookup(key.as_str())
    }
}
