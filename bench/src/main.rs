//! `actor-bench [--runs N] [--only SCENARIO|scale|cluster] [--frameworks a,b]`
//!
//! Measures the same workloads on this framework (`ours`), a raw tokio actor (`tokio`),
//! ractor, kameo and actix. Every (scenario, framework) pair runs in a fresh process
//! (`actor-bench --child SCENARIO FRAMEWORK`, which prints its figures as JSON), `N` times
//! (default 5), interleaved so that a noisy moment hits every framework alike; the report
//! is the median of the runs, as a markdown table with each figure's ratio to raw tokio,
//! and as `target/bench/report.json`. See `docs/benchmarks.md`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line report"
)]

mod actix_b;
mod cluster;
mod common;
mod kameo_b;
mod ours;
mod ractor_b;
mod raw;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::{Command, ExitCode};

use common::Figure;

const SCENARIOS: [&str; 6] = ["cast", "call", "spawn", "fan_in", "restart", "registry"];
/// Scale scenarios, measured for ours and raw tokio only. A name ending in `_after` runs its
/// scenario in a fresh process right after a process that touched several GiB has exited.
const SCALE_SCENARIOS: [&str; 6] = [
    "scale_spawn",
    "scale_call_10",
    "scale_call_10k",
    "scale_call_1m",
    "scale_call_1m_after",
    "scale_sup",
];
const SCALE_FRAMEWORKS: [&str; 2] = ["ours", "tokio"];
const FRAMEWORKS: [&str; 5] = ["ours", "tokio", "ractor", "kameo", "actix"];
/// GiB the process before an `_after` scenario touches.
const HOG_GIB: usize = 4;

/// Figures in report order, whether higher is better, and the target for `ours`.
const FIGURES: [(&str, bool, &str); 28] = [
    ("cast_throughput", true, ">= 1.05x tokio"),
    ("call_mean", false, "<= 1.1x tokio"),
    ("call_p99", false, ""),
    ("call_loop_mean", false, ""),
    ("call_mean_no_timeout", false, ""),
    ("call_p99_no_timeout", false, ""),
    ("call_loop_mean_no_timeout", false, ""),
    ("spawn_rate", true, ">= 1.05x tokio"),
    ("stop_rate", true, ""),
    ("rss_per_idle_actor", false, "<= 850 B"),
    ("fan_in", true, ">= 1.05x tokio"),
    ("crash_restart", true, ">= 1.0x tokio"),
    ("registry_lookup", true, ""),
    ("registry_register", true, ""),
    ("spawn_1m_per_actor", false, "<= 1.0x tokio"),
    ("rss_1m_per_actor", false, "<= 850 B"),
    ("stop_1m_per_actor", false, ""),
    ("call_mean_10", false, ""),
    ("call_p99_10", false, ""),
    ("call_mean_10k", false, ""),
    ("call_p99_10k", false, ""),
    ("call_mean_1m", false, "<= 1.1x tokio"),
    ("call_p99_1m", false, ""),
    ("call_mean_1m_after", false, "<= 1.1x tokio"),
    ("call_p99_1m_after", false, ""),
    ("sup_100k_start", false, ""),
    ("sup_100k_crash_restart", false, ""),
    ("sup_100k_shutdown", false, ""),
];

#[derive(serde::Serialize)]
struct Row {
    profile: String,
    scenario: String,
    framework: String,
    value: f64,
    unit: String,
    ratio_to_tokio: Option<f64>,
    /// For the distribution rows: the ratio to raw async-nats.
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio_to_nats: Option<f64>,
    runs: Vec<f64>,
}

/// How long one scenario may run in its child process before the run fails.
const CHILD_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

