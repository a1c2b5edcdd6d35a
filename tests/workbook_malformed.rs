//! A corpus of malformed workbooks, generated here: each gives a clear error naming its location; none panics.

use dsop_harness::workbook::{self, Problem, ReadOptions, Severity, WorkbookError};
use rust_xlsxwriter::Workbook as XWorkbook;
use std::path::{Path, PathBuf};

/// A cell: text, or a number when written `#n:<number>`.
type Rows<'a> = Vec<Vec<&'a str>>;

fn xlsx(dir: &Path, name: &str, sheets: &[(&str, Rows)]) -> PathBuf {
    let mut wb = XWorkbook::new();
    for (sheet, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*sheet).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                if let Some(n) = v.strip_prefix("#n:") {
                    ws.write_number(r as u32, c as u16, n.parse::<f64>().unwrap())
                        .unwrap();
                } else {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    let p = dir.join(name);
    std::fs::write(&p, wb.save_to_buffer().unwrap()).unwrap();
    p
}

const TC_HEADER: [&str; 8] = [
    "Testcase-ID",
    "Steg",
    "API",
    "Operasjon",
    "Testdata-ref",
    "Inndata",
    "Obligatorisk",
    "Forventet HTTP-status",
];

fn td_rows() -> Rows<'static> {
    vec![
        vec![
            "Ref",
            "Type",
            "Identifikator",
            "Opplysningspliktig-ref",
            "Avtale fraOgMed",
            "Avtale tilOgMed",
        ],
        vec![
            "TD-ORG-01",
            "Opplysningspliktig",
            "310000108",
            "",
            "2021-01",
            "",
        ],
        vec![
            "TD-P-01",
            "Inntektsmottaker",
            "12838510068",
            "TD-ORG-01",
            "",
            "",
        ],
    ]
}

