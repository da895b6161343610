//! The deadline of a call, on a timer reused across calls on a multi-thread runtime.
//!
//! Every `call` waits for its reply with OTP's default 5 s timeout. A fresh tokio timer per
//! call is registered in and removed from the timer wheel, and registering it wakes the
//! runtime's parked driver whenever it is the earliest timer: together most of a call's cost
//! on a multi-thread runtime (`docs/benchmarks.md`). So on a multi-thread runtime each thread
//! keeps the timer of its last finished call in a [`Slot`], and the next call keeps it as it
//! is when it fires no later than the call's own deadline (calls made back to back share one
//! armed timer), or moves it otherwise. A kept timer that fires before the call's deadline is
//! moved to that deadline then, and the call waits on; it never times out early.
//!
//! There too, a timeout of a second or more (the default among them) is fixed without a
//! clock read: as a tick of the runtime's call clock (`call_ticks`), one atomic load. The
//! timer is then armed for when that tick should come, and the tick's count, not the timer,
//! decides that the call has timed out. A kept timer armed for a tick no later than a call's
//! own is kept without working out when that call's tick comes.
//!
//! The contract that keeps this safe:
//! - Only timers of a multi-thread runtime are kept. Tokio's clock can only be paused on a
//!   current-thread runtime, where an armed timer is what the paused clock advances to when
//!   the runtime idles: there every call's timer is its own and is gone when the call ends.
//! - A slot belongs to one runtime, checked by its id on every call; it is owned by a task
//!   spawned on that runtime (its *keeper*) as well as by the thread. When the runtime shuts
//!   down, the keeper is dropped and empties the slot: the kept timer, and with it the
//!   runtime's driver and its descriptors, is not held by any thread past the runtime's life,
//!   and a runtime id is only compared while its runtime is alive (tokio may reuse the id of
//!   a runtime that has completed, never of a running one).
//! - A kept timer still holds the waker of the task that last polled it; a call whose task's
//!   waker `will_wake` the same task does not poll it again (that would swap a waker for an
//!   equal one); any other call polls it and so registers its own waker.
//!
//! A call that is dropped mid-way drops its timer; a kept timer whose old deadline passes
//! fires into a task that no longer waits on it, which is a spurious wake-up and nothing more.
//!
//! A task making calls back to back on a worker thread need not even take the kept timer:
//! the first timer it gives back there becomes the thread's *standing* timer, bound to that
//! task (it holds the task's waker), and the task's later calls there wait on it where it is,
//! with nothing to take or give back. The contract that keeps this safe:
//! - The standing timer is never reset or polled while it is armed: no other task takes it,
//!   and it is replaced only once it has fired. So an armed standing timer wakes its task no
//!   later than the tick it is armed for, which is no later than the deadline of any call
//!   that waits on it.
//! - A call waits on it only until its task is next polled without the reply: then it takes
//!   a timer of its own as any call does (its wake-up may have been the standing timer's,
//!   which fires once). A standing timer may fire before its tick is counted; the call's own
//!   timer then waits for the tick.
//! - It is kept only by a thread running a task, for the multi-thread runtime whose slot the
//!   thread holds: a worker of that runtime or one of its blocking threads, which end with
//!   it and drop the timer then. (The one exception is a runtime driven by `block_on` inside
//!   another runtime's blocking task: that thread may hold the inner runtime's standing
//!   timer, fired by its shutdown, until the thread exits or stands another timer.) Dropped
//!   with its thread, a standing timer wakes its task, whose waiting call then takes a timer
//!   of its own.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Poll, Waker};
use std::time::Duration;

use crossbeam_utils::atomic::AtomicCell;
use tokio::runtime::{Handle, Id, RuntimeFlavor};
use tokio::time::{Instant, Sleep};

use crate::call_ticks::{TICKED_FROM, Ticks};