fn child(scenario: &str, framework: &str) -> ExitCode {
    // Crashes are part of the restart workload: keep the default hook's report off stderr.
    // (A distribution scenario never panics but to fail: its report is kept.)
    if !cluster::SCENARIOS.contains(&scenario) {
        std::panic::set_hook(Box::new(|_| {}));
    }
    // A scenario that hangs (a lost wake-up, a reply that never comes) fails the whole run
    // loudly instead of stalling it: every scenario finishes in seconds.
    let (what, limit) = (format!("{scenario} on {framework}"), CHILD_LIMIT);
    std::thread::spawn(move || {
        #[allow(
            clippy::disallowed_methods,
            reason = "a watchdog thread of its own, outside the runtime"
        )]
        std::thread::sleep(limit);
        eprintln!("{what} did not finish in {} s", limit.as_secs());
        std::process::exit(3);
    });
    let figures = match framework {
        _ if cluster::SCENARIOS.contains(&scenario) => cluster::run(scenario, framework),
        "ours" => ours::run(scenario),
        "tokio" => raw::run(scenario),
        "ractor" => ractor_b::run(scenario),
        "kameo" => kameo_b::run(scenario),
        "actix" => actix_b::run(scenario),
        other => {
            eprintln!("unknown framework {other}");
            return ExitCode::from(2);
        }
    };
    match serde_json::to_string(&figures) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn human(value: f64, unit: &str) -> String {
    match unit {
        "us" => format!("{value:.2} µs"),
        "ns" => format!("{value:.0} ns"),
        "ms" => format!("{value:.1} ms"),
        "B" => format!("{value:.0} B"),
        _ if value >= 1e6 => format!("{:.2} M/s", value / 1e6),
        _ if value >= 1e3 => format!("{:.1} k/s", value / 1e3),
        _ => format!("{value:.1} /s"),
    }
}

/// A run that did not give figures: which framework, and what happened.
pub struct Failed {
    framework: String,
    what: String,
}

impl Failed {
    pub fn new(framework: &str, what: String) -> Self {
        Self {
            framework: framework.to_owned(),
            what,
        }
    }
}

