//! Writing a filled-in copy of a workbook: the original sheets (values, ids as text) with the Testcaser
//! result columns filled from a run, plus the sheets `Avvik`, `Sammendrag` and `Endringslogg`.
//! The input file is never written; the output is written atomically.

use super::generate::{width_of, xlsx_error, Formats};
use super::headers;
use super::load::{self, cell_text, LoadedSheet};
use super::reader::{self, Problems};
use super::styles::{self, PackageStyles, SheetStyles};
use super::{normalise, Problem, Severity, Workbook, WorkbookError};
use crate::model::{CaseResult, Lang, RunReport, Status, StepResult};
use calamine::Data;
use rust_xlsxwriter::{Color, Format, Worksheet, XlsxError};
use std::path::Path;

const SHEET_DEVIATIONS: &str = "Avvik";
const SHEET_SUMMARY: &str = "Sammendrag";
const SHEET_CHANGELOG: &str = "Endringslogg";

fn tr(lang: Lang, nb: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Nb => nb,
        Lang::En => en,
    }
}

/// The banner on every sheet of a simulated run's filled workbook.
pub fn banner_text(lang: Lang) -> &'static str {
    tr(
        lang,
        "SIMULERT KJØRING – IKKE BEVIS FOR BITS",
        "SIMULATED RUN – NOT EVIDENCE FOR BITS",
    )
}

fn one_problem(file: &str, message: String, hint: &str) -> WorkbookError {
    WorkbookError {
        file: file.to_string(),
        problems: vec![Problem {
            severity: Severity::Error,
            file: file.to_string(),
            location: String::new(),
            message,
            hint: hint.to_string(),
        }],
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Status cell formats: OK green, Avvik red, Miljøfeil orange, the rest grey.
fn status_format(s: Status) -> Format {
    let (bg, fg) = match s {
        Status::Ok => (0xC6EFCE, 0x006100),
        Status::Deviation => (0xFFC7CE, 0x9C0006),
        Status::EnvironmentError => (0xF8CBAD, 0x833C0B),
        Status::NotRun | Status::NotApplicable => (0xD9D9D9, 0x404040),
    };
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(bg))
        .set_font_color(Color::RGB(fg))
}

fn oslo_iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Oslo)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn correlation_text(sent: Option<&str>, returned: Option<&str>, lang: Lang) -> String {
    let got = tr(lang, "mottatt", "received");
    match (sent, returned) {
        (Some(s), Some(r)) => format!("{s} / {got}: {r}"),
        (Some(s), None) => s.to_string(),
        (None, Some(r)) => format!("{got}: {r}"),
        (None, None) => String::new(),
    }
}

/// Write a copy of `wb`'s original file with the run's results to `out` (never the input file).
pub fn write_filled(
    wb: &Workbook,
    report: &RunReport,
    out: &Path,
    lang: Lang,
) -> Result<(), WorkbookError> {
    let file = wb.path.display().to_string();
    if same_file(&wb.path, out) {
        return Err(one_problem(
            &out.display().to_string(),
            "the filled-in workbook would overwrite the input workbook".into(),
            "write it to another file, e.g. in the run's report folder",
        ));
    }
    let loaded = load::load(&wb.path).map_err(|problems| WorkbookError {
        file: file.clone(),
        problems,
    })?;
    if !wb.sha256.is_empty() && loaded.sha256 != wb.sha256 {
        return Err(one_problem(
            &file,
            "the workbook changed on disk after it was read for the run".into(),
            "run again, or restore the workbook the run used",
        ));
    }
    // The original styles (fills, fonts, number formats, widths); best effort, never an error.
    let styles = std::fs::read(&wb.path)
        .map(|b| styles::read(&b))
        .unwrap_or_default();
    let bytes = build(wb, report, &loaded.sheets, &styles, lang).map_err(|e| xlsx_error(out, e))?;
    crate::fsutil::write_atomic(out, &bytes).map_err(|e| xlsx_error(out, e))
}