pin_project_lite::pin_project! {
    /// A call's timer, with the slot it was made for (none: not kept). It may be kept in
    /// any open slot of the same runtime: the thread a call ends on may not be the one it
    /// began on.
    struct Timer {
        origin: Option<Arc<Slot>>,
        // The waker the timer was last polled with, while the timer still holds it: neither
        // fired nor reset since.
        waker: Option<Waker>,
        // The tick of the runtime's call clock the timer is armed to look for (`None`: armed
        // for an instant): a later call counting to that tick or a later one keeps it armed
        // as it is without working out when its own tick comes.
        tick: Option<u64>,
        #[pin]
        sleep: Sleep,
    }
}

impl Timer {
    /// Whether the timer, armed to look for tick `armed`, serves a call whose deadline is
    /// tick `target` as it is: it has not fired, and fires no later than that tick.
    fn serves_tick(&self, target: u64) -> bool {
        !self.sleep.is_elapsed() && self.tick.is_some_and(|armed| armed <= target)
    }

    /// Whether the timer serves as it is the first wait of a call of the task `waker` wakes,
    /// whose timeout is counted in ticks ([`Deadline::counts_in_ticks`]): it holds that
    /// task's waker and [serves the call's tick](Self::serves_tick). The call's deadline is
    /// fixed to its tick on the way, once the timer is found to be that task's and its
    /// runtime's clock to be running.
    fn serves_first_wait(&self, limit: &mut Deadline, waker: &Waker) -> bool {
        if !self.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return false;
        }
        match &self.origin {
            Some(origin) if !origin.ticks.is_closed() => {
                let target = origin.ticks.target(limit.timeout);
                limit.at = At::Tick(target);
                self.serves_tick(target)
            }
            _ => false,
        }
    }
}

/// One thread's kept timer for one multi-thread runtime.
///
/// A kept timer holds its slot (its origin) and the slot holds the timer: the keeper breaks
/// that cycle when it closes the slot.
struct Slot {
    runtime: Id,
    /// The runtime's call clock, for the long timeouts of calls.
    ticks: Arc<Ticks>,
    /// The runtime is shutting down: the keeper has emptied the slot, which keeps nothing
    /// from now on. Set before the keeper empties the slot, read after a timer is put in
    /// (both sequentially consistent), so a timer put in concurrently is taken out again by
    /// one side or the other.
    closed: AtomicBool,
    /// Taken out and put back whole (one atomic swap each; no lock).
    kept: AtomicCell<Option<Pin<Box<Timer>>>>,
}

