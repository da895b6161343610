//! Frames between nodes: one ordered stream per pair of node incarnations, the replies to
//! calls, and the dispatch of what arrives to local actors.
//!
//! Ordering. NATS keeps the order of what one connection publishes, so every frame a node
//! sends another goes through one writer task per destination incarnation, which numbers
//! them (`stream`, `seq`). The receiver takes a stream's frames only in order: a frame after
//! a gap (lost across a reconnect) breaks the connection (`noconnection` to the links and
//! monitors between the two nodes) and is dropped; an old or repeated frame is dropped. A
//! new stream (the sender dropped its writer when it saw this node down) breaks the old one.
//!
//! Replies. A call is published with a reply subject of its own, `{prefix}.{call id}`,
//! under one subscription per node. The waiting call is a oneshot in `pending`, removed
//! when the reply comes, when the call times out, or when the callee's node goes down: a
//! reply is delivered at most once, and never after its call gave up. A request to a node
//! nobody serves comes back at once as the server's "no responders" status.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use actor_core::{ActorId, Pid};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::links::Links;
use crate::options::NodeName;
use crate::remote::{Deliver, RemoteCallError, RemotePid};
use crate::wire::{self, Failure, Header, Kind, ReplyHeader, Signal};

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("me", &self.me)
            .field("incarnation", &self.incarnation)
            .finish_non_exhaustive()
    }
}

/// The deliverers of one message, by actor type name.
type Accepted = Vec<(&'static str, Deliver)>;

/// A frame waiting for its writer.
struct Outbound {
    kind: Kind,
    target: u64,
    message: &'static str,
    timeout_ms: u64,
    body: Vec<u8>,
    /// The call id, for a call.
    call: Option<u64>,
}

/// A call waiting for its reply.
struct Waiting {
    node: NodeName,
    tx: oneshot::Sender<Result<Bytes, RemoteCallError>>,
}

/// Where a sender's frames have reached.
#[derive(Clone, Copy)]
struct Position {
    stream: u64,
    seq: u64,
}

/// What to do with an arriving frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Next in order: deliver it.
    Deliver,
    /// Old or repeated: drop it.
    Stale,
    /// After a gap: the connection broke; drop it.
    Broken,
    /// The first of a new stream, that replaced one already seen: the old connection
    /// broke; deliver it.
    NewStream,
}

/// The receiver's side of the ordering: where each sender incarnation's stream is.
#[derive(Default)]
pub(crate) struct Sequencer {
    seen: HashMap<(NodeName, u64), Position>,
}

impl Sequencer {
    pub(crate) fn check(
        &mut self,
        from: &NodeName,
        incarnation: u64,
        stream: u64,
        seq: u64,
    ) -> Verdict {
        let key = (from.clone(), incarnation);
        let verdict = match self.seen.get(&key) {
            None if seq == 1 => Verdict::Deliver,
            None => Verdict::Broken,
            Some(p) if stream < p.stream => return Verdict::Stale,
            Some(p) if stream == p.stream && seq <= p.seq => return Verdict::Stale,
            Some(p) if stream == p.stream && seq == p.seq + 1 => Verdict::Deliver,
            Some(p) if stream > p.stream && seq == 1 => Verdict::NewStream,
            Some(_) => Verdict::Broken,
        };
        self.seen.insert(key, Position { stream, seq });
        verdict
    }

    fn forget(&mut self, node: &NodeName) {
        self.seen.retain(|(n, _), _| n != node);
    }
}

/// A node's frames in and out.
pub(crate) struct Transport {
    me: NodeName,
    incarnation: u64,
    client: async_nats::Client,
    cluster: String,
    reply_prefix: String,
    next_stream: AtomicU64,
    next_call: AtomicU64,
    writers: Mutex<HashMap<(NodeName, u64), mpsc::UnboundedSender<Outbound>>>,
    pending: Mutex<HashMap<u64, Waiting>>,
    sequencer: Mutex<Sequencer>,
    links: Links,
    /// What this node accepts: (kind, message name) to the deliverer per actor type.
    accepts: RwLock<HashMap<(Kind, &'static str), Accepted>>,
}

impl Transport {
    pub(crate) fn new(
        me: NodeName,
        incarnation: u64,
        client: async_nats::Client,
        cluster: &str,
    ) -> Self {
        Self {
            reply_prefix: format!("{cluster}.reply.{me}.{incarnation}"),
            me,
            incarnation,
            client,
            cluster: cluster.to_owned(),
            next_stream: AtomicU64::new(1),
            next_call: AtomicU64::new(1),
            writers: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            sequencer: Mutex::new(Sequencer::default()),
            accepts: RwLock::new(HashMap::new()),
            links: Links::default(),
        }
    }

