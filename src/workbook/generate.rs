//! Generating the bundled workbook from its readable source (`testcases/source.toml`).
//!
//! Regenerate with `cargo run --example build_workbook`. `tests/workbook_bundled.rs` checks that the committed
//! xlsx has the same contents as the source.

use super::headers::{self, SheetRole};
use super::source::{load_source, Source};
use super::{Problem, Severity, WorkbookError};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::path::Path;

/// The bundled workbook's file name, under `testcases/`.
pub const BUNDLED_FILE: &str = "integrasjonstest-ajourhold-otp.xlsx";
/// The source's file name, under `testcases/`.
pub const SOURCE_FILE: &str = "source.toml";

pub(crate) fn xlsx_error(file: &Path, e: impl std::fmt::Display) -> WorkbookError {
    let file = file.display().to_string();
    WorkbookError {
        file: file.clone(),
        problems: vec![Problem {
            severity: Severity::Error,
            file,
            location: String::new(),
            message: format!("cannot write the workbook: {e}"),
            hint: "check that the folder exists and is writable, and that the file is not open in Excel".into(),
        }],
    }
}

/// Read `toml_path` and write the workbook (only cases with `bundled = true`) to `out_path` atomically.
pub fn build_from_source(toml_path: &Path, out_path: &Path) -> Result<(), WorkbookError> {
    let src = load_source(toml_path)?;
    let bytes = build_bytes(&src).map_err(|e| xlsx_error(out_path, e))?;
    crate::fsutil::write_atomic(out_path, &bytes).map_err(|e| xlsx_error(out_path, e))
}

/// Shared cell formats of generated sheets.
pub(crate) struct Formats {
    pub title: Format,
    pub header_human: Format,
    pub header_machine: Format,
    pub header_result: Format,
    pub text: Format,
    pub wrap: Format,
}

impl Formats {
    pub fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::Top);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header_human: header.clone().set_background_color(Color::RGB(0xD9E1F2)),
            header_machine: header.clone().set_background_color(Color::RGB(0xFCE4D6)),
            header_result: header.set_background_color(Color::RGB(0xE2EFDA)),
            text: Format::new()
                .set_num_format("@")
                .set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }

    /// The header format of a Testcaser column: human, machine or result group.
    pub fn header_for(&self, canonical: &str) -> &Format {
        if headers::RESULT_COLUMNS.contains(&canonical) {
            &self.header_result
        } else if [
            headers::TC_STEP,
            headers::TC_OPERATION,
            headers::TC_INPUTS,
            headers::TC_EXPECTED_HTTP,
            headers::TC_EXPECTED_CODE,
            headers::TC_ASSERTIONS,
        ]
        .contains(&canonical)
        {
            &self.header_machine
        } else {
            &self.header_human
        }
    }
}

/// Column widths (characters) of generated columns.
pub(crate) fn width_of(canonical: &str) -> f64 {
    match canonical {
        headers::TC_ID | headers::TC_STEP | headers::TC_MANDATORY => 11.0,
        headers::TC_INPUTS | headers::TC_ASSERTIONS => 60.0,
        headers::TC_DESCRIPTION
        | headers::TC_EXPECTED_RESULT
        | headers::TC_ACTUAL_RESULT
        | headers::TC_COMMENT => 45.0,
        headers::TC_PRECONDITIONS | headers::TC_CORRELATION => 36.0,
        headers::TC_OPERATION => 30.0,
        headers::TD_TAGS => 50.0,
        headers::TD_ID
        | headers::TD_NAME
        | headers::TD_TYPE
        | headers::TD_EMPLOYER_REF
        | headers::TD_AGREEMENT_REF => 22.0,
        _ => 16.0,
    }
}

fn header_row(ws: &mut Worksheet, row: u32, cols: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *c, f.header_for(c))?;
        ws.set_column_width(i as u16, width_of(c))?;
    }
    Ok(())
}

fn put(ws: &mut Worksheet, row: u32, col: usize, s: &str, fmt: &Format) -> Result<(), XlsxError> {
    if !s.is_empty() {
        ws.write_string_with_format(row, col as u16, s, fmt)?;
    }
    Ok(())
}

