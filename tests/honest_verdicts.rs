//! Honest verdicts inside the runner: a write with an unknown outcome is re-sent once (or, with
//! `--strict-writes`, left as Miljøfeil `outcome_unknown`); the journal is trusted only when intact (a torn
//! last line excepted, which `--resume` cuts off). Faults come from the simulator's `--faults` triggers.

mod common;

use common::{case, expect_exit, harness};
use dsop_harness::events::Event;
use std::path::{Path, PathBuf};

fn run(reports: &Path, extra: &[&str]) -> (i32, PathBuf, String) {
    let out = harness()
        .args(["run", "--today", "2026-11-26", "--reports"])
        .arg(reports)
        .args(extra)
        .output()
        .unwrap();
    let dir = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap(), dir, text)
}

/// Run one case with the simulator's `--faults` spec and further options.
fn faulted(reports: &Path, only: &str, faults: &str, extra: &[&str]) -> (i32, PathBuf, String) {
    let mut args = vec!["--only", only, "--faults", faults];
    args.extend_from_slice(extra);
    run(reports, &args)
}

fn results(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap()
}

fn events(dir: &Path) -> Vec<Event> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// How many times the journal says a request of `case` was sent.
fn attempts(dir: &Path, case: &str) -> usize {
    events(dir)
        .iter()
        .filter(|e| matches!(e, Event::AttemptStarted { case_id, .. } if case_id == case))
        .count()
}

// The simulator's first Tjenestepensjonsavtale call (TPA-01's POST, which the plan puts first) times out:
// nothing comes back within the request's time limit (`--timeout 1`), so the write may or may not have
// been carried out.
const FIRST_POST_FAILS: &str = "trigger=timeout@tjenestepensjonsavtale*1";

#[test]
fn a_write_with_an_unknown_outcome_is_re_sent_once_and_then_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, dir, text) = faulted(tmp.path(), "TPA-01", FIRST_POST_FAILS, &["--timeout", "1"]);
    assert_eq!(code, 0, "{text}");
    let r = results(&dir);
    assert_eq!(case(&r, "TPA-01")["status"], "ok");
    assert!(case(&r, "TPA-01")["note"]
        .as_str()
        .unwrap()
        .contains("identisk innhold"));
    assert_eq!(attempts(&dir, "TPA-01"), 2, "sent, then re-sent once");
}

#[test]
fn strict_writes_never_re_sends_and_the_outcome_stays_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let strict = ["--timeout", "1", "--strict-writes", "--lang", "en"];
    let (code, dir, text) = faulted(tmp.path(), "TPA-01", FIRST_POST_FAILS, &strict);
    assert_eq!(code, 3, "{text}");
    let r = results(&dir);
    let c = case(&r, "TPA-01");
    assert_eq!(c["status"], "environment_error");
    assert_eq!(c["reason"], "outcome_unknown");
    assert!(c["note"]
        .as_str()
        .unwrap()
        .contains("outcome of the write is unknown"));
    assert_eq!(attempts(&dir, "TPA-01"), 1, "not re-sent");
}

#[test]
fn a_journal_damaged_in_the_middle_is_an_error_with_its_line_number() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, dir, text) = run(tmp.path(), &["--only", "IMS-01"]);
    assert_eq!(code, 0, "{text}");
    let journal = dir.join("journal.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines[2] = "{\"event\": \"case_fini".into();
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    for args in [
        vec!["report".to_string()],
        vec!["run".into(), "--resume".into()],
    ] {
        let out = harness().args(&args).arg(&dir).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.contains("line 3"), "{args:?}: {err}");
    }
}

#[test]
fn a_torn_last_line_is_cut_off_by_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, dir, text) = run(tmp.path(), &["--only", "MP-01,IMS-01,INN-01"]);
    assert_eq!(code, 0, "{text}");
    // A crash: the journal loses its end (run_finished) and its last line is half written.
    let journal = dir.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut kept: Vec<&str> = text.lines().collect();
    kept.retain(|l| !l.contains("\"run_finished\""));
    let cut = kept
        .iter()
        .rposition(|l| l.contains("\"case_finished\""))
        .unwrap();
    kept.truncate(cut);
    std::fs::write(&journal, kept.join("\n") + "\n{\"event\":\"case_fin").unwrap();
    // report DIR tolerates the torn last line.
    let out = harness().arg("report").arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = harness()
        .args(["run", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    expect_exit(&out, 0);
    // Every line parses again: the torn line was cut off before the resumed run appended.
    let evs = events(&dir);
    assert!(matches!(evs.last(), Some(Event::RunFinished { .. })));
    let r = results(&dir);
    for id in ["MP-01", "IMS-01", "INN-01"] {
        assert_eq!(case(&r, id)["status"], "ok", "{id}");
    }
}

#[test]
fn a_429_with_retry_after_as_an_http_date_is_waited_out_then_ok() {
    let tmp = tempfile::tempdir().unwrap();
    // The first Inntekt call is answered 429 with `Retry-After: <an HTTP date two seconds ahead>`.
    let faults = "trigger=429@inntekt*1,retry_after=date";
    let (code, dir, text) = faulted(tmp.path(), "INN-01", faults, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(case(&results(&dir), "INN-01")["status"], "ok");
    let evs = events(&dir);
    let finished: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::AttemptFinished { case_id, http, .. } if case_id == "INN-01" => Some(*http),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        vec![Some(429), Some(200)],
        "429, waited out, then 200"
    );
    // The simulator logged the same: a 429 (sent with the HTTP-date `Retry-After`), then the answer.
    let log = std::fs::read_to_string(dir.join("sim-state.json.log.jsonl")).unwrap();
    let inntekt: Vec<u64> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["path"].as_str().unwrap_or("").starts_with("/inntekt/"))
        .filter_map(|l| l["status"].as_u64())
        .collect();
    assert_eq!(inntekt, vec![429, 200]);
}

#[test]
fn a_bad_faults_item_is_a_usage_error_naming_it() {
    for (faults, item) in [
        ("seed=1,5xx=2", "5xx=2"),
        ("bogus=1", "bogus"),
        ("nav_window=sometimes", "sometimes"),
        ("trigger=XX-1@inntekt", "XX-1"),
    ] {
        let out = harness()
            .args(["run", "--today", "2026-11-26", "--faults", faults])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--faults {faults}: {err}");
        assert!(err.contains(item), "--faults {faults}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
}
