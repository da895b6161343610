//! Process groups across nodes: Erlang's `pg`.
//!
//! Like `pg`, eventually consistent and lock-free: each node owns its own processes'
//! memberships and tells the others. A join or leave changes the local state at once and
//! publishes the group's new local member list on the scope's subject; every node keeps the
//! lists it heard, per node and group. When a node sees another come up, and every few
//! heartbeats besides, it publishes all its lists and the names of its groups, so a list
//! lost on the way (a partition, a reconnect) is repaired; a node's lists go when it is
//! seen down. A member that exits leaves its groups.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use actor_core::{Cast, Info, Pid};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::node::{Node, NodeEvent};
use crate::options::NodeName;
use crate::remote::{RemoteMessage, RemotePid, SendError};
use crate::wire;

/// What a node publishes about its members.
#[derive(Debug, Serialize, Deserialize)]
struct Update {
    node: NodeName,
    incarnation: u64,
    change: Change,
}

#[derive(Debug, Serialize, Deserialize)]
enum Change {
    /// The node's members of `group` are now `ids`.
    Members { group: String, ids: Vec<u64> },
    /// The node has members in these groups only.
    Groups(Vec<String>),
}

/// Another node's members, as last heard.
struct Remote {
    incarnation: u64,
    groups: HashMap<String, Vec<u64>>,
}

struct Inner {
    node: Node,
    subject: String,
    local: Mutex<HashMap<String, Vec<Pid>>>,
    remote: Mutex<HashMap<NodeName, Remote>>,
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    /// To the publisher task, which sends the updates in the order they were made.
    out: tokio::sync::mpsc::UnboundedSender<Bytes>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in self
            .tasks
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            task.abort();
        }
    }
}

/// One scope of process groups (`pg:start_link(Scope)`): join, leave, the members on
/// every node, and a dispatch to all of them. Clones are the same scope.
///
/// # Examples
///
/// ```no_run
/// use actor_cluster::{Node, NodeName, NodeOptions};
/// use actor_core::{Actor, Context, InitError};
///
/// struct Player;
/// impl Actor for Player {
///     type Args = ();
///     async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Player) }
/// }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::start(NodeOptions::new(NodeName::new("a")?, "nats://127.0.0.1:4222")).await?;
/// let pg = node.process_groups("game").await?;
/// let player = Player::start(()).await?;
/// pg.join("lobby", &player.pid());
/// assert_eq!(pg.members("lobby"), vec![node.remote_pid(&player.pid())]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ProcessGroups {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ProcessGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessGroups")
            .field("subject", &self.inner.subject)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Starts the process groups of `scope` on this node (`pg:start_link/1`): subscribes to
    /// the scope and asks the other nodes for their members.
    ///
    /// # Errors
    ///
    /// [`ClusterError::InvalidName`](crate::ClusterError::InvalidName) for a scope that is
    /// not one subject token, [`ClusterError::Nats`](crate::ClusterError::Nats) when the
    /// subscription is refused.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves nothing running.
    pub async fn process_groups(&self, scope: &str) -> Result<ProcessGroups, crate::ClusterError> {
        let scope = NodeName::new(scope)?;
        let subject = format!("{}.pg.{scope}", self.transport().cluster());
        let updates = self
            .client()
            .subscribe(subject.clone())
            .await
            .map_err(|e| crate::ClusterError::Nats(e.to_string()))?;
        let (out, outbox) = tokio::sync::mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            node: self.clone(),
            subject: subject.clone(),
            local: Mutex::new(HashMap::new()),
            remote: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            out,
        });
        let events = self.subscribe();
        let weak = Arc::downgrade(&inner);
        let tasks = vec![
            tokio::spawn(receive(weak.clone(), updates)).abort_handle(),
            tokio::spawn(send(self.client().clone(), subject, outbox)).abort_handle(),
            tokio::spawn(follow_nodes(weak, events, self.heartbeat() * 5)).abort_handle(),
        ];
        *inner.tasks.lock().unwrap_or_else(PoisonError::into_inner) = tasks;
        Ok(ProcessGroups { inner })
    }
}

impl ProcessGroups {
    /// Adds the local process `pid` to `group` (`pg:join/3`). A process may join a group
    /// more than once, and is then a member as many times; it leaves all its groups when it
    /// exits.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, the first time `pid` joins: the task that waits for its exit
    /// is spawned on the current runtime.
    pub fn join(&self, group: &str, pid: &Pid) {
        let first = {
            let mut local = self
                .inner
                .local
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let first = !local.values().flatten().any(|p| p == pid);
            local.entry(group.to_owned()).or_default().push(pid.clone());
            first
        };
        if first {
            let weak = Arc::downgrade(&self.inner);
            let pid = pid.clone();
            tokio::spawn(async move {
                pid.exited().await;
                if let Some(inner) = weak.upgrade() {
                    leave_all(&inner, &pid);
                }
            });
        }
        publish_group(&self.inner, group);
    }

