//! Exit reasons: why an actor stopped.

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// Why an actor stopped, or the reason carried by an exit signal.
///
/// This is OTP's exit reason with Rust types. The benign reasons are
/// [`Normal`](ExitReason::Normal), [`Shutdown`](ExitReason::Shutdown) and
/// [`ShutdownWith`](ExitReason::ShutdownWith) (`normal`, `shutdown` and `{shutdown, Term}`);
/// every other reason is abnormal (see [`is_benign`](ExitReason::is_benign)).
///
/// Reasons are cheap to clone: the payloads sit behind an [`Arc`], because one exit fans out
/// to every link and monitor.
///
/// # Examples
///
/// ```
/// use actor_core::ExitReason;
///
/// assert!(ExitReason::Normal.is_benign());
/// assert!(ExitReason::shutdown_with("reload").is_benign());
/// assert!(!ExitReason::Killed.is_benign());
///
/// let crash = ExitReason::error(std::io::Error::other("disk gone"));
/// assert_eq!(ExitReason::shutdown_with("reload").to_string(), "shutdown: reload");
/// assert!(!crash.is_benign());
/// assert_eq!(crash.to_string(), "error: disk gone");
/// assert!(crash.downcast_ref::<std::io::Error>().is_some());
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum ExitReason {
    /// Ordinary completion (`normal`).
    Normal,
    /// An orderly stop was requested (`shutdown`).
    Shutdown,
    /// An orderly stop with a payload (`{shutdown, Term}`): a label made with
    /// [`shutdown_with`](ExitReason::shutdown_with), or a typed value made with
    /// [`shutdown_with_error`](ExitReason::shutdown_with_error) and read back with
    /// [`downcast_ref`](ExitReason::downcast_ref).
    ShutdownWith(Arc<dyn StdError + Send + Sync>),
    /// The actor was killed by an untrappable kill, or a linked actor was (`killed`).
    Killed,
    /// The actor did not exist or was already dead (`noproc`), as seen by a monitor.
    NoProc,
    /// A callback panicked; the panic message is kept.
    Panic(Arc<str>),
    /// An application error, with its cause.
    Error(Arc<dyn StdError + Send + Sync>),
}

impl ExitReason {
    /// `{shutdown, payload}`: an orderly stop carrying a label.
    pub fn shutdown_with(payload: impl Into<Arc<str>>) -> Self {
        Self::ShutdownWith(Arc::new(Message(payload.into())))
    }

    /// `{shutdown, payload}` with a typed payload; still benign.
    pub fn shutdown_with_error<E>(payload: E) -> Self
    where
        E: StdError + Send + Sync + 'static,
    {
        Self::ShutdownWith(Arc::new(payload))
    }

    /// An abnormal reason carrying a typed error as its cause.
    pub fn error<E>(error: E) -> Self
    where
        E: StdError + Send + Sync + 'static,
    {
        Self::Error(Arc::new(error))
    }

    /// An abnormal reason described by a message, like an Erlang atom such as `crash`.
    pub fn msg(message: impl Into<Arc<str>>) -> Self {
        Self::Error(Arc::new(Message(message.into())))
    }

    /// `true` for `Normal`, `Shutdown` and `ShutdownWith`: the reasons that are not crashes.
    ///
    /// A transient child that exits with a benign reason is not restarted, and benign exits
    /// are not logged as crashes.
    pub fn is_benign(&self) -> bool {
        matches!(self, Self::Normal | Self::Shutdown | Self::ShutdownWith(_))
    }

    /// `true` for `Normal` only.
    pub fn is_normal(&self) -> bool {
        matches!(self, Self::Normal)
    }

    /// The typed cause, if this is [`ExitReason::Error`] or [`ExitReason::ShutdownWith`]
    /// holding an `E`.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        match self {
            Self::Error(e) | Self::ShutdownWith(e) => e.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// Builds the reason for a caught panic from its payload.
    pub(crate) fn from_panic(payload: &(dyn Any + Send)) -> Self {
        let msg: Arc<str> = if let Some(s) = payload.downcast_ref::<&'static str>() {
            Arc::from(*s)
        } else if let Some(s) = payload.downcast_ref::<String>() {
            Arc::from(s.as_str())
        } else {
            Arc::from("panic with a non-string payload")
        };
        Self::Panic(msg)
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("normal"),
            Self::Shutdown => f.write_str("shutdown"),
            Self::ShutdownWith(p) => write!(f, "shutdown: {p}"),
            Self::Killed => f.write_str("killed"),
            Self::NoProc => f.write_str("noproc"),
            Self::Panic(m) => write!(f, "panic: {m}"),
            Self::Error(e) => write!(f, "error: {e}"),
        }
    }
}

