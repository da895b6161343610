//! rest_for_one: stop the children started after the failed one (reverse start order,
//! temporary ones removed), then start it and them in start order. Earlier children are
//! untouched.

use super::{ChildView, Plan, stop_and_restart};

pub(super) fn plan(children: &[ChildView], failed: usize) -> Plan {
    stop_and_restart(children, failed, failed..children.len())
}
