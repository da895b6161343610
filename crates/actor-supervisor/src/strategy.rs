//! Restart strategies as pure planners (R-RST-2): given the child table and the child that
//! must be restarted, say what to stop, what to remove and what to start.

mod one_for_all;
mod one_for_one;
mod rest_for_one;

use crate::flags::Strategy;
use crate::spec::Restart;

/// What the planner needs to know of one child, in start order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChildView {
    pub(crate) restart: Restart,
    /// Has a live pid (not `undefined`, not `restarting`).
    pub(crate) running: bool,
}

/// A restart plan, by positions in start order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Children to stop, in the order to stop them (reverse start order).
    pub(crate) terminate: Vec<usize>,
    /// Temporary bystanders to remove after stopping them.
    pub(crate) remove: Vec<usize>,
    /// Children to start, in start order.
    pub(crate) start: Vec<usize>,
}

/// The plan for restarting the child at `failed` under `strategy`.
pub(crate) fn plan(strategy: Strategy, children: &[ChildView], failed: usize) -> Plan {
    match strategy {
        Strategy::OneForOne => one_for_one::plan(children, failed),
        Strategy::OneForAll => one_for_all::plan(children, failed),
        Strategy::RestForOne => rest_for_one::plan(children, failed),
    }
}

/// The shared shape of one_for_all and rest_for_one: every child in `affected` other than
/// `failed` is a bystander; running bystanders stop (newest first), temporary ones are
/// removed, and `failed` plus the remaining non-temporary ones start in order.
fn stop_and_restart(
    children: &[ChildView],
    failed: usize,
    affected: std::ops::Range<usize>,
) -> Plan {
    let mut plan = Plan::default();
    for i in affected.clone().rev() {
        if i != failed && children[i].running {
            plan.terminate.push(i);
        }
    }
    for i in affected {
        if i != failed && children[i].restart == Restart::Temporary {
            plan.remove.push(i);
        } else {
            plan.start.push(i);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn views(spec: &str) -> Vec<ChildView> {
        // p/t/T = permanent/transient/temporary; uppercase... keep it simple: one char per
        // child, lowercase running, uppercase stopped.
        spec.chars()
            .map(|c| ChildView {
                restart: match c.to_ascii_lowercase() {
                    'p' => Restart::Permanent,
                    't' => Restart::Transient,
                    _ => Restart::Temporary,
                },
                running: c.is_ascii_lowercase(),
            })
            .collect()
    }

    #[test]
    fn one_for_one_restarts_only_the_child() {
        let p = plan(Strategy::OneForOne, &views("ppp"), 1);
        assert_eq!(
            p,
            Plan {
                terminate: vec![],
                remove: vec![],
                start: vec![1]
            }
        );
    }

    #[test]
    fn one_for_all_stops_the_others_newest_first_and_starts_all_in_order() {
        let p = plan(Strategy::OneForAll, &views("pppp"), 1);
        assert_eq!(p.terminate, vec![3, 2, 0]);
        assert_eq!(p.start, vec![0, 1, 2, 3]);
        assert!(p.remove.is_empty());
    }

    #[test]
    fn one_for_all_removes_temporary_bystanders_and_restarts_stopped_specs() {
        // child 2 is temporary, child 3 was stopped by terminate_child (P = not running)
        let p = plan(Strategy::OneForAll, &views("ppxP"), 0);
        assert_eq!(p.terminate, vec![2, 1]);
        assert_eq!(p.remove, vec![2]);
        assert_eq!(p.start, vec![0, 1, 3]);
    }

    #[test]
    fn rest_for_one_touches_only_later_children() {
        let p = plan(Strategy::RestForOne, &views("ppxpP"), 1);
        assert_eq!(p.terminate, vec![3, 2]);
        assert_eq!(p.remove, vec![2]);
        assert_eq!(p.start, vec![1, 3, 4]);
    }

    #[test]
    fn rest_for_one_on_the_last_child_is_one_for_one() {
        let p = plan(Strategy::RestForOne, &views("ppp"), 2);
        assert_eq!(
            p,
            Plan {
                terminate: vec![],
                remove: vec![],
                start: vec![2]
            }
        );
    }
}
