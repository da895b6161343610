//! Task.Supervisor (R-TASK): a dynamic supervisor of one-off tasks.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actor_core::{Actor, Context, Continue, ExitReason, Flow, InitError, Pid, StartError};
use thiserror::Error;
use tokio::sync::oneshot;

use crate::builder::{Setup, common_setters, handle_methods, handle_type};
use crate::engine::Flavour;
use crate::error::{ChildError, SupervisorStartError};
use crate::server::{StartChild, Supervisor, request};
use crate::spec::{ChildSpec, Restart, Shutdown};
use actor_core::ActorRef;

type Body = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A task's default shutdown, as Elixir's `Task.Supervisor`: 5 s.
const TASK_SHUTDOWN: Shutdown = Shutdown::Timeout(Duration::from_secs(5));

/// The actor that runs one task body to completion and exits `Normal` (or with its panic).
struct TaskRunner {
    body: Option<Body>,
}

impl fmt::Debug for TaskRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TaskRunner")
    }
}

struct Run;

impl Actor for TaskRunner {
    /// The body, and the caller to link to before it runs (`Task.Supervisor.async`).
    type Args = (Body, Option<Pid>);
    async fn init((body, link_to): Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        if let Some(caller) = link_to {
            ctx.link(&caller);
        }
        ctx.continue_with(Run);
        Ok(TaskRunner { body: Some(body) })
    }
}

impl Continue<Run> for TaskRunner {
    async fn handle_continue(&mut self, _: Run, _: &mut Context<Self>) -> Flow {
        if let Some(body) = self.body.take() {
            body.await;
        }
        Flow::Stop(ExitReason::Normal)
    }
}

async fn run_task(body: Body, link_to: Option<Pid>) -> Result<Option<Pid>, StartError> {
    crate::spec::started(TaskRunner::start_link((body, link_to)).await)
}

/// A supervisor of tasks: `Task.Supervisor`. Tasks are temporary by default (never
/// restarted), shut down within 5 s, and the supervisor allows 3 restarts in 5 s.
///
/// # Examples
///
/// ```
/// use actor_supervisor::TaskSupervisor;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let tasks = TaskSupervisor::builder().start_link().await.unwrap();
///
/// // Fire and forget, supervised.
/// tasks.start_child(|| async { /* background work */ }).await.unwrap();
///
/// // Run and await the result; a crash comes back as an error, not as a crash of the caller.
/// let answer = tasks.async_nolink(async { 6 * 7 }).await.unwrap();
/// assert_eq!(answer.await_result().await.unwrap(), 42);
/// let boom = tasks.async_nolink(async { panic!("bad input") }).await.unwrap();
/// assert!(boom.await_result().await.is_err());
/// # let _: Option<()> = None;
/// # }
/// ```
#[derive(Debug)]
pub struct TaskSupervisor;

impl TaskSupervisor {
    /// A builder with `Task.Supervisor`'s defaults.
    pub fn builder() -> TaskSupervisorBuilder {
        TaskSupervisorBuilder {
            setup: Setup::new(Flavour::Dynamic),
        }
    }
}

/// Configures and starts a [`TaskSupervisor`].
///
/// # Examples
///
/// See [`TaskSupervisor`].
#[must_use = "a builder does nothing until started"]
#[derive(Debug)]
pub struct TaskSupervisorBuilder {
    setup: Setup,
}

impl TaskSupervisorBuilder {
    common_setters!();

    /// At most `max` tasks at once.
    pub fn max_children(mut self, max: usize) -> Self {
        self.setup.config.max_children = Some(max);
        self
    }

    /// Starts it linked to the calling actor, if any.
    ///
    /// # Errors
    ///
    /// [`SupervisorStartError`] for invalid flags (a zero period, a strategy other than
    /// `one_for_one`, an auto shutdown) or a name clash.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<TaskSupervisorRef, SupervisorStartError> {
        let inner = self.setup.start(Vec::new(), true).await?;
        Ok(TaskSupervisorRef::new(inner))
    }

    /// A child spec running this task supervisor under another supervisor (type
    /// supervisor, shutdown `Infinity`); a restart starts it empty, as in OTP. Its handle
    /// comes from its pid: [`TaskSupervisorRef::from_pid`].
    pub fn into_child_spec(self, id: impl Into<crate::ChildId>) -> ChildSpec {
        self.setup.into_child_spec(id, Vec::new())
    }
}

