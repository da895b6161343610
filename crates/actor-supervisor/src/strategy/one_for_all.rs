//! one_for_all: stop every other child in reverse start order (temporary ones are removed),
//! then start every remaining spec in start order, stopped ones included.

use super::{ChildView, Plan, stop_and_restart};

pub(super) fn plan(children: &[ChildView], failed: usize) -> Plan {
    stop_and_restart(children, failed, 0..children.len())
}
