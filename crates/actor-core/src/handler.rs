//! One handler trait per message kind, one impl per message type.

use std::fmt;
use std::future::Future;

use crate::actor::Actor;
use crate::context::Context;
use crate::exit::ExitReason;
use crate::reply::ReplyTx;

/// What a cast, info or continue handler asks for next: Elixir's `{:noreply, state}` or
/// `{:stop, reason, state}`.
///
/// A continue or an idle timeout is asked for through the context
/// ([`Context::continue_with`], [`Context::set_timeout`]), not through the result.
///
/// # Examples
///
/// ```
/// use actor_core::{ExitReason, Flow};
///
/// let keep_going = Flow::Ok;
/// let done = Flow::Stop(ExitReason::Normal);
/// assert_ne!(keep_going, done);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Flow {
    /// Keep running (`{:noreply, state}`).
    #[default]
    Ok,
    /// Run `terminate` with this reason, then exit with it (`{:stop, reason, state}`).
    Stop(ExitReason),
}

/// What a call handler returns: the four `handle_call` results of OTP (R-GS-7).
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Call, CallReply, Context, ExitReason, InitError};
///
/// struct Account { balance: u64 }
/// struct Withdraw(u64);
/// struct Close;
///
/// impl Actor for Account {
///     type Args = u64;
///     async fn init(balance: u64, _: &mut Context<Self>) -> Result<Self, InitError> {
///         Ok(Account { balance })
///     }
/// }
///
/// impl Call<Withdraw> for Account {
///     type Reply = Result<u64, &'static str>;
///     async fn handle_call(&mut self, Withdraw(n): Withdraw, _: &mut Context<Self>) -> CallReply<Self::Reply> {
///         match self.balance.checked_sub(n) {
///             Some(left) => { self.balance = left; CallReply::Reply(Ok(left)) }
///             None => CallReply::Reply(Err("insufficient funds")),
///         }
///     }
/// }
///
/// impl Call<Close> for Account {
///     type Reply = u64;
///     async fn handle_call(&mut self, _: Close, _: &mut Context<Self>) -> CallReply<u64> {
///         // terminate runs first, then the caller gets the final balance
///         CallReply::ReplyAndStop(self.balance, ExitReason::Normal)
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let account = Account::start(100).await.unwrap();
/// assert_eq!(account.call(Withdraw(30)).await.unwrap(), Ok(70));
/// assert_eq!(account.call(Withdraw(500)).await.unwrap(), Err("insufficient funds"));
/// assert_eq!(account.call(Close).await.unwrap(), 70);
/// assert_eq!(account.pid().exited().await, ExitReason::Normal);
/// # }
/// ```
pub enum CallReply<R> {
    /// Reply now (`{reply, R, S}`).
    Reply(R),
    /// Do not reply now (`{noreply, S}`). Take a [`ReplyTo`] with [`Context::reply_to`] first
    /// to answer later; without one the caller waits until its timeout, or until the actor
    /// exits.
    NoReply,
    /// Terminate and exit with this reason without replying (`{stop, Reason, S}`); the caller
    /// gets the reason as [`CallError::Exit`](crate::CallError::Exit).
    Stop(ExitReason),
    /// Run `terminate`, then send the reply, then exit (`{stop, Reason, Reply, S}`).
    ReplyAndStop(R, ExitReason),
}

impl<R> fmt::Debug for CallReply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reply(_) => f.write_str("Reply(..)"),
            Self::NoReply => f.write_str("NoReply"),
            Self::Stop(r) => f.debug_tuple("Stop").field(r).finish(),
            Self::ReplyAndStop(_, r) => {
                f.debug_tuple("ReplyAndStop").field(&"..").field(r).finish()
            }
        }
    }
}

/// Handles a call of message type `M`, with a typed reply: `GenServer.handle_call/3`.
///
/// Implement it once per request type; [`ActorRef::call`](crate::ActorRef::call) then returns
/// `Self::Reply` for that request.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Call, CallReply, Context, InitError};
///
/// struct Counter(u64);
/// struct Get;
///
/// impl Actor for Counter {
///     type Args = u64;
///     async fn init(n: u64, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Counter(n)) }
/// }
///
/// impl Call<Get> for Counter {
///     type Reply = u64;
///     async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<u64> {
///         CallReply::Reply(self.0)
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let counter = Counter::start(7).await.unwrap();
/// let n: u64 = counter.call(Get).await.unwrap();
/// assert_eq!(n, 7);
/// # }
/// ```
pub trait Call<M: Send + 'static>: Actor {
    /// The reply type of this request.
    type Reply: Send + 'static;

    /// Handles the request. A panic here runs `terminate` and exits the actor with
    /// [`ExitReason::Panic`]; the caller gets that reason.
    fn handle_call(
        &mut self,
        msg: M,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = CallReply<Self::Reply>> + Send;
}

