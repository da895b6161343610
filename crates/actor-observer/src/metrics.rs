//! The observer's metrics, through the `metrics` facade (with
//! [`Observer::sample_metrics`](crate::Observer::sample_metrics)). actor-core's own series
//! (call durations, messages handled) come with its `metrics` feature, which this crate
//! turns on.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `actors_live` | gauge | `actor_type` |
//! | `actor_mailbox_depth` | gauge (sum over the type's live actors) | `actor_type` |
//! | `actor_mailbox_depth_max` | gauge | `actor_type` |
//! | `supervisor_child_exits_total` | counter | `supervisor` (its path), `child` |
//! | `supervisor_restarts_total` | counter | `supervisor`, `child` |
//! | `supervisor_give_ups_total` | counter | `supervisor`, `child` |

use std::collections::HashMap;

/// Gauge of live actors per type.
pub const ACTORS_LIVE: &str = "actors_live";
/// Gauge of queued messages per type, summed over its live actors.
pub const MAILBOX_DEPTH: &str = "actor_mailbox_depth";
/// Gauge of the deepest mailbox per type.
pub const MAILBOX_DEPTH_MAX: &str = "actor_mailbox_depth_max";
/// Counter of supervised children's exits.
pub const CHILD_EXITS: &str = "supervisor_child_exits_total";
/// Counter of restarts.
pub const RESTARTS: &str = "supervisor_restarts_total";
/// Counter of supervisors giving up.
pub const GIVE_UPS: &str = "supervisor_give_ups_total";

/// Samples every live actor once: count and mailbox depths per type. Types seen before
/// and gone now are set to zero.
pub(crate) fn sample() {
    #[derive(Default)]
    struct PerType {
        live: usize,
        depth: usize,
        max: usize,
    }
    static SEEN: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut by_type: HashMap<&'static str, PerType> = HashMap::new();
    for pid in actor_core::live_actors() {
        let t = by_type.entry(pid.type_name()).or_default();
        let depth = pid.mailbox_len();
        t.live += 1;
        t.depth += depth;
        t.max = t.max.max(depth);
    }
    // The set of types seen is updated under its lock; the recorder (the application's
    // code) is called after it is released.
    let gone: Vec<&'static str> = {
        let mut seen = SEEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let gone = seen
            .iter()
            .copied()
            .filter(|t| !by_type.contains_key(t))
            .collect();
        *seen = by_type.keys().copied().collect();
        gone
    };
    for ty in gone {
        by_type.insert(ty, PerType::default());
    }
    for (ty, t) in &by_type {
        metrics::gauge!(ACTORS_LIVE, "actor_type" => *ty).set(t.live as f64);
        metrics::gauge!(MAILBOX_DEPTH, "actor_type" => *ty).set(t.depth as f64);
        metrics::gauge!(MAILBOX_DEPTH_MAX, "actor_type" => *ty).set(t.max as f64);
    }
}

/// Counts one supervisor event.
pub(crate) fn supervisor_event(event: &'static str, supervisor: String, child: String) {
    let name = match event {
        "exited" => CHILD_EXITS,
        "restarted" => RESTARTS,
        "gave_up" => GIVE_UPS,
        _ => return,
    };
    metrics::counter!(name, "supervisor" => supervisor, "child" => child).increment(1);
}
