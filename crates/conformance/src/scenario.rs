//! The scenario format: a supervision tree, a `DynamicSupervisor` or a `Registry`, and a
//! script of events. Serde data (JSON on disk); [`Scenario::to_erlang`] renders the same data
//! as an Erlang term for the OTP and Elixir runners (`file:consult/1`).

use serde::{Deserialize, Serialize};

/// One scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// A unique name, printed with any divergence.
    pub name: String,
    /// What runs.
    #[serde(flatten)]
    pub body: Body,
}

/// The three kinds of scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// A static supervision tree (OTP `supervisor`), compared against Erlang/OTP.
    Supervisor {
        /// The root supervisor.
        tree: SupNode,
        /// The script.
        events: Vec<SupEvent>,
    },
    /// A `DynamicSupervisor`, compared against Elixir.
    Dynamic {
        /// `max_children` (`None` is infinity).
        max_children: Option<u32>,
        /// Restart intensity.
        intensity: u32,
        /// Period, seconds.
        period: u32,
        /// The script.
        events: Vec<DynEvent>,
    },
    /// A `Registry`, compared against Elixir.
    Registry {
        /// Unique or duplicate keys.
        unique: bool,
        /// How many registering processes (`p1` … `pN`).
        processes: u32,
        /// The script.
        events: Vec<RegEvent>,
    },
}

/// Restart strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// `one_for_one`.
    OneForOne,
    /// `one_for_all`.
    OneForAll,
    /// `rest_for_one`.
    RestForOne,
}

/// Auto shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoShutdown {
    /// `never`.
    Never,
    /// `any_significant`.
    AnySignificant,
    /// `all_significant`.
    AllSignificant,
}

/// A supervisor: flags and children, in start order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupNode {
    /// Strategy.
    pub strategy: Strategy,
    /// Intensity (max restarts).
    pub intensity: u32,
    /// Period, seconds.
    pub period: u32,
    /// Auto shutdown.
    pub auto_shutdown: AutoShutdown,
    /// Children.
    pub children: Vec<ChildNode>,
}

/// Restart type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// `permanent`.
    Permanent,
    /// `transient`.
    Transient,
    /// `temporary`.
    Temporary,
}

/// Shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shutdown {
    /// `brutal_kill`.
    BrutalKill,
    /// A timeout in milliseconds.
    Timeout(u64),
    /// `infinity`.
    Infinity,
}

/// A child spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildNode {
    /// The id.
    pub id: String,
    /// Restart type.
    pub restart: Restart,
    /// Shutdown.
    pub shutdown: Shutdown,
    /// `significant`.
    #[serde(default)]
    pub significant: bool,
    /// A nested supervisor, or `None` for a worker.
    #[serde(default)]
    pub supervisor: Option<SupNode>,
}

/// How a process exits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// `normal`.
    Normal,
    /// `shutdown`.
    Shutdown,
    /// `{shutdown, Payload}`.
    ShutdownWith(String),
    /// `exit(Pid, kill)`.
    Kill,
    /// An error exit (`crash`).
    Crash,
}

/// A path of child ids from the root supervisor; the root is `[]`.
pub type Path = Vec<String>;

/// An event in a supervision-tree script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupEvent {
    /// The process at `path` exits with `reason` (a worker stops itself; `kill` is an exit
    /// signal and also works on a supervisor).
    Exit {
        /// Which child.
        path: Path,
        /// How.
        reason: Reason,
    },
    /// `terminate_child(Sup, Id)`.
    TerminateChild {
        /// The supervisor.
        sup: Path,
        /// The child id.
        id: String,
    },
    /// `restart_child(Sup, Id)`.
    RestartChild {
        /// The supervisor.
        sup: Path,
        /// The child id.
        id: String,
    },
    /// `delete_child(Sup, Id)`.
    DeleteChild {
        /// The supervisor.
        sup: Path,
        /// The child id.
        id: String,
    },
    /// `start_child(Sup, Spec)`.
    StartChild {
        /// The supervisor.
        sup: Path,
        /// The new child.
        child: ChildNode,
    },
    /// `which_children(Sup)`.
    WhichChildren {
        /// The supervisor.
        sup: Path,
    },
    /// `count_children(Sup)`.
    CountChildren {
        /// The supervisor.
        sup: Path,
    },
    /// Stop the tree with `shutdown`.
    Stop,
    /// Wait, e.g. for an intensity window to pass.
    WaitMs(u64),
}

