//! An actor's relations: its links, the monitors held on it, the monitors it holds, and its
//! names, in the order they were made (the order its exit signals them in).
//!
//! Most actors have a link or two, so the relations are a plain list, one word triple in the
//! actor's record. An actor with many (a supervisor with thousands of children, each linked
//! to it) gets an index as well once the list passes [`INDEX_AT`], so that adding a link,
//! finding it and removing it take constant time instead of a walk over every relation.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use crate::name::Name;
use crate::pid::{ActorId, Pid};
use crate::signal::MonitorRef;

/// One relation.
pub(crate) enum Relation {
    Link(Pid),
    /// `watcher` monitors this actor.
    MonitoredBy(MonitorRef, Pid),
    /// This actor monitors `target`: a record for observers (`ActorInfo::monitors`); the
    /// monitor itself is kept by the actor's context, and the exit signals nothing for it.
    Monitoring(MonitorRef, Pid),
    Name(Name),
}

/// Above this many relations, links and monitors are indexed.
const INDEX_AT: usize = 32;

/// The relations, in the order they were made.
pub(crate) enum Relations {
    List(Vec<Relation>),
    Indexed(Box<Indexed>),
}

/// The relations of an actor that has many, with the position of each link and monitor.
///
/// Invariant: `links`, `monitors` and `monitoring` map exactly the links, the monitors held on
/// this actor and those it holds in `slots` to their positions; `holes` counts the `None`
/// slots, at most half of them after any change.
pub(crate) struct Indexed {
    slots: Vec<Option<Relation>>,
    links: HashMap<ActorId, usize, FxBuildHasher>,
    monitors: HashMap<MonitorRef, usize, FxBuildHasher>,
    monitoring: HashMap<MonitorRef, usize, FxBuildHasher>,
    holes: usize,
}

impl Default for Relations {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

impl Indexed {
    fn new(relations: Vec<Relation>) -> Self {
        let mut indexed = Indexed {
            slots: Vec::with_capacity(relations.len() * 2),
            links: HashMap::default(),
            monitors: HashMap::default(),
            monitoring: HashMap::default(),
            holes: 0,
        };
        for r in relations {
            indexed.push(r);
        }
        indexed
    }

    fn push(&mut self, r: Relation) {
        let at = self.slots.len();
        match &r {
            Relation::Link(p) => {
                self.links.insert(p.id(), at);
            }
            Relation::MonitoredBy(m, _) => {
                self.monitors.insert(*m, at);
            }
            Relation::Monitoring(m, _) => {
                self.monitoring.insert(*m, at);
            }
            Relation::Name(_) => {}
        }
        self.slots.push(Some(r));
    }

