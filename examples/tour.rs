//! A guided tour: a supervision tree starts, actors are called by name, a crash is caught
//! and restarted, the registry name follows the restart, restart intensity escalates to the
//! parent supervisor, and the tree shuts down in order.
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
    Actor, ActorRef, Call, CallError, CallReply, Cast, Context, ExitReason, Flow, InitError, Pid,
};
use actor_registry::Registry;
use actor_supervisor::{
    ChildPid, ChildSpec, ChildType, Strategy, Supervisor, SupervisorRef, started,
};
use otp_actors::check;
use tokio::sync::mpsc;

/// Everyone's `terminate/2` reports here, so the tour can show the shutdown order.
type Reports = mpsc::UnboundedSender<String>;

// ---- a key-value store: typed calls, casts, a deferred reply, a bug ---------------------------

struct Store {
    data: HashMap<String, i64>,
    reports: Reports,
}

struct Put(String, i64);
struct Get(String);
struct Sum;
struct Divide(String, i64);

impl Actor for Store {
    type Args = Reports;
    async fn init(reports: Reports, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        // Trapping exits is how an OTP worker asks for `terminate` on shutdown.
        ctx.trap_exit(true);
        println!("    store started as {}", ctx.pid());
        Ok(Store {
            data: HashMap::new(),
            reports,
        })
    }
    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        println!("    store: terminate({reason})");
        let _ = self.reports.send("store".into());
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
        // A deferred reply: another task answers while the store serves other messages.
        let values: Vec<i64> = self.data.values().copied().collect();
        if let Some(reply) = ctx.reply_to::<Sum>() {
            tokio::spawn(async move { reply.send(values.iter().sum()) });
        }
        CallReply::NoReply
    }
}

impl Call<Divide> for Store {
    type Reply = i64;
    async fn handle_call(
        &mut self,
        Divide(k, by): Divide,
        _: &mut Context<Self>,
    ) -> CallReply<i64> {
        let value = self.data.get(&k).copied().unwrap_or_default();
        // A bug when `by` is 0: the panic is caught and becomes the store's exit reason.
        CallReply::Reply(
            value
                .checked_div(by)
                .unwrap_or_else(|| panic!("attempt to divide {k} by zero")),
        )
    }
}

// ---- a worker that reports its terminate ----------------------------------------------------

struct Worker {
    name: &'static str,
    reports: Reports,
}

struct Crash;

impl Actor for Worker {
    type Args = (&'static str, Reports);
    async fn init((name, reports): Self::Args, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true);
        println!("    {name} started as {}", ctx.pid());
        Ok(Worker { name, reports })
    }
    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        println!("    {}: terminate({reason})", self.name);
        let _ = self.reports.send(self.name.into());
    }
}

impl Cast<Crash> for Worker {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(ExitReason::msg(format!(
            "{} lost its connection",
            self.name
        )))
    }
}

// ---- helpers --------------------------------------------------------------------------------

fn running(children: &[actor_supervisor::ChildInfo], id: &str) -> Option<Pid> {
    children.iter().find_map(|c| match (&c.id, &c.pid) {
        (Some(cid), ChildPid::Running(pid)) if cid.as_str() == id => Some(pid.clone()),
        _ => None,
    })
}

fn drain(reports: &mut mpsc::UnboundedReceiver<String>) -> Vec<String> {
    std::iter::from_fn(|| reports.try_recv().ok()).collect()
}

async fn sub_supervisor(app: &SupervisorRef, id: &str) -> SupervisorRef {
    let children = app.which_children().await.expect("which_children");
    let pid = running(&children, id).expect("the child runs");
    SupervisorRef::from_actor_ref(pid.downcast::<Supervisor>().expect("a supervisor"))
}

