//! The observer's one background task: it keeps the latest tree for the pages watching,
//! keeps the log of supervisor events, and turns both into metrics when asked to.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actor_supervisor::{SupervisorEvent, SupervisorEventKind};
use serde::Serialize;
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

use crate::model::{self, Root, epoch_ms};

/// How many log entries are kept for a page that opens later.
pub(crate) const LOG_KEPT: usize = 200;

/// One line of the restart and exit log.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub(crate) struct LogEntry {
    pub(crate) at_ms: u128,
    /// `"exited"`, `"restarted"`, `"restart_failed"`, `"gave_up"`.
    pub(crate) event: &'static str,
    pub(crate) supervisor: String,
    pub(crate) supervisor_path: Option<String>,
    pub(crate) child: Option<String>,
    pub(crate) pid: Option<String>,
    pub(crate) detail: String,
}

/// What the handlers share with the hub.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) roots: Vec<Root>,
    pub(crate) allow_actions: bool,
    pub(crate) timeout: Duration,
    /// The latest tree, as JSON text (`None` until the hub's first look); pages subscribe
    /// to its changes.
    pub(crate) tree: watch::Sender<Option<Arc<str>>>,
    /// New log entries, for pages watching.
    pub(crate) log_tx: broadcast::Sender<Arc<str>>,
    /// The last [`LOG_KEPT`] entries. Locked only to push or copy; no user code under it.
    pub(crate) log: Mutex<VecDeque<LogEntry>>,
    /// Supervisor paths by actor id, from the latest tree (metric labels, log lines).
    paths: Mutex<HashMap<u64, String>>,
    /// Wakes the hub to look at the tree now (a page opened, an action ran).
    pub(crate) poke: Notify,
    /// Turns `true` when the observer stops.
    pub(crate) stopped: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn new(
        roots: Vec<Root>,
        allow_actions: bool,
        timeout: Duration,
        stopped: watch::Receiver<bool>,
    ) -> Self {
        Self {
            roots,
            allow_actions,
            timeout,
            tree: watch::channel(None).0,
            log_tx: broadcast::channel(256).0,
            log: Mutex::new(VecDeque::with_capacity(LOG_KEPT)),
            paths: Mutex::new(HashMap::new()),
            poke: Notify::new(),
            stopped,
        }
    }

    pub(crate) fn log_snapshot(&self) -> Vec<LogEntry> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    fn path_of(&self, id: u64) -> Option<String> {
        self.paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Looks at the tree now and publishes it if it changed.
    pub(crate) async fn refresh_tree(&self) {
        let tree = model::tree(&self.roots, self.timeout).await;
        let paths: HashMap<u64, String> = model::supervisor_paths(&tree).into_iter().collect();
        *self.paths.lock().unwrap_or_else(PoisonError::into_inner) = paths;
        let Ok(text) = serde_json::to_string(&tree) else {
            return;
        };
        self.tree.send_if_modified(|current| {
            if current.as_deref() == Some(text.as_str()) {
                false
            } else {
                *current = Some(Arc::from(text));
                true
            }
        });
    }

    fn record(&self, event: &SupervisorEvent, metrics: bool) {
        let supervisor_path = self.path_of(event.supervisor.id().as_u64());
        let child = event.child.as_ref().map(ToString::to_string);
        let (name, pid, detail) = match &event.kind {
            SupervisorEventKind::ChildExited {
                pid,
                reason,
                restarting,
            } => (
                "exited",
                Some(pid.to_string()),
                format!("{reason}{}", if *restarting { "; restarting" } else { "" }),
            ),
            SupervisorEventKind::ChildRestarted { pid, restarts } => (
                "restarted",
                Some(pid.to_string()),
                format!("restart {restarts}"),
            ),
            SupervisorEventKind::RestartFailed { error } => ("restart_failed", None, error.clone()),
            SupervisorEventKind::GaveUp { reason } => ("gave_up", None, reason.clone()),
            _ => ("other", None, String::new()),
        };
        if metrics {
            let sup = supervisor_path
                .clone()
                .unwrap_or_else(|| event.supervisor.to_string());
            crate::metrics::supervisor_event(name, sup, child.clone().unwrap_or_default());
        }
        let entry = LogEntry {
            at_ms: epoch_ms(event.at),
            event: name,
            supervisor: event.supervisor.to_string(),
            supervisor_path,
            child,
            pid,
            detail,
        };
        if let Ok(text) = serde_json::to_string(&entry) {
            // No page watching is not an error.
            let _ = self.log_tx.send(Arc::from(text));
        }
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.len() == LOG_KEPT {
            log.pop_front();
        }
        log.push_back(entry);
    }
}

/// Runs until the observer stops: follows supervisor events, refreshes the tree every
/// `tick` while a page watches (or metrics are on), and samples metrics every
/// `sample_every`.
pub(crate) async fn run(shared: Arc<Shared>, tick: Duration, sample_every: Option<Duration>) {
    let mut stopped = shared.stopped.clone();
    let mut events = actor_supervisor::subscribe();
    let mut tick = tokio::time::interval(tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sample = sample_every.map(|every| {
        let mut i = tokio::time::interval(every);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    });
    let metrics = sample_every.is_some();
    let every = tick.period();
    // The first look, so the paths are known before the first event.
    let mut gap = look(&shared, every).await;
    // Supervisor events are answered by one look after a short quiet `gap`: a lone crash
    // (its exit, then its restart) shows within milliseconds, and a storm of them costs at
    // most one look per `gap`, which is four times what the last look took (each look walks
    // the whole tree), between 10 ms and the refresh interval.
    let mut pending: Option<Instant> = None;
    loop {
        tokio::select! {
            () = until_stopped(&mut stopped) => return,
            event = events.recv() => match event {
                Ok(event) => {
                    shared.record(&event, metrics);
                    pending.get_or_insert_with(|| Instant::now() + gap);
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "observer fell behind the supervisor events");
                    pending.get_or_insert_with(|| Instant::now() + gap);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = async {
                match pending {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => {
                pending = None;
                gap = look(&shared, every).await;
            }
            () = shared.poke.notified() => gap = look(&shared, every).await,
            _ = tick.tick() => {
                if shared.tree.receiver_count() > 0 || metrics {
                    gap = look(&shared, every).await;
                }
            }
            _ = async {
                match sample.as_mut() {
                    Some(s) => s.tick().await,
                    None => std::future::pending().await,
                }
            } => crate::metrics::sample(),
        }
    }
}

/// Looks at the tree; returns the quiet gap to leave before the next look an event asks for.
async fn look(shared: &Shared, every: Duration) -> Duration {
    let started = Instant::now();
    shared.refresh_tree().await;
    (started.elapsed() * 4).clamp(
        Duration::from_millis(10),
        every.max(Duration::from_millis(10)),
    )
}

/// Returns once the observer stops (or can no longer be told to).
pub(crate) async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped at once: it must not live across an await.
    let _ = stopped.wait_for(|stopped| *stopped).await;
}