    fn take(&mut self, at: usize) -> Option<Relation> {
        let taken = self.slots.get_mut(at)?.take();
        if taken.is_some() {
            self.holes += 1;
            if self.holes * 2 > self.slots.len() {
                // Compacted: the positions change, so the index is rebuilt.
                let live: Vec<Relation> = std::mem::take(&mut self.slots)
                    .into_iter()
                    .flatten()
                    .collect();
                *self = Indexed::new(live);
            }
        }
        taken
    }
}

impl Relations {
    /// The number of relations.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::List(list) => list.len(),
            Self::Indexed(ix) => ix.slots.len() - ix.holes,
        }
    }

    pub(crate) fn push(&mut self, r: Relation) {
        match self {
            Self::List(list) if list.len() < INDEX_AT => list.push(r),
            Self::List(list) => {
                let mut ix = Indexed::new(std::mem::take(list));
                ix.push(r);
                *self = Self::Indexed(Box::new(ix));
            }
            Self::Indexed(ix) => ix.push(r),
        }
    }

    /// The relations, in the order they were made.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Relation> {
        let (list, slots) = match self {
            Self::List(list) => (list.as_slice(), &[][..]),
            Self::Indexed(ix) => (&[][..], ix.slots.as_slice()),
        };
        list.iter().chain(slots.iter().flatten())
    }

    pub(crate) fn has_link(&self, id: ActorId) -> bool {
        match self {
            Self::List(list) => list
                .iter()
                .any(|r| matches!(r, Relation::Link(p) if p.id() == id)),
            Self::Indexed(ix) => ix.links.contains_key(&id),
        }
    }

    /// Removes the link to `id`, if any.
    pub(crate) fn remove_link(&mut self, id: ActorId) -> Option<Relation> {
        self.remove_where(
            |r| matches!(r, Relation::Link(p) if p.id() == id),
            |ix| ix.links.remove(&id),
        )
    }

    /// Removes the monitor `mref` held on this actor, if any.
    pub(crate) fn remove_monitor(&mut self, mref: MonitorRef) -> Option<Relation> {
        self.remove_where(
            |r| matches!(r, Relation::MonitoredBy(m, _) if *m == mref),
            |ix| ix.monitors.remove(&mref),
        )
    }

    /// Removes the record of the monitor `mref` this actor holds, if any.
    pub(crate) fn remove_monitoring(&mut self, mref: MonitorRef) -> Option<Relation> {
        self.remove_where(
            |r| matches!(r, Relation::Monitoring(m, _) if *m == mref),
            |ix| ix.monitoring.remove(&mref),
        )
    }

    /// Removes one relation: the first that `is_it` picks in the plain list, or the one at
    /// the position `unindex` takes out of the index.
    fn remove_where(
        &mut self,
        is_it: impl Fn(&Relation) -> bool,
        unindex: impl FnOnce(&mut Indexed) -> Option<usize>,
    ) -> Option<Relation> {
        match self {
            Self::List(list) => {
                let at = list.iter().position(is_it)?;
                Some(list.remove(at))
            }
            Self::Indexed(ix) => {
                let at = unindex(ix)?;
                ix.take(at)
            }
        }
    }

    /// Takes every relation out, in order, leaving none.
    pub(crate) fn take_all(&mut self) -> Vec<Relation> {
        match std::mem::take(self) {
            Self::List(list) => list,
            Self::Indexed(ix) => ix.slots.into_iter().flatten().collect(),
        }
    }

    /// Replaces every relation with `relations`, in order.
    pub(crate) fn set_all(&mut self, relations: Vec<Relation>) {
        *self = Self::default();
        for r in relations {
            self.push(r);
        }
    }

    /// Removes the first name recorded by `addr` (see `Name::addr`), if any.
    pub(crate) fn remove_name(&mut self, addr: usize) -> Option<Relation> {
        let is_it = |r: &Relation| matches!(r, Relation::Name(n) if n.addr() == addr);
        match self {
            Self::List(list) => {
                let at = list.iter().position(is_it)?;
                Some(list.remove(at))
            }
            Self::Indexed(ix) => {
                let at = ix
                    .slots
                    .iter()
                    .position(|s| s.as_ref().is_some_and(is_it))?;
                ix.take(at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::Mailbox;
    use crate::test_actor::Sink;

    fn pids(n: usize) -> Vec<Pid> {
        (0..n)
            .map(|_| {
                crate::cell::ActorCell::<Sink>::new(Mailbox::Unbounded)
                    .0
                    .pid()
            })
            .collect()
    }

    fn links(r: &Relations) -> Vec<ActorId> {
        r.iter()
            .filter_map(|r| match r {
                Relation::Link(p) => Some(p.id()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn many_links_keep_their_order_through_removals_and_compaction() {
        let pids = pids(200);
        let mut r = Relations::default();
        let mut held = Vec::new();
        for p in &pids {
            r.push(Relation::Link(p.clone()));
            r.push(Relation::MonitoredBy(MonitorRef::next(), p.clone()));
            let m = MonitorRef::next();
            held.push(m);
            r.push(Relation::Monitoring(m, p.clone()));
        }
        // The monitors held are found by their reference, indexed or not.
        for m in held.iter().skip(1).step_by(2) {
            assert!(r.remove_monitoring(*m).is_some());
            assert!(r.remove_monitoring(*m).is_none());
        }
        assert!(matches!(r, Relations::Indexed(_)));
        assert!(r.has_link(pids[150].id()));
        // Remove every other link: enough holes to compact more than once.
        for p in pids.iter().step_by(2) {
            assert!(r.remove_link(p.id()).is_some());
            assert!(r.remove_link(p.id()).is_none());
            assert!(!r.has_link(p.id()));
        }
        let expected: Vec<ActorId> = pids.iter().skip(1).step_by(2).map(Pid::id).collect();
        assert_eq!(links(&r), expected);
        assert_eq!(r.len(), 400);
        assert!(r.has_link(pids[151].id()));
        assert!(r.remove_monitoring(held[0]).is_some());
        let all = r.take_all();
        assert_eq!(all.len(), 399);
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn the_index_costs_an_actor_with_few_relations_nothing() {
        // Every actor's record holds a `Relations`: no bigger than the plain list it was.
        assert_eq!(
            std::mem::size_of::<Relations>(),
            std::mem::size_of::<Vec<Relation>>()
        );
    }

    #[test]
    fn a_few_links_stay_a_list() {
        let pids = pids(3);
        let mut r = Relations::default();
        for p in &pids {
            r.push(Relation::Link(p.clone()));
        }
        assert!(matches!(r, Relations::List(_)));
        assert!(r.remove_link(pids[1].id()).is_some());
        assert_eq!(links(&r), vec![pids[0].id(), pids[2].id()]);
    }
}
