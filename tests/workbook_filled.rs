//! `write_filled`: a filled copy of the bundled workbook reads back with the same cases, in the same cells,
//! and the results; the original package's parts survive.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use dsop_harness::model::{
    Api, CaseResult, Lang, RunContext, RunReport, Status, StepResult, Summary, Verdict, WorkbookRef,
};
use dsop_harness::report::xlsx::write_filled;
use dsop_harness::workbook::{self, generate};
use std::path::PathBuf;

fn bundled() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testcases")
        .join(generate::BUNDLED_FILE)
}

fn step(n: u32, op: &str, api: Api, status: Status, http: u16) -> StepResult {
    StepResult {
        step: n,
        operation: op.to_string(),
        api,
        expected: "200".into(),
        status,
        actual_http: Some(http),
        actual_code: (status != Status::Ok).then(|| "IM-005".to_string()),
        correlation_id: Some(format!("corr-{n}")),
        correlation_id_returned: (n == 1).then(|| "agency-1".to_string()),
        duration_ms: 12,
        attempts: 1,
        note: (status != Status::Ok).then(|| "unexpected 403".to_string()),
        notes: Vec::new(),
        summary: Some(format!("step {n} summary")),
        started: None,
    }
}

fn case(id: &str, api: Api, status: Status, steps: Vec<StepResult>) -> CaseResult {
    CaseResult {
        id: id.into(),
        api,
        operation: String::new(),
        description: format!("{id} description"),
        mandatory: true,
        status,
        expected: String::new(),
        expected_http: None,
        actual_http: steps.first().and_then(|s| s.actual_http),
        expected_code: None,
        actual_code: None,
        correlation_id: Some("corr-case".into()),
        correlation_id_returned: None,
        duration_ms: 20,
        attempts: 1,
        note: (status != Status::Ok).then(|| format!("{id} note")),
        notes: Vec::new(),
        reason: None,
        started: Some(Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).unwrap()),
        finished: None,
        steps,
    }
}

fn report(simulated: bool) -> RunReport {
    let cases = vec![
        case(
            "MP-01",
            Api::Maskinporten,
            Status::Ok,
            (1..=4)
                .map(|n| step(n, "token", Api::Maskinporten, Status::Ok, 200))
                .collect(),
        ),
        case(
            "IMS-01",
            Api::Inntektsmottakere,
            Status::Deviation,
            vec![step(
                1,
                "GET inntektsmottakere",
                Api::Inntektsmottakere,
                Status::Deviation,
                403,
            )],
        ),
        case("INN-01", Api::Inntekt, Status::EnvironmentError, vec![]),
        case("AAR-01", Api::AaregOtp, Status::NotRun, vec![]),
    ];
    let summary = Summary::of(cases.iter().map(|c| &c.status));
    RunReport {
        harness_version: "0.1.0".into(),
        run_id: "run-test".into(),
        env: "sim".into(),
        simulated,
        rehearsal: false,
        observed_expiry_tolerance_secs: Default::default(),
        started: Utc.with_ymd_and_hms(2026, 11, 26, 9, 29, 0).unwrap(),
        finished: Utc.with_ymd_and_hms(2026, 11, 26, 9, 35, 0).unwrap(),
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        workbook: WorkbookRef {
            path: "x".into(),
            sha256: String::new(),
        },
        summary,
        verdict: Verdict::of(&cases),
        context: RunContext::default(),
        cases,
        notes: vec![],
    }
}

/// Every part of an xlsx package, by name.
fn parts(path: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    common::zip_file_members(path).into_iter().collect()
}

/// All cells of one sheet of an xlsx, as text.
fn sheet_text(path: &std::path::Path, name: &str) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut x: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let r = x.worksheet_range(name).unwrap();
    r.rows()
        .map(|row| row.iter().map(|d| d.to_string()).collect())
        .collect()
}

fn col(rows: &[Vec<String>], header: &str) -> usize {
    rows.iter()
        .find_map(|r| r.iter().position(|c| c == header))
        .unwrap()
}