    /// Removes one membership of `pid` in `group` (`pg:leave/3`); `false` if it was not a
    /// member.
    pub fn leave(&self, group: &str, pid: &Pid) -> bool {
        let left = {
            let mut local = self
                .inner
                .local
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(members) = local.get_mut(group) else {
                return false;
            };
            let Some(at) = members.iter().position(|p| p == pid) else {
                return false;
            };
            members.remove(at);
            if members.is_empty() {
                local.remove(group);
            }
            true
        };
        publish_group(&self.inner, group);
        left
    }

    /// Every member of `group` on every node up, this one first (`pg:get_members/2`).
    pub fn members(&self, group: &str) -> Vec<RemotePid> {
        let node = &self.inner.node;
        let mut members: Vec<RemotePid> = self
            .local_members(group)
            .iter()
            .map(|p| node.remote_pid(p))
            .collect();
        let remote = self
            .inner
            .remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut nodes: Vec<&NodeName> = remote.keys().collect();
        nodes.sort();
        for name in nodes {
            let r = &remote[name];
            // Only nodes up, in the incarnation heard: a node seen down has no members.
            if node.incarnation_of(name) != Some(r.incarnation) {
                continue;
            }
            for id in r.groups.get(group).into_iter().flatten() {
                members.push(RemotePid {
                    node: name.clone(),
                    incarnation: r.incarnation,
                    id: *id,
                });
            }
        }
        members
    }

    /// The members of `group` on this node (`pg:get_local_members/2`).
    pub fn local_members(&self, group: &str) -> Vec<Pid> {
        self.inner
            .local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(group)
            .cloned()
            .unwrap_or_default()
    }

    /// The groups with members on any node up, sorted (`pg:which_groups/1`).
    pub fn which_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self
            .inner
            .local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        let node = &self.inner.node;
        for (name, r) in self
            .inner
            .remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            if node.incarnation_of(name) == Some(r.incarnation) {
                groups.extend(
                    r.groups
                        .iter()
                        .filter(|(_, ids)| !ids.is_empty())
                        .map(|(g, _)| g.clone()),
                );
            }
        }
        groups.sort();
        groups.dedup();
        groups
    }

    /// Casts `msg` to every member of `group` (as [`members`](Self::members) sees them),
    /// each as an `A`; returns how many it was sent to. Members of another type drop it
    /// (their node does not accept it for them).
    ///
    /// # Errors
    ///
    /// [`SendError::Codec`] if the message cannot be encoded; nothing is sent then.
    ///
    /// # Panics
    ///
    /// As [`RemoteRef::cast`](crate::RemoteRef::cast).
    pub fn cast<A, M>(&self, group: &str, msg: &M) -> Result<usize, SendError>
    where
        A: Cast<M>,
        M: RemoteMessage + Clone,
    {
        let members = self.members(group);
        let node = &self.inner.node;
        for member in &members {
            node.remote_ref::<A>(member.clone()).cast(msg.clone())?;
        }
        Ok(members.len())
    }

    /// Sends `msg` to the info handler of every member of `group`, as
    /// [`cast`](Self::cast) does.
    ///
    /// # Errors
    ///
    /// As [`cast`](Self::cast).
    ///
    /// # Panics
    ///
    /// As [`cast`](Self::cast).
    pub fn send_info<A, M>(&self, group: &str, msg: &M) -> Result<usize, SendError>
    where
        A: Info<M>,
        M: RemoteMessage + Clone,
    {
        let members = self.members(group);
        let node = &self.inner.node;
        for member in &members {
            node.remote_ref::<A>(member.clone())
                .send_info(msg.clone())?;
        }
        Ok(members.len())
    }
}

/// Removes every membership of `pid`, and tells the others.
fn leave_all(inner: &Arc<Inner>, pid: &Pid) {
    let changed: Vec<String> = {
        let mut local = inner.local.lock().unwrap_or_else(PoisonError::into_inner);
        let changed: Vec<String> = local
            .iter()
            .filter(|(_, ms)| ms.contains(pid))
            .map(|(g, _)| g.clone())
            .collect();
        for group in &changed {
            if let Some(members) = local.get_mut(group) {
                members.retain(|p| p != pid);
                if members.is_empty() {
                    local.remove(group);
                }
            }
        }
        changed
    };
    for group in changed {
        publish_group(inner, &group);
    }
}

