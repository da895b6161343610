//! Links and monitors across nodes, through proxies.
//!
//! A process of another node is represented here by a proxy: a small local actor that
//! lives as long as the remote process does, as this node sees it. Linking to a remote
//! process links to its proxy; monitoring it monitors its proxy. So the local side of links
//! and monitors is actor-core's own, with its whole signal semantics, and the network adds
//! only two facts: "this process died with this reason" (`Signal::Exited`), and "the other
//! node is lost" (node down, or a gap in its frames), which ends its proxies with
//! `noconnection`.
//!
//! A proxy traps exits. An exit from a local actor linked to it means that actor died: the
//! proxy tells the remote process's node, where the proxy of the dead actor exits with the
//! same reason, and so signals every process linked to it there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use actor_core::{
    Actor, ActorId, ActorRef, Context, Exit, ExitReason, Flow, Info, InitError, MonitorRef, Pid,
};

use crate::node::Node;

use crate::options::NodeName;
use crate::remote::{NoConnection, RemotePid};
use crate::transport::Transport;
use crate::wire::{self, Signal, WireReason};

/// How long [`Node::remote_of`] still names an ended proxy: ample for its signals to be
/// handled, and a bound on what ended proxies keep.
const REMEMBERED: Duration = Duration::from_secs(600);

/// The proxies of this node, and the local processes other nodes watch.
#[derive(Default)]
pub(crate) struct Links {
    proxies: Mutex<HashMap<RemotePid, ActorRef<Proxy>>>,
    /// The remote pid each proxy stands for, by the proxy's id, with when the proxy ended:
    /// kept for [`REMEMBERED`] after, so that its last `Down` and `Exit` can still be named.
    represented: Mutex<HashMap<ActorId, (RemotePid, Option<Instant>)>>,
    /// Local processes whose exit a remote node waits to hear of, with the watching task.
    watched: Mutex<HashMap<(u64, NodeName), tokio::task::AbortHandle>>,
}

/// The local stand-in for a remote process.
pub(crate) struct Proxy {
    remote: RemotePid,
    transport: Weak<Transport>,
}

/// The remote process is gone: the proxy exits with its reason.
struct Gone(ExitReason);

impl Actor for Proxy {
    type Args = (RemotePid, Weak<Transport>);

    async fn init(
        (remote, transport): Self::Args,
        ctx: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        Ok(Proxy { remote, transport })
    }

    async fn handle_exit(&mut self, exit: Exit, _: &mut Context<Self>) -> Flow {
        // A linked local process exited: the remote process hears it from the proxy that
        // stands for that process on its node.
        if let (Some(from), Some(transport)) = (exit.from, self.transport.upgrade()) {
            let pid = transport.remote_pid(&from);
            let reason = WireReason::from_reason(&exit.reason);
            transport.send_signal(&self.remote, &Signal::Exited { pid, reason });
        }
        Flow::Ok
    }

    async fn terminate(&mut self, _: &ExitReason, ctx: &mut Context<Self>) {
        if let Some(transport) = self.transport.upgrade() {
            transport.links().forget_proxy(&self.remote, ctx.id());
        }
    }
}

impl Info<Gone> for Proxy {
    async fn handle_info(&mut self, Gone(reason): Gone, _: &mut Context<Self>) -> Flow {
        Flow::Stop(reason)
    }
}

impl Links {
    /// The proxy of `remote`, started if there is none alive.
    pub(crate) fn proxy(
        &self,
        transport: &Arc<Transport>,
        remote: &RemotePid,
    ) -> Option<ActorRef<Proxy>> {
        let mut proxies = self.proxies.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = proxies.get(remote).filter(|p| p.is_alive()) {
            return Some(p.clone());
        }
        let proxy = match Proxy::start((remote.clone(), Arc::downgrade(transport))).spawn() {
            Ok(proxy) => proxy,
            Err(e) => {
                tracing::warn!(remote = %remote, error = %e, "proxy not started");
                return None;
            }
        };
        proxies.insert(remote.clone(), proxy.clone());
        let mut represented = self
            .represented
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        represented
            .retain(|_, (_, ended)| ended.is_none_or(|at| now.duration_since(at) < REMEMBERED));
        represented.insert(proxy.id(), (remote.clone(), None));
        Some(proxy)
    }

