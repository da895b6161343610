//! Helpers shared by the registry tests. The registered actors themselves are
//! `actor_testkit::Probe`s: a probe runs the test's registry calls as itself.
#![allow(
    clippy::unwrap_used,
    dead_code,
    unreachable_pub,
    reason = "test helpers; each test binary uses a different part"
)]

/// Waits until `cond` holds, yielding to the runtime in between (the registry's cleanup is
/// asynchronous by contract; this waits on the observable state, not on a guessed delay).
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never held");
}
