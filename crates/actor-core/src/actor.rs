//! The `Actor` trait: a GenServer's lifecycle callbacks.

use std::fmt;
use std::future::Future;

use crate::context::Context;
use crate::exit::ExitReason;
use crate::handler::Flow;
use crate::signal::{Down, Exit};
use crate::spawn::Start;

/// A GenServer: state built by [`init`](Actor::init), messages handled by the
/// [`Call`](crate::Call), [`Cast`](crate::Cast), [`Info`](crate::Info) and
/// [`Continue`](crate::Continue) impls, and [`terminate`](Actor::terminate) at the end.
///
/// The actor value *is* the state: each handler gets `&mut self`, and one task owns it.
/// Implement the handlers with `async fn`; no attribute macro is needed.
///
/// The provided methods have OTP's defaults: an unexpected DOWN, trapped exit or idle timeout
/// is logged and ignored, and `terminate` does nothing.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError};
///
/// struct Stack(Vec<i64>);
/// struct Push(i64);
/// struct Pop;
///
/// impl Actor for Stack {
///     type Args = Vec<i64>;
///     async fn init(items: Vec<i64>, _: &mut Context<Self>) -> Result<Self, InitError> {
///         Ok(Stack(items))
///     }
///     async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
///         println!("stack stops ({reason}) with {} items", self.0.len());
///     }
/// }
///
/// impl Cast<Push> for Stack {
///     async fn handle_cast(&mut self, Push(x): Push, _: &mut Context<Self>) -> Flow {
///         self.0.push(x);
///         Flow::Ok
///     }
/// }
///
/// impl Call<Pop> for Stack {
///     type Reply = Option<i64>;
///     async fn handle_call(&mut self, _: Pop, _: &mut Context<Self>) -> CallReply<Option<i64>> {
///         CallReply::Reply(self.0.pop())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let stack = Stack::start(vec![1]).await.unwrap();
/// stack.cast(Push(2));
/// assert_eq!(stack.call(Pop).await.unwrap(), Some(2)); // the cast was handled first
/// stack.stop(ExitReason::Normal).await.unwrap();
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an actor",
    label = "this type does not implement `actor_core::Actor`",
    note = "implement `Actor` for it (init and the handler traits); `#[derive(Child)]` with the default `type = \"worker\"` needs an actor"
)]
pub trait Actor: Sized + Send + 'static {
    /// What [`init`](Actor::init) is started with.
    type Args: Send + 'static;

    /// Builds the state. `start` returns once this has finished (R-GS-1).
    ///
    /// Return an [`InitError`] to refuse to start: `Ignore`, `Stop(reason)` (the actor exits
    /// with `reason`) or `Error(reason)` (start fails with `reason`, the actor exits `Normal`).
    /// A panic here is an error too: start returns [`StartError::Failed`](crate::StartError::Failed)
    /// with [`ExitReason::Panic`]. `terminate` is not called when `init` fails.
    fn init(
        args: Self::Args,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Self, InitError>> + Send;

    /// Runs when the actor stops by itself (a handler returned a stop, panicked, or
    /// [`Context::stop`] was called), when it is stopped with
    /// [`ActorRef::stop`](crate::ActorRef::stop), and when it traps exits and its parent exits.
    ///
    /// It does not run when the actor is killed, when it dies of an exit signal it does not
    /// trap, or when `init` failed (R-GS-17). If it panics, the actor exits with that panic
    /// instead of `reason` (R-GS-18).
    fn terminate(
        &mut self,
        reason: &ExitReason,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (reason, ctx);
        async {}
    }

    /// A monitor set with [`Context::monitor`] fired. Default: log at debug and keep running.
    fn handle_down(
        &mut self,
        down: Down,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Flow> + Send {
        tracing::debug!(actor.id = %ctx.id(), down.pid = %down.pid, reason = %down.reason, "unhandled DOWN");
        async { Flow::Ok }
    }

    /// A trapped exit signal arrived from an actor other than the parent (see
    /// [`Context::trap_exit`]). Default: log and keep running.
    fn handle_exit(
        &mut self,
        exit: Exit,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Flow> + Send {
        tracing::debug!(actor.id = %ctx.id(), from = ?exit.from, reason = %exit.reason, "unhandled EXIT");
        async { Flow::Ok }
    }

    /// No message arrived within the idle timeout set by [`Context::set_timeout`] (OTP's
    /// `handle_info(timeout, State)`). Default: log and keep running.
    fn handle_timeout(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = Flow> + Send {
        tracing::debug!(actor.id = %ctx.id(), "unhandled idle timeout");
        async { Flow::Ok }
    }

    /// Starts the actor without a link: `GenServer.start/3`. Await the returned [`Start`]
    /// (after setting options such as a name or a timeout).
    fn start(args: Self::Args) -> Start<Self> {
        Start::new(args, false)
    }

    /// Starts the actor linked to the calling actor, which becomes its parent:
    /// `GenServer.start_link/3`. Outside an actor there is no one to link to, and this is the
    /// same as [`start`](Actor::start).
    fn start_link(args: Self::Args) -> Start<Self> {
        Start::new(args, true)
    }
}

/// Why [`Actor::init`] did not produce a running actor (the non-`{ok, State}` results).
///
/// `?` on an [`ExitReason`] gives `Stop(reason)`.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, ExitReason, InitError, StartError};
///
/// struct Picky;
///
/// impl Actor for Picky {
///     type Args = i32;
///     async fn init(n: i32, _: &mut Context<Self>) -> Result<Self, InitError> {
///         match n {
///             0 => Err(InitError::Ignore),
///             n if n < 0 => Err(ExitReason::msg("negative"))?,
///             _ => Ok(Picky),
///         }
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert!(matches!(Picky::start(0).await, Err(StartError::Ignored)));
/// assert!(matches!(Picky::start(-1).await, Err(StartError::Failed(_))));
/// assert!(Picky::start(1).await.is_ok());
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum InitError {
    /// `ignore`: start returns [`StartError::Ignored`](crate::StartError::Ignored) and the
    /// actor exits `Normal`.
    Ignore,
    /// `{stop, Reason}`: start fails with `Reason` and the actor exits with `Reason`.
    Stop(ExitReason),
    /// `{error, Reason}`: start fails with `Reason`, and the actor exits `Normal`, silently.
    Error(ExitReason),
}

impl From<ExitReason> for InitError {
    fn from(reason: ExitReason) -> Self {
        Self::Stop(reason)
    }
}

impl fmt::Debug for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ignore => f.write_str("Ignore"),
            Self::Stop(r) => f.debug_tuple("Stop").field(r).finish(),
            Self::Error(r) => f.debug_tuple("Error").field(r).finish(),
        }
    }
}