/// Handles a cast of message type `M`: `GenServer.handle_cast/2`.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Cast, Context, Flow, InitError};
///
/// struct Log(Vec<String>);
/// struct Append(String);
///
/// impl Actor for Log {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Log(Vec::new())) }
/// }
///
/// impl Cast<Append> for Log {
///     async fn handle_cast(&mut self, Append(line): Append, _: &mut Context<Self>) -> Flow {
///         self.0.push(line);
///         Flow::Ok
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let log = Log::start(()).await.unwrap();
/// log.cast(Append("hello".into())); // never blocks, never fails
/// # }
/// ```
pub trait Cast<M: Send + 'static>: Actor {
    /// Handles the message. A panic here runs `terminate` and exits the actor with
    /// [`ExitReason::Panic`].
    fn handle_cast(&mut self, msg: M, ctx: &mut Context<Self>)
    -> impl Future<Output = Flow> + Send;
}

/// Handles a plain message of type `M` (timers, `send_info`): `GenServer.handle_info/2`.
///
/// Exit signals, DOWN messages and idle timeouts have their own provided methods on
/// [`Actor`] instead ([`handle_exit`](Actor::handle_exit), [`handle_down`](Actor::handle_down),
/// [`handle_timeout`](Actor::handle_timeout)).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, Flow, Info, InitError};
///
/// struct Ticker { ticks: u32 }
/// struct Tick;
///
/// impl Actor for Ticker {
///     type Args = ();
///     async fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, InitError> {
///         ctx.send_after(Duration::from_millis(10), Tick);
///         Ok(Ticker { ticks: 0 })
///     }
/// }
///
/// impl Info<Tick> for Ticker {
///     async fn handle_info(&mut self, _: Tick, _: &mut Context<Self>) -> Flow {
///         self.ticks += 1;
///         Flow::Ok
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ticker = Ticker::start(()).await.unwrap();
/// ticker.send_info(Tick); // like Kernel.send/2
/// # }
/// ```
pub trait Info<M: Send + 'static>: Actor {
    /// Handles the message. A panic here runs `terminate` and exits the actor with
    /// [`ExitReason::Panic`].
    fn handle_info(&mut self, msg: M, ctx: &mut Context<Self>)
    -> impl Future<Output = Flow> + Send;
}

/// Handles a continuation of type `C`: `GenServer.handle_continue/2`.
///
/// A continuation asked for with [`Context::continue_with`] runs right after the current
/// callback, before any message already in the mailbox (R-GS-14). Continuations may chain.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, Continue, Flow, InitError};
///
/// struct Cache { warm: bool }
/// struct Warm;
///
/// impl Actor for Cache {
///     type Args = ();
///     async fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, InitError> {
///         ctx.continue_with(Warm); // start returns now; warming runs before any message
///         Ok(Cache { warm: false })
///     }
/// }
///
/// impl Continue<Warm> for Cache {
///     async fn handle_continue(&mut self, _: Warm, _: &mut Context<Self>) -> Flow {
///         self.warm = true;
///         Flow::Ok
///     }
/// }
/// # struct IsWarm;
/// # impl actor_core::Call<IsWarm> for Cache {
/// #     type Reply = bool;
/// #     async fn handle_call(&mut self, _: IsWarm, _: &mut Context<Self>) -> actor_core::CallReply<bool> {
/// #         actor_core::CallReply::Reply(self.warm)
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let cache = Cache::start(()).await.unwrap();
/// assert!(cache.call(IsWarm).await.unwrap()); // the continuation ran before this call
/// # }
/// ```
pub trait Continue<C: Send + 'static>: Actor {
    /// Runs the continuation. A panic here runs `terminate` and exits the actor with
    /// [`ExitReason::Panic`].
    fn handle_continue(
        &mut self,
        cont: C,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Flow> + Send;
}

/// A deferred reply: the caller's `From`, answered later with [`send`](ReplyTo::send).
///
/// Get one with [`Context::reply_to`] inside `handle_call`, return [`CallReply::NoReply`], and
/// keep it in the state or move it to a task. Dropping it unanswered leaves the caller waiting
/// until its timeout, as in OTP.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Call, CallReply, Context, InitError};
///
/// struct Slow;
/// struct Compute(u64);
///
/// impl Actor for Slow {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Slow) }
/// }
///
/// impl Call<Compute> for Slow {
///     type Reply = u64;
///     async fn handle_call(&mut self, Compute(n): Compute, ctx: &mut Context<Self>) -> CallReply<u64> {
///         let Some(reply) = ctx.reply_to::<Compute>() else { return CallReply::NoReply };
///         tokio::spawn(async move { reply.send(n * 2) }); // the actor keeps serving meanwhile
///         CallReply::NoReply
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let slow = Slow::start(()).await.unwrap();
/// assert_eq!(slow.call(Compute(21)).await.unwrap(), 42);
/// # }
/// ```
#[must_use = "dropping a ReplyTo leaves the caller waiting until its timeout"]
pub struct ReplyTo<R: Send + 'static> {
    pub(crate) tx: ReplyTx<R>,
}

impl<R: Send + 'static> ReplyTo<R> {
    /// Sends the reply. A caller that has given up (timed out, or gone) is ignored silently,
    /// as `GenServer.reply/2` does (R-GS-8).
    pub fn send(self, reply: R) {
        self.tx.send(reply);
    }

    /// `true` if the caller no longer waits for the reply.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl<R: Send + 'static> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("closed", &self.is_closed())
            .finish()
    }
}
