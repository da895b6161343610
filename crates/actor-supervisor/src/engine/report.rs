//! The engine's report of itself (see `crate::inspect`).

use actor_core::Pid;

use super::Engine;
use crate::inspect::{ChildReport, SupervisorKind, SupervisorReport};

impl Engine {
    /// The supervisor's configuration and children, oldest first.
    pub(crate) fn report(&self, pid: &Pid) -> SupervisorReport {
        SupervisorReport {
            pid: pid.clone(),
            kind: SupervisorKind::of(self.config.flavour),
            flags: self.config.flags,
            restarts_in_window: self.intensity.in_window(),
            children: self
                .table
                .iter()
                .map(|e| ChildReport {
                    id: e.spec.id().clone(),
                    state: e.state.clone(),
                    child_type: e.spec.get_child_type(),
                    restart: e.spec.get_restart(),
                    restarts: e.restarts,
                    last_exit: e.last_exit.clone(),
                })
                .collect(),
        }
    }
}
