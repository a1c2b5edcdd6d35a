//! A Bits file without machine columns: `validate` names the columns to add, and a mapping file ties its case
//! ids to the bundled cases for `validate` and `run` (through the binary) and for `read_mapped`.

use dsop_harness::workbook::{self, Severity};
use rust_xlsxwriter::Workbook as XWorkbook;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_dsop-harness");

/// A Bits-like file: a title row, a header without machine columns, three cases with free ids.
fn bits_file(dir: &Path, with_testdata: bool) -> PathBuf {
    let mut wb = XWorkbook::new();
    if with_testdata {
        let ws = wb.add_worksheet();
        ws.set_name("Testdata").unwrap();
        let rows = [
            [
                "Ref",
                "Type",
                "Identifikator",
                "Avtalereferanse",
                "Avtale fraOgMed",
            ],
            [
                "Arbeidsgiver 1",
                "Opplysningspliktig",
                "310000108",
                "OTP-SIM-0001",
                "2021-01",
            ],
            ["Person 1", "Inntektsmottaker", "12838510068", "", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Testcaser").unwrap();
    ws.write_string(0, 0, "Integrasjonstest Ajourhold av OTP – testcaser")
        .unwrap();
    let header = [
        "Nr",
        "Beskrivelse",
        "Forventet resultat",
        "OK/Avvik",
        "Kommentar",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let rows = [
        ("1", "Hent token fra Maskinporten"),
        ("Case 2a", "Registrer avtaleforhold"),
        ("3", "Hent inntektsmottakere"),
    ];
    for (i, (id, desc)) in rows.iter().enumerate() {
        let r = 2 + i as u32;
        ws.write_string(r, 0, *id).unwrap();
        ws.write_string(r, 1, *desc).unwrap();
        ws.write_string(r, 2, "Svar som forventet").unwrap();
    }
    let p = dir.join("bits.xlsx");
    std::fs::write(&p, wb.save_to_buffer().unwrap()).unwrap();
    p
}

fn mapping(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("mapping.toml");
    std::fs::write(&p, text).unwrap();
    p
}

const MAPPING: &str = r#"
[cases]
"1" = "MP-01"
"Case 2a" = "TPA-01"
"3" = "IMS-01"
"#;

#[test]
fn validate_names_the_missing_columns_through_the_binary() {
    let d = tempfile::tempdir().unwrap();
    let f = bits_file(d.path(), true);
    let out = Command::new(BIN)
        .args(["validate", "--workbook"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for col in [
        "\"Operasjon\"",
        "\"Inndata\"",
        "\"Forventet HTTP-status\"",
        "\"Forventet feilkode\"",
    ] {
        assert!(err.contains(col), "{err}");
    }
    assert!(err.contains("Testcaser!F2"), "where to add them: {err}");
    assert!(err.contains("--mapping"), "{err}");
}

#[test]
fn validate_with_a_mapping_through_the_binary() {
    let d = tempfile::tempdir().unwrap();
    let f = bits_file(d.path(), false);
    let m = mapping(d.path(), MAPPING);
    let out = Command::new(BIN)
        .args(["validate", "--today", "2026-11-26", "--workbook"])
        .arg(&f)
        .arg("--mapping")
        .arg(&m)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("3 cases"), "{stdout}");
    assert!(stdout.contains("Case 2a"), "{stdout}");
    assert!(stdout.contains("(4 steps)"), "MP-01's steps: {stdout}");
    // No Testdata sheet: the bundled data, with a warning.
    assert!(stdout.contains("TD-ORG-01"), "{stdout}");
    assert!(stderr.contains("no Testdata sheet"), "{stderr}");

    // A mapping naming an id the file does not have, and a case the bundle does not have.
    let m = mapping(
        d.path(),
        "[cases]\n\"1\" = \"MP-01\"\n\"Case 2a\" = \"TPA-01\"\n\"3\" = \"IMS-01\"\n\"4\" = \"IMS-01\"\n\"Case 2b\" = \"NOPE-01\"\n",
    );
    let out = Command::new(BIN)
        .args(["validate", "--workbook"])
        .arg(&f)
        .arg("--mapping")
        .arg(&m)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[cases] \"4\"") && stderr.contains("not a Testcase-ID"),
        "{stderr}"
    );
    assert!(stderr.contains("\"NOPE-01\" is not a case"), "{stderr}");
}

#[test]
fn read_mapped_takes_machine_columns_and_keeps_the_bits_rows() {
    let d = tempfile::tempdir().unwrap();
    let f = bits_file(d.path(), true);
    let m = mapping(
        d.path(),
        &format!(
            "{MAPPING}\n[testdata]\n\"Arbeidsgiver 1\" = \"TD-ORG-01\"\n\"Person 1\" = \"TD-P-01\"\n"
        ),
    );
    let wb = workbook::read_mapped(&f, &m).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    let bundled = workbook::mapping::bundled().unwrap();
    let ids: Vec<&str> = wb.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["1", "Case 2a", "3"]);
    let mp = &wb.cases[0];
    let src = bundled.cases.iter().find(|c| c.id == "MP-01").unwrap();
    assert_eq!(mp.beskrivelse, "Hent token fra Maskinporten");
    assert_eq!(mp.api, src.api);
    assert_eq!(mp.mandatory, src.mandatory);
    assert_eq!(mp.steps.len(), src.steps.len());
    for (a, b) in mp.steps.iter().zip(&src.steps) {
        assert_eq!((&a.operation, &a.inputs), (&b.operation, &b.inputs));
        assert_eq!(a.row, 2, "every step on the Bits row");
    }
    assert_eq!(wb.cases[1].row, 3);
    assert_eq!(wb.cases[1].steps[0].operation, "POST avtaleforhold");
    // The file's own test data, renamed to the refs the cases use.
    assert_eq!(wb.testdata("TD-P-01").unwrap().identifikator, "12838510068");
    assert!(wb.warnings.iter().all(|w| w.severity == Severity::Warning));
    // The planner accepts it.
    let plan = dsop_harness::run::plan::build(
        &wb,
        &dsop_harness::run::plan::PlanOptions {
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 26),
            ..Default::default()
        },
    );
    assert!(plan.is_ok(), "{:#?}", plan.err());
}

#[test]
fn unmapped_cases_and_bad_mapping_files_are_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    let f = bits_file(d.path(), false);
    // Case 3 is not mapped: an error on its id cell, naming the mapping file.
    let m = mapping(d.path(), "[cases]\n\"1\" = \"MP-01\"\n\"Case 2a\" = \"\"\n");
    let e = workbook::read_mapped(&f, &m).unwrap_err();
    let err = e
        .problems
        .iter()
        .find(|p| p.severity == Severity::Error)
        .unwrap();
    assert_eq!(err.location, "Testcaser!A5", "{err}");
    assert!(err.message.contains("mapping.toml"), "{err}");
    assert!(err.hint.contains("\"3\" = "), "{err}");
    // Mapped to "": not run, with a warning.
    let m = mapping(
        d.path(),
        "[cases]\n\"1\" = \"MP-01\"\n\"Case 2a\" = \"\"\n\"3\" = \"IMS-01\"\n",
    );
    let wb = workbook::read_mapped(&f, &m).unwrap();
    assert_eq!(wb.cases.len(), 2);
    assert!(wb
        .warnings
        .iter()
        .any(|w| w.message.contains("Case 2a") && w.message.contains("not run")));
    // Broken TOML: the line; no [cases]; a missing file.
    let m = mapping(d.path(), "[cases]\n\"1\" = MP-01\n");
    let e = workbook::read_mapped(&f, &m).unwrap_err();
    assert_eq!(e.problems[0].file, m.display().to_string());
    assert_eq!(e.problems[0].location, "line 2", "{}", e.problems[0]);
    let m = mapping(d.path(), "# nothing\n");
    let e = workbook::read_mapped(&f, &m).unwrap_err();
    assert!(e.problems[0].message.contains("maps no cases"));
    let e = workbook::read_mapped(&f, &d.path().join("missing.toml")).unwrap_err();
    assert!(e.problems[0]
        .message
        .contains("cannot read the mapping file"));
    // A source workbook named in the mapping file, relative to it.
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("testcases")
            .join(workbook::generate::BUNDLED_FILE),
        d.path().join("own.xlsx"),
    )
    .unwrap();
    let m = mapping(
        d.path(),
        "source = \"own.xlsx\"\n[cases]\n\"1\" = \"MP-01\"\n\"Case 2a\" = \"TPA-01\"\n\"3\" = \"\"\n",
    );
    let wb = workbook::read_mapped(&f, &m).unwrap();
    assert_eq!(wb.cases.len(), 2);
}

