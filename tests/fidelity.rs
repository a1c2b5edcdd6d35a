//! The fidelity loop (docs/simulator.md, "Fidelity loop: capture and compare"): a capture made against the
//! simulator under one set of switches, compared with the simulator under another, shows exactly the
//! differences those switches cause, and none when they are equal; a capture holds no value of the data set.

mod common;

use common::harness;
use dsop_harness::sim::data;
use std::collections::BTreeSet;
use std::path::Path;

const TODAY: &str = "2026-11-26";
/// Two switches that change answers of the bundled suite: a status and code (INN-03), and a body's shape.
const SWITCHES: [&str; 2] = ["before_floor=400:IM-006", "shielded_list=flagged"];

/// A bundled-suite run against the simulator with `--capture` under `faults`; its folder.
fn capture(reports: &Path, faults: &str) -> std::path::PathBuf {
    let out = harness()
        .args([
            "run",
            "--today",
            TODAY,
            "--capture",
            "--faults",
            faults,
            "--reports",
        ])
        .arg(reports)
        .output()
        .unwrap();
    let dir = reports.join("latest");
    assert!(
        dir.join("capture.jsonl").is_file(),
        "no capture.jsonl: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// `dsop-harness fidelity DIR --format json [--switch ...]`: exit code and the differences as
/// (case, step, aspect, field, captured, simulator).
fn fidelity(dir: &Path, switches: &[&str]) -> (i32, BTreeSet<[String; 6]>, serde_json::Value) {
    let mut cmd = harness();
    cmd.arg("fidelity").arg(dir).args(["--format", "json"]);
    for s in switches {
        cmd.args(["--switch", s]);
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "fidelity printed no JSON ({e}): exit {code}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let rows = v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| match &d[k] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            [
                s("case_id"),
                s("step"),
                s("aspect"),
                s("field"),
                s("captured"),
                s("simulator"),
            ]
        })
        .collect();
    (code, rows, v)
}

fn row(case: &str, step: u32, aspect: &str, field: &str, l: &str, r: &str) -> [String; 6] {
    [case, &step.to_string(), aspect, field, l, r].map(str::to_string)
}

#[test]
fn a_capture_shows_exactly_the_differences_the_switches_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = capture(tmp.path(), &SWITCHES.join(","));

    // The same switches: nothing differs.
    let (code, rows, v) = fidelity(&dir, &SWITCHES);
    assert_eq!((code, rows.len()), (0, 0), "{v:#}");
    assert!(v["steps"].as_u64().unwrap() > 40, "{v:#}");

    // The defaults: exactly what the two switches change.
    let (code, rows, v) = fidelity(&dir, &[]);
    assert_eq!(code, 1, "{v:#}");
    let mut want = BTreeSet::from([
        row("INN-03", 1, "status", "", "400", "403"),
        row("INN-03", 1, "code", "", "IM-006", "IM-005"),
    ]);
    for (case, step) in [
        ("MP-02", 1),
        ("MP-02", 2),
        ("MP-02", 3),
        ("MP-02", 4),
        ("IMS-01", 1),
        ("IMS-04", 1),
        ("X-01", 1),
    ] {
        want.insert(row(case, step, "shape", ".skjermet", "<boolean>", "absent"));
    }
    assert_eq!(rows, want, "{v:#}");

    // One switch back to its default: only its own differences remain.
    let (code, rows, _) = fidelity(&dir, &[SWITCHES[1]]);
    assert_eq!(code, 1);
    assert_eq!(
        rows,
        want.iter()
            .filter(|r| r[0] == "INN-03")
            .cloned()
            .collect::<BTreeSet<_>>()
    );
}

#[test]
fn a_capture_holds_no_value_of_the_data_set() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = capture(tmp.path(), "seed=1");
    let text = std::fs::read_to_string(dir.join("capture.jsonl")).unwrap();
    assert!(text.lines().filter(|l| l.contains("\"exchange\"")).count() > 40);

    let today = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let set = data::DataSet::default_for(today);
    let mut values: Vec<String> = vec![
        data::INSTITUTION_ORGNR.into(),
        data::INSTITUTION_NAME.into(),
        data::VENDOR_ORGNR.into(),
        data::INSTITUTION_CLIENT_ID.into(),
        data::NAV_ORGNR.into(),
        data::REF_A.into(),
        data::REF_TMP.into(),
        set.institution.clone(),
    ];
    for o in &set.orgs {
        values.extend([o.orgnr.clone(), o.navn.clone(), o.virksomhet.clone()]);
    }
    for p in &set.persons {
        values.extend([
            p.id.clone(),
            p.employment.id.clone(),
            p.employment.uuid.clone(),
        ]);
    }
    for a in &set.initial_agreements {
        values.push(a.avtalereferanse.clone());
    }
    let wb = dsop_harness::workbook::mapping::bundled().unwrap();
    for td in &wb.testdata {
        values.extend([td.identifikator.clone(), td.navn.clone()]);
        values.extend(td.avtalereferanse.clone());
    }
    values.retain(|v| v.trim().len() >= 5);
    values.sort();
    values.dedup();
    assert!(values.len() > 20, "{values:?}");
    let found: Vec<&String> = values
        .iter()
        .filter(|v| text.contains(v.as_str()))
        .collect();
    assert!(
        found.is_empty(),
        "the capture holds values of the data set: {found:?}"
    );
    for token in ["eyJ", "Bearer", "access_token\":\"ey"] {
        assert!(!text.contains(token), "the capture holds a token ({token})");
    }
}

#[test]
fn fidelity_names_a_missing_capture_and_an_unknown_switch() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, text) = common::code_and_text(harness().arg("fidelity").arg(tmp.path()));
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("capture.jsonl") && text.contains("--capture"),
        "{text}"
    );
    let (code, text) = common::code_and_text(
        harness()
            .arg("fidelity")
            .arg(tmp.path())
            .args(["--switch", "no_such_switch=1"]),
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no_such_switch"), "{text}");
}
