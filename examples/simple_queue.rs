//! Seed 003, "OTP Supervisors" (elixirschool): `SimpleQueue` under a `Supervisor` with each
//! strategy, a child spec with every field the lesson lists (id, start, shutdown, restart,
//! type), the same queue under a `DynamicSupervisor`, and background work under a task
//! supervisor.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example simple_queue
//! ```
//!
//! It prints a transcript and exits non-zero if a check fails.

use std::time::Duration;

use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError, Pid};
use actor_registry::LocalRegistry;
use actor_supervisor::{
    Child, ChildSpec, ChildType, DynamicSupervisor, Restart, Shutdown, Strategy, Supervisor,
    SupervisorRef, TaskSupervisor, started,
};
use otp_actors::check;

/// `use GenServer`: the derived child spec is `%{id: SimpleQueue, start: {SimpleQueue,
/// :start_link, [args]}}` with the defaults (permanent, 5 s, worker).
#[derive(Child)]
struct SimpleQueue {
    items: Vec<i64>,
}

struct Queue;
struct Enqueue(i64);
struct Dequeue;
struct Crash;

impl Actor for SimpleQueue {
    type Args = Vec<i64>;
    async fn init(items: Vec<i64>, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(SimpleQueue { items })
    }
}

impl Call<Queue> for SimpleQueue {
    type Reply = Vec<i64>;
    async fn handle_call(&mut self, _: Queue, _: &mut Context<Self>) -> CallReply<Vec<i64>> {
        CallReply::Reply(self.items.clone())
    }
}

impl Call<Dequeue> for SimpleQueue {
    type Reply = Option<i64>;
    async fn handle_call(&mut self, _: Dequeue, _: &mut Context<Self>) -> CallReply<Option<i64>> {
        if self.items.is_empty() {
            CallReply::Reply(None)
        } else {
            CallReply::Reply(Some(self.items.remove(0)))
        }
    }
}

impl Cast<Enqueue> for SimpleQueue {
    async fn handle_cast(&mut self, Enqueue(x): Enqueue, _: &mut Context<Self>) -> Flow {
        self.items.push(x);
        Flow::Ok
    }
}

impl Cast<Crash> for SimpleQueue {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(ExitReason::msg("crash"))
    }
}

/// The lesson's hand-written `child_spec/1`: every field spelled out, and registered under a
/// local name so it can be reached after restarts (`name: SimpleQueue`).
fn child_spec(id: &str, items: Vec<i64>, names: &LocalRegistry) -> ChildSpec {
    let name = names.name(id);
    ChildSpec::new(id, move || {
        let (items, name) = (items.clone(), name.clone());
        async move { started(SimpleQueue::start_link(items).name(name).await) }
    })
    .shutdown(Shutdown::Timeout(Duration::from_millis(5_000)))
    .restart(Restart::Permanent)
    .child_type(ChildType::Worker)
}

async fn running(sup: &SupervisorRef) -> Vec<(String, Pid)> {
    let mut v: Vec<(String, Pid)> = sup
        .which_children()
        .await
        .expect("which_children")
        .into_iter()
        .filter_map(|c| Some((c.id?.to_string(), c.pid.pid()?.clone())))
        .collect();
    v.reverse();
    v
}

/// Crashes `id` and waits until the supervisor has restarted it; returns the pids before and
/// after for every child.
async fn crash_and_settle(
    sup: &SupervisorRef,
    names: &LocalRegistry,
    id: &str,
) -> (Vec<(String, Pid)>, Vec<(String, Pid)>) {
    let before = running(sup).await;
    let victim = names.whereis(id).expect("the queue runs");
    victim
        .downcast::<SimpleQueue>()
        .expect("a queue")
        .cast(Crash);
    victim.exited().await;
    loop {
        let after = running(sup).await;
        if after.len() == before.len() && after.iter().all(|(_, p)| *p != victim) {
            return (before, after);
        }
        tokio::task::yield_now().await;
    }
}

fn restarted(before: &[(String, Pid)], after: &[(String, Pid)]) -> Vec<String> {
    before
        .iter()
        .zip(after)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((id, _), _)| id.clone())
        .collect()
}

