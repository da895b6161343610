//! A running node: its NATS connection, and the membership it keeps by heartbeat.
//!
//! Every node publishes `{cluster}.node.hb.{name}` each heartbeat with its incarnation (a
//! number drawn at start, so a node restarted under the same name is told apart), answers
//! `{cluster}.node.ping.{name}` (so a second node cannot start under a name in use), and
//! publishes `{cluster}.node.bye.{name}` when it stops. Each node keeps the others' last
//! heartbeat: a node silent for `down_after` is down, as is one that said goodbye or came
//! back with another incarnation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actor_core::{Actor, ActorRef, Info};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::error::ClusterError;
use crate::options::{Auth, NodeName, NodeOptions};
use crate::transport::{self, Transport};

/// Heartbeat, goodbye and ping payloads larger than this are ignored: they carry one
/// number.
const MAX_CONTROL_PAYLOAD: usize = 32;

/// How many node events a slow subscriber may miss before it is told it lagged.
const EVENT_BUFFER: usize = 256;

/// Why a node is seen down.
///
/// # Examples
///
/// See [`NodeEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DownReason {
    /// It said goodbye: [`Node::stop`].
    Stopped,
    /// No heartbeat from it for `down_after`: it died, or it cannot reach NATS, or this
    /// node cannot (Erlang's `nodedown` with `connection_closed` or `net_tick_timeout`).
    Timeout,
    /// A node with its name came back with another incarnation: the old one is gone.
    Restarted,
}

/// A node came up or went down: Erlang's `{nodeup, Node}` and `{nodedown, Node}`.
///
/// # Examples
///
/// ```
/// use actor_cluster::{DownReason, NodeEvent, NodeName};
/// let e = NodeEvent::Down { node: NodeName::new("b").unwrap(), reason: DownReason::Timeout };
/// assert_eq!(e.node().as_str(), "b");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeEvent {
    /// A node was seen for the first time (or again after it was down).
    Up(NodeName),
    /// A node is down.
    Down {
        /// The node.
        node: NodeName,
        /// Why it is seen down.
        reason: DownReason,
    },
}

impl NodeEvent {
    /// The node the event is about.
    pub fn node(&self) -> &NodeName {
        match self {
            NodeEvent::Up(node) | NodeEvent::Down { node, .. } => node,
        }
    }
}

/// Another node, as last heard.
#[derive(Debug)]
struct Member {
    incarnation: u64,
    last_seen: Instant,
}

/// The subjects of one node in one cluster.
#[derive(Debug, Clone)]
struct Subjects {
    heartbeat: String,
    heartbeats: String,
    bye: String,
    byes: String,
    ping: String,
}

impl Subjects {
    fn new(cluster: &str, name: &NodeName) -> Self {
        Self {
            heartbeat: format!("{cluster}.node.hb.{name}"),
            heartbeats: format!("{cluster}.node.hb.*"),
            bye: format!("{cluster}.node.bye.{name}"),
            byes: format!("{cluster}.node.bye.*"),
            ping: format!("{cluster}.node.ping.{name}"),
        }
    }
}

/// What the membership task and the handles share.
#[derive(Debug)]
struct Shared {
    name: NodeName,
    incarnation: u64,
    client: async_nats::Client,
    /// The other live nodes. Locked only to read or update the map; no user code under it.
    members: Mutex<HashMap<NodeName, Member>>,
    events: broadcast::Sender<NodeEvent>,
    transport: Arc<Transport>,
    heartbeat: Duration,
    /// Run by [`Node::stop`] before the connection closes (global names release theirs).
    stop_hooks: StopHooks,
    /// This node's ping subject, which nobody serves once the node has stopped serving: a
    /// request there is [`Node::stop`]'s round trip through the server.
    ping: String,
}

/// The stop hooks, shown by their number.
#[derive(Default)]
struct StopHooks(Mutex<Vec<StopHook>>);

impl std::fmt::Debug for StopHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().unwrap_or_else(PoisonError::into_inner).len();
        write!(f, "StopHooks({n})")
    }
}

/// Work a part of the node does when the node stops, while the connection is still open.
pub(crate) type StopHook =
    Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

/// How long [`Node::stop`] gives its stop hooks.
const STOP_HOOKS_WITHIN: Duration = Duration::from_secs(2);

