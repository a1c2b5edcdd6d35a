//! Never a vacuous verdict: a workbook without any mandatory case (every case `Obligatorisk = N`, or no such
//! column) gives the verdict "incomplete" with a sentence saying why, and no report claims readiness for
//! production while a case deviated, in the docx, the HTML and results.json.

mod common;

use dsop_harness::model::{CaseResult, Lang, Status, Verdict, VerdictReason};
use dsop_harness::workbook::source::{load_source, Source};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

fn source() -> Source {
    load_source(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/source.toml")).unwrap()
}

/// The bundled cases, IMS-01 made to deviate (it expects 404 where the simulator answers 200); with
/// `all_n`, every case `Obligatorisk = N`.
fn workbook(dir: &Path, all_n: bool) -> PathBuf {
    let mut src = source();
    for c in &mut src.cases {
        c.obligatorisk &= !all_n;
    }
    let ims = src.cases.iter_mut().find(|c| c.id == "IMS-01").unwrap();
    ims.steps[0].http = "404".into();
    let p = dir.join("wb.xlsx");
    std::fs::write(
        &p,
        dsop_harness::workbook::generate::build_bytes(&src).unwrap(),
    )
    .unwrap();
    p
}

/// A copy of `wb` whose `Obligatorisk` header is renamed, so the workbook has no such column.
fn without_mandatory_column(wb: &Path) -> PathBuf {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(wb).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut renamed = false;
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let name = e.name().to_string();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if name.ends_with(".xml") {
            let text = String::from_utf8(data).unwrap();
            let new = text.replace(">Obligatorisk<", ">Intern merknad<");
            renamed |= new != text;
            data = new.into_bytes();
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&data).unwrap();
    }
    assert!(renamed, "the Obligatorisk header was found");
    let p = wb.with_file_name("wb-no-column.xlsx");
    std::fs::write(&p, zout.finish().unwrap().into_inner()).unwrap();
    p
}

fn run(wb: &Path, reports: &Path, lang: &str) -> (i32, PathBuf, String) {
    let (code, text) = common::code_and_text(
        common::harness()
            .args(["run", "--today", "2026-11-26", "--lang", lang, "--workbook"])
            .arg(wb)
            .arg("--reports")
            .arg(reports),
    );
    (code, reports.join("latest"), text)
}

fn docx_text(dir: &Path) -> String {
    let path = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "docx"))
        .expect("a docx in the run folder");
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    s
}

const READY: [&str; 2] = ["klar for produksjon", "ready for production"];

fn assert_incomplete_without_readiness(dir: &Path, lang: &str, text: &str) {
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["verdict"], "incomplete", "{text}");
    assert_eq!(
        results["verdict_reason"]["reason"], "no_mandatory_case",
        "{}",
        results["verdict_reason"]
    );
    let ims = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "IMS-01")
        .unwrap();
    assert_eq!(ims["status"], "deviation");
    let (label, why) = match lang {
        "nb" => ("Ufullstendig", "Ingen av de"),
        _ => ("Incomplete", "None of the"),
    };
    let html = std::fs::read_to_string(dir.join("rapport.html")).unwrap();
    let docx = docx_text(dir);
    for (name, body) in [("rapport.html", &html), ("docx", &docx)] {
        assert!(body.contains(label), "{name} names the verdict {label}");
        assert!(
            body.contains(why),
            "{name} says why the verdict is incomplete"
        );
        for r in READY {
            assert!(!body.contains(r), "{name} claims readiness for production");
        }
    }
    let json = std::fs::read_to_string(dir.join("results.json")).unwrap();
    for r in READY {
        assert!(
            !json.contains(r),
            "results.json claims readiness for production"
        );
    }
}

#[test]
fn every_case_obligatorisk_n_is_incomplete_not_passed() {
    let tmp = tempfile::tempdir().unwrap();
    let wb = workbook(tmp.path(), true);
    for lang in ["nb", "en"] {
        let reports = tmp.path().join(format!("reports-{lang}"));
        let (code, dir, text) = run(&wb, &reports, lang);
        assert_eq!(code, 1, "a case deviated: {text}");
        assert!(!text.contains("Verdict: Passed"), "{text}");
        assert_incomplete_without_readiness(&dir, lang, &text);
    }
}

#[test]
fn a_workbook_without_the_obligatorisk_column_is_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    let wb = without_mandatory_column(&workbook(tmp.path(), false));
    let (code, dir, text) = run(&wb, &tmp.path().join("reports"), "nb");
    assert_eq!(code, 1, "a case deviated: {text}");
    assert_incomplete_without_readiness(&dir, "nb", &text);
}

/// A case of the sample report with this id, mandatory flag and status.
fn case(id: &str, mandatory: bool, status: Status) -> CaseResult {
    let mut c = dsop_harness::report::sample::sample_report().cases[0].clone();
    c.id = id.to_string();
    c.mandatory = mandatory;
    c.status = status;
    c
}

/// One row per rule of the overall verdict.
#[test]
fn verdict_rules() {
    use Status::*;
    type Row = (&'static str, Vec<(bool, Status)>, Verdict, bool);
    let rows: Vec<Row> = vec![
        ("no case at all", vec![], Verdict::Incomplete, false),
        (
            "no mandatory case, all ok",
            vec![(false, Ok), (false, Ok)],
            Verdict::Incomplete,
            false,
        ),
        (
            "no mandatory case, one deviates",
            vec![(false, Deviation)],
            Verdict::Incomplete,
            false,
        ),
        (
            "every mandatory ok",
            vec![(true, Ok), (false, Ok)],
            Verdict::Passed,
            true,
        ),
        (
            "mandatory ok, optional not run",
            vec![(true, Ok), (false, NotRun)],
            Verdict::Passed,
            true,
        ),
        (
            "mandatory ok, optional deviates",
            vec![(true, Ok), (false, Deviation)],
            Verdict::Passed,
            false,
        ),
        (
            "a mandatory deviates",
            vec![(true, Deviation), (true, EnvironmentError)],
            Verdict::Failed,
            false,
        ),
        (
            "a mandatory environment error",
            vec![(true, Ok), (true, EnvironmentError)],
            Verdict::Incomplete,
            false,
        ),
        (
            "a mandatory not run",
            vec![(true, NotRun)],
            Verdict::Incomplete,
            false,
        ),
        (
            "a mandatory not applicable",
            vec![(true, NotApplicable)],
            Verdict::Incomplete,
            false,
        ),
    ];
    for (name, cases, verdict, ready) in rows {
        let cases: Vec<CaseResult> = cases
            .iter()
            .enumerate()
            .map(|(i, (m, s))| case(&format!("C-{i}"), *m, *s))
            .collect();
        let reason = VerdictReason::of(&cases);
        assert_eq!(Verdict::of(&cases), verdict, "{name}");
        assert_eq!(reason.verdict(), verdict, "{name}");
        assert_eq!(reason.ready_for_production(), ready, "{name}");
        for lang in [Lang::Nb, Lang::En] {
            let s = reason.sentence(lang);
            assert!(!s.trim().is_empty(), "{name}: a sentence in {lang:?}");
            let claims = READY
                .iter()
                .any(|r| s.contains(r) && !s.contains("ikke melde") && !s.contains("cannot"));
            assert_eq!(claims, ready, "{name}: {s}");
        }
    }
}