fn tc_rows(extra: Vec<Vec<&'static str>>) -> Rows<'static> {
    let mut rows = vec![
        TC_HEADER.to_vec(),
        vec![
            "IMS-01",
            "",
            "Inntektsmottakere",
            "GET inntektsmottakere",
            "TD-ORG-01",
            "opplysningspliktig={TD-ORG-01.Identifikator}",
            "J",
            "200",
        ],
    ];
    rows.extend(extra);
    rows
}

fn good(dir: &Path, name: &str) -> PathBuf {
    xlsx(
        dir,
        name,
        &[
            ("Info", vec![vec!["Nøkkel", "Verdi"], vec!["Miljø", "SIM"]]),
            ("Testdata", td_rows()),
            ("Testcaser", tc_rows(vec![])),
        ],
    )
}

fn err(path: &Path) -> WorkbookError {
    match workbook::read(path) {
        Ok(wb) => panic!("{} read without error: {:#?}", path.display(), wb.cases),
        Err(e) => {
            assert!(!e.problems.is_empty(), "no problems listed");
            for p in &e.problems {
                assert_eq!(p.file, path.display().to_string());
                assert!(!p.message.is_empty() && !p.hint.is_empty(), "{p}");
            }
            e
        }
    }
}

fn errors(e: &WorkbookError) -> Vec<&Problem> {
    e.problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

fn has(e: &WorkbookError, location: &str, needle: &str) -> bool {
    errors(e)
        .iter()
        .any(|p| p.location == location && p.message.contains(needle))
}

#[test]
fn the_good_one_reads() {
    let d = tempfile::tempdir().unwrap();
    let wb = workbook::read(&good(d.path(), "good.xlsx")).unwrap();
    assert_eq!(wb.cases.len(), 1);
    assert_eq!(wb.cases[0].steps[0].step, 1);
    assert!(wb.cases[0].mandatory);
    assert_eq!(wb.info_value("miljo"), Some("SIM"));
}

#[test]
fn not_workbooks() {
    let d = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.xlsx", vec![], "empty"),
        (
            "random.xlsx",
            (0..4000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            "not an xlsx",
        ),
        (
            "text.xlsx",
            b"Testcase-ID;API\nMP-01;Maskinporten\n".to_vec(),
            "not an xlsx",
        ),
        (
            "encrypted.xlsx",
            [
                &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..],
                &[0u8; 600],
            ]
            .concat(),
            "password",
        ),
        ("truncated.xlsx", b"PK\x03\x04broken".to_vec(), "damaged"),
    ];
    for (name, bytes, needle) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = err(&p);
        assert!(
            e.problems[0].message.contains(needle),
            "{name}: {}",
            e.problems[0]
        );
    }
    // A zip that is not an xlsx.
    let p = d.path().join("plain.zip.xlsx");
    {
        let f = std::fs::File::create(&p).unwrap();
        let mut z = zip::ZipWriter::new(f);
        z.start_file("readme.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, b"hello").unwrap();
        z.finish().unwrap();
    }
    let e = err(&p);
    assert!(
        e.problems[0].message.contains("not an xlsx workbook"),
        "{}",
        e.problems[0]
    );
    // A folder and a missing file.
    let e = err(d.path());
    assert!(e.problems[0].message.contains("folder"));
    let e = err(&d.path().join("missing.xlsx"));
    assert!(e.problems[0].message.contains("cannot open"));
}

#[test]
fn a_far_cell_costs_one_cell_not_the_rectangle() {
    // The rectangle A1:F1000001 is not refused for its size: the file is judged by what it holds.
    let d = tempfile::tempdir().unwrap();
    let mut wb = XWorkbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Testcase-ID").unwrap();
    ws.write_string(1_000_000, 5, "far away").unwrap();
    let p = d.path().join("huge.xlsx");
    std::fs::write(&p, wb.save_to_buffer().unwrap()).unwrap();
    let e = err(&p);
    assert!(
        e.problems.iter().all(|p| !p.message.contains("cells")),
        "{:#?}",
        e.problems
    );
    assert!(
        errors(&e)
            .iter()
            .any(|p| p.message.contains("no Testdata sheet")),
        "{:#?}",
        e.problems
    );
}

#[test]
fn wrong_sheet_names_without_headers() {
    let d = tempfile::tempdir().unwrap();
    let p = xlsx(
        d.path(),
        "names.xlsx",
        &[
            ("Ark1", vec![vec!["hei"]]),
            ("Ark2", vec![vec!["Navn", "Verdi"]]),
        ],
    );
    let e = err(&p);
    assert!(
        errors(&e)
            .iter()
            .any(|p| p.message.contains("no Testdata sheet")),
        "{:#?}",
        e.problems
    );
}

#[test]
fn sheets_found_by_content_and_aliases() {
    let d = tempfile::tempdir().unwrap();
    let mut td = td_rows();
    td.insert(0, vec!["Testpersoner fra Skatteetaten"]);
    td.insert(1, vec![]);
    let tc = vec![
        vec!["Integrasjonstest – testcaser"],
        vec![
            "Nr.",
            "Step",
            "Tjeneste",
            "Operasjon",
            "TD-ref",
            "Input",
            "Mandatory",
            "Expected HTTP status",
            "Egen kolonne",
        ],
        vec![
            "MP-01",
            "#n:2",
            "Maskinporten",
            "token",
            "",
            "scope=b",
            "x",
            "#n:200",
            "beholdes",
        ],
        vec![
            "MP-01", "#n:1", "", "token", "", "scope=a", "", "#n:200", "",
        ],
        vec![],
        vec!["", "", "", "token", "", "scope=c", "", "200", ""],
    ];
    let p = xlsx(
        d.path(),
        "content.xlsx",
        &[
            ("Forside", vec![vec!["Miljø", "TEST"]]),
            ("Personer", td),
            ("Ark 3", tc),
        ],
    );
    let wb = workbook::read(&p).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    assert_eq!(wb.info_value("Miljø"), Some("TEST"));
    assert_eq!(wb.testdata.len(), 2);
    let c = &wb.cases[0];
    assert_eq!(c.id, "MP-01");
    assert!(c.mandatory);
    let inputs: Vec<&str> = c.steps.iter().map(|s| s.inputs.as_str()).collect();
    assert_eq!(
        inputs,
        ["scope=a", "scope=b", "scope=c"],
        "ordered by Steg, continuation row last"
    );
    assert_eq!(c.steps[0].expected_http, "200");
    assert_eq!(c.sheet, "Ark 3");
    assert_eq!(
        wb.case_extras,
        vec![(
            "MP-01".to_string(),
            "Egen kolonne".to_string(),
            "beholdes".to_string()
        )]
    );
    assert!(wb
        .unknown_columns
        .iter()
        .any(|(s, h, _)| s == "Ark 3" && h == "Egen kolonne"));
}

#[test]
fn missing_machine_columns_is_one_problem_naming_them() {
    let d = tempfile::tempdir().unwrap();
    let tc = vec![
        vec![
            "Testcase-ID",
            "Beskrivelse",
            "Forventet resultat",
            "OK/Avvik",
        ],
        vec!["MP-01", "Token", "200", ""],
    ];
    let p = xlsx(
        d.path(),
        "bits.xlsx",
        &[("Testdata", td_rows()), ("Testcaser", tc)],
    );
    let e = err(&p);
    let errs = errors(&e);
    assert_eq!(errs.len(), 1, "{:#?}", errs);
    let m = &errs[0].message;
    for col in [
        "\"Operasjon\"",
        "\"Inndata\"",
        "\"Forventet HTTP-status\"",
        "\"Forventet feilkode\"",
    ] {
        assert!(m.contains(col), "{m}");
    }
    assert_eq!(errs[0].location, "Testcaser!E1");
    // Without the requirement the file reads, for inspection.
    let wb = workbook::read_with(
        &p,
        &ReadOptions {
            require_machine_columns: false,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(wb.cases[0].id, "MP-01");
}

#[test]
fn bad_ids_periods_and_references_are_all_reported() {
    let d = tempfile::tempdir().unwrap();
    let td = vec![
        vec![
            "Ref",
            "Type",
            "Identifikator",
            "Opplysningspliktig-ref",
            "Avtale fraOgMed",
            "Avtale tilOgMed",
        ],
        vec![
            "TD-ORG-01",
            "Opplysningspliktig",
            "310000109",
            "",
            "2021-13",
            "202101",
        ],
        vec![
            "TD-P-01",
            "Inntektsmottaker",
            "12838510069",
            "TD-ORG-09",
            "",
            "",
        ],
        vec!["TD-P-01", "Inntektsmottaker", "12838510068", "", "", ""],
        vec![
            "TD-ORG-02",
            "Opplysningspliktig",
            "310000205",
            "",
            "2024-01",
            "2023-01",
        ],
    ];
    let tc = tc_rows(vec![
        vec![
            "INN-01",
            "",
            "Innt",
            "GET inntekter",
            "TD-P-99",
            "",
            "J",
            "200",
        ],
        vec!["INN-01", "", "Inntekt", "GET inntekter", "", "", "J", "200"],
    ]);
    let p = xlsx(d.path(), "bad.xlsx", &[("Testdata", td), ("Testcaser", tc)]);
    let e = err(&p);
    assert!(has(&e, "Testdata!C2", "check digit"), "{:#?}", e.problems);
    assert!(has(&e, "Testdata!E2", "2021-13"), "{:#?}", e.problems);
    assert!(has(&e, "Testdata!F2", "202101"), "{:#?}", e.problems);
    assert!(has(&e, "Testdata!C3", "check digit"), "{:#?}", e.problems);
    assert!(has(&e, "Testdata!D3", "TD-ORG-09"), "{:#?}", e.problems);
    assert!(
        has(&e, "Testdata!A4", "duplicate Testdata Ref"),
        "{:#?}",
        e.problems
    );
    assert!(has(&e, "Testdata!F5", "before"), "{:#?}", e.problems);
    assert!(has(&e, "Testcaser!C3", "unknown API"), "{:#?}", e.problems);
    assert!(has(&e, "Testcaser!E3", "TD-P-99"), "{:#?}", e.problems);
    assert!(
        has(&e, "Testcaser!A4", "duplicate Testcase-ID"),
        "{:#?}",
        e.problems
    );
    // Displayed with file and location.
    let shown = e.problems[0].to_string();
    assert!(
        shown.contains("bad.xlsx") && shown.contains("Testdata!"),
        "{shown}"
    );
}

#[test]
fn two_headers_for_one_column() {
    let d = tempfile::tempdir().unwrap();
    let mut tc = tc_rows(vec![]);
    tc[0].push("ID");
    let p = xlsx(
        d.path(),
        "twoheaders.xlsx",
        &[("Testdata", td_rows()), ("Testcaser", tc)],
    );
    let e = err(&p);
    assert!(has(&e, "Testcaser!I1", "Testcaser!A1"), "{:#?}", e.problems);
}

#[test]
fn duplicate_step_numbers() {
    let d = tempfile::tempdir().unwrap();
    let tc = tc_rows(vec![
        vec![
            "MP-01",
            "1",
            "Maskinporten",
            "token",
            "",
            "scope=a",
            "J",
            "200",
        ],
        vec!["MP-01", "1", "", "token", "", "scope=b", "", "200"],
        vec![
            "MP-02",
            "en",
            "Maskinporten",
            "token",
            "",
            "scope=a",
            "J",
            "200",
        ],
    ]);
    let p = xlsx(
        d.path(),
        "steps.xlsx",
        &[("Testdata", td_rows()), ("Testcaser", tc)],
    );
    let e = err(&p);
    assert!(
        has(&e, "Testcaser!B4", "step 1 appears twice"),
        "{:#?}",
        e.problems
    );
    assert!(
        has(&e, "Testcaser!B5", "not a step number"),
        "{:#?}",
        e.problems
    );
}

#[test]
fn numeric_ids_get_their_leading_zero_back_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let td = vec![
        vec!["Ref", "Type", "Identifikator"],
        vec!["TD-ORG-01", "Opplysningspliktig", "#n:310000108"],
        vec!["TD-P-02", "Inntektsmottaker", "#n:4879010069"],
    ];
    let p = xlsx(
        d.path(),
        "numbers.xlsx",
        &[("Testdata", td), ("Testcaser", tc_rows(vec![]))],
    );
    let wb = workbook::read(&p).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    assert_eq!(wb.testdata("TD-P-02").unwrap().identifikator, "04879010069");
    assert_eq!(wb.testdata("TD-ORG-01").unwrap().identifikator, "310000108");
    assert!(wb
        .warnings
        .iter()
        .any(|w| w.location == "Testdata!C3" && w.message.contains("leading zero")));
}

#[test]
fn empty_testcaser_sheet() {
    let d = tempfile::tempdir().unwrap();
    let p = xlsx(
        d.path(),
        "nocases.xlsx",
        &[
            ("Testdata", td_rows()),
            ("Testcaser", vec![TC_HEADER.to_vec()]),
        ],
    );
    let e = err(&p);
    assert!(
        errors(&e)[0].message.contains("no test cases"),
        "{:#?}",
        e.problems
    );
}

#[test]
fn dates_formulas_hidden_and_merged() {
    let d = tempfile::tempdir().unwrap();
    let mut wb = XWorkbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name("Info").unwrap();
        ws.write_string(0, 0, "Miljø").unwrap();
        ws.write_string(0, 1, "TEST").unwrap();
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("Testdata").unwrap();
        ws.set_hidden(true);
        for (c, h) in ["Ref", "Type", "Identifikator", "Avtale fraOgMed"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "TD-ORG-01").unwrap();
        ws.write_string(1, 1, "Opplysningspliktig").unwrap();
        ws.write_formula(1, 2, "=\"310000\"&\"108\"").unwrap();
        ws.set_formula_result(1, 2, "310000108");
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2021, 1, 1).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        ws.write_datetime_with_format(1, 3, &date, &fmt).unwrap();
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("Testcaser").unwrap();
        for (c, h) in TC_HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let f = rust_xlsxwriter::Format::new();
        ws.merge_range(1, 0, 2, 0, "MP-01", &f).unwrap();
        ws.merge_range(1, 2, 2, 2, "Maskinporten", &f).unwrap();
        for (r, scope) in [(1u32, "scope=a"), (2, "scope=b")] {
            ws.write_number(r, 1, r as f64).unwrap();
            ws.write_string(r, 3, "token").unwrap();
            ws.write_string(r, 5, scope).unwrap();
            ws.write_number(r, 7, 200.0).unwrap();
        }
    }
    let p = d.path().join("mixed.xlsx");
    std::fs::write(&p, wb.save_to_buffer().unwrap()).unwrap();
    let wb = workbook::read(&p).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    let td = wb.testdata("TD-ORG-01").unwrap();
    assert_eq!(td.identifikator, "310000108");
    assert_eq!(
        td.avtale_fra.map(|m| m.to_string()).as_deref(),
        Some("2021-01")
    );
    assert_eq!(wb.cases.len(), 1);
    assert_eq!(wb.cases[0].steps.len(), 2);
    assert_eq!(wb.cases[0].steps[1].inputs, "scope=b");
    assert_eq!(
        wb.cases[0].api,
        Some(dsop_harness::model::Api::Maskinporten)
    );
}

