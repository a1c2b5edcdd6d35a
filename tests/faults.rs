//! With the simulator injecting faults (5xx 20 %, resets 10 %, latency past the timeout 5 %, fixed seed),
//! every case ends ok or environment_error — never a deviation against the institution — and what the
//! harness recorded matches the simulator's own log of what it did.

#![cfg(unix)]

mod common;

use common::{get_json, harness, start_simulator};

#[test]
fn faults_end_as_environment_errors_matching_the_simulator_log() {
    let tmp = tempfile::tempdir().unwrap();
    let (_sim, base) = start_simulator(&["--faults", "seed=42,5xx=0.2,reset=0.1,timeout=0.05"]);
    let reports = tmp.path().join("reports");
    let out = harness()
        .args([
            "run",
            "--today",
            "2026-11-26",
            "--timeout",
            "1",
            "--sim-url",
            &base,
            "--reports",
        ])
        .arg(&reports)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        code == 0 || code == 3,
        "exit {code}: never 1 (deviation) for environment faults\n{text}"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("latest/results.json")).unwrap())
            .unwrap();
    let cases = r["cases"].as_array().unwrap();
    for c in cases {
        assert!(
            c["status"] == "ok" || c["status"] == "environment_error",
            "{} ended {} under environment faults: {}",
            c["id"],
            c["status"],
            c["note"]
        );
    }
    assert!(
        cases.iter().any(|c| c["status"] == "environment_error"),
        "the faults were felt"
    );

    // Every answer the harness recorded is in the simulator's log with the same status.
    let log = get_json(&format!("{base}/_sim/log"));
    let by_corr: std::collections::HashMap<&str, u64> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| Some((l["correlation_id"].as_str()?, l["status"].as_u64()?)))
        .collect();
    let mut checked = 0;
    for c in cases {
        for s in c["steps"].as_array().unwrap() {
            let (Some(corr), Some(http)) =
                (s["correlation_id"].as_str(), s["actual_http"].as_u64())
            else {
                continue;
            };
            assert_eq!(
                by_corr.get(corr),
                Some(&http),
                "{} step {}: the simulator logged otherwise",
                c["id"],
                s["step"]
            );
            checked += 1;
        }
    }
    assert!(checked > 10);
    // An environment error without an HTTP status is a reset or a timeout: the simulator saw the request
    // (a reset is logged with the status it began to send) or is still holding it (a timeout).
    for c in cases.iter().filter(|c| c["status"] == "environment_error") {
        let s = c["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["status"] == "environment_error");
        if let Some(s) = s {
            if s["actual_http"].is_null() {
                if let Some(corr) = s["correlation_id"].as_str() {
                    if let Some(st) = by_corr.get(corr) {
                        assert_eq!(
                            *st, 200,
                            "{}: a transport failure the simulator answered with {st}",
                            c["id"]
                        );
                    }
                }
            }
        }
    }
}

/// A case skipped because its prerequisite ended Miljøfeil names the fault itself (the prerequisite's own
/// note), in both languages, in the run's report and in one re-rendered from the journal.
#[test]
fn a_skipped_dependant_names_its_prerequisites_fault() {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let out = harness()
        .args(["run", "--today", "2026-11-26", "--lang", "en"])
        .args(["--only", "TPA-01,INN-01", "--timeout", "1"])
        .args([
            "--faults",
            "seed=1,5xx=1@tjenestepensjonsavtale",
            "--reports",
        ])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let dir = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    let note = |file: &std::path::Path| {
        let r: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let c = common::case(&r, "INN-01");
        assert_eq!(c["status"], "environment_error", "{c}");
        c["note"].as_str().unwrap().to_string()
    };
    let en = note(&dir.join("results.json"));
    assert!(
        en.starts_with("the prerequisite TPA-01 ended with an environment error: ")
            && en.contains("500 DAS-001"),
        "{en}"
    );
    // Re-rendered from the journal in bokmål: the typed note is worded again.
    let nb_dir = tmp.path().join("nb");
    let out = harness()
        .arg("report")
        .arg(&dir)
        .args(["--lang", "nb", "--out"])
        .arg(&nb_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let nb = note(&nb_dir.join("results.json"));
    assert!(
        nb.starts_with("forutsetningen TPA-01 endte med miljøfeil: ") && nb.contains("500 DAS-001"),
        "{nb}"
    );
}
