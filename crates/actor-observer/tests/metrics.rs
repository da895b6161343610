//! The observer's metrics through the facade (issue 22): gauges sampled per actor type and
//! supervisor events counted per supervisor path and child.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

mod support;

use actor_observer::Observer;
use actor_observer::metrics::{ACTORS_LIVE, CHILD_EXITS, MAILBOX_DEPTH, RESTARTS};
use actor_supervisor::{ChildSpec, Supervisor, SupervisorEventKind, subscribe};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use support::{Crash, Worker};

#[test]
fn gauges_per_type_and_restarts_per_supervisor_path() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let mut sup_path = String::new();
    metrics::with_local_recorder(&recorder, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let top = Supervisor::builder()
                .child(ChildSpec::worker::<Worker>("w", ()))
                .start_link()
                .await
                .unwrap();
            sup_path = top.pid().to_string();
            let (_router, stop) = Observer::new()
                .root(top.pid())
                .sample_metrics(Duration::from_secs(1))
                .into_router();
            // The observer has looked at the tree (paths known) once the clock moves on.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut events = subscribe();
            let w = top.inspect().await.unwrap().children[0]
                .state
                .pid()
                .cloned()
                .unwrap();
            w.downcast::<Worker>().unwrap().cast(Crash);
            loop {
                let e = events.recv().await.unwrap();
                if matches!(e.kind, SupervisorEventKind::ChildRestarted { .. }) {
                    break;
                }
            }
            // Virtual time: every task runs until idle, then the clock jumps to the next
            // sample.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            stop.stop();
        });
    });
    let series: Vec<_> = snapshotter.snapshot().into_vec();
    let find = |name: &str, label: (&str, &str)| {
        series
            .iter()
            .find(|(key, ..)| {
                key.key().name() == name
                    && key
                        .key()
                        .labels()
                        .any(|l| l.key() == label.0 && l.value() == label.1)
            })
            .map(|(_, _, _, v)| v)
    };
    let worker_type = std::any::type_name::<Worker>();
    assert!(
        matches!(find(ACTORS_LIVE, ("actor_type", worker_type)), Some(DebugValue::Gauge(g)) if g.into_inner() >= 1.0)
    );
    assert!(find(MAILBOX_DEPTH, ("actor_type", worker_type)).is_some());
    assert_eq!(
        find(RESTARTS, ("supervisor", &sup_path)),
        Some(&DebugValue::Counter(1))
    );
    assert_eq!(
        find(CHILD_EXITS, ("child", "w")),
        Some(&DebugValue::Counter(1))
    );
}
