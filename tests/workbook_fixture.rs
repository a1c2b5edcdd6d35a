//! The filled-in copy of a workbook made by another tool (openpyxl, `tests/fixtures/openpyxl/`): data
//! validations, conditional formats, formulas, merged cells, comments, widths, frozen panes and the hidden
//! sheet are all still there, in their original cells; only the result cells change; and with `mask_ids`
//! no personal id is left in any part of the package.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use dsop_harness::model::{
    Api, CaseResult, Lang, RunContext, RunReport, Status, StepResult, Summary, Verdict, WorkbookRef,
};
use dsop_harness::report::xlsx::write_filled;
use dsop_harness::workbook;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openpyxl/bits-style.xlsx")
}

const ID: &str = "12838510068";

fn case(id: &str, api: Api, status: Status) -> CaseResult {
    CaseResult {
        id: id.into(),
        api,
        operation: String::new(),
        description: format!("{id} for {ID}"),
        mandatory: true,
        status,
        expected: String::new(),
        expected_http: Some("200".into()),
        actual_http: Some(if status == Status::Ok { 200 } else { 404 }),
        expected_code: None,
        actual_code: (status != Status::Ok).then(|| "IM-008".to_string()),
        correlation_id: Some(format!("corr-{id}")),
        correlation_id_returned: None,
        duration_ms: 20,
        attempts: 1,
        note: (status != Status::Ok).then(|| format!("ingen inntektsmottaker {ID}")),
        notes: Vec::new(),
        reason: None,
        started: Some(Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).unwrap()),
        finished: None,
        steps: vec![StepResult {
            step: 1,
            operation: String::new(),
            api,
            expected: "200".into(),
            status,
            actual_http: Some(if status == Status::Ok { 200 } else { 404 }),
            actual_code: None,
            correlation_id: Some(format!("corr-{id}")),
            correlation_id_returned: None,
            duration_ms: 12,
            attempts: 1,
            note: (status != Status::Ok).then(|| format!("fant ikke {ID}")),
            notes: Vec::new(),
            summary: Some(format!("svar for {ID}")),
            started: None,
        }],
    }
}

fn report() -> RunReport {
    let cases = vec![
        case("MP-01", Api::Maskinporten, Status::Ok),
        case("IMS-01", Api::Inntektsmottakere, Status::Deviation),
    ];
    RunReport {
        harness_version: "0.1.0".into(),
        run_id: "run-fixture".into(),
        env: "sim".into(),
        simulated: true,
        rehearsal: false,
        observed_expiry_tolerance_secs: Default::default(),
        started: Utc.with_ymd_and_hms(2026, 11, 26, 9, 29, 0).unwrap(),
        finished: Utc.with_ymd_and_hms(2026, 11, 26, 9, 35, 0).unwrap(),
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        workbook: WorkbookRef {
            path: "x".into(),
            sha256: String::new(),
        },
        summary: Summary::of(cases.iter().map(|c| &c.status)),
        verdict: Verdict::of(&cases),
        context: RunContext::default(),
        cases,
        notes: vec![],
    }
}

fn parts(path: &Path) -> BTreeMap<String, Vec<u8>> {
    common::zip_file_members(path).into_iter().collect()
}

fn text(parts: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(parts[name].clone()).unwrap()
}

/// Every match of a regex, in order.
fn all(re: &str, s: &str) -> Vec<String> {
    regex::Regex::new(re)
        .unwrap()
        .find_iter(s)
        .map(|m| m.as_str().to_string())
        .collect()
}

/// A cell element `<c r="REF" …>…</c>` (or `<c r="REF" …/>`) of a sheet's XML.
fn cell(xml: &str, r: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"<c r="{r}"[^>]*?(/>|>.*?</c>)"#)).unwrap();
    re.find(xml).map(|m| m.as_str().to_string())
}

fn sheet_rows(path: &Path, name: &str) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut x: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let r = x.worksheet_range(name).unwrap();
    let (r0, c0) = r.start().unwrap();
    assert_eq!((r0, c0), (0, 0), "{name} starts at A1");
    r.rows()
        .map(|row| row.iter().map(|d| d.to_string()).collect())
        .collect()
}