#[tokio::main]
async fn main() {
    otp_actors::brief_panics();
    let (tx, mut reports) = mpsc::unbounded_channel();
    let names = Registry::<&'static str, ()>::unique("names").build();

    println!("1. a supervision tree starts");
    println!("   app      one_for_one, at most 3 restarts in 5 s");
    println!("   ├─ names    Registry (unique keys)");
    println!("   ├─ store    Store, named {{via, names, \"store\"}}");
    println!("   └─ workers  one_for_all, at most 1 restart in 5 s");
    println!("      ├─ left");
    println!("      └─ right");
    let store_spec = {
        let (names, tx) = (names.clone(), tx.clone());
        ChildSpec::new("store", move || {
            let start = Store::start_link(tx.clone()).name(names.via("store"));
            async move { started(start.await) }
        })
    };
    let workers = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .intensity(1, Duration::from_secs(5))
        .child(ChildSpec::worker::<Worker>("left", ("left", tx.clone())))
        .child(ChildSpec::worker::<Worker>("right", ("right", tx.clone())))
        .into_child_spec("workers");
    let app = Supervisor::builder()
        .strategy(Strategy::OneForOne)
        .intensity(3, Duration::from_secs(5))
        .child(ChildSpec::new("names", names.start_fn()).child_type(ChildType::Supervisor))
        .child(store_spec)
        .child(workers)
        .start_link()
        .await
        .expect("the tree starts");
    let counts = app.count_children().await.expect("count");
    check(
        counts.active == 3 && counts.supervisors == 2 && counts.workers == 1,
        "app runs names, store and workers",
    );

    println!("\n2. call and cast the store through its registry name");
    let store: ActorRef<Store> = names
        .via("store")
        .whereis_ref::<Store>()
        .ok()
        .flatten()
        .expect("\"store\" is registered");
    store.cast(Put("apples".into(), 3));
    store.cast(Put("pears".into(), 4));
    check(
        store.call(Get("apples".into())).await.ok() == Some(Some(3)),
        "a call sees the casts sent before it (apples = 3)",
    );
    check(
        store.call(Sum).await.ok() == Some(7),
        "a deferred reply answered from another task (sum = 7)",
    );

    println!("\n3. the store crashes inside a call");
    match store.call(Divide("apples".into(), 0)).await {
        Err(CallError::Exit(reason)) => {
            println!("    the caller got: {reason}");
            check(
                matches!(reason, ExitReason::Panic(_)),
                "the panic became the exit reason; the caller did not hang",
            )
        }
        other => check(false, &format!("unexpected reply {other:?}")),
    }
    store.pid().exited().await;
    match store.call(Get("apples".into())).await {
        Err(CallError::NoProc(Get(key))) => check(
            key == "apples",
            "a call to the dead pid fails at once and hands the request back",
        ),
        other => check(false, &format!("unexpected reply {other:?}")),
    }

    println!("\n4. the supervisor restarted it, and the name follows the restart");
    // The supervisor handles the store's EXIT before this later request: the restart is done.
    let restarted = running(&app.which_children().await.expect("children"), "store");
    let again = names
        .via("store")
        .whereis_ref::<Store>()
        .ok()
        .flatten()
        .expect("\"store\" is registered again");
    check(
        again.pid() != store.pid() && Some(again.pid()) == restarted,
        "\"store\" names the new process",
    );
    check(
        again.call(Get("apples".into())).await.ok() == Some(None),
        "the restarted store begins from init's state",
    );
    again.cast(Put("plums".into(), 5));
    check(
        again.call(Sum).await.ok() == Some(5),
        "and serves calls by name",
    );

    println!("\n5. restart intensity escalates");
    drain(&mut reports);
    let workers = sub_supervisor(&app, "workers").await;
    let left =
        running(&workers.which_children().await.expect("children"), "left").expect("left runs");
    println!("  left crashes once: one_for_all restarts left and right");
    left.downcast::<Worker>().expect("a worker").cast(Crash);
    left.exited().await;
    let children = workers.which_children().await.expect("children");
    let left = running(&children, "left").expect("left runs again");
    check(
        drain(&mut reports) == ["left", "right"],
        "left terminated with its error, then right was stopped to restart the pair",
    );
    println!("  left crashes again within 5 s: workers exceeds 1 restart and gives up");
    left.downcast::<Worker>().expect("a worker").cast(Crash);
    let reason = workers.pid().exited().await;
    check(
        reason == ExitReason::Shutdown,
        &format!("workers exited with reason {reason}"),
    );
    let new_workers = sub_supervisor(&app, "workers").await;
    check(
        new_workers.pid() != workers.pid(),
        "app, one level up, restarted the workers subtree",
    );
    check(
        new_workers.count_children().await.map(|c| c.active).ok() == Some(2),
        "with fresh left and right",
    );
    drain(&mut reports);

    println!("\n6. the tree shuts down in order");
    app.stop(ExitReason::Shutdown).await.expect("app stops");
    let order = drain(&mut reports);
    println!("  terminate order: {}", order.join(", "));
    check(
        order == ["right", "left", "store"],
        "children stop in reverse start order, each subtree from its last child",
    );
    check(names.owner().is_none(), "the registry stopped last");
    println!("tour complete");
}
