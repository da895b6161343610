//! Property test: random sequences of child crashes, normal exits and admin calls against a
//! pure model of R-RST-1/2 and R-SUP-5/6/7; after every step the supervisor's observable state
//! (which children exist, which run, which were restarted) matches the model.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use actor_core::{ActorId, ExitReason};
use actor_supervisor::{
    ChildError, ChildPid, ChildSpec, Restart, Strategy, Supervisor, SupervisorRef,
};
use proptest::prelude::{Just, ProptestConfig, prop_oneof, proptest};
use proptest::strategy::Strategy as _;
use support::*;

const IDS: [&str; 5] = ["c0", "c1", "c2", "c3", "c4"];

#[derive(Clone, Debug)]
enum Op {
    Exit(usize, u8), // child, reason kind: 0 normal, 1 shutdown, 2 crash
    Terminate(usize),
    Restart(usize),
    Delete(usize),
}

#[derive(Clone, Debug, PartialEq)]
struct ModelChild {
    id: &'static str,
    restart: Restart,
    running: bool,
    generation: u32,
}

#[derive(Debug)]
struct Model {
    strategy: Strategy,
    children: Vec<ModelChild>,
}

/// What the API call returned, reduced to what the model predicts.
#[derive(Debug, PartialEq)]
enum Res {
    Ok,
    NotFound,
    Running,
    Skipped,
}

impl Model {
    fn pos(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| c.id == id)
    }

    fn exit(&mut self, id: &str, reason: &ExitReason) -> Res {
        let Some(i) = self.pos(id) else {
            return Res::Skipped;
        };
        if !self.children[i].running {
            return Res::Skipped;
        }
        self.children[i].running = false;
        match (self.children[i].restart, reason.is_benign()) {
            (Restart::Temporary, _) => {
                self.children.remove(i);
            }
            (Restart::Transient, true) => {}
            _ => {
                let range = match self.strategy {
                    Strategy::OneForOne => i..i + 1,
                    Strategy::OneForAll => 0..self.children.len(),
                    Strategy::RestForOne => i..self.children.len(),
                };
                let affected: Vec<&'static str> =
                    self.children[range].iter().map(|c| c.id).collect();
                self.children.retain(|c| {
                    c.id == id || c.restart != Restart::Temporary || !affected.contains(&c.id)
                });
                for c in self
                    .children
                    .iter_mut()
                    .filter(|c| affected.contains(&c.id))
                {
                    c.running = true;
                    c.generation += 1;
                }
            }
        }
        Res::Ok
    }

    fn terminate(&mut self, id: &str) -> Res {
        let Some(i) = self.pos(id) else {
            return Res::NotFound;
        };
        self.children[i].running = false;
        if self.children[i].restart == Restart::Temporary {
            self.children.remove(i);
        }
        Res::Ok
    }

    fn restart(&mut self, id: &str) -> Res {
        let Some(i) = self.pos(id) else {
            return Res::NotFound;
        };
        if self.children[i].running {
            return Res::Running;
        }
        self.children[i].running = true;
        self.children[i].generation += 1;
        Res::Ok
    }

    fn delete(&mut self, id: &str) -> Res {
        let Some(i) = self.pos(id) else {
            return Res::NotFound;
        };
        if self.children[i].running {
            return Res::Running;
        }
        self.children.remove(i);
        Res::Ok
    }
}

fn res<T>(r: Result<T, ChildError>) -> Res {
    match r {
        Ok(_) => Res::Ok,
        Err(ChildError::NotFound) => Res::NotFound,
        Err(ChildError::Running) => Res::Running,
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// The real state: start order, running or not, and the pid when running.
async fn observe(sup: &SupervisorRef) -> Vec<(String, Option<ActorId>)> {
    let mut v: Vec<_> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            let pid = match c.pid {
                ChildPid::Running(p) => Some(p.id()),
                ChildPid::Undefined => None,
                ChildPid::Restarting => panic!("no start fails in this model"),
            };
            (c.id.unwrap().to_string(), pid)
        })
        .collect();
    v.reverse();
    v
}