fn build(
    wb: &Workbook,
    report: &RunReport,
    sheets: &[LoadedSheet],
    styles: &PackageStyles,
    lang: Lang,
) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let off: u32 = u32::from(report.simulated);
    let banner = Format::new()
        .set_bold()
        .set_font_size(12)
        .set_font_color(Color::RGB(0xC00000));
    let mut p = Problems::new(&wb.path.display().to_string());
    let layout = reader::locate(sheets, &mut p);
    let tc_index = layout.testcaser.as_ref().map(|(i, _)| *i);
    let td_index = layout.testdata.as_ref().map(|(i, _)| *i);
    let generated = [SHEET_DEVIATIONS, SHEET_SUMMARY, SHEET_CHANGELOG].map(normalise);
    let mut old_changelog: Vec<Vec<String>> = Vec::new();

    let mut out = rust_xlsxwriter::Workbook::new();
    let mut first = true;
    for (i, sheet) in sheets.iter().enumerate() {
        let norm = normalise(&sheet.name);
        if generated.contains(&norm) {
            if norm == normalise(SHEET_CHANGELOG) {
                old_changelog = changelog_rows(sheet);
            }
            continue;
        }
        let ws = out.add_worksheet();
        ws.set_name(&sheet.name)?;
        if sheet.hidden && !first {
            ws.set_hidden(true);
        }
        first = false;
        if report.simulated {
            ws.write_string_with_format(0, 0, banner_text(lang), &banner)?;
        }
        let st = styles.sheet(&sheet.name);
        copy_cells(ws, sheet, styles, st, off)?;
        if Some(i) == td_index {
            // Identifiers as text (numbers restored with their leading zeros by the reader).
            for td in &wb.testdata {
                if let Some((_, c)) = td.cells.iter().find(|(k, _)| k == headers::TD_ID) {
                    if !td.identifikator.is_empty() {
                        ws.write_string_with_format(
                            c.row + off,
                            c.col as u16,
                            &td.identifikator,
                            &styles
                                .format(st, c.row, c.col)
                                .map(|x| x.clone().set_num_format("@"))
                                .unwrap_or_else(|| f.text.clone()),
                        )?;
                    }
                }
            }
        }
        if let (Some(ti), Some((_, h))) = (tc_index, layout.testcaser.as_ref()) {
            if ti == i {
                fill_results(ws, wb, report, h, off, lang, &f, (styles, st))?;
            }
        }
    }

    // Avvik.
    let ws = out.add_worksheet();
    ws.set_name(SHEET_DEVIATIONS)?;
    if report.simulated {
        ws.write_string_with_format(0, 0, banner_text(lang), &banner)?;
    }
    let cols = [
        tr(lang, "Avvik-ID", "Deviation ID"),
        "Testcase-ID",
        tr(lang, "Beskrivelse", "Description"),
        tr(lang, "Alvorlighet", "Severity"),
        tr(lang, "Årsak", "Cause"),
        tr(lang, "Tiltak", "Action"),
        tr(lang, "Ansvarlig", "Owner"),
        "Status",
        tr(lang, "Meldt Bits (saksnr)", "Reported to Bits (case no.)"),
        tr(lang, "Korrelasjons-ID", "Correlation ID"),
    ];
    let widths = [12.0, 12.0, 60.0, 12.0, 14.0, 30.0, 16.0, 10.0, 20.0, 50.0];
    for (c, (name, w)) in cols.iter().zip(widths).enumerate() {
        ws.write_string_with_format(off, c as u16, *name, &f.header_human)?;
        ws.set_column_width(c as u16, w)?;
    }
    ws.set_freeze_panes(off + 1, 0)?;
    let mut n = 0u32;
    for c in report
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Deviation | Status::EnvironmentError))
    {
        n += 1;
        let r = off + n;
        let desc = match &c.note {
            Some(note) if !note.is_empty() => format!("{}: {note}", c.description),
            _ => c.description.clone(),
        };
        let (severity, cause) = match (c.status, c.mandatory) {
            (Status::EnvironmentError, _) => {
                (tr(lang, "Lav", "Low"), tr(lang, "Miljø", "Environment"))
            }
            (_, true) => (tr(lang, "Høy", "High"), ""),
            _ => (tr(lang, "Middels", "Medium"), ""),
        };
        let corr = correlation_text(
            c.correlation_id.as_deref(),
            c.correlation_id_returned.as_deref(),
            lang,
        );
        let vals = [
            format!("AV-{n:02}"),
            c.id.clone(),
            desc,
            severity.to_string(),
            cause.to_string(),
            String::new(),
            String::new(),
            tr(lang, "Åpen", "Open").to_string(),
            String::new(),
            corr,
        ];
        for (col, v) in vals.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string_with_format(r, col as u16, v, &f.wrap)?;
            }
        }
    }

    // Sammendrag.
    let ws = out.add_worksheet();
    ws.set_name(SHEET_SUMMARY)?;
    if report.simulated {
        ws.write_string_with_format(0, 0, banner_text(lang), &banner)?;
    }
    let statuses = [
        Status::Ok,
        Status::Deviation,
        Status::EnvironmentError,
        Status::NotRun,
        Status::NotApplicable,
    ];
    ws.write_string_with_format(off, 0, "API", &f.header_human)?;
    ws.write_string_with_format(off, 1, tr(lang, "Testcaser", "Cases"), &f.header_human)?;
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 12)?;
    for (k, s) in statuses.iter().enumerate() {
        ws.write_string_with_format(off, 2 + k as u16, s.label(lang), &f.header_human)?;
        ws.set_column_width(2 + k as u16, 14)?;
    }
    let mut r = off + 1;
    for (api, s) in report.summary_per_api() {
        ws.write_string(r, 0, api.label(lang))?;
        ws.write_number(r, 1, s.total as f64)?;
        for (k, st) in statuses.iter().enumerate() {
            ws.write_number(r, 2 + k as u16, s.count(*st) as f64)?;
        }
        r += 1;
    }
    let bold = Format::new().set_bold();
    ws.write_string_with_format(r, 0, tr(lang, "Totalt", "Total"), &bold)?;
    ws.write_number_with_format(r, 1, report.summary.total as f64, &bold)?;
    for (k, st) in statuses.iter().enumerate() {
        ws.write_number_with_format(r, 2 + k as u16, report.summary.count(*st) as f64, &bold)?;
    }
    r += 2;
    ws.write_string_with_format(r, 0, tr(lang, "Samlet vurdering", "Overall verdict"), &bold)?;
    ws.write_string_with_format(r, 1, report.verdict.label(lang), &bold)?;
    ws.write_string(
        r + 1,
        0,
        tr(
            lang,
            "Vurderingen gjelder de obligatoriske testcasene.",
            "The verdict covers the mandatory cases.",
        ),
    )?;

    // Endringslogg.
    let ws = out.add_worksheet();
    ws.set_name(SHEET_CHANGELOG)?;
    if report.simulated {
        ws.write_string_with_format(0, 0, banner_text(lang), &banner)?;
    }
    let cols = [
        tr(lang, "Dato", "Date"),
        tr(lang, "Versjon", "Version"),
        tr(lang, "Endring", "Change"),
    ];
    for (c, (name, w)) in cols.iter().zip([28.0, 14.0, 80.0]).enumerate() {
        ws.write_string_with_format(off, c as u16, *name, &f.header_human)?;
        ws.set_column_width(c as u16, w)?;
    }
    let mut r = off + 1;
    for row in &old_changelog {
        for (c, v) in row.iter().enumerate().take(3) {
            if !v.is_empty() {
                ws.write_string(r, c as u16, v)?;
            }
        }
        r += 1;
    }
    ws.write_string(r, 0, oslo_iso(report.finished))?;
    ws.write_string(r, 1, &report.harness_version)?;
    let mut change = format!(
        "{} ({} {}, {} {})",
        tr(lang, "Fylt ut av dsop-harness", "Filled in by dsop-harness"),
        tr(lang, "kjøring", "run"),
        report.run_id,
        tr(lang, "miljø", "environment"),
        report.env
    );
    if report.simulated {
        change.push_str(&format!(" – {}", banner_text(lang)));
    }
    ws.write_string(r, 2, change)?;

    out.save_to_buffer()
}

