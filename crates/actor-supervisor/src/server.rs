//! The supervisor actor: every flavour runs it, over the one [engine](crate::engine). This
//! file turns requests and exit signals into engine calls; the flavours' handles
//! (`SupervisorRef`, `DynamicSupervisorRef`, `SimpleOneForOne`, `TaskSupervisorRef`) send
//! the requests.

use std::fmt;
use std::time::Duration;

use actor_core::{
    Actor, ActorRef, Call, CallReply, Cast, Context, Exit, ExitReason, Flow, InitError, Pid,
};

use crate::engine::{ChildKey, Config, Engine, Flavour, Key};
use crate::error::{ChildError, SupervisorStartError};
use crate::info::{ChildCounts, ChildInfo};
use crate::spec::{ChildId, ChildSpec};

/// A supervisor: starts its children, restarts them by its strategy within its restart
/// intensity, and stops them when it stops. The one actor behind every flavour
/// ([`Supervisor::builder`], [`DynamicSupervisor`](crate::DynamicSupervisor),
/// [`SimpleOneForOne`](crate::SimpleOneForOne), [`TaskSupervisor`](crate::TaskSupervisor));
/// it traps exits. [`SupervisorRef`](crate::SupervisorRef) is the handle of a static one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, ExitReason, InitError};
/// use actor_supervisor::{ChildSpec, Strategy, Supervisor};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = Supervisor::builder()
///     .strategy(Strategy::OneForOne)
///     .intensity(3, Duration::from_secs(5))
///     .child(ChildSpec::worker::<Worker>("a", ()))
///     .child(ChildSpec::worker::<Worker>("b", ()))
///     .start_link()
///     .await
///     .unwrap();
///
/// let children = sup.which_children().await.unwrap();
/// assert_eq!(children[0].id.as_ref().unwrap().as_str(), "b"); // newest first
///
/// // Crash "a": it is restarted with a new pid.
/// let a = children[1].pid.pid().unwrap().clone();
/// a.exit(ExitReason::msg("crash"));
/// a.exited().await;
/// let again = sup.which_children().await.unwrap();
/// assert_ne!(again[1].pid.pid(), Some(&a));
/// sup.stop(ExitReason::Normal).await.unwrap();
/// # }
/// ```
pub struct Supervisor {
    engine: Engine,
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("engine", &self.engine)
            .finish()
    }
}

type InitFn = Box<dyn FnOnce() -> Option<(Config, Vec<ChildSpec>)> + Send>;

/// The arguments the supervisor actor starts with: its configuration and first children,
/// made when it starts (a module-based supervisor's `init` runs then).
pub struct SupervisorArgs {
    init: InitFn,
}

impl SupervisorArgs {
    /// Arguments whose configuration and children `init` makes in the new supervisor
    /// (`None`: ignore).
    pub(crate) fn new(
        init: impl FnOnce() -> Option<(Config, Vec<ChildSpec>)> + Send + 'static,
    ) -> Self {
        Self {
            init: Box::new(init),
        }
    }
}

impl fmt::Debug for SupervisorArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SupervisorArgs(..)")
    }
}

impl Actor for Supervisor {
    type Args = SupervisorArgs;

    async fn init(args: SupervisorArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        let Some((config, children)) = (args.init)() else {
            return Err(InitError::Ignore);
        };
        let fail = |e: SupervisorStartError| InitError::Stop(ExitReason::error(e));
        config.validate().map_err(|e| fail(e.into()))?;
        let mut engine = Engine::new(config);
        if let Err(e) = engine.start_initial(children, ctx).await {
            return Err(match e {
                // R-SUP-2: `{shutdown, {failed_to_start_child, Id, Reason}}`.
                e @ SupervisorStartError::FailedToStartChild { .. } => {
                    InitError::Stop(ExitReason::shutdown_with_error(e))
                }
                e => fail(e),
            });
        }
        Ok(Supervisor { engine })
    }