/// A running node of a cluster: `net_kernel` for one Erlang node. Clones are the same node.
///
/// Start one with [`Node::start`]; it stays up until [`Node::stop`] or until its last
/// handle is dropped (which stops it the same way, in the background).
///
/// # Examples
///
/// ```no_run
/// use actor_cluster::{Node, NodeEvent, NodeName, NodeOptions};
///
/// # #[tokio::main] async fn main() -> Result<(), actor_cluster::ClusterError> {
/// let node = Node::start(NodeOptions::new(NodeName::new("web-1")?, "nats://127.0.0.1:4222")).await?;
/// let mut events = node.subscribe();
/// while let Ok(event) = events.recv().await {
///     match event {
///         NodeEvent::Up(other) => println!("{other} is up"),
///         NodeEvent::Down { node, reason } => println!("{node} is down: {reason:?}"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Node {
    shared: Arc<Shared>,
    /// Dropping the last sender (the last handle) stops the membership task.
    stop: Arc<watch::Sender<bool>>,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    /// The tasks reading frames and replies; they end with the connection.
    receivers: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Node {
    /// Connects to NATS, checks that no live node of the cluster has this name, and starts
    /// the membership: heartbeats out, the others' heartbeats in.
    ///
    /// # Errors
    ///
    /// [`ClusterError::InvalidOptions`] for options that cannot work,
    /// [`ClusterError::Connect`] when NATS cannot be reached or refuses the credentials,
    /// [`ClusterError::NameTaken`] when a live node answers to the name, and
    /// [`ClusterError::Nats`] when a subscription is refused.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns leaves nothing running: the membership task
    /// is spawned as the last step, and the connection closes with the dropped client.
    pub async fn start(options: NodeOptions) -> Result<Node, ClusterError> {
        options.validate()?;
        let client = connect(&options).await?;
        let subjects = Subjects::new(&options.cluster, &options.name);
        let nats = |e: &dyn std::fmt::Display| ClusterError::Nats(e.to_string());

        // A live node with this name answers its ping; nobody answering is the only "free".
        match tokio::time::timeout(
            options.down_after,
            client.request(subjects.ping.clone(), Bytes::new()),
        )
        .await
        {
            Ok(Ok(_)) => return Err(ClusterError::NameTaken(options.name.clone())),
            Ok(Err(e)) if e.kind() == async_nats::RequestErrorKind::NoResponders => {}
            // Timed out: a responder that never answers is not a live node.
            Err(_) => {}
            Ok(Err(e)) if e.kind() == async_nats::RequestErrorKind::TimedOut => {}
            Ok(Err(e)) => return Err(nats(&e)),
        }
        let heartbeats = client
            .subscribe(subjects.heartbeats.clone())
            .await
            .map_err(|e| nats(&e))?;
        let byes = client
            .subscribe(subjects.byes.clone())
            .await
            .map_err(|e| nats(&e))?;
        let pings = client
            .subscribe(subjects.ping.clone())
            .await
            .map_err(|e| nats(&e))?;
        let incarnation = incarnation();
        let transport = Arc::new(Transport::new(
            options.name.clone(),
            incarnation,
            client.clone(),
            &options.cluster,
        ));
        let (frames_subject, replies_subject) = transport.subjects();
        let frames = client
            .subscribe(frames_subject)
            .await
            .map_err(|e| nats(&e))?;
        let replies = client
            .subscribe(replies_subject)
            .await
            .map_err(|e| nats(&e))?;
        // The subscriptions are registered with the server before the first heartbeat
        // announces this node: a peer that sees it up can send to it.
        client.flush().await.map_err(|e| nats(&e))?;

        let shared = Arc::new(Shared {
            name: options.name.clone(),
            incarnation,
            client,
            members: Mutex::new(HashMap::new()),
            events: broadcast::channel(EVENT_BUFFER).0,
            transport: transport.clone(),
            heartbeat: options.heartbeat,
            stop_hooks: StopHooks::default(),
            ping: subjects.ping.clone(),
        });
        let receivers = vec![
            tokio::spawn(transport::receive_frames(transport.clone(), frames)),
            tokio::spawn(transport::receive_replies(transport, replies)),
        ];
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(membership(
            shared.clone(),
            subjects,
            Streams {
                heartbeats,
                byes,
                pings,
            },
            Timing {
                heartbeat: options.heartbeat,
                down_after: options.down_after,
            },
            stopped,
        ));
        tracing::info!(node = %options.name, "node started");
        Ok(Node {
            shared,
            stop: Arc::new(stop),
            task: Arc::new(Mutex::new(Some(task))),
            receivers: Arc::new(Mutex::new(receivers)),
        })
    }

    /// This node's name: Erlang's `node()`.
    pub fn name(&self) -> &NodeName {
        &self.shared.name
    }

    /// The other nodes seen alive, sorted: Erlang's `nodes()`.
    pub fn nodes(&self) -> Vec<NodeName> {
        let mut nodes: Vec<NodeName> = self
            .shared
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        nodes.sort();
        nodes
    }

    /// How often this node sends its heartbeat.
    pub(crate) fn heartbeat(&self) -> Duration {
        self.shared.heartbeat
    }

    /// The incarnation of `node` as last heard, if it is up.
    pub(crate) fn incarnation_of(&self, node: &NodeName) -> Option<u64> {
        self.shared
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(node)
            .map(|m| m.incarnation)
    }

    /// Every node event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.shared.events.subscribe()
    }

    /// Sends every node event from now on to `actor` as an info message, until the actor
    /// exits or [`NodeMonitor::cancel`]: Erlang's `net_kernel:monitor_nodes(true)`. The
    /// subscription belongs to the actor, as in Erlang: dropping the returned handle does not
    /// end it.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the forwarding task is spawned on the current one).
    pub fn monitor_nodes<A>(&self, actor: &ActorRef<A>) -> NodeMonitor
    where
        A: Actor + Info<NodeEvent>,
    {
        let mut events = self.subscribe();
        let actor = actor.clone();
        let task = tokio::spawn(async move {
            let pid = actor.pid();
            let exited = pid.exited();
            tokio::pin!(exited);
            loop {
                tokio::select! {
                    _ = &mut exited => return,
                    event = events.recv() => match event {
                        Ok(event) => actor.send_info(event),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(actor = %pid, missed, "node events lost for a slow monitor");
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
        NodeMonitor { task }
    }

    /// The NATS client the node runs on (for what this crate does not wrap yet).
    pub fn client(&self) -> &async_nats::Client {
        &self.shared.client
    }

    /// Says goodbye (the others see [`DownReason::Stopped`] at once), stops the membership,
    /// releases the global names this node's processes hold (they keep running, without
    /// them; at most 2 s is given to this, after which the leases release what is left),
    /// stops serving, and closes the connection once what was sent is flushed. When it
    /// returns, the server routes nothing more to this node: a call to it from another node
    /// is refused at once (`NodeDown`).
    ///
    /// # Cancel safety
    ///
    /// The stop is requested before the first await: dropping the future only stops the
    /// wait.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        let hooks = std::mem::take(
            &mut *self
                .shared
                .stop_hooks
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let hooks = futures_util::future::join_all(hooks.into_iter().map(|hook| hook()));
        // A hook that cannot finish (NATS unreachable) leaves what it would release to the
        // leases.
        let _ = tokio::time::timeout(STOP_HOOKS_WITHIN, hooks).await;
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            // A membership task that panicked has stopped too.
            let _ = task.await;
        }
        // Stop serving before the connection goes, and make sure the server knows: the
        // receivers' subscriptions (frames, replies) are unsubscribed as their tasks end, the
        // membership's (pings among them) went with its task, and a request to this node's
        // own ping subject comes back (nobody serves it now) only once the server has handled
        // every unsubscribe sent before it on this connection. So a call to this node made
        // after `stop` returns is refused at once (`NodeDown`), instead of going to a
        // subscription the server still has and timing out. `drain` alone only queues its
        // unsubscribes: it returns before they reach the server.
        let receivers = std::mem::take(
            &mut *self
                .receivers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for receiver in &receivers {
            receiver.abort();
        }
        for receiver in receivers {
            // Aborted (or ended with the connection): its subscription is dropped either way.
            let _ = receiver.await;
        }
        // Whatever it returns (no responders, or an error once NATS is unreachable), it has
        // made the round trip or given up; bounded like the hooks.
        let _ = tokio::time::timeout(
            STOP_HOOKS_WITHIN,
            self.shared
                .client
                .request(self.shared.ping.clone(), Bytes::new()),
        )
        .await;
        // Draining flushes the goodbye and closes; an error means it is closed already.
        let _ = self.shared.client.drain().await;
    }

    /// Runs `hook` when the node stops, before its connection closes.
    pub(crate) fn on_stop(&self, hook: StopHook) {
        self.shared
            .stop_hooks
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hook);
    }

    pub(crate) fn transport(&self) -> &Arc<Transport> {
        &self.shared.transport
    }
}

/// Node events forwarded to an actor (see [`Node::monitor_nodes`]).
///
/// # Examples
///
/// See [`Node::monitor_nodes`].
#[derive(Debug)]
pub struct NodeMonitor {
    task: tokio::task::JoinHandle<()>,
}

impl NodeMonitor {
    /// Stops forwarding: `net_kernel:monitor_nodes(false)`.
    pub fn cancel(self) {
        self.task.abort();
    }
}

/// The subscriptions the membership reads.
struct Streams {
    heartbeats: async_nats::Subscriber,
    byes: async_nats::Subscriber,
    pings: async_nats::Subscriber,
}

#[derive(Clone, Copy)]
struct Timing {
    heartbeat: Duration,
    down_after: Duration,
}

/// A number told apart from any earlier start of a node with the same name.
fn incarnation() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

async fn connect(options: &NodeOptions) -> Result<async_nats::Client, ClusterError> {
    let mut connect = async_nats::ConnectOptions::new()
        .name(options.name.as_str())
        .connection_timeout(options.connect_timeout)
        .require_tls(options.tls.require)
        .subscription_capacity(options.inbound_capacity);
    if !options.discovered_servers {
        connect = connect.ignore_discovered_servers();
    }
    connect = match &options.auth {
        Auth::None => connect,
        Auth::Token(token) => connect.token(token.clone()),
        Auth::UserPassword { user, password } => {
            connect.user_and_password(user.clone(), password.clone())
        }
        Auth::NKey(seed) => connect.nkey(seed.clone()),
    };
    if let Some(roots) = &options.tls.root_certificates {
        connect = connect.add_root_certificates(roots.clone());
    }
    if let Some((cert, key)) = &options.tls.client_certificate {
        connect = connect.add_client_certificate(cert.clone(), key.clone());
    }
    connect
        .connect(options.servers.as_slice())
        .await
        .map_err(ClusterError::Connect)
}

/// The node name in the last token of `subject`, and the incarnation in `payload`;
/// `None` for anything malformed (ignored).
fn parse(subject: &str, payload: &[u8]) -> Option<(NodeName, u64)> {
    if payload.len() > MAX_CONTROL_PAYLOAD {
        return None;
    }
    let name = NodeName::new(subject.rsplit('.').next()?).ok()?;
    let incarnation = std::str::from_utf8(payload).ok()?.parse().ok()?;
    Some((name, incarnation))
}

/// Runs until told to stop (or until every handle is dropped): heartbeats out, the
/// others' heartbeats, goodbyes and pings in, and the silent declared down.
async fn membership(
    shared: Arc<Shared>,
    subjects: Subjects,
    mut streams: Streams,
    timing: Timing,
    mut stopped: watch::Receiver<bool>,
) {
    let me = Bytes::from(shared.incarnation.to_string());
    let mut tick = tokio::time::interval(timing.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Told to stop, or every handle is gone.
            () = until_stopped(&mut stopped) => break,
            _ = tick.tick() => {
                if let Err(e) = shared.client.publish(subjects.heartbeat.clone(), me.clone()).await {
                    tracing::warn!(node = %shared.name, error = %e, "heartbeat not sent");
                }
                expire(&shared, timing.down_after);
            }
            Some(msg) = streams.heartbeats.next() => {
                if let Some((name, incarnation)) = parse(msg.subject.as_str(), &msg.payload) {
                    if name != shared.name {
                        heard(&shared, name, incarnation);
                    }
                }
            }
            Some(msg) = streams.byes.next() => {
                if let Some((name, incarnation)) = parse(msg.subject.as_str(), &msg.payload) {
                    left(&shared, &name, incarnation);
                }
            }
            Some(msg) = streams.pings.next() => {
                if let Some(reply) = msg.reply {
                    // A ping that cannot be answered makes the asker time out: it still
                    // does not start under this name only if it waits long enough, which
                    // its `down_after` wait does.
                    let _ = shared.client.publish(reply, me.clone()).await;
                }
            }
        }
    }
    // Goodbye: the others see this node down at once.
    if let Err(e) = shared.client.publish(subjects.bye.clone(), me).await {
        tracing::debug!(node = %shared.name, error = %e, "goodbye not sent");
    }
    let _ = shared.client.flush().await;
    tracing::info!(node = %shared.name, "node stopped");
}

/// Returns once told to stop, or once every handle is gone.
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped at once: it must not live across an await.
    let _ = stopped.wait_for(|s| *s).await;
}

