//! Stopping children (R-SHUT-2, R-SHUT-3, R-SHUT-4).

use std::collections::HashMap;

use actor_core::{ExitReason, Pid};

use crate::spec::{Restart, Shutdown};

/// Stops one child per its shutdown spec and returns the reason it exited with. The caller
/// has unlinked it already, so its exit is not also seen as an `Exit` message.
pub(crate) async fn stop_child(pid: &Pid, shutdown: Shutdown, restart: Restart) -> ExitReason {
    let reason = match shutdown {
        Shutdown::BrutalKill => {
            pid.kill();
            pid.exited().await
        }
        Shutdown::Timeout(after) => {
            pid.exit(ExitReason::Shutdown);
            match tokio::time::timeout(after, pid.exited()).await {
                Ok(reason) => reason,
                Err(_) => {
                    pid.kill();
                    pid.exited().await
                }
            }
        }
        Shutdown::Infinity => {
            pid.exit(ExitReason::Shutdown);
            pid.exited().await
        }
    };
    let expected = match (shutdown, &reason) {
        (Shutdown::BrutalKill, ExitReason::Killed) => true,
        (Shutdown::Timeout(_) | Shutdown::Infinity, ExitReason::Shutdown) => true,
        // A child that does not trap exits is killed by the timeout; OTP logs that too, but it
        // is what brutal_kill-after-timeout means, so it is not an error.
        (Shutdown::Timeout(_), ExitReason::Killed) => true,
        (_, r) if restart != Restart::Permanent && r.is_benign() => true,
        _ => false,
    };
    if !expected {
        tracing::warn!(child = %pid, %reason, "shutdown_error: child exited with an unexpected reason");
    }
    reason
}

/// Stops many children at once (dynamic supervisors, R-SHUT-4): every child is signalled at
/// once; one timer per distinct shutdown value; when it fires the rest are killed.
pub(crate) async fn stop_all_at_once(children: Vec<(Pid, Shutdown)>) {
    let mut groups: HashMap<Shutdown, Vec<Pid>> = HashMap::new();
    for (pid, shutdown) in children {
        match shutdown {
            Shutdown::BrutalKill => pid.kill(),
            _ => pid.exit(ExitReason::Shutdown),
        }
        groups.entry(shutdown).or_default().push(pid);
    }
    let mut waits = tokio::task::JoinSet::new();
    for (shutdown, pids) in groups {
        waits.spawn(async move {
            let all = async {
                for pid in &pids {
                    pid.exited().await;
                }
            };
            match shutdown {
                Shutdown::Timeout(after) => {
                    if tokio::time::timeout(after, all).await.is_err() {
                        for pid in &pids {
                            pid.kill();
                        }
                        for pid in &pids {
                            pid.exited().await;
                        }
                    }
                }
                Shutdown::BrutalKill | Shutdown::Infinity => all.await,
            }
        });
    }
    while waits.join_next().await.is_some() {}
}
