//! The shared part of an actor: what every handle points at.
//!
//! `Core` is the untyped process record (status, links, monitors, names, exit reason);
//! `ActorCell<A>` adds the typed mailbox sender. A `Pid` is an `Arc<dyn Process>` over an
//! `ActorCell<A>`, and an `ActorRef<A>` is an `Arc<ActorCell<A>>`: one allocation serves both.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::task::JoinHandle;

use crate::actor::Actor;
use crate::envelope::{Deliver, Envelope};
use crate::exit::ExitReason;
use crate::mailbox::{Mailbox, MailboxRx, Queue, Refused};
use crate::name::Name;
use crate::pid::{ActorId, Pid};
use crate::relations::{Relation, Relations};
use crate::run_loop::SystemEnvelope;
use crate::signal::{self, Down, Exit, MonitorRef};
use crate::sync::{AtomicBool, AtomicU8, Mutex, MutexGuard, Notify};
use crate::system::{self, ActorInfo, Status};

const STARTING: u8 = 0;
const RUNNING: u8 = 1;
const TERMINATING: u8 = 2;
const DEAD: u8 = 3;

/// What a `Pid` can do with an actor whose message type it does not know.
pub(crate) trait Process: Send + Sync + 'static {
    fn core(&self) -> &Core;
    /// Queues a trapped exit signal as a message.
    fn push_exit(&self, exit: Exit);
    /// Queues a DOWN message.
    fn push_down(&self, down: Down);
    /// Queues a stop request (a system message, handled in order).
    fn push_stop(&self, reason: ExitReason) -> bool;
    /// Messages queued and not yet taken by the loop.
    fn mailbox_len(&self) -> usize;
    /// The actor's Rust type name.
    fn type_name(&self) -> &'static str;
    /// Refuses every later message and drops the queued ones (their callers then wait for
    /// the exit reason, as OTP's monitor-based call does).
    fn close_mailbox(&self);
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// The untyped process record.
///
/// In declaration order (`repr(C)`): what every message reads or writes first, right after
/// the mailbox in [`ActorCell`], so that handling a message touches as few cache lines of
/// the record as it can; the links, monitors and exit waiters after them.
#[repr(C)]
pub(crate) struct Core {
    pub(crate) id: ActorId,
    /// The `actor` span every callback runs in; `None` (and no allocation) unless a
    /// subscriber wants spans at the level set (`observe::set_span_level`).
    span: Option<Box<tracing::Span>>,
    /// Messages and callbacks the loop has handled. Written only by the actor's own task
    /// (a load and a store, no read-modify-write); read by observers.
    handled: AtomicU64,
    status: AtomicU8,
    trap_exit: AtomicBool,
    /// Set when an exit signal or kill has decided the actor's fate; the loop checks it
    /// between messages, and aborting its task interrupts it at its next await point.
    doomed: AtomicBool,
    /// When it was spawned, in whole seconds since the process's clock base
    /// ([`crate::clock::secs_since_base`]); sits in the padding after the flags.
    started_secs: u32,
    /// The part of `handled` already added to the `metrics` counter.
    #[cfg(feature = "metrics")]
    reported: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    exit: Option<ExitReason>,
    /// Links, monitors held on this actor and names, in one list (indexed when long).
    relations: Relations,
    /// The actor's task, to abort it on a kill. Its join handle itself rather than an abort
    /// handle made from it: making one and dropping the join handle cost a spawn two more
    /// updates of the task's state.
    task: Option<JoinHandle<()>>,
    /// Cleanup has started: no new links, monitors or names are accepted.
    cleaned: bool,
    /// Cleanup has finished: names released, links and monitors signalled.
    finished: bool,
    /// What wakes those waiting for the exit, made by the first of them: most actors exit
    /// with nobody waiting, and every idle actor carries this record. Taken by the cleanup
    /// when it finishes.
    exit_waiters: Option<Arc<Notify>>,
    /// The length of `relations` at which [`Core::add_name`] next drops the names this actor
    /// no longer holds (0 until the first time: [`PRUNE_FIRST`]). Sits in the padding after
    /// the flags.
    prune_at: u32,
}