    /// The subject a node receives its frames on.
    pub(crate) fn inbox(cluster: &str, node: &NodeName) -> String {
        format!("{cluster}.msg.{node}")
    }

    /// The subjects of this node's frames and replies.
    pub(crate) fn subjects(&self) -> (String, String) {
        (
            Self::inbox(&self.cluster, &self.me),
            format!("{}.*", self.reply_prefix),
        )
    }

    pub(crate) fn accept(
        &self,
        kind: Kind,
        message: &'static str,
        actor: &'static str,
        deliver: Deliver,
    ) {
        let mut accepts = self.accepts.write().unwrap_or_else(PoisonError::into_inner);
        let entry = accepts.entry((kind, message)).or_default();
        entry.retain(|(a, _)| *a != actor);
        entry.push((actor, deliver));
    }

    /// Queues a frame for `to`'s node, in order after everything queued before it.
    pub(crate) fn send(
        self: &Arc<Self>,
        to: &RemotePid,
        kind: Kind,
        message: &'static str,
        body: Vec<u8>,
    ) {
        self.enqueue(
            to,
            Outbound {
                kind,
                target: to.id,
                message,
                timeout_ms: 0,
                body,
                call: None,
            },
        );
    }

    /// Sends a call and waits for its reply.
    pub(crate) async fn call(
        self: &Arc<Self>,
        to: &RemotePid,
        message: &'static str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Bytes, RemoteCallError> {
        let call = self.next_call.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                call,
                Waiting {
                    node: to.node.clone(),
                    tx,
                },
            );
        // Removes the waiting entry however this future ends: a reply that comes later
        // finds nobody, and is dropped.
        let _gone = Forget {
            transport: self,
            call,
        };
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.enqueue(
            to,
            Outbound {
                kind: Kind::Call,
                target: to.id,
                message,
                timeout_ms,
                body,
                call: Some(call),
            },
        );
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            // The entry went with its node (`node_down` answers first, so this is a stop).
            Ok(Err(_)) => Err(RemoteCallError::NodeDown(to.node.clone())),
            Err(_) => Err(RemoteCallError::Timeout),
        }
    }

    fn enqueue(self: &Arc<Self>, to: &RemotePid, frame: Outbound) {
        let key = (to.node.clone(), to.incarnation);
        let mut writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        let writer = writers.entry(key).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let stream = self.next_stream.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(write(
                self.clone(),
                to.node.clone(),
                to.incarnation,
                stream,
                rx,
            ));
            tx
        });
        if let Err(mpsc::error::SendError(frame)) = writer.send(frame) {
            // The writer ended (its node went down meanwhile): a call fails now.
            if let Some(call) = frame.call {
                self.answer(call, Err(RemoteCallError::NodeDown(to.node.clone())));
            }
        }
    }

    fn answer(&self, call: u64, result: Result<Bytes, RemoteCallError>) {
        let waiting = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&call);
        if let Some(w) = waiting {
            let _ = w.tx.send(result);
        }
    }

    /// `node` went down: its writers stop, its calls fail with `NodeDown`, its streams are
    /// forgotten.
    pub(crate) fn node_down(&self, node: &NodeName) {
        self.writers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(n, _), _| n != node);
        self.sequencer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget(node);
        self.links.node_lost(node);
        let failed: Vec<Waiting> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let calls: Vec<u64> = pending
                .iter()
                .filter(|(_, w)| w.node == *node)
                .map(|(c, _)| *c)
                .collect();
            calls
                .into_iter()
                .filter_map(|c| pending.remove(&c))
                .collect()
        };
        for w in failed {
            let _ = w.tx.send(Err(RemoteCallError::NodeDown(node.clone())));
        }
    }

    /// A reply (or the server's "no responders") on this node's reply subject.
    pub(crate) fn on_reply(&self, msg: &async_nats::Message) {
        let Some(call) = msg
            .subject
            .rsplit('.')
            .next()
            .and_then(|c| c.parse::<u64>().ok())
        else {
            return;
        };
        let node = {
            let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            match pending.get(&call) {
                Some(w) => w.node.clone(),
                None => return, // given up already: dropped
            }
        };
        let result = if msg.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            Err(RemoteCallError::NodeDown(node))
        } else {
            match wire::decode_frame::<ReplyHeader>(&msg.payload) {
                Ok((ReplyHeader::Ok, body)) => Ok(msg.payload.slice_ref(body)),
                Ok((ReplyHeader::Failed(f), _)) => Err(RemoteCallError::from_failure(f, &node)),
                Err(e) => Err(RemoteCallError::Codec(e.to_string())),
            }
        };
        self.answer(call, result);
    }

    /// A frame on this node's subject.
    pub(crate) fn on_frame(self: &Arc<Self>, msg: &async_nats::Message) {
        let reply = msg.reply.clone();
        let (header, body) = match wire::decode_frame::<Header<'_>>(&msg.payload) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(node = %self.me, error = %e, "frame refused");
                return self.reply_failure(reply, Failure::Codec(e.to_string()));
            }
        };
        let Ok(from) = NodeName::new(header.from) else {
            return self.reply_failure(reply, Failure::Codec("bad sender name".to_owned()));
        };
        let verdict = self
            .sequencer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(&from, header.from_incarnation, header.stream, header.seq);
        match verdict {
            Verdict::Deliver => {}
            Verdict::Stale => return,
            Verdict::Broken | Verdict::NewStream => {
                tracing::warn!(node = %self.me, from = %from, "the frames from a node broke off: connection broken");
                // A new stream means the sender saw this node down, and has ended its side
                // already; after a gap it has to be told.
                self.links.node_lost(&from);
                if verdict == Verdict::Broken {
                    self.tell_broken(&from, header.from_incarnation);
                    return self.reply_failure(reply, Failure::NoConnection);
                }
            }
        }
        if header.to_incarnation != self.incarnation {
            return self.reply_failure(reply, Failure::NoProc);
        }
        if header.kind == Kind::Signal {
            return crate::links::on_signal(
                self,
                &from,
                header.from_incarnation,
                header.target,
                body,
            );
        }
        let Some(pid) = actor_core::find_actor(ActorId::from_u64(header.target)) else {
            return self.reply_failure(reply, Failure::NoProc);
        };
        let timeout = Duration::from_millis(header.timeout_ms);
        match self.deliver(&pid, header.kind, header.message, body, timeout) {
            Ok(None) => {}
            Ok(Some(reply_future)) => {
                if let Some(reply) = reply {
                    let client = self.client.clone();
                    tokio::spawn(async move {
                        let frame = match reply_future.await {
                            Ok(body) => {
                                wire::encode_frame(&ReplyHeader::Ok, &body).map_err(Failure::Codec)
                            }
                            Err(f) => Err(f),
                        };
                        let frame = frame.unwrap_or_else(failure_frame);
                        let _ = client.publish(reply, frame.into()).await;
                    });
                }
            }
            Err(f) => self.reply_failure(reply, f),
        }
    }

    fn deliver(
        &self,
        pid: &Pid,
        kind: Kind,
        message: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Option<crate::remote::ReplyFuture>, Failure> {
        let actor = pid.type_name();
        // The deliverer is cloned out: decoding (the user's Deserialize) runs unlocked.
        let deliver = {
            let accepts = self.accepts.read().unwrap_or_else(PoisonError::into_inner);
            accepts
                .get(&(kind, message))
                .and_then(|ds| ds.iter().find(|(a, _)| *a == actor))
                .map(|(_, d)| d.clone())
        };
        let Some(deliver) = deliver else {
            tracing::debug!(node = %self.me, actor, message, ?kind, "message not accepted");
            return Err(Failure::NotAccepted {
                actor: actor.to_owned(),
                message: message.to_owned(),
            });
        };
        deliver(pid, body, timeout)
    }

    fn reply_failure(&self, reply: Option<async_nats::Subject>, failure: Failure) {
        let Some(reply) = reply else { return };
        let client = self.client.clone();
        tokio::spawn(async move {
            let _ = client.publish(reply, failure_frame(failure).into()).await;
        });
    }

    /// Tells `from`, whose frames broke off, to end its proxies of this node's processes.
    fn tell_broken(self: &Arc<Self>, from: &NodeName, incarnation: u64) {
        let node = RemotePid {
            node: from.clone(),
            incarnation,
            id: 0,
        };
        self.send_signal(&node, &Signal::Broken);
    }

    /// Sends `signal` to the node of `to`, about process `to`.
    pub(crate) fn send_signal(self: &Arc<Self>, to: &RemotePid, signal: &Signal) {
        match wire::encode_body(signal) {
            Ok(body) => self.send(to, Kind::Signal, "", body),
            Err(e) => tracing::warn!(to = %to, error = %e, "signal not encoded"),
        }
    }

    /// This node's name for a local process.
    pub(crate) fn remote_pid(&self, pid: &Pid) -> RemotePid {
        RemotePid {
            node: self.me.clone(),
            incarnation: self.incarnation,
            id: pid.id().as_u64(),
        }
    }

    pub(crate) fn links(&self) -> &Links {
        &self.links
    }

    pub(crate) fn cluster(&self) -> &str {
        &self.cluster
    }

    pub(crate) fn me(&self) -> &NodeName {
        &self.me
    }

    pub(crate) fn incarnation(&self) -> u64 {
        self.incarnation
    }
}

