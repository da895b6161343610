//! Item 5c of the edge hardening, alone in its test binary (other tests open and close
//! descriptors concurrently): a dropped runtime's descriptors are closed, not held by a
//! call timer kept for the thread that made the calls.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod support;

use support::{Ping, spy};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn new_runtime(multi: bool) -> tokio::runtime::Runtime {
    if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }
}

fn run_calls_on_a_new_runtime(multi: bool) {
    let rt = new_runtime(multi);
    rt.block_on(async {
        let (echo, _events) = spy(false).await;
        for _ in 0..50 {
            assert_eq!(echo.call(Ping).await.unwrap(), 42);
        }
        let echo2 = echo.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                assert_eq!(echo2.call(Ping).await.unwrap(), 42);
            }
        })
        .await
        .unwrap();
    });
}

#[test]
fn item5c_a_dropped_runtimes_descriptors_are_not_kept_open_by_a_call_timer() {
    if !std::path::Path::new("/proc/self/fd").exists() {
        return;
    }
    // A first runtime of each kind, with no call, opens what tokio keeps for the whole
    // process (with its `signal` feature on, as the workspace's other crates turn it on:
    // the signal pipe, two descriptors); only then is the count a runtime's own.
    for multi in [true, false] {
        drop(new_runtime(multi));
    }
    let before = open_fds();
    for multi in [true, false, true, false] {
        run_calls_on_a_new_runtime(multi);
        assert_eq!(
            open_fds(),
            before,
            "descriptors left open after a runtime was dropped"
        );
    }
}
