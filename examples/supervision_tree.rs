//! A tree of nested supervisors, one per strategy, printing every restart it performs:
//! one_for_one, one_for_all and rest_for_one side by side, then restart intensity escalating
//! to the top, and an ordered shutdown.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example supervision_tree
//! ```
//!
//! It checks what it prints and exits non-zero if the tree misbehaves.

use std::time::Duration;

use actor_core::{Actor, Cast, Context, ExitReason, Flow, InitError, Pid};
use actor_supervisor::{
    Child, ChildPid, ChildSpec, Strategy, Supervisor, SupervisorBuilder, SupervisorRef,
};
use otp_actors::check;
use tokio::sync::mpsc;

/// A worker that reports its starts and stops to the log channel. Its child spec is derived
/// (permanent, 5 s shutdown); each instance gets its own id with `id_as`.
#[derive(Child)]
struct Worker {
    name: &'static str,
    log: mpsc::UnboundedSender<String>,
}

#[derive(Clone)]
struct WorkerArgs {
    name: &'static str,
    log: mpsc::UnboundedSender<String>,
}

/// Makes a worker crash.
struct Crash;

impl Actor for Worker {
    type Args = WorkerArgs;
    async fn init(args: WorkerArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(true); // so terminate runs on shutdown
        let _ = args.log.send(format!("start {}", args.name));
        Ok(Worker {
            name: args.name,
            log: args.log,
        })
    }
    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        let _ = self.log.send(format!("stop  {} ({reason})", self.name));
    }
}

impl Cast<Crash> for Worker {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(ExitReason::msg("crash"))
    }
}

fn worker(name: &'static str, log: &mpsc::UnboundedSender<String>) -> ChildSpec {
    Worker::child_spec(WorkerArgs {
        name,
        log: log.clone(),
    })
    .id_as(name)
}

fn branch(
    strategy: Strategy,
    names: [&'static str; 3],
    log: &mpsc::UnboundedSender<String>,
) -> SupervisorBuilder {
    let mut b = Supervisor::builder()
        .strategy(strategy)
        .intensity(2, Duration::from_secs(10));
    for n in names {
        b = b.child(worker(n, log));
    }
    b
}

async fn child_pid(sup: &SupervisorRef, id: &str) -> Pid {
    let children = sup.which_children().await.expect("which_children");
    children
        .into_iter()
        .find(|c| c.id.as_ref().is_some_and(|i| i.as_str() == id))
        .and_then(|c| match c.pid {
            ChildPid::Running(p) => Some(p),
            _ => None,
        })
        .expect("the child runs")
}

async fn branch_ref(top: &SupervisorRef, id: &str) -> SupervisorRef {
    SupervisorRef::from_actor_ref(child_pid(top, id).await.downcast().expect("a supervisor"))
}

/// Crashes `worker` and returns the log lines produced until the tree has settled.
async fn crash(
    sup: &SupervisorRef,
    worker: &str,
    log: &mut mpsc::UnboundedReceiver<String>,
    expect: usize,
) -> Vec<String> {
    let pid = child_pid(sup, worker).await;
    pid.downcast::<Worker>().expect("a worker").cast(Crash);
    let mut lines = Vec::new();
    while lines.len() < expect {
        lines.push(log.recv().await.expect("log line"));
    }
    lines
}

fn show(lines: &[String]) {
    for l in lines {
        println!("    {l}");
    }
}

#[tokio::main]
async fn main() {
    let (tx, mut log) = mpsc::unbounded_channel();
    println!(
        "starting the tree: top(one_for_one) -> [ofo(one_for_one), ofa(one_for_all), rfo(rest_for_one)]"
    );
    let top = Supervisor::builder()
        .strategy(Strategy::OneForOne)
        .intensity(1, Duration::from_secs(10))
        .child(branch(Strategy::OneForOne, ["a1", "a2", "a3"], &tx).into_child_spec("ofo"))
        .child(branch(Strategy::OneForAll, ["b1", "b2", "b3"], &tx).into_child_spec("ofa"))
        .child(branch(Strategy::RestForOne, ["c1", "c2", "c3"], &tx).into_child_spec("rfo"))
        .start_link()
        .await
        .expect("the tree starts");
    let mut boot = Vec::new();
    for _ in 0..9 {
        boot.push(log.recv().await.unwrap_or_default());
    }
    show(&boot);

    println!("\none_for_one: crash a2 -> only a2 restarts");
    let ofo = branch_ref(&top, "ofo").await;
    let lines = crash(&ofo, "a2", &mut log, 2).await;
    show(&lines);
    check(
        lines == ["stop  a2 (error: crash)", "start a2"],
        "one_for_one restarted only a2",
    );

    println!(
        "\none_for_all: crash b2 -> b3 and b1 stop (newest first), then all three start in order"
    );
    let ofa = branch_ref(&top, "ofa").await;
    let lines = crash(&ofa, "b2", &mut log, 6).await;
    show(&lines);
    check(
        lines
            == [
                "stop  b2 (error: crash)",
                "stop  b3 (shutdown)",
                "stop  b1 (shutdown)",
                "start b1",
                "start b2",
                "start b3",
            ],
        "one_for_all stopped the others in reverse order and restarted all in order",
    );

    println!("\nrest_for_one: crash c2 -> c3 stops, then c2 and c3 start; c1 untouched");
    let rfo = branch_ref(&top, "rfo").await;
    let c1 = child_pid(&rfo, "c1").await;
    let lines = crash(&rfo, "c2", &mut log, 4).await;
    show(&lines);
    check(
        lines
            == [
                "stop  c2 (error: crash)",
                "stop  c3 (shutdown)",
                "start c2",
                "start c3",
            ],
        "rest_for_one restarted c2 and the later c3",
    );
    check(child_pid(&rfo, "c1").await == c1, "c1 kept its pid");

    println!(
        "\nintensity: ofo allows 2 restarts in 10 s; a1 crashes twice more -> ofo gives up, top restarts it"
    );
    let ofo_pid = ofo.pid();
    let mut lines = crash(&ofo, "a1", &mut log, 2).await;
    // The third crash in the window exceeds ofo's intensity: it stops a3, a2 and exits with
    // shutdown; top (permanent child) restarts ofo with all three workers.
    lines.extend(crash(&ofo, "a1", &mut log, 6).await);
    show(&lines);
    check(
        ofo_pid.exited().await == ExitReason::Shutdown,
        "the exhausted branch exited with shutdown",
    );
    check(
        lines[2..]
            == [
                "stop  a1 (error: crash)",
                "stop  a3 (shutdown)",
                "stop  a2 (shutdown)",
                "start a1",
                "start a2",
                "start a3",
            ],
        "it stopped its other children in reverse order, then top restarted the branch afresh",
    );

    println!("\nshutdown: the whole tree stops in reverse start order");
    top.stop(ExitReason::Shutdown).await.expect("stop");
    let mut lines = Vec::new();
    while let Ok(l) = log.try_recv() {
        lines.push(l);
    }
    show(&lines);
    check(
        lines
            == [
                "stop  c3 (shutdown)",
                "stop  c2 (shutdown)",
                "stop  c1 (shutdown)",
                "stop  b3 (shutdown)",
                "stop  b2 (shutdown)",
                "stop  b1 (shutdown)",
                "stop  a3 (shutdown)",
                "stop  a2 (shutdown)",
                "stop  a1 (shutdown)",
            ],
        "branches and workers stopped newest first, one at a time",
    );
    println!("supervision tree complete");
}
