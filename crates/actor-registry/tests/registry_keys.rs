//! Registry with unique and duplicate keys (R-REG-2 … R-REG-10), each run with 1 and 8
//! partitions: partitions never change behaviour.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use actor_testkit::Probe;

use actor_core::ExitReason;
use actor_registry::{Registry, RegistryError, RegistryEvent};
use support::*;

type Reg = Registry<String, u32>;

fn k(s: &str) -> String {
    s.to_string()
}

async fn unique(partitions: usize) -> Reg {
    Registry::unique("u")
        .partitions(partitions)
        .start_link()
        .await
        .unwrap()
}

async fn duplicate(partitions: usize) -> Reg {
    Registry::duplicate("d")
        .partitions(partitions)
        .start_link()
        .await
        .unwrap()
}

#[tokio::test]
async fn unique_register_clashes_and_a_dead_holder_is_replaced() {
    for parts in [1, 8] {
        let reg = unique(parts).await;
        let (a, b) = (
            Probe::start_untrapped().await,
            Probe::start_untrapped().await,
        );
        let r = reg.clone();
        let owner = a.run(async move { r.register(k("key"), 1) }).await.unwrap();
        assert_eq!(Some(owner), reg.owner(), "register returns the owner's pid");
        let r = reg.clone();
        assert_eq!(
            b.run(async move { r.register(k("key"), 2) }).await,
            Err(RegistryError::AlreadyRegistered(a.pid()))
        );
        let r = reg.clone();
        assert_eq!(
            a.run(async move { r.register(k("key"), 3) }).await,
            Err(RegistryError::AlreadyRegistered(a.pid())),
            "even the caller itself"
        );
        a.pid().kill();
        a.pid().exited().await;
        // A dead holder is absent at once for whereis and for a new unique register.
        assert_eq!(reg.whereis(&k("key")), None);
        let r = reg.clone();
        b.run(async move { r.register(k("key"), 2) }).await.unwrap();
        assert_eq!(reg.lookup(&k("key")), vec![(b.pid(), 2)]);
    }
}

#[tokio::test]
async fn register_outside_an_actor_is_an_error() {
    let reg = unique(1).await;
    assert_eq!(reg.register(k("x"), 1), Err(RegistryError::NotInActor));
    let not_started: Reg = Registry::unique("idle").build();
    let m = Probe::start_untrapped().await;
    assert_eq!(
        m.run(async move { not_started.register(k("x"), 1) }).await,
        Err(RegistryError::NotRunning)
    );
}

#[tokio::test]
async fn duplicate_keys_hold_any_number_of_entries() {
    for parts in [1, 8] {
        let reg = duplicate(parts).await;
        let (a, b) = (
            Probe::start_untrapped().await,
            Probe::start_untrapped().await,
        );
        let r = reg.clone();
        a.run(async move {
            r.register(k("topic"), 1).unwrap();
            r.register(k("topic"), 1).unwrap(); // identical entries allowed
            r.register(k("other"), 5).unwrap();
        })
        .await;
        let r = reg.clone();
        b.run(async move { r.register(k("topic"), 2).unwrap() })
            .await;
        let mut got = reg.lookup(&k("topic"));
        got.sort_by_key(|(_, v)| *v);
        assert_eq!(got, vec![(a.pid(), 1), (a.pid(), 1), (b.pid(), 2)]);
        let mut keys = reg.keys(&a.pid());
        keys.sort();
        assert_eq!(keys, [k("other"), k("topic"), k("topic")]);
        assert_eq!(reg.values(&k("topic"), &a.pid()), vec![1, 1]);
        assert_eq!(reg.count(), 4);
        assert_eq!(reg.count_match(&k("topic"), |v| *v > 1), 1);
        assert_eq!(
            reg.match_values(&k("topic"), |v| *v == 2),
            vec![(b.pid(), 2)]
        );
        assert_eq!(reg.count_select(|key, _, v| key == "topic" && *v == 1), 2);
        let sel = reg.select(|_, pid, _| *pid == b.pid());
        assert_eq!(sel, vec![(k("topic"), b.pid(), 2)]);
    }
}

