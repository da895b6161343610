//! Streams into an actor (`attach_stream`): items in order then the end, the stream dropped
//! when the actor exits, nothing after a cancel.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use actor_core::{
    Actor, Call, CallReply, Context, ExitReason, Flow, Info, InitError, StreamMessage,
};
use tokio::sync::{mpsc, oneshot};

/// A stream fed by a channel, which says when it is dropped.
struct Fed {
    rx: mpsc::UnboundedReceiver<u32>,
    dropped: Option<oneshot::Sender<()>>,
}

impl futures_core::Stream for Fed {
    type Item = u32;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<u32>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Fed {
    fn drop(&mut self) {
        if let Some(tx) = self.dropped.take() {
            let _ = tx.send(());
        }
    }
}

fn fed() -> (mpsc::UnboundedSender<u32>, Fed, oneshot::Receiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (dropped_tx, dropped_rx) = oneshot::channel();
    let stream = Fed {
        rx,
        dropped: Some(dropped_tx),
    };
    (tx, stream, dropped_rx)
}

/// Records what it receives, in order.
struct Log(Vec<StreamMessage<u32>>);

impl Actor for Log {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Log(Vec::new()))
    }
}

impl Info<StreamMessage<u32>> for Log {
    async fn handle_info(&mut self, msg: StreamMessage<u32>, _: &mut Context<Self>) -> Flow {
        self.0.push(msg);
        Flow::Ok
    }
}

struct Seen;
impl Call<Seen> for Log {
    type Reply = Vec<StreamMessage<u32>>;
    async fn handle_call(&mut self, _: Seen, _: &mut Context<Self>) -> CallReply<Self::Reply> {
        CallReply::Reply(self.0.clone())
    }
}

/// Asks until the actor has seen `n` messages.
async fn seen(log: &actor_core::ActorRef<Log>, n: usize) -> Vec<StreamMessage<u32>> {
    loop {
        let seen = log.call(Seen).await.unwrap();
        if seen.len() >= n {
            return seen;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn items_arrive_in_order_then_the_end() {
    let log = Log::start(()).await.unwrap();
    let (tx, stream, dropped) = fed();
    let attached = log.attach_stream(stream);
    for n in 1..=3 {
        tx.send(n).unwrap();
    }
    drop(tx);
    use StreamMessage::{End, Item};
    assert_eq!(seen(&log, 4).await, vec![Item(1), Item(2), Item(3), End]);
    dropped.await.unwrap();
    assert!(!attached.is_attached());
    assert!(!attached.cancel(), "an ended stream is not attached");
}

#[tokio::test]
async fn the_stream_is_dropped_when_the_actor_exits_even_while_silent() {
    let log = Log::start(()).await.unwrap();
    let (tx, stream, dropped) = fed();
    let attached = log.attach_stream(stream);
    tx.send(1).unwrap();
    seen(&log, 1).await;
    log.stop(ExitReason::Normal).await.unwrap();
    // The stream had nothing more to give; the actor's exit ended the attachment.
    dropped.await.unwrap();
    assert!(
        tx.send(2).is_err(),
        "the stream, and its receiver, are gone"
    );
    drop(attached);
}

#[tokio::test]
async fn nothing_arrives_after_cancel_returns() {
    let log = Log::start(()).await.unwrap();
    let (tx, stream, dropped) = fed();
    let attached = log.attach_stream(stream);
    tx.send(1).unwrap();
    seen(&log, 1).await;
    assert!(attached.cancel());
    assert!(!attached.is_attached());
    let _ = tx.send(2);
    dropped.await.unwrap();
    // Whatever the actor handles after the cancel, no item and no end came from the stream.
    assert_eq!(log.call(Seen).await.unwrap(), vec![StreamMessage::Item(1)]);
}

#[tokio::test]
async fn an_actor_attaches_a_stream_to_itself() {
    struct SelfFed;
    impl Actor for SelfFed {
        type Args = Fed;
        async fn init(stream: Fed, ctx: &mut Context<Self>) -> Result<Self, InitError> {
            ctx.attach_stream(stream);
            Ok(SelfFed)
        }
    }
    impl Info<StreamMessage<u32>> for SelfFed {
        async fn handle_info(&mut self, msg: StreamMessage<u32>, _: &mut Context<Self>) -> Flow {
            match msg {
                StreamMessage::Item(_) => Flow::Ok,
                StreamMessage::End => Flow::Stop(ExitReason::Normal),
            }
        }
    }
    let (tx, stream, _dropped) = fed();
    let actor = SelfFed::start(stream).await.unwrap();
    tx.send(1).unwrap();
    drop(tx);
    // It stops itself on the end of its stream.
    assert_eq!(actor.pid().exited().await, ExitReason::Normal);
}