/// The figures a child run printed, or none when it failed or printed something else (then
/// recorded in `failed` as `what`).
pub fn child_figures(
    out: std::process::Output,
    what: &str,
    framework: &str,
    failed: &mut Vec<Failed>,
) -> Option<Vec<Figure>> {
    if !out.status.success() {
        failed.push(Failed::new(
            framework,
            format!(
                "{what} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
        return None;
    }
    match serde_json::from_slice(&out.stdout) {
        Ok(figures) => Some(figures),
        Err(e) => {
            failed.push(Failed::new(framework, format!("{what}: bad output: {e}")));
            None
        }
    }
}

/// What a run measures, from the command line.
#[derive(Debug, PartialEq)]
struct Options {
    runs: usize,
    only: Option<String>,
    frameworks: Vec<String>,
}

/// Reads `--runs N`, `--only SCENARIO` and `--frameworks a,b`; a value that names nothing
/// (which would otherwise measure nothing, or fall back silently) is an error that says what
/// is accepted.
fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        only: None,
        frameworks: FRAMEWORKS.iter().map(|s| (*s).to_owned()).collect(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--runs", Some(n)) => match n.parse() {
                Ok(n) if n > 0 => options.runs = n,
                _ => {
                    return Err(format!(
                        "--runs takes a number of runs (at least 1), not `{n}`"
                    ));
                }
            },
            ("--only", Some(s)) => {
                let known: Vec<&str> = SCENARIOS
                    .iter()
                    .chain(SCALE_SCENARIOS.iter())
                    .chain(cluster::SCENARIOS.iter())
                    .chain(["scale", "cluster"].iter())
                    .copied()
                    .collect();
                if !known.contains(&s.as_str()) {
                    return Err(format!(
                        "--only takes one of {}, not `{s}`",
                        known.join(", ")
                    ));
                }
                options.only = Some(s.clone());
            }
            ("--frameworks", Some(f)) => {
                let frameworks: Vec<String> = f.split(',').map(str::to_owned).collect();
                if let Some(unknown) = frameworks
                    .iter()
                    .find(|f| !FRAMEWORKS.contains(&f.as_str()))
                {
                    return Err(format!(
                        "--frameworks takes a comma-separated list of {}, not `{unknown}`",
                        FRAMEWORKS.join(", ")
                    ));
                }
                options.frameworks = frameworks;
            }
            (other, _) => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, scenario, framework] = args.as_slice()
        && flag == "--child"
    {
        return child(scenario, framework);
    }
    if let [flag] = args.as_slice()
        && flag == "--hog"
    {
        common::hog(HOG_GIB);
        return ExitCode::SUCCESS;
    }
    let Options {
        runs,
        only,
        mut frameworks,
    } = match parse_options(&args) {
        Ok(options) => options,
        Err(why) => {
            eprintln!("{why}");
            eprintln!(
                "usage: actor-bench [--runs N] [--only SCENARIO|scale|cluster] [--frameworks a,b]"
            );
            return ExitCode::from(2);
        }
    };
    if !frameworks.iter().any(|f| f == "tokio") {
        frameworks.push("tokio".to_owned());
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find this program: {e}");
            return ExitCode::FAILURE;
        }
    };
    let progress = std::io::stderr().is_terminal();
    // (figure, framework) -> values, and the unit of each figure.
    let mut values: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    let scenarios: Vec<&str> = SCENARIOS
        .iter()
        .chain(SCALE_SCENARIOS.iter())
        .copied()
        .filter(|s| match only.as_deref() {
            None => true,
            // `--only scale` runs every scale scenario.
            Some("scale") => s.starts_with("scale_"),
            Some("cluster") => false,
            Some(o) => o == *s,
        })
        .collect();
    // Which build measured: cargo's default release profile, or the tuned one (`--tuned`).
    let profile = std::env::var("BENCH_PROFILE").unwrap_or_else(|_| "release".to_owned());
    // A run that fails or hangs (a peer's lost wake-up, a slow consumer dropped by the
    // server) is left out of the medians and listed after the tables; the report still
    // comes out. Only a failure of ours makes the whole run fail.
    let mut failed: Vec<Failed> = Vec::new();
    for run in 1..=runs {
        for scenario in &scenarios {
            for framework in &frameworks {
                let scale = scenario.starts_with("scale_");
                if scale && !SCALE_FRAMEWORKS.contains(&framework.as_str()) {
                    continue;
                }
                if progress {
                    eprint!("\rrun {run}/{runs}: {scenario:<19} {framework:<7}");
                }
                let (measured, suffix) = match scenario.strip_suffix("_after") {
                    Some(base) => (base, "_after"),
                    None => (*scenario, ""),
                };
                if !suffix.is_empty() {
                    match Command::new(&exe).arg("--hog").status() {
                        Ok(status) if status.success() => {}
                        other => {
                            eprintln!(
                                "\nthe {HOG_GIB} GiB run before {scenario} failed: {other:?}"
                            );
                            return ExitCode::FAILURE;
                        }
                    }
                }
                let out = Command::new(&exe)
                    .args(["--child", measured, framework])
                    .output();
                let out = match out {
                    Ok(out) => out,
                    Err(e) => {
                        eprintln!("\ncannot run {}: {e}", exe.display());
                        return ExitCode::FAILURE;
                    }
                };
                let what = format!("run {run} of {scenario} on {framework}");
                let Some(figures) = child_figures(out, &what, framework, &mut failed) else {
                    continue;
                };
                for f in figures {
                    let name = format!("{}{suffix}", f.name);
                    units.insert(name.clone(), f.unit.clone());
                    values
                        .entry((name, framework.clone()))
                        .or_default()
                        .push(f.value);
                }
            }
        }
    }
    if progress {
        eprintln!();
    }

    let mut rows = Vec::new();
    println!(
        "Medians of {runs} runs, each in a fresh process, built with the `{profile}` profile; \
         tokio-based frameworks on a 2-worker multi-thread runtime, actix on its \
         single-threaded System; scale scenarios for ours and raw tokio only. (ratio to raw \
         tokio)\n"
    );
    let header: Vec<&str> = frameworks.iter().map(String::as_str).collect();
    println!("| figure | {} | target (ours) |", header.join(" | "));
    println!("|---|{}---|", "---|".repeat(frameworks.len()));
    for (name, _higher_is_better, target) in FIGURES.iter() {
        let Some(unit) = units.get(*name) else {
            continue;
        };
        // A figure only ours reports (`call_mean_no_timeout`) compares with tokio's plain one.
        let base = name.trim_end_matches("_no_timeout");
        let tokio = values
            .get(&(base.to_owned(), "tokio".to_owned()))
            .map(|v| median(v));
        let mut cells = Vec::new();
        for fw in &frameworks {
            match values.get(&((*name).to_owned(), fw.clone())) {
                Some(v) => {
                    let m = median(v);
                    let ratio = tokio.filter(|t| *t > 0.0).map(|t| m / t);
                    cells.push(match ratio {
                        Some(r) => format!("{} ({r:.2}x)", human(m, unit)),
                        None => human(m, unit),
                    });
                    rows.push(Row {
                        profile: profile.clone(),
                        scenario: (*name).to_owned(),
                        framework: fw.clone(),
                        value: m,
                        unit: unit.clone(),
                        ratio_to_tokio: ratio,
                        ratio_to_nats: None,
                        runs: v.clone(),
                    });
                }
                None => cells.push("n/a".to_owned()),
            }
        }
        println!("| {name} ({unit}) | {} | {target} |", cells.join(" | "));
    }
    match cluster::report(&exe, runs, only.as_deref(), &profile, &mut failed) {
        Ok(cluster_rows) => rows.extend(cluster_rows),
        Err(e) => {
            eprintln!("distribution rows: {e}");
            return ExitCode::FAILURE;
        }
    }
    if !failed.is_empty() {
        println!("\nRuns that failed, left out of the medians above:");
        for f in &failed {
            println!("- {}", f.what);
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let json = serde_json::to_string_pretty(&rows).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json + "\n")
    });
    match written {
        Ok(()) if failed.iter().any(|f| f.framework == "ours") => {
            println!("\nreport: target/bench/report.json");
            eprintln!("a run of ours failed (listed above)");
            ExitCode::FAILURE
        }
        Ok(()) => {
            println!("\nreport: target/bench/report.json");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_options(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn options_that_name_something_are_taken() {
        let options = parse(&[
            "--runs",
            "3",
            "--only",
            "scale",
            "--frameworks",
            "ours,kameo",
        ]);
        assert_eq!(
            options,
            Ok(Options {
                runs: 3,
                only: Some("scale".to_owned()),
                frameworks: vec!["ours".to_owned(), "kameo".to_owned()],
            })
        );
        assert_eq!(parse(&[]).map(|o| o.runs), Ok(5));
        // Every scenario, the scale and distribution ones included, can be picked alone.
        for only in ["cast", "scale_call_1m", "remote_call", "global", "cluster"] {
            assert_eq!(
                parse(&["--only", only]).map(|o| o.only),
                Ok(Some(only.to_owned()))
            );
        }
    }

    #[test]
    fn options_that_name_nothing_are_refused() {
        // A list given to `--only` once measured nothing and printed an empty table.
        let err = parse(&["--only", "cast,call"]).unwrap_err();
        assert!(
            err.contains("not `cast,call`") && err.contains("fan_in"),
            "{err}"
        );
        // A bad run count once fell back to 5 without a word.
        assert!(parse(&["--runs", "x"]).unwrap_err().contains("not `x`"));
        assert!(parse(&["--runs", "0"]).is_err());
        assert!(
            parse(&["--frameworks", "ours,foo"])
                .unwrap_err()
                .contains("not `foo`")
        );
        assert!(parse(&["--runs"]).is_err());
    }
}