fn failure_frame(failure: Failure) -> Vec<u8> {
    // A failure header has no body and is a few bytes: within the limit by construction.
    wire::encode_frame(&ReplyHeader::Failed(failure), &[]).unwrap_or_default()
}

/// Removes a call's waiting entry when its future ends, however it ends.
struct Forget<'a> {
    transport: &'a Transport,
    call: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.transport
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.call);
    }
}

/// The writer of one destination incarnation: numbers the frames and publishes them in the
/// order they were queued. Ends when the node drops it (its destination went down).
async fn write(
    transport: Arc<Transport>,
    node: NodeName,
    incarnation: u64,
    stream: u64,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
) {
    let subject = async_nats::Subject::from(Transport::inbox(&transport.cluster, &node));
    let mut seq = 0u64;
    while let Some(out) = rx.recv().await {
        seq += 1;
        let header = Header {
            from: transport.me.as_str(),
            from_incarnation: transport.incarnation,
            to_incarnation: incarnation,
            stream,
            seq,
            kind: out.kind,
            target: out.target,
            message: out.message,
            timeout_ms: out.timeout_ms,
        };
        let frame = match wire::encode_frame(&header, &out.body) {
            Ok(frame) => Bytes::from(frame),
            Err(e) => {
                // Over the limit with its header: a call fails, a cast is dropped. The
                // number is not reused, so the receiver sees a gap: better than a silent loss.
                if let Some(call) = out.call {
                    transport.answer(call, Err(RemoteCallError::Codec(e)));
                }
                continue;
            }
        };
        let sent = match out.call {
            Some(call) => {
                let reply = format!("{}.{call}", transport.reply_prefix);
                transport
                    .client
                    .publish_with_reply(subject.clone(), reply, frame)
                    .await
            }
            None => transport.client.publish(subject.clone(), frame).await,
        };
        if let Err(e) = sent {
            tracing::debug!(to = %node, error = %e, "frame not sent");
        }
    }
}