#[test]
fn run_with_a_mapping_fills_the_bits_rows() {
    let d = tempfile::tempdir().unwrap();
    let f = bits_file(d.path(), false);
    let m = mapping(d.path(), MAPPING);
    let reports = d.path().join("reports");
    let out = Command::new(BIN)
        .args([
            "run",
            "--today",
            "2026-11-26",
            "--only",
            "1,3",
            "--workbook",
        ])
        .arg(&f)
        .arg("--mapping")
        .arg(&m)
        .arg("--reports")
        .arg(&reports)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1) | Some(3)),
        "{stderr}"
    );
    let filled = walk(&reports)
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("_utfylt.xlsx"))
        .unwrap_or_else(|| panic!("no filled workbook under {}: {stderr}", reports.display()));
    use calamine::Reader;
    let mut x: calamine::Xlsx<_> = calamine::open_workbook(&filled).unwrap();
    let r = x.worksheet_range("Testcaser").unwrap();
    let rows: Vec<Vec<String>> = r
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect();
    let header = rows
        .iter()
        .position(|r| r.iter().any(|c| c == "Nr"))
        .unwrap();
    let status = rows[header].iter().position(|c| c == "OK/Avvik").unwrap();
    let row_of = |id: &str| rows.iter().find(|r| r[0] == id).unwrap();
    assert_eq!(row_of("1")[status], "OK", "{rows:#?}");
    assert_eq!(row_of("3")[status], "OK", "{rows:#?}");
    assert_eq!(row_of("Case 2a")[status], "Ikke kjørt", "{rows:#?}");
    // The input is untouched.
    let again = workbook::read_with(
        &f,
        &workbook::ReadOptions {
            require_machine_columns: false,
            require_testdata: false,
        },
    )
    .unwrap();
    assert_eq!(again.cases.len(), 3);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