/// The handle of a running [`TaskSupervisor`].
///
/// # Examples
///
/// See [`TaskSupervisor`].
#[derive(Clone, Debug)]
pub struct TaskSupervisorRef {
    inner: ActorRef<Supervisor>,
    /// How long each request waits for the supervisor's answer (`with_timeout`).
    timeout: std::time::Duration,
}

handle_type!(TaskSupervisorRef);

impl TaskSupervisorRef {
    handle_methods!(by_pid);
    handle_methods!(from Dynamic);

    /// Starts a temporary task, not linked to the caller (R-TASK-2).
    ///
    /// # Errors
    ///
    /// `MaxChildren`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the task supervisor may still start
    /// the task; only its handle is lost.
    pub async fn start_child<F, Fut>(&self, task: F) -> Result<Pid, ChildError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.start_child_with(task, Restart::Temporary, TASK_SHUTDOWN)
            .await
    }

    /// Starts a task with a restart type and shutdown (R-TASK-2): `Permanent` restarts it on
    /// every exit, `Transient` only after a crash. `task` is called again for each restart.
    ///
    /// # Errors
    ///
    /// `MaxChildren`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the task supervisor may still start
    /// the task; only its handle is lost.
    pub async fn start_child_with<F, Fut>(
        &self,
        task: F,
        restart: Restart,
        shutdown: Shutdown,
    ) -> Result<Pid, ChildError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let spec = ChildSpec::new("task", move || run_task(Box::pin(task()), None))
            .restart(restart)
            .shutdown(shutdown);
        request(&self.inner, self.timeout, StartChild(spec))
            .await??
            .ok_or(ChildError::NotFound)
    }

    /// Runs `future` as a temporary task that is not linked to the caller; the returned
    /// [`Task`] yields its result or its exit reason (R-TASK-3). A crash never takes the
    /// caller down.
    ///
    /// # Errors
    ///
    /// `MaxChildren` (where Elixir raises), or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the task supervisor may still start
    /// the task; only its handle is lost.
    pub async fn async_nolink<T, Fut>(&self, future: Fut) -> Result<Task<T>, ChildError>
    where
        T: Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        self.spawn_task(future, None, TASK_SHUTDOWN).await
    }

    /// As [`async_nolink`](Self::async_nolink), with the task's shutdown: how long it is
    /// given to stop when the supervisor or [`terminate_child`](Self::terminate_child)
    /// stops it (Elixir's `:shutdown` option; default 5 s).
    ///
    /// # Errors
    ///
    /// As [`async_nolink`](Self::async_nolink).
    ///
    /// # Cancel safety
    ///
    /// As [`async_nolink`](Self::async_nolink).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_supervisor::{Shutdown, TaskSupervisor};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let tasks = TaskSupervisor::builder().start_link().await.unwrap();
    /// let task = tasks.async_nolink_with(async { 1 }, Shutdown::BrutalKill).await.unwrap();
    /// assert_eq!(task.await_result().await.unwrap(), 1);
    /// # }
    /// ```
    pub async fn async_nolink_with<T, Fut>(
        &self,
        future: Fut,
        shutdown: Shutdown,
    ) -> Result<Task<T>, ChildError>
    where
        T: Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        self.spawn_task(future, None, shutdown).await
    }

    async fn spawn_task<T, Fut>(
        &self,
        future: Fut,
        link_to: Option<Pid>,
        shutdown: Shutdown,
    ) -> Result<Task<T>, ChildError>
    where
        T: Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let body: Body = Box::pin(async move {
            let out = future.await;
            let _ = tx.send(out);
        });
        // A temporary task is started once; the cell hands the body to that one start.
        let once = Arc::new(Mutex::new(Some(body)));
        let spec = ChildSpec::new("task", move || {
            let body = once.lock().unwrap_or_else(PoisonError::into_inner).take();
            let link_to = link_to.clone();
            async move {
                match body {
                    Some(body) => run_task(body, link_to).await,
                    None => Err(StartError::Failed(ExitReason::msg(
                        "an async task cannot be restarted",
                    ))),
                }
            }
        })
        .restart(Restart::Temporary)
        .shutdown(shutdown);
        let pid = request(&self.inner, self.timeout, StartChild(spec))
            .await??
            .ok_or(ChildError::NotFound)?;
        Ok(Task { pid, rx })
    }

    /// As [`async_nolink`](Self::async_nolink), and links the task to the calling actor, so
    /// a crash of the task kills a caller that does not trap exits (R-TASK-4). Outside an
    /// actor there is nothing to link and this is `async_nolink`.
    ///
    /// # Errors
    ///
    /// As [`async_nolink`](Self::async_nolink).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the task supervisor may still start
    /// the task; only its handle is lost.
    pub async fn async_link<T, Fut>(&self, future: Fut) -> Result<Task<T>, ChildError>
    where
        T: Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        // The task links itself to the caller in its init, before its body runs, so even an
        // instant crash reaches the caller.
        self.spawn_task(future, actor_core::self_pid(), TASK_SHUTDOWN)
            .await
    }

    /// As [`async_link`](Self::async_link), with the task's shutdown (see
    /// [`async_nolink_with`](Self::async_nolink_with)).
    ///
    /// # Errors
    ///
    /// As [`async_nolink`](Self::async_nolink).
    ///
    /// # Cancel safety
    ///
    /// As [`async_nolink`](Self::async_nolink).
    pub async fn async_link_with<T, Fut>(
        &self,
        future: Fut,
        shutdown: Shutdown,
    ) -> Result<Task<T>, ChildError>
    where
        T: Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        self.spawn_task(future, actor_core::self_pid(), shutdown)
            .await
    }

    /// The running tasks' pids, restarting ones excluded (R-TASK-6).
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request changes nothing, and dropping the future only drops the answer.
    pub async fn children(&self) -> Result<Vec<Pid>, ChildError> {
        Ok(self
            .which_children()
            .await?
            .into_iter()
            .filter_map(|c| c.pid.pid().cloned())
            .collect())
    }
}