    fn forget_proxy(&self, remote: &RemotePid, proxy: ActorId) {
        let mut proxies = self.proxies.lock().unwrap_or_else(PoisonError::into_inner);
        if proxies.get(remote).is_some_and(|p| p.id() == proxy) {
            proxies.remove(remote);
        }
        drop(proxies);
        if let Some((_, ended)) = self
            .represented
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&proxy)
        {
            *ended = Some(Instant::now());
        }
    }

    /// The remote process a local proxy stands for.
    pub(crate) fn represented(&self, proxy: ActorId) -> Option<RemotePid> {
        self.represented
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&proxy)
            .map(|(remote, _)| remote.clone())
    }

    /// `remote` died with `reason`: its proxy exits with it.
    fn exited(&self, remote: &RemotePid, reason: ExitReason) {
        let proxy = self
            .proxies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(remote)
            .cloned();
        if let Some(proxy) = proxy {
            proxy.send_info(Gone(reason));
        }
    }

    /// The connection to `node` is lost: every proxy of its processes exits with
    /// `noconnection`, and nobody there is told of local exits any more.
    pub(crate) fn node_lost(&self, node: &NodeName) {
        let lost: Vec<ActorRef<Proxy>> = self
            .proxies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(r, _)| r.node == *node)
            .map(|(_, p)| p.clone())
            .collect();
        for proxy in lost {
            proxy.send_info(Gone(ExitReason::error(NoConnection { node: node.clone() })));
        }
        self.watched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(_, n), task| {
                if n == node {
                    task.abort();
                }
                n != node
            });
    }
}

/// Runs a signal frame from `from` (incarnation `incarnation`) for local process `target`.
pub(crate) fn on_signal(
    transport: &Arc<Transport>,
    from: &NodeName,
    incarnation: u64,
    target: u64,
    body: &[u8],
) {
    let signal = match wire::decode_body::<Signal>(body) {
        Ok(signal) => signal,
        Err(e) => {
            tracing::warn!(from = %from, error = %e, "signal refused");
            return;
        }
    };
    let local = actor_core::find_actor(ActorId::from_u64(target));
    let me_as_seen = RemotePid {
        node: transport.me().clone(),
        incarnation: transport.incarnation(),
        id: target,
    };
    match signal {
        Signal::Link { from: linker } => match local {
            Some(pid) => {
                // Linked now, in frame order: a later frame's effects come after the link. A
                // process that died meanwhile gives the proxy a `noproc` exit, which goes
                // back to the linker as OTP's link to a dead pid does.
                if let Some(proxy) = transport.links().proxy(transport, &linker) {
                    actor_core::link_pids(&proxy.pid(), &pid);
                }
            }
            None => transport.send_signal(
                &linker,
                &Signal::Exited {
                    pid: me_as_seen,
                    reason: WireReason::NoProc,
                },
            ),
        },
        Signal::Unlink { from: linker } => {
            let proxy = transport
                .links()
                .proxies
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&linker)
                .cloned();
            if let (Some(proxy), Some(pid)) = (proxy, local) {
                actor_core::unlink_pids(&proxy.pid(), &pid);
            }
        }
        Signal::Watch => {
            let watcher = RemotePid {
                node: from.clone(),
                incarnation,
                id: 0,
            };
            watch(transport, me_as_seen, local, watcher);
        }
        Signal::Exited { pid, reason } => transport.links().exited(&pid, reason.into_reason()),
        Signal::Broken => transport.links().node_lost(from),
    }
}