/// The workbook as bytes.
pub fn build_bytes(src: &Source) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();

    // Info.
    let ws = wb.add_worksheet();
    ws.set_name(SheetRole::Info.name())?;
    ws.write_string_with_format(0, 0, &src.title, &f.title)?;
    ws.write_string_with_format(1, 0, headers::INFO_KEY, &f.header_human)?;
    ws.write_string_with_format(1, 1, headers::INFO_VALUE, &f.header_human)?;
    ws.set_column_width(0, 50)?;
    ws.set_column_width(1, 70)?;
    ws.set_freeze_panes(2, 0)?;
    for (i, e) in src.info.iter().enumerate() {
        let r = 2 + i as u32;
        put(ws, r, 0, &e.key, &f.wrap)?;
        put(ws, r, 1, &e.value, &f.text)?;
    }

    // Testdata.
    let ws = wb.add_worksheet();
    ws.set_name(SheetRole::Testdata.name())?;
    ws.write_string_with_format(0, 0, format!("{} – Testdata", src.title), &f.title)?;
    header_row(ws, 1, &headers::TESTDATA_ORDER, &f)?;
    ws.set_freeze_panes(2, 1)?;
    for (i, t) in src.testdata.iter().enumerate() {
        let r = 2 + i as u32;
        let vals = [
            t.r#ref.as_str(),
            &t.kind,
            &t.identifikator,
            &t.navn,
            &t.opplysningspliktig_ref,
            &t.avtalereferanse,
            &t.avtale_fra,
            &t.avtale_til,
            &t.egenskaper.join(", "),
            &t.kilde,
            &t.brukes_i,
            &t.kommentar,
        ];
        for (c, v) in vals.iter().enumerate() {
            // Identifiers and months as text, so Excel keeps leading zeros and does not make dates of them.
            put(
                ws,
                r,
                c,
                v,
                if c == 8 || c == 11 { &f.wrap } else { &f.text },
            )?;
        }
    }

    // Testcaser.
    let ws = wb.add_worksheet();
    ws.set_name(SheetRole::Testcaser.name())?;
    ws.write_string_with_format(0, 0, format!("{} – Testcaser", src.title), &f.title)?;
    header_row(ws, 1, &headers::TESTCASER_ORDER, &f)?;
    ws.set_freeze_panes(2, 1)?;
    let col = |name: &str| {
        headers::TESTCASER_ORDER
            .iter()
            .position(|c| *c == name)
            .unwrap_or(0)
    };
    let mut r = 2u32;
    for case in src.cases.iter().filter(|c| c.bundled) {
        for (i, step) in case.steps.iter().enumerate() {
            put(ws, r, col(headers::TC_ID), &case.id, &f.text)?;
            ws.write_number(r, col(headers::TC_STEP) as u16, (i + 1) as f64)?;
            if i == 0 {
                put(ws, r, col(headers::TC_API), &case.api, &f.wrap)?;
                put(
                    ws,
                    r,
                    col(headers::TC_DESCRIPTION),
                    &case.beskrivelse,
                    &f.wrap,
                )?;
                put(
                    ws,
                    r,
                    col(headers::TC_PRECONDITIONS),
                    &case.forutsetninger,
                    &f.wrap,
                )?;
                put(
                    ws,
                    r,
                    col(headers::TC_TESTDATA_REF),
                    &case.testdata_ref,
                    &f.wrap,
                )?;
                put(
                    ws,
                    r,
                    col(headers::TC_EXPECTED_RESULT),
                    &case.forventet_resultat,
                    &f.wrap,
                )?;
                put(
                    ws,
                    r,
                    col(headers::TC_MANDATORY),
                    if case.obligatorisk { "J" } else { "N" },
                    &f.text,
                )?;
            }
            put(ws, r, col(headers::TC_OPERATION), &step.operasjon, &f.wrap)?;
            put(ws, r, col(headers::TC_INPUTS), &step.inndata, &f.wrap)?;
            put(ws, r, col(headers::TC_EXPECTED_HTTP), &step.http, &f.text)?;
            put(
                ws,
                r,
                col(headers::TC_EXPECTED_CODE),
                &step.feilkode,
                &f.text,
            )?;
            put(
                ws,
                r,
                col(headers::TC_ASSERTIONS),
                &step.nokkelfelt,
                &f.wrap,
            )?;
            r += 1;
        }
    }

    // Veiledning: how to read and write the machine columns.
    let ws = wb.add_worksheet();
    ws.set_name("Veiledning")?;
    ws.set_column_width(0, 120)?;
    ws.write_string_with_format(0, 0, "Veiledning – maskinkolonnene i Testcaser", &f.title)?;
    for (i, line) in GUIDE.iter().enumerate() {
        put(ws, 2 + i as u32, 0, line, &f.wrap)?;
    }

    wb.save_to_buffer()
}

const GUIDE: &[&str] = &[
    "Rader med samme Testcase-ID og ulike Steg-nummer er stegene i én testcase. Menneskekolonnene leses fra første rad.",
    "Operasjon: token | POST avtaleforhold | DELETE avtaleforhold | GET avtaleforhold/gyldighet | GET inntektsmottakere | GET inntekter | finnArbeidsforholdoversikterPrOpplysningspliktig | finnArbeidsforholdPrArbeidstaker",
    "Inndata: nøkkel=verdi, skilt med ; eller linjeskift. token: scope. POST avtaleforhold: avtalereferanse, fraOgMed, tilOgMed (valgfri), opplysningspliktig, eller body=<JSON>. DELETE avtaleforhold: avtalereferanse, opplysningspliktig (eller body=).",
    "GET avtaleforhold/gyldighet: opplysningspliktig, pensjonsinnretning, fraOgMed, tilOgMed. GET inntektsmottakere: opplysningspliktig, fraOgMed, tilOgMed. GET inntekter: personidentifikator, opplysningspliktig, fraOgMed, tilOgMed.",
    "NAV-spørringene: opplysningspliktigId, arbeidstakerId (kun finnArbeidsforholdPrArbeidstaker), ansattFraMaaned, ansattTilMaaned (valgfri).",
    "Felles valgfrie nøkler: rettighetspakke (standard otp); auth=none (uten Authorization), auth=expired (utløpt token), auth=scope:<scope> (token for et annet scope).",
    "Plassholdere: {TD-P-01.Identifikator}, {TD-ORG-01.Avtalereferanse}, {M} (siste komplette måned), {M-1}, {S} (første måned i avtaleforholdet), {S-3}, {TD-ORG-02.S-16}.",
    "Forventet HTTP-status: 200, 2xx, 401|403. Forventet feilkode: AA-101, eller par status:kode som 404:IM-008 | 4xx:IM-010; en avsluttende ? markerer en antatt kode (403:IM-005?).",
    "Forventede nøkkelfelt: én påstand per linje: $.sti == verdi, != , > , >= , < , <= , exists, not exists, count($.sti) >= n, $.sti contains verdi, $.sti matches /re/; prefiks any eller all for lister.",
    "Resultatkolonnene (Faktisk …, Korrelasjons-ID, Status, Kommentar, Dato, Testet av) fylles av dsop-harness.",
];
