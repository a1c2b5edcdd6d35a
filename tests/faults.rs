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
