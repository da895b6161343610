//! Global names (Erlang's `:global`) on a JetStream key-value bucket, with at most one
//! holder by construction.
//!
//! A name is a key of the bucket `{cluster}_names`; its value is the holder's pid. It is
//! taken with a create-only compare-and-set (`Nats-Expected-Last-Subject-Sequence`: 0 for a
//! key never written, the revision of the delete marker for a released one), so of any
//! number of racing registrations exactly one is stored; a "wrong last sequence" answer
//! means another got there first, and the key is read again. The revision the holder got is
//! its fencing token: renewals and the release are compare-and-sets on it, so a holder that
//! lost its name can never overwrite or delete the next holder's.
//!
//! Every write carries a per-key TTL (`Nats-TTL`, the lease). The holder's node renews its
//! names every third of the lease; a node that dies stops renewing, and the server removes
//! the key (leaving a delete marker) when the lease runs out. A holder's node that cannot
//! renew for nine tenths of the lease (counted from when it sent the last renewal that
//! succeeded, so before the server's own count ends) gives the name up: the holder gets
//! the exit signal [`NameLost`], and from then on only the bucket's next holder has the name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use actor_core::{ExitReason, Name, NameRegistry, Pid, RegisterError, RegisterFuture};
use async_nats::jetstream::{self, context::PublishErrorKind, kv};
use async_nats::{HeaderMap, HeaderValue, header};
use bytes::Bytes;
use tokio::time::Instant;

use crate::node::Node;
use crate::remote::RemotePid;
use crate::wire;

/// Where the names are kept, and for how long a name outlives its node.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_cluster::GlobalOptions;
/// let options = GlobalOptions::default().lease(Duration::from_secs(2));
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct GlobalOptions {
    lease: Duration,
    storage: jetstream::stream::StorageType,
    replicas: usize,
}

impl Default for GlobalOptions {
    /// A 5 s lease, kept in files (names survive a restart of the NATS server), one replica.
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(5),
            storage: jetstream::stream::StorageType::File,
            replicas: 1,
        }
    }
}

impl GlobalOptions {
    /// How long a name outlives its holder's node: a name of a node that died is free
    /// within this. Whole seconds (rounded up), at least 1 s (the server's TTL unit).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Keep the names in memory only: faster writes, lost when the NATS server restarts.
    pub fn in_memory(mut self) -> Self {
        self.storage = jetstream::stream::StorageType::Memory;
        self
    }

    /// How many servers of a NATS cluster keep each name (1, 3 or 5).
    pub fn replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas;
        self
    }

    fn lease_secs(&self) -> u64 {
        let secs = self.lease.as_secs() + u64::from(self.lease.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// Why a global name operation failed.
///
/// # Examples
///
/// ```
/// use actor_cluster::GlobalError;
/// let e = GlobalError::InvalidName("a b".into());
/// assert!(e.to_string().contains("a b"));
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GlobalError {
    /// Empty, over 256 bytes, starting or ending with `.`, or with a character other than
    /// letters, digits, `-`, `_`, `=`, `/` and `.`.
    #[error("invalid global name {0:?}")]
    InvalidName(String),
    /// A live process holds the name (`no` from `global:register_name/2`).
    #[error("global name is held by {0}")]
    Taken(RemotePid),
    /// The process to register is not alive.
    #[error("no such process")]
    NoProc,
    /// This node holds no such name.
    #[error("this node does not hold the global name {0:?}")]
    NotHeld(String),
    /// JetStream refused or did not answer (the server is down, or JetStream is off).
    #[error("NATS: {0}")]
    Nats(String),
}

/// The exit reason a holder gets when its node could not renew its name in time and gave it
/// up (the NATS server was unreachable for most of the lease). Trappable: a holder that
/// traps exits keeps running, without the name.
///
/// # Examples
///
/// ```
/// use actor_cluster::NameLost;
/// use actor_core::ExitReason;
/// let reason = ExitReason::error(NameLost { name: "session-1".into() });
/// assert!(reason.downcast_ref::<NameLost>().is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("global name {name:?} lost: its lease could not be renewed")]
pub struct NameLost {
    /// The name.
    pub name: String,
}

/// A name this node holds.
struct Held {
    pid: Pid,
    /// The fencing token: the revision of the holder's last write.
    revision: u64,
    /// When the last renewal that succeeded was sent.
    renewed_at: Instant,
}

struct Inner {
    node: Node,
    js: jetstream::Context,
    kv: kv::Store,
    lease_secs: u64,
    held: Mutex<HashMap<String, Held>>,
    renewer: Mutex<Option<tokio::task::AbortHandle>>,
    /// The node stopped: nothing is held or renewed any more.
    stopped: std::sync::atomic::AtomicBool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(renewer) = self
            .renewer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            renewer.abort();
        }
    }
}

