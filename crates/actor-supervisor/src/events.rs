//! What supervisors do, as a stream of events: a child exited, was restarted, failed to
//! restart; a supervisor gave up. OTP's SASL supervisor reports, for observers and metrics.

use std::sync::OnceLock;
use std::time::SystemTime;

use actor_core::{ExitReason, Pid};
use tokio::sync::broadcast;

use crate::spec::ChildId;

/// How many events a slow subscriber may fall behind before it misses some (its `recv`
/// then returns `Lagged` with the count).
pub const EVENT_BUFFER: usize = 1024;

/// What happened.
///
/// # Examples
///
/// See [`subscribe`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SupervisorEventKind {
    /// A child exited by itself (not stopped by its supervisor). `restarting` tells whether
    /// the strategy restarts it.
    ChildExited {
        /// The pid that exited.
        pid: Pid,
        /// Its exit reason.
        reason: ExitReason,
        /// Whether a restart follows.
        restarting: bool,
    },
    /// A child was started again after an exit (its own, or a sibling's under
    /// `one_for_all` / `rest_for_one`).
    ChildRestarted {
        /// Its new pid.
        pid: Pid,
        /// Its restarts so far, this one included.
        restarts: u32,
    },
    /// A restart failed; it is retried (R-RST-4).
    RestartFailed {
        /// The start error, as text.
        error: String,
    },
    /// The restart intensity was exceeded: the supervisor shuts down.
    GaveUp {
        /// The last exit reason or start error, as text.
        reason: String,
    },
}

/// One supervisor event.
///
/// # Examples
///
/// See [`subscribe`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SupervisorEvent {
    /// When it happened.
    pub at: SystemTime,
    /// The supervisor.
    pub supervisor: Pid,
    /// The child concerned (a give-up names the child whose exit exceeded the intensity).
    pub child: Option<ChildId>,
    /// What happened.
    pub kind: SupervisorEventKind,
}

static EVENTS: OnceLock<broadcast::Sender<SupervisorEvent>> = OnceLock::new();

/// Subscribes to every supervisor's events in this process, from now on.
///
/// Until the first subscription, supervisors build no event at all; while nobody listens,
/// they build none either.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Cast, Context, ExitReason, Flow, InitError};
/// use actor_supervisor::{ChildSpec, Supervisor, SupervisorEventKind, subscribe};
///
/// struct Worker;
/// struct Crash;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// impl Cast<Crash> for Worker {
///     async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
///         Flow::Stop(ExitReason::msg("boom"))
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut events = subscribe();
/// let sup = Supervisor::builder()
///     .child(ChildSpec::worker::<Worker>("w", ()))
///     .start_link()
///     .await
///     .unwrap();
/// let w = sup.which_children().await.unwrap()[0].pid.pid().unwrap().clone();
/// w.downcast::<Worker>().unwrap().cast(Crash);
/// let exited = events.recv().await.unwrap();
/// assert!(matches!(exited.kind, SupervisorEventKind::ChildExited { restarting: true, .. }));
/// let restarted = events.recv().await.unwrap();
/// assert!(matches!(restarted.kind, SupervisorEventKind::ChildRestarted { restarts: 1, .. }));
/// # }
/// ```
pub fn subscribe() -> broadcast::Receiver<SupervisorEvent> {
    EVENTS
        .get_or_init(|| broadcast::channel(EVENT_BUFFER).0)
        .subscribe()
}

/// Publishes the event `make` builds, if anyone listens.
pub(crate) fn publish(
    supervisor: &Pid,
    child: Option<&ChildId>,
    kind: impl FnOnce() -> SupervisorEventKind,
) {
    let Some(tx) = EVENTS.get() else {
        return;
    };
    if tx.receiver_count() == 0 {
        return;
    }
    // No receiver left meanwhile is not an error: the event had no audience.
    let _ = tx.send(SupervisorEvent {
        at: SystemTime::now(),
        supervisor: supervisor.clone(),
        child: child.cloned(),
        kind: kind(),
    });
}