#[test]
fn filled_copy_round_trips_with_results_and_banner() {
    let wb = workbook::read(&bundled()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("filled.xlsx");
    write_filled(&wb, &report(true), &out, Lang::Nb, false).unwrap();

    // Reads back as a workbook with the same content in the same cells (the banner moves nothing).
    let again = workbook::read(&out).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
    assert_eq!(again.cases.len(), wb.cases.len());
    for (a, b) in again.cases.iter().zip(&wb.cases) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.mandatory, b.mandatory);
        assert_eq!(a.steps.len(), b.steps.len());
        for (x, y) in a.steps.iter().zip(&b.steps) {
            assert_eq!(
                (&x.operation, &x.inputs, &x.assertions),
                (&y.operation, &y.inputs, &y.assertions)
            );
            assert_eq!(x.row, y.row, "no row moves");
        }
    }
    let ids = |w: &workbook::Workbook| {
        w.testdata
            .iter()
            .map(|t| t.identifikator.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&again), ids(&wb));
    assert_eq!(again.info, wb.info);

    // The added sheets start with the banner; every sheet has it in its page header.
    for sheet in ["Avvik", "Sammendrag", "Endringslogg"] {
        let rows = sheet_text(&out, sheet);
        assert_eq!(
            rows[0][0], "SIMULERT KJØRING – IKKE BEVIS FOR BITS",
            "{sheet}"
        );
    }
    let parts = parts(&out);
    let sheet_parts: Vec<&String> = parts
        .keys()
        .filter(|k| k.starts_with("xl/worksheets/") && k.ends_with(".xml"))
        .collect();
    assert_eq!(sheet_parts.len(), 7, "{sheet_parts:?}");
    for p in sheet_parts {
        let x = String::from_utf8_lossy(&parts[p]);
        assert!(
            x.contains("<oddHeader>&amp;C&amp;&quot;-,Bold&quot;&amp;12&amp;KC00000SIMULERT KJØRING – IKKE BEVIS FOR BITS"),
            "{p}: {x}"
        );
    }

    // Results in the Testcaser sheet.
    let rows = sheet_text(&out, "Testcaser");
    let (c_id, c_step, c_status, c_http, c_corr, c_date, c_by, c_res) = (
        col(&rows, "Testcase-ID"),
        col(&rows, "Steg"),
        col(&rows, "Status"),
        col(&rows, "Faktisk HTTP-status"),
        col(&rows, "Korrelasjons-ID"),
        col(&rows, "Dato"),
        col(&rows, "Testet av"),
        col(&rows, "Faktisk resultat"),
    );
    let row = |id: &str, step: &str| {
        rows.iter()
            .find(|r| r[c_id] == id && r[c_step] == step)
            .unwrap()
            .clone()
    };
    let mp1 = row("MP-01", "1");
    assert_eq!(mp1[c_status], "OK");
    assert_eq!(mp1[c_http], "200");
    assert_eq!(mp1[c_corr], "corr-1 / mottatt: agency-1");
    assert_eq!(mp1[c_date], "2026-11-26T10:30:00+01:00");
    assert_eq!(mp1[c_by], "dsop-harness 0.1.0");
    assert_eq!(mp1[c_res], "step 1 summary");
    assert_eq!(row("MP-01", "4")[c_status], "OK");
    assert_eq!(row("IMS-01", "1")[c_status], "Avvik");
    assert_eq!(row("INN-01", "1")[c_status], "Miljøfeil");
    assert_eq!(row("AAR-01", "1")[c_status], "Ikke kjørt");
    assert_eq!(
        row("SEC-01", "1")[c_status],
        "",
        "cases not in the report stay blank"
    );

    // Avvik: one row per deviation / environment error.
    let avvik = sheet_text(&out, "Avvik");
    let tc = col(&avvik, "Testcase-ID");
    let listed: Vec<&str> = avvik.iter().skip(2).map(|r| r[tc].as_str()).collect();
    assert_eq!(listed, ["IMS-01", "INN-01"]);

    // Sammendrag: verdict.
    let sum = sheet_text(&out, "Sammendrag");
    assert!(sum.iter().any(|r| r.iter().any(|c| c == "Ikke bestått")));
    let log = sheet_text(&out, "Endringslogg");
    assert!(log
        .iter()
        .any(|r| r.iter().any(|c| c.starts_with("Fylt ut av dsop-harness"))));

    // Filling the filled copy again appends to the change log, and never touches the input.
    let out2 = dir.path().join("filled2.xlsx");
    write_filled(&again, &report(false), &out2, Lang::En, false).unwrap();
    let log = sheet_text(&out2, "Endringslogg");
    assert_eq!(
        log.iter()
            .filter(|r| r.iter().any(|c| c.starts_with("Fylt ut av dsop-harness")))
            .count(),
        1
    );
    assert_eq!(
        log.iter()
            .filter(|r| r.iter().any(|c| c.starts_with("Filled in by dsop-harness")))
            .count(),
        1
    );
    let rows = sheet_text(&out2, "Testcaser");
    let c_status = col(&rows, "Status");
    assert!(rows.iter().any(|r| r[c_status] == "Deviation"));
}

