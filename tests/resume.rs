//! `run --resume DIR` after a kill -9: every case ends with exactly one verdict, finished cases are not
//! repeated, and a POST whose outcome is unknown is not sent again.

#![cfg(unix)]

mod common;

use common::{get_json, harness, start_simulator};

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn events(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn only_dir(reports: &Path) -> std::path::PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("latest"))
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// Writes sent without an answer yet.
fn open_writes(ev: &[serde_json::Value]) -> usize {
    let started = ev
        .iter()
        .filter(|e| e["event"] == "attempt_started" && e["write"] == true);
    started
        .filter(|s| {
            !ev.iter().any(|f| {
                f["event"] == "attempt_finished"
                    && f["case_id"] == s["case_id"]
                    && f["step"] == s["step"]
                    && f["attempt"] == s["attempt"]
            })
        })
        .count()
}

/// Start a run, wait until `ready` holds for its journal, then kill -9 it.
fn start_and_kill(
    reports: &Path,
    extra: &[&str],
    ready: impl Fn(&[serde_json::Value]) -> bool,
) -> std::path::PathBuf {
    let mut child = harness()
        .args(["run", "--today", "2026-11-26"])
        .args(extra)
        .arg("--reports")
        .arg(reports)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let dir = loop {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run never reached the kill point"
        );
        std::thread::sleep(Duration::from_millis(20));
        let Ok(rd) = std::fs::read_dir(reports) else {
            continue;
        };
        let Some(d) = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.is_dir())
        else {
            continue;
        };
        if ready(&events(&d)) {
            break d;
        }
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    dir
}

fn resume(dir: &Path) -> (i32, serde_json::Value) {
    resume_with(dir, &[])
}

fn resume_with(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = harness()
        .args(["run", "--resume"])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let r = serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    (out.status.code().unwrap(), r)
}

#[test]
fn resume_after_kill_does_not_repeat_finished_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    // Kill while reads are in flight (no write open), after the agreement cases have finished.
    let dir = start_and_kill(&reports, &["--faults", "latency=200ms"], |ev| {
        ev.iter().filter(|e| e["event"] == "case_finished").count() >= 7 && open_writes(ev) == 0
    });
    assert!(
        !dir.join("results.json").exists(),
        "killed before the reports"
    );
    let before: Vec<String> = events(&dir)
        .iter()
        .filter(|e| e["event"] == "case_finished")
        .map(|e| e["result"]["id"].as_str().unwrap().to_string())
        .collect();
    let (code, r) = resume(&dir);
    assert_eq!(code, 0, "{r}");
    assert_eq!(
        only_dir(&reports),
        dir,
        "resume writes into the same folder"
    );
    let cases = r["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    assert!(cases.iter().all(|c| c["status"] == "ok"), "{r}");
    // Finished cases were not run again: one case_started each in the whole journal.
    let ev = events(&dir);
    for id in &before {
        let n = ev
            .iter()
            .filter(|e| e["event"] == "case_started" && e["case_id"] == id.as_str())
            .count();
        assert_eq!(n, 1, "{id} started {n} times");
    }
    assert!(ev.iter().any(|e| e["event"] == "run_resumed"));
    let mut buf = std::collections::HashSet::new();
    for e in ev.iter().filter(|e| e["event"] == "case_finished") {
        assert!(
            buf.insert(e["result"]["id"].as_str().unwrap().to_string()),
            "one verdict per case"
        );
    }
}

/// Kill a run while TPA-01's POST (the plan's first write) hangs in the simulator; resume with `extra`.
/// Returns the exit code, TPA-01's result, and how often its POST was sent in all.
fn kill_during_first_post_and_resume(extra: &[&str]) -> (i32, serde_json::Value, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let dir = start_and_kill(
        &reports,
        &["--faults", "latency=5000ms@tjenestepensjonsavtale"],
        |ev| {
            ev.iter()
                .any(|e| e["event"] == "attempt_started" && e["case_id"] == "TPA-01")
        },
    );
    let (code, r) = resume_with(&dir, extra);
    let tpa = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "TPA-01")
        .unwrap()
        .clone();
    let sent = events(&dir)
        .iter()
        .filter(|e| e["event"] == "attempt_started" && e["case_id"] == "TPA-01")
        .count();
    (code, tpa, sent)
}

#[test]
fn a_write_with_unknown_outcome_is_re_sent_once_on_resume() {
    let (code, tpa, sent) = kill_during_first_post_and_resume(&[]);
    assert_eq!(tpa["status"], "ok", "{tpa}");
    assert!(
        tpa["note"].as_str().unwrap().contains("identisk innhold"),
        "{tpa}"
    );
    assert_eq!(sent, 2, "sent before the kill, and once more on resume");
    assert_eq!(code, 0);
}

