//! Error types: one flat error per operation.

use std::fmt;

use thiserror::Error;

use crate::exit::ExitReason;
use crate::pid::{ActorId, Pid};

/// Why a call failed (R-GS-5). Where the request was never sent, the message comes back.
///
/// Its `Debug` does not require `M: Debug`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Call, CallError, CallReply, Context, InitError};
///
/// struct Sleepy;
/// struct Nap;
///
/// impl Actor for Sleepy {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Sleepy) }
/// }
/// impl Call<Nap> for Sleepy {
///     type Reply = ();
///     async fn handle_call(&mut self, _: Nap, _: &mut Context<Self>) -> CallReply<()> {
///         tokio::time::sleep(Duration::from_secs(60)).await;
///         CallReply::Reply(())
///     }
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let sleepy = Sleepy::start(()).await.unwrap();
/// let err = sleepy.call_timeout(Nap, Duration::from_secs(1)).await.unwrap_err();
/// assert!(matches!(err, CallError::Timeout { callee, .. } if callee == sleepy.pid()));
///
/// sleepy.pid().kill();
/// sleepy.pid().exited().await;
/// match sleepy.call(Nap).await {
///     Err(CallError::NoProc(Nap)) => {} // the request came back unsent
///     other => panic!("unexpected {other:?}"),
/// }
/// # }
/// ```
#[derive(Error)]
#[non_exhaustive]
pub enum CallError<M> {
    /// The actor does not exist or is dead (`noproc`); nothing was sent.
    #[error("no such actor")]
    NoProc(M),
    /// An actor called itself (`calling_self`); nothing was sent.
    #[error("an actor cannot call itself")]
    CallingSelf(M),
    /// No reply came within the timeout (OTP's
    /// `{timeout, {gen_server, call, [Pid, Msg, T]}}`); a late reply is dropped.
    /// Its payloads are small or boxed so that every `call`'s result stays as small as it
    /// was before they were added: it is moved through each call's future.
    #[error("call to {callee} timed out")]
    Timeout {
        /// The actor that was called.
        callee: Pid,
    },
    /// The name resolved to a live actor of another type than the one called
    /// ([`Name::call`](crate::Name::call)); nothing was sent.
    #[error("{1}")]
    WrongType(M, #[source] Box<DowncastError>),
    /// The actor exited before replying, with this reason.
    #[error("actor exited before replying: {0}")]
    Exit(#[source] ExitReason),
}

impl<M> CallError<M> {
    /// The unsent message, for `NoProc`, `CallingSelf` and `WrongType`.
    pub fn into_inner(self) -> Option<M> {
        match self {
            Self::NoProc(m) | Self::CallingSelf(m) | Self::WrongType(m, _) => Some(m),
            Self::Timeout { .. } | Self::Exit(_) => None,
        }
    }

    /// The failure as an exit reason, as OTP makes the caller exit: `NoProc`, the actor's
    /// reason, or an error for `Timeout` and `CallingSelf`.
    pub fn to_exit_reason(&self) -> ExitReason {
        match self {
            Self::NoProc(_) => ExitReason::NoProc,
            Self::Exit(r) => r.clone(),
            Self::CallingSelf(_) => ExitReason::msg("calling_self"),
            Self::Timeout { .. } => ExitReason::msg("timeout"),
            Self::WrongType(_, e) => ExitReason::error((**e).clone()),
        }
    }
}

impl<M> fmt::Debug for CallError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoProc(_) => f.write_str("NoProc(..)"),
            Self::CallingSelf(_) => f.write_str("CallingSelf(..)"),
            Self::Timeout { callee } => f.debug_struct("Timeout").field("callee", callee).finish(),
            Self::WrongType(_, e) => f.debug_tuple("WrongType").field(&"..").field(e).finish(),
            Self::Exit(r) => f.debug_tuple("Exit").field(r).finish(),
        }
    }
}

/// Why a `try_cast` or `try_send_info` did not queue its message; the message comes back.
///
/// # Examples
///
/// See [`ActorRef::try_cast`](crate::ActorRef::try_cast).
#[derive(Error)]
#[non_exhaustive]
pub enum TrySendError<M> {
    /// The bounded mailbox is full.
    #[error("mailbox full")]
    Full(M),
    /// The actor is dead.
    #[error("actor is dead")]
    Closed(M),
}

impl<M> TrySendError<M> {
    /// The message that was not sent.
    pub fn into_inner(self) -> M {
        match self {
            Self::Full(m) | Self::Closed(m) => m,
        }
    }
}

impl<M> fmt::Debug for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

/// Why a stop from outside failed (R-GS-16).
///
/// # Examples
///
/// See [`ActorRef::stop`](crate::ActorRef::stop).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopError {
    /// The actor does not exist or is dead.
    #[error("no such actor")]
    NoProc,
    /// An actor tried to stop itself this way; it keeps running.
    #[error("an actor cannot stop itself with stop(); use Context::stop")]
    CallingSelf,
    /// The actor did not exit within the timeout.
    #[error("stop timed out")]
    Timeout,
    /// The actor exited, but with another reason (for example, `terminate` panicked).
    #[error("actor exited with another reason: {0}")]
    Exit(#[source] ExitReason),
}

/// Why an actor did not start (R-GS-1, R-NAME-2).
///
/// # Examples
///
/// See [`InitError`](crate::InitError).
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum StartError {
    /// A name given at start is held by this live actor; nothing was started, or the new
    /// actor exited `Normal` without running `init`.
    #[error("name already registered by {0}")]
    AlreadyStarted(Pid),
    /// `init` returned [`InitError::Ignore`](crate::InitError::Ignore).
    #[error("init returned ignore")]
    Ignored,
    /// `init` failed, panicked, or the actor was killed while starting.
    #[error("init failed: {0}")]
    Failed(#[source] ExitReason),
    /// `init` did not finish within the start timeout; the actor was killed.
    #[error("init timed out")]
    Timeout,
    /// A name registry refused the name for another reason than a clash.
    #[error("name refused: {0}")]
    InvalidName(&'static str),
    /// `start` was called outside a tokio runtime.
    #[error("start must be called inside a tokio runtime")]
    NoRuntime,
}

/// Why a name registry refused to register a name (the `no` of `register_name`).
///
/// # Examples
///
/// See [`NameRegistry`](crate::NameRegistry).
#[derive(Debug, Error, Clone)]
#[non_exhaustive]
pub enum RegisterError {
    /// The name is held by this live actor.
    #[error("name already registered by {0}")]
    Taken(Pid),
    /// This registry cannot hold the name (for example, a duplicate-key registry asked to
    /// name an actor).
    #[error("{0}")]
    Unsupported(&'static str),
    /// The actor to name is dead.
    #[error("the actor is not alive")]
    NoProc,
}

/// A [`Pid`] was turned into an [`ActorRef`](crate::ActorRef) of the wrong actor type.
///
/// # Examples
///
/// See [`Pid::downcast`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("actor {pid} is a {actual}, not a {expected}")]
pub struct DowncastError {
    /// The actor.
    pub pid: ActorId,
    /// The type asked for.
    pub expected: &'static str,
    /// The actor's type.
    pub actual: &'static str,
}
