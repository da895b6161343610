//! What a probe received: one message of any type, kept in arrival order.

use std::any::Any;
use std::fmt;

use actor_core::{Down, Exit};

/// How a [`Message`] reached the probe.
///
/// # Examples
///
/// ```
/// use actor_testkit::{Kind, Probe};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut probe = Probe::start().await;
/// probe.actor_ref().cast(7u32);
/// let msg = probe.next().await.unwrap();
/// assert_eq!(msg.kind(), Kind::Cast);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// An info message: `send_info`, a timer, a stream item, a registry event.
    Info,
    /// A cast.
    Cast,
    /// A trapped exit signal, received as an [`Exit`].
    Exit,
    /// A monitor's notification, received as a [`Down`].
    Down,
}

/// One message in a probe's inbox: its kind, its type's name and the value.
///
/// Exit signals and DOWN notifications are messages too, of types [`Exit`] and [`Down`], so
/// one typed receive serves every kind.
///
/// # Examples
///
/// ```
/// use actor_testkit::Probe;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut probe = Probe::start().await;
/// probe.actor_ref().send_info("hello");
/// let msg = probe.next().await.unwrap();
/// assert!(msg.is::<&str>());
/// assert_eq!(msg.downcast::<&str>().ok(), Some("hello"));
/// # }
/// ```
pub struct Message {
    kind: Kind,
    type_name: &'static str,
    value: Box<dyn Any + Send>,
}

impl Message {
    pub(crate) fn new<M: Send + 'static>(kind: Kind, value: M) -> Self {
        Self {
            kind,
            type_name: std::any::type_name::<M>(),
            value: Box::new(value),
        }
    }

    /// How it arrived.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The name of its type, as [`std::any::type_name`] gives it.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Whether it is a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        self.value.is::<T>()
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.value.downcast_ref()
    }

    /// The value, if it is a `T`; otherwise the message back.
    ///
    /// # Errors
    ///
    /// The message itself when it is not a `T`.
    pub fn downcast<T: 'static>(self) -> Result<T, Self> {
        match self.value.downcast::<T>() {
            Ok(value) => Ok(*value),
            Err(value) => Err(Self { value, ..self }),
        }
    }
}

impl fmt::Debug for Message {
    /// Exit and DOWN messages show their content; others, whose type need not be `Debug`,
    /// show their kind and type name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(exit) = self.downcast_ref::<Exit>() {
            return write!(f, "{exit:?}");
        }
        if let Some(down) = self.downcast_ref::<Down>() {
            return write!(f, "{down:?}");
        }
        write!(f, "{:?}<{}>", self.kind, self.type_name)
    }
}
