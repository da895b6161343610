//! A supervision tree run as a service (`Application`): stopped on request, on SIGTERM, or
//! killed at its deadline; a tree that gives up says which supervisor, child and reason.
//! Its own test binary: it installs signal handlers and sends this process a signal.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use std::time::Duration;

use actor_core::{Actor, ExitReason};
use actor_supervisor::{Application, ChildSpec, Ended, RestartLimit, Shutdown, Supervisor};
use support::*;

#[tokio::test]
async fn a_requested_shutdown_stops_the_tree_in_order() {
    let (p, mut ev) = probe();
    let tree = Supervisor::builder().child(p.spec("a")).child(p.spec("b"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = Application::new(tree).stop_on_signals(false);
    let running = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    take(&mut ev, 2).await;
    stop.send(()).unwrap();
    let outcome = running.await.unwrap().unwrap();
    assert_eq!(outcome.ended, Ended::Requested);
    assert!(!outcome.killed_at_deadline);
    assert_eq!(
        take(&mut ev, 2).await,
        [
            terminated("b", ExitReason::Shutdown),
            terminated("a", ExitReason::Shutdown)
        ]
    );
}

#[tokio::test]
async fn a_tree_that_gives_up_names_the_supervisor_the_child_and_the_reason() {
    let (p, _ev) = probe();
    // The store's handle, from its start function (other tests of this binary run workers
    // of the same type at the same time).
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let args = p.args("store");
    let store_spec = ChildSpec::new("store", move || {
        let (args, started_tx) = (args.clone(), started_tx.clone());
        async move {
            let started = W::start_link(args).await;
            if let Ok(w) = &started {
                let _ = started_tx.send(w.clone());
            }
            actor_supervisor::started(started)
        }
    });
    let tree = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(store_spec);
    let running = tokio::spawn(Application::new(tree).stop_on_signals(false).run());
    let store = started_rx.recv().await.unwrap();
    store.cast(Die(ExitReason::msg("disk full")));
    let outcome = running.await.unwrap().unwrap();
    let Ended::TreeExited {
        reason,
        restart_limit: Some(limit),
    } = outcome.ended
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(reason, ExitReason::Shutdown);
    let RestartLimit { child, reason, .. } = limit;
    assert_eq!(child.unwrap().as_str(), "store");
    assert_eq!(reason, "error: disk full");
}

#[tokio::test(start_paused = true)]
async fn a_tree_that_does_not_stop_in_time_is_killed_at_the_deadline() {
    let (p, mut ev) = probe();
    let stubborn =
        ChildSpec::worker::<Stubborn>("stubborn", p.clone()).shutdown(Shutdown::Infinity);
    let tree = Supervisor::builder().child(stubborn);
    let app = Application::new(tree)
        .stop_on_signals(false)
        .shutdown_timeout(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    let outcome = app
        .run_until(async {
            take(&mut ev, 1).await;
        })
        .await
        .unwrap();
    assert_eq!(outcome.ended, Ended::Requested);
    assert!(outcome.killed_at_deadline);
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test]
async fn sigterm_stops_the_application() {
    let (p, mut ev) = probe();
    let tree = Supervisor::builder().child(p.spec("a"));
    let running = tokio::spawn(Application::new(tree).run());
    take(&mut ev, 1).await;
    // The handlers are installed before the tree runs: the child started, so they are.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let outcome = running.await.unwrap().unwrap();
    assert_eq!(outcome.ended, Ended::Signal("SIGTERM"));
    assert_eq!(
        take(&mut ev, 1).await,
        [terminated("a", ExitReason::Shutdown)]
    );
}
