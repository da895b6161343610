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

use crate::hash::FastMap;
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

/// What a writer is told.
pub(crate) enum Command {
    /// Send this frame, next in the stream.
    Frame(Outbound),
    /// The destination went down: refuse everything from now on, and end.
    Stop,
}

/// A destination's writer. A [`RemoteRef`](crate::RemoteRef) keeps one to skip the lookup;
/// once the writer stopped, sends to it fail and go through [`Transport::writer`] again.
pub(crate) type Writer = mpsc::UnboundedSender<Command>;

/// A frame waiting for its writer.
pub(crate) struct Outbound {
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
    seen: FastMap<NodeName, FastMap<u64, Position>>,
}

impl Sequencer {
    /// The verdict on frame `seq` of stream `stream` from `from`'s incarnation
    /// `incarnation`; `None` for a sender name that is not a node name.
    pub(crate) fn check(
        &mut self,
        from: &str,
        incarnation: u64,
        stream: u64,
        seq: u64,
    ) -> Option<Verdict> {
        let streams = match self.seen.get_mut(from) {
            Some(streams) => streams,
            None => self.seen.entry(NodeName::new(from).ok()?).or_default(),
        };
        let verdict = match streams.get(&incarnation) {
            None if seq == 1 => Verdict::Deliver,
            None => Verdict::Broken,
            Some(p) if stream < p.stream => return Some(Verdict::Stale),
            Some(p) if stream == p.stream && seq <= p.seq => return Some(Verdict::Stale),
            Some(p) if stream == p.stream && seq == p.seq + 1 => Verdict::Deliver,
            Some(p) if stream > p.stream && seq == 1 => Verdict::NewStream,
            Some(_) => Verdict::Broken,
        };
        streams.insert(incarnation, Position { stream, seq });
        Some(verdict)
    }