#[tokio::test]
async fn unregister_always_succeeds_and_unregister_match_removes_only_matches() {
    for parts in [1, 8] {
        let reg = duplicate(parts).await;
        let a = Probe::start_untrapped().await;
        let r = reg.clone();
        a.run(async move {
            r.unregister(&k("nothing")).unwrap();
            r.register(k("t"), 1).unwrap();
            r.register(k("t"), 2).unwrap();
            r.register(k("t"), 3).unwrap();
            r.unregister_match(&k("t"), |v| *v >= 2).unwrap();
        })
        .await;
        assert_eq!(reg.values(&k("t"), &a.pid()), vec![1]);
        let r = reg.clone();
        a.run(async move { r.unregister(&k("t")).unwrap() }).await;
        assert!(reg.lookup(&k("t")).is_empty());
        // With no key left the member is unlinked from the owner.
        let owner = reg.owner().unwrap();
        eventually(|| !a.pid().info().links.contains(&owner.id())).await;
    }
}

#[tokio::test]
async fn registering_links_the_caller_to_the_owner() {
    let reg = unique(1).await;
    let a = Probe::start_untrapped().await;
    let r = reg.clone();
    a.run(async move { r.register(k("x"), 1).unwrap() }).await;
    let owner = reg.owner().unwrap();
    eventually(|| a.pid().info().links.contains(&owner.id())).await;
    // R-REG-7: if the owner dies, linked registrants get its exit signal.
    owner.kill();
    assert_eq!(a.pid().exited().await, ExitReason::Killed);
}