/// An event in a `DynamicSupervisor` script. Children are numbered by their `start_child`
/// event, from 1 (`w1`, `w2`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DynEvent {
    /// `start_child(Sup, Spec)`.
    StartChild {
        /// Restart type.
        restart: Restart,
        /// Shutdown.
        shutdown: Shutdown,
    },
    /// Child `k` exits.
    Exit {
        /// Which child.
        child: u32,
        /// How.
        reason: Reason,
    },
    /// `terminate_child(Sup, Pid)` on child `k` (its current pid, or its last one if dead).
    TerminateChild {
        /// Which child.
        child: u32,
    },
    /// `which_children(Sup)`.
    WhichChildren,
    /// `count_children(Sup)`.
    CountChildren,
    /// Stop the supervisor with `shutdown`.
    Stop,
    /// Wait, e.g. for an intensity window to pass.
    WaitMs(u64),
}

/// An event in a `Registry` script. Processes are `p1` … `pN`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegEvent {
    /// Process `p` registers `key` with `value`.
    Register {
        /// Which process.
        p: u32,
        /// Key.
        key: String,
        /// Value.
        value: i64,
    },
    /// Process `p` unregisters `key`.
    Unregister {
        /// Which process.
        p: u32,
        /// Key.
        key: String,
    },
    /// `lookup(key)`.
    Lookup {
        /// Key.
        key: String,
    },
    /// `keys(pid_of_p)`.
    Keys {
        /// Which process.
        p: u32,
    },
    /// `count()`.
    Count,
    /// Process `p` is killed; waits until the registry has dropped its entries.
    Kill {
        /// Which process.
        p: u32,
    },
}

impl Scenario {
    /// The scenario as one Erlang term followed by `.`, for `file:consult/1`.
    pub fn to_erlang(&self) -> String {
        let name = string(&self.name);
        match &self.body {
            Body::Supervisor { tree, events } => {
                let events: Vec<String> = events.iter().map(sup_event).collect();
                format!("{{sup, {name}, {}, [{}]}}.", node(tree), events.join(", "))
            }
            Body::Dynamic {
                max_children,
                intensity,
                period,
                events,
            } => {
                let max = max_children.map_or_else(|| "infinity".to_owned(), |m| m.to_string());
                let events: Vec<String> = events.iter().map(dyn_event).collect();
                format!(
                    "{{dyn, {name}, {{{max}, {intensity}, {period}}}, [{}]}}.",
                    events.join(", ")
                )
            }
            Body::Registry {
                unique,
                processes,
                events,
            } => {
                let keys = if *unique { "unique" } else { "duplicate" };
                let events: Vec<String> = events.iter().map(reg_event).collect();
                format!(
                    "{{reg, {name}, {keys}, {processes}, [{}]}}.",
                    events.join(", ")
                )
            }
        }
    }

    /// The number of events in the script.
    pub fn len(&self) -> usize {
        match &self.body {
            Body::Supervisor { events, .. } => events.len(),
            Body::Dynamic { events, .. } => events.len(),
            Body::Registry { events, .. } => events.len(),
        }
    }

    /// Whether the script is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same scenario without event `i` (for shrinking).
    pub fn without_event(&self, i: usize) -> Scenario {
        let mut s = self.clone();
        match &mut s.body {
            Body::Supervisor { events, .. } => {
                events.remove(i);
            }
            Body::Dynamic { events, .. } => {
                events.remove(i);
            }
            Body::Registry { events, .. } => {
                events.remove(i);
            }
        }
        s
    }

    /// Event `i` as JSON (for reports).
    pub fn event_json(&self, i: usize) -> String {
        let json = match &self.body {
            Body::Supervisor { events, .. } => events.get(i).map(serde_json::to_string),
            Body::Dynamic { events, .. } => events.get(i).map(serde_json::to_string),
            Body::Registry { events, .. } => events.get(i).map(serde_json::to_string),
        };
        json.and_then(Result::ok).unwrap_or_default()
    }

    /// Whether the scenario runs on Elixir (else on Erlang/OTP).
    pub fn needs_elixir(&self) -> bool {
        !matches!(self.body, Body::Supervisor { .. })
    }
}

fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn path(p: &Path) -> String {
    let parts: Vec<String> = p.iter().map(|s| string(s)).collect();
    format!("[{}]", parts.join(", "))
}

fn strategy(s: Strategy) -> &'static str {
    match s {
        Strategy::OneForOne => "one_for_one",
        Strategy::OneForAll => "one_for_all",
        Strategy::RestForOne => "rest_for_one",
    }
}

fn restart(r: Restart) -> &'static str {
    match r {
        Restart::Permanent => "permanent",
        Restart::Transient => "transient",
        Restart::Temporary => "temporary",
    }
}

fn shutdown(s: Shutdown) -> String {
    match s {
        Shutdown::BrutalKill => "brutal_kill".to_owned(),
        Shutdown::Timeout(ms) => ms.to_string(),
        Shutdown::Infinity => "infinity".to_owned(),
    }
}

