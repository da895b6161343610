//! Timers: `send_after` and `send_interval`, with cancel.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::actor_ref::ActorRef;
use crate::cell::PushError;
use crate::envelope::InfoEnvelope;
use crate::handler::Info;
use crate::sync::{Mutex, MutexGuard};

/// A running timer; cancel it with [`cancel`](TimerRef::cancel). Dropping it does not cancel.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, Flow, Info, InitError};
///
/// struct Alarm;
/// struct Ring;
///
/// impl Actor for Alarm {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Alarm) }
/// }
/// impl Info<Ring> for Alarm {
///     async fn handle_info(&mut self, _: Ring, _: &mut Context<Self>) -> Flow { Flow::Ok }
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let alarm = Alarm::start(()).await.unwrap();
/// let timer = alarm.send_after(Duration::from_secs(10), Ring);
/// tokio::time::sleep(Duration::from_secs(4)).await;
/// assert_eq!(timer.cancel(), Some(Duration::from_secs(6))); // it had 6 s left
/// assert_eq!(timer.cancel(), None);                          // already cancelled
/// # }
/// ```
pub struct TimerRef {
    state: Arc<TimerState>,
    task: AbortHandle,
}

/// What makes "nothing is sent after cancel returns" hold, for a timer and for an attached
/// stream: each send and the cancel are done under this lock, so a send either completes
/// before the cancel takes the lock or does not happen at all. Only the push into the mailbox
/// runs under it: no user code (a message's `Clone` and `Drop` run outside).
pub(crate) struct SendGate {
    done: Mutex<bool>,
}

impl SendGate {
    pub(crate) fn new() -> Self {
        Self {
            done: Mutex::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, bool> {
        self.done.lock()
    }

    /// Whether a send may still happen.
    pub(crate) fn is_open(&self) -> bool {
        !*self.lock()
    }

    /// Closes the gate: nothing is sent from now on. `false` if it already was.
    pub(crate) fn finish(&self) -> bool {
        let mut done = self.lock();
        !std::mem::replace(&mut *done, true)
    }

    /// Pushes `msg` unless the gate is closed; with `last`, closes it. `Err` when the gate is
    /// closed from now on, with the message if it was not queued (cancelled, or the actor is
    /// gone), for the caller to drop after the lock is released.
    pub(crate) fn send<A: Info<M>, M: Send + 'static>(
        &self,
        target: &ActorRef<A>,
        msg: M,
        last: bool,
    ) -> Result<(), Option<M>> {
        let mut done = self.lock();
        if *done {
            return Err(Some(msg));
        }
        if let Err(PushError::Full(unsent) | PushError::Closed(unsent)) =
            target.cell.push_msg::<M, _>(InfoEnvelope(Some(msg)), false)
        {
            // The actor has exited: nothing will ever be sent again.
            *done = true;
            return Err(Some(unsent));
        }
        if last {
            *done = true;
            return Err(None);
        }
        Ok(())
    }
}

pub(crate) struct TimerState {
    pub(crate) gate: SendGate,
    deadline: Instant,
    period: Option<Duration>,
}

impl TimerState {
    pub(crate) fn new(deadline: Instant, period: Option<Duration>) -> Self {
        Self {
            gate: SendGate::new(),
            deadline,
            period,
        }
    }
}

impl TimerRef {
    /// Cancels the timer: `Process.cancel_timer/1`. Returns the time that was left before the
    /// next send, or `None` if a one-shot timer had already fired or the timer was cancelled
    /// before. No message is sent after this returns.
    pub fn cancel(&self) -> Option<Duration> {
        if !self.state.gate.finish() {
            return None;
        }
        self.task.abort();
        let now = Instant::now();
        let left = match self.state.period {
            None => self.state.deadline.saturating_duration_since(now),
            Some(period) => {
                // Time left until the next tick of the interval.
                let since = now.saturating_duration_since(self.state.deadline);
                let period_ns = period.as_nanos().max(1);
                let into = since.as_nanos() % period_ns;
                if now < self.state.deadline {
                    self.state.deadline - now
                } else {
                    Duration::from_nanos(u64::try_from(period_ns - into).unwrap_or(u64::MAX))
                }
            }
        };
        Some(left)
    }

    /// `true` while the timer may still send.
    pub fn is_active(&self) -> bool {
        self.state.gate.is_open()
    }
}

impl fmt::Debug for TimerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerRef")
            .field("active", &self.is_active())
            .finish()
    }
}

pub(crate) fn send_after<A, M>(target: &ActorRef<A>, after: Duration, msg: M) -> TimerRef
where
    A: Info<M>,
    M: Send + 'static,
{
    let deadline = Instant::now().checked_add(after).unwrap_or_else(far_future);
    let state = Arc::new(TimerState::new(deadline, None));
    let weak = target.downgrade();
    let st = state.clone();
    let task = tokio::spawn(async move {
        tokio::time::sleep_until(deadline).await;
        match weak.upgrade() {
            Some(actor) => drop(st.gate.send(&actor, msg, true)),
            None => {
                st.gate.finish();
            }
        }
    });
    TimerRef {
        state,
        task: task.abort_handle(),
    }
}

pub(crate) fn send_interval<A, M>(target: &ActorRef<A>, period: Duration, msg: M) -> TimerRef
where
    A: Info<M>,
    M: Clone + Send + 'static,
{
    let period = period.max(Duration::from_millis(1));
    let deadline = Instant::now()
        .checked_add(period)
        .unwrap_or_else(far_future);
    let state = Arc::new(TimerState::new(deadline, Some(period)));
    let weak = target.downgrade();
    let st = state.clone();
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(deadline, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(actor) = weak.upgrade() else {
                st.gate.finish();
                return;
            };
            // Cloned before the lock is taken: `Clone` is user code.
            if st.gate.send(&actor, msg.clone(), false).is_err() {
                return;
            }
        }
    });
    TimerRef {
        state,
        task: task.abort_handle(),
    }
}

fn far_future() -> Instant {
    // About 30 years, as tokio does for its own far-future deadlines.
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}