#[tokio::test]
async fn entries_are_cleaned_up_after_a_crash_and_after_a_normal_exit() {
    for parts in [1, 8] {
        for reason in [ExitReason::msg("crash"), ExitReason::Normal] {
            let reg = duplicate(parts).await;
            let a = Probe::start_untrapped().await;
            let r = reg.clone();
            a.run(async move {
                r.register(k("x"), 1).unwrap();
                r.register(k("y"), 2).unwrap();
            })
            .await;
            a.actor_ref().stop(reason).await.unwrap();
            a.pid().exited().await;
            // Asynchronous, as in Elixir: the owner removes them when it hears.
            eventually(|| reg.count() == 0).await;
            assert!(reg.keys(&a.pid()).is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_keys_of_a_dead_actor_is_empty_none_of_its_entries_is_left() {
    // Cleanup runs on the owner's task while this test reads on another thread: the pid's
    // index is removed last, so an empty `keys` means `count` and `lookup` see nothing of it.
    for parts in [1, 8] {
        let reg = duplicate(parts).await;
        let a = Probe::start_untrapped().await;
        let r = reg.clone();
        a.run(async move {
            for i in 0..2000 {
                r.register(format!("k{i}"), i).unwrap();
            }
        })
        .await;
        assert_eq!(reg.count(), 2000);
        a.actor_ref().stop(ExitReason::msg("crash")).await.unwrap();
        a.pid().exited().await;
        while !reg.keys(&a.pid()).is_empty() {
            tokio::task::yield_now().await;
        }
        assert_eq!(reg.count(), 0, "{parts} partitions");
        assert!(reg.lookup(&k("k1999")).is_empty());
    }
}

#[tokio::test]
async fn dispatch_calls_the_function_in_the_caller_only_when_there_are_entries() {
    for parts in [1, 8] {
        let reg = duplicate(parts).await;
        let mut calls = 0;
        reg.dispatch(&k("topic"), |_| calls += 1);
        assert_eq!(calls, 0, "no entries: not called");
        let mut members = Vec::new();
        for i in 0..5 {
            let m = Probe::start_untrapped().await;
            let r = reg.clone();
            m.run(async move { r.register(k("topic"), i).unwrap() })
                .await;
            members.push(m);
        }
        let mut seen = Vec::new();
        reg.dispatch(&k("topic"), |entries| {
            seen.extend(entries.iter().map(|(_, v)| *v))
        });
        seen.sort();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        // Parallel: one task per partition holding entries.
        let total = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let t = total.clone();
        reg.dispatch_parallel(&k("topic"), move |entries| {
            t.fetch_add(
                entries.iter().map(|(_, v)| *v).sum::<u32>(),
                std::sync::atomic::Ordering::SeqCst,
            );
        })
        .await;
        assert_eq!(total.load(std::sync::atomic::Ordering::SeqCst), 10);
    }
}

#[tokio::test]
async fn update_value_is_for_the_unique_holder_only() {
    let reg = unique(1).await;
    let (a, b) = (
        Probe::start_untrapped().await,
        Probe::start_untrapped().await,
    );
    let r = reg.clone();
    a.run(async move { r.register(k("x"), 1).unwrap() }).await;
    let r = reg.clone();
    assert_eq!(
        a.run(async move { r.update_value(&k("x"), |v| v + 10) })
            .await,
        Ok((11, 1))
    );
    let r = reg.clone();
    assert_eq!(
        b.run(async move { r.update_value(&k("x"), |v| v + 1) })
            .await,
        Err(RegistryError::NotRegistered)
    );
    assert_eq!(reg.lookup(&k("x")), vec![(a.pid(), 11)]);
    let dup = duplicate(1).await;
    assert_eq!(
        a.run(async move { dup.update_value(&k("x"), |v| *v) })
            .await,
        Err(RegistryError::NotUnique)
    );
}

#[tokio::test]
async fn meta_values() {
    let reg: Reg = Registry::unique("m")
        .meta("custom", 7_u32)
        .start_link()
        .await
        .unwrap();
    assert_eq!(reg.meta::<u32>("custom"), Some(7));
    assert_eq!(
        reg.meta::<String>("custom"),
        None,
        "typed: another type reads nothing"
    );
    reg.put_meta("label", "hello".to_string());
    assert_eq!(reg.meta::<String>("label").as_deref(), Some("hello"));
    reg.delete_meta("label");
    assert_eq!(reg.meta::<String>("label"), None);
}

#[tokio::test]
async fn listeners_hear_register_and_unregister_but_not_deaths() {
    type Event = RegistryEvent<String, u32>;
    let mut listener = Probe::start().await;
    let reg: Reg = Registry::duplicate("l")
        .listener(listener.actor_ref().clone())
        .start_link()
        .await
        .unwrap();
    let a = Probe::start_untrapped().await;
    let r = reg.clone();
    a.run(async move {
        r.register(k("t"), 1).unwrap();
        r.unregister(&k("t")).unwrap();
        r.register(k("t"), 2).unwrap();
    })
    .await;
    match listener.assert_receive(|_: &Event| true).await {
        RegistryEvent::Register {
            key,
            pid,
            value,
            registry,
        } => {
            assert_eq!((key, pid, value, &*registry), (k("t"), a.pid(), 1, "l"));
        }
        other => panic!("unexpected {other:?}"),
    }
    listener
        .assert_receive(
            |e: &Event| matches!(e, RegistryEvent::Unregister { pid, .. } if *pid == a.pid()),
        )
        .await;
    listener
        .assert_receive(|e: &Event| matches!(e, RegistryEvent::Register { value: 2, .. }))
        .await;
    let a = a.pid();
    a.kill();
    a.exited().await;
    eventually(|| reg.count() == 0).await;
    // Nothing is sent when a registered actor dies.
    listener.refute_receive(|_: &Event| true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_of_one_unique_key_have_exactly_one_winner() {
    for parts in [1, 2, 8] {
        for round in 0..20 {
            let reg = unique(parts).await;
            let mut members = Vec::new();
            for _ in 0..8 {
                members.push(Probe::start_untrapped().await);
            }
            let key = format!("race-{round}");
            let mut tasks = Vec::new();
            for m in &members {
                let (pid, r, key) = (m.pid(), reg.clone(), key.clone());
                let register = m.run(async move { r.register(key, 0) });
                tasks.push(tokio::spawn(async move { (pid, register.await) }));
            }
            let mut winners = Vec::new();
            let mut losers = Vec::new();
            for t in tasks {
                match t.await.unwrap() {
                    (pid, Ok(_)) => winners.push(pid),
                    (_, Err(RegistryError::AlreadyRegistered(holder))) => losers.push(holder),
                    (_, Err(e)) => panic!("unexpected {e:?}"),
                }
            }
            assert_eq!(winners.len(), 1, "exactly one winner");
            assert!(
                losers.iter().all(|h| *h == winners[0]),
                "every loser names the winner"
            );
            assert_eq!(reg.lookup(&key).len(), 1);
        }
    }
}
