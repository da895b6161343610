//! The hand-written scenarios parse, and the runner on our crates runs each to completion
//! with the outcome the scenario was written for. (The comparison with Erlang/OTP and Elixir
//! is `just conformance`; this test needs neither.)

use conformance::rust_runner;
use conformance::scenario::Scenario;

fn scenarios() -> Vec<Scenario> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut all = Vec::new();
    for file in ["supervisor.json", "dynamic.json", "registry.json"] {
        let text =
            std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let list: Vec<Scenario> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        all.extend(list);
    }
    all
}

/// The result line of event `i` (1-based).
fn result(trace: &[String], i: usize) -> &str {
    let at = trace
        .iter()
        .position(|l| *l == format!("> {i}"))
        .unwrap_or_else(|| panic!("no event {i} in {trace:#?}"));
    trace[at..]
        .iter()
        .find_map(|l| l.strip_prefix("= "))
        .unwrap_or_else(|| panic!("event {i} has no result in {trace:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hand_written_scenario_runs_to_its_expected_outcome() {
    let all = scenarios();
    assert!(all.len() >= 20, "{} scenarios", all.len());
    let mut traces = std::collections::HashMap::new();
    for s in &all {
        let trace = rust_runner::run(s).await;
        assert_eq!(trace.first(), Some(&format!("=== {}", s.name)));
        assert_eq!(
            trace.last().map(String::as_str),
            Some("=== end"),
            "{trace:#?}"
        );
        traces.insert(s.name.clone(), trace);
    }
    let t = |name: &str| &traces[name];

    // The window expired during the wait: the third crash is restarted, the fourth (second
    // in the new window) gives up.
    let w = t("intensity-window-expires");
    assert!(w.contains(&"start a#3".to_owned()), "{w:#?}");
    assert_eq!(w[w.len() - 2], "root exit shutdown");
    assert_eq!(result(w, 4), "[b=b#1 a=a#3]");

    let z = t("intensity-zero-gives-up-on-first-restart");
    assert!(z.iter().all(|l| l != "start b#2"));
    assert_eq!(z[z.len() - 2], "root exit shutdown");

    // After the five exits: crash and kill restarted, the three benign exits not; then
    // restart_child brings `n` back by hand.
    let tr = t("transient-restarts-only-after-abnormal-exit");
    assert_eq!(
        result(tr, 6),
        "[k=k#2 c=c#2 p=undefined s=undefined n=undefined]"
    );
    assert_eq!(result(tr, 8), "ok n#2");

    let tmp = t("temporary-is-never-restarted-and-is-removed");
    assert_eq!(result(tmp, 3), "[p=p#1]");
    assert_eq!(result(tmp, 4), "error not_found");

    let ofa = t("one-for-all-stops-the-others-in-reverse-start-order");
    let block: Vec<&str> = ofa
        .iter()
        .skip_while(|l| *l != "> 1")
        .skip(1)
        .take_while(|l| !l.starts_with("= "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        block,
        [
            "term c#1 crash",
            "term d#1 shutdown",
            "term b#1 shutdown",
            "term a#1 shutdown",
            "start a#2",
            "start b#2",
            "start c#2",
            "start e#2"
        ],
        "e is brutally killed (no terminate), d is temporary (not restarted)"
    );

    let nested = t("nested-escalation-restarts-a-permanent-child-supervisor");
    assert!(nested.contains(&"start s/x#2".to_owned()));
    assert_eq!(nested[nested.len() - 2], "root exit shutdown");

    let benign = t("nested-escalation-of-a-transient-supervisor-is-benign");
    assert_eq!(result(benign, 2), "[s=undefined a=a#1]");

    for auto in [
        "any-significant-shuts-the-supervisor-down",
        "all-significant-waits-for-the-last-one",
        "auto-shutdown-escalates-through-a-significant-child-supervisor",
    ] {
        let a = t(auto);
        assert_eq!(a[a.len() - 2], "root exit shutdown", "{auto}: {a:#?}");
    }
    assert_eq!(
        result(t("all-significant-waits-for-the-last-one"), 2),
        "[s2=s2#1 a=a#1]"
    );

    let api = t("terminate-restart-delete-and-start-child");
    assert_eq!(result(api, 3), "ok a#2");
    assert_eq!(result(api, 4), "error running");
    assert_eq!(result(api, 12), "error already_started a#2");
    assert_eq!(result(api, 15), "ok sup");

    let dynamic = t("dynamic-max-children");
    assert_eq!(result(dynamic, 3), "error max_children");

    let reg = t("registry-unique-keys");
    assert_eq!(result(reg, 2), "error already_registered p1");
    assert_eq!(result(reg, 12), "[]", "p1's entries went with it");
    assert_eq!(result(reg, 16), "2");
    let dup = t("registry-duplicate-keys");
    assert_eq!(result(dup, 5), "[p1=1 p1=2 p2=3]");
}
