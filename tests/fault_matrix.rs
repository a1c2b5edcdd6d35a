//! The fault matrix (issue 13): the bundled suite against the embedded simulator for 20 seeds mixing 5xx,
//! connection resets, cut-off bodies, body timeouts and 429 storms (`Retry-After` in seconds and as an HTTP
//! date). Faults are drawn from (seed, method, path, body hash, occurrence), so each seed gives the same
//! faults whatever the scheduling. In every run: no deviation, every case ok or Miljøfeil, and every
//! Miljøfeil note names the fault. The seeds run a few at a time to keep the wall time down.

mod common;

use common::harness;
use std::path::Path;

const SEEDS: u64 = 20;
const AT_ONCE: usize = 10;

/// The fault spec of one seed: every kind in each run, the 429 storms' `Retry-After` in seconds, as an HTTP
/// date, or either, and storms both shorter and as long as the retry budget.
fn spec(seed: u64) -> String {
    let retry_after = ["seconds", "date", "mixed"][seed as usize % 3];
    let storm = 1 + seed % 3;
    format!(
        "seed={seed},5xx=0.08,reset=0.04,cut=0.04,body_timeout=0.03,429=0.05,storm={storm},\
         retry_after={retry_after}"
    )
}

/// Words by which a note names an injected fault (both report languages; the transport's own message).
const FAULT_WORDS: [&str; 13] = [
    "500",
    "5xx",
    "429",
    "DAS-001",
    "DAS-003",
    "AA-201",
    "server_error",
    "temporarily_unavailable",
    "timed out",
    "connection broke",
    "connection was reset",
    "not the JSON",
    "outcome",
];

struct Run {
    seed: u64,
    /// The statuses the simulator began to send, from its request log in the run folder.
    sim_statuses: Vec<u64>,
    code: i32,
    output: String,
    results: serde_json::Value,
}

fn run(seed: u64, reports: &Path) -> Run {
    let out = harness()
        // One-second request limits keep body timeouts short.
        .args("run --today 2026-11-26 --timeout 1 --lang en".split(' '))
        .args(["--faults", &spec(seed), "--reports"])
        .arg(reports)
        .output()
        .unwrap();
    let output =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let results = std::fs::read(reports.join("latest/results.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    let sim_statuses = std::fs::read_to_string(reports.join("latest/sim-state.json.log.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|l| l["status"].as_u64())
        .collect();
    Run {
        seed,
        sim_statuses,
        code: out.status.code().unwrap_or(-1),
        output,
        results,
    }
}

#[test]
fn twenty_seeds_of_faults_never_make_a_deviation() {
    let tmp = tempfile::tempdir().unwrap();
    let seeds: Vec<u64> = (1..=SEEDS).collect();
    let mut runs = Vec::new();
    for chunk in seeds.chunks(AT_ONCE) {
        let handles: Vec<_> = chunk
            .iter()
            .map(|&seed| {
                let reports = tmp.path().join(format!("seed-{seed}"));
                std::thread::spawn(move || run(seed, &reports))
            })
            .collect();
        runs.extend(handles.into_iter().map(|h| h.join().unwrap()));
    }
    let mut problems = Vec::new();
    let mut environment_errors = 0;
    for r in &runs {
        let (seed, spec) = (r.seed, spec(r.seed));
        if r.code != 0 && r.code != 3 {
            problems.push(format!(
                "seed {seed} ({spec}): exit {} (only 0 or 3 under environment faults)\n{}",
                r.code, r.output
            ));
        }
        let Some(cases) = r.results["cases"].as_array() else {
            problems.push(format!("seed {seed}: no results.json\n{}", r.output));
            continue;
        };
        for c in cases {
            let (id, status, note) = (&c["id"], &c["status"], c["note"].as_str().unwrap_or(""));
            // A case skipped after its prerequisite's environment error names the fault itself too.
            if status == "environment_error" {
                environment_errors += 1;
                if !FAULT_WORDS.iter().any(|w| note.contains(w)) {
                    problems.push(format!(
                        "seed {seed} ({spec}): {id} is Miljøfeil without naming the fault: {note:?}"
                    ));
                }
            } else if status != "ok" {
                problems.push(format!(
                    "seed {seed} ({spec}): {id} ended {status}: {note:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(environment_errors > 0, "the faults were felt");
    let sent: Vec<u64> = runs.iter().flat_map(|r| r.sim_statuses.clone()).collect();
    for status in [429, 500] {
        assert!(
            sent.contains(&status),
            "the simulator answered {status} somewhere"
        );
    }
}
