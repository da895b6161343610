//! Running a supervision tree as a service: OTP's application. Start the top supervisor,
//! wait for SIGTERM or SIGINT, a shutdown the program asks for, or the tree's own exit;
//! stop the tree in order within a deadline; say why it ended.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actor_core::{ExitReason, Pid};

use crate::error::SupervisorStartError;
use crate::spec::ChildId;
use crate::supervisor::{SupervisorBuilder, SupervisorRef};

/// A supervisor giving up: its restart intensity was exceeded, so it stopped its children
/// and exited with `shutdown` (R-INT-1).
///
/// # Examples
///
/// See [`Application`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestartLimit {
    /// The supervisor that gave up.
    pub supervisor: Pid,
    /// The child whose restart was one too many.
    pub child: Option<ChildId>,
    /// Why that child last stopped (its exit reason, or the error of its failed restart),
    /// as text.
    pub reason: String,
}

/// Why an [`Application`] ended.
///
/// # Examples
///
/// See [`Application`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ended {
    /// A signal asked it to stop (`"SIGTERM"` or `"SIGINT"`); the tree was stopped.
    Signal(&'static str),
    /// The program's own shutdown future completed; the tree was stopped.
    Requested,
    /// The top supervisor exited by itself with `reason`; `restart_limit` says which
    /// supervisor gave up on which child, when that is why (logged at `error`).
    TreeExited {
        /// The top supervisor's exit reason.
        reason: ExitReason,
        /// The restart-limit exit behind it, if any.
        restart_limit: Option<RestartLimit>,
    },
}

/// How the stop went, with why it was asked for.
///
/// # Examples
///
/// See [`Application`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// Why the application ended.
    pub ended: Ended,
    /// The tree did not stop within the shutdown deadline and was killed.
    pub killed_at_deadline: bool,
}

/// A supervision tree run as a service: OTP's application, Elixir's `Application` with its
/// top supervisor.
///
/// [`run`](Application::run) starts the top supervisor and waits for SIGTERM or SIGINT (on
/// Unix; Ctrl-C elsewhere), or for the tree's own exit; [`run_until`](Application::run_until)
/// also stops when a future of the program's completes (an HTTP server's shutdown, a test).
/// Stopping stops the top supervisor, which stops its children in order, within the
/// shutdown deadline (default 30 s), after which the tree is killed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{Application, ChildSpec, Ended, Supervisor};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let tree = Supervisor::builder().child(ChildSpec::worker::<Worker>("worker", ()));
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let app = Application::new(tree).shutdown_timeout(Duration::from_secs(5));
/// let running = tokio::spawn(app.run_until(async { let _ = stopped.await; }));
/// stop.send(()).unwrap();
/// let outcome = running.await.unwrap().unwrap();
/// assert_eq!(outcome.ended, Ended::Requested);
/// assert!(!outcome.killed_at_deadline);
/// # }
/// ```
#[derive(Debug)]
#[must_use = "an application does nothing until run"]
pub struct Application {
    top: SupervisorBuilder,
    shutdown_timeout: Duration,
    signals: bool,
}

impl Application {
    /// An application whose top supervisor `top` builds.
    pub fn new(top: SupervisorBuilder) -> Self {
        Self {
            top,
            shutdown_timeout: Duration::from_secs(30),
            signals: true,
        }
    }

    /// How long the ordered stop may take before the tree is killed (default 30 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Whether SIGTERM and SIGINT stop the application (default `true`). Without them only
    /// the tree's exit or [`run_until`](Self::run_until)'s future does.
    pub fn stop_on_signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    /// Runs the application until a signal or the tree's own exit.
    ///
    /// # Errors
    ///
    /// The top supervisor did not start ([`SupervisorStartError`]), or the signal handlers
    /// could not be installed (`SupervisorStartError::Start` with the reason).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops nothing: the tree keeps running, unsupervised by it.
    pub async fn run(self) -> Result<Outcome, SupervisorStartError> {
        self.run_until(std::future::pending()).await
    }

    /// Runs the application until a signal, the tree's own exit, or `shutdown` completes.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    ///
    /// # Cancel safety
    ///
    /// As [`run`](Self::run).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Outcome, SupervisorStartError> {
        // Installed first: a signal that comes while the tree starts is not lost, and
        // does not end the process by its default action.
        let signals = Signals::new(self.signals)?;
        let gave_up: Arc<Mutex<Option<RestartLimit>>> = Arc::default();
        let record = gave_up.clone();
        let top = self
            .top
            .on_give_up(Arc::new(move |limit| {
                let mut slot = record.lock().unwrap_or_else(PoisonError::into_inner);
                slot.get_or_insert(limit);
            }))
            .start()
            .await?;
        let exited = top.pid();
        let mut exited = pin!(exited.exited());
        let mut shutdown = pin!(shutdown);
        let mut signal = pin!(signals.recv());
        let ended = tokio::select! {
            reason = exited.as_mut() => {
                let restart_limit = gave_up.lock().unwrap_or_else(PoisonError::into_inner).take();
                match &restart_limit {
                    Some(limit) => tracing::error!(
                        supervisor = %limit.supervisor,
                        child = ?limit.child,
                        reason = %limit.reason,
                        "the application's tree gave up: restart intensity exceeded"
                    ),
                    None => tracing::error!(%reason, "the application's tree exited"),
                }
                return Ok(Outcome {
                    ended: Ended::TreeExited { reason, restart_limit },
                    killed_at_deadline: false,
                });
            }
            name = signal.as_mut() => Ended::Signal(name),
            () = shutdown.as_mut() => Ended::Requested,
        };
        tracing::info!(why = ?ended, "stopping the application");
        let killed_at_deadline = stop_within(&top, self.shutdown_timeout).await;
        Ok(Outcome {
            ended,
            killed_at_deadline,
        })
    }
}

/// Stops the tree in order; kills it when `timeout` passes first. `true` if killed.
async fn stop_within(top: &SupervisorRef, timeout: Duration) -> bool {
    if tokio::time::timeout(timeout, top.stop(ExitReason::Shutdown))
        .await
        .is_ok()
    {
        return false;
    }
    tracing::error!(timeout = ?timeout, "the tree did not stop in time; killing it");
    let pid = top.pid();
    pid.kill();
    pid.exited().await;
    true
}

/// The stop signals, or none.
struct Signals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
    #[cfg(not(unix))]
    on: bool,
}

impl Signals {
    fn new(on: bool) -> Result<Self, SupervisorStartError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let failed = |e: std::io::Error| {
                SupervisorStartError::Start(actor_core::StartError::Failed(ExitReason::error(e)))
            };
            let unix = if on {
                Some((
                    signal(SignalKind::terminate()).map_err(failed)?,
                    signal(SignalKind::interrupt()).map_err(failed)?,
                ))
            } else {
                None
            };
            Ok(Self { unix })
        }
        #[cfg(not(unix))]
        {
            Ok(Self { on })
        }
    }

    /// The name of the next stop signal; never, when off.
    async fn recv(self) -> &'static str {
        #[cfg(unix)]
        {
            let Some((mut term, mut int)) = self.unix else {
                return std::future::pending().await;
            };
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            if !self.on || tokio::signal::ctrl_c().await.is_err() {
                return std::future::pending().await;
            }
            "SIGINT"
        }
    }
}