fn reason(r: &Reason) -> String {
    match r {
        Reason::Normal => "normal".to_owned(),
        Reason::Shutdown => "shutdown".to_owned(),
        Reason::ShutdownWith(p) => format!("{{shutdown, {}}}", string(p)),
        Reason::Kill => "kill".to_owned(),
        Reason::Crash => "crash".to_owned(),
    }
}

fn node(n: &SupNode) -> String {
    let auto = match n.auto_shutdown {
        AutoShutdown::Never => "never",
        AutoShutdown::AnySignificant => "any_significant",
        AutoShutdown::AllSignificant => "all_significant",
    };
    let children: Vec<String> = n.children.iter().map(child).collect();
    format!(
        "{{node, {}, {}, {}, {auto}, [{}]}}",
        strategy(n.strategy),
        n.intensity,
        n.period,
        children.join(", ")
    )
}

fn child(c: &ChildNode) -> String {
    let kind = c.supervisor.as_ref().map_or_else(
        || "worker".to_owned(),
        |n| format!("{{supervisor, {}}}", node(n)),
    );
    format!(
        "{{child, {}, {}, {}, {}, {kind}}}",
        string(&c.id),
        restart(c.restart),
        shutdown(c.shutdown),
        c.significant
    )
}

fn sup_event(e: &SupEvent) -> String {
    match e {
        SupEvent::Exit { path: p, reason: r } => format!("{{exit, {}, {}}}", path(p), reason(r)),
        SupEvent::TerminateChild { sup, id } => {
            format!("{{terminate_child, {}, {}}}", path(sup), string(id))
        }
        SupEvent::RestartChild { sup, id } => {
            format!("{{restart_child, {}, {}}}", path(sup), string(id))
        }
        SupEvent::DeleteChild { sup, id } => {
            format!("{{delete_child, {}, {}}}", path(sup), string(id))
        }
        SupEvent::StartChild { sup, child: c } => {
            format!("{{start_child, {}, {}}}", path(sup), child(c))
        }
        SupEvent::WhichChildren { sup } => format!("{{which_children, {}}}", path(sup)),
        SupEvent::CountChildren { sup } => format!("{{count_children, {}}}", path(sup)),
        SupEvent::Stop => "stop".to_owned(),
        SupEvent::WaitMs(ms) => format!("{{wait, {ms}}}"),
    }
}

fn dyn_event(e: &DynEvent) -> String {
    match e {
        DynEvent::StartChild {
            restart: r,
            shutdown: s,
        } => format!("{{start_child, {}, {}}}", restart(*r), shutdown(*s)),
        DynEvent::Exit { child, reason: r } => format!("{{exit, {child}, {}}}", reason(r)),
        DynEvent::TerminateChild { child } => format!("{{terminate_child, {child}}}"),
        DynEvent::WhichChildren => "which_children".to_owned(),
        DynEvent::CountChildren => "count_children".to_owned(),
        DynEvent::Stop => "stop".to_owned(),
        DynEvent::WaitMs(ms) => format!("{{wait, {ms}}}"),
    }
}

fn reg_event(e: &RegEvent) -> String {
    match e {
        RegEvent::Register { p, key, value } => {
            format!("{{register, {p}, {}, {value}}}", string(key))
        }
        RegEvent::Unregister { p, key } => format!("{{unregister, {p}, {}}}", string(key)),
        RegEvent::Lookup { key } => format!("{{lookup, {}}}", string(key)),
        RegEvent::Keys { p } => format!("{{keys, {p}}}"),
        RegEvent::Count => "count".to_owned(),
        RegEvent::Kill { p } => format!("{{kill, {p}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_renders_as_an_erlang_term() {
        let s = Scenario {
            name: "t\"1".into(),
            body: Body::Supervisor {
                tree: SupNode {
                    strategy: Strategy::RestForOne,
                    intensity: 2,
                    period: 3600,
                    auto_shutdown: AutoShutdown::Never,
                    children: vec![ChildNode {
                        id: "a".into(),
                        restart: Restart::Transient,
                        shutdown: Shutdown::Timeout(500),
                        significant: false,
                        supervisor: None,
                    }],
                },
                events: vec![
                    SupEvent::Exit {
                        path: vec!["a".into()],
                        reason: Reason::ShutdownWith("x".into()),
                    },
                    SupEvent::Stop,
                ],
            },
        };
        assert_eq!(
            s.to_erlang(),
            "{sup, \"t\\\"1\", {node, rest_for_one, 2, 3600, never, [{child, \"a\", transient, 500, false, worker}]}, [{exit, [\"a\"], {shutdown, \"x\"}}, stop]}."
        );
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Scenario>(&json).ok(), Some(s));
    }
}
