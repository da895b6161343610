//! Item 8 of the edge hardening, alone in its test binary (its memory figure is the
//! process's): register/unregister churn sends the registry's owner nothing, so its mailbox
//! and the process's memory stay flat however many operations run.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use actor_testkit::Probe;

use actor_core::Pid;
use actor_registry::Registry;

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item8_register_unregister_churn_leaves_the_owners_mailbox_and_memory_flat() {
    // On the old code every pair queued a watch and an unwatch message for the owner:
    // 2 M pairs left 1.9 M messages queued and 84 MB.
    const ROUNDS: usize = 10;
    const PAIRS: usize = 100_000;
    let reg: Registry<u64, u64> = Registry::unique("churn").start_link().await.unwrap();
    let owner: Pid = reg.owner().unwrap();
    let m = Probe::start_untrapped().await;
    let mut rss_after_first = None;
    for round in 0..ROUNDS {
        let r = reg.clone();
        m.run(async move {
            for i in 0..PAIRS as u64 {
                r.register(i % 64, i).unwrap();
                r.unregister(&(i % 64)).unwrap();
            }
        })
        .await;
        assert_eq!(
            owner.info().mailbox_len,
            0,
            "round {round}: messages queued for the owner"
        );
        if round == 0 {
            rss_after_first = rss_bytes();
        }
    }
    assert_eq!(reg.count(), 0);
    if let (Some(first), Some(last)) = (rss_after_first, rss_bytes()) {
        let growth = last.saturating_sub(first);
        assert!(
            growth < 8 << 20,
            "memory grew {growth} bytes over {} more pairs",
            (ROUNDS - 1) * PAIRS
        );
    }
    // The member is still linked to the owner only while it holds a key.
    let r = reg.clone();
    m.run(async move { r.register(7, 7).unwrap() }).await;
    assert!(m.pid().info().links.contains(&owner.id()));
    let r = reg.clone();
    m.run(async move { r.unregister(&7).unwrap() }).await;
    assert!(!m.pid().info().links.contains(&owner.id()));
}
