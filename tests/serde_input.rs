//! Item 10 of the edge hardening: configuration read with serde. Bad input gets an error
//! that names the field and the forms it accepts; no input, however odd, makes a
//! `Deserialize` of the public API panic; what reads back equals what was written.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::time::Duration;

use actor_core::{ActorId, ExitReason, Mailbox, Status};
use actor_registry::{Keys, LocalName};
use actor_supervisor::{
    AutoShutdown, ChildId, ChildOptions, ChildType, Restart, Shutdown, Strategy, SupervisorFlags,
};
use proptest::prelude::{Just, ProptestConfig, any, prop, prop_oneof, proptest};
use proptest::strategy::Strategy as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn err<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
    serde_json::from_str::<T>(json).unwrap_err().to_string()
}

#[test]
fn item10_errors_name_the_field_and_the_accepted_forms() {
    // Before: "expected value at line 1 column N" or a bare "expected variant identifier".
    let e = err::<SupervisorFlags>(r#"{"strategy": 1}"#);
    assert!(e.starts_with("strategy: "), "{e}");
    assert!(
        e.contains(r#""one_for_one", "one_for_all" or "rest_for_one""#),
        "{e}"
    );

    let e = err::<SupervisorFlags>(r#"{"strategy": "one_for_none"}"#);
    assert!(
        e.contains("strategy") && e.contains("one_for_none") && e.contains("rest_for_one"),
        "{e}"
    );

    let e = err::<ChildOptions>(r#"{"shutdown": 5000}"#);
    assert!(e.starts_with("shutdown: "), "{e}");
    assert!(
        e.contains(r#""brutal_kill", "infinity" or a duration such as "500ms", "2s""#),
        "{e}"
    );

    // One duration format (issue 20): the old `{"timeout": ms}` and whole-second periods
    // are refused, naming the format.
    let e = err::<ChildOptions>(r#"{"shutdown": {"timeout": 5000}}"#);
    assert!(
        e.starts_with("shutdown: ") && e.contains(r#""500ms""#),
        "{e}"
    );
    let e = err::<ChildOptions>(r#"{"shutdown": "5 s"}"#);
    assert!(e.contains(r#""5 s""#) && e.contains(r#""500ms""#), "{e}");

    let e = err::<SupervisorFlags>(r#"{"period": 5}"#);
    assert!(
        e.starts_with("period: ") && e.contains(r#"a duration such as "500ms""#),
        "{e}"
    );
    let e = err::<SupervisorFlags>(r#"{"period": "1.5s"}"#);
    assert!(e.starts_with("period: ") && e.contains(r#""1.5s""#), "{e}");

    let e = err::<SupervisorFlags>(r#"{"intensity": -1}"#);
    assert!(e.starts_with("intensity: "), "{e}");

    let e = err::<ChildOptions>(r#"{"restart": "sometimes"}"#);
    assert!(
        e.contains("restart") && e.contains(r#""permanent", "transient" or "temporary""#),
        "{e}"
    );

    let e = err::<ChildOptions>(r#"{"type": 3}"#);
    assert!(
        e.starts_with("type: ") && e.contains(r#""worker" or "supervisor""#),
        "{e}"
    );

    let e = err::<SupervisorFlags>(r#"{"stratgy": "one_for_all"}"#);
    assert!(e.contains("stratgy") && e.contains("strategy"), "{e}");

    let e = err::<Mailbox>(r#"{"bounded": "lots"}"#);
    assert!(e.contains("mailbox capacity"), "{e}");
    let e = err::<Mailbox>(r#""bounded""#);
    assert!(e.contains(r#""unbounded" or {"bounded": capacity}"#), "{e}");
}

#[test]
fn item10_a_struct_is_read_from_a_map_only() {
    // Before: `[]` was read as the default flags.
    let e = err::<SupervisorFlags>("[]");
    assert!(
        e.contains("supervisor flags") && e.contains("as a map"),
        "{e}"
    );
    let e = err::<ChildOptions>("[]");
    assert!(e.contains("child options") && e.contains("as a map"), "{e}");
    let flags: SupervisorFlags = serde_json::from_str("{}").unwrap();
    assert_eq!(flags, SupervisorFlags::default());
}

#[test]
fn item10_a_bounded_mailbox_reads_as_bounded_makes_it() {
    // Before: `{"bounded": 0}` read as `Bounded(0)`, unequal to `Mailbox::bounded(0)`.
    let m: Mailbox = serde_json::from_str(r#"{"bounded": 0}"#).unwrap();
    assert_eq!(m, Mailbox::bounded(0));
    let m: Mailbox = serde_json::from_str(r#"{"bounded": 8}"#).unwrap();
    assert_eq!(m, Mailbox::bounded(8));
    let m: Mailbox = serde_json::from_str(r#""unbounded""#).unwrap();
    assert_eq!(m, Mailbox::Unbounded);
}

#[test]
fn item10_valid_configuration_still_reads() {
    let flags: SupervisorFlags = serde_json::from_str(
        r#"{"strategy": "rest_for_one", "intensity": 10, "period": "100s", "auto_shutdown": "any_significant"}"#,
    )
    .unwrap();
    assert_eq!(
        flags,
        SupervisorFlags::default()
            .with_strategy(Strategy::RestForOne)
            .with_intensity(10, Duration::from_secs(100))
            .with_auto_shutdown(AutoShutdown::AnySignificant)
    );
    // Sub-second periods (issue 20).
    let fast: SupervisorFlags = serde_json::from_str(r#"{"period": "250ms"}"#).unwrap();
    assert_eq!(fast.period, Duration::from_millis(250));
    let opts: ChildOptions = serde_json::from_str(
        r#"{"id": "q", "restart": "transient", "shutdown": "2s", "type": "supervisor", "significant": true}"#,
    )
    .unwrap();
    assert_eq!(opts.id, Some(ChildId::from("q")));
    assert_eq!(opts.restart, Some(Restart::Transient));
    assert_eq!(
        opts.shutdown,
        Some(Shutdown::Timeout(Duration::from_secs(2)))
    );
    assert_eq!(opts.child_type, Some(ChildType::Supervisor));
    assert_eq!(opts.significant, Some(true));
    for s in [
        Shutdown::BrutalKill,
        Shutdown::Infinity,
        Shutdown::Timeout(Duration::from_millis(1500)),
    ] {
        let back: Shutdown = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}

/// Arbitrary JSON: scalars, strings near the accepted names, and nested arrays and maps
/// whose keys include the real field names.
fn json() -> impl proptest::strategy::Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "strategy",
        "intensity",
        "period",
        "auto_shutdown",
        "id",
        "restart",
        "shutdown",
        "type",
        "significant",
        "timeout",
        "bounded",
        "unbounded",
        "one_for_one",
        "rest_for_one",
        "brutal_kill",
        "infinity",
        "transient",
        "worker",
        "normal",
        "panic",
        "error",
        "noproc",
        "shutdown_with",
        "unique",
        "duplicate",
        "running",
        "",
    ])
    .prop_map(str::to_owned);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        names.clone().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Reads `value` as a `T`: it must not panic, and what it reads must write back to
/// something that reads as the same value.
fn reads<T>(value: &Value)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let text = value.to_string();
    if let Ok(read) = serde_json::from_str::<T>(&text) {
        let written = serde_json::to_string(&read).unwrap();
        let again: T = serde_json::from_str(&written).unwrap();
        assert_eq!(again, read, "{text} read as {read:?}, written as {written}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn item10_arbitrary_json_never_makes_a_public_deserialize_panic(value in json()) {
        reads::<SupervisorFlags>(&value);
        reads::<ChildOptions>(&value);
        reads::<Strategy>(&value);
        reads::<AutoShutdown>(&value);
        reads::<Restart>(&value);
        reads::<Shutdown>(&value);
        reads::<ChildType>(&value);
        reads::<ChildId>(&value);
        reads::<Mailbox>(&value);
        reads::<ExitReason>(&value);
        reads::<ActorId>(&value);
        reads::<Status>(&value);
        reads::<Keys>(&value);
        reads::<LocalName>(&value);
    }
}

/// The shape of `examples/config/supervisor.json`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleConfig {
    flags: SupervisorFlags,
    children: std::collections::BTreeMap<String, ChildOptions>,
    mailbox: Mailbox,
}

#[test]
fn the_example_configuration_file_reads_as_documented() {
    let config: ExampleConfig =
        serde_json::from_str(include_str!("../examples/config/supervisor.json")).unwrap();
    assert_eq!(
        config.flags,
        SupervisorFlags::default()
            .with_strategy(Strategy::OneForAll)
            .with_intensity(5, Duration::from_secs(10))
    );
    let cache = &config.children["cache"];
    assert_eq!(cache.restart, Some(Restart::Permanent));
    assert_eq!(
        cache.shutdown,
        Some(Shutdown::Timeout(Duration::from_secs(2)))
    );
    assert_eq!(
        config.children["reporter"].shutdown,
        Some(Shutdown::BrutalKill)
    );
    let archive = &config.children["archive"];
    assert_eq!(
        (archive.child_type, archive.shutdown),
        (Some(ChildType::Supervisor), Some(Shutdown::Infinity))
    );
    assert_eq!(config.mailbox, Mailbox::bounded(1000));
    // Written back in the same format.
    let written = serde_json::to_value(config.flags).unwrap();
    assert_eq!(written["period"], "10s");
    assert_eq!(serde_json::to_value(cache.shutdown).unwrap(), "2s");
}
