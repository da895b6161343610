//! Shared test actors. `Spy` reports every callback to the test through a channel, so tests
//! synchronise on events instead of sleeping.
#![allow(
    clippy::unwrap_used,
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different part"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::{
    Actor, ActorId, Call, CallReply, Cast, Context, Continue, Down, Exit, ExitReason, Flow, Info,
    InitError, MonitorRef, NameRegistry, Pid, RegisterError,
};
use tokio::sync::mpsc;

/// What a `Spy` saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Init,
    Cast(u32),
    Info(u32),
    Continue(u32),
    Exit {
        from: Option<ActorId>,
        reason: ExitReason,
    },
    Down {
        pid: ActorId,
        reason: ExitReason,
    },
    Timeout,
    Terminate(ExitReason),
}

pub type Events = mpsc::UnboundedReceiver<Event>;

/// Waits for the next event; fails the test instead of hanging.
pub async fn next(events: &mut Events) -> Event {
    match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
        Ok(Some(e)) => e,
        Ok(None) => panic!("the spy's channel closed"),
        Err(_) => panic!("no event within 30 s"),
    }
}

/// Asserts that no event is queued right now.
pub fn assert_quiet(events: &mut Events) {
    if let Ok(e) = events.try_recv() {
        panic!("unexpected event {e:?}");
    }
}

pub struct SpyArgs {
    pub tx: mpsc::UnboundedSender<Event>,
    pub trap_exit: bool,
    pub timeout: Option<Duration>,
}

pub struct Spy {
    tx: mpsc::UnboundedSender<Event>,
    pub held: Vec<actor_core::ReplyTo<u32>>,
}

impl Spy {
    fn emit(&self, e: Event) {
        let _ = self.tx.send(e);
    }
}

pub fn spy_args(trap_exit: bool) -> (SpyArgs, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        SpyArgs {
            tx,
            trap_exit,
            timeout: None,
        },
        rx,
    )
}

/// Starts a spy, not linked.
pub async fn spy(trap_exit: bool) -> (actor_core::ActorRef<Spy>, Events) {
    let (args, mut rx) = spy_args(trap_exit);
    let s = Spy::start(args).await.expect("spy starts");
    assert_eq!(next(&mut rx).await, Event::Init);
    (s, rx)
}

impl Actor for Spy {
    type Args = SpyArgs;

    async fn init(args: SpyArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(args.trap_exit);
        if let Some(t) = args.timeout {
            ctx.set_timeout(t);
        }
        let _ = args.tx.send(Event::Init);
        Ok(Spy {
            tx: args.tx,
            held: Vec::new(),
        })
    }

    async fn terminate(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        self.emit(Event::Terminate(reason.clone()));
    }

    async fn handle_exit(&mut self, exit: Exit, _ctx: &mut Context<Self>) -> Flow {
        self.emit(Event::Exit {
            from: exit.from.as_ref().map(Pid::id),
            reason: exit.reason,
        });
        Flow::Ok
    }

    async fn handle_down(&mut self, down: Down, _ctx: &mut Context<Self>) -> Flow {
        self.emit(Event::Down {
            pid: down.pid.id(),
            reason: down.reason,
        });
        Flow::Ok
    }

    async fn handle_timeout(&mut self, _ctx: &mut Context<Self>) -> Flow {
        self.emit(Event::Timeout);
        Flow::Ok
    }
}

/// A numbered note, as a cast or an info.
#[derive(Clone, Copy, Debug)]
pub struct Note(pub u32);

impl Cast<Note> for Spy {
    async fn handle_cast(&mut self, Note(n): Note, _ctx: &mut Context<Self>) -> Flow {
        self.emit(Event::Cast(n));
        Flow::Ok
    }
}

impl Info<Note> for Spy {
    async fn handle_info(&mut self, Note(n): Note, _ctx: &mut Context<Self>) -> Flow {
        self.emit(Event::Info(n));
        Flow::Ok
    }
}

impl Continue<Note> for Spy {
    async fn handle_continue(&mut self, Note(n): Note, _ctx: &mut Context<Self>) -> Flow {
        self.emit(Event::Continue(n));
        Flow::Ok
    }
}

/// Replies 42.
pub struct Ping;
impl Call<Ping> for Spy {
    type Reply = u32;
    async fn handle_call(&mut self, _: Ping, _ctx: &mut Context<Self>) -> CallReply<u32> {
        CallReply::Reply(42)
    }
}

pub struct LinkTo(pub Pid);
impl Call<LinkTo> for Spy {
    type Reply = ();
    async fn handle_call(&mut self, LinkTo(p): LinkTo, ctx: &mut Context<Self>) -> CallReply<()> {
        ctx.link(&p);
        CallReply::Reply(())
    }
}

pub struct UnlinkFrom(pub Pid);
impl Call<UnlinkFrom> for Spy {
    type Reply = ();
    async fn handle_call(
        &mut self,
        UnlinkFrom(p): UnlinkFrom,
        ctx: &mut Context<Self>,
    ) -> CallReply<()> {
        ctx.unlink(&p);
        CallReply::Reply(())
    }
}

pub struct MonitorOf(pub Pid);
impl Call<MonitorOf> for Spy {
    type Reply = MonitorRef;
    async fn handle_call(
        &mut self,
        MonitorOf(p): MonitorOf,
        ctx: &mut Context<Self>,
    ) -> CallReply<MonitorRef> {
        CallReply::Reply(ctx.monitor(&p))
    }
}

