//! Remote actors: pids across nodes, typed references to them, and the messages they take.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actor_core::{Actor, ActorId, ActorRef, Call, CallError, Cast, ExitReason, Info, Pid};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::node::Node;
use crate::options::NodeName;
use crate::transport::Writer;
use crate::wire::{self, Failure, Kind};

/// A message that can cross nodes: a serde type with a stable name.
///
/// The name, not the Rust type path, identifies the message on the wire, so a type can be
/// renamed or moved between modules without breaking a running cluster. Keep names unique
/// in a cluster (a prefix per application helps: `"rooms.join"`).
///
/// # Examples
///
/// ```
/// use actor_cluster::RemoteMessage;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Deposit { cents: u64 }
///
/// impl RemoteMessage for Deposit {
///     const NAME: &'static str = "bank.deposit";
/// }
/// # let d = Deposit { cents: 5 };
/// # assert_eq!(d.cents, 5);
/// ```
pub trait RemoteMessage: Serialize + DeserializeOwned + Send + 'static {
    /// The message's name on the wire.
    const NAME: &'static str;
}

/// A process anywhere in the cluster: Erlang's pid, with its node.
///
/// The node's incarnation is part of it, so a pid of a node that restarted under the same
/// name is a dead pid, never a new process.
///
/// # Examples
///
/// ```no_run
/// use actor_cluster::{Node, NodeName, NodeOptions};
/// use actor_core::{Actor, Context, InitError};
///
/// struct Idle;
/// impl Actor for Idle {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Idle) }
/// }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::start(NodeOptions::new(NodeName::new("a")?, "nats://127.0.0.1:4222")).await?;
/// let idle = Idle::start(()).await?;
/// let remote = node.remote_pid(&idle.pid());
/// assert_eq!(remote.node(), node.name());
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RemotePid {
    pub(crate) node: NodeName,
    pub(crate) incarnation: u64,
    pub(crate) id: u64,
}

impl RemotePid {
    /// The node the process runs on.
    pub fn node(&self) -> &NodeName {
        &self.node
    }

    /// The process's actor id on its node.
    pub fn id(&self) -> ActorId {
        ActorId::from_u64(self.id)
    }
}

impl fmt::Debug for RemotePid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}.{}>", self.node, self.id)
    }
}

impl fmt::Display for RemotePid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The exit reason `noconnection`: the node of a linked or monitored process was lost, or
/// the connection to it broke (a gap in the message sequence).
///
/// Read it back from an [`ExitReason`] with `downcast_ref::<NoConnection>()`.
///
/// # Examples
///
/// ```
/// use actor_cluster::{NoConnection, NodeName};
/// use actor_core::ExitReason;
/// let reason = ExitReason::error(NoConnection { node: NodeName::new("b").unwrap() });
/// assert_eq!(reason.downcast_ref::<NoConnection>().unwrap().node.as_str(), "b");
/// assert_eq!(reason.to_string(), "error: noconnection (node b)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("noconnection (node {node})")]
pub struct NoConnection {
    /// The node that was lost.
    pub node: NodeName,
}

/// Why a remote call failed: OTP's exits of `gen_server:call/3`, as values.
///
/// # Examples
///
/// ```
/// use actor_cluster::RemoteCallError;
/// let e = RemoteCallError::Timeout;
/// assert_eq!(e.to_string(), "remote call timed out");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteCallError {
    /// No live process with that pid (`noproc`), including a pid of an earlier incarnation
    /// of its node.
    #[error("no such process")]
    NoProc,
    /// The node is not reachable (`{nodedown, Node}`): nobody answers on its subject, it
    /// went down while the call waited, or the connection to it broke.
    #[error("node {0} is down")]
    NodeDown(NodeName),
    /// No reply within the timeout; a late reply is dropped, never delivered.
    #[error("remote call timed out")]
    Timeout,
    /// The process exited before replying, with this reason.
    #[error("process exited before replying: {0}")]
    Exit(ExitReason),
    /// The node does not accept this message for that process's type: it registered no
    /// such handler ([`Node::accept_call`]), or the process is of another type.
    #[error("node does not accept message {message} for actor {actor}")]
    NotAccepted {
        /// The type of the target process, as its node knows it.
        actor: String,
        /// The message's wire name.
        message: String,
    },
    /// The message or the reply could not be encoded or decoded, or is over the 1 MiB
    /// frame limit.
    #[error("codec: {0}")]
    Codec(String),
}

