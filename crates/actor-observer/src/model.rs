//! The JSON the observer serves: the tree, the actor list and one actor's details. Built
//! from `actor_supervisor::inspect_tree` and `actor_core`'s snapshots; the shapes are the
//! API's contract (docs/observer.md).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actor_core::{ActorInfo, Name, Pid, Status};
use actor_supervisor::{ChildPid, ChildType, Restart, Strategy, SupervisorTree, inspect_tree};
use serde::Serialize;

/// A root of the observed tree: a supervisor's pid, or a name resolved at each look (so a
/// restarted root is found again).
#[derive(Clone, Debug)]
pub(crate) enum Root {
    Pid(Pid),
    Name(Name),
}

impl Root {
    fn resolve(&self) -> Option<Pid> {
        match self {
            Root::Pid(pid) => pid.is_alive().then(|| pid.clone()),
            Root::Name(name) => name.whereis(),
        }
    }

    fn label(&self) -> String {
        match self {
            Root::Pid(pid) => pid.to_string(),
            Root::Name(name) => format!("{name:?}"),
        }
    }
}

/// The whole picture: one node per root.
#[derive(Serialize, Debug, PartialEq)]
pub(crate) struct TreeJson {
    pub(crate) roots: Vec<RootJson>,
}

#[derive(Serialize, Debug, PartialEq)]
pub(crate) struct RootJson {
    /// The root as it was given: a pid or a name.
    pub(crate) label: String,
    /// `None` while the root is not running (between restarts, or after it gave up).
    pub(crate) supervisor: Option<SupervisorJson>,
}

#[derive(Serialize, Debug, PartialEq)]
pub(crate) struct SupervisorJson {
    /// `"<0.12.0>"`.
    pub(crate) pid: String,
    /// The number in the pid: the `{id}` of `/api/actors/{id}`.
    pub(crate) id: u64,
    /// Slash-separated child ids from the root: `"app/rooms"`.
    pub(crate) path: String,
    pub(crate) kind: &'static str,
    pub(crate) strategy: &'static str,
    pub(crate) intensity: u32,
    pub(crate) period_ms: u128,
    pub(crate) restarts_in_window: usize,
    /// The first [`CHILDREN_SHOWN`] children, oldest first.
    pub(crate) children: Vec<ChildJson>,
    /// How many children it has in all.
    pub(crate) children_total: usize,
}

/// At most this many children of one supervisor are drawn (a dynamic supervisor may have a
/// hundred thousand); `children_total` tells how many there are.
pub(crate) const CHILDREN_SHOWN: usize = 200;

#[derive(Serialize, Debug, PartialEq)]
pub(crate) struct ChildJson {
    pub(crate) child_id: String,
    /// `"running"`, `"restarting"` or `"undefined"` (stopped).
    pub(crate) state: &'static str,
    pub(crate) pid: Option<String>,
    pub(crate) id: Option<u64>,
    #[serde(rename = "type")]
    pub(crate) child_type: &'static str,
    pub(crate) restart: &'static str,
    pub(crate) restarts: u32,
    pub(crate) last_exit: Option<String>,
    pub(crate) actor_type: Option<&'static str>,
    pub(crate) mailbox_len: Option<usize>,
    pub(crate) messages_handled: Option<u64>,
    /// The child's own tree when it is a supervisor of `actor-supervisor`.
    pub(crate) supervisor: Option<SupervisorJson>,
}

/// One actor in the list.
#[derive(Serialize, Debug, PartialEq)]
pub(crate) struct ActorJson {
    pub(crate) pid: String,
    pub(crate) id: u64,
    pub(crate) actor_type: &'static str,
    pub(crate) status: &'static str,
    pub(crate) mailbox_len: usize,
    pub(crate) messages_handled: u64,
    pub(crate) links: Vec<u64>,
    /// The actors it monitors.
    pub(crate) monitors: Vec<u64>,
    /// The actors monitoring it.
    pub(crate) monitored_by: Vec<u64>,
    pub(crate) trap_exit: bool,
    pub(crate) names: Vec<String>,
    /// Milliseconds since the Unix epoch, to the second.
    pub(crate) started_at_ms: u128,
}

