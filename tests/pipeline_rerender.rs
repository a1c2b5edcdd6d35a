//! One event stream, one aggregator: `report DIR` rebuilds exactly the live run's results.json from the
//! journal (nothing ignored: results.json holds no render time), in both languages; for a run cut off
//! midway, the re-rendered cases are the journal's `case_finished` events.

mod common;

use common::{expect_exit, harness};
use dsop_harness::events::Event;
use dsop_harness::model::{Lang, RunReport};
use std::path::{Path, PathBuf};

fn live_run(reports: &Path, lang: &str) -> PathBuf {
    let out = harness()
        .args(["run", "--today", "2026-11-26", "--lang", lang, "--reports"])
        .arg(reports)
        .output()
        .unwrap();
    expect_exit(&out, 0);
    reports.join(std::fs::read_link(reports.join("latest")).unwrap())
}

fn rerender(dir: &Path, out: &Path, lang: &str) -> serde_json::Value {
    let o = harness()
        .arg("report")
        .arg(dir)
        .args(["--lang", lang, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    json(&out.join("results.json"))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn rerendering_a_finished_run_gives_the_live_results_in_both_languages() {
    for lang in ["nb", "en"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = live_run(&tmp.path().join("reports"), lang);
        let live = json(&dir.join("results.json"));
        let again = rerender(&dir, &tmp.path().join("again"), lang);
        assert_eq!(again, live, "--lang {lang}");
    }
}

#[test]
fn rerendering_a_run_cut_off_midway_gives_the_journals_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = live_run(&tmp.path().join("reports"), "en");
    // Cut the journal after its tenth case_finished event, as a crash there would leave it.
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    let mut kept = Vec::new();
    let mut finished = Vec::new();
    for line in text.lines() {
        let e: Event = serde_json::from_str(line).unwrap();
        kept.push(line);
        if let Event::CaseFinished { result } = e {
            finished.push(result);
            if finished.len() == 10 {
                break;
            }
        }
    }
    let cut = tmp.path().join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    std::fs::write(cut.join("journal.jsonl"), kept.join("\n") + "\n").unwrap();
    let again = rerender(&cut, &tmp.path().join("again"), "en");
    let report: RunReport = serde_json::from_value(again).unwrap();
    let mut expected: Vec<_> = finished
        .into_iter()
        .map(|mut c| {
            dsop_harness::lang::word_case(&mut c, Lang::En);
            c
        })
        .collect();
    let mut got = report.cases.clone();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    got.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(got, expected);
    // The context came from the journal alone: the institution and the endpoints are there.
    assert!(!report.context.institution.orgnr.is_empty());
    assert!(!report.context.base_urls.is_empty());
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("no run_finished event")));
}