impl fmt::Debug for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("Normal"),
            Self::Shutdown => f.write_str("Shutdown"),
            Self::ShutdownWith(p) => f
                .debug_tuple("ShutdownWith")
                .field(&format_args!("{p}"))
                .finish(),
            Self::Killed => f.write_str("Killed"),
            Self::NoProc => f.write_str("NoProc"),
            Self::Panic(m) => f.debug_tuple("Panic").field(m).finish(),
            Self::Error(e) => f.debug_tuple("Error").field(&format_args!("{e}")).finish(),
        }
    }
}

/// Two reasons are equal when they are the same variant with equal payloads. Errors compare
/// equal when they are the same shared error, or when their messages are equal (errors have no
/// equality of their own; traces compare them by what they print).
/// Structural: the same variant with the same payload. A payload made from a message
/// ([`ExitReason::msg`], [`ExitReason::shutdown_with`], or deserialized) equals another with
/// the same text; any other error payload equals only itself (the same `Arc`, as clones of
/// one reason share), since two errors of unknown types cannot be compared. Nothing is
/// formatted or allocated to compare.
impl PartialEq for ExitReason {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Normal, Self::Normal)
            | (Self::Shutdown, Self::Shutdown)
            | (Self::Killed, Self::Killed)
            | (Self::NoProc, Self::NoProc) => true,
            (Self::Panic(a), Self::Panic(b)) => a == b,
            (Self::ShutdownWith(a), Self::ShutdownWith(b)) | (Self::Error(a), Self::Error(b)) => {
                same_payload(a, b)
            }
            _ => false,
        }
    }
}

fn same_payload(a: &Arc<dyn StdError + Send + Sync>, b: &Arc<dyn StdError + Send + Sync>) -> bool {
    if Arc::ptr_eq(a, b) {
        return true;
    }
    match (a.downcast_ref::<Message>(), b.downcast_ref::<Message>()) {
        (Some(a), Some(b)) => a.0 == b.0,
        _ => false,
    }
}

/// The error an `Error` or `ShutdownWith` reason carries is its source, so that error
/// reporters (`anyhow`, `eyre`) show it as a cause.
impl StdError for ExitReason {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Error(e) | Self::ShutdownWith(e) => Some(&**e as &(dyn StdError + 'static)),
            _ => None,
        }
    }
}

impl Eq for ExitReason {}

/// The error type behind [`ExitReason::msg`].
#[derive(Debug)]
struct Message(Arc<str>);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::ExitReason;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    /// The serialized form: unit variants are plain strings (`"normal"`), the others are
    /// single-key maps (`{"shutdown": "reload"}`, `{"error": "disk gone"}`).
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Repr {
        Normal,
        Shutdown,
        #[serde(rename = "shutdown_with")]
        ShutdownWith(String),
        Killed,
        #[serde(rename = "noproc")]
        NoProc,
        Panic(String),
        Error(String),
    }

    impl Serialize for ExitReason {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let repr = match self {
                Self::Normal => Repr::Normal,
                Self::Shutdown => Repr::Shutdown,
                Self::ShutdownWith(p) => Repr::ShutdownWith(p.to_string()),
                Self::Killed => Repr::Killed,
                Self::NoProc => Repr::NoProc,
                Self::Panic(m) => Repr::Panic(m.to_string()),
                Self::Error(e) => Repr::Error(e.to_string()),
            };
            repr.serialize(s)
        }
    }

    /// An error deserializes as [`ExitReason::msg`] with the stored message: the original
    /// type is not recoverable from text.
    impl<'de> Deserialize<'de> for ExitReason {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(match Repr::deserialize(d)? {
                Repr::Normal => Self::Normal,
                Repr::Shutdown => Self::Shutdown,
                Repr::ShutdownWith(p) => Self::shutdown_with(p),
                Repr::Killed => Self::Killed,
                Repr::NoProc => Self::NoProc,
                Repr::Panic(m) => Self::Panic(Arc::from(m)),
                Repr::Error(m) => Self::msg(m),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benign_matches_the_otp_table() {
        assert!(ExitReason::Normal.is_benign());
        assert!(ExitReason::Shutdown.is_benign());
        assert!(ExitReason::shutdown_with("x").is_benign());
        assert!(!ExitReason::Killed.is_benign());
        assert!(!ExitReason::NoProc.is_benign());
        assert!(!ExitReason::Panic("boom".into()).is_benign());
        assert!(!ExitReason::msg("crash").is_benign());
    }

    #[test]
    fn panic_payloads_become_messages() {
        let r = ExitReason::from_panic(&"static str");
        assert_eq!(r, ExitReason::Panic("static str".into()));
        let r = ExitReason::from_panic(&String::from("owned"));
        assert_eq!(r, ExitReason::Panic("owned".into()));
        let r = ExitReason::from_panic(&42_u32);
        assert!(matches!(r, ExitReason::Panic(_)));
    }
}
