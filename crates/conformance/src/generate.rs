//! The seeded scenario generator: random trees (depth up to 3, up to 6 children per
//! supervisor) with random scripts, random `DynamicSupervisor` scripts and random `Registry`
//! scripts. The same seed always gives the same scenario; its name carries the seed.
//!
//! Every intensity window is an hour, so no generated scenario races the clock: restarts
//! within a script always fall in one window (hand-written scenarios cover expiry with an
//! explicit wait).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::scenario::{
    AutoShutdown, Body, ChildNode, DynEvent, Path, Reason, RegEvent, Restart, Scenario, Shutdown,
    Strategy, SupEvent, SupNode,
};

const PERIOD: u32 = 3600;
const IDS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

/// The scenario of `seed`: about two thirds supervision trees, the rest split between
/// `DynamicSupervisor` and `Registry`.
pub fn scenario(seed: u64) -> Scenario {
    match seed % 6 {
        0 => dynamic(seed),
        1 => registry(seed),
        _ => supervisor(seed),
    }
}

fn pick<T: Copy>(rng: &mut StdRng, weighted: &[(u32, T)]) -> T {
    let total: u32 = weighted.iter().map(|(w, _)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (w, v) in weighted {
        if roll < *w {
            return *v;
        }
        roll -= w;
    }
    weighted[0].1
}

fn restart(rng: &mut StdRng) -> Restart {
    pick(
        rng,
        &[
            (5, Restart::Permanent),
            (3, Restart::Transient),
            (2, Restart::Temporary),
        ],
    )
}

fn worker_shutdown(rng: &mut StdRng) -> Shutdown {
    match rng.random_range(0..10) {
        0..2 => Shutdown::BrutalKill,
        2..9 => Shutdown::Timeout(rng.random_range(1..=50) * 100),
        _ => Shutdown::Infinity,
    }
}

fn reason(rng: &mut StdRng) -> Reason {
    match rng.random_range(0..20) {
        0..3 => Reason::Normal,
        3..6 => Reason::Shutdown,
        6..8 => Reason::ShutdownWith("bye".to_owned()),
        8..11 => Reason::Kill,
        _ => Reason::Crash,
    }
}

fn node(rng: &mut StdRng, depth: u32, max_depth: u32) -> SupNode {
    let auto_shutdown = pick(
        rng,
        &[
            (6, AutoShutdown::Never),
            (2, AutoShutdown::AnySignificant),
            (2, AutoShutdown::AllSignificant),
        ],
    );
    let n = rng.random_range(1..=6);
    let children = IDS[..n]
        .iter()
        .map(|id| {
            let restart = restart(rng);
            let nested = depth + 1 < max_depth && rng.random_bool(0.3);
            let significant = auto_shutdown != AutoShutdown::Never
                && restart != Restart::Permanent
                && rng.random_bool(0.5);
            let (supervisor, shutdown) = if nested {
                let shutdown = if rng.random_bool(0.8) {
                    Shutdown::Infinity
                } else {
                    Shutdown::Timeout(5000)
                };
                (Some(node(rng, depth + 1, max_depth)), shutdown)
            } else {
                (None, worker_shutdown(rng))
            };
            ChildNode {
                id: (*id).to_owned(),
                restart,
                shutdown,
                significant,
                supervisor,
            }
        })
        .collect();
    SupNode {
        strategy: pick(
            rng,
            &[
                (1, Strategy::OneForOne),
                (1, Strategy::OneForAll),
                (1, Strategy::RestForOne),
            ],
        ),
        intensity: rng.random_range(0..=5),
        period: PERIOD,
        auto_shutdown,
        children,
    }
}

/// Every supervisor path and every child path of the tree as generated.
fn paths(
    node: &SupNode,
    at: &Path,
    sups: &mut Vec<(Path, Vec<String>)>,
    all: &mut Vec<(Path, bool)>,
) {
    sups.push((
        at.clone(),
        node.children.iter().map(|c| c.id.clone()).collect(),
    ));
    for child in &node.children {
        let mut p = at.clone();
        p.push(child.id.clone());
        all.push((p.clone(), child.supervisor.is_some()));
        if let Some(sub) = &child.supervisor {
            paths(sub, &p, sups, all);
        }
    }
}

/// A random supervision tree and script.
pub fn supervisor(seed: u64) -> Scenario {
    let mut rng = StdRng::seed_from_u64(seed);
    let max_depth = rng.random_range(1..=3);
    let tree = node(&mut rng, 0, max_depth);
    let (mut sups, mut all) = (Vec::new(), Vec::new());
    paths(&tree, &Vec::new(), &mut sups, &mut all);
    let mut events = Vec::new();
    let mut fresh = 0;
    for _ in 0..rng.random_range(1..=12) {
        let (sup, ids) = sups[rng.random_range(0..sups.len())].clone();
        let id = if ids.is_empty() || rng.random_bool(0.1) {
            "zz".to_owned()
        } else {
            ids[rng.random_range(0..ids.len())].clone()
        };
        let event = match rng.random_range(0..100) {
            0..45 => {
                let (path, is_sup) = all[rng.random_range(0..all.len())].clone();
                let reason = if is_sup {
                    Reason::Kill
                } else {
                    reason(&mut rng)
                };
                SupEvent::Exit { path, reason }
            }
            45..55 => SupEvent::TerminateChild { sup, id },
            55..65 => SupEvent::RestartChild { sup, id },
            65..72 => SupEvent::DeleteChild { sup, id },
            72..84 => {
                let id = if rng.random_bool(0.3) {
                    id
                } else {
                    fresh += 1;
                    format!("n{fresh}")
                };
                let child = ChildNode {
                    id,
                    restart: restart(&mut rng),
                    shutdown: worker_shutdown(&mut rng),
                    significant: false,
                    supervisor: None,
                };
                SupEvent::StartChild { sup, child }
            }
            84..92 => SupEvent::WhichChildren { sup },
            _ => SupEvent::CountChildren { sup },
        };
        events.push(event);
    }
    events.push(SupEvent::Stop);
    Scenario {
        name: format!("gen-sup-{seed}"),
        body: Body::Supervisor { tree, events },
    }
}

/// A random `DynamicSupervisor` script.
pub fn dynamic(seed: u64) -> Scenario {
    let mut rng = StdRng::seed_from_u64(seed);
    let max_children = rng.random_bool(0.3).then(|| rng.random_range(1..=4));
    let intensity = rng.random_range(0..=5);
    let mut events = Vec::new();
    let mut started = 0;
    for _ in 0..rng.random_range(1..=14) {
        let event = match rng.random_range(0..100) {
            _ if started == 0 => None,
            0..45 => Some(DynEvent::Exit {
                child: rng.random_range(1..=started),
                reason: reason(&mut rng),
            }),
            45..60 => Some(DynEvent::TerminateChild {
                child: rng.random_range(1..=started),
            }),
            60..70 => Some(DynEvent::WhichChildren),
            70..80 => Some(DynEvent::CountChildren),
            _ => None,
        };
        events.push(event.unwrap_or_else(|| {
            started += 1;
            DynEvent::StartChild {
                restart: restart(&mut rng),
                shutdown: worker_shutdown(&mut rng),
            }
        }));
    }
    events.push(DynEvent::CountChildren);
    events.push(DynEvent::Stop);
    Scenario {
        name: format!("gen-dyn-{seed}"),
        body: Body::Dynamic {
            max_children,
            intensity,
            period: PERIOD,
            events,
        },
    }
}

/// A random `Registry` script.
pub fn registry(seed: u64) -> Scenario {
    let mut rng = StdRng::seed_from_u64(seed);
    let unique = rng.random_bool(0.5);
    let processes = rng.random_range(1..=4);
    let keys = ["k1", "k2", "k3"];
    let mut events = Vec::new();
    for _ in 0..rng.random_range(1..=16) {
        let p = rng.random_range(1..=processes);
        let key = keys[rng.random_range(0..keys.len())].to_owned();
        events.push(match rng.random_range(0..100) {
            0..40 => RegEvent::Register {
                p,
                key,
                value: rng.random_range(0..100),
            },
            40..52 => RegEvent::Unregister { p, key },
            52..72 => RegEvent::Lookup { key },
            72..82 => RegEvent::Keys { p },
            82..92 => RegEvent::Count,
            _ => RegEvent::Kill { p },
        });
    }
    Scenario {
        name: format!("gen-reg-{seed}"),
        body: Body::Registry {
            unique,
            processes,
            events,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_scenario() {
        for seed in 0..50 {
            assert_eq!(scenario(seed), scenario(seed));
        }
        assert_ne!(supervisor(1), supervisor(2));
    }

    fn depth(node: &SupNode) -> usize {
        1 + node
            .children
            .iter()
            .filter_map(|c| c.supervisor.as_ref().map(depth))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn trees_stay_within_depth_three_and_six_children() {
        let mut deepest = 0;
        for seed in 0..500 {
            if let Body::Supervisor { tree, events } = supervisor(seed).body {
                deepest = deepest.max(depth(&tree));
                assert!(depth(&tree) <= 3);
                assert!(tree.children.len() <= 6);
                assert_eq!(events.last(), Some(&SupEvent::Stop));
            }
        }
        assert_eq!(deepest, 3, "depth three is reached");
    }
}
