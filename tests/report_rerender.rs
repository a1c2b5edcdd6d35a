//! `report DIR`: every report rendered again from the journal (no API call), with the human fields of a filled
//! workbook; several runs merged with the later verdict winning and the earlier attempts listed.

use dsop_harness::events::Event;
use dsop_harness::model::{RunReport, Status, Summary, Verdict};
use dsop_harness::report::{self, sample::sample_report, RerenderOptions};
use std::path::Path;

/// A run folder as `run` leaves it: journal.jsonl (and results.json when `with_results`).
fn run_dir(dir: &Path, r: &RunReport, with_results: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let mut lines = vec![Event::RunStarted {
        run_id: r.run_id.clone(),
        harness_version: r.harness_version.clone(),
        env: r.env.clone(),
        simulated: r.simulated,
        today: r.today,
        workbook: r.workbook.clone(),
        cases: r.cases.len(),
        at: r.started,
        case_ids: r.cases.iter().map(|c| c.id.clone()).collect(),
        context: Box::new(r.context.clone()),
        rerun_of: None,
    }];
    for c in &r.cases {
        lines.push(Event::CaseFinished { result: c.clone() });
    }
    lines.push(Event::RunFinished {
        summary: r.summary.clone(),
        verdict: r.verdict,
        interrupted: false,
        at: r.finished,
    });
    let text: String = lines
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(dir.join("journal.jsonl"), text).unwrap();
    if with_results {
        std::fs::write(
            dir.join(report::RESULTS_JSON),
            serde_json::to_vec_pretty(r).unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn rerenders_from_the_journal() {
    let d = tempfile::tempdir().unwrap();
    let r = sample_report();
    run_dir(d.path(), &r, true);
    let files = report::rerender(d.path(), &RerenderOptions::default()).unwrap();
    assert_eq!(files.len(), 4);
    // A new folder beside the run, named after it: the run's own files are never overwritten.
    let out = files[0].parent().unwrap();
    assert_ne!(out, d.path());
    assert!(out
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with(d.path().file_name().unwrap().to_str().unwrap()));
    let back: RunReport = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    // The run notes are the aggregator's (worded from run_started); everything else is the journal's.
    assert_eq!(
        back.notes,
        [
            "Kjørt mot dsop-harness sin innebygde simulator: ikke bevis for Bits.",
            "Systembruker er brukt: ikke verifisert mot etatene."
        ]
    );
    assert_eq!(
        RunReport {
            notes: r.notes.clone(),
            ..back
        },
        r
    );
    // Without results.json the journal alone is enough (the context is in run_started).
    let d2 = tempfile::tempdir().unwrap();
    run_dir(d2.path(), &r, false);
    let files = report::rerender(d2.path(), &RerenderOptions::default()).unwrap();
    let back: RunReport = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(back.cases, r.cases);
    assert_eq!(back.verdict, r.verdict);
    let html = std::fs::read_to_string(files[0].with_file_name(report::HTML)).unwrap();
    assert!(html.contains("SIMULERT KJØRING"));
}

#[test]
fn empty_folder_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let e = report::rerender(d.path(), &RerenderOptions::default()).unwrap_err();
    assert!(e.to_string().contains("journal.jsonl"), "{e}");
}

fn filled_workbook(path: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let info = wb.add_worksheet();
    info.set_name("Info").unwrap();
    for (r, (k, v)) in [
        ("Nøkkel", "Verdi"),
        ("Testansvarlig", "Ola Testleder"),
        ("Ansvarlig pensjonsinnretning", "Kari Direktør"),
        ("Bits saksnr", "BITS-2026-0042"),
    ]
    .iter()
    .enumerate()
    {
        info.write_string(r as u32, 0, *k).unwrap();
        info.write_string(r as u32, 1, *v).unwrap();
    }
    let av = wb.add_worksheet();
    av.set_name("Avvik").unwrap();
    av.write_string(0, 0, "SIMULERT KJØRING – IKKE BEVIS FOR BITS")
        .unwrap();
    let head = [
        "Avvik-ID",
        "Testcase-ID",
        "Beskrivelse",
        "Alvorlighet",
        "Årsak",
        "Tiltak",
        "Ansvarlig",
        "Status",
        "Meldt Bits (saksnr)",
        "Korrelasjons-ID",
    ];
    for (c, h) in head.iter().enumerate() {
        av.write_string(1, c as u16, *h).unwrap();
    }
    let row = [
        "AV-01",
        "IMS-02",
        "x",
        "Høy",
        "Egen løsning",
        "Rette periodeberegning & kjøre på nytt",
        "Per Utvikler",
        "Åpen",
        "BITS-2026-0042",
        "",
    ];
    for (c, v) in row.iter().enumerate() {
        av.write_string(2, c as u16, *v).unwrap();
    }
    wb.save(path).unwrap();
}

#[test]
fn workbook_human_fields_reach_docx_and_html() {
    let d = tempfile::tempdir().unwrap();
    let r = sample_report();
    run_dir(d.path(), &r, true);
    let wb = d.path().join("utfylt.xlsx");
    filled_workbook(&wb);
    let opts = RerenderOptions {
        workbook: Some(wb),
        ..Default::default()
    };
    let files = report::rerender(d.path(), &opts).unwrap();
    let out = files[0].parent().unwrap();
    let html = std::fs::read_to_string(out.join(report::HTML)).unwrap();
    assert!(
        html.contains("Rette periodeberegning &amp; kjøre på nytt"),
        "tiltak"
    );
    assert!(html.contains("Per Utvikler"));
    assert!(html.contains("Ola Testleder"));
    assert!(html.contains("Kari Direktør"));
    assert!(html.contains("BITS-2026-0042"));
    let mut z = zip::ZipArchive::new(std::fs::File::open(out.join(report::DOCX)).unwrap()).unwrap();
    let mut doc = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut doc).unwrap();
    assert!(doc.contains("Rette periodeberegning &amp; kjøre på nytt"));
    assert!(doc.contains("Per Utvikler"));
}

#[test]
fn merged_runs_keep_history_and_later_verdict_wins() {
    let d = tempfile::tempdir().unwrap();
    let first = sample_report();
    let a = d.path().join("run1");
    run_dir(&a, &first, true);
    // The --rerun-failed run: IMS-02 and AAR-02 again (now OK), everything else not selected.
    let mut second = sample_report();
    second.run_id = "20261126T100000Z-sim-9b1c".into();
    second.started = first.started + chrono::Duration::hours(1);
    second.finished = first.finished + chrono::Duration::hours(1);
    for c in second.cases.iter_mut() {
        if c.id == "IMS-02" || c.id == "AAR-02" {
            c.status = Status::Ok;
            c.note = None;
            c.started = c.started.map(|t| t + chrono::Duration::hours(1));
        } else {
            c.status = Status::NotRun;
            c.note = Some("not selected".into());
            c.started = None;
            c.steps.clear();
        }
    }
    second.summary = Summary::of(second.cases.iter().map(|c| &c.status));
    second.verdict = Verdict::of(&second.cases);
    let b = d.path().join("run2");
    run_dir(&b, &second, true);
    let out = d.path().join("final");
    // Given newest first: the order of the folders does not matter.
    let opts = RerenderOptions {
        merge: vec![a.clone()],
        out: Some(out.clone()),
        ..Default::default()
    };
    report::rerender(&b, &opts).unwrap();
    let merged: RunReport =
        serde_json::from_slice(&std::fs::read(out.join(report::RESULTS_JSON)).unwrap()).unwrap();
    let status = |id: &str| merged.cases.iter().find(|c| c.id == id).unwrap().status;
    assert_eq!(status("IMS-02"), Status::Ok);
    assert_eq!(status("AAR-02"), Status::Ok);
    assert_eq!(
        status("MP-01"),
        Status::Ok,
        "an earlier result is kept when not rerun"
    );
    assert_eq!(status("SEC-02"), Status::NotRun);
    assert_eq!(merged.cases.len(), first.cases.len());
    let html = std::fs::read_to_string(out.join(report::HTML)).unwrap();
    assert!(html.contains("Tidligere forsøk"));
    assert!(html.contains(&format!("kjøring {}", first.run_id)));
    assert!(html.contains("Samlet rapport over 2 kjøringer"));
}