/// How many relations an actor gathers before names unregistered by hand are first looked
/// for and dropped; after that, twice as many as remained.
const PRUNE_FIRST: usize = 8;

impl State {
    /// The names recorded, in order, copies included.
    fn names(&self) -> Vec<Name> {
        self.relations
            .iter()
            .filter_map(|r| match r {
                Relation::Name(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Core {
    fn new(type_name: &'static str) -> Self {
        let id = ActorId::next();
        Self {
            id,
            span: crate::observe::actor_span(id, type_name).map(Box::new),
            status: AtomicU8::new(STARTING),
            trap_exit: AtomicBool::new(false),
            doomed: AtomicBool::new(false),
            started_secs: crate::clock::secs_since_base(),
            handled: AtomicU64::new(0),
            #[cfg(feature = "metrics")]
            reported: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        }
    }

    /// Locks the record. No user code runs under it.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Counts one handled message or callback. Called only by the actor's own task, so a
    /// plain load and store cannot lose a count.
    #[inline]
    pub(crate) fn count_handled(&self) {
        let n = self.handled.load(Ordering::Relaxed);
        self.handled.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    /// The handled count and the part of it already reported.
    #[cfg(feature = "metrics")]
    pub(crate) fn handled_and_reported(&self) -> (u64, u64) {
        (
            self.handled.load(Ordering::Relaxed),
            self.reported.load(Ordering::Relaxed),
        )
    }

    #[cfg(feature = "metrics")]
    pub(crate) fn mark_reported(&self, handled: u64) {
        self.reported.store(handled, Ordering::Relaxed);
    }

    pub(crate) fn status(&self) -> Status {
        match self.status.load(Ordering::Acquire) {
            STARTING => Status::Starting,
            RUNNING => Status::Running,
            TERMINATING => Status::Terminating,
            _ => Status::Dead,
        }
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.status.load(Ordering::Acquire) == DEAD
    }

    pub(crate) fn set_running(&self) {
        self.status.store(RUNNING, Ordering::Release);
    }

    pub(crate) fn set_terminating(&self) {
        self.status.store(TERMINATING, Ordering::Release);
    }

    pub(crate) fn traps_exit(&self) -> bool {
        self.trap_exit.load(Ordering::Acquire)
    }

    pub(crate) fn set_trap_exit(&self, on: bool) {
        self.trap_exit.store(on, Ordering::Release);
    }

    /// The span callbacks run in, if any subscriber wants it.
    pub(crate) fn span(&self) -> Option<&tracing::Span> {
        self.span.as_deref()
    }

    #[inline]
    pub(crate) fn is_doomed(&self) -> bool {
        self.doomed.load(Ordering::Relaxed)
    }

    pub(crate) fn set_task(&self, task: JoinHandle<()>) {
        let mut st = self.lock();
        if st.cleaned {
            // Dropped outside the lock.
            drop(st);
            drop(task);
            return;
        }
        // A kill that arrived before the handle existed is carried out now, outside the lock.
        let killed_early = (st.exit.is_some() && self.is_doomed()).then(|| task.abort_handle());
        st.task = Some(task);
        drop(st);
        if let Some(handle) = killed_early {
            handle.abort();
        }
    }

    /// Records the reason the loop chose (stop, crash); a reason already set by a signal wins.
    pub(crate) fn set_exit(&self, reason: ExitReason) {
        let mut st = self.lock();
        if st.exit.is_none() {
            st.exit = Some(reason);
        }
    }

    /// An exit signal decided the actor must die with `reason` now (no terminate).
    pub(crate) fn request_exit(&self, reason: ExitReason) {
        let mut st = self.lock();
        if st.cleaned || st.exit.is_some() {
            return;
        }
        st.exit = Some(reason);
        self.doomed.store(true, Ordering::Relaxed);
        // Abort outside the lock: the task's cleanup takes this lock again.
        let abort = st.task.as_ref().map(JoinHandle::abort_handle);
        drop(st);
        if let Some(abort) = abort {
            abort.abort();
        }
    }

    pub(crate) fn add_link(&self, other: &Pid) -> bool {
        let mut st = self.lock();
        if st.cleaned {
            return false;
        }
        if !st.relations.has_link(other.id()) {
            st.relations.push(Relation::Link(other.clone()));
        }
        true
    }

    pub(crate) fn remove_link(&self, other: ActorId) {
        let removed = self.lock().relations.remove_link(other);
        drop(removed);
    }

    pub(crate) fn add_monitor(&self, mref: MonitorRef, watcher: &Pid) -> bool {
        let mut st = self.lock();
        if st.cleaned {
            return false;
        }
        st.relations
            .push(Relation::MonitoredBy(mref, watcher.clone()));
        true
    }

    /// Records that this actor holds the monitor `mref` on `target` (for `info`); nothing is
    /// recorded once cleanup has started.
    pub(crate) fn record_monitoring(&self, mref: MonitorRef, target: &Pid) {
        let mut st = self.lock();
        if !st.cleaned {
            st.relations
                .push(Relation::Monitoring(mref, target.clone()));
        }
    }

    /// Forgets the record of a monitor this actor held.
    pub(crate) fn forget_monitoring(&self, mref: MonitorRef) {
        // The record (and the target's pid in it) is dropped outside the lock.
        let removed = self.lock().relations.remove_monitoring(mref);
        drop(removed);
    }

    pub(crate) fn remove_monitor(&self, mref: MonitorRef) -> bool {
        let removed = self.lock().relations.remove_monitor(mref);
        removed.is_some()
    }

    /// Records a name to release at exit; `false` if the actor is already cleaned up.
    ///
    /// A name unregistered by hand (`LocalRegistry::unregister`, a via registry's own
    /// `unregister`) stays in the list until it is pruned here: each time the list has grown
    /// to twice its size after the last pruning, the names that no longer resolve to this
    /// actor, and copies of one same `Name`, are dropped. An actor that registers and
    /// unregisters names all its life so keeps only about as many as it holds, at an amortised
    /// constant cost per registration.
    pub(crate) fn add_name(&self, name: Name) -> bool {
        let names = {
            let mut st = self.lock();
            if st.cleaned {
                return false;
            }
            st.relations.push(Relation::Name(name));
            let due = match st.prune_at {
                0 => PRUNE_FIRST,
                n => n as usize,
            };
            if st.relations.len() < due {
                return true;
            }
            st.names()
        };
        // Asked outside the lock: a registry is user code, and may look at this actor.
        let held = self.held(&names);
        let mut stale: HashMap<usize, usize> = HashMap::new();
        for (n, held) in names.iter().zip(held) {
            if !held {
                *stale.entry(n.addr()).or_default() += 1;
            }
        }
        drop(names);
        let dropped: Vec<Relation> = {
            let mut st = self.lock();
            // The first copies of each stale name: one recorded since the snapshot comes
            // after them, and is kept.
            let (dropped, kept): (Vec<Relation>, Vec<Relation>) =
                st.relations.take_all().into_iter().partition(|r| match r {
                    Relation::Name(n) => match stale.get_mut(&n.addr()) {
                        Some(k) if *k > 0 => {
                            *k -= 1;
                            true
                        }
                        _ => false,
                    },
                    _ => false,
                });
            st.relations.set_all(kept);
            st.prune_at =
                u32::try_from((st.relations.len() * 2).max(PRUNE_FIRST)).unwrap_or(u32::MAX);
            dropped
        };
        // Dropped outside the lock, like everything a registry owns.
        drop(dropped);
        true
    }

    /// Stops recording the first name `unregistered` picks, which the registry removed by
    /// itself. The first: a registration of the same name made since (after the registry's
    /// removal, before this) comes later in the list, and stays. `unregistered` compares a
    /// registry and a key (their `PartialEq`, user code): it runs on a snapshot of the names,
    /// outside the lock, and the name it picks is then removed by identity if still there.
    pub(crate) fn forget_name(&self, unregistered: impl Fn(&Name) -> bool) {
        let names = self.lock().names();
        let Some(picked) = names.iter().find(|n| unregistered(n)).map(Name::addr) else {
            return;
        };
        let forgotten = {
            let mut st = self.lock();
            st.relations.remove_name(picked)
        };
        // Dropped outside the lock, like everything a registry owns.
        drop(forgotten);
        drop(names);
    }

    /// The final exit reason, once the actor has fully terminated (names released, links
    /// and monitors signalled).
    pub(crate) fn final_reason(&self) -> Option<ExitReason> {
        let st = self.lock();
        if st.finished { st.exit.clone() } else { None }
    }

    pub(crate) async fn wait_exit(&self) -> ExitReason {
        let exited = {
            let mut st = self.lock();
            if st.finished
                && let Some(reason) = &st.exit
            {
                return reason.clone();
            }
            // Not finished: the cleanup has not taken the waiters' `Notify` yet, and will
            // notify this one after it marks the exit finished.
            st.exit_waiters.get_or_insert_with(Default::default).clone()
        };
        loop {
            let mut notified = pin!(exited.notified());
            notified.as_mut().enable();
            if let Some(reason) = self.final_reason() {
                return reason;
            }
            notified.await;
        }
    }

    pub(crate) fn info(&self, type_name: &'static str, mailbox_len: usize) -> ActorInfo {
        let st = self.lock();
        let mut info = ActorInfo {
            id: self.id,
            type_name,
            status: self.status(),
            mailbox_len,
            links: st
                .relations
                .iter()
                .filter_map(|r| match r {
                    Relation::Link(p) => Some(p.id()),
                    _ => None,
                })
                .collect(),
            monitored_by: st
                .relations
                .iter()
                .filter_map(|r| match r {
                    Relation::MonitoredBy(_, watcher) => Some(watcher.id()),
                    _ => None,
                })
                .collect(),
            monitors: st
                .relations
                .iter()
                .filter_map(|r| match r {
                    Relation::Monitoring(_, target) => Some(target.id()),
                    _ => None,
                })
                .collect(),
            trap_exit: self.traps_exit(),
            names: Vec::new(),
            messages_handled: self.handled.load(Ordering::Relaxed),
            started_at: crate::clock::system_time_of(self.started_secs),
        };
        let names = st.names();
        drop(st);
        // Outside the lock (a registry is user code): only the names this actor still holds,
        // not those unregistered by hand and not yet pruned.
        let held = self.held(&names);
        info.names = names
            .iter()
            .zip(held)
            .filter(|(_, held)| *held)
            .map(|(n, _)| format!("{n:?}"))
            .collect();
        info
    }

    /// For each of `names`, whether it is one this actor holds: it still resolves to this
    /// actor, and it is the first copy of its `Name`. Asks the registries: call it without
    /// the lock.
    fn held(&self, names: &[Name]) -> Vec<bool> {
        let mut seen = HashSet::with_capacity(names.len());
        names
            .iter()
            .map(|n| seen.insert(n.addr()) && n.whereis().is_some_and(|p| p.id() == self.id))
            .collect()
    }
}

/// Terminates the process record: records the reason (keeping one set earlier), marks the
/// actor dead, releases its names, then signals links and monitors, then wakes waiters.
/// Runs once; later calls do nothing.
pub(crate) fn cleanup(pid: &Pid, default: ExitReason) {
    let core = pid.inner.core();
    // Closed first: once the actor is dead (or anyone has seen its exit), a send is refused
    // (a call gets `NoProc`) rather than queued into a mailbox nobody will read.
    pid.inner.close_mailbox();
    let (reason, relations, task) = {
        let mut st = core.lock();
        if st.cleaned {
            return;
        }
        st.cleaned = true;
        let reason = st.exit.get_or_insert(default).clone();
        core.status.store(DEAD, Ordering::Release);
        (reason, st.relations.take_all(), st.task.take())
    };
    drop(task);
    system::forget(core.id);
    if reason.is_benign() {
        tracing::debug!(actor.id = %core.id, actor.name = pid.inner.type_name(), %reason, "actor exited");
    } else {
        tracing::warn!(actor.id = %core.id, actor.name = pid.inner.type_name(), %reason, "actor exited abnormally");
    }
    // Names first, so that a restart can register the same name as soon as it hears.
    for relation in &relations {
        if let Relation::Name(name) = relation {
            name.release(pid);
        }
    }
    for relation in &relations {
        if let Relation::Link(linked) = relation {
            linked.inner.core().remove_link(core.id);
            signal::deliver_exit(linked, Some(pid.clone()), reason.clone());
        }
    }
    for relation in relations {
        if let Relation::MonitoredBy(monitor, watcher) = relation {
            watcher.inner.push_down(Down {
                monitor,
                pid: pid.clone(),
                reason: reason.clone(),
            });
        }
    }
    // Only now is the exit complete: waiters see names released and links signalled.
    let waiters = {
        let mut st = core.lock();
        st.finished = true;
        st.exit_waiters.take()
    };
    if let Some(waiters) = waiters {
        waiters.notify_waiters();
    }
}

/// The typed process record: the mailbox, then the core (`repr(C)`: the fields every
/// message uses, the queue and the core's first ones, side by side).
#[repr(C)]
pub(crate) struct ActorCell<A: Actor> {
    pub(crate) mailbox: Queue<A>,
    pub(crate) core: Core,
}

impl<A: Actor> ActorCell<A> {
    pub(crate) fn new(mailbox: Mailbox) -> (Arc<Self>, MailboxRx<A>) {
        let cell = Arc::new(Self {
            mailbox: Queue::new(mailbox),
            core: Core::new(std::any::type_name::<A>()),
        });
        let rx = MailboxRx::new(cell.clone());
        (cell, rx)
    }

    pub(crate) fn pid(self: &Arc<Self>) -> Pid {
        Pid {
            inner: self.clone(),
        }
    }

    /// Queues a system envelope (exit, down, stop), whatever the mailbox bound.
    /// Returns `false` if the actor is dead.
    pub(crate) fn push(&self, env: Envelope<A>) -> bool {
        self.mailbox.push(env, false).is_ok()
    }

    /// Queues a cast or info. With `bounded`, a full mailbox refuses it. The message is
    /// handed back on failure.
    pub(crate) fn push_msg<M: Send + 'static, D: Deliver<A>>(
        &self,
        msg: D,
        bounded: bool,
    ) -> Result<(), PushError<M>> {
        self.mailbox
            .push(Envelope::new(msg), bounded)
            .map_err(|refused| match refused {
                Refused::Full(env) => PushError::Full(recover(env)),
                Refused::Closed(env) => PushError::Closed(recover(env)),
            })
    }

    /// Queues a call, whatever the mailbox bound. The request is handed back if the actor
    /// is dead.
    pub(crate) fn push_call<M: Send + 'static, D: Deliver<A>>(&self, call: D) -> Result<(), M> {
        self.mailbox
            .push(Envelope::new(call), false)
            .map_err(|refused| match refused {
                Refused::Full(env) | Refused::Closed(env) => recover(env),
            })
    }
}

/// Why a message was not queued; the message comes back.
pub(crate) enum PushError<M> {
    Full(M),
    Closed(M),
}

/// Takes the message back out of an envelope the mailbox refused.
fn recover<A: Actor, M: 'static>(mut env: Envelope<A>) -> M {
    match env.take_msg().map(|m| m.downcast::<M>()) {
        Some(Ok(msg)) => *msg,
        // Invariant: `push_msg` or `push_call` queued exactly one `M` in this envelope just
        // before, and nothing took it out since.
        _ => unreachable!("a refused envelope holds the message that was pushed"),
    }
}

impl<A: Actor> Process for ActorCell<A> {
    fn core(&self) -> &Core {
        &self.core
    }

    fn push_exit(&self, exit: Exit) {
        // Sending to a dead actor is a silent no-op (R-SIG-6).
        self.push(Envelope::new(SystemEnvelope::Exit(exit)));
    }

    fn push_down(&self, down: Down) {
        self.push(Envelope::new(SystemEnvelope::Down(down)));
    }

    fn push_stop(&self, reason: ExitReason) -> bool {
        self.push(Envelope::new(SystemEnvelope::Stop(reason)))
    }

    fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<A>()
    }

    fn close_mailbox(&self) {
        // Dropped here, outside the queue's lock: dropping a call tells its caller.
        drop(self.mailbox.close());
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
