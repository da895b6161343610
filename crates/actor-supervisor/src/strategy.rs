//! Restart strategies as pure planners (R-RST-2): which children a restart touches, which of
//! them stop, which are removed, and which start. No allocation and no runtime: the engine
//! walks its child table with these answers.
//!
//! The plan for a failed child, under every strategy, in the table's start order:
//! 1. the *affected* children are the failed one alone (`one_for_one`), it and every later
//!    one (`rest_for_one`), or all (`one_for_all`);
//! 2. every affected child but the failed one that runs is stopped, newest first;
//! 3. affected temporary children other than the failed one are removed;
//! 4. every remaining affected child starts, oldest first (the failed one, and stopped
//!    specs too, as OTP's one_for_all restarts a child stopped by `terminate_child`).

use std::ops::Bound;

use crate::flags::Strategy;
use crate::spec::Restart;

/// What the planner needs to know of one child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChildView {
    pub(crate) restart: Restart,
    /// Has a live pid (not `undefined`, not `restarting`).
    pub(crate) running: bool,
}

/// The children a restart touches, relative to the failed one, in start order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The failed child only.
    Failed,
    /// The failed child and every child started after it.
    FromFailed,
    /// Every child.
    All,
}

impl Scope {
    /// The scope of `strategy`.
    pub(crate) fn of(strategy: Strategy) -> Self {
        match strategy {
            Strategy::OneForOne => Self::Failed,
            Strategy::RestForOne => Self::FromFailed,
            Strategy::OneForAll => Self::All,
        }
    }

    /// The affected keys of a table ordered by key in start order, `failed` the failed
    /// child's key.
    pub(crate) fn range<K: Copy>(self, failed: K) -> (Bound<K>, Bound<K>) {
        match self {
            Self::Failed => (Bound::Included(failed), Bound::Included(failed)),
            Self::FromFailed => (Bound::Included(failed), Bound::Unbounded),
            Self::All => (Bound::Unbounded, Bound::Unbounded),
        }
    }
}

/// Step 2: an affected child that is stopped before the restart.
pub(crate) fn stops(child: ChildView, is_failed: bool) -> bool {
    !is_failed && child.running
}

/// Step 3: an affected child that is removed rather than started again.
pub(crate) fn removes(child: ChildView, is_failed: bool) -> bool {
    !is_failed && child.restart == Restart::Temporary
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan by positions, built from the planner's answers as the engine applies them.
    struct Plan {
        terminate: Vec<usize>,
        remove: Vec<usize>,
        start: Vec<usize>,
    }

    fn plan(strategy: Strategy, children: &[ChildView], failed: usize) -> Plan {
        let range = Scope::of(strategy).range(failed);
        let affected = (0..children.len()).filter(|i| std::ops::RangeBounds::contains(&range, i));
        let pick = |rule: fn(ChildView, bool) -> bool, keep: bool| {
            affected
                .clone()
                .filter(move |&i| rule(children[i], i == failed) == keep)
                .collect::<Vec<_>>()
        };
        let mut terminate = pick(stops, true);
        terminate.reverse();
        Plan {
            terminate,
            remove: pick(removes, true),
            start: pick(removes, false),
        }
    }

    fn views(spec: &str) -> Vec<ChildView> {
        // One char per child: p/t/x = permanent/transient/temporary; lowercase running,
        // uppercase stopped.
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
        assert_eq!((p.terminate, p.remove, p.start), (vec![], vec![], vec![1]));
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
        assert_eq!((p.terminate, p.remove, p.start), (vec![], vec![], vec![2]));
    }

    #[test]
    fn a_failed_temporary_child_is_started_not_removed() {
        // The engine never restarts a temporary child that failed itself; if one is the
        // failed child of a plan, the plan starts it (the failed child is never a bystander).
        let p = plan(Strategy::OneForAll, &views("xp"), 0);
        assert_eq!(p.remove, Vec::<usize>::new());
        assert_eq!(p.start, vec![0, 1]);
    }
}
