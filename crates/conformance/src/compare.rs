//! Running the external runners and comparing traces.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::process::Command;

use crate::scenario::{Body, Reason, Scenario, SupEvent};

/// Where a scenario runs besides our crates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum External {
    /// `escript runners/otp_runner.escript` (Erlang/OTP `supervisor`).
    Otp,
    /// `elixir runners/elixir_runner.exs` (`DynamicSupervisor`, `Registry`).
    Elixir,
}

impl External {
    /// The runner for `scenario`.
    pub fn of(scenario: &Scenario) -> External {
        if scenario.needs_elixir() {
            External::Elixir
        } else {
            External::Otp
        }
    }

    fn command(self) -> (&'static str, PathBuf) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("runners");
        match self {
            External::Otp => ("escript", dir.join("otp_runner.escript")),
            External::Elixir => ("elixir", dir.join("elixir_runner.exs")),
        }
    }
}

/// Runs `scenarios` (all of one [`External`] kind) in one VM; returns each scenario's trace
/// by name.
///
/// # Errors
///
/// The runner could not be started, failed, or printed no trace for a scenario.
pub fn run_external(
    kind: External,
    scenarios: &[Scenario],
) -> io::Result<HashMap<String, Vec<String>>> {
    let file = std::env::temp_dir().join(format!(
        "conformance-{}-{:?}.terms",
        std::process::id(),
        kind
    ));
    let terms: Vec<String> = scenarios.iter().map(Scenario::to_erlang).collect();
    std::fs::write(&file, terms.join("\n") + "\n")?;
    let (program, script) = kind.command();
    let output = Command::new(program).arg(&script).arg(&file).output();
    let _ = std::fs::remove_file(&file);
    let output = output?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{program} {} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let traces = parse(&String::from_utf8_lossy(&output.stdout));
    match scenarios.iter().find(|s| !traces.contains_key(&s.name)) {
        Some(missing) => Err(io::Error::other(format!(
            "{program} printed no trace for {}; stderr: {}",
            missing.name,
            String::from_utf8_lossy(&output.stderr)
        ))),
        None => Ok(traces),
    }
}

/// Splits runner output into traces keyed by scenario name (`=== name` … `=== end`).
pub fn parse(output: &str) -> HashMap<String, Vec<String>> {
    let mut traces = HashMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in output.lines() {
        if line == "=== end" {
            if let Some((name, mut lines)) = current.take() {
                lines.push(line.to_owned());
                traces.insert(name, lines);
            }
        } else if let Some(name) = line.strip_prefix("=== ") {
            current = Some((name.to_owned(), vec![line.to_owned()]));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line.to_owned());
        }
    }
    traces
}

/// Where two traces first differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// 1-based line number.
    pub line: usize,
    /// The event being run at that line (1-based), if any.
    pub event: Option<usize>,
    /// Our line (`None`: our trace ended).
    pub ours: Option<String>,
    /// The reference line (`None`: the reference trace ended).
    pub theirs: Option<String>,
}

/// For a line whose place in its block is unspecified, the key it is ordered by.
type SortKey = Box<dyn Fn(&str) -> Option<String>>;

/// Puts the lines of one trace that come from concurrent processes into a canonical order.
///
/// Two places in a trace have no defined order, in OTP or here:
/// - When a supervisor is killed (`exit` with reason `kill` on a supervisor's path), each of
///   its children is orphaned and terminates on its own, concurrently with the restart the
///   parent makes. In that event's block, the `term` lines of processes under the killed path
///   are grouped by the orphaned child they descend from (their order inside a group, such as
///   a nested supervisor's shutdown order, is kept), and the groups are moved to the front of
///   the block in the order of the child ids.
/// - A `DynamicSupervisor` (and `simple_one_for_one`) stops its children concurrently
///   (R-SHUT-4), whether it is stopped or gives up after too many restarts: in every block
///   of a `DynamicSupervisor` scenario the `term` lines are sorted and put first.
///
/// Every other line keeps its place.
pub fn normalize(scenario: &Scenario, trace: &[String]) -> Vec<String> {
    // Which lines of event `n`'s block are unordered, and the key that orders them.
    let unordered = |n: usize| -> Option<SortKey> {
        match &scenario.body {
            Body::Supervisor { events, .. } => match events.get(n.wrapping_sub(1))? {
                SupEvent::Exit {
                    path,
                    reason: Reason::Kill,
                } => {
                    let prefix = format!("term {}/", path.join("/"));
                    Some(Box::new(move |l: &str| {
                        let under = l.strip_prefix(prefix.as_str())?;
                        Some(under.split(['/', '#']).next().unwrap_or(under).to_owned())
                    }))
                }
                _ => None,
            },
            Body::Dynamic { .. } => Some(Box::new(|l: &str| {
                l.starts_with("term ").then(|| l.to_owned())
            })),
            Body::Registry { .. } => None,
        }
    };
    let mut out = Vec::with_capacity(trace.len());
    let mut i = 0;
    while i < trace.len() {
        let line = &trace[i];
        out.push(line.clone());
        i += 1;
        let key = line
            .strip_prefix("> ")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(unordered);
        let Some(key) = key else { continue };
        let end = trace[i..]
            .iter()
            .position(|l| l.starts_with("= "))
            .map_or(trace.len(), |p| i + p);
        let mut loose: Vec<(String, &String)> = Vec::new();
        let mut rest = Vec::new();
        for l in &trace[i..end] {
            match key(l) {
                Some(k) => loose.push((k, l)),
                None => rest.push(l.clone()),
            }
        }
        // A stable sort keeps the lines of one key in their order.
        loose.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(loose.into_iter().map(|(_, l)| l.clone()));
        out.extend(rest);
        i = end;
    }
    out
}