/// Tells `watcher`'s node when `local` exits (at once, `noproc`, if it is gone).
fn watch(transport: &Arc<Transport>, me: RemotePid, local: Option<Pid>, watcher: RemotePid) {
    let Some(pid) = local else {
        transport.send_signal(
            &watcher,
            &Signal::Exited {
                pid: me,
                reason: WireReason::NoProc,
            },
        );
        return;
    };
    let key = (me.id, watcher.node.clone());
    let mut watched = transport
        .links()
        .watched
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if watched.contains_key(&key) {
        return;
    }
    let weak = Arc::downgrade(transport);
    let task = tokio::spawn(async move {
        let reason = pid.exited().await;
        if let Some(transport) = weak.upgrade() {
            transport
                .links()
                .watched
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&(me.id, watcher.node.clone()));
            let reason = WireReason::from_reason(&reason);
            transport.send_signal(&watcher, &Signal::Exited { pid: me, reason });
        }
    });
    watched.insert(key, task.abort_handle());
}

/// Links and monitors across nodes: the node's side.
impl Node {
    /// Links the calling actor to `to`, on any node: `link/1` with a remote pid. From then
    /// on each hears of the other's exit, as with a local link; the link breaks with reason
    /// [`NoConnection`] when `to`'s node is lost. Linking to a dead process gives the caller
    /// an exit signal with `noproc`.
    ///
    /// The exit signal comes from the local proxy of `to`: [`Node::remote_of`] names the
    /// remote process behind `Exit::from`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use actor_cluster::{Node, RemotePid};
    /// use actor_core::{Actor, Context, Exit, Flow, InitError};
    ///
    /// struct Session { node: Node }
    /// impl Actor for Session {
    ///     type Args = (Node, RemotePid);
    ///     async fn init((node, peer): Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
    ///         ctx.trap_exit(true);
    ///         node.link(ctx, &peer);
    ///         Ok(Session { node })
    ///     }
    ///     async fn handle_exit(&mut self, exit: Exit, _: &mut Context<Self>) -> Flow {
    ///         let who = exit.from.as_ref().and_then(|p| self.node.remote_of(p));
    ///         println!("{who:?} exited: {}", exit.reason);
    ///         Flow::Ok
    ///     }
    /// }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let node = actor_cluster::Node::start(actor_cluster::NodeOptions::new(
    /// #     actor_cluster::NodeName::new("a")?, "nats://127.0.0.1:4222")).await?;
    /// # let peer: RemotePid = serde_json::from_str("[\"b\", 1, 2]")?;
    /// let session = Session::start((node, peer)).await?;
    /// # let _ = session;
    /// # Ok(()) }
    /// ```
    pub fn link<A: Actor>(&self, ctx: &mut Context<A>, to: &RemotePid) {
        if let Some(pid) = self.local_target(to) {
            ctx.link(&pid);
            return;
        }
        let transport = self.transport();
        let Some(proxy) = transport.links().proxy(transport, to) else {
            return;
        };
        ctx.link(&proxy.pid());
        if !self.check_reachable(&proxy, to) {
            return;
        }
        let from = transport.remote_pid(ctx.pid());
        transport.send_signal(to, &Signal::Link { from });
    }

    /// Removes a link made with [`Node::link`]: `unlink/1` with a remote pid.
    ///
    /// # Examples
    ///
    /// See [`Node::link`].
    pub fn unlink<A: Actor>(&self, ctx: &mut Context<A>, to: &RemotePid) {
        if let Some(pid) = self.local_target(to) {
            ctx.unlink(&pid);
            return;
        }
        let transport = self.transport();
        let proxy = transport
            .links()
            .proxies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(to)
            .cloned();
        if let Some(proxy) = proxy {
            ctx.unlink(&proxy.pid());
            let from = transport.remote_pid(ctx.pid());
            transport.send_signal(to, &Signal::Unlink { from });
        }
    }