/// The cluster's global names: `:global`'s `register_name`, `unregister_name` and
/// `whereis_name`, and a [`NameRegistry`] so that [`Name::via`] (or
/// [`GlobalNames::name`]) names an actor globally at start. Clones share one renewal task.
///
/// # Examples
///
/// ```no_run
/// use actor_cluster::{GlobalOptions, Node, NodeName, NodeOptions};
/// use actor_core::{Actor, Context, InitError};
///
/// struct Session;
/// impl Actor for Session {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Session) }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::start(NodeOptions::new(NodeName::new("web-1")?, "nats://127.0.0.1:4222")).await?;
/// let global = node.global_names(GlobalOptions::default()).await?;
///
/// // Named at start: the start fails with `AlreadyStarted` if any node's process holds it.
/// let session = Session::start(()).name(global.name("session-42")).await?;
/// assert_eq!(global.whereis("session-42").await?, Some(node.remote_pid(&session.pid())));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GlobalNames {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for GlobalNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalNames")
            .field("bucket", &self.inner.kv.name)
            .field("lease_secs", &self.inner.lease_secs)
            .finish_non_exhaustive()
    }
}

/// Two handles of the same names compare equal (a [`Name`] made from either is the same).
impl PartialEq for GlobalNames {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Node {
    /// Opens the cluster's global names (creating the bucket the first time) and starts
    /// renewing the names this node will hold.
    ///
    /// # Errors
    ///
    /// [`GlobalError::Nats`] when JetStream is not enabled on the server, the server is
    /// older than 2.11 (no per-key TTL), or it does not answer. A JetStream cluster that
    /// has just started does not answer until it has elected its meta leader (usually well
    /// under a second): a call made before then fails once JetStream's request timeout
    /// has run out, and can be made again.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves at most the bucket created; nothing runs.
    pub async fn global_names(&self, options: GlobalOptions) -> Result<GlobalNames, GlobalError> {
        let nats = |e: &dyn std::fmt::Display| GlobalError::Nats(e.to_string());
        let js = jetstream::new(self.client().clone());
        let lease_secs = options.lease_secs();
        let kv = js
            .create_or_update_key_value(kv::Config {
                bucket: bucket_name(self.transport().cluster()),
                description: "actor-cluster global names".to_owned(),
                history: 1,
                storage: options.storage,
                num_replicas: options.replicas,
                limit_markers: Some(Duration::from_secs(lease_secs)),
                ..Default::default()
            })
            .await
            .map_err(|e| nats(&e))?;
        let inner = Arc::new(Inner {
            node: self.clone(),
            js,
            kv,
            lease_secs,
            held: Mutex::new(HashMap::new()),
            renewer: Mutex::new(None),
            stopped: std::sync::atomic::AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&inner);
        self.on_stop(Box::new(move || {
            Box::pin(async move {
                if let Some(inner) = weak.upgrade() {
                    release_all(&inner).await;
                }
            })
        }));
        let renewer = tokio::spawn(renew(Arc::downgrade(&inner)));
        *inner.renewer.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(renewer.abort_handle());
        Ok(GlobalNames { inner })
    }
}

impl GlobalNames {
    /// The global name `name`, for [`Start::name`](actor_core::Start::name), a child spec's
    /// name, or anywhere a [`Name`] goes.
    ///
    /// [`Name::whereis`] and the calls through the name see only a holder on this node (a
    /// `Pid` is local); [`GlobalNames::whereis`] sees any node's.
    pub fn name(&self, name: impl Into<String>) -> Name {
        Name::via(self.clone(), name.into())
    }