#[tokio::main]
async fn main() {
    otp_actors::brief_panics();
    println!("Supervisor.start_link([{{SimpleQueue, [1, 2, 3]}}], strategy: :one_for_one)");
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForOne)
        .child(SimpleQueue::child_spec(vec![1, 2, 3]))
        .start_link()
        .await
        .expect("the supervisor starts");
    let queue: actor_core::ActorRef<SimpleQueue> = running(&sup).await[0]
        .1
        .downcast()
        .expect("the child is the queue");
    let items = queue.call(Queue).await.expect("queue");
    println!("  SimpleQueue.queue -> {items:?}");
    check(
        items == [1, 2, 3],
        "the queue was started by the supervisor with [1, 2, 3]",
    );
    queue.cast(Enqueue(4));
    check(
        queue.call(Dequeue).await.ok() == Some(Some(1)),
        "dequeue returns the head",
    );
    sup.stop(ExitReason::Normal).await.expect("stop");

    for strategy in [
        Strategy::OneForOne,
        Strategy::OneForAll,
        Strategy::RestForOne,
    ] {
        println!("\nstrategy {strategy:?}: three queues, the second one crashes");
        let names = LocalRegistry::new();
        let sup = Supervisor::builder()
            .strategy(strategy)
            .child(child_spec("q1", vec![1], &names))
            .child(child_spec("q2", vec![2], &names))
            .child(child_spec("q3", vec![3], &names))
            .start_link()
            .await
            .expect("the supervisor starts");
        let (before, after) = crash_and_settle(&sup, &names, "q2").await;
        let again = restarted(&before, &after);
        println!("  restarted: {again:?}");
        let expected: &[&str] = match strategy {
            Strategy::OneForOne => &["q2"],
            Strategy::OneForAll => &["q1", "q2", "q3"],
            Strategy::RestForOne => &["q2", "q3"],
        };
        check(
            again == expected,
            &format!("{strategy:?} restarted {expected:?}"),
        );
        let q2 = names
            .whereis_ref::<SimpleQueue>("q2")
            .expect("q2 is back under its name");
        check(
            q2.call(Queue).await.ok() == Some(vec![2]),
            "the restarted queue starts from its spec's arguments",
        );
        let spec = sup.child_spec("q2").await.expect("child_spec");
        check(
            spec.get_restart() == Restart::Permanent
                && spec.get_shutdown() == Shutdown::Timeout(Duration::from_secs(5))
                && spec.get_child_type() == ChildType::Worker,
            "the child spec holds id, start, shutdown, restart and type",
        );
        sup.stop(ExitReason::Shutdown).await.expect("stop");
    }

    println!(
        "\nDynamicSupervisor.start_link(strategy: :one_for_one); start_child(SimpleQueue.Supervisor, SimpleQueue)"
    );
    let dynamic = DynamicSupervisor::builder()
        .start_link()
        .await
        .expect("dynamic supervisor");
    let pid = dynamic
        .start_child(SimpleQueue::child_spec(vec![]))
        .await
        .expect("start_child")
        .expect("a pid");
    let q: actor_core::ActorRef<SimpleQueue> = pid.downcast().expect("a queue");
    q.cast(Enqueue(9));
    check(
        q.call(Queue).await.ok() == Some(vec![9]),
        "a queue started on demand works",
    );
    check(
        dynamic.count_children().await.map(|c| c.active).ok() == Some(1),
        "the dynamic supervisor counts it",
    );
    dynamic.stop(ExitReason::Shutdown).await.expect("stop");

    println!("\nTask.Supervisor: start_child(fn -> background_work end), restart: :transient");
    let tasks = TaskSupervisor::builder()
        .start_link()
        .await
        .expect("task supervisor");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let a = attempts.clone();
    tasks
        .start_child_with(
            move || {
                let (tx, a) = (tx.clone(), a.clone());
                async move {
                    // Fails the first time; transient means it is restarted after the crash.
                    let n = a.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    assert!(n > 0, "the first attempt hits a transient error");
                    let _ = tx.send("background work done");
                }
            },
            Restart::Transient,
            Shutdown::Timeout(Duration::from_secs(5)),
        )
        .await
        .expect("start_child");
    let done = rx.recv().await;
    println!("  {}", done.unwrap_or_default());
    check(
        attempts.load(std::sync::atomic::Ordering::SeqCst) == 2,
        "the crashed task was restarted and then finished",
    );
    let answer = tasks
        .async_nolink(async { 6 * 7 })
        .await
        .expect("async_nolink");
    check(
        answer.await_result().await.ok() == Some(42),
        "async_nolink + await returns the task's result",
    );
    tasks.stop(ExitReason::Shutdown).await.expect("stop");
    println!("simple queue complete");
}