    fn forget(&mut self, node: &NodeName) {
        self.seen.remove(node);
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
    writers: Mutex<HashMap<(NodeName, u64), Writer>>,
    pending: Mutex<HashMap<u64, Waiting>>,
    sequencer: Mutex<Sequencer>,
    links: Links,
    /// What this node accepts: (kind, message name) to the deliverer per actor type.
    accepts: RwLock<FastMap<(Kind, &'static str), Accepted>>,
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
            accepts: RwLock::new(FastMap::default()),
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

    /// Queues a frame for `to`'s node, in order after everything queued before it, through
    /// `cached` when it is a live writer (and caching the writer used there otherwise).
    pub(crate) fn send(
        self: &Arc<Self>,
        to: &RemotePid,
        cached: Option<&std::sync::OnceLock<Writer>>,
        kind: Kind,
        message: &'static str,
        body: Vec<u8>,
    ) {
        let frame = Outbound {
            kind,
            target: to.id,
            message,
            timeout_ms: 0,
            body,
            call: None,
        };
        self.dispatch(to, cached, frame);
    }

    /// Queues `frame` through `cached` when it is a live writer, else through the writer of
    /// `to`'s incarnation (and caches that one).
    fn dispatch(
        self: &Arc<Self>,
        to: &RemotePid,
        cached: Option<&std::sync::OnceLock<Writer>>,
        frame: Outbound,
    ) {
        let frame = match cached.and_then(|c| c.get()) {
            Some(writer) => match writer.send(Command::Frame(frame)) {
                Ok(()) => return,
                Err(mpsc::error::SendError(Command::Frame(frame))) => frame,
                Err(_) => return,
            },
            None => frame,
        };
        let writer = self.enqueue(to, frame);
        if let (Some(cache), Some(writer)) = (cached, writer) {
            let _ = cache.set(writer);
        }
    }

    /// Sends a call and waits for its reply.
    pub(crate) async fn call(
        self: &Arc<Self>,
        to: &RemotePid,
        cached: Option<&std::sync::OnceLock<Writer>>,
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
        self.dispatch(
            to,
            cached,
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

    /// Queues `frame` on the writer of `to`'s incarnation, started if there is none, and
    /// returns that writer (`None` when the frame could not be queued).
    fn enqueue(self: &Arc<Self>, to: &RemotePid, frame: Outbound) -> Option<Writer> {
        let writer = self.writer(to);
        match writer.send(Command::Frame(frame)) {
            Ok(()) => Some(writer),
            // The writer stopped (its node went down meanwhile): a call fails now.
            Err(mpsc::error::SendError(command)) => {
                if let Command::Frame(Outbound {
                    call: Some(call), ..
                }) = command
                {
                    self.answer(call, Err(RemoteCallError::NodeDown(to.node.clone())));
                }
                None
            }
        }
    }

    /// The writer of `to`'s incarnation, started if there is none.
    fn writer(self: &Arc<Self>, to: &RemotePid) -> Writer {
        let key = (to.node.clone(), to.incarnation);
        let mut writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        writers
            .entry(key)
            .or_insert_with(|| {
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
            })
            .clone()
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
        let stopped: Vec<Writer> = {
            let mut writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
            let keys: Vec<(NodeName, u64)> =
                writers.keys().filter(|(n, _)| n == node).cloned().collect();
            keys.iter().filter_map(|k| writers.remove(k)).collect()
        };
        for writer in stopped {
            let _ = writer.send(Command::Stop);
        }
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
    /// A NATS message on this node's subject: one frame, or a batch of one-way frames.
    pub(crate) fn on_message(self: &Arc<Self>, msg: &async_nats::Message) {
        for frame in wire::frames(&msg.payload) {
            match frame {
                Ok(frame) => self.on_frame(frame, msg.reply.as_ref()),
                Err(e) => tracing::warn!(node = %self.me, error = %e, "batch refused"),
            }
        }
    }

    fn on_frame(self: &Arc<Self>, frame: &[u8], reply: Option<&async_nats::Subject>) {
        let reply = reply.cloned();
        let (header, body) = match Header::decode(frame) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(node = %self.me, error = %e, "frame refused");
                return self.reply_failure(reply, Failure::Codec(e.to_string()));
            }
        };
        let verdict = self
            .sequencer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(
                header.from,
                header.from_incarnation,
                header.stream,
                header.seq,
            );
        // The sequencer checked the name: built here only for the rare paths.
        let sender = || NodeName::new(header.from).ok();
        let Some(verdict) = verdict else {
            return self.reply_failure(reply, Failure::Codec("bad sender name".to_owned()));
        };
        match verdict {
            Verdict::Deliver => {}
            Verdict::Stale => return,
            Verdict::Broken | Verdict::NewStream => {
                let Some(from) = sender() else { return };
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
            let Some(from) = sender() else { return };
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
            Ok(body) => self.send(to, None, Kind::Signal, "", body),
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
    mut rx: mpsc::UnboundedReceiver<Command>,
) {
    let subject = async_nats::Subject::from(Transport::inbox(&transport.cluster, &node));
    let mut seq = 0u64;
    // A command taken while batching that does not belong in the batch: handled next.
    let mut pending: Option<Command> = None;
    loop {
        let command = match pending.take() {
            Some(command) => command,
            None => match rx.recv().await {
                Some(command) => command,
                None => return,
            },
        };
        let out = match command {
            Command::Frame(out) => out,
            Command::Stop => {
                // Refuse what comes (senders holding this writer go through the node again),
                // and fail the calls still queued: their node is down.
                rx.close();
                while let Ok(command) = rx.try_recv() {
                    if let Command::Frame(Outbound {
                        call: Some(call), ..
                    }) = command
                    {
                        transport.answer(call, Err(RemoteCallError::NodeDown(node.clone())));
                    }
                }
                return;
            }
        };
        match out.call {
            Some(call) => {
                // A call goes alone, with its own reply subject (where the server answers "no
                // responders" at once when the node is gone).
                let mut frame = Vec::new();
                if let Err(e) =
                    frame_into(&transport, &mut frame, &out, incarnation, stream, seq + 1)
                {
                    transport.answer(call, Err(RemoteCallError::Codec(e)));
                    continue;
                }
                seq += 1;
                let reply = format!("{}.{call}", transport.reply_prefix);
                let sent = transport
                    .client
                    .publish_with_reply(subject.clone(), reply, Bytes::from(frame))
                    .await;
                if let Err(e) = sent {
                    tracing::debug!(to = %node, error = %e, "call not sent");
                }
            }
            None => {
                // One-way frames queued together go as one NATS message: a batch.
                let mut batch = vec![wire::BATCH];
                let mut frames = 0usize;
                let mut next = Some(out);
                while let Some(out) = next.take() {
                    let at = batch.len();
                    batch.extend_from_slice(&[0; 4]);
                    match frame_into(&transport, &mut batch, &out, incarnation, stream, seq + 1) {
                        Ok(()) => {
                            seq += 1;
                            frames += 1;
                            let len = u32::try_from(batch.len() - at - 4).unwrap_or(u32::MAX);
                            batch[at..at + 4].copy_from_slice(&len.to_le_bytes());
                        }
                        Err(e) => {
                            // Over the limit: dropped with a warning; its number goes to the
                            // next frame, so there is no gap.
                            batch.truncate(at);
                            tracing::warn!(to = %node, error = %e, "cast not sent");
                        }
                    }
                    if batch.len() >= wire::MAX_BATCH {
                        break;
                    }
                    match rx.try_recv() {
                        Ok(Command::Frame(more)) if more.call.is_none() => next = Some(more),
                        Ok(other) => pending = Some(other),
                        Err(_) => {}
                    }
                }
                let payload = match frames {
                    0 => continue,
                    // A lone frame goes as it is.
                    1 => Bytes::from(batch).slice(5..),
                    _ => Bytes::from(batch),
                };
                if let Err(e) = transport.client.publish(subject.clone(), payload).await {
                    tracing::debug!(to = %node, error = %e, "frames not sent");
                }
            }
        }
    }
}

/// Appends the frame of `out`, numbered `seq` of `stream`, to `buf`.
fn frame_into(
    transport: &Transport,
    buf: &mut Vec<u8>,
    out: &Outbound,
    to_incarnation: u64,
    stream: u64,
    seq: u64,
) -> Result<(), String> {
    let header = Header {
        from: transport.me.as_str(),
        from_incarnation: transport.incarnation,
        to_incarnation,
        stream,
        seq,
        kind: out.kind,
        target: out.target,
        message: out.message,
        timeout_ms: out.timeout_ms,
    };
    header.encode_into(buf, &out.body)
}

/// Runs until the subscription ends (the node stopped): every frame to this node.
pub(crate) async fn receive_frames(transport: Arc<Transport>, mut frames: async_nats::Subscriber) {
    while let Some(msg) = frames.next().await {
        transport.on_message(&msg);
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
        assert_eq!(s.check("not a name", 1, 1, 1), None);
        let a = name("a");
        assert_eq!(s.check(a.as_str(), 1, 1, 1), Some(Verdict::Deliver));
        assert_eq!(s.check(a.as_str(), 1, 1, 2), Some(Verdict::Deliver));
        assert_eq!(
            s.check(a.as_str(), 1, 1, 2),
            Some(Verdict::Stale),
            "a repeat"
        );
        assert_eq!(
            s.check(a.as_str(), 1, 1, 4),
            Some(Verdict::Broken),
            "3 is missing"
        );
        assert_eq!(
            s.check(a.as_str(), 1, 1, 3),
            Some(Verdict::Stale),
            "late: never delivered out of order"
        );
        assert_eq!(
            s.check(a.as_str(), 1, 1, 5),
            Some(Verdict::Deliver),
            "in order after the break"
        );
    }

    #[test]
    fn a_new_stream_breaks_the_old_one_and_old_streams_are_stale() {
        let mut s = Sequencer::default();
        let a = name("a");
        assert_eq!(s.check(a.as_str(), 1, 1, 1), Some(Verdict::Deliver));
        assert_eq!(s.check(a.as_str(), 1, 2, 1), Some(Verdict::NewStream));
        assert_eq!(
            s.check(a.as_str(), 1, 1, 2),
            Some(Verdict::Stale),
            "the old writer's last frames"
        );
        assert_eq!(s.check(a.as_str(), 1, 2, 2), Some(Verdict::Deliver));
        // Another incarnation of the sender is its own stream.
        assert_eq!(s.check(a.as_str(), 2, 1, 1), Some(Verdict::Deliver));
    }

    #[test]
    fn a_first_frame_after_a_loss_is_a_break() {
        let mut s = Sequencer::default();
        let a = name("a");
        assert_eq!(s.check(a.as_str(), 1, 1, 3), Some(Verdict::Broken));
        assert_eq!(s.check(a.as_str(), 1, 1, 4), Some(Verdict::Deliver));
        s.forget(&a);
        assert_eq!(s.check(a.as_str(), 1, 1, 1), Some(Verdict::Deliver));
    }
}