    /// Registers the local process `pid` under `name`: `global:register_name/2`. The name
    /// is released when the process exits (or [`unregister`](Self::unregister)), and within
    /// the lease when this node dies.
    ///
    /// # Errors
    ///
    /// [`GlobalError::Taken`] with the holder (registering the holder again is `Ok`),
    /// [`GlobalError::NoProc`] if `pid` is dead, [`GlobalError::InvalidName`], or
    /// [`GlobalError::Nats`].
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future after the write reached the server leaves the
    /// name taken, without renewal, until its lease runs out.
    pub async fn register(&self, name: &str, pid: &Pid) -> Result<(), GlobalError> {
        check_name(name)?;
        if !pid.is_alive() {
            return Err(GlobalError::NoProc);
        }
        if self.inner.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(GlobalError::Nats("the node has stopped".to_owned()));
        }
        let me = self.inner.node.remote_pid(pid);
        let value = Bytes::from(wire::encode_body(&me).map_err(GlobalError::Nats)?);
        // The common case first: a key never written takes one round trip. After that, each
        // round reads the key, then writes only if it is still as read; a conflict means
        // another write landed between the two, and is read again.
        let mut expected = 0;
        for _ in 0..16 {
            let sent_at = Instant::now();
            match self.write(name, value.clone(), expected).await {
                Ok(revision) => {
                    self.hold(name, pid, revision, sent_at);
                    return Ok(());
                }
                Err(Write::Conflict) => {}
                Err(Write::Failed(e)) => return Err(GlobalError::Nats(e)),
            }
            expected = match self.inner.kv.entry(name).await.map_err(nats)? {
                None => 0,
                Some(e) if e.operation != kv::Operation::Put => e.revision,
                Some(e) => {
                    let holder =
                        wire::decode_body::<RemotePid>(&e.value).map_err(GlobalError::Nats)?;
                    if holder == me {
                        return Ok(());
                    }
                    return Err(GlobalError::Taken(holder));
                }
            };
        }
        Err(GlobalError::Nats(
            "the name changed hands too often to register".to_owned(),
        ))
    }

    /// Releases `name`, held by a process of this node: `global:unregister_name/1`.
    ///
    /// # Errors
    ///
    /// [`GlobalError::NotHeld`] when this node holds no such name, [`GlobalError::Nats`]
    /// when the release did not reach the server (the name then goes with its lease).
    ///
    /// # Cancel safety
    ///
    /// The name is given up locally before the first await; dropping the future may leave
    /// the key until its lease runs out.
    pub async fn unregister(&self, name: &str) -> Result<(), GlobalError> {
        let held = self
            .inner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        let Some(held) = held else {
            return Err(GlobalError::NotHeld(name.to_owned()));
        };
        self.inner
            .kv
            .delete_expect_revision(name, Some(held.revision))
            .await
            .map_err(nats)
    }

    /// The process holding `name`, on any node: `global:whereis_name/1`. A holder whose
    /// node is not up (it died, and the lease has not run out yet) is `None`.
    ///
    /// # Errors
    ///
    /// [`GlobalError::InvalidName`], or [`GlobalError::Nats`] when the server does not
    /// answer.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn whereis(&self, name: &str) -> Result<Option<RemotePid>, GlobalError> {
        check_name(name)?;
        let Some(entry) = self.inner.kv.entry(name).await.map_err(nats)? else {
            return Ok(None);
        };
        if entry.operation != kv::Operation::Put {
            return Ok(None);
        }
        let holder = wire::decode_body::<RemotePid>(&entry.value).map_err(GlobalError::Nats)?;
        let node = &self.inner.node;
        let alive = if node.is_local(&holder) {
            actor_core::find_actor(holder.id()).is_some()
        } else {
            node.incarnation_of(holder.node()) == Some(holder.incarnation)
        };
        Ok(alive.then_some(holder))
    }