/// The data rows of an existing Endringslogg sheet (below its header row), for appending.
fn changelog_rows(sheet: &LoadedSheet) -> Vec<Vec<String>> {
    let Some((r0, r1)) = sheet.row_bounds() else {
        return Vec::new();
    };
    let mut header: Option<u32> = None;
    let mut out = Vec::new();
    for r in r0..=r1 {
        let first = sheet.text(r, 0);
        if header.is_none() {
            if matches!(normalise(&first).as_str(), "dato" | "date") {
                header = Some(r);
            }
            continue;
        }
        let row: Vec<String> = (0..3).map(|c| sheet.text(r, c)).collect();
        if row.iter().any(|v| !v.is_empty()) && !reader::is_banner(&row[0]) {
            out.push(row);
        }
    }
    out
}

fn copy_cells(
    ws: &mut Worksheet,
    sheet: &LoadedSheet,
    styles: &PackageStyles,
    st: Option<&SheetStyles>,
    off: u32,
) -> Result<(), XlsxError> {
    let plain = Format::new();
    // Column widths and hidden columns, capped a little beyond the used range (Excel often declares the
    // trailing columns up to XFD hidden).
    let last_col = sheet
        .col_bounds()
        .map(|c| c.1)
        .unwrap_or(0)
        .saturating_add(64)
        .min(16_383) as u16;
    if let Some(st) = st {
        for cs in &st.cols {
            for c in cs.first..=cs.last.min(last_col) {
                if let Some(w) = cs.width {
                    ws.set_column_width(c, w)?;
                }
                if cs.hidden {
                    ws.set_column_hidden(c)?;
                }
                if let Some(fmt) = cs.style.and_then(|i| styles.formats.get(i)) {
                    ws.set_column_format(c, fmt)?;
                }
            }
        }
        for (r, ht, hidden) in &st.rows {
            let r = r.saturating_add(off);
            if let Some(h) = ht {
                ws.set_row_height(r, *h)?;
            }
            if *hidden {
                ws.set_row_hidden(r)?;
            }
        }
        // Styled cells without a value (e.g. green input cells left blank).
        for ((r, c), _) in st.cells.iter() {
            if matches!(sheet.get(*r, *c), None | Some(Data::Empty)) && *c <= 16_383 {
                if let Some(fmt) = styles.format(Some(st), *r, *c) {
                    ws.write_blank(r.saturating_add(off), *c as u16, fmt)?;
                }
            }
        }
    }
    let Some((r0, c0)) = sheet.range.start() else {
        return Ok(());
    };
    for (dr, dc, v) in sheet.range.used_cells() {
        let (sr, sc) = (r0 + dr as u32, c0 + dc as u32);
        let (r, c) = (sr + off, sc as u16);
        let fmt = styles.format(st, sr, sc).unwrap_or(&plain);
        match v {
            Data::Empty => {}
            // A banner of an earlier simulated fill is not copied: this run decides its own banner.
            Data::String(s) if reader::is_banner(s) => {}
            Data::String(s) => {
                ws.write_string_with_format(r, c, s, fmt)?;
            }
            Data::Int(i) => {
                ws.write_number_with_format(r, c, *i as f64, fmt)?;
            }
            Data::Float(x) => {
                ws.write_number_with_format(r, c, *x, fmt)?;
            }
            Data::Bool(b) => {
                ws.write_boolean_with_format(r, c, *b, fmt)?;
            }
            Data::Error(e) => {
                ws.write_string_with_format(r, c, e.to_string(), fmt)?;
            }
            Data::DateTime(dt) => {
                ws.write_number_with_format(r, c, dt.as_f64(), fmt)?;
            }
            other => {
                ws.write_string_with_format(r, c, cell_text(other), fmt)?;
            }
        }
    }
    // Merged regions, where they hold text (the result columns are never merged by the harness).
    for m in &sheet.merged {
        if m.start == m.end {
            continue;
        }
        let text = sheet.text(m.start.0, m.start.1);
        ws.merge_range(
            m.start.0 + off,
            m.start.1 as u16,
            m.end.0 + off,
            m.end.1 as u16,
            &text,
            &styles
                .format(st, m.start.0, m.start.1)
                .cloned()
                .unwrap_or_else(|| Format::new().set_text_wrap()),
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn fill_results(
    ws: &mut Worksheet,
    wb: &Workbook,
    report: &RunReport,
    h: &headers::HeaderMap,
    off: u32,
    lang: Lang,
    f: &Formats,
    (styles, st): (&PackageStyles, Option<&SheetStyles>),
) -> Result<(), XlsxError> {
    // Widths the original file set are kept; the others get the harness's widths.
    let has_width = |c: u32| {
        st.is_some_and(|st| {
            st.cols
                .iter()
                .any(|cs| cs.width.is_some() && u32::from(cs.first) <= c && c <= u32::from(cs.last))
        })
    };
    // A result cell keeps the original cell's style (e.g. a coloured column) when it has one.
    let cell_fmt = |r: u32, c: u16, fallback: &Format| -> Format {
        styles
            .format(st, r, u32::from(c))
            .cloned()
            .unwrap_or_else(|| fallback.clone())
    };
    let plain = Format::new();
    // Result columns: where they are, or appended after the last header.
    let mut next = h.last_col().map(|c| c + 1).unwrap_or(0);
    let mut col_of = Vec::new();
    for name in headers::RESULT_COLUMNS {
        let c = match h.col(name) {
            Some(c) => c,
            None => {
                let c = next;
                next += 1;
                ws.write_string_with_format(h.row + off, c as u16, name, f.header_for(name))?;
                c
            }
        };
        if !has_width(c) {
            ws.set_column_width(c as u16, width_of(name))?;
        }
        col_of.push((name, c as u16));
    }
    for (canon, c) in &h.columns {
        if !headers::RESULT_COLUMNS.contains(canon) && !has_width(*c) {
            ws.set_column_width(*c as u16, width_of(canon))?;
        }
    }
    ws.set_freeze_panes(h.row + off + 1, 1)?;
    let col = |name: &str| {
        col_of
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .unwrap_or(0)
    };
    let tester = format!("dsop-harness {}", report.harness_version);
    for cr in &report.cases {
        let Some(case) = wb.cases.iter().find(|c| c.id.eq_ignore_ascii_case(&cr.id)) else {
            continue;
        };
        let date = oslo_iso(cr.started.unwrap_or(report.started));
        // Several steps on one row (a case mapped from a one-row Bits case): the case's result on that row.
        let one_row = case.steps.len() > 1 && case.steps.iter().all(|s| s.row == case.steps[0].row);
        for (i, step) in case.steps.iter().enumerate() {
            let src_row = step.row;
            let r = step.row + off;
            let sr = cr.steps.iter().find(|s| s.step == step.step);
            // Without a step result, the case-level result goes on the case's first row only.
            let vals = match sr {
                Some(s) if !one_row => StepValues::of_step(s, lang),
                _ if i == 0 => StepValues::of_case(cr, lang),
                _ => continue,
            };
            if let Some(code) = vals.http {
                let c = col(headers::TC_ACTUAL_HTTP);
                ws.write_number_with_format(r, c, code as f64, &cell_fmt(src_row, c, &plain))?;
            }
            for (name, v) in [
                (headers::TC_ACTUAL_CODE, &vals.code),
                (headers::TC_ACTUAL_RESULT, &vals.result),
                (headers::TC_CORRELATION, &vals.correlation),
                (headers::TC_COMMENT, &vals.comment),
            ] {
                if !v.is_empty() {
                    let c = col(name);
                    ws.write_string_with_format(r, c, v, &cell_fmt(src_row, c, &f.wrap))?;
                }
            }
            ws.write_string_with_format(
                r,
                col(headers::TC_STATUS),
                vals.status.label(lang),
                &status_format(vals.status),
            )?;
            for (name, v) in [(headers::TC_DATE, &date), (headers::TC_TESTED_BY, &tester)] {
                let c = col(name);
                ws.write_string_with_format(r, c, v, &cell_fmt(src_row, c, &plain))?;
            }
        }
    }
    Ok(())
}

struct StepValues {
    http: Option<u16>,
    code: String,
    result: String,
    correlation: String,
    comment: String,
    status: Status,
}

impl StepValues {
    fn of_step(s: &StepResult, lang: Lang) -> StepValues {
        StepValues {
            http: s.actual_http,
            code: s.actual_code.clone().unwrap_or_default(),
            result: s
                .summary
                .clone()
                .or_else(|| s.note.clone())
                .unwrap_or_default(),
            correlation: correlation_text(
                s.correlation_id.as_deref(),
                s.correlation_id_returned.as_deref(),
                lang,
            ),
            comment: s.note.clone().unwrap_or_default(),
            status: s.status,
        }
    }

    fn of_case(c: &CaseResult, lang: Lang) -> StepValues {
        StepValues {
            http: c.actual_http,
            code: c.actual_code.clone().unwrap_or_default(),
            result: c.note.clone().unwrap_or_default(),
            correlation: correlation_text(
                c.correlation_id.as_deref(),
                c.correlation_id_returned.as_deref(),
                lang,
            ),
            comment: c.note.clone().unwrap_or_default(),
            status: c.status,
        }
    }
}