/// Publishes this node's members of `group`.
fn publish_group(inner: &Arc<Inner>, group: &str) {
    let ids = inner
        .local
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(group)
        .map(|ms| ms.iter().map(|p| p.id().as_u64()).collect())
        .unwrap_or_default();
    publish(
        inner,
        Change::Members {
            group: group.to_owned(),
            ids,
        },
    );
}

/// Publishes all this node's lists and the names of its groups.
fn publish_all(inner: &Arc<Inner>) {
    let lists: Vec<(String, Vec<u64>)> = inner
        .local
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|(g, ms)| (g.clone(), ms.iter().map(|p| p.id().as_u64()).collect()))
        .collect();
    let groups = lists.iter().map(|(g, _)| g.clone()).collect();
    for (group, ids) in lists {
        publish(inner, Change::Members { group, ids });
    }
    publish(inner, Change::Groups(groups));
}

fn publish(inner: &Arc<Inner>, change: Change) {
    let transport = inner.node.transport();
    let update = Update {
        node: transport.me().clone(),
        incarnation: transport.incarnation(),
        change,
    };
    let body = match wire::encode_body(&update) {
        Ok(body) if body.len() <= wire::MAX_FRAME => Bytes::from(body),
        Ok(body) => {
            tracing::error!(
                bytes = body.len(),
                "process group update over the frame limit: not sent"
            );
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "process group update not encoded");
            return;
        }
    };
    // The publisher ends only with the scope.
    let _ = inner.out.send(body);
}

/// Publishes the updates in the order they were made, on one connection: every node sees
/// them in that order.
async fn send(
    client: async_nats::Client,
    subject: String,
    mut outbox: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
) {
    let subject = async_nats::Subject::from(subject);
    while let Some(body) = outbox.recv().await {
        if let Err(e) = client.publish(subject.clone(), body).await {
            tracing::debug!(error = %e, "process group update not sent");
        }
    }
}

/// Applies what the other nodes publish.
async fn receive(inner: Weak<Inner>, mut updates: async_nats::Subscriber) {
    while let Some(msg) = updates.next().await {
        let Some(inner) = inner.upgrade() else { return };
        let update = match wire::decode_body::<Update>(&msg.payload) {
            Ok(u) if msg.payload.len() <= wire::MAX_FRAME => u,
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "process group update refused");
                continue;
            }
        };
        if update.node == *inner.node.name() {
            continue;
        }
        let mut remote = inner.remote.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = remote.entry(update.node).or_insert_with(|| Remote {
            incarnation: update.incarnation,
            groups: HashMap::new(),
        });
        if entry.incarnation != update.incarnation {
            // A restarted node: what its earlier incarnation had is gone.
            entry.incarnation = update.incarnation;
            entry.groups.clear();
        }
        match update.change {
            Change::Members { group, ids } if ids.is_empty() => {
                entry.groups.remove(&group);
            }
            Change::Members { group, ids } => {
                entry.groups.insert(group, ids);
            }
            Change::Groups(groups) => entry.groups.retain(|g, _| groups.contains(g)),
        }
    }
}

/// Publishes everything when a node comes up and every `every`; forgets a node's members
/// when it goes down.
async fn follow_nodes(
    inner: Weak<Inner>,
    mut events: tokio::sync::broadcast::Receiver<NodeEvent>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let Some(inner) = inner.upgrade() else { return };
                publish_all(&inner);
            }
            event = events.recv() => {
                let Some(inner) = inner.upgrade() else { return };
                match event {
                    Ok(NodeEvent::Up(_)) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        publish_all(&inner);
                    }
                    Ok(NodeEvent::Down { node, .. }) => {
                        inner.remote.lock().unwrap_or_else(PoisonError::into_inner).remove(&node);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_round_trip() {
        let update = Update {
            node: NodeName::new("a").unwrap_or_else(|e| panic!("{e}")),
            incarnation: 7,
            change: Change::Members {
                group: "room".into(),
                ids: vec![1, 2, 3],
            },
        };
        let body = wire::encode_body(&update).unwrap_or_else(|e| panic!("{e}"));
        let back: Update = wire::decode_body(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.node, update.node);
        assert!(matches!(back.change, Change::Members { ref ids, .. } if ids == &[1, 2, 3]));
    }

    proptest::proptest! {
        /// Whatever arrives on a scope's subject decodes to an update or an error, never a
        /// panic; a bad node name is an error.
        #[test]
        fn arbitrary_updates_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            if let Ok(update) = wire::decode_body::<Update>(&bytes) {
                proptest::prop_assert!(NodeName::new(update.node.as_str()).is_ok());
            }
        }
    }
}
