//! A call sent without waiting: `gen_server:send_request/2` and `receive_response/2`.

use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use crate::call_timer::{self, Deadline};
use crate::cell::Core;
use crate::error::CallError;
use crate::pid::Pid;
use crate::reply::ReplyRx;

/// A call request already in the callee's mailbox, whose reply is still to come: what
/// [`ActorRef::send_request`](crate::ActorRef::send_request) returns.
///
/// # Examples
///
/// See [`ActorRef::send_request`](crate::ActorRef::send_request).
#[must_use = "the reply is dropped unless the pending reply is awaited"]
pub struct PendingReply<R: Send + 'static> {
    pub(crate) rx: ReplyRx<R>,
    pub(crate) callee: Pid,
}

impl<R: Send + 'static> PendingReply<R> {
    /// Waits at most `timeout` for the reply: `gen_server:receive_response/2`. Use
    /// `Duration::MAX` to wait forever.
    ///
    /// # Errors
    ///
    /// `Timeout` if no reply came in time (a late reply is dropped, never delivered), or
    /// `Exit(reason)` if the actor exited before replying.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives up on the reply; the actor still handles the request.
    ///
    /// # Panics
    ///
    /// On a tokio runtime without a time driver, unless `timeout` is `Duration::MAX`.
    pub async fn wait(self, timeout: Duration) -> Result<R, CallError<Infallible>> {
        let mut limit = Deadline::after(timeout);
        let callee = self.callee;
        await_reply(&mut limit, self.rx, callee.inner.core(), || callee.clone()).await
    }

    /// The actor the request went to.
    pub fn callee(&self) -> &Pid {
        &self.callee
    }
}

impl<R: Send + 'static> fmt::Debug for PendingReply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingReply")
            .field("callee", &self.callee)
            .finish_non_exhaustive()
    }
}

/// The reply to a request already queued, or why there is none: the reply, the callee's
/// exit reason when it died first, or a timeout at `limit`. (`ActorRef::call` has the same
/// steps written out, keep the two alike.)
pub(crate) async fn await_reply<R: Send + 'static, M>(
    limit: &mut Deadline,
    rx: ReplyRx<R>,
    core: &Core,
    callee: impl FnOnce() -> Pid,
) -> Result<R, CallError<M>> {
    match call_timer::timeout(limit, rx).await {
        Ok(Ok(reply)) => Ok(reply),
        // The reply slot was dropped unanswered: the actor died before replying, or the
        // handler dropped a deferred reply. Like OTP's monitor, wait for the exit until
        // the deadline.
        Ok(Err(_)) => {
            // The common case: the sender went with the exit already complete.
            if let Some(reason) = core.final_reason() {
                return Err(CallError::Exit(reason));
            }
            let exited = call_timer::timeout(limit, core.wait_exit()).await.ok();
            exited.map_or_else(
                || Err(CallError::Timeout { callee: callee() }),
                |reason| Err(CallError::Exit(reason)),
            )
        }
        Err(_) => Err(CallError::Timeout { callee: callee() }),
    }
}