/// Runs until the subscription ends (the node stopped): every frame to this node.
pub(crate) async fn receive_frames(transport: Arc<Transport>, mut frames: async_nats::Subscriber) {
    while let Some(msg) = frames.next().await {
        transport.on_frame(&msg);
    }
}

/// Runs until the subscription ends: every reply to this node's calls.
pub(crate) async fn receive_replies(
    transport: Arc<Transport>,
    mut replies: async_nats::Subscriber,
) {
    while let Some(msg) = replies.next().await {
        transport.on_reply(&msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> NodeName {
        NodeName::new(n).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn frames_are_taken_only_in_order() {
        let mut s = Sequencer::default();
        let a = name("a");
        assert_eq!(s.check(&a, 1, 1, 1), Verdict::Deliver);
        assert_eq!(s.check(&a, 1, 1, 2), Verdict::Deliver);
        assert_eq!(s.check(&a, 1, 1, 2), Verdict::Stale, "a repeat");
        assert_eq!(s.check(&a, 1, 1, 4), Verdict::Broken, "3 is missing");
        assert_eq!(
            s.check(&a, 1, 1, 3),
            Verdict::Stale,
            "late: never delivered out of order"
        );
        assert_eq!(
            s.check(&a, 1, 1, 5),
            Verdict::Deliver,
            "in order after the break"
        );
    }

    #[test]
    fn a_new_stream_breaks_the_old_one_and_old_streams_are_stale() {
        let mut s = Sequencer::default();
        let a = name("a");
        assert_eq!(s.check(&a, 1, 1, 1), Verdict::Deliver);
        assert_eq!(s.check(&a, 1, 2, 1), Verdict::NewStream);
        assert_eq!(
            s.check(&a, 1, 1, 2),
            Verdict::Stale,
            "the old writer's last frames"
        );
        assert_eq!(s.check(&a, 1, 2, 2), Verdict::Deliver);
        // Another incarnation of the sender is its own stream.
        assert_eq!(s.check(&a, 2, 1, 1), Verdict::Deliver);
    }

    #[test]
    fn a_first_frame_after_a_loss_is_a_break() {
        let mut s = Sequencer::default();
        let a = name("a");
        assert_eq!(s.check(&a, 1, 1, 3), Verdict::Broken);
        assert_eq!(s.check(&a, 1, 1, 4), Verdict::Deliver);
        s.forget(&a);
        assert_eq!(s.check(&a, 1, 1, 1), Verdict::Deliver);
    }
}
