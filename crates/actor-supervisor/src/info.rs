//! What a supervisor reports about its children: `which_children` rows and
//! `count_children` counts, the same for every flavour.

use actor_core::Pid;

use crate::spec::{ChildId, ChildType};

/// A child's pid as a supervisor reports it: running, waiting for a restart retry, or not
/// running (`undefined`).
///
/// # Examples
///
/// See [`SupervisorRef::which_children`](crate::SupervisorRef::which_children).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChildPid {
    /// Running with this pid.
    Running(Pid),
    /// Its restart failed; a retry is scheduled (`restarting`).
    Restarting,
    /// Not running (`undefined`): stopped by `terminate_child`, exited without restart, or
    /// its start returned ignore.
    Undefined,
}

impl ChildPid {
    /// The pid, if running.
    pub fn pid(&self) -> Option<&Pid> {
        match self {
            Self::Running(p) => Some(p),
            _ => None,
        }
    }
}

/// One row of [`SupervisorRef::which_children`](crate::SupervisorRef::which_children).
///
/// # Examples
///
/// See [`SupervisorRef::which_children`](crate::SupervisorRef::which_children).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildInfo {
    /// The id (`None` under a dynamic supervisor, where ids are ignored).
    pub id: Option<ChildId>,
    /// The pid or state.
    pub pid: ChildPid,
    /// Worker or supervisor.
    pub child_type: ChildType,
}

/// The result of `count_children` (R-SUP-9, R-DYN-4, R-SOFO-2).
///
/// # Examples
///
/// See [`SupervisorRef::count_children`](crate::SupervisorRef::count_children).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildCounts {
    /// Specs held (for simple_one_for_one: always 1).
    pub specs: usize,
    /// Children with a live pid.
    pub active: usize,
    /// Children of type supervisor, live or not.
    pub supervisors: usize,
    /// Children of type worker, live or not.
    pub workers: usize,
}