// ---------------------------------------------------------------------------------------------------------
// The corpus: one malformed workbook per row, each with the location and words its first error must have.
// ---------------------------------------------------------------------------------------------------------

/// Where a problem is found: by `read`, or by the planner after a successful `read`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum By {
    Read,
    Plan,
}

/// Testdata rows with one cell replaced: (row, col, value).
fn td_with(changes: &[(usize, usize, &'static str)]) -> Rows<'static> {
    let mut rows = td_rows();
    for (r, c, v) in changes {
        while rows.len() <= *r {
            rows.push(vec![""; 6]);
        }
        rows[*r][*c] = v;
    }
    rows
}

/// Testcaser rows (header + IMS-01) with cells of the IMS-01 row replaced.
fn tc_with(changes: &[(usize, &'static str)]) -> Rows<'static> {
    let mut rows = tc_rows(vec![]);
    for (c, v) in changes {
        rows[1][*c] = v;
    }
    rows
}

fn problems_of(path: &Path, by: By) -> Vec<Problem> {
    match by {
        By::Read => err(path).problems,
        By::Plan => {
            let wb = workbook::read(path)
                .unwrap_or_else(|e| panic!("{}: {:#?}", path.display(), e.problems));
            let plan = dsop_harness::run::plan::build(
                &wb,
                &dsop_harness::run::plan::PlanOptions {
                    today: chrono::NaiveDate::from_ymd_opt(2026, 11, 26),
                    ..Default::default()
                },
            );
            match plan {
                Ok(_) => panic!("{} planned without error", path.display()),
                Err(p) => p,
            }
        }
    }
}

#[test]
fn corpus_of_malformed_sheets() {
    let d = tempfile::tempdir().unwrap();
    type Entry = (
        &'static str,
        Vec<(&'static str, Rows<'static>)>,
        By,
        &'static str,
        &'static str,
    );
    let std = |td: Rows<'static>, tc: Rows<'static>| vec![("Testdata", td), ("Testcaser", tc)];
    let corpus: Vec<Entry> = vec![
        // Sheets and headers.
        (
            "no-testcaser-sheet",
            vec![("Testdata", td_rows())],
            By::Read,
            "",
            "no Testcaser sheet",
        ),
        (
            "testcaser-without-header",
            std(
                td_rows(),
                vec![vec!["Beskrivelse", "Merknad"], vec!["noe", "annet"]],
            ),
            By::Read,
            "Testcaser",
            "no header row with a Testcase-ID column",
        ),
        (
            "testdata-without-header",
            std(vec![vec!["hei", "du"]], tc_rows(vec![])),
            By::Read,
            "Testdata",
            "no header row with a Ref column",
        ),
        (
            "testdata-without-identifikator-column",
            std(
                vec![vec!["Ref", "Type"], vec!["TD-ORG-01", "Opplysningspliktig"]],
                tc_rows(vec![]),
            ),
            By::Read,
            "Testdata!A2",
            "no Identifikator column",
        ),
        (
            "missing-machine-columns",
            std(
                td_rows(),
                vec![vec!["Testcase-ID", "Beskrivelse"], vec!["MP-01", "token"]],
            ),
            By::Read,
            "Testcaser!C1",
            "\"Operasjon\", \"Inndata\"",
        ),
        // Identifiers.
        (
            "orgnr-too-short",
            std(td_with(&[(1, 2, "31000010")]), tc_rows(vec![])),
            By::Read,
            "Testdata!C2",
            "TD-ORG-01",
        ),
        (
            "fnr-bad-check-digit",
            std(td_with(&[(2, 2, "12838510069")]), tc_rows(vec![])),
            By::Read,
            "Testdata!C3",
            "check digit",
        ),
        (
            "identifikator-empty",
            std(td_with(&[(2, 2, "")]), tc_rows(vec![])),
            By::Read,
            "Testdata!C3",
            "Identifikator is empty",
        ),
        (
            "identifikator-letters",
            std(td_with(&[(1, 2, "ORG-A")]), tc_rows(vec![])),
            By::Read,
            "Testdata!C2",
            "TD-ORG-01",
        ),
        // Periods.
        (
            "month-13",
            std(td_with(&[(1, 4, "2021-13")]), tc_rows(vec![])),
            By::Read,
            "Testdata!E2",
            "2021-13",
        ),
        (
            "month-as-words",
            std(td_with(&[(1, 4, "januar 2021")]), tc_rows(vec![])),
            By::Read,
            "Testdata!E2",
            "januar 2021",
        ),
        (
            "period-reversed",
            std(
                td_with(&[(1, 4, "2024-01"), (1, 5, "2023-12")]),
                tc_rows(vec![]),
            ),
            By::Read,
            "Testdata!F2",
            "before",
        ),
        // References and duplicates.
        (
            "duplicate-testdata-ref",
            std(
                td_with(&[
                    (3, 0, "TD-P-01"),
                    (3, 1, "Inntektsmottaker"),
                    (3, 2, "04879010069"),
                ]),
                tc_rows(vec![]),
            ),
            By::Read,
            "Testdata!A4",
            "duplicate Testdata Ref",
        ),
        (
            "employer-ref-is-a-person",
            std(
                td_with(&[
                    (3, 0, "TD-P-02"),
                    (3, 1, "Inntektsmottaker"),
                    (3, 2, "04879010069"),
                    (3, 3, "TD-P-01"),
                ]),
                tc_rows(vec![]),
            ),
            By::Read,
            "Testdata!D4",
            "is a person",
        ),
        (
            "duplicate-testcase-id",
            std(
                td_rows(),
                tc_rows(vec![vec![
                    "IMS-01",
                    "",
                    "Inntektsmottakere",
                    "GET inntektsmottakere",
                    "",
                    "",
                    "J",
                    "200",
                ]]),
            ),
            By::Read,
            "Testcaser!A3",
            "duplicate Testcase-ID",
        ),
        (
            "unknown-api",
            std(td_rows(), tc_with(&[(2, "Skatt")])),
            By::Read,
            "Testcaser!C2",
            "unknown API",
        ),
        (
            "testdata-ref-unknown",
            std(td_rows(), tc_with(&[(4, "TD-ORG-07")])),
            By::Read,
            "Testcaser!E2",
            "TD-ORG-07",
        ),
        (
            "step-zero",
            std(td_rows(), tc_with(&[(1, "0")])),
            By::Read,
            "Testcaser!B2",
            "not a step number",
        ),
        // Expectations, operations, Inndata and placeholders (the planner).
        (
            "http-status-words",
            std(td_rows(), tc_with(&[(7, "OK")])),
            By::Plan,
            "Testcaser!H2",
            "not an HTTP status",
        ),
        (
            "http-status-four-digits",
            std(td_rows(), tc_with(&[(7, "2000")])),
            By::Plan,
            "Testcaser!H2",
            "2000",
        ),
        (
            "unknown-operation",
            std(td_rows(), tc_with(&[(3, "GET lønn")])),
            By::Plan,
            "Testcaser!D2",
            "unknown operation",
        ),
        (
            "inndata-not-key-value",
            std(td_rows(), tc_with(&[(5, "bare tekst")])),
            By::Plan,
            "Testcaser!F2",
            "not key=value",
        ),
        (
            "placeholder-unknown-ref",
            std(
                td_rows(),
                tc_with(&[(5, "opplysningspliktig={TD-ORG-09.Identifikator}")]),
            ),
            By::Plan,
            "Testcaser!F2",
            "TD-ORG-09",
        ),
        (
            "placeholder-unknown-name",
            std(td_rows(), tc_with(&[(5, "fraOgMed={Q}")])),
            By::Plan,
            "Testcaser!F2",
            "{Q}",
        ),
        (
            "placeholder-empty-field",
            std(
                td_rows(),
                tc_with(&[(5, "ref={TD-ORG-01.Avtalereferanse}")]),
            ),
            By::Plan,
            "Testcaser!F2",
            "Avtalereferanse",
        ),
    ];
    assert!(corpus.len() >= 25, "{}", corpus.len());
    for (name, sheets, by, location, needle) in corpus {
        let p = xlsx(d.path(), &format!("{name}.xlsx"), &sheets);
        let problems = problems_of(&p, by);
        let first = problems
            .iter()
            .find(|x| x.severity == Severity::Error)
            .unwrap_or_else(|| panic!("{name}: no error in {problems:#?}"));
        assert_eq!(first.file, p.display().to_string(), "{name}");
        assert_eq!(first.location, location, "{name}: {problems:#?}");
        assert!(first.message.contains(needle), "{name}: {first}");
    }
}

/// Copy a generated xlsx, replacing or adding entries; `stored` writes them uncompressed.
fn repack(src: &[u8], out: &Path, replace: &[(&str, Vec<u8>)], stored: bool) {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(src)).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(if stored {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    });
    let mut done = Vec::new();
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if let Some((_, new)) = replace.iter().find(|(n, _)| *n == name) {
            data = new.clone();
            done.push(name.clone());
        }
        zout.start_file(name, opts).unwrap();
        zout.write_all(&data).unwrap();
    }
    for (n, data) in replace {
        if !done.iter().any(|d| d == n) {
            zout.start_file(*n, opts).unwrap();
            zout.write_all(data).unwrap();
        }
    }
    zout.finish().unwrap();
}

fn small_xlsx() -> Vec<u8> {
    let d = tempfile::tempdir().unwrap();
    std::fs::read(good(d.path(), "g.xlsx")).unwrap()
}

#[test]
fn corpus_of_broken_packages() {
    let d = tempfile::tempdir().unwrap();
    let src = small_xlsx();
    type Broken = (&'static str, Vec<(&'static str, Vec<u8>)>, &'static str);
    let cases: Vec<Broken> = vec![
        (
            "broken-workbook-xml",
            vec![("xl/workbook.xml", b"<workbook><sheets><sheet".to_vec())],
            "not a readable xlsx",
        ),
        (
            "broken-sheet-xml",
            vec![(
                "xl/worksheets/sheet3.xml",
                b"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>99999</v></c></row></sheetData></worksheet>".to_vec(),
            )],
            "damaged",
        ),
    ];
    for (name, replace, needle) in cases {
        let p = d.path().join(format!("{name}.xlsx"));
        repack(&src, &p, &replace, false);
        let e = err(&p);
        assert!(
            e.problems[0].message.contains(needle),
            "{name}: {:#?}",
            e.problems
        );
    }
    // Other zip-based formats, named by what they are.
    for (name, entry, needle) in [
        ("word.xlsx", "word/document.xml", "Word document"),
        ("calc.xlsx", "content.xml", "OpenDocument"),
        ("binary.xlsx", "xl/workbook.bin", ".xlsb"),
    ] {
        let p = d.path().join(name);
        {
            let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
            z.start_file(entry, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut z, b"<x/>").unwrap();
            z.finish().unwrap();
        }
        let e = err(&p);
        assert!(
            e.problems[0].message.contains(needle),
            "{name}: {}",
            e.problems[0]
        );
    }
}

#[test]
fn large_files_are_refused_clearly() {
    let d = tempfile::tempdir().unwrap();
    // 50 MB of sheet XML stored uncompressed (1.6 million cells, under the 10,000,000 per sheet): read, and
    // judged by its content, whatever the dimension it declares.
    let mut xml = String::with_capacity(52 * 1024 * 1024);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><dimension ref=\"A1:J500000\"/><sheetData>");
    let mut r = 1u32;
    while xml.len() < 50 * 1024 * 1024 {
        xml.push_str(&format!(
            "<row r=\"{r}\"><c r=\"A{r}\" t=\"inlineStr\"><is><t>Testcase {r} med litt tekst</t></is></c><c r=\"J{r}\"><v>{r}</v></c></row>"
        ));
        r += 1;
    }
    xml.push_str("</sheetData></worksheet>");
    let p = d.path().join("fifty-mb.xlsx");
    repack(
        &small_xlsx(),
        &p,
        &[("xl/worksheets/sheet3.xml", xml.into_bytes())],
        true,
    );
    assert!(std::fs::metadata(&p).unwrap().len() >= 50 * 1024 * 1024);
    let e = err(&p);
    assert!(
        e.problems[0].message.contains("no header row"),
        "{}",
        e.problems[0]
    );
    assert_eq!(e.problems[0].location, "Testcaser", "{}", e.problems[0]);

    // 50 MB of noise.
    let p = d.path().join("noise.xlsx");
    std::fs::write(
        &p,
        (0..50u32 * 1024 * 1024)
            .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let e = err(&p);
    assert!(
        e.problems[0].message.contains("not an xlsx"),
        "{}",
        e.problems[0]
    );

    // Over the file size limit (a sparse file: no real disk use): refused before reading.
    let p = d.path().join("too-big.xlsx");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(workbook::load::MAX_FILE_BYTES + 1).unwrap();
    drop(f);
    let e = err(&p);
    assert!(
        e.problems[0].message.contains("larger than"),
        "{}",
        e.problems[0]
    );
}