impl RemoteCallError {
    pub(crate) fn from_failure(failure: Failure, node: &NodeName) -> Self {
        match failure {
            Failure::NoProc => Self::NoProc,
            Failure::Exit(reason) => Self::Exit(reason.into_reason()),
            Failure::NotAccepted { actor, message } => Self::NotAccepted { actor, message },
            Failure::Codec(e) => Self::Codec(e),
            Failure::NoConnection => Self::NodeDown(node.clone()),
            Failure::Timeout => Self::Timeout,
        }
    }

    fn from_local<M>(e: CallError<M>) -> Self {
        match e {
            CallError::Timeout { .. } => Self::Timeout,
            CallError::Exit(reason) => Self::Exit(reason),
            _ => Self::NoProc,
        }
    }
}

/// Why a cast or info message was not sent: only a message that cannot be encoded (or is
/// over the 1 MiB frame limit). A message to a dead process or node is dropped silently, as
/// Erlang's `send` does.
///
/// # Examples
///
/// ```
/// use actor_cluster::SendError;
/// assert_eq!(SendError::Codec("too big".into()).to_string(), "codec: too big");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The message could not be encoded.
    #[error("codec: {0}")]
    Codec(String),
}

/// A typed reference to an actor of type `A` on any node: the remote counterpart of
/// [`ActorRef`]. The same methods, checked at compile time the same way, with messages that
/// are [`RemoteMessage`]s.
///
/// The type is the sender's claim: the receiving node checks it and answers
/// [`RemoteCallError::NotAccepted`] when the process is of another type or the node did not
/// accept the message.
///
/// # Examples
///
/// ```no_run
/// use actor_cluster::{Node, NodeName, NodeOptions, RemoteMessage};
/// use actor_core::{Actor, Call, CallReply, Context, InitError};
/// use serde::{Deserialize, Serialize};
///
/// struct Counter(u64);
/// #[derive(Serialize, Deserialize)]
/// struct Get;
/// impl RemoteMessage for Get { const NAME: &'static str = "counter.get"; }
///
/// impl Actor for Counter {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Counter(7)) }
/// }
/// impl Call<Get> for Counter {
///     type Reply = u64;
///     async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<u64> {
///         CallReply::Reply(self.0)
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let url = "nats://127.0.0.1:4222";
/// let a = Node::start(NodeOptions::new(NodeName::new("a")?, url)).await?;
/// let b = Node::start(NodeOptions::new(NodeName::new("b")?, url)).await?;
///
/// b.accept_call::<Counter, Get>();        // on node b
/// let counter = Counter::start(()).await?; // runs on node b
/// let pid = b.remote_pid(&counter.pid()); // travels to node a in some message
///
/// let remote = a.remote_ref::<Counter>(pid); // on node a
/// assert_eq!(remote.call(Get).await?, 7);
/// # Ok(()) }
/// ```
pub struct RemoteRef<A> {
    node: Node,
    pid: RemotePid,
    /// The writer to the process's node, once used: sends skip the node's lookup.
    writer: OnceLock<Writer>,
    actor: PhantomData<fn() -> A>,
}

impl<A> Clone for RemoteRef<A> {
    fn clone(&self) -> Self {
        Self {
            node: self.node.clone(),
            pid: self.pid.clone(),
            writer: self.writer.clone(),
            actor: PhantomData,
        }
    }
}

impl<A> fmt::Debug for RemoteRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RemoteRef").field(&self.pid).finish()
    }
}

impl<A: Actor> RemoteRef<A> {
    pub(crate) fn new(node: Node, pid: RemotePid) -> Self {
        Self {
            node,
            pid,
            writer: OnceLock::new(),
            actor: PhantomData,
        }
    }

    /// The process this refers to.
    pub fn pid(&self) -> &RemotePid {
        &self.pid
    }

    /// The local actor, when the process runs on this node (and is alive and an `A`).
    pub fn local(&self) -> Option<ActorRef<A>> {
        if !self.node.is_local(&self.pid) {
            return None;
        }
        actor_core::find_actor(self.pid.id())?.downcast::<A>().ok()
    }