pub struct Demonitor(pub MonitorRef);
impl Call<Demonitor> for Spy {
    type Reply = bool;
    async fn handle_call(
        &mut self,
        Demonitor(m): Demonitor,
        ctx: &mut Context<Self>,
    ) -> CallReply<bool> {
        CallReply::Reply(ctx.demonitor(m))
    }
}

/// Sends an exit signal to another actor.
pub struct ExitOther(pub Pid, pub ExitReason);
impl Call<ExitOther> for Spy {
    type Reply = ();
    async fn handle_call(
        &mut self,
        ExitOther(p, r): ExitOther,
        ctx: &mut Context<Self>,
    ) -> CallReply<()> {
        ctx.exit(&p, r);
        CallReply::Reply(())
    }
}

/// Panics in handle_call.
pub struct Crash(pub &'static str);
impl Call<Crash> for Spy {
    type Reply = ();
    async fn handle_call(&mut self, Crash(m): Crash, _ctx: &mut Context<Self>) -> CallReply<()> {
        panic!("{m}");
    }
}

/// Stops from handle_call without a reply.
pub struct StopWith(pub ExitReason);
impl Call<StopWith> for Spy {
    type Reply = ();
    async fn handle_call(
        &mut self,
        StopWith(r): StopWith,
        _ctx: &mut Context<Self>,
    ) -> CallReply<()> {
        CallReply::Stop(r)
    }
}

/// Stops with a cast.
pub struct CastStop(pub ExitReason);
impl Cast<CastStop> for Spy {
    async fn handle_cast(&mut self, CastStop(r): CastStop, _ctx: &mut Context<Self>) -> Flow {
        Flow::Stop(r)
    }
}

/// Keeps the reply handle in the state; answered by `Release`.
pub struct Hold;
impl Call<Hold> for Spy {
    type Reply = u32;
    async fn handle_call(&mut self, _: Hold, ctx: &mut Context<Self>) -> CallReply<u32> {
        if let Some(r) = ctx.reply_to::<Hold>() {
            self.held.push(r);
        }
        CallReply::NoReply
    }
}

/// How many deferred replies the spy holds.
pub struct HeldCount;
impl Call<HeldCount> for Spy {
    type Reply = usize;
    async fn handle_call(&mut self, _: HeldCount, _ctx: &mut Context<Self>) -> CallReply<usize> {
        CallReply::Reply(self.held.len())
    }
}

pub struct Release(pub u32);
impl Cast<Release> for Spy {
    async fn handle_cast(&mut self, Release(n): Release, _ctx: &mut Context<Self>) -> Flow {
        for r in self.held.drain(..) {
            r.send(n);
        }
        Flow::Ok
    }
}

/// Waits on a gate inside a cast, to hold the actor busy while the test queues things.
pub struct Block(pub tokio::sync::oneshot::Receiver<()>);
impl Cast<Block> for Spy {
    async fn handle_cast(&mut self, Block(gate): Block, _ctx: &mut Context<Self>) -> Flow {
        let _ = gate.await;
        Flow::Ok
    }
}

/// A plain name registry for tests: `Mutex<HashMap>`, dead holders count as absent.
#[derive(Clone, Default)]
pub struct TestNames(Arc<Mutex<HashMap<String, Pid>>>);

impl NameRegistry<String> for TestNames {
    fn register_name(&self, key: &String, pid: &Pid) -> Result<(), RegisterError> {
        let mut map = self.0.lock().unwrap();
        match map.get(key) {
            Some(holder) if holder.is_alive() && holder != pid => {
                Err(RegisterError::Taken(holder.clone()))
            }
            _ => {
                map.insert(key.clone(), pid.clone());
                Ok(())
            }
        }
    }

    fn unregister_name(&self, key: &String, pid: &Pid) {
        let mut map = self.0.lock().unwrap();
        if map.get(key) == Some(pid) {
            map.remove(key);
        }
    }

    fn whereis_name(&self, key: &String) -> Option<Pid> {
        self.0
            .lock()
            .unwrap()
            .get(key)
            .filter(|p| p.is_alive())
            .cloned()
    }
}

/// Clones of one registry are the same registry.
impl PartialEq for TestNames {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl TestNames {
    /// Whether the registry holds an entry for `key`, dead or alive.
    pub fn holds(&self, key: &str) -> bool {
        self.0.lock().unwrap().contains_key(key)
    }

    /// Removes `key` whoever holds it, as a registry's own `unregister` does, without the
    /// runtime hearing of it.
    pub fn remove(&self, key: &str) {
        self.0.lock().unwrap().remove(key);
    }

    /// Removes `key` whoever holds it, and tells the holder (`Pid::forget_name`).
    pub fn unregister(&self, key: &str) {
        let removed = self.0.lock().unwrap().remove_entry(key);
        if let Some((key, holder)) = removed {
            holder.forget_name(self, &key);
        }
    }

    /// How many handles on this registry exist, this one included: every `Name` in it holds
    /// one, so this counts the names still kept somewhere (by an actor, to release at exit).
    pub fn handles(&self) -> usize {
        Arc::strong_count(&self.0)
    }
}