    /// The names processes of this node hold, sorted.
    pub fn held(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// The node these names belong to.
    pub fn node(&self) -> &Node {
        &self.inner.node
    }

    /// Records a name won, and releases it when its holder exits.
    fn hold(&self, name: &str, pid: &Pid, revision: u64, renewed_at: Instant) {
        if self.inner.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            // Won as the node stopped: left to the lease, as every write after the stop.
            return;
        }
        self.inner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                name.to_owned(),
                Held {
                    pid: pid.clone(),
                    revision,
                    renewed_at,
                },
            );
        let this = Arc::downgrade(&self.inner);
        let (name, pid) = (name.to_owned(), pid.clone());
        tokio::spawn(async move {
            pid.exited().await;
            if let Some(inner) = this.upgrade() {
                release(&inner, &name, &pid).await;
            }
        });
    }

    /// One compare-and-set write of `name` with the lease.
    async fn write(&self, name: &str, value: Bytes, expected: u64) -> Result<u64, Write> {
        write(&self.inner, name, value, expected).await
    }
}

/// The node stops: every held name is released (fenced), and none is held or renewed from
/// now on. The holders keep running, without their names.
async fn release_all(inner: &Inner) {
    inner
        .stopped
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let held: Vec<(String, u64)> = inner
        .held
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .drain()
        .map(|(name, h)| (name, h.revision))
        .collect();
    let releases = held
        .iter()
        .map(|(name, revision)| inner.kv.delete_expect_revision(name, Some(*revision)));
    for (result, (name, _)) in futures_util::future::join_all(releases)
        .await
        .into_iter()
        .zip(&held)
    {
        if let Err(e) = result {
            tracing::warn!(name, error = %e, "global name not released at stop; it goes with its lease");
        }
    }
}

/// A write that did not land.
enum Write {
    /// The key was not at the expected revision.
    Conflict,
    Failed(String),
}

async fn write(inner: &Inner, name: &str, value: Bytes, expected: u64) -> Result<u64, Write> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
        HeaderValue::from(expected),
    );
    headers.insert(
        header::NATS_MESSAGE_TTL,
        HeaderValue::from(inner.lease_secs),
    );
    let subject = format!("{}{name}", inner.kv.prefix);
    let ack = inner
        .js
        .publish_with_headers(subject, headers, value)
        .await
        .map_err(|e| Write::Failed(e.to_string()))?;
    match ack.await {
        Ok(ack) => Ok(ack.sequence),
        Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Err(Write::Conflict),
        Err(e) => Err(Write::Failed(e.to_string())),
    }
}

/// Releases `name` if `pid` still holds it here, fenced by its revision.
async fn release(inner: &Inner, name: &str, pid: &Pid) {
    let revision = {
        let mut held = inner.held.lock().unwrap_or_else(PoisonError::into_inner);
        match held.get(name) {
            Some(h) if h.pid == *pid => held.remove(name).map(|h| h.revision),
            _ => None,
        }
    };
    if let Some(revision) = revision {
        if let Err(e) = inner.kv.delete_expect_revision(name, Some(revision)).await {
            // The lease removes it all the same.
            tracing::warn!(name, error = %e, "global name not released; it goes with its lease");
        }
    }
}