/// The first line where `ours` and `theirs` differ, or `None` if they are identical.
pub fn diff(ours: &[String], theirs: &[String]) -> Option<Divergence> {
    let n = ours.len().max(theirs.len());
    let at = (0..n).find(|&i| ours.get(i) != theirs.get(i))?;
    let event = theirs[..at.min(theirs.len())]
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("> ").and_then(|i| i.parse().ok()));
    Some(Divergence {
        line: at + 1,
        event,
        ours: ours.get(at).cloned(),
        theirs: theirs.get(at).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_owned).collect()
    }

    #[test]
    fn the_first_diverging_line_and_its_event_are_reported() {
        let theirs = lines("=== x\ntree [a=a#1]\n> 1\nstart a#2\n= ok\n=== end");
        let ours = lines("=== x\ntree [a=a#1]\n> 1\n= ok\n=== end");
        let d = diff(&ours, &theirs).unwrap_or_else(|| panic!("they differ"));
        assert_eq!((d.line, d.event), (4, Some(1)));
        assert_eq!(d.theirs.as_deref(), Some("start a#2"));
        assert_eq!(diff(&theirs, &theirs), None);
    }

    #[test]
    fn orphans_of_a_killed_supervisor_are_put_in_a_canonical_order() {
        let s: Scenario = serde_json::from_str(
            r#"{"name":"k","kind":"supervisor","tree":{"strategy":"one_for_one","intensity":1,
            "period":5,"auto_shutdown":"never","children":[]},
            "events":[{"exit":{"path":["s"],"reason":"kill"}},{"exit":{"path":["w"],"reason":"crash"}}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let a = lines(
            "> 1\nterm s/b#1 killed\nstart s/a#2\nterm s/a/y#1 shutdown\nterm s/a/x#1 shutdown\n= ok\n\
             > 2\nterm w#1 crash\nterm v#1 shutdown\n= ok",
        );
        let b = lines(
            "> 1\nterm s/a/y#1 shutdown\nterm s/a/x#1 shutdown\nstart s/a#2\nterm s/b#1 killed\n= ok\n\
             > 2\nterm w#1 crash\nterm v#1 shutdown\n= ok",
        );
        let (na, nb) = (normalize(&s, &a), normalize(&s, &b));
        assert_eq!(na, nb);
        assert_eq!(
            na[1..5],
            [
                "term s/a/y#1 shutdown",
                "term s/a/x#1 shutdown",
                "term s/b#1 killed",
                "start s/a#2"
            ]
        );
        // Event 2 is not a kill: its order is significant and kept.
        assert_eq!(na[7..9], ["term w#1 crash", "term v#1 shutdown"]);
        // A different shutdown order inside one orphan is still a divergence.
        let c = lines(
            "> 1\nterm s/a/x#1 shutdown\nterm s/a/y#1 shutdown\nterm s/b#1 killed\nstart s/a#2\n= ok",
        );
        assert_ne!(normalize(&s, &c)[1..5], na[1..5]);
    }

    #[test]
    fn output_is_split_by_scenario() {
        let t = parse("noise\n=== a\n> 1\n=== end\n=== b\n=== end\n");
        assert_eq!(t["a"], ["=== a", "> 1", "=== end"]);
        assert_eq!(t["b"].len(), 2);
    }
}