impl Slot {
    /// A slot for `handle`'s runtime, with its keeper spawned there.
    fn new(handle: &Handle) -> Arc<Self> {
        let slot = Arc::new(Slot {
            runtime: handle.id(),
            ticks: Ticks::of(handle),
            closed: AtomicBool::new(false),
            kept: AtomicCell::new(None),
        });
        let keeper = Keeper(slot.clone());
        // Dropped at the latest when the runtime shuts down, which closes the slot.
        drop(handle.spawn(async move {
            let _keeper = keeper;
            std::future::pending::<()>().await;
        }));
        slot
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Keeps `timer`, unless the slot is closed. A timer it held already (kept by a call
    /// that ended on this thread while this one waited) is dropped for it.
    fn give_back(&self, timer: Pin<Box<Timer>>) {
        if self.is_closed() {
            return;
        }
        // The one kept before (if any) goes; either would do.
        drop(self.kept.swap(Some(timer)));
        if self.is_closed() {
            drop(self.kept.take());
        }
    }

    /// Closes the slot and drops what it holds.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        drop(self.kept.take());
    }
}

/// Owned by the keeper task: closes the slot when the task is dropped, at the latest when
/// its runtime shuts down.
struct Keeper(Arc<Slot>);

impl Drop for Keeper {
    fn drop(&mut self) {
        self.0.close();
    }
}

thread_local! {
    /// This thread's slot, moved out and back per use (no borrow flag).
    static SLOT: Cell<Option<Arc<Slot>>> = const { Cell::new(None) };

    /// This thread's standing timer (see the module's contract), moved out and back per use.
    static STANDING: Standing = const { Standing(Cell::new(None)) };
}

/// A thread's standing timer. Dropped with the thread, it wakes the task it is bound to: a
/// call of that task waiting on it takes a timer of its own then.
struct Standing(Cell<Option<Pin<Box<Timer>>>>);

impl Drop for Standing {
    fn drop(&mut self) {
        if let Some(waker) = self.0.take().and_then(|timer| timer.waker.clone()) {
            waker.wake();
        }
    }
}

/// Whether the first wait of a call whose timeout is counted in ticks can rely on this
/// thread's standing timer: armed for that call's tick or an earlier one, not fired, and
/// bound to the same task. The deadline is fixed to its tick on the way, as in
/// [`take_armed`].
#[inline]
fn waits_on_standing(limit: &mut Deadline, waker: &Waker) -> bool {
    if !limit.counts_in_ticks() {
        return false;
    }
    STANDING
        .try_with(|standing| {
            let Some(timer) = standing.0.take() else {
                return false;
            };
            let serves = timer.serves_first_wait(limit, waker);
            standing.0.set(Some(timer));
            serves
        })
        .unwrap_or(false)
}

/// Makes `timer`, given back by a call that ended, this thread's standing timer if it may
/// be one (armed for a tick, holding its task's waker, of the runtime whose slot the thread
/// holds, on a thread running a task) and the thread has none that is armed; otherwise
/// hands it back.
fn stand(timer: Pin<Box<Timer>>) -> Option<Pin<Box<Timer>>> {
    let eligible = timer.waker.is_some()
        && timer.tick.is_some()
        && !timer.sleep.is_elapsed()
        && tokio::task::try_id().is_some()
        && timer.origin.as_ref().is_some_and(|origin| {
            !origin.is_closed()
                && with_slot(|slot| slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, origin)))
                    .unwrap_or(false)
        });
    if !eligible {
        return Some(timer);
    }
    let mut timer = Some(timer);
    let _ = STANDING.try_with(|standing| match standing.0.take() {
        // An armed standing timer stays: calls may be waiting on it.
        Some(armed) if !armed.sleep.is_elapsed() => standing.0.set(Some(armed)),
        // None, or one that has fired (and so woke its task): replaced.
        spent => {
            standing.0.set(timer.take());
            drop(spent);
        }
    });
    timer
}

/// Runs `f` on this thread's slot, in and out of its cell (`None` while the thread is
/// being torn down).
fn with_slot<R>(f: impl FnOnce(&mut Option<Arc<Slot>>) -> R) -> Option<R> {
    SLOT.try_with(|cell| {
        let mut slot = cell.take();
        let out = f(&mut slot);
        cell.set(slot);
        out
    })
    .ok()
}

/// The deadline passed first.
pub(crate) struct Elapsed;

/// A call's deadline: its timeout, and when it ends, fixed when a wait first needs it (a
/// call whose reply is there at once reads no clock and no tick).
pub(crate) struct Deadline {
    timeout: Duration,
    at: At,
}

/// When a [`Deadline`] ends.
#[derive(Clone, Copy)]
enum At {
    /// Not fixed yet.
    Unfixed,
    /// Never: `Duration::MAX` (OTP's `infinity`), or an instant too far off to represent.
    Never,
    /// At this instant.
    Instant(Instant),
    /// Once the runtime's call clock counts this tick (see `call_ticks`).
    Tick(u64),
}

impl Deadline {
    /// The deadline `timeout` from the first wait that needs it.
    pub(crate) fn after(timeout: Duration) -> Self {
        Self {
            timeout,
            at: if timeout == Duration::MAX {
                At::Never
            } else {
                At::Unfixed
            },
        }
    }

    fn is_never(&self) -> bool {
        matches!(self.at, At::Never)
    }

    /// Not fixed yet, and long enough to be counted in ticks of the runtime's call clock
    /// once it is (where there is one).
    fn counts_in_ticks(&self) -> bool {
        matches!(self.at, At::Unfixed) && self.timeout >= TICKED_FROM
    }

