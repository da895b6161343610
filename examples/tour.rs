//! A guided tour of the runtime: start actors, call and cast them, catch a crash, watch it
//! with a monitor and a link, defer a reply, use a timer, and stop in order.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! It prints what happens and checks every outcome; it exits non-zero if one is wrong.

use std::collections::HashMap;
use std::time::Duration;

use actor_core::{
    Actor, Call, CallError, CallReply, Cast, Context, Down, Exit, ExitReason, Flow, Info, InitError,
};
use otp_actors::check;
use tokio::sync::mpsc;

// ---- a key-value store: calls with typed replies, casts, a deferred reply ----------------------

struct Store {
    data: HashMap<String, i64>,
}

struct Put(String, i64);
struct Get(String);
struct Sum;
struct Crash;

impl Actor for Store {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Store {
            data: HashMap::new(),
        })
    }
    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        println!("  store: terminate({reason}) with {} keys", self.data.len());
    }
}

impl Cast<Put> for Store {
    async fn handle_cast(&mut self, Put(k, v): Put, _: &mut Context<Self>) -> Flow {
        self.data.insert(k, v);
        Flow::Ok
    }
}

impl Call<Get> for Store {
    type Reply = Option<i64>;
    async fn handle_call(&mut self, Get(k): Get, _: &mut Context<Self>) -> CallReply<Option<i64>> {
        CallReply::Reply(self.data.get(&k).copied())
    }
}

impl Call<Sum> for Store {
    type Reply = i64;
    async fn handle_call(&mut self, _: Sum, ctx: &mut Context<Self>) -> CallReply<i64> {
        // Deferred reply: hand the work to a task and keep serving meanwhile.
        let values: Vec<i64> = self.data.values().copied().collect();
        if let Some(reply) = ctx.reply_to::<Sum>() {
            tokio::spawn(async move { reply.send(values.iter().sum()) });
        }
        CallReply::NoReply
    }
}

impl Call<Crash> for Store {
    type Reply = ();
    async fn handle_call(&mut self, _: Crash, _: &mut Context<Self>) -> CallReply<()> {
        panic!("the store hit a bug");
    }
}

// ---- a watcher: traps exits, links and monitors, reports what it sees ---------------------------

struct Watcher {
    report: mpsc::UnboundedSender<String>,
}

struct Watch(actor_core::Pid);
struct Tick;

impl Actor for Watcher {
    type Args = mpsc::UnboundedSender<String>;
    async fn init(report: Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        ctx.send_after(Duration::from_millis(50), Tick);
        Ok(Watcher { report })
    }
    async fn handle_down(&mut self, down: Down, _: &mut Context<Self>) -> Flow {
        let _ = self
            .report
            .send(format!("DOWN from {}: {}", down.pid, down.reason));
        Flow::Ok
    }
    async fn handle_exit(&mut self, exit: Exit, _: &mut Context<Self>) -> Flow {
        let from = exit
            .from
            .map_or_else(|| "outside".to_string(), |p| p.to_string());
        let _ = self
            .report
            .send(format!("EXIT from {from}: {}", exit.reason));
        Flow::Ok
    }
}

impl Call<Watch> for Watcher {
    type Reply = ();
    async fn handle_call(&mut self, Watch(pid): Watch, ctx: &mut Context<Self>) -> CallReply<()> {
        ctx.link(&pid);
        ctx.monitor(&pid);
        CallReply::Reply(())
    }
}

impl Info<Tick> for Watcher {
    async fn handle_info(&mut self, _: Tick, _: &mut Context<Self>) -> Flow {
        let _ = self.report.send("timer fired after 50 ms".to_string());
        Flow::Ok
    }
}

#[tokio::main]
async fn main() {
    // A panic inside an actor is caught and becomes its exit reason; print it briefly.
    otp_actors::brief_panics();

    println!("1. start a store and talk to it");
    let store = Store::start(()).await.expect("the store starts");
    println!("  started {}", store.pid());
    store.cast(Put("apples".into(), 3));
    store.cast(Put("pears".into(), 4));
    let apples = store.call(Get("apples".into())).await.expect("get");
    check(
        apples == Some(3),
        "casts are handled before a later call from the same sender",
    );
    let sum = store.call(Sum).await.expect("sum");
    check(
        sum == 7,
        "a deferred reply arrives from another task (sum = 7)",
    );

    println!("2. a watcher links to and monitors the store");
    let (tx, mut reports) = mpsc::unbounded_channel();
    let watcher = Watcher::start(tx).await.expect("the watcher starts");
    watcher.call(Watch(store.pid())).await.expect("watch");
    let first = reports.recv().await.unwrap_or_default();
    check(
        first == "timer fired after 50 ms",
        "send_after delivered the watcher's timer",
    );

    println!("3. the store crashes inside a call");
    match store.call(Crash).await {
        Err(CallError::Exit(reason)) => {
            println!("  caller got: {reason}");
            check(
                matches!(reason, ExitReason::Panic(_)),
                "the caller gets the panic as the exit reason, not a hang",
            );
        }
        other => check(false, &format!("unexpected call result {other:?}")),
    }
    let exit = reports.recv().await.unwrap_or_default();
    let down = reports.recv().await.unwrap_or_default();
    println!("  watcher saw: {exit}");
    println!("  watcher saw: {down}");
    check(
        exit.starts_with("EXIT") && down.starts_with("DOWN"),
        "the link delivered an EXIT message and the monitor a DOWN",
    );
    check(watcher.is_alive(), "trapping exits kept the watcher alive");

    println!("4. calls to the dead store fail at once");
    match store.call(Get("apples".into())).await {
        Err(CallError::NoProc(Get(key))) => {
            check(key == "apples", "NoProc hands the unsent request back")
        }
        other => check(false, &format!("unexpected call result {other:?}")),
    }

    println!("5. stop the watcher in order");
    watcher.stop(ExitReason::Shutdown).await.expect("stop");
    check(
        !watcher.is_alive(),
        "stop waited until the watcher had exited",
    );
    println!("tour complete");
}
