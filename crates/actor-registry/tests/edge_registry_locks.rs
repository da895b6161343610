//! Item 4 of the edge hardening: no user closure runs under a lock of the registry, so a
//! closure may use the registry itself. On the old code each of these deadlocked a runtime
//! worker; they run on their own runtime here, watched from outside, so that a regression
//! fails the test instead of hanging it.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use actor_testkit::Probe;

use std::time::Duration;

use actor_registry::Registry;

type Reg = Registry<String, u32>;

/// Runs `body` on a runtime of its own, failing if it has not finished in 20 s.
fn bounded(what: &'static str, body: impl FnOnce(Reg) + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let reg: Reg = Registry::unique("locks").start_link().await.unwrap();
            let m = Probe::start_untrapped().await;
            let r = reg.clone();
            m.run(async move { body(r) }).await;
        });
        let _ = done.send(());
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(20)).is_ok(),
        "{what}: a closure that uses the registry deadlocked"
    );
}

fn k(s: &str) -> String {
    s.to_owned()
}

#[test]
fn item4_update_value_runs_its_closure_outside_the_lock() {
    bounded("update_value", |reg| {
        reg.register(k("a"), 1).unwrap();
        let r = reg.clone();
        let (new, old) = reg
            .update_value(&k("a"), |v| v + r.lookup(&k("a")).len() as u32)
            .unwrap();
        assert_eq!((new, old), (2, 1));
        assert_eq!(
            reg.values(&k("a"), &actor_core::self_pid().unwrap()),
            vec![2]
        );
    });
}

#[test]
fn item4_unregister_match_runs_its_predicate_outside_the_lock() {
    bounded("unregister_match", |reg| {
        reg.register(k("a"), 1).unwrap();
        let r = reg.clone();
        reg.unregister_match(&k("a"), |v| *v == 1 && r.lookup(&k("a")).len() == 1)
            .unwrap();
        assert!(reg.lookup(&k("a")).is_empty());
    });
}

#[test]
fn item4_select_and_count_select_run_their_predicates_outside_the_lock() {
    bounded("select", |reg| {
        reg.register(k("a"), 1).unwrap();
        reg.register(k("b"), 2).unwrap();
        let r = reg.clone();
        // The predicate even writes to the registry (the caller's own entry).
        let picked = reg.select(|key, _, _| {
            r.update_value(&k("a"), |v| v + 10).unwrap();
            key == "b"
        });
        assert_eq!(picked.len(), 1);
        let r = reg.clone();
        assert_eq!(reg.count_select(|key, _, _| !r.lookup(key).is_empty()), 2);
    });
}