    /// Fixes the deadline if not yet, and gives it (`None`: never). `ticks` is the runtime's
    /// call clock on a multi-thread runtime: a long timeout is counted on it, a short one is
    /// read from the monotonic clock directly (tokio's clock cannot be paused there).
    /// Anywhere else the deadline is read from tokio's clock, which a test may have paused.
    /// Either way the call never times out early.
    fn fix(&mut self, ticks: Option<&Ticks>) -> Option<At> {
        let ticks = ticks.filter(|t| !t.is_closed());
        if let (At::Tick(_), None) = (self.at, ticks) {
            // Counted on a clock no longer there (its runtime is shutting down): from now,
            // which is later than the start.
            self.at = At::Unfixed;
        }
        if let At::Unfixed = self.at {
            self.at = match ticks {
                Some(t) if self.timeout >= TICKED_FROM => At::Tick(t.target(self.timeout)),
                Some(_) => {
                    instant_after(Instant::from_std(std::time::Instant::now()), self.timeout)
                }
                None => instant_after(Instant::now(), self.timeout),
            };
        }
        match self.at {
            at @ (At::Instant(_) | At::Tick(_)) => Some(at),
            At::Unfixed | At::Never => None,
        }
    }

    /// Whether a timer armed for this deadline, now fired at `fired`, ends the wait; if not,
    /// when to fire again. `ticks` as for [`fix`](Self::fix).
    fn check(&mut self, fired: Instant, ticks: Option<&Ticks>) -> Option<Instant> {
        match self.at {
            At::Instant(at) if fired >= at => None,
            At::Instant(at) => Some(at),
            At::Tick(target) => match ticks.filter(|t| !t.is_closed()) {
                Some(t) if t.reached(target) => None,
                Some(t) => Some(t.rearm(target)),
                None => {
                    // See `fix`: from now on, by the clock (later than the start).
                    self.at = instant_after(Instant::now(), self.timeout);
                    match self.at {
                        At::Instant(at) => Some(at),
                        // Never: the timer is put off as far as it goes.
                        _ => Some(crate::call_ticks::far_future()),
                    }
                }
            },
            // No timer is armed for these.
            At::Unfixed | At::Never => None,
        }
    }
}

/// `timeout` after `now`, or never if that cannot be represented.
fn instant_after(now: Instant, timeout: Duration) -> At {
    now.checked_add(timeout).map_or(At::Never, At::Instant)
}

/// A timer for `limit`'s deadline, fixed now if not yet, for the task `waker` wakes: the
/// thread's kept one on a multi-thread runtime, a new one otherwise; none if the deadline
/// never comes.
///
/// # Panics
///
/// Outside a tokio runtime, or on one without a time driver, as `tokio::time::sleep_until`.
fn take(limit: &mut Deadline, waker: &Waker) -> Option<Pin<Box<Timer>>> {
    let found = with_slot(|slot| take_kept(slot, waker));
    // A timer is kept only on a multi-thread runtime, the only place it is found or made
    // for a slot, and only there is the runtime's call clock used.
    let origin = match &found {
        Some(Found::Kept(timer)) => timer.origin.as_ref(),
        Some(Found::New(origin)) => origin.as_ref(),
        None => None,
    };
    let ticks = origin.map(|o| &*o.ticks);
    let Some(at) = limit.fix(ticks) else {
        if let Some(Found::Kept(timer)) = found {
            give_back(timer);
        }
        return None;
    };
    // When the timer fires, and the tick it looks for. `fix` made a tick deadline only with
    // the runtime's clock at hand, so `ticks` is there for one.
    let arm = |ticks: Option<&Ticks>| match (at, ticks) {
        (At::Tick(target), Some(t)) => (t.hint(target), Some(target)),
        (At::Instant(deadline), _) => (deadline, None),
        // Not reached (see above): look again a tick from now.
        _ => (Instant::now() + crate::call_ticks::TICK, None),
    };
    let origin = match found {
        Some(Found::Kept(mut kept)) => {
            // An armed timer that fires no later than the deadline is kept as it is: if it
            // fires first, `timeout` moves it to the deadline then. So a thread making calls
            // back to back resets its timer about once per timeout, not once per call.
            let keep = match (at, kept.tick) {
                (At::Tick(target), Some(_)) => kept.serves_tick(target),
                // Armed for an instant (or the deadline is one): compared as instants.
                _ => {
                    let ticks = kept.origin.as_deref().map(|o| &*o.ticks);
                    !kept.sleep.is_elapsed() && kept.sleep.deadline() <= arm(ticks).0
                }
            };
            let this = kept.as_mut().project();
            let ticks = this.origin.as_deref().map(|o| &*o.ticks);
            if !keep {
                let (deadline, tick) = arm(ticks);
                this.sleep.reset(deadline);
                *this.tick = tick;
                *this.waker = None;
            }
            return Some(kept);
        }
        Some(Found::New(origin)) => origin,
        None => None,
    };
    let (deadline, tick) = arm(origin.as_ref().map(|o| &*o.ticks));
    Some(Box::pin(Timer {
        origin,
        waker: None,
        tick,
        sleep: tokio::time::sleep_until(deadline),
    }))
}