    /// Calls the process with the default timeout of 5 s: `gen_server:call/2` to a remote
    /// pid.
    ///
    /// # Errors
    ///
    /// [`RemoteCallError`]: `NoProc`, `NodeDown` (at once when no node answers on the
    /// subject), `Timeout`, `Exit`, `NotAccepted` or `Codec`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives up on the reply (it is dropped when it comes); a request
    /// already sent is still handled.
    pub async fn call<M>(&self, msg: M) -> Result<A::Reply, RemoteCallError>
    where
        A: Call<M>,
        M: RemoteMessage,
        A::Reply: Serialize + DeserializeOwned,
    {
        self.call_timeout(msg, actor_core::DEFAULT_CALL_TIMEOUT)
            .await
    }

    /// Calls the process, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    ///
    /// # Cancel safety
    ///
    /// As [`call`](Self::call).
    pub async fn call_timeout<M>(
        &self,
        msg: M,
        timeout: Duration,
    ) -> Result<A::Reply, RemoteCallError>
    where
        A: Call<M>,
        M: RemoteMessage,
        A::Reply: Serialize + DeserializeOwned,
    {
        if self.node.is_local(&self.pid) {
            let local = self.local_or_noproc()?;
            return local
                .call_timeout(msg, timeout)
                .await
                .map_err(RemoteCallError::from_local);
        }
        let body = encode_caught(&msg).map_err(RemoteCallError::Codec)?;
        let reply = self
            .node
            .transport()
            .call(&self.pid, Some(&self.writer), M::NAME, body, timeout)
            .await?;
        decode_caught::<A::Reply>(&reply).map_err(RemoteCallError::Codec)
    }

    /// Casts `msg`: `gen_server:cast/2` to a remote pid. Dropped silently if the process or
    /// its node is gone, as in Erlang.
    ///
    /// # Errors
    ///
    /// [`SendError::Codec`] if the message cannot be encoded.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, when this is the first frame to the process's node: the
    /// writer of that node is spawned on the current runtime.
    pub fn cast<M>(&self, msg: M) -> Result<(), SendError>
    where
        A: Cast<M>,
        M: RemoteMessage,
    {
        if self.node.is_local(&self.pid) {
            if let Ok(local) = self.local_or_noproc() {
                local.cast(msg);
            }
            return Ok(());
        }
        self.send(Kind::Cast, M::NAME, &msg)
    }

    /// Sends `msg` to the process's info handler: `erlang:send/2` to a remote pid.
    ///
    /// # Errors
    ///
    /// As [`cast`](Self::cast).
    ///
    /// # Panics
    ///
    /// As [`cast`](Self::cast).
    pub fn send_info<M>(&self, msg: M) -> Result<(), SendError>
    where
        A: Info<M>,
        M: RemoteMessage,
    {
        if self.node.is_local(&self.pid) {
            if let Ok(local) = self.local_or_noproc() {
                local.send_info(msg);
            }
            return Ok(());
        }
        self.send(Kind::Info, M::NAME, &msg)
    }

    fn send<M: Serialize>(&self, kind: Kind, name: &'static str, msg: &M) -> Result<(), SendError> {
        let body = encode_caught(msg).map_err(SendError::Codec)?;
        self.node
            .transport()
            .send(&self.pid, Some(&self.writer), kind, name, body);
        Ok(())
    }

    fn local_or_noproc(&self) -> Result<ActorRef<A>, RemoteCallError> {
        let pid = actor_core::find_actor(self.pid.id()).ok_or(RemoteCallError::NoProc)?;
        pid.downcast::<A>()
            .map_err(|_| RemoteCallError::NotAccepted {
                actor: pid.type_name().to_owned(),
                message: "(local call to another type)".to_owned(),
            })
    }
}

/// What a node does with an accepted message for one actor type: queue it, and for a call
/// return the reply to come.
pub(crate) type Deliver =
    Arc<dyn Fn(&Pid, &[u8], Duration) -> Result<Option<ReplyFuture>, Failure> + Send + Sync>;

/// A call's reply, encoded, or why there is none.
pub(crate) type ReplyFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, Failure>> + Send>>;

/// The largest message body: a frame's limit less room for its header (a node name, a
/// message name and a few numbers).
pub(crate) const MAX_BODY: usize = wire::MAX_FRAME - 1024;

/// Encodes with the user's `Serialize`; a panic in it is an error, not a crash.
pub(crate) fn encode_caught<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    catch_unwind(AssertUnwindSafe(|| wire::encode_body(value)))
        .unwrap_or_else(|_| Err("the message's Serialize panicked".to_owned()))
        .and_then(|body| {
            if body.len() > MAX_BODY {
                Err(format!(
                    "message of {} bytes is over the {MAX_BODY}-byte limit",
                    body.len(),
                ))
            } else {
                Ok(body)
            }
        })
}