#[test]
fn refuses_to_overwrite_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.xlsx");
    std::fs::copy(bundled(), &input).unwrap();
    let wb = workbook::read(&input).unwrap();
    let err = write_filled(&wb, &report(false), &input, Lang::Nb, false).unwrap_err();
    assert!(err.problems[0].message.contains("overwrite"), "{err:?}");
}

/// The style of one cell of an xlsx: (fill fgColor rgb, font bold, font color rgb), from the package XML.
fn cell_style(
    path: &std::path::Path,
    sheet_xml: &str,
    cell: &str,
) -> (Option<String>, bool, Option<String>) {
    use quick_xml::events::Event;
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let styles = read("xl/styles.xml");
    let sheet = read(sheet_xml);
    let attr = |e: &quick_xml::events::BytesStart, k: &str| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == k.as_bytes())
            .map(|a| String::from_utf8_lossy(&a.value).into_owned())
    };
    // The cell's s attribute.
    let mut s_idx = 0usize;
    let mut r = quick_xml::Reader::from_str(&sheet);
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e)
                if e.name().as_ref() == b"c" && attr(&e, "r").as_deref() == Some(cell) =>
            {
                s_idx = attr(&e, "s").map(|v| v.parse().unwrap()).unwrap_or(0);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // fills, fonts and cellXfs.
    let mut fills: Vec<Option<String>> = vec![];
    let mut fonts: Vec<(bool, Option<String>)> = vec![];
    let mut xfs: Vec<(usize, usize)> = vec![];
    let mut stack: Vec<Vec<u8>> = vec![];
    let mut r = quick_xml::Reader::from_str(&styles);
    loop {
        let ev = r.read_event().unwrap();
        let (e, empty) = match &ev {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = e.name().as_ref().to_vec();
        let parent = stack.last().cloned().unwrap_or_default();
        match (parent.as_slice(), name.as_slice()) {
            (b"fills", b"fill") => fills.push(None),
            (b"patternFill", b"fgColor") if stack.iter().any(|s| s == b"fills") => {
                *fills.last_mut().unwrap() = attr(&e, "rgb")
            }
            (b"fonts", b"font") => fonts.push((false, None)),
            (b"font", b"b") if stack.iter().any(|s| s == b"fonts") => {
                fonts.last_mut().unwrap().0 = true
            }
            (b"font", b"color") if stack.iter().any(|s| s == b"fonts") => {
                fonts.last_mut().unwrap().1 = attr(&e, "rgb")
            }
            (b"cellXfs", b"xf") => xfs.push((
                attr(&e, "fillId").map(|v| v.parse().unwrap()).unwrap_or(0),
                attr(&e, "fontId").map(|v| v.parse().unwrap()).unwrap_or(0),
            )),
            _ => {}
        }
        if !empty {
            stack.push(name);
        }
    }
    let (fill, font) = xfs[s_idx];
    (fills[fill].clone(), fonts[font].0, fonts[font].1.clone())
}

/// The width of column `col` (1-based) in a sheet's `<cols>`.
fn col_width(path: &std::path::Path, sheet_xml: &str, col: u32) -> Option<f64> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(sheet_xml)
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    let re = regex::Regex::new(r#"<col min="(\d+)" max="(\d+)" width="([0-9.]+)""#).unwrap();
    let w = re.captures_iter(&s).find_map(|c| {
        let (min, max): (u32, u32) = (c[1].parse().unwrap(), c[2].parse().unwrap());
        (min <= col && col <= max).then(|| c[3].parse().unwrap())
    });
    w
}

#[test]
fn fills_fonts_and_widths_of_the_original_are_kept() {
    use rust_xlsxwriter::{Color, Format, FormatPattern};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("politi-style.xlsx");
    let green = Format::new().set_background_color(Color::RGB(0x92D050));
    let red = Format::new()
        .set_pattern(FormatPattern::Solid)
        .set_background_color(Color::RGB(0xFF0000));
    let head = Format::new()
        .set_bold()
        .set_font_color(Color::RGB(0x1F4E78));
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Testdata").unwrap();
        for (c, h) in ["Ref", "Type", "Identifikator"].iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head).unwrap();
        }
        ws.write_string(1, 0, "TD-ORG-01").unwrap();
        ws.write_string(1, 1, "Opplysningspliktig").unwrap();
        ws.write_string_with_format(1, 2, "310000108", &green)
            .unwrap();
        let ws = wb.add_worksheet();
        ws.set_name("Testcaser").unwrap();
        let header = [
            "Testcase-ID",
            "API",
            "Operasjon",
            "Inndata",
            "Forventet HTTP-status",
            "Status",
        ];
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head).unwrap();
        }
        ws.set_column_width(3, 70).unwrap();
        // A whole column green (column style, no cells).
        ws.set_column_format(9, &green).unwrap();
        ws.write_string(1, 0, "MP-01").unwrap();
        ws.write_string(1, 2, "token").unwrap();
        // Green: editable input; red: the value that triggers the error; an empty green cell stays green.
        ws.write_string_with_format(1, 3, "scope=skatteetaten:inntekt", &green)
            .unwrap();
        ws.write_string_with_format(1, 4, "200", &red).unwrap();
        ws.write_blank(2, 3, &green).unwrap();
        wb.save(&input).unwrap();
    }
    let before = std::fs::read(&input).unwrap();
    let wb = workbook::read(&input).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    let mut rep = report(true);
    rep.cases.truncate(1);
    let out = dir.path().join("filled.xlsx");
    write_filled(&wb, &rep, &out, Lang::Nb, false).unwrap();
    assert_eq!(std::fs::read(&input).unwrap(), before, "input untouched");

    // Sheet order: Testdata = sheet1, Testcaser = sheet2; no row moves.
    let tc = "xl/worksheets/sheet2.xml";
    assert_eq!(cell_style(&out, tc, "D2").0.as_deref(), Some("FF92D050"));
    assert_eq!(cell_style(&out, tc, "E2").0.as_deref(), Some("FFFF0000"));
    assert_eq!(
        cell_style(&out, tc, "D3").0.as_deref(),
        Some("FF92D050"),
        "empty green cell"
    );
    let (_, bold, color) = cell_style(&out, tc, "A1");
    assert!(bold);
    assert_eq!(color.as_deref(), Some("FF1F4E78"));
    assert_eq!(
        cell_style(&out, "xl/worksheets/sheet1.xml", "C2")
            .0
            .as_deref(),
        Some("FF92D050"),
        "identifier keeps its fill"
    );
    // The status cell is coloured by status (a format appended to the original styles).
    let (fill, bold, _) = cell_style(&out, tc, "F2");
    assert_eq!(fill.as_deref(), Some("FFC6EFCE"));
    assert!(bold);
    let w = col_width(&out, tc, 4).unwrap();
    assert!(
        (w - col_width(&input, "xl/worksheets/sheet2.xml", 4).unwrap()).abs() < 0.1,
        "{w}"
    );
    {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut x = String::new();
        z.by_name(tc).unwrap().read_to_string(&mut x).unwrap();
        assert!(
            regex::Regex::new(r#"<col min="10" max="10"[^>]* style="\d+""#)
                .unwrap()
                .is_match(&x),
            "column style kept: {x}"
        );
    }
    // The result still lands, and the banner is on every added sheet.
    let rows = sheet_text(&out, "Testcaser");
    let c = col(&rows, "Status");
    assert_eq!(rows[1][c], "OK");
    for s in ["Avvik", "Sammendrag", "Endringslogg"] {
        assert_eq!(
            sheet_text(&out, s)[0][0],
            "SIMULERT KJØRING – IKKE BEVIS FOR BITS",
            "{s}"
        );
    }
}