pub(crate) fn strategy_str(s: Strategy) -> &'static str {
    match s {
        Strategy::OneForOne => "one_for_one",
        Strategy::OneForAll => "one_for_all",
        Strategy::RestForOne => "rest_for_one",
    }
}

fn restart_str(r: Restart) -> &'static str {
    match r {
        Restart::Permanent => "permanent",
        Restart::Transient => "transient",
        Restart::Temporary => "temporary",
    }
}

pub(crate) fn status_str(s: Status) -> &'static str {
    match s {
        Status::Starting => "starting",
        Status::Running => "running",
        Status::Terminating => "terminating",
        Status::Dead => "dead",
    }
}

impl ActorJson {
    pub(crate) fn of(info: &ActorInfo) -> Self {
        Self {
            pid: info.id.to_string(),
            id: info.id.as_u64(),
            actor_type: info.type_name,
            status: status_str(info.status),
            mailbox_len: info.mailbox_len,
            messages_handled: info.messages_handled,
            links: info.links.iter().map(|l| l.as_u64()).collect(),
            monitors: info.monitors.iter().map(|m| m.as_u64()).collect(),
            monitored_by: info.monitored_by.iter().map(|m| m.as_u64()).collect(),
            trap_exit: info.trap_exit,
            names: info.names.clone(),
            started_at_ms: info
                .started_at
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_millis(),
        }
    }
}

/// Walks every root, asking each supervisor with `timeout`.
pub(crate) async fn tree(roots: &[Root], timeout: Duration) -> TreeJson {
    let mut out = Vec::with_capacity(roots.len());
    for root in roots {
        let label = root.label();
        let supervisor = match root.resolve() {
            Some(pid) => inspect_tree(&pid, timeout)
                .await
                .ok()
                .map(|t| supervisor_json(&t, label.clone())),
            None => None,
        };
        out.push(RootJson { label, supervisor });
    }
    TreeJson { roots: out }
}

fn supervisor_json(tree: &SupervisorTree, path: String) -> SupervisorJson {
    let report = &tree.report;
    let children = report
        .children
        .iter()
        .take(CHILDREN_SHOWN)
        .enumerate()
        .map(|(i, c)| {
            let pid = c.state.pid();
            let info = pid.map(Pid::info);
            let child_path = format!("{path}/{}", c.id);
            ChildJson {
                child_id: c.id.to_string(),
                state: match c.state {
                    ChildPid::Running(_) => "running",
                    ChildPid::Restarting => "restarting",
                    _ => "undefined",
                },
                pid: pid.map(ToString::to_string),
                id: pid.map(|p| p.id().as_u64()),
                child_type: match c.child_type {
                    ChildType::Supervisor => "supervisor",
                    _ => "worker",
                },
                restart: restart_str(c.restart),
                restarts: c.restarts,
                last_exit: c.last_exit.as_ref().map(ToString::to_string),
                actor_type: info.as_ref().map(|i| i.type_name),
                mailbox_len: info.as_ref().map(|i| i.mailbox_len),
                messages_handled: info.as_ref().map(|i| i.messages_handled),
                supervisor: tree
                    .subtrees
                    .iter()
                    .find(|(index, _)| *index == i)
                    .map(|(_, sub)| supervisor_json(sub, child_path)),
            }
        })
        .collect();
    SupervisorJson {
        pid: report.pid.to_string(),
        id: report.pid.id().as_u64(),
        path,
        kind: report.kind.as_str(),
        strategy: strategy_str(report.flags.strategy),
        intensity: report.flags.intensity,
        period_ms: report.flags.period.as_millis(),
        restarts_in_window: report.restarts_in_window,
        children,
        children_total: report.children.len(),
    }
}

/// The path of every supervisor in `tree`, by actor id (labels for restart metrics).
pub(crate) fn supervisor_paths(tree: &TreeJson) -> Vec<(u64, String)> {
    fn walk(s: &SupervisorJson, out: &mut Vec<(u64, String)>) {
        out.push((s.id, s.path.clone()));
        for c in &s.children {
            if let Some(sub) = &c.supervisor {
                walk(sub, out);
            }
        }
    }
    let mut out = Vec::new();
    for root in &tree.roots {
        if let Some(s) = &root.supervisor {
            walk(s, &mut out);
        }
    }
    out
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_ms(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
}