    /// R-SHUT-1/4: the children stop before the supervisor exits.
    async fn terminate(&mut self, _reason: &ExitReason, ctx: &mut Context<Self>) {
        self.engine.shutdown(ctx).await;
    }

    async fn handle_exit(&mut self, exit: Exit, ctx: &mut Context<Self>) -> Flow {
        self.engine.on_exit(exit, ctx).await
    }
}

// ---- requests -----------------------------------------------------------------------------

pub(crate) struct StartChild(pub(crate) ChildSpec);
pub(crate) struct TerminateChild(pub(crate) ChildKey);
pub(crate) struct RestartChild(pub(crate) ChildId);
pub(crate) struct DeleteChild(pub(crate) ChildId);
pub(crate) struct WhichChildren;
pub(crate) struct CountChildren;
pub(crate) struct GetChildSpec(pub(crate) ChildKey);
/// A queued retry of a failed restart (R-RST-4).
pub(crate) struct Retry(pub(crate) Key, pub(crate) actor_core::StartError);
/// Which flavour the supervisor is (to make a handle from a pid).
pub(crate) struct GetFlavour;
/// The supervisor's report of itself (`crate::inspect`).
pub(crate) struct Inspect;

/// Each request as one engine call; `$m` binds the message, `$ctx` the context.
macro_rules! requests {
    ($($msg:ident -> $reply:ty = |$engine:ident, $m:pat, $ctx:pat_param| $body:expr;)*) => {$(
        impl Call<$msg> for Supervisor {
            type Reply = $reply;
            async fn handle_call(&mut self, $m: $msg, $ctx: &mut Context<Self>) -> CallReply<$reply> {
                let $engine = &mut self.engine;
                CallReply::Reply($body)
            }
        }
    )*};
}

requests! {
    StartChild -> Result<Option<Pid>, ChildError> = |e, StartChild(spec), _| e.start_child(spec).await;
    TerminateChild -> Result<(), ChildError> =
        |e, TerminateChild(key), ctx| e.terminate_child(&key, ctx).await;
    RestartChild -> Result<Option<Pid>, ChildError> = |e, RestartChild(id), _| e.restart_child(&id).await;
    DeleteChild -> Result<(), ChildError> = |e, DeleteChild(id), _| e.delete_child(&id);
    WhichChildren -> Vec<ChildInfo> = |e, WhichChildren, _| e.which_children();
    CountChildren -> ChildCounts = |e, CountChildren, _| e.count_children();
    GetChildSpec -> Result<ChildSpec, ChildError> = |e, GetChildSpec(key), _| e.child_spec(&key);
    GetFlavour -> Flavour = |e, GetFlavour, _| e.flavour();
    Inspect -> crate::inspect::SupervisorReport = |e, Inspect, ctx| e.report(ctx.pid());
}

impl Cast<Retry> for Supervisor {
    async fn handle_cast(&mut self, m: Retry, ctx: &mut Context<Self>) -> Flow {
        self.engine.retry(m.0, &m.1, ctx).await
    }
}

/// The supervisor actor behind `pid` if it runs the `flavour` engine and answers within
/// OTP's default call timeout.
pub(crate) async fn supervisor_of(pid: &Pid, flavour: Flavour) -> Option<ActorRef<Supervisor>> {
    let sup = pid.downcast::<Supervisor>().ok()?;
    let found = request(&sup, actor_core::DEFAULT_CALL_TIMEOUT, GetFlavour)
        .await
        .ok()?;
    (found == flavour).then_some(sup)
}

/// Sends a request and waits at most `timeout` for the answer (`Duration::MAX`, the
/// default of every handle, waits forever, as OTP's supervisor calls do). The one way every
/// handle asks its supervisor.
pub(crate) async fn request<M, R>(
    sup: &ActorRef<Supervisor>,
    timeout: Duration,
    msg: M,
) -> Result<R, ChildError>
where
    Supervisor: Call<M, Reply = R>,
    M: Send + 'static,
{
    Ok(sup.call_timeout(msg, timeout).await?)
}