/// The common case of [`take`], on its own: the first wait of a call whose timeout is
/// counted in ticks finds the thread's kept timer armed for that call's tick or an earlier
/// one, not fired, and holding the waker of the same task. Then the timer serves as it is,
/// and the deadline is fixed to its tick. In any other case the kept timer stays in the
/// slot for [`take`], and the deadline is left as it was, or fixed to its tick once counted.
#[inline]
fn take_armed(limit: &mut Deadline, waker: &Waker) -> Option<Pin<Box<Timer>>> {
    if !limit.counts_in_ticks() {
        return None;
    }
    with_slot(|slot| {
        let slot = slot.as_ref()?;
        let timer = slot.kept.take()?;
        // Held by the same task: it is on the timer's runtime (see `take_kept`).
        if timer.serves_first_wait(limit, waker) {
            Some(timer)
        } else {
            slot.give_back(timer);
            None
        }
    })
    .flatten()
}

/// What [`take_kept`] found.
enum Found {
    /// The thread's kept timer, for this call.
    Kept(Pin<Box<Timer>>),
    /// A new timer is needed, to be kept in this slot afterwards (`None`: not kept, not on
    /// a multi-thread runtime).
    New(Option<Arc<Slot>>),
}

/// The kept timer of `slot` if it may serve the task `waker` wakes, or else the slot a new
/// timer is for.
///
/// The same task that polled the kept timer last (the timer still holds its waker, and so
/// keeps that task alive: `will_wake` cannot match another task) is on the timer's runtime
/// and need not look the runtime up. Any other task looks it up, and is served only by a
/// slot of its own runtime, made here (with its keeper) if the thread has none.
fn take_kept(slot: &mut Option<Arc<Slot>>, waker: &Waker) -> Found {
    let mut kept = slot.as_ref().and_then(|s| s.kept.take());
    if let Some(timer) = kept.take() {
        if timer.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return Found::Kept(timer);
        }
        kept = Some(timer);
    }
    let handle = match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => handle,
        _ => {
            // Not for this call: the kept timer stays for the calls it can serve.
            if let (Some(s), Some(timer)) = (slot.as_ref(), kept) {
                s.give_back(timer);
            }
            return Found::New(None);
        }
    };
    let runtime = handle.id();
    match slot.as_ref() {
        // An open slot's runtime runs, so its id is its own: the same runtime.
        Some(s) if s.runtime == runtime && !s.is_closed() => match kept {
            Some(timer) => Found::Kept(timer),
            None => Found::New(Some(s.clone())),
        },
        // Another runtime's slot, or a closed one (its runtime is shutting down, and this
        // is a new one with the same id): replaced, its timer dropped.
        _ => {
            drop(kept);
            let new = Slot::new(&handle);
            *slot = Some(new.clone());
            Found::New(Some(new))
        }
    }
}

