//! one_for_one: restart the child only; siblings keep their pids.

use super::{ChildView, Plan};

pub(super) fn plan(_children: &[ChildView], failed: usize) -> Plan {
    Plan {
        terminate: Vec::new(),
        remove: Vec::new(),
        start: vec![failed],
    }
}
