//! `write_filled`: a filled copy of the bundled workbook reads back with the same cases and the results.

use chrono::{NaiveDate, TimeZone, Utc};
use dsop_harness::model::{
    Api, CaseResult, Lang, RunContext, RunReport, Status, StepResult, Summary, Verdict, WorkbookRef,
};
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
    workbook::write_filled(&wb, &report(true), &out, Lang::Nb).unwrap();

    // Reads back as a workbook with the same content (the banner row is a title row).
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
            assert_eq!(x.row, y.row + 1, "rows shift by the banner");
        }
    }
    let ids = |w: &workbook::Workbook| {
        w.testdata
            .iter()
            .map(|t| t.identifikator.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&again), ids(&wb));
    assert_eq!(
        again.info,
        wb.info
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.loc.row += 1;
                e
            })
            .collect::<Vec<_>>()
    );

    // Every sheet starts with the banner.
    for sheet in [
        "Info",
        "Testdata",
        "Testcaser",
        "Veiledning",
        "Avvik",
        "Sammendrag",
        "Endringslogg",
    ] {
        let rows = sheet_text(&out, sheet);
        assert_eq!(
            rows[0][0], "SIMULERT KJØRING – IKKE BEVIS FOR BITS",
            "{sheet}"
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
    workbook::write_filled(&again, &report(false), &out2, Lang::En).unwrap();
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
    let err = workbook::write_filled(&wb, &report(false), &input, Lang::Nb).unwrap_err();
    assert!(err.problems[0].message.contains("overwrite"), "{err:?}");
}