/// Keeps `timer` in the slot of the thread the call ended on, if that slot is for the
/// timer's runtime; drops it otherwise. The runtime ids are compared only while the
/// timer's own slot is open, so while its runtime runs and its id is its own.
fn give_back(timer: Pin<Box<Timer>>) {
    let Some(timer) = stand(timer) else {
        return;
    };
    let Some(origin) = timer.origin.as_ref().filter(|o| !o.is_closed()) else {
        return;
    };
    let runtime = origin.runtime;
    let unkept = with_slot(
        |slot| match slot.as_ref().filter(|s| s.runtime == runtime) {
            Some(s) => {
                s.give_back(timer);
                None
            }
            None => Some(timer),
        },
    );
    drop(unkept);
}

/// `fut`'s output, or [`Elapsed`] once `limit`'s deadline passes: `tokio::time::timeout`,
/// on a timer reused across calls on a multi-thread runtime. `fut` is polled first, so a
/// result ready at the deadline wins. A second wait on the same `limit` ends at the same
/// deadline.
///
/// # Panics
///
/// When polled outside a tokio runtime, or on one built without `enable_time`, as every
/// tokio timer (unless the deadline never comes).
pub(crate) fn timeout<F: Future>(limit: &mut Deadline, fut: F) -> Timeout<'_, F> {
    Timeout {
        limit,
        fut,
        timer: None,
        standing: false,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`]. Dropped before it ends, it drops its timer (a kept timer
    /// is given back only by a wait that ends).
    pub(crate) struct Timeout<'a, F> {
        limit: &'a mut Deadline,
        #[pin]
        fut: F,
        // Taken at the first poll that finds `fut` pending, with that poll's waker (`None`
        // inside: the deadline never comes).
        timer: Option<Option<Pin<Box<Timer>>>>,
        // The first poll found `fut` pending and left the wait to the thread's standing
        // timer: until the next poll, which takes a timer of its own.
        standing: bool,
    }
}

impl<F: Future> Future for Timeout<'_, F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.fut.poll(cx) {
            if let Some(Some(timer)) = this.timer.take() {
                give_back(timer);
            }
            return Poll::Ready(Ok(v));
        }
        if this.limit.is_never() {
            return Poll::Pending;
        }
        let limit = &mut **this.limit;
        // A first wait may leave the deadline to the thread's standing timer. Polled again
        // without the reply (`standing` was set), the call waits on a timer of its own.
        if this.timer.is_none()
            && !std::mem::take(this.standing)
            && waits_on_standing(limit, cx.waker())
        {
            *this.standing = true;
            return Poll::Pending;
        }
        if this.timer.is_none()
            && let Some(timer) = take_armed(limit, cx.waker())
        {
            // Armed for this call's tick or an earlier one, and holding this task's waker:
            // nothing more to do until it fires or the reply comes.
            *this.timer = Some(Some(timer));
            return Poll::Pending;
        }
        let Some(timer) = this.timer.get_or_insert_with(|| take(limit, cx.waker())) else {
            return Poll::Pending;
        };
        let mut sleep = timer.as_mut().project();
        loop {
            if sleep.sleep.is_elapsed() {
                let fired = sleep.sleep.deadline();
                match limit.check(fired, sleep.origin.as_ref().map(|o| &*o.ticks)) {
                    None => {
                        if let Some(Some(timer)) = this.timer.take() {
                            give_back(timer);
                        }
                        return Poll::Ready(Err(Elapsed));
                    }
                    // A kept timer fired before this call's deadline, or the tick it waits
                    // for is not counted yet: fire again later, and wait.
                    Some(again) => {
                        sleep.sleep.as_mut().reset(again);
                        *sleep.tick = match limit.at {
                            At::Tick(target) => Some(target),
                            _ => None,
                        };
                        *sleep.waker = None;
                    }
                }
            }
            if sleep
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                // Armed, and holding a waker for this task: it wakes us when it fires.
                return Poll::Pending;
            }
            match sleep.sleep.as_mut().poll(cx) {
                Poll::Pending => {
                    *sleep.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                // Fired: the loop's first step decides.
                Poll::Ready(()) => *sleep.waker = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticked_deadline_whose_clock_is_gone_waits_its_whole_timeout_from_now() {
        // The runtime's ticker is gone (it is shutting down): the deadline moves onto the
        // clock, from now, and a timeout too long to represent never ends the wait.
        let fired = Instant::now();
        let mut long = Deadline {
            timeout: Duration::MAX - Duration::from_secs(1),
            at: At::Tick(7),
        };
        assert!(long.check(fired, None).is_some());
        let mut five = Deadline {
            timeout: Duration::from_secs(5),
            at: At::Tick(7),
        };
        let again = five.check(fired, None).unwrap();
        assert!(again >= fired + Duration::from_secs(5));
        assert!(matches!(five.at, At::Instant(_)));
    }

    /// `f` on this thread's standing timer, if any.
    fn with_standing<R>(f: impl FnOnce(Option<&Timer>) -> R) -> R {
        STANDING.with(|standing| {
            let timer = standing.0.take();
            let out = f(timer.as_deref());
            standing.0.set(timer);
            out
        })
    }

    /// Whether this thread's standing timer is bound to the task `waker` wakes.
    fn standing_is_bound_to(waker: &Waker) -> bool {
        with_standing(|timer| {
            timer
                .and_then(|t| t.waker.as_ref())
                .is_some_and(|w| w.will_wake(waker))
        })
    }

    /// Whether this thread's slot holds a kept timer.
    fn slot_keeps_a_timer() -> bool {
        with_slot(|slot| {
            slot.as_ref().is_some_and(|s| {
                let timer = s.kept.take();
                let kept = timer.is_some();
                if let Some(timer) = timer {
                    s.give_back(timer);
                }
                kept
            })
        })
        .unwrap_or(false)
    }

    #[test]
    fn a_tasks_calls_back_to_back_wait_on_the_standing_timer_and_take_none() {
        use crate::actor::Actor;
        use crate::test_actor::{Get, Sink};
        // One worker: the task and its calls stay on one thread.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sink = rt.block_on(async { Sink::start(()).await }).unwrap();
        let in_task = sink.clone();
        rt.block_on(async {
            tokio::spawn(async move {
                let sink = in_task;
                let waker = std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
                sink.call(Get).await.unwrap();
                // The first call's timer became the thread's standing timer, for this task.
                assert!(standing_is_bound_to(&waker));
                assert!(!slot_keeps_a_timer());
                for _ in 0..10 {
                    sink.call(Get).await.unwrap();
                }
                // Served by it: no call took or gave back a timer of its own.
                assert!(standing_is_bound_to(&waker));
                assert!(!slot_keeps_a_timer());
            })
            .await
            .unwrap();
        });
        // Calls outside a task (the runtime's own `block_on` thread, which outlives it) leave
        // that thread none.
        rt.block_on(async {
            for _ in 0..3 {
                sink.call(Get).await.unwrap();
            }
            assert!(with_standing(|timer| timer.is_none()));
        });
    }

    #[tokio::test]
    async fn a_standing_timer_dropped_with_its_thread_wakes_its_task() {
        // A call may be waiting on it: woken, it takes a timer of its own.
        struct Count(std::sync::atomic::AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        let timer = Timer {
            origin: None,
            waker: Some(Waker::from(count.clone())),
            tick: Some(1),
            sleep: tokio::time::sleep(Duration::from_secs(60)),
        };
        drop(Standing(Cell::new(Some(Box::pin(timer)))));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_slot_hands_its_timer_over_without_a_lock() {
        assert!(AtomicCell::<Option<Pin<Box<Timer>>>>::is_lock_free());
    }
}
