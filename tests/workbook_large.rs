//! Workbooks of any size and shape: a 100,000-case workbook validates and plans; a stray value far away
//! (XFD1048576, or far below the table) is ignored with a warning naming its cell. No timing here: the
//! benchmark (`cargo bench --bench workbook_read`) shows the speed.

use dsop_harness::run::plan::{self, PlanOptions};
use dsop_harness::workbook::{self, generate, source, Severity};
use std::path::{Path, PathBuf};

/// A workbook of `n` one-step cases (copies of IMS-01) with the bundled test data.
fn generated(dir: &Path, n: usize) -> PathBuf {
    let src_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testcases")
        .join(generate::SOURCE_FILE);
    let mut src = source::load_source(&src_path).unwrap();
    let template = src
        .cases
        .iter()
        .find(|c| c.id == "IMS-01")
        .cloned()
        .unwrap();
    src.cases = (1..=n)
        .map(|i| {
            let mut c = template.clone();
            c.id = format!("GEN-{i:06}");
            c.bundled = true;
            c
        })
        .collect();
    let path = dir.join(format!("generated-{n}.xlsx"));
    std::fs::write(&path, generate::build_bytes(&src).unwrap()).unwrap();
    path
}

#[test]
fn a_100000_case_workbook_validates_and_plans() {
    let dir = tempfile::tempdir().unwrap();
    let path = generated(dir.path(), 100_000);
    let wb = workbook::read(&path).unwrap_or_else(|e| panic!("{e}: {:#?}", &e.problems[..3]));
    assert_eq!(wb.cases.len(), 100_000);
    assert_eq!(wb.cases[99_999].id, "GEN-100000");
    let plan = plan::build(&wb, &PlanOptions::default())
        .unwrap_or_else(|p| panic!("{:#?}", &p[..p.len().min(3)]));
    assert_eq!(plan.cases.len(), 100_000);
}

/// A minimal valid workbook with extra cells written by `extra`.
fn small(dir: &Path, name: &str, extra: impl Fn(&mut rust_xlsxwriter::Worksheet)) -> PathBuf {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Testdata").unwrap();
    for (c, h) in ["Ref", "Type", "Identifikator"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "TD-ORG-01").unwrap();
    ws.write_string(1, 1, "Opplysningspliktig").unwrap();
    ws.write_string(1, 2, "310000108").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Testcaser").unwrap();
    for (c, h) in [
        "Testcase-ID",
        "API",
        "Operasjon",
        "Inndata",
        "Forventet HTTP-status",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "MP-01").unwrap();
    ws.write_string(1, 1, "Maskinporten").unwrap();
    ws.write_string(1, 2, "token").unwrap();
    ws.write_string(1, 3, "scope=skatteetaten:inntekt").unwrap();
    ws.write_string(1, 4, "200").unwrap();
    extra(ws);
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

#[test]
fn a_far_stray_cell_is_ignored_with_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = small(dir.path(), "stray.xlsx", |ws| {
        ws.write_string(1_048_575, 16_383, "pasted").unwrap();
    });
    let wb = workbook::read(&path).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
    assert_eq!(wb.cases.len(), 1);
    let w: Vec<String> = wb.warnings.iter().map(|w| w.to_string()).collect();
    let stray: Vec<&String> = w.iter().filter(|w| w.contains("XFD1048576")).collect();
    assert_eq!(stray.len(), 1, "{w:#?}");
    assert!(stray[0].contains("Testcaser!XFD1048576"), "{}", stray[0]);
    assert!(stray[0].contains("outside the table"), "{}", stray[0]);
    assert!(
        wb.warnings.iter().all(|p| p.severity == Severity::Warning),
        "{w:#?}"
    );
}

#[test]
fn cells_right_of_the_header_or_far_below_are_outside_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = small(dir.path(), "notes.xlsx", |ws| {
        // Right of the last header column (E): a note on the case row.
        ws.write_string(1, 7, "note to self").unwrap();
        // 99 empty rows below the last row: still the table (a row without an id, with a warning).
        ws.write_string(101, 2, "token").unwrap();
        // Then 150 empty rows: outside.
        ws.write_string(252, 0, "MP-99").unwrap();
        ws.write_string(252, 2, "token").unwrap();
    });
    let wb = workbook::read(&path).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
    let w: Vec<String> = wb.warnings.iter().map(|w| w.to_string()).collect();
    let outside: Vec<&String> = w
        .iter()
        .filter(|w| w.contains("outside the table"))
        .collect();
    assert_eq!(outside.len(), 1, "one warning per sheet: {w:#?}");
    for cell in ["Testcaser!H2", "Testcaser!A253", "Testcaser!C253"] {
        assert!(outside[0].contains(cell), "{cell} in {}", outside[0]);
    }
    assert!(outside[0].contains("3 non-empty cells"), "{}", outside[0]);
    assert!(!wb.cases.iter().any(|c| c.id == "MP-99"));
    // The row 99 empty rows below belongs to MP-01 (a step row without an id continues the case above).
    assert_eq!(wb.cases.len(), 1);
    assert_eq!(wb.cases[0].steps.len(), 2, "{w:#?}");
}