#[test]
fn with_strict_writes_a_write_with_unknown_outcome_is_not_sent_again() {
    let (code, tpa, sent) = kill_during_first_post_and_resume(&["--strict-writes"]);
    assert_eq!(tpa["status"], "environment_error", "{tpa}");
    assert_eq!(tpa["reason"], "outcome_unknown", "{tpa}");
    assert!(tpa["note"].as_str().unwrap().contains("ukjent"), "{tpa}");
    assert_eq!(code, 3);
    assert_eq!(sent, 1, "the POST was sent again");
}

#[test]
fn kill_9_and_resume_against_a_simulator_process_sends_no_write_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("sim-state.json");
    let (sim, base) = start_simulator(&[
        "--faults",
        "latency=100ms",
        "--state",
        state.to_str().unwrap(),
    ]);
    let reports = tmp.path().join("reports");
    let dir = start_and_kill(&reports, &["--sim-url", &base], |ev| {
        ev.iter().filter(|e| e["event"] == "case_finished").count() >= 4
    });
    let (_, r) = resume_with(&dir, &["--sim-url", &base]);
    // Every case has exactly one final verdict.
    let ids: Vec<&str> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<&&str> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len());
    let ev = events(&dir);
    let mut finals = std::collections::HashMap::new();
    for e in ev.iter().filter(|e| e["event"] == "case_finished") {
        *finals
            .entry(e["result"]["id"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    assert!(finals.values().all(|n| *n == 1), "{finals:?}");
    // The simulator's own request log: each POST/DELETE on avtaleforhold was sent once, and exactly the
    // writes the journal shows were sent.
    let log: Vec<serde_json::Value> = get_json(&format!("{base}/_sim/log"))
        .as_array()
        .unwrap()
        .clone();
    let writes: Vec<&serde_json::Value> = log
        .iter()
        .filter(|l| {
            (l["method"] == "POST" || l["method"] == "DELETE")
                && l["path"].as_str().unwrap().ends_with("/avtaleforhold")
        })
        .collect();
    let journal_writes = ev
        .iter()
        .filter(|e| e["event"] == "attempt_started" && e["write"] == true)
        .count();
    // A write is journalled before it is sent, and writes run one at a time: the kill may have caught at
    // most one write that was journalled but never reached the simulator.
    assert!(
        writes.len() == journal_writes || writes.len() + 1 == journal_writes,
        "{} writes served, {journal_writes} journalled: {writes:?}",
        writes.len()
    );
    let corr: std::collections::HashSet<&str> = writes
        .iter()
        .filter_map(|w| w["correlation_id"].as_str())
        .collect();
    assert_eq!(corr.len(), writes.len(), "a write was sent twice");
    drop(sim);
}

/// kill -9 right after a write is sent (the simulator is serving it), then `--resume`: the journal still
/// shows that write as started. The kill point comes from the simulator's gauge, not from the journal, so
/// the line must have been written (and fsynced) before the request left.
#[test]
fn a_write_killed_in_flight_is_in_the_journal_after_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (sim, base) = start_simulator(&["--faults", "latency=3000ms@tjenestepensjonsavtale"]);
    let reports = tmp.path().join("reports");
    let mut child = harness()
        .args(["run", "--today", "2026-11-26", "--only", "TPA-01"])
        .args(["--sim-url", &base])
        .arg("--reports")
        .arg(&reports)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // TPA-01 is one POST: a Tjenestepensjonsavtale call in flight at the simulator is that write.
    let t0 = Instant::now();
    loop {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the write never reached the simulator"
        );
        let gauge = get_json(&format!("{base}/_sim/in-flight"));
        let in_flight = gauge.as_array().is_some_and(|a| {
            a.iter()
                .any(|g| g["api"] == "tjenestepensjonsavtale" && g["current"].as_u64() > Some(0))
        });
        if in_flight {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let dir = only_dir(&reports);
    let started = |ev: &[serde_json::Value]| {
        ev.iter()
            .filter(|e| {
                e["event"] == "attempt_started"
                    && e["write"] == true
                    && e["case_id"] == "TPA-01"
                    && e["operation"] == "POST avtaleforhold"
            })
            .count()
    };
    let before = events(&dir);
    assert_eq!(started(&before), 1, "the write in flight is journalled");
    assert_eq!(open_writes(&before), 1, "and its outcome is unknown");
    let (_, r) = resume_with(&dir, &["--sim-url", &base, "--strict-writes"]);
    let after = events(&dir);
    let resumed = after
        .iter()
        .position(|e| e["event"] == "run_resumed")
        .expect("the journal says the run was resumed");
    assert_eq!(
        started(&after[..resumed]),
        1,
        "the write is still journalled as started before the resumption"
    );
    assert_eq!(
        common::case(&r, "TPA-01")["reason"],
        "outcome_unknown",
        "{r}"
    );
    drop(sim);
}
