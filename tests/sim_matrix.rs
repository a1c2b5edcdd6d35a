//! The robustness matrix (docs/simulator.md §15.1): the bundled suite against the embedded simulator once with
//! the defaults and once per alternative of each switch, one switch changed at a time. Prints which cases change
//! verdict; the suite must stay Bestått under every alternative, except the cases docs/simulator.md lists as
//! "to be confirmed in the test environment".

mod common;

use common::harness;
use dsop_harness::sim::SWITCHES;
use std::collections::BTreeMap;

/// (switch=value, case id) pairs the docs list as to be confirmed in the test environment.
const TO_BE_CONFIRMED: [(&str, &str); 1] = [("shielded_list=flagged", "IMS-01")];

/// Run the bundled suite with `faults` (switch items) and return the exit code and each case's status.
fn run(faults: Option<&str>) -> (i32, BTreeMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let mut cmd = harness();
    cmd.args(["run", "--today", "2026-11-26", "--reports"])
        .arg(&reports);
    if let Some(f) = faults {
        cmd.args(["--faults", f]);
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let results = std::fs::read(reports.join("latest/results.json")).unwrap_or_else(|e| {
        panic!(
            "{faults:?}: no results.json ({e}); exit {code}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let r: serde_json::Value = serde_json::from_slice(&results).unwrap();
    let cases = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let note = c["note"].as_str().unwrap_or("");
            (
                c["id"].as_str().unwrap().to_string(),
                format!("{} {note}", c["status"].as_str().unwrap())
                    .trim()
                    .to_string(),
            )
        })
        .collect();
    (code, cases)
}

fn status(s: &str) -> &str {
    s.split(' ').next().unwrap_or("")
}

#[test]
fn bundled_suite_is_robust_to_every_switch() {
    let (code, base) = run(None);
    assert_eq!(code, 0, "the defaults: {base:#?}");
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/simulator.md")).unwrap();
    let mut table = Vec::new();
    let mut failures = Vec::new();
    for d in SWITCHES {
        for alt in d.alternatives {
            let item = format!("{}={alt}", d.name);
            let (code, cases) = run(Some(&item));
            let mut changed = Vec::new();
            for (id, st) in &cases {
                let before = base.get(id).map(String::as_str).unwrap_or("missing");
                if status(st) != status(before) {
                    changed.push(format!("{id}: {} -> {st}", status(before)));
                    let confirmed = TO_BE_CONFIRMED.contains(&(item.as_str(), id.as_str()));
                    if !confirmed && st != "ok" && !st.starts_with("ok ") {
                        failures.push(format!("{item}: {id} {st}"));
                    }
                }
            }
            if code != 0
                && !changed.iter().all(|c| {
                    TO_BE_CONFIRMED
                        .iter()
                        .any(|(i, id)| *i == item && c.starts_with(&format!("{id}:")))
                })
            {
                failures.push(format!("{item}: exit {code}"));
            }
            table.push((item, changed));
        }
    }
    println!("{:<42} cases that changed verdict", "switch=alternative");
    for (item, changed) in &table {
        println!(
            "{item:<42} {}",
            if changed.is_empty() {
                "none".to_string()
            } else {
                changed.join("; ")
            }
        );
    }
    for (item, id) in TO_BE_CONFIRMED {
        assert!(
            docs.contains(&format!("**{id}** under `{item}`")),
            "docs/simulator.md §15.1 must list {id} under {item} as to be confirmed, with the reason"
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