#[test]
fn hidden_sheets_merged_cells_and_formulas_in_the_filled_copy() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("quirks.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = testcaser_sheet(&mut wb);
        let f = rust_xlsxwriter::Format::new();
        ws.merge_range(1, 0, 2, 0, "MP-01", &f).unwrap();
        ws.merge_range(1, 2, 2, 2, "Maskinporten", &f).unwrap();
        for (r, scope) in [(1u32, "scope=a"), (2, "scope=b")] {
            ws.write_number(r, 1, r as f64).unwrap();
            ws.write_string(r, 3, "token").unwrap();
            ws.write_string(r, 4, scope).unwrap();
            ws.write_number(r, 5, 200.0).unwrap();
        }
        let ws = wb.add_worksheet();
        ws.set_name("Testdata").unwrap();
        ws.set_hidden(true);
        for (c, h) in ["Ref", "Type", "Identifikator"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "TD-P-02").unwrap();
        ws.write_string(1, 1, "Inntektsmottaker").unwrap();
        // A formula with its cached value, and an id stored as a number (leading zero lost).
        ws.write_formula(1, 2, "=\"0487901\"&\"0069\"").unwrap();
        ws.set_formula_result(1, 2, "04879010069");
        ws.write_string(2, 0, "TD-P-01").unwrap();
        ws.write_string(2, 1, "Inntektsmottaker").unwrap();
        ws.write_number(2, 2, 12838510068.0).unwrap();
        ws.write_string(3, 0, "TD-P-04").unwrap();
        ws.write_string(3, 1, "Inntektsmottaker").unwrap();
        ws.write_number(3, 2, 1828810010.0).unwrap();
        wb.save(&input).unwrap();
    }
    let wb = workbook::read(&input).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    assert_eq!(wb.testdata("TD-P-02").unwrap().identifikator, "04879010069");
    assert_eq!(wb.testdata("TD-P-04").unwrap().identifikator, "01828810010");
    let mut rep = report(true);
    rep.cases.truncate(1);
    let out = dir.path().join("filled.xlsx");
    write_filled(&wb, &rep, &out, Lang::Nb, false).unwrap();

    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let wbx = read("xl/workbook.xml");
    assert!(
        regex::Regex::new(r#"<sheet name="Testdata"[^>]*state="hidden""#)
            .unwrap()
            .is_match(&wbx),
        "{wbx}"
    );
    let tc = read("xl/worksheets/sheet1.xml");
    assert!(
        tc.contains(r#"<mergeCell ref="A2:A3"/>"#),
        "merged, in place: {tc}"
    );
    // The Testdata sheet (no results) is the input's, byte for byte, but for the banner in the page header.
    let td = read("xl/worksheets/sheet2.xml");
    let td_in = {
        let mut z = zip::ZipArchive::new(std::fs::File::open(&input).unwrap()).unwrap();
        let mut s = String::new();
        z.by_name("xl/worksheets/sheet2.xml")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    assert!(
        td.starts_with(td_in.trim_end_matches("</worksheet>")),
        "{td}\n{td_in}"
    );
    let again = workbook::read(&out).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    assert_eq!(
        again.testdata("TD-P-02").unwrap().identifikator,
        "04879010069"
    );
    assert_eq!(
        again.testdata("TD-P-04").unwrap().identifikator,
        "01828810010"
    );
    assert_eq!(again.cases[0].steps.len(), 2);
}

/// A `Testcaser` sheet with its header row.
fn testcaser_sheet(wb: &mut rust_xlsxwriter::Workbook) -> &mut rust_xlsxwriter::Worksheet {
    let ws = wb.add_worksheet();
    ws.set_name("Testcaser").unwrap();
    let header = [
        "Testcase-ID",
        "Steg",
        "API",
        "Operasjon",
        "Inndata",
        "Forventet HTTP-status",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws
}

/// A small valid workbook (one case, one test data row) at `path`, with `extra` done to it before saving.
fn minimal_workbook(path: &std::path::Path, extra: impl FnOnce(&mut rust_xlsxwriter::Workbook)) {
    let mut x = rust_xlsxwriter::Workbook::new();
    let ws = testcaser_sheet(&mut x);
    for (c, v) in [
        "MP-01",
        "1",
        "Maskinporten",
        "token",
        "scope=skatteetaten:inntekt",
        "200",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    let ws = x.add_worksheet();
    ws.set_name("Testdata").unwrap();
    for (c, h) in ["Ref", "Type", "Identifikator"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["TD-ORG-01", "Arbeidsgiver", "310000108"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    extra(&mut x);
    x.save(path).unwrap();
}

/// `docProps/app.xml` of a package: the heading pairs (name, count) and the titles.
fn app_props(path: &std::path::Path) -> (Vec<(String, usize)>, Vec<String>) {
    let app = String::from_utf8(parts(path).remove("docProps/app.xml").unwrap()).unwrap();
    let pair = regex::Regex::new(
        r"(?s)<vt:variant><vt:lpstr>([^<]*)</vt:lpstr></vt:variant><vt:variant><vt:i4>(\d+)</vt:i4>",
    )
    .unwrap();
    let heads = pair
        .captures_iter(&app)
        .map(|c| (c[1].to_string(), c[2].parse().unwrap()))
        .collect();
    let titles_xml = app
        .split("<TitlesOfParts>")
        .nth(1)
        .unwrap()
        .split("</TitlesOfParts>")
        .next()
        .unwrap();
    let size: usize = regex::Regex::new(r#"size="(\d+)""#)
        .unwrap()
        .captures(titles_xml)
        .unwrap()[1]
        .parse()
        .unwrap();
    let titles: Vec<String> = regex::Regex::new(r"<vt:lpstr>([^<]*)</vt:lpstr>")
        .unwrap()
        .captures_iter(titles_xml)
        .map(|c| c[1].replace("&amp;", "&"))
        .collect();
    assert_eq!(size, titles.len(), "{app}");
    (heads, titles)
}

/// The sheet names of a package, in workbook order.
fn sheet_names(path: &std::path::Path) -> Vec<String> {
    let wbx = String::from_utf8(parts(path).remove("xl/workbook.xml").unwrap()).unwrap();
    regex::Regex::new(r#"<sheet [^>]*name="([^"]*)""#)
        .unwrap()
        .captures_iter(&wbx)
        .map(|c| c[1].to_string())
        .collect()
}

/// The filled-in copy's document properties list the sheets the harness added, after the workbook's own and
/// before its named ranges, with the worksheet count raised to match.
#[test]
fn app_xml_lists_the_added_sheets() {
    // The bundled workbook.
    let wb = workbook::read(&bundled()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("filled.xlsx");
    write_filled(&wb, &report(true), &out, Lang::Nb, false).unwrap();
    let (heads, titles) = app_props(&out);
    let names = sheet_names(&out);
    assert!(names.ends_with(&["Avvik".into(), "Sammendrag".into(), "Endringslogg".into()]));
    assert_eq!(titles, names);
    assert_eq!(heads[0].1, names.len(), "{heads:?}");

    // A workbook with a named range: its title stays after the sheets.
    let input = dir.path().join("named.xlsx");
    minimal_workbook(&input, |x| {
        x.define_name("Omraade", "=Testdata!$A$1:$C$3").unwrap();
    });
    let before = app_props(&input);
    assert_eq!(before.0.len(), 2, "{before:?}");
    let wb = workbook::read(&input).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    let out = dir.path().join("named-filled.xlsx");
    let mut rep = report(false);
    rep.cases.clear();
    write_filled(&wb, &rep, &out, Lang::Nb, false).unwrap();
    let (heads, titles) = app_props(&out);
    let names = sheet_names(&out);
    assert_eq!(heads[0].1, names.len(), "{heads:?}");
    assert_eq!(heads[1], before.0[1], "{heads:?}");
    assert_eq!(&titles[..names.len()], names.as_slice());
    assert_eq!(titles[names.len()..], before.1[2..], "{titles:?}");
}

/// A workbook that already has sheets named as the ones the harness adds (`Avvik`, `Sammendrag`): the added
/// sheets get free names (`Avvik (2)`, …), the user's sheets are kept as they were, and `report DIR -w` reads
/// what the team filled in on the added `Avvik (2)` as well.
#[test]
fn sheets_named_as_the_added_ones_are_kept_and_the_added_get_free_names() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("egen.xlsx");
    minimal_workbook(&input, |x| {
        let ws = x.add_worksheet();
        ws.set_name("Avvik").unwrap();
        ws.write_string(0, 0, "Vår egen avviksliste").unwrap();
        ws.write_string(1, 0, "Punkt").unwrap();
        ws.write_string(2, 0, "Brukerens rad").unwrap();
        let ws = x.add_worksheet();
        ws.set_name("Sammendrag").unwrap();
        ws.write_string(0, 0, "Brukerens sammendrag").unwrap();
    });
    let reports = dir.path().join("reports");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dsop-harness"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--today", "2026-11-26", "--workbook"])
        .arg(&input)
        .arg("--reports")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let run = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    let filled = run.join("egen_utfylt.xlsx");
    assert_eq!(
        sheet_names(&filled),
        [
            "Testcaser",
            "Testdata",
            "Avvik",
            "Sammendrag",
            "Avvik (2)",
            "Sammendrag (2)",
            "Endringslogg"
        ]
    );
    // The user's sheets, cell for cell.
    assert_eq!(
        sheet_text(&filled, "Avvik"),
        [
            vec!["Vår egen avviksliste".to_string()],
            vec!["Punkt".into()],
            vec!["Brukerens rad".into()]
        ]
    );
    assert_eq!(
        sheet_text(&filled, "Sammendrag"),
        [vec!["Brukerens sammendrag".to_string()]]
    );
    assert!(sheet_text(&filled, "Sammendrag (2)")
        .iter()
        .flatten()
        .any(|c| c == "Totalt"));
    assert_eq!(app_props(&filled).1, sheet_names(&filled));

    // The team fills in Tiltak on the added sheet; its own Avvik sheet stays as it was.
    let team = dir.path().join("team.xlsx");
    {
        let mut x = rust_xlsxwriter::Workbook::new();
        let ws = x.add_worksheet();
        ws.set_name("Avvik").unwrap();
        ws.write_string(0, 0, "Vår egen avviksliste").unwrap();
        let ws = x.add_worksheet();
        ws.set_name("Avvik (2)").unwrap();
        for (c, h) in ["Testcase-ID", "Tiltak", "Ansvarlig"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (c, v) in ["MP-01", "Nytt sertifikat bestilt", "Kari Nordmann"]
            .iter()
            .enumerate()
        {
            ws.write_string(1, c as u16, *v).unwrap();
        }
        x.save(&team).unwrap();
    }
    let human = dsop_harness::report::rerender::read_workbook_human(&team).unwrap();
    let mp01 = &human.deviations["MP-01"];
    assert_eq!(mp01.measure, "Nytt sertifikat bestilt");
    assert_eq!(mp01.responsible, "Kari Nordmann");
    // `report DIR -w` re-renders from the journal, the filled-in workbook included, with the same names.
    let again = dir.path().join("again");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dsop-harness"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("report")
        .arg(&run)
        .arg("-w")
        .arg(&team)
        .arg("--out")
        .arg(&again)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let refilled = again.join("egen_utfylt.xlsx");
    assert_eq!(sheet_names(&refilled), sheet_names(&filled));
    assert_eq!(sheet_text(&refilled, "Avvik"), sheet_text(&filled, "Avvik"));
}