/// A running task's handle: await its result (`Task.await`).
///
/// # Examples
///
/// See [`TaskSupervisor`].
pub struct Task<T> {
    pid: Pid,
    rx: oneshot::Receiver<T>,
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// Why awaiting a task gave no result (R-TASK-5).
///
/// # Examples
///
/// See [`TaskSupervisor`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskError {
    /// The task exited without a result, with this reason.
    #[error("task exited: {0}")]
    Exit(#[source] ExitReason),
    /// No result within the timeout; the task keeps running.
    #[error("task timed out")]
    Timeout,
}

impl<T> Task<T> {
    /// The task's pid.
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// Waits up to 5 s for the result (`Task.await/2` with its default).
    ///
    /// # Errors
    ///
    /// As [`await_timeout`](Self::await_timeout).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the handle: the task keeps running and its result is dropped
    /// when it comes.
    pub async fn await_result(self) -> Result<T, TaskError> {
        self.await_timeout(Duration::from_secs(5)).await
    }

    /// Waits up to `timeout` for the result. On timeout the task is not killed, and its late
    /// result is dropped.
    ///
    /// # Errors
    ///
    /// [`TaskError::Exit`] when the task died without a result, [`TaskError::Timeout`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the handle: the task keeps running and its result is dropped
    /// when it comes.
    pub async fn await_timeout(self, timeout: Duration) -> Result<T, TaskError> {
        let Task { pid, rx } = self;
        let wait = async move {
            match rx.await {
                Ok(out) => Ok(out),
                Err(_) => Err(TaskError::Exit(pid.exited().await)),
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(result) => result,
            Err(_) => Err(TaskError::Timeout),
        }
    }
}