/// A heartbeat from `name`.
fn heard(shared: &Shared, name: NodeName, incarnation: u64) {
    let now = Instant::now();
    let mut events = Vec::new();
    {
        let mut members = shared
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match members.get_mut(&name) {
            Some(m) if m.incarnation == incarnation => m.last_seen = now,
            Some(m) => {
                m.incarnation = incarnation;
                m.last_seen = now;
                events.push(NodeEvent::Down {
                    node: name.clone(),
                    reason: DownReason::Restarted,
                });
                events.push(NodeEvent::Up(name));
            }
            None => {
                members.insert(
                    name.clone(),
                    Member {
                        incarnation,
                        last_seen: now,
                    },
                );
                events.push(NodeEvent::Up(name));
            }
        }
    }
    publish(shared, events);
}

/// A goodbye from `name`.
fn left(shared: &Shared, name: &NodeName, incarnation: u64) {
    let removed = {
        let mut members = shared
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match members.get(name) {
            Some(m) if m.incarnation == incarnation => members.remove(name).is_some(),
            _ => false,
        }
    };
    if removed {
        publish(
            shared,
            vec![NodeEvent::Down {
                node: name.clone(),
                reason: DownReason::Stopped,
            }],
        );
    }
}

/// Declares down every node silent for `down_after`.
fn expire(shared: &Shared, down_after: Duration) {
    let now = Instant::now();
    let gone: Vec<NodeName> = {
        let mut members = shared
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let gone: Vec<NodeName> = members
            .iter()
            .filter(|(_, m)| now.duration_since(m.last_seen) >= down_after)
            .map(|(n, _)| n.clone())
            .collect();
        for n in &gone {
            members.remove(n);
        }
        gone
    };
    publish(
        shared,
        gone.into_iter()
            .map(|node| NodeEvent::Down {
                node,
                reason: DownReason::Timeout,
            })
            .collect(),
    );
}