/// Starts a renewal round of every held name each third of the lease, and wakes exactly at
/// the earliest deadline to give up the names not renewed for nine tenths of it. A round runs
/// on its own, bounded by a third of the lease, so that a server that does not answer never
/// delays a deadline.
async fn renew(inner: Weak<Inner>) {
    let Some(lease) = inner.upgrade().map(|i| Duration::from_secs(i.lease_secs)) else {
        return;
    };
    let deadline = lease.mul_f64(0.9);
    let mut next_round = Instant::now() + lease / 3;
    let mut round: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        let earliest = inner.upgrade().and_then(|i| {
            let held = i.held.lock().unwrap_or_else(PoisonError::into_inner);
            held.values().map(|h| h.renewed_at + deadline).min()
        });
        let wake = earliest.map_or(next_round, |d| d.min(next_round));
        tokio::time::sleep_until(wake).await;
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        give_up_overdue(&strong, deadline);
        let idle = round
            .as_ref()
            .is_none_or(tokio::task::JoinHandle::is_finished);
        if Instant::now() >= next_round {
            next_round = Instant::now() + lease / 3;
            if idle {
                round = Some(tokio::spawn(renew_all(strong, lease / 3)));
            }
        }
    }
}

/// Gives up every name whose last renewal was sent `deadline` ago or more.
fn give_up_overdue(inner: &Arc<Inner>, deadline: Duration) {
    let now = Instant::now();
    let lost: Vec<(String, Pid)> = {
        let mut held = inner.held.lock().unwrap_or_else(PoisonError::into_inner);
        let overdue: Vec<String> = held
            .iter()
            .filter(|(_, h)| now.duration_since(h.renewed_at) >= deadline)
            .map(|(n, _)| n.clone())
            .collect();
        overdue
            .into_iter()
            .filter_map(|n| held.remove(&n).map(|h| (n, h.pid)))
            .collect()
    };
    for (name, pid) in lost {
        give_up(inner, name, &pid);
    }
}

/// One renewal of every held name: all sent, then the acknowledgements awaited together,
/// for at most `bound`.
async fn renew_all(inner: Arc<Inner>, bound: Duration) {
    let due: Vec<(String, Pid, u64)> = inner
        .held
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|(n, h)| (n.clone(), h.pid.clone(), h.revision))
        .collect();
    let sent_at = Instant::now();
    let renewals = due.into_iter().map(|(name, pid, revision)| {
        let inner = &inner;
        async move {
            let value = holder_value(inner, &pid);
            let result = match write(inner, &name, value.clone(), revision).await {
                // The last renewal may have landed with its acknowledgement lost: the key
                // still holding this very pid is still ours.
                Err(Write::Conflict) => match inner.kv.entry(name.as_str()).await {
                    Ok(Some(e)) if e.operation == kv::Operation::Put && e.value == value => {
                        write(inner, &name, value, e.revision).await
                    }
                    _ => Err(Write::Conflict),
                },
                other => other,
            };
            (name, pid, revision, result)
        }
    });
    let Ok(results) = tokio::time::timeout(bound, futures_util::future::join_all(renewals)).await
    else {
        tracing::warn!("global names not renewed in time; retrying");
        return;
    };
    for (name, pid, revision, result) in results {
        match result {
            Ok(new) => {
                let mut held = inner.held.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(h) = held
                    .get_mut(&name)
                    .filter(|h| h.pid == pid && h.revision == revision)
                {
                    h.revision = new;
                    h.renewed_at = sent_at;
                }
            }
            Err(Write::Conflict) => {
                // Someone else's now (the lease ran out on the server first).
                let removed = {
                    let mut held = inner.held.lock().unwrap_or_else(PoisonError::into_inner);
                    match held.get(&name) {
                        Some(h) if h.pid == pid => held.remove(&name).is_some(),
                        _ => false,
                    }
                };
                if removed {
                    give_up(&inner, name, &pid);
                }
            }
            Err(Write::Failed(e)) => {
                tracing::warn!(name, error = %e, "global name not renewed; retrying");
            }
        }
    }
}

/// The value of a name held by local process `pid`.
fn holder_value(inner: &Inner, pid: &Pid) -> Bytes {
    // A pid is a name and two numbers: it always encodes.
    Bytes::from(wire::encode_body(&inner.node.remote_pid(pid)).unwrap_or_default())
}