    /// Monitors `to`, on any node: `monitor(process, Pid)` with a remote pid. The `Down`
    /// comes with `to`'s exit reason, `noproc` if it is dead, or [`NoConnection`] when its
    /// node is lost; its `pid` is the local proxy of `to` ([`Node::remote_of`] names it).
    /// Cancel with `ctx.demonitor(monitor)`.
    ///
    /// # Panics
    ///
    /// Never from an actor's callback: the proxy is spawned on the actor's runtime, which
    /// exists wherever a `Context` does.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use actor_cluster::{Node, RemotePid};
    /// use actor_core::{Actor, Context, Down, Flow, InitError};
    ///
    /// struct Watcher { node: Node }
    /// impl Actor for Watcher {
    ///     type Args = (Node, RemotePid);
    ///     async fn init((node, peer): Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
    ///         node.monitor(ctx, &peer);
    ///         Ok(Watcher { node })
    ///     }
    ///     async fn handle_down(&mut self, down: Down, _: &mut Context<Self>) -> Flow {
    ///         println!("{:?} is down: {}", self.node.remote_of(&down.pid), down.reason);
    ///         Flow::Ok
    ///     }
    /// }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let node = actor_cluster::Node::start(actor_cluster::NodeOptions::new(
    /// #     actor_cluster::NodeName::new("a")?, "nats://127.0.0.1:4222")).await?;
    /// # let peer: RemotePid = serde_json::from_str("[\"b\", 1, 2]")?;
    /// let watcher = Watcher::start((node, peer)).await?;
    /// # let _ = watcher;
    /// # Ok(()) }
    /// ```
    pub fn monitor<A: Actor>(&self, ctx: &mut Context<A>, to: &RemotePid) -> MonitorRef {
        if let Some(pid) = self.local_target(to) {
            return ctx.monitor(&pid);
        }
        let transport = self.transport();
        let Some(proxy) = transport.links().proxy(transport, to) else {
            // Invariant: a proxy fails to spawn only outside a tokio runtime (it has no
            // name), and an actor's context exists only inside its runtime.
            unreachable!("an actor runs inside a tokio runtime")
        };
        let monitor = ctx.monitor(&proxy.pid());
        if self.check_reachable(&proxy, to) {
            transport.send_signal(to, &Signal::Watch);
        }
        monitor
    }

    /// The remote process a local proxy stands for: the `from` of an exit signal or the
    /// `pid` of a `Down` that came from another node, until 10 minutes after the proxy
    /// ended. `None` for a local process.
    pub fn remote_of(&self, pid: &Pid) -> Option<RemotePid> {
        self.transport().links().represented(pid.id())
    }

    /// A local pid for `remote`: the process itself when it is one of this node's, else
    /// its proxy, which ends with it (`None` for a local process that is gone).
    pub(crate) fn stand_in(&self, remote: &RemotePid) -> Option<Pid> {
        if self.is_local(remote) {
            return actor_core::find_actor(remote.id());
        }
        let transport = self.transport();
        let proxy = transport.links().proxy(transport, remote)?;
        if self.check_reachable(&proxy, remote) {
            transport.send_signal(remote, &Signal::Watch);
        }
        Some(proxy.pid())
    }

    /// The local process `to` names, when it is one of this node's and alive.
    fn local_target(&self, to: &RemotePid) -> Option<Pid> {
        if self.is_local(to) {
            actor_core::find_actor(to.id())
        } else {
            None
        }
    }

    /// Ends the proxy at once when `to` cannot be alive: a local pid that is gone
    /// (`noproc`), a node that is not up (`noconnection`), or a pid of an earlier incarnation
    /// of its node (`noproc`).
    fn check_reachable(&self, proxy: &ActorRef<Proxy>, to: &RemotePid) -> bool {
        let gone = if self.is_local(to) || to.node == *self.name() {
            Some(ExitReason::NoProc)
        } else {
            match self.incarnation_of(&to.node) {
                None => Some(ExitReason::error(NoConnection {
                    node: to.node.clone(),
                })),
                Some(i) if i != to.incarnation => Some(ExitReason::NoProc),
                Some(_) => None,
            }
        };
        match gone {
            Some(reason) => {
                proxy.send_info(Gone(reason));
                false
            }
            None => true,
        }
    }
}