/// Tells the subscribers, outside the members' lock.
fn publish(shared: &Shared, events: Vec<NodeEvent>) {
    for event in events {
        tracing::info!(node = %shared.name, ?event, "membership");
        if let NodeEvent::Down { node, .. } = &event {
            shared.transport.node_down(node);
        }
        // Nobody subscribed is not an error.
        let _ = shared.events.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_payloads_are_parsed_strictly() {
        assert_eq!(
            parse("otp.node.hb.a", b"42"),
            Some((NodeName::new("a").unwrap_or_else(|e| panic!("{e}")), 42))
        );
        assert_eq!(parse("otp.node.hb.a", b"x"), None);
        assert_eq!(parse("otp.node.hb.a", &[b'1'; 40]), None);
        assert_eq!(parse("otp.node.hb.a b", b"1"), None);
    }

    proptest::proptest! {
        /// Whatever arrives from the wire, the control decoder answers without panicking,
        /// and accepts only a valid name and a number that fit the size limit.
        #[test]
        fn arbitrary_wire_input_never_panics(
            subject in proptest::collection::vec(proptest::prelude::any::<char>(), 0..200),
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
        ) {
            let subject: String = subject.into_iter().collect();
            if let Some((name, n)) = parse(&subject, &payload) {
                proptest::prop_assert!(payload.len() <= MAX_CONTROL_PAYLOAD);
                proptest::prop_assert!(subject.ends_with(name.as_str()));
                proptest::prop_assert_eq!(std::str::from_utf8(&payload).ok().and_then(|p| p.parse::<u64>().ok()), Some(n));
            }
        }
    }
}
