//! Looking into a running supervision tree: each supervisor's configuration, its children
//! with their restart counts and last exit reasons, and the tree below it. What
//! `:observer` and `:supervisor.which_children/1` give an Erlang engineer, in one walk.

use std::boxed::Box;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actor_core::{ExitReason, Pid};

use crate::engine::Flavour;
use crate::info::ChildPid;
use crate::server::{Inspect, Supervisor, request};
use crate::spec::{ChildId, ChildType, Restart};
use crate::{ChildError, SupervisorFlags};

/// Which kind of supervisor a report is of.
///
/// # Examples
///
/// See [`inspect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SupervisorKind {
    /// A [`Supervisor`](crate::Supervisor) (static children, any strategy).
    Static,
    /// A [`DynamicSupervisor`](crate::DynamicSupervisor) or a
    /// [`TaskSupervisor`](crate::TaskSupervisor).
    Dynamic,
    /// A [`SimpleOneForOne`](crate::SimpleOneForOne).
    SimpleOneForOne,
}

impl SupervisorKind {
    pub(crate) fn of(flavour: Flavour) -> Self {
        match flavour {
            Flavour::Static => Self::Static,
            Flavour::Dynamic => Self::Dynamic,
            Flavour::Simple => Self::SimpleOneForOne,
        }
    }

    /// The kind as a word: `"static"`, `"dynamic"`, `"simple_one_for_one"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Dynamic => "dynamic",
            Self::SimpleOneForOne => "simple_one_for_one",
        }
    }
}

/// One child as its supervisor sees it.
///
/// # Examples
///
/// See [`inspect`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChildReport {
    /// Its id (under the dynamic flavours, the id its spec was given; they address children
    /// by pid).
    pub id: ChildId,
    /// Running with a pid, restarting, or stopped.
    pub state: ChildPid,
    /// Worker or supervisor.
    pub child_type: ChildType,
    /// Its restart type.
    pub restart: Restart,
    /// How many times the supervisor has started it again after an exit (the strategy's
    /// restarts that succeeded, the child's own and those of siblings it was restarted
    /// with).
    pub restarts: u32,
    /// The reason of its last exit, if it has exited (a stop by the supervisor included).
    pub last_exit: Option<ExitReason>,
}

/// A supervisor's configuration and children, at one moment.
///
/// # Examples
///
/// See [`inspect`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SupervisorReport {
    /// The supervisor.
    pub pid: Pid,
    /// Its kind.
    pub kind: SupervisorKind,
    /// Its strategy, restart intensity, period and auto shutdown.
    pub flags: SupervisorFlags,
    /// Restarts counted in the current intensity window: it gives up at the
    /// `flags.intensity + 1`-th.
    pub restarts_in_window: usize,
    /// Its children, in start order (oldest first).
    pub children: Vec<ChildReport>,
}

/// A supervisor and, for each of its children that is itself a supervisor of this crate,
/// that child's tree.
///
/// # Examples
///
/// See [`inspect_tree`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SupervisorTree {
    /// The supervisor at this node.
    pub report: SupervisorReport,
    /// The subtrees, as `(index in report.children, tree)`. A child of type supervisor
    /// that is not a supervisor of this crate (a `Registry`, say) has none; neither has one
    /// that exited or did not answer meanwhile.
    pub subtrees: Vec<(usize, SupervisorTree)>,
}

impl SupervisorTree {
    /// Every supervisor in the tree, this one first, depth first.
    pub fn supervisors(&self) -> Vec<&SupervisorReport> {
        let mut out = vec![&self.report];
        for (_, sub) in &self.subtrees {
            out.extend(sub.supervisors());
        }
        out
    }
}

/// Reports on the supervisor behind `pid`, whatever its kind, waiting at most `timeout`
/// for its answer (a supervisor busy starting a child answers after it).
///
/// # Errors
///
/// [`ChildError::NotFound`] when `pid` is not a live supervisor of this crate,
/// [`ChildError::Timeout`] when it did not answer in time.
///
/// # Cancel safety
///
/// Cancel safe: the request changes nothing; dropping the future drops the answer.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{ChildSpec, Supervisor, SupervisorKind, inspect};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Worker) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = Supervisor::builder()
///     .child(ChildSpec::worker::<Worker>("w", ()))
///     .start_link()
///     .await
///     .unwrap();
/// let report = inspect(&sup.pid(), Duration::from_secs(5)).await.unwrap();
/// assert_eq!(report.kind, SupervisorKind::Static);
/// assert_eq!(report.children[0].id.as_str(), "w");
/// assert_eq!(report.children[0].restarts, 0);
/// # }
/// ```
pub async fn inspect(pid: &Pid, timeout: Duration) -> Result<SupervisorReport, ChildError> {
    let sup = pid
        .downcast::<Supervisor>()
        .map_err(|_| ChildError::NotFound)?;
    match request(&sup, timeout, Inspect).await {
        Err(ChildError::Timeout) => Err(ChildError::Timeout),
        Err(_) => Err(ChildError::NotFound),
        Ok(report) => Ok(report),
    }
}

/// Reports on the supervisor behind `pid` and every supervisor below it, each asked with
/// `timeout`. The nodes are taken one after the other, not at one instant: a restart
/// between two of them shows in one and not the other.
///
/// # Errors
///
/// As [`inspect`], for the root only; a subtree that cannot be inspected is left out.
///
/// # Cancel safety
///
/// Cancel safe, as [`inspect`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_supervisor::{DynamicSupervisor, Supervisor, inspect_tree};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let top = Supervisor::builder()
///     .child(DynamicSupervisor::builder().into_child_spec("rooms"))
///     .start_link()
///     .await
///     .unwrap();
/// let tree = inspect_tree(&top.pid(), Duration::from_secs(5)).await.unwrap();
/// assert_eq!(tree.subtrees.len(), 1);
/// assert_eq!(tree.supervisors().len(), 2);
/// # }
/// ```
pub fn inspect_tree(
    pid: &Pid,
    timeout: Duration,
) -> Pin<Box<dyn Future<Output = Result<SupervisorTree, ChildError>> + Send + '_>> {
    Box::pin(async move {
        let report = inspect(pid, timeout).await?;
        let mut subtrees = Vec::new();
        for (i, child) in report.children.iter().enumerate() {
            if child.child_type != ChildType::Supervisor {
                continue;
            }
            let ChildPid::Running(child_pid) = &child.state else {
                continue;
            };
            if let Ok(sub) = inspect_tree(child_pid, timeout).await {
                subtrees.push((i, sub));
            }
        }
        Ok(SupervisorTree { report, subtrees })
    })
}
