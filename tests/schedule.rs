//! The scheduler as a run shows it in its journal: no case overlaps an earlier one it conflicts with or
//! starts before its prerequisite ends, and when more cases could start than there are `--jobs` slots, the
//! ones with more planned calls go first (with `--jobs 1`, the workbook's order). Order only: no timing.

mod common;

use common::{expect_exit, harness};
use dsop_harness::events::{journal, Event};
use dsop_harness::run::plan::{self, PlanOptions};
use dsop_harness::run::schedule::Footprint;
use dsop_harness::workbook::{self, generate, source};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `workbook` against the embedded simulator with `--jobs jobs`; the run's journal events.
fn run(dir: &Path, workbook: &Path, jobs: &str) -> Vec<Event> {
    let reports = dir.join("reports");
    let out = harness()
        .arg("run")
        .arg("--workbook")
        .arg(workbook)
        .arg("--reports")
        .arg(&reports)
        .args(["--jobs", jobs, "--today", "2026-11-26"])
        .output()
        .unwrap();
    // 0: passed; 1: a deviation (the generated copies are not all meant to pass). Never a crash.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    journal::read(&reports.join("latest").join("journal.jsonl"))
        .unwrap()
        .events
}

/// The ids in the order their `case_started` events were journalled.
fn started(ev: &[Event]) -> Vec<String> {
    ev.iter()
        .filter_map(|e| match e {
            Event::CaseStarted { case_id, .. } => Some(case_id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn no_case_overlaps_an_earlier_one_it_conflicts_with_nor_starts_before_its_prerequisite() {
    let dir = tempfile::tempdir().unwrap();
    let wb = manifest().join("testcases").join(generate::BUNDLED_FILE);
    let ev = run(dir.path(), &wb, "16");
    let plan = plan::build(&workbook::read(&wb).unwrap(), &PlanOptions::default()).unwrap();
    let mut span = HashMap::new();
    for e in &ev {
        match e {
            Event::CaseStarted { case_id, at } => {
                span.insert(case_id.clone(), (*at, None));
            }
            Event::CaseFinished { result } => {
                if let (Some(s), Some(f)) = (span.get_mut(&result.id), result.finished) {
                    s.1 = Some(f);
                }
            }
            _ => {}
        }
    }
    assert_eq!(span.len(), plan.cases.len(), "every bundled case ran");
    // A simulated run moves the simulator's clock: the clock movers conflict with everything.
    let feet: Vec<Footprint> = plan.cases.iter().map(|c| Footprint::of(c, true)).collect();
    let mut checked = 0;
    for (j, later) in plan.cases.iter().enumerate() {
        let start = span[&later.id].0;
        for (i, earlier) in plan.cases[..j].iter().enumerate() {
            let must_follow = feet[i].conflicts(&feet[j], true)
                || later.depends_on.as_deref() == Some(&earlier.id);
            if !must_follow {
                continue;
            }
            let end = span[&earlier.id].1.expect("the earlier case finished");
            assert!(
                start >= end,
                "{} started at {start} before {} it must follow ended at {end}",
                later.id,
                earlier.id
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} ordered pairs checked");
}

/// A workbook of read cases without prerequisites: `ids[k]` is a copy of the source case `from[k]`.
fn reads(dir: &Path, cases: &[(&str, &str)]) -> PathBuf {
    let mut src =
        source::load_source(&manifest().join("testcases").join(generate::SOURCE_FILE)).unwrap();
    let copies = cases
        .iter()
        .map(|(id, from)| {
            let mut c = src.cases.iter().find(|c| c.id == *from).unwrap().clone();
            c.id = id.to_string();
            c.bundled = true;
            c.forutsetninger = String::new();
            c
        })
        .collect();
    src.cases = copies;
    let path = dir.join("reads.xlsx");
    std::fs::write(&path, generate::build_bytes(&src).unwrap()).unwrap();
    path
}

#[test]
fn with_slots_short_the_case_with_more_calls_starts_first_and_jobs_1_keeps_the_workbook_order() {
    let dir = tempfile::tempdir().unwrap();
    // AAR-07 reads Aa-registeret twice; IMS-01 once. The two-call copy comes third in the workbook.
    let wb = reads(
        dir.path(),
        &[
            ("R-1", "IMS-01"),
            ("R-2", "IMS-01"),
            ("R-3", "AAR-07"),
            ("R-4", "IMS-01"),
            ("R-5", "IMS-01"),
        ],
    );
    let plan = plan::build(&workbook::read(&wb).unwrap(), &PlanOptions::default()).unwrap();
    let steps = |id: &str| plan.cases.iter().find(|c| c.id == id).unwrap().steps.len();
    assert!(
        steps("R-3") > steps("R-1"),
        "the copy of AAR-07 has more calls"
    );

    let two = started(&run(&dir.path().join("two"), &wb, "2"));
    assert_eq!(two.len(), 5);
    let mut first = two[..2].to_vec();
    first.sort();
    assert_eq!(first, ["R-1", "R-3"], "the first two started: {two:?}");

    let one = started(&run(&dir.path().join("one"), &wb, "1"));
    assert_eq!(one, ["R-1", "R-2", "R-3", "R-4", "R-5"]);
}

#[test]
fn mp_02_counts_the_renewals_of_its_own_scope_only() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let out = harness()
        .arg("run")
        .arg("--reports")
        .arg(&reports)
        .args(["--jobs", "16", "--lang", "en", "--today", "2026-11-26"])
        .output()
        .unwrap();
    expect_exit(&out, 0);
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("latest").join("results.json")).unwrap(),
    )
    .unwrap();
    let mp02 = common::case(&r, "MP-02");
    assert_eq!(mp02["status"], "ok", "{mp02:#}");
    // The other scopes' stale tokens are renewed beside MP-02's own renewal: MP-02 counts its own scope's,
    // exactly one after the lifetime passed (two would be a deviation).
    let text = mp02.to_string();
    assert!(text.contains("1 after the lifetime"), "{mp02:#}");
}
