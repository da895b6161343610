//! `conformance [--generated N] [--seed S] [--only NAME] [--print NAME] [--terms FILE]`
//!
//! `--terms FILE` writes the selected scenarios as Erlang terms (the runners' input) and exits.
//!
//! Runs the hand-written scenarios (`scenarios/*.json`) and `N` generated ones (default 600,
//! seeds `S..S+N`) on Erlang/OTP or Elixir and on our crates, and compares the traces. Ends
//! with `conformance: N scenarios, D divergences`; exits 1 if D > 0. A divergence prints the
//! scenario, its seed, the first diverging line, and a shrunk scenario (events removed while
//! the divergence stays).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line report"
)]

use std::collections::HashMap;
use std::process::ExitCode;

use conformance::compare::{self, Divergence, External};
use conformance::generate;
use conformance::rust_runner;
use conformance::scenario::Scenario;

struct Options {
    generated: u64,
    seed: u64,
    only: Option<String>,
    print: Option<String>,
    terms: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        generated: 600,
        seed: 1,
        only: None,
        print: None,
        terms: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--generated" => {
                o.generated = value()?.parse().map_err(|e| format!("--generated: {e}"))?
            }
            "--seed" => o.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--only" => o.only = Some(value()?),
            "--print" => o.print = Some(value()?),
            "--terms" => o.terms = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn hand_written() -> Result<Vec<Scenario>, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut scenarios = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let list: Vec<Scenario> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        scenarios.extend(list);
    }
    Ok(scenarios)
}

fn ours(rt: &tokio::runtime::Runtime, scenarios: &[Scenario]) -> HashMap<String, Vec<String>> {
    rt.block_on(async {
        let mut traces = HashMap::new();
        for s in scenarios {
            traces.insert(s.name.clone(), rust_runner::run(s).await);
        }
        traces
    })
}

/// Runs one scenario on both sides; `Ok(None)` when the traces match.
fn check_one(rt: &tokio::runtime::Runtime, s: &Scenario) -> Result<Option<Divergence>, String> {
    let theirs = compare::run_external(External::of(s), std::slice::from_ref(s))
        .map_err(|e| e.to_string())?;
    let ours = ours(rt, std::slice::from_ref(s));
    Ok(compare::diff(
        &compare::normalize(s, &ours[&s.name]),
        &compare::normalize(s, &theirs[&s.name]),
    ))
}

fn shrink(rt: &tokio::runtime::Runtime, s: &Scenario) -> Scenario {
    let mut best = s.clone();
    let mut i = best.len();
    while i > 0 {
        i -= 1;
        let candidate = best.without_event(i);
        if matches!(check_one(rt, &candidate), Ok(Some(_))) {
            best = candidate;
            i = i.min(best.len());
        }
    }
    best
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let mut scenarios = match hand_written() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let hand = scenarios.len();
    scenarios.extend((o.seed..o.seed + o.generated).map(generate::scenario));
    if let Some(only) = &o.only {
        scenarios.retain(|s| &s.name == only);
    }
    if let Some(file) = &o.terms {
        let terms: Vec<String> = scenarios.iter().map(Scenario::to_erlang).collect();
        return match std::fs::write(file, terms.join("\n") + "\n") {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("conformance: {file}: {e}");
                ExitCode::from(2)
            }
        };
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("conformance: cannot start a runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let mut theirs = HashMap::new();
    for kind in [External::Otp, External::Elixir] {
        let batch: Vec<Scenario> = scenarios
            .iter()
            .filter(|s| External::of(s) == kind)
            .cloned()
            .collect();
        if batch.is_empty() {
            continue;
        }
        match compare::run_external(kind, &batch) {
            Ok(traces) => theirs.extend(traces),
            Err(e) => {
                eprintln!("conformance: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let ours = ours(&rt, &scenarios);
    if let Some(s) = o
        .print
        .as_ref()
        .and_then(|n| scenarios.iter().find(|s| &s.name == n))
    {
        for (side, traces) in [("reference", &theirs), ("ours", &ours)] {
            println!("--- {side} (normalized)");
            for line in compare::normalize(s, traces.get(&s.name).map_or(&[][..], Vec::as_slice)) {
                println!("{line}");
            }
        }
    }
    let mut divergences = 0;
    for s in &scenarios {
        let Some(d) = compare::diff(
            &compare::normalize(s, &ours[&s.name]),
            &compare::normalize(s, &theirs[&s.name]),
        ) else {
            continue;
        };
        divergences += 1;
        println!(
            "DIVERGENCE in {} (line {}, event {:?}: {})",
            s.name,
            d.line,
            d.event,
            d.event.map(|e| s.event_json(e - 1)).unwrap_or_default()
        );
        println!(
            "  reference: {}",
            d.theirs.as_deref().unwrap_or("<end of trace>")
        );
        println!(
            "  ours:      {}",
            d.ours.as_deref().unwrap_or("<end of trace>")
        );
        if divergences <= 3 {
            let small = shrink(&rt, s);
            println!("  shrunk scenario ({} of {} events):", small.len(), s.len());
            println!("  {}", serde_json::to_string(&small).unwrap_or_default());
        }
    }
    println!(
        "{hand} hand-written and {} generated scenarios (seeds {}..{})",
        o.generated,
        o.seed,
        o.seed + o.generated
    );
    println!(
        "conformance: {} scenarios, {divergences} divergences",
        scenarios.len()
    );
    if divergences == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
