//! Streams into an actor: each item of a [`Stream`] arrives as an info message, in the
//! stream's order and in mailbox order with everything else the actor receives, then one
//! end-of-stream message; the stream is dropped when the actor exits or the attachment is
//! cancelled (kameo's `attach_stream`, actix's `StreamHandler`).

use std::fmt;
use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;

use futures_core::Stream;
use tokio::task::AbortHandle;

use crate::actor_ref::ActorRef;
use crate::handler::Info;
use crate::timer::SendGate;

/// What an attached stream sends to its actor's [`Info`] handler.
///
/// # Examples
///
/// See [`ActorRef::attach_stream`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamMessage<T> {
    /// The next item.
    Item(T),
    /// The stream ended: nothing more comes. Not sent when the attachment was cancelled or
    /// the actor exited first.
    End,
}

/// An attached stream; [`cancel`](StreamRef::cancel) detaches it. Dropping it does not.
///
/// # Examples
///
/// See [`ActorRef::attach_stream`].
pub struct StreamRef {
    gate: Arc<SendGate>,
    task: AbortHandle,
}

impl StreamRef {
    /// Detaches the stream: nothing more is sent after this returns (not even
    /// [`StreamMessage::End`]), and the stream is dropped on its task. `false` if it had
    /// ended, was cancelled, or its actor had exited.
    pub fn cancel(&self) -> bool {
        let was_attached = self.gate.finish();
        self.task.abort();
        was_attached
    }

    /// `true` while items may still be sent.
    pub fn is_attached(&self) -> bool {
        self.gate.is_open()
    }
}

impl fmt::Debug for StreamRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRef")
            .field("attached", &self.is_attached())
            .finish()
    }
}

pub(crate) fn attach<A, S>(actor: &ActorRef<A>, stream: S) -> StreamRef
where
    A: Info<StreamMessage<S::Item>>,
    S: Stream + Send + 'static,
    S::Item: Send + 'static,
{
    let gate = Arc::new(SendGate::new());
    let (sending, target) = (gate.clone(), actor.clone());
    let task = tokio::spawn(async move {
        let exited = target.pid();
        let mut exited = pin!(exited.exited());
        let mut stream = pin!(stream);
        loop {
            // The actor's exit ends the attachment even while the stream is silent.
            let next = tokio::select! {
                biased;
                _ = exited.as_mut() => None,
                item = poll_fn(|cx| stream.as_mut().poll_next(cx)) => Some(item),
            };
            let sent = match next {
                None => return,
                Some(Some(item)) => sending.send(&target, StreamMessage::Item(item), false),
                Some(None) => sending.send(&target, StreamMessage::End, true),
            };
            if let Err(unsent) = sent {
                // Dropped here, outside the gate's lock.
                drop(unsent);
                return;
            }
        }
    });
    StreamRef {
        gate,
        task: task.abort_handle(),
    }
}