/// The holder of `name` is told it lost it; the key is deleted if it still names the holder
/// (a renewal that landed late), so the name is free at once rather than at the lease.
fn give_up(inner: &Arc<Inner>, name: String, pid: &Pid) {
    tracing::warn!(name, holder = %pid, "global name lost: its lease could not be renewed");
    let value = holder_value(inner, pid);
    pid.exit(ExitReason::error(NameLost { name: name.clone() }));
    let inner = inner.clone();
    tokio::spawn(async move {
        if let Ok(Some(e)) = inner.kv.entry(name.as_str()).await {
            if e.operation == kv::Operation::Put && e.value == value {
                let _ = inner
                    .kv
                    .delete_expect_revision(&name, Some(e.revision))
                    .await;
            }
        }
    });
}

/// The via contract: names given at start are registered with one round trip from inside
/// the new actor's task, before its `init`.
impl NameRegistry<String> for GlobalNames {
    /// Naming a running process goes through [`GlobalNames::register`] (a round trip).
    fn register_name(&self, _: &String, _: &Pid) -> Result<(), RegisterError> {
        Err(RegisterError::Unsupported(
            "a global name takes a round trip: use GlobalNames::register",
        ))
    }

    fn register_name_async(&self, key: &String, pid: &Pid) -> Option<RegisterFuture> {
        let (this, key, pid) = (self.clone(), key.clone(), pid.clone());
        Some(Box::pin(async move {
            match this.register(&key, &pid).await {
                Ok(()) => Ok(()),
                Err(GlobalError::Taken(holder)) => match this.inner.node.stand_in(&holder) {
                    Some(stand_in) => Err(RegisterError::Taken(stand_in)),
                    None => Err(RegisterError::Unsupported("the global name is taken")),
                },
                Err(GlobalError::NoProc) => Err(RegisterError::NoProc),
                Err(GlobalError::InvalidName(_)) => {
                    Err(RegisterError::Unsupported("invalid global name"))
                }
                Err(e) => {
                    tracing::warn!(name = key, error = %e, "global name not registered");
                    Err(RegisterError::Unsupported(
                        "global names unreachable (NATS)",
                    ))
                }
            }
        }))
    }

    fn unregister_name(&self, key: &String, pid: &Pid) {
        let inner = self.inner.clone();
        let (key, pid) = (key.clone(), pid.clone());
        // Called as the actor dies, inside its runtime; the exit watcher releases it too.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move { release(&inner, &key, &pid).await });
        }
    }

    fn whereis_name(&self, key: &String) -> Option<Pid> {
        self.inner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .filter(|h| h.pid.is_alive())
            .map(|h| h.pid.clone())
    }
}

fn nats(e: impl std::fmt::Display) -> GlobalError {
    GlobalError::Nats(e.to_string())
}

/// The bucket of a cluster's names (bucket names take no `@`).
fn bucket_name(cluster: &str) -> String {
    format!("{}_names", cluster.replace('@', "-at-"))
}

fn check_name(name: &str) -> Result<(), GlobalError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=' | '/' | '.');
    let ok = !name.is_empty()
        && name.len() <= 256
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && name.chars().all(ok_char);
    if ok {
        Ok(())
    } else {
        Err(GlobalError::InvalidName(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_as_kv_keys() {
        for good in ["session-42", "a/b=c.d", "x"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".a", "a.", "a..b", "a b", "a*", "a>", &"x".repeat(257)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn leases_are_whole_seconds_of_at_least_one() {
        let secs = |ms| {
            GlobalOptions::default()
                .lease(Duration::from_millis(ms))
                .lease_secs()
        };
        assert_eq!(secs(0), 1);
        assert_eq!(secs(1000), 1);
        assert_eq!(secs(1500), 2);
        assert_eq!(secs(5000), 5);
    }
}