/// Decodes with the user's `Deserialize`; a panic in it is an error, not a crash.
pub(crate) fn decode_caught<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(|| wire::decode_body::<T>(body)))
        .unwrap_or_else(|_| Err("the message's Deserialize panicked".to_owned()))
}

/// The deliverer of `M` casts to `A`s.
pub(crate) fn cast_deliver<A, M>() -> Deliver
where
    A: Cast<M>,
    M: RemoteMessage,
{
    Arc::new(|pid, body, _| {
        let actor = downcast::<A>(pid)?;
        let msg = decode_caught::<M>(body).map_err(Failure::Codec)?;
        actor.cast(msg);
        Ok(None)
    })
}

/// The deliverer of `M` infos to `A`s.
pub(crate) fn info_deliver<A, M>() -> Deliver
where
    A: Info<M>,
    M: RemoteMessage,
{
    Arc::new(|pid, body, _| {
        let actor = downcast::<A>(pid)?;
        let msg = decode_caught::<M>(body).map_err(Failure::Codec)?;
        actor.send_info(msg);
        Ok(None)
    })
}

/// The deliverer of `M` calls to `A`s: the request is queued before this returns, so a
/// later frame from the same sender is handled after it.
pub(crate) fn call_deliver<A, M>() -> Deliver
where
    A: Call<M>,
    M: RemoteMessage,
    A::Reply: Serialize,
{
    Arc::new(|pid, body, timeout| {
        let actor = downcast::<A>(pid)?;
        let msg = decode_caught::<M>(body).map_err(Failure::Codec)?;
        let pending = actor.send_request(msg).map_err(|_| Failure::NoProc)?;
        Ok(Some(Box::pin(async move {
            match pending.wait(timeout).await {
                Ok(reply) => encode_caught(&reply).map_err(Failure::Codec),
                Err(CallError::Exit(reason)) => {
                    Err(Failure::Exit(wire::WireReason::from_reason(&reason)))
                }
                Err(CallError::Timeout { .. }) => Err(Failure::Timeout),
                Err(_) => Err(Failure::NoProc),
            }
        })))
    })
}

fn downcast<A: Actor>(pid: &Pid) -> Result<ActorRef<A>, Failure> {
    pid.downcast::<A>().map_err(|_| Failure::NoProc)
}

/// Remote actors: the node's side.
impl Node {
    /// This node's pid for a local process, to hand to other nodes.
    pub fn remote_pid(&self, pid: &Pid) -> RemotePid {
        self.transport().remote_pid(pid)
    }

    /// A typed reference to `pid`, on any node (this one included).
    pub fn remote_ref<A: Actor>(&self, pid: RemotePid) -> RemoteRef<A> {
        RemoteRef::new(self.clone(), pid)
    }

    /// `true` if `pid` is a process of this node (this incarnation).
    pub fn is_local(&self, pid: &RemotePid) -> bool {
        pid.node == *self.transport().me() && pid.incarnation == self.transport().incarnation()
    }

    /// Accepts `M` casts from other nodes for this node's actors of type `A`. A node takes
    /// from the wire only the messages it accepted, for the types it accepted them for.
    pub fn accept_cast<A, M>(&self)
    where
        A: Cast<M>,
        M: RemoteMessage,
    {
        self.transport().accept(
            Kind::Cast,
            M::NAME,
            std::any::type_name::<A>(),
            cast_deliver::<A, M>(),
        );
    }

    /// Accepts `M` info messages from other nodes for this node's actors of type `A`.
    pub fn accept_info<A, M>(&self)
    where
        A: Info<M>,
        M: RemoteMessage,
    {
        self.transport().accept(
            Kind::Info,
            M::NAME,
            std::any::type_name::<A>(),
            info_deliver::<A, M>(),
        );
    }

    /// Accepts `M` calls from other nodes for this node's actors of type `A`.
    pub fn accept_call<A, M>(&self)
    where
        A: Call<M>,
        M: RemoteMessage,
        A::Reply: Serialize,
    {
        self.transport().accept(
            Kind::Call,
            M::NAME,
            std::any::type_name::<A>(),
            call_deliver::<A, M>(),
        );
    }
}