#[test]
fn the_fixture_is_filled_in_with_everything_intact_in_its_cells() {
    let wb = workbook::read(&fixture()).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
    assert_eq!(wb.cases.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("filled.xlsx");
    write_filled(&wb, &report(), &out, Lang::Nb, false).unwrap();

    let before = parts(&fixture());
    let after = parts(&out);
    // Parts that hold no result are unchanged, byte for byte (comments, their drawings, the theme, …).
    for (name, bytes) in &before {
        let changed = [
            "xl/worksheets/sheet1.xml", // page-header banner only
            "xl/worksheets/sheet2.xml",
            "xl/worksheets/sheet3.xml",
            "xl/worksheets/sheet4.xml",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "[Content_Types].xml",
            "xl/styles.xml",
        ];
        if !changed.contains(&name.as_str()) {
            assert_eq!(after.get(name), Some(bytes), "{name} unchanged");
        }
    }

    // The Testcaser sheet: every data validation, conditional format, merged cell, width, frozen pane and
    // formula of the original, as it was.
    let tc_in = text(&before, "xl/worksheets/sheet3.xml");
    let tc_out = text(&after, "xl/worksheets/sheet3.xml");
    for re in [
        r"<dataValidations.*?</dataValidations>",
        r"<conditionalFormatting.*?</conditionalFormatting>",
        r"<mergeCells.*?</mergeCells>",
        r"<sheetViews>.*?</sheetViews>",
        r"<legacyDrawing[^>]*>",
    ] {
        let a = all(re, &tc_in);
        assert!(!a.is_empty(), "{re} in the fixture");
        assert_eq!(a, all(re, &tc_out), "{re}");
    }
    assert!(all("<dataValidation ", &tc_out).len() == 2);
    assert!(all("<cfRule ", &tc_out).len() == 2);
    assert!(tc_out.contains(r#"<mergeCell ref="A1:L1" />"#));
    // Original columns' widths unchanged; the appended result columns get theirs after them.
    let cols_in = all(r"<col [^>]*>", &tc_in);
    let cols_out = all(r"<col [^>]*>", &tc_out);
    assert_eq!(cols_out[..cols_in.len()], cols_in[..]);
    // Formulas and every original cell that is not a result cell: identical elements.
    assert_eq!(cell(&tc_out, "L3"), cell(&tc_in, "L3"));
    assert!(cell(&tc_out, "L3").unwrap().contains("<f>LEN(D3)</f>"));
    for r in 1..=4 {
        for c in ["A", "B", "C", "D", "E", "G", "H", "L"] {
            let at = format!("{c}{r}");
            assert_eq!(cell(&tc_out, &at), cell(&tc_in, &at), "{at}");
        }
    }
    // The Info and Testdata sheets: only the page header differs.
    let header_footer = regex::Regex::new(r"<headerFooter>.*?</headerFooter>").unwrap();
    for p in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"] {
        let a = text(&before, p);
        let b = text(&after, p);
        assert!(b.contains("<headerFooter><oddHeader>"), "{p}");
        let without = header_footer.replace(&b, "");
        assert_eq!(without, a, "{p}");
    }
    // The hidden sheet stays hidden; the added sheets come after the original ones.
    let wbx = text(&after, "xl/workbook.xml");
    assert!(
        regex::Regex::new(r#"<sheet [^>]*name="Notater"[^>]*state="hidden""#)
            .unwrap()
            .is_match(&wbx),
        "{wbx}"
    );
    let names = all(r#"<sheet [^>]*name="[^"]+""#, &wbx);
    let order: Vec<String> = names
        .iter()
        .map(|s| {
            s.rsplit("name=\"")
                .next()
                .unwrap()
                .trim_end_matches('"')
                .to_string()
        })
        .collect();
    assert_eq!(
        order,
        [
            "Info",
            "Testdata",
            "Testcaser",
            "Notater",
            "Avvik",
            "Sammendrag",
            "Endringslogg"
        ]
    );

    // The results, in the original rows and the original result columns (F Status, I Kommentar, J Dato,
    // K Testet av), the missing result columns appended after L.
    let rows = sheet_rows(&out, "Testcaser");
    assert_eq!(rows[0][0], "Testcaser (Bits-mal)", "no banner row");
    assert_eq!(rows[1][0], "Testcase-ID");
    assert_eq!(
        rows[1][12..16],
        [
            "Faktisk HTTP-status",
            "Faktisk feilkode",
            "Faktisk resultat",
            "Korrelasjons-ID"
        ]
    );
    assert_eq!(rows[2][0], "MP-01");
    assert_eq!(rows[2][5], "OK");
    assert_eq!(rows[2][10], "dsop-harness 0.1.0");
    assert_eq!(rows[2][12], "200");
    assert_eq!(rows[3][0], "IMS-01");
    assert_eq!(rows[3][5], "Avvik");
    assert_eq!(rows[3][8], format!("fant ikke {ID}"));
    assert_eq!(rows[3][9], "2026-11-26T10:30:00+01:00");
    // The filled copy reads back as the same workbook, in the same cells.
    let again = workbook::read(&out).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
    assert_eq!(again.cases.len(), 2);
    for (a, b) in again.cases.iter().zip(&wb.cases) {
        assert_eq!((&a.id, a.row, &a.steps), (&b.id, b.row, &b.steps));
    }
    assert_eq!(again.testdata, wb.testdata);
}

#[test]
fn masked_copy_has_no_personal_id_in_any_part() {
    let wb = workbook::read(&fixture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("masked.xlsx");
    write_filled(&wb, &report(), &out, Lang::Nb, true).unwrap();
    let before = parts(&fixture());
    assert!(
        before
            .values()
            .any(|v| String::from_utf8_lossy(v).contains(ID)),
        "the fixture holds the id"
    );
    for (name, bytes) in parts(&out) {
        let s = String::from_utf8_lossy(&bytes);
        assert!(!s.contains(ID), "{name} holds {ID}: {s}");
        assert!(!s.contains("1.2838510068E10"), "{name}");
    }
    // Masked as the other reports mask: the first 6 digits kept, in the Testdata cells copied from the input
    // (text and number) and in the results.
    let rows = sheet_rows(&out, "Testdata");
    assert_eq!(rows[3][2], "128385*****");
    assert_eq!(rows[4][2], "128385*****", "the id stored as a number");
    let rows = sheet_rows(&out, "Testcaser");
    assert_eq!(rows[3][8], "fant ikke 128385*****");
    // The masked copy still reads (the masked ids are errors, as they should be: not for a run).
    assert!(workbook::read(&out).is_err());
}

/// An independent reader (openpyxl) opens the filled copy and finds the validations, conditional formats,
/// merged cells and formulas. Skips, saying why, when python3 with openpyxl is missing (fails with CI=true).
#[test]
fn openpyxl_reads_the_filled_copy() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output();
    if !probe.map(|o| o.status.success()).unwrap_or(false) {
        let why = "python3 with openpyxl is not installed (pip install openpyxl)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{why}");
        }
        eprintln!("skipped: {why}");
        return;
    }
    let wb = workbook::read(&fixture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("filled.xlsx");
    write_filled(&wb, &report(), &out, Lang::Nb, false).unwrap();
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
tc = wb["Testcaser"]
print("dv", sorted(str(d.sqref) for d in tc.data_validations.dataValidation))
print("cf", sorted(str(r.sqref) for r in tc.conditional_formatting))
print("merged", [str(m) for m in tc.merged_cells.ranges])
print("formula", tc["L3"].value, tc["L4"].value)
print("status", tc["F3"].value, tc["F4"].value)
print("hidden", wb["Notater"].sheet_state)
print("header", tc.oddHeader.center.text is not None)
"#;
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for line in [
        "dv ['E3:E20', 'F3:F20']",
        "cf ['F3:F20']",
        "merged ['A1:L1']",
        "formula =LEN(D3) =LEN(D4)",
        "status OK Avvik",
        "hidden hidden",
        "header True",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
}