async fn run(strategy: Strategy, restarts: Vec<Restart>, ops: Vec<Op>) {
    let (p, _ev) = probe();
    let mut builder = Supervisor::builder()
        .strategy(strategy)
        .intensity(10_000, Duration::from_secs(3600));
    let mut model = Model {
        strategy,
        children: Vec::new(),
    };
    for (i, restart) in restarts.iter().enumerate() {
        builder = builder.child(
            p.spec(IDS[i])
                .restart(*restart)
                .shutdown(actor_supervisor::Shutdown::BrutalKill),
        );
        model.children.push(ModelChild {
            id: IDS[i],
            restart: *restart,
            running: true,
            generation: 0,
        });
    }
    let sup = builder.start_link().await.unwrap();
    // generation → pid seen, per id
    let mut pids: HashMap<(&'static str, u32), ActorId> = HashMap::new();
    for (step, op) in ops.into_iter().enumerate() {
        let (expected, got) = match op {
            Op::Exit(i, kind) => {
                let id = IDS[i % IDS.len()];
                let reason = match kind % 3 {
                    0 => ExitReason::Normal,
                    1 => ExitReason::Shutdown,
                    _ => ExitReason::msg("crash"),
                };
                let running = observe(&sup)
                    .await
                    .into_iter()
                    .find(|(cid, pid)| cid == id && pid.is_some());
                let expected = model.exit(id, &reason);
                let got = if running.is_some() {
                    let pid = pid_of(&sup, id).await;
                    pid.downcast::<W>().unwrap().cast(Die(reason));
                    pid.exited().await;
                    Res::Ok
                } else {
                    Res::Skipped
                };
                (expected, got)
            }
            Op::Terminate(i) => (
                model.terminate(IDS[i % 5]),
                res(sup.terminate_child(IDS[i % 5]).await),
            ),
            Op::Restart(i) => (
                model.restart(IDS[i % 5]),
                res(sup.restart_child(IDS[i % 5]).await),
            ),
            Op::Delete(i) => (
                model.delete(IDS[i % 5]),
                res(sup.delete_child(IDS[i % 5]).await),
            ),
        };
        assert_eq!(expected, got, "step {step}: API result");
        let real = observe(&sup).await;
        let ids: Vec<&str> = real.iter().map(|(id, _)| id.as_str()).collect();
        let model_ids: Vec<&str> = model.children.iter().map(|c| c.id).collect();
        assert_eq!(ids, model_ids, "step {step}: children in start order");
        for (c, (_, pid)) in model.children.iter().zip(&real) {
            assert_eq!(c.running, pid.is_some(), "step {step}: {} running", c.id);
            if let Some(pid) = pid {
                // Same generation ⇔ same pid: restarts happen exactly where the model says.
                let seen = *pids.entry((c.id, c.generation)).or_insert(*pid);
                assert_eq!(
                    seen, *pid,
                    "step {step}: {} restarted when the model says not",
                    c.id
                );
                for g in 0..c.generation {
                    if let Some(old) = pids.get(&(c.id, g)) {
                        assert_ne!(
                            old, pid,
                            "step {step}: {} not restarted when the model says so",
                            c.id
                        );
                    }
                }
            }
        }
    }
    sup.stop(ExitReason::Shutdown).await.unwrap();
}

fn restart_strategy() -> impl proptest::strategy::Strategy<Value = Restart> {
    prop_oneof![
        Just(Restart::Permanent),
        Just(Restart::Transient),
        Just(Restart::Temporary)
    ]
}

fn op_strategy() -> impl proptest::strategy::Strategy<Value = Op> {
    prop_oneof![
        4 => (0..5usize, 0..3u8).prop_map(|(i, k)| Op::Exit(i, k)),
        1 => (0..5usize).prop_map(Op::Terminate),
        1 => (0..5usize).prop_map(Op::Restart),
        1 => (0..5usize).prop_map(Op::Delete),
    ]
}

fn sup_strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        Just(Strategy::OneForOne),
        Just(Strategy::OneForAll),
        Just(Strategy::RestForOne)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn supervisor_matches_the_model(
        strategy in sup_strategy(),
        restarts in proptest::collection::vec(restart_strategy(), 1..=5),
        ops in proptest::collection::vec(op_strategy(), 1..25),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(strategy, restarts, ops));
    }
}

#[test]
fn the_spec_builder_is_deterministic() {
    // A guard that the helper spec keeps ids in order (used by the model above).
    let (p, _ev) = probe();
    let s: Vec<ChildSpec> = IDS.iter().map(|id| p.spec(id)).collect();
    assert_eq!(
        s.iter().map(|c| c.id().to_string()).collect::<Vec<_>>(),
        IDS
    );
}
