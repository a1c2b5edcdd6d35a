//! Reading a workbook: locate the sheets and header rows, turn rows into `InfoEntry`, `TestData` and `Case`,
//! and collect every problem (with file, `Sheet!A1`, message and hint) instead of stopping at the first.

use super::headers::{self, HeaderMap, SheetRole};
use super::load::{self, Cell, LoadedSheet};
use super::{CaseStep, CellRef, InfoEntry, Problem, Severity, TestData, Workbook, WorkbookError};
use crate::model::Api;
use crate::months::YearMonth;
use calamine::Data;
use std::borrow::Cow;
use std::path::Path;

/// Options for [`read_with`].
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Require the machine columns the harness needs to run (`Operasjon`, `Inndata`, and one of
    /// `Forventet HTTP-status` / `Forventet feilkode`). Off for listing/inspecting a Bits file as it is.
    pub require_machine_columns: bool,
    /// Require a Testdata sheet. Off when reading a Bits file through a mapping (the bundled test data is
    /// used when the file has none).
    pub require_testdata: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            require_machine_columns: true,
            require_testdata: true,
        }
    }
}

/// Collects problems for one file.
pub(crate) struct Problems {
    pub file: String,
    pub list: Vec<Problem>,
}

impl Problems {
    pub fn new(file: &str) -> Problems {
        Problems {
            file: file.to_string(),
            list: Vec::new(),
        }
    }

    pub fn add(
        &mut self,
        severity: Severity,
        location: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.list.push(Problem {
            severity,
            file: self.file.clone(),
            location: location.to_string(),
            message: message.into(),
            hint: hint.into(),
        });
    }

    pub fn error(&mut self, location: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.add(Severity::Error, location, message, hint);
    }

    pub fn warn(&mut self, location: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.add(Severity::Warning, location, message, hint);
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Where each role's sheet is and its header row.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    pub info: Option<(usize, Option<HeaderMap>)>,
    pub testdata: Option<(usize, HeaderMap)>,
    pub testcaser: Option<(usize, HeaderMap)>,
}

/// Look for a role's header row in the first rows of a sheet.
pub(crate) fn find_header(sheet: &LoadedSheet, role: SheetRole) -> Option<HeaderMap> {
    let (r0, r1) = sheet.row_bounds()?;
    let last = r1.min(r0.saturating_add(headers::HEADER_SCAN_ROWS));
    (r0..=last).find_map(|r| {
        let cells = sheet.row_texts(r);
        let map = headers::map_header_row(role, r, &cells);
        headers::is_header_row(role, &map).then_some(map)
    })
}

/// Find the sheets by name (or alias), else by content (a header row with the role's key column).
pub(crate) fn locate(sheets: &[LoadedSheet], p: &mut Problems) -> Layout {
    let mut layout = Layout::default();
    let mut taken: Vec<usize> = Vec::new();
    let by_name = |role: SheetRole, taken: &[usize]| -> Vec<usize> {
        sheets
            .iter()
            .enumerate()
            .filter(|(i, s)| !taken.contains(i) && role.matches_sheet_name(&s.name))
            .map(|(i, _)| i)
            .collect()
    };
    for role in [SheetRole::Testcaser, SheetRole::Testdata, SheetRole::Info] {
        let named = by_name(role, &taken);
        if named.len() > 1 {
            let names: Vec<&str> = named.iter().map(|i| sheets[*i].name.as_str()).collect();
            p.warn(
                &sheets[named[1]].name,
                format!(
                    "several sheets can be the {} sheet ({}); using {:?}",
                    role.name(),
                    names.join(", "),
                    names[0]
                ),
                "rename or delete the extra sheet",
            );
        }
        let mut chosen = named.first().copied();
        if chosen.is_none() && role != SheetRole::Info {
            chosen = (0..sheets.len())
                .find(|i| !taken.contains(i) && find_header(&sheets[*i], role).is_some());
        }
        let Some(i) = chosen else { continue };
        taken.push(i);
        match role {
            SheetRole::Info => layout.info = Some((i, find_header(&sheets[i], role))),
            SheetRole::Testdata | SheetRole::Testcaser => {
                let Some(h) = find_header(&sheets[i], role) else {
                    let key = role.key_column();
                    p.error(
                        &sheets[i].name,
                        format!(
                            "sheet {:?} has no header row with a {key} column in its first {} rows",
                            sheets[i].name,
                            headers::HEADER_SCAN_ROWS
                        ),
                        header_hint(role),
                    );
                    continue;
                };
                if role == SheetRole::Testdata {
                    layout.testdata = Some((i, h));
                } else {
                    layout.testcaser = Some((i, h));
                }
            }
        }
    }
    layout
}

fn header_hint(role: SheetRole) -> String {
    match role {
        SheetRole::Testcaser => format!(
            "add a header row with at least the columns {}, {}, {}, {} and {} (see the bundled workbook)",
            headers::TC_ID,
            headers::TC_OPERATION,
            headers::TC_INPUTS,
            headers::TC_EXPECTED_HTTP,
            headers::TC_EXPECTED_CODE
        ),
        SheetRole::Testdata => format!(
            "add a header row with at least the columns {}, {} and {}",
            headers::TD_REF,
            headers::TD_TYPE,
            headers::TD_ID
        ),
        SheetRole::Info => "add a sheet Info with the columns Nøkkel and Verdi".to_string(),
    }
}

fn report_duplicate_headers(sheet: &str, h: &HeaderMap, p: &mut Problems) {
    for (text, canon, col, first) in &h.duplicates {
        p.error(
            &CellRef::new(sheet, h.row, *col).a1(),
            format!(
                "header {text:?} means the same column as {} ({canon}); two columns cannot both be {canon}",
                CellRef::new(sheet, h.row, *first).a1()
            ),
            "rename or delete one of the two columns",
        );
    }
}

/// Read and validate a workbook with options.
pub fn read_with(path: &Path, opts: &ReadOptions) -> Result<Workbook, WorkbookError> {
    let file = path.display().to_string();
    let loaded = load::load(path).map_err(|problems| WorkbookError {
        file: file.clone(),
        problems,
    })?;
    read_loaded(path, loaded, opts)
}

/// Read and validate a workbook already loaded (from a file or from memory); `path` names it.
pub(crate) fn read_loaded(
    path: &Path,
    loaded: load::Loaded,
    opts: &ReadOptions,
) -> Result<Workbook, WorkbookError> {
    let file = path.display().to_string();
    let mut sheets = loaded.sheets;
    let mut p = Problems::new(&file);
    let mut wb = Workbook {
        path: path.to_path_buf(),
        sha256: loaded.sha256,
        ..Workbook::default()
    };
    let layout = locate(&sheets, &mut p);
    // Cells outside the tables (right of the header row, or far below the last row) are not read.
    let tables = [
        layout.info.as_ref().map(|(i, h)| (*i, h.as_ref())),
        layout.testdata.as_ref().map(|(i, h)| (*i, Some(h))),
        layout.testcaser.as_ref().map(|(i, h)| (*i, Some(h))),
    ];
    for (i, h) in tables.into_iter().flatten() {
        let sheet = &mut sheets[i];
        let (header_row, last_col) = match h {
            Some(h) => (h.row, h.last_col()),
            None => (sheet.row_bounds().map(|b| b.0).unwrap_or(0), None),
        };
        let dropped = sheet.restrict_to_table(header_row, last_col, load::TABLE_GAP_ROWS);
        warn_outside(&sheet.name, &dropped, last_col, &mut p);
    }
    for s in &mut sheets {
        s.expand_merged();
    }

    match &layout.info {
        Some((i, h)) => wb.info = read_info(&sheets[*i], h.as_ref()),
        None => p.warn(
            "",
            "no Info sheet (named Info, Informasjon or Forside)",
            "add a sheet Info with key/value rows (Pensjonsinnretning, Organisasjonsnummer, Miljø, …)",
        ),
    }
    match &layout.testdata {
        Some((i, h)) => {
            report_duplicate_headers(&sheets[*i].name, h, &mut p);
            wb.testdata = read_testdata(&sheets[*i], h, &mut p);
            for (text, col) in &h.unknown {
                wb.unknown_columns.push((sheets[*i].name.clone(), text.clone(), *col));
            }
        }
        None if !opts.require_testdata => {}
        None => p.error(
            "",
            "no Testdata sheet (named Testdata, Testdata og testpersoner or Test data, or with a Ref and Identifikator header)",
            header_hint(SheetRole::Testdata),
        ),
    }
    match &layout.testcaser {
        Some((i, h)) => {
            report_duplicate_headers(&sheets[*i].name, h, &mut p);
            check_columns(&sheets[*i].name, h, opts, &mut p);
            for (text, col) in &h.unknown {
                wb.unknown_columns.push((sheets[*i].name.clone(), text.clone(), *col));
            }
            let has_testdata = layout.testdata.is_some();
            wb.case_header = Some((sheets[*i].name.clone(), h.clone()));
            read_cases(&sheets[*i], h, &mut wb, has_testdata, &mut p);
        }
        None => p.error(
            "",
            "no Testcaser sheet (named Testcaser, Testcases, Test cases or Testtilfeller, or with a Testcase-ID header)",
            header_hint(SheetRole::Testcaser),
        ),
    }
    if wb.cases.is_empty() && layout.testcaser.is_some() && !p.has_errors() {
        let name = &sheets[layout.testcaser.as_ref().map(|x| x.0).unwrap_or(0)].name;
        p.error(
            name,
            "the Testcaser sheet has no test cases below its header row",
            "add one row per case (or per step)",
        );
    }
    if p.has_errors() {
        // Errors first, then warnings, each in the order found.
        let mut problems = p.list;
        problems.sort_by_key(|x| x.severity != Severity::Error);
        return Err(WorkbookError { file, problems });
    }
    wb.warnings = p.list;
    Ok(wb)
}

/// One warning per sheet for the cells outside its table, naming the first few.
fn warn_outside(sheet: &str, dropped: &[(u32, u32)], last_col: Option<u32>, p: &mut Problems) {
    const NAMED: usize = 5;
    let Some(&(r, c)) = dropped.first() else {
        return;
    };
    let mut names: Vec<String> = dropped
        .iter()
        .take(NAMED)
        .map(|(r, c)| CellRef::new(sheet, *r, *c).a1())
        .collect();
    if dropped.len() > NAMED {
        names.push(format!("and {} more", dropped.len() - NAMED));
    }
    let beyond = match last_col {
        Some(lc) => format!(
            "right of the header row's last column {} or ",
            super::col_letters(lc)
        ),
        None => String::new(),
    };
    let what = if dropped.len() == 1 {
        "a non-empty cell".to_string()
    } else {
        format!("{} non-empty cells", dropped.len())
    };
    p.warn(
        &CellRef::new(sheet, r, c).a1(),
        format!(
            "{what} outside the table ({beyond}at least {} empty rows below its last row) ignored: {}",
            load::TABLE_GAP_ROWS,
            names.join(", ")
        ),
        "delete the stray value (often left by a paste), or move it into the table",
    );
}

fn check_columns(sheet: &str, h: &HeaderMap, opts: &ReadOptions, p: &mut Problems) {
    if !opts.require_machine_columns {
        return;
    }
    let mut missing: Vec<&str> = Vec::new();
    for c in [headers::TC_OPERATION, headers::TC_INPUTS] {
        if !h.has(c) {
            missing.push(c);
        }
    }
    if !h.has(headers::TC_EXPECTED_HTTP) && !h.has(headers::TC_EXPECTED_CODE) {
        missing.push(headers::TC_EXPECTED_HTTP);
        missing.push(headers::TC_EXPECTED_CODE);
    }
    if missing.is_empty() {
        return;
    }
    let list = missing
        .iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let at = h
        .last_col()
        .map(|c| CellRef::new(sheet, h.row, c + 1).a1())
        .unwrap_or_else(|| sheet.to_string());
    p.error(
        &at,
        format!("the Testcaser sheet lacks the column(s) the harness needs to run the cases: {list}"),
        format!(
            "add these columns to the header row (row {}) and fill them per case: Operasjon (e.g. `GET inntekter`), \
             Inndata (key=value pairs), and Forventet HTTP-status (e.g. `200`) and/or Forventet feilkode (e.g. `AA-101`); \
             see the bundled workbook for examples. Or tie the file's case ids to the bundled cases with a mapping \
             file: --mapping mapping.toml (see docs/workbook.md)",
            h.row + 1
        ),
    );
}

fn read_info(sheet: &LoadedSheet, h: Option<&HeaderMap>) -> Vec<InfoEntry> {
    let Some((r0, r1)) = sheet.row_bounds() else {
        return Vec::new();
    };
    let (start, kc, vc) = match h {
        Some(h) => {
            let kc = h.col(headers::INFO_KEY).unwrap_or(0);
            (h.row + 1, kc, h.col(headers::INFO_VALUE).unwrap_or(kc + 1))
        }
        None => (
            r0,
            sheet.col_bounds().map(|c| c.0).unwrap_or(0),
            sheet.col_bounds().map(|c| c.0).unwrap_or(0) + 1,
        ),
    };
    let mut out = Vec::new();
    for r in start..=r1 {
        let key = sheet.text(r, kc);
        if key.is_empty() || is_banner(&key) {
            continue;
        }
        let value = sheet.text(r, vc);
        if h.is_none() && value.is_empty() && out.is_empty() {
            // A title row above key/value rows without a header.
            continue;
        }
        out.push(InfoEntry {
            key,
            value,
            loc: CellRef::new(&sheet.name, r, kc),
        });
    }
    out
}

/// The red banner above a simulated run's sheets (row 1 of the added sheets; every sheet in older copies).
pub(crate) fn is_banner(text: &str) -> bool {
    // Cheap pre-check: both banners start with an S.
    if !text.trim_start().starts_with(['S', 's']) {
        return false;
    }
    let n = super::normalise(text);
    n.starts_with("simulertkjoring") || n.starts_with("simulatedrun")
}

/// What kind of identifier a Testdata `Type` calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    Org,
    Person,
}

pub(crate) fn id_kind_of_type(kind: &str) -> Option<IdKind> {
    match super::normalise(kind).as_str() {
        "pensjonsinnretning"
        | "opplysningspliktig"
        | "tredjepartsleverandor"
        | "leverandor"
        | "virksomhet"
        | "organisasjon"
        | "arbeidsgiver"
        | "underenhet"
        | "employer"
        | "vendor"
        | "institution" => Some(IdKind::Org),
        "inntektsmottaker" | "person" | "arbeidstaker" | "testperson" | "employee" => {
            Some(IdKind::Person)
        }
        _ => None,
    }
}

/// An identifier cell as text: numbers restored to text with the leading zeros Excel dropped.
fn id_text(
    sheet: &LoadedSheet,
    row: u32,
    col: u32,
    kind: Option<IdKind>,
    p: &mut Problems,
) -> String {
    let loc = CellRef::new(&sheet.name, row, col).a1();
    match sheet.get(row, col) {
        Some(Cell::Value(Data::Int(_) | Data::Float(_))) => {
            let raw = sheet.text(row, col);
            let width = match (kind, raw.len()) {
                (Some(IdKind::Person), _) | (None, 10) => 11,
                (Some(IdKind::Org), _) => 9,
                _ => raw.len(),
            };
            let fixed = if raw.len() < width && raw.bytes().all(|b| b.is_ascii_digit()) {
                format!("{raw:0>width$}")
            } else {
                raw.clone()
            };
            p.warn(
                &loc,
                if fixed != raw {
                    format!("identifier stored as a number ({raw}); read as the text {fixed} (leading zero restored)")
                } else {
                    format!("identifier stored as a number; read as the text {fixed}")
                },
                "format the Identifikator column as Text so Excel keeps leading zeros",
            );
            fixed
        }
        _ => {
            let t = sheet.text(row, col);
            let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            if compact != t {
                p.warn(
                    &loc,
                    format!("identifier {t:?} contains spaces; read as {compact}"),
                    "write identifiers without spaces",
                );
            }
            compact
        }
    }
}

/// A `YYYY-MM` cell, also accepting an Excel date (first of the month).
fn month_cell(
    sheet: &LoadedSheet,
    row: u32,
    col: Option<u32>,
    what: &str,
    p: &mut Problems,
) -> Option<YearMonth> {
    let col = col?;
    let loc = CellRef::new(&sheet.name, row, col).a1();
    let text = sheet.text(row, col);
    if text.is_empty() {
        return None;
    }
    let candidate = match sheet.get(row, col) {
        Some(Cell::Value(Data::DateTime(_) | Data::DateTimeIso(_))) if text.len() >= 7 => {
            p.warn(
                &loc,
                format!(
                    "{what} is a date ({text}); read as the month {}",
                    &text[..7]
                ),
                "write months as text YYYY-MM",
            );
            text[..7].to_string()
        }
        _ => text.clone(),
    };
    match candidate.parse::<YearMonth>() {
        Ok(m) => Some(m),
        Err(e) => {
            p.error(
                &loc,
                format!("{what}: {e}"),
                "write the month as YYYY-MM, e.g. 2021-01",
            );
            None
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn read_testdata(sheet: &LoadedSheet, h: &HeaderMap, p: &mut Problems) -> Vec<TestData> {
    let Some((_, r1)) = sheet.row_bounds() else {
        return Vec::new();
    };
    let mut out: Vec<TestData> = Vec::new();
    // Ref (lower case) -> index in `out`: lookups stay linear in the number of rows.
    let mut by_ref: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let txt = |r: u32, c: &str| h.col(c).map(|col| sheet.text(r, col)).unwrap_or_default();
    for r in h.row + 1..=r1 {
        if sheet.row_is_empty(r) {
            continue;
        }
        let ref_col = h.col(headers::TD_REF).unwrap_or(0);
        let rf = sheet.text(r, ref_col);
        let loc = CellRef::new(&sheet.name, r, ref_col);
        if rf.is_empty() {
            p.warn(
                &loc.a1(),
                "Testdata row without a Ref; ignored",
                "give the row a Ref such as TD-P-08, or delete it",
            );
            continue;
        }
        if let Some(prev) = by_ref
            .get(&rf.to_ascii_lowercase())
            .map(|i: &usize| &out[*i])
        {
            p.error(
                &loc.a1(),
                format!("duplicate Testdata Ref {rf} (also at {})", prev.loc.a1()),
                "give each Testdata row its own Ref",
            );
            continue;
        }
        let kind = txt(r, headers::TD_TYPE);
        let ik = id_kind_of_type(&kind);
        if !kind.is_empty() && ik.is_none() {
            if let Some(c) = h.col(headers::TD_TYPE) {
                p.warn(
                    &CellRef::new(&sheet.name, r, c).a1(),
                    format!("unknown Type {kind:?}"),
                    "use Pensjonsinnretning, Tredjepartsleverandør, Opplysningspliktig or Inntektsmottaker",
                );
            }
        }
        let mut td = TestData {
            r#ref: rf.clone(),
            kind: kind.clone(),
            loc: loc.clone(),
            ..TestData::default()
        };
        for (canon, col) in &h.columns {
            td.cells
                .push((canon.to_string(), CellRef::new(&sheet.name, r, *col)));
        }
        if let Some(c) = h.col(headers::TD_ID) {
            td.identifikator = id_text(sheet, r, c, ik, p);
            validate_id(
                &td.identifikator,
                ik,
                &CellRef::new(&sheet.name, r, c).a1(),
                &rf,
                p,
            );
        } else {
            p.error(
                &loc.a1(),
                format!("{rf}: no Identifikator column"),
                header_hint(SheetRole::Testdata),
            );
        }
        td.navn = txt(r, headers::TD_NAME);
        td.opplysningspliktig_ref =
            Some(txt(r, headers::TD_EMPLOYER_REF)).filter(|s| !s.is_empty());
        td.avtalereferanse = Some(txt(r, headers::TD_AGREEMENT_REF)).filter(|s| !s.is_empty());
        td.avtale_fra = month_cell(sheet, r, h.col(headers::TD_FROM), "Avtale fraOgMed", p);
        td.avtale_til = month_cell(sheet, r, h.col(headers::TD_TO), "Avtale tilOgMed", p);
        if let (Some(f), Some(t)) = (td.avtale_fra, td.avtale_til) {
            if t < f {
                let c = h.col(headers::TD_TO).unwrap_or(ref_col);
                p.error(
                    &CellRef::new(&sheet.name, r, c).a1(),
                    format!("{rf}: Avtale tilOgMed {t} is before Avtale fraOgMed {f}"),
                    "swap the months or correct the end month",
                );
            }
        }
        if let Some(f) = td.avtale_fra {
            if f < (YearMonth {
                year: 2021,
                month: 1,
            }) {
                let c = h.col(headers::TD_FROM).unwrap_or(ref_col);
                p.warn(
                    &CellRef::new(&sheet.name, r, c).a1(),
                    format!("{rf}: Avtale fraOgMed {f} is before 2021-01, the earliest month of an avtaleforhold"),
                    "the service counts the agreement from 2021-01 at the earliest",
                );
            }
        }
        td.egenskaper = split_list(&txt(r, headers::TD_TAGS));
        td.kilde = txt(r, headers::TD_SOURCE);
        td.kommentar = txt(r, headers::TD_COMMENT);
        by_ref.insert(td.r#ref.to_ascii_lowercase(), out.len());
        out.push(td);
    }
    // Opplysningspliktig-ref must name an organisation row.
    for td in &out {
        let Some(er) = &td.opplysningspliktig_ref else {
            continue;
        };
        let loc = td
            .cells
            .iter()
            .find(|(k, _)| k == headers::TD_EMPLOYER_REF)
            .map(|(_, c)| c.a1())
            .unwrap_or_default();
        match by_ref.get(&er.to_ascii_lowercase()).map(|i| &out[*i]) {
            None => p.error(
                &loc,
                format!(
                    "{}: Opplysningspliktig-ref {er} is not a Ref in the Testdata sheet",
                    td.r#ref
                ),
                "write the Ref of the employer's row, e.g. TD-ORG-01",
            ),
            Some(t) if id_kind_of_type(&t.kind) == Some(IdKind::Person) => p.error(
                &loc,
                format!(
                    "{}: Opplysningspliktig-ref {er} is a person, not an employer",
                    td.r#ref
                ),
                "write the Ref of the employer's row, e.g. TD-ORG-01",
            ),
            Some(_) => {}
        }
    }
    out
}

fn validate_id(id: &str, kind: Option<IdKind>, loc: &str, rf: &str, p: &mut Problems) {
    let hint = "check the number against the data set from Skatteetaten: synthetic ids (Tenor month+80, NAV +40/+60) \
                still have valid check digits";
    if id.is_empty() {
        p.error(
            loc,
            format!("{rf}: Identifikator is empty"),
            "write the organisation number (9 digits) or fødselsnummer/d-nummer (11 digits)",
        );
        return;
    }
    let kind = kind.or(match id.len() {
        9 => Some(IdKind::Org),
        11 => Some(IdKind::Person),
        _ => None,
    });
    let res = match kind {
        Some(IdKind::Org) => crate::ids::validate_orgnr(id).map(|_| ()),
        Some(IdKind::Person) => crate::ids::validate_person_id(id).map(|_| ()),
        None => Err(crate::ids::IdError(format!(
            "{id:?} is neither an organisation number (9 digits) nor a person identifier (11 digits)"
        ))),
    };
    if let Err(e) = res {
        p.error(loc, format!("{rf}: {e}"), hint);
    }
}

/// One data row of the Testcaser sheet before grouping; its id borrowed from the sheet.
struct RawRow<'a> {
    row: u32,
    id: Cow<'a, str>,
    explicit_id: bool,
    step: Option<u32>,
}

/// A case id compared and hashed ignoring ASCII case, without building a lower-case copy.
#[derive(Clone, Copy)]
struct NoCase<'a>(&'a str);

impl PartialEq for NoCase<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for NoCase<'_> {}

impl std::hash::Hash for NoCase<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

/// `Obligatorisk`: J/Ja/Y/Yes/X/true/1 -> true; N/Nei/No/false/0/blank -> false; else None.
pub fn parse_mandatory(s: &str) -> Option<bool> {
    const YES: [&str; 8] = ["j", "ja", "y", "yes", "x", "true", "1", "sann"];
    const NO: [&str; 8] = ["", "n", "nei", "no", "false", "0", "usann", "-"];
    let s = s.trim();
    // Every word is ASCII, so comparing ignoring ASCII case is the same as lower-casing first.
    if YES.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(true)
    } else if NO.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(false)
    } else {
        None
    }
}

/// The API an operation belongs to (the vocabulary of the Operasjon column).
pub fn api_of_operation(op: &str) -> Option<Api> {
    let o = op.trim().to_lowercase();
    if o == "token" || o.starts_with("token ") {
        Some(Api::Maskinporten)
    } else if o.contains("avtaleforhold") {
        Some(Api::Tjenestepensjonsavtale)
    } else if o.contains("inntektsmottakere") {
        Some(Api::Inntektsmottakere)
    } else if o.contains("inntekter") || o.contains("inntekt") {
        Some(Api::Inntekt)
    } else if o.starts_with("finnarbeidsforhold") {
        Some(Api::AaregOtp)
    } else {
        None
    }
}

/// The text of a cell in an optional column, borrowed when it needs no change.
fn cell_text_ref(sheet: &LoadedSheet, r: u32, c: Option<u32>) -> Cow<'_, str> {
    c.map(|c| sheet.text_ref(r, c)).unwrap_or_default()
}

fn read_cases(
    sheet: &LoadedSheet,
    h: &HeaderMap,
    wb: &mut Workbook,
    has_testdata: bool,
    p: &mut Problems,
) {
    let Some(id_col) = h.col(headers::TC_ID) else {
        return;
    };
    let step_col = h.col(headers::TC_STEP);
    // The columns, looked up once.
    let c_api = h.col(headers::TC_API);
    let c_description = h.col(headers::TC_DESCRIPTION);
    let c_preconditions = h.col(headers::TC_PRECONDITIONS);
    let c_expected_result = h.col(headers::TC_EXPECTED_RESULT);
    let c_operation = h.col(headers::TC_OPERATION);
    let c_inputs = h.col(headers::TC_INPUTS);
    let c_expected_http = h.col(headers::TC_EXPECTED_HTTP);
    let c_expected_code = h.col(headers::TC_EXPECTED_CODE);
    let c_assertions = h.col(headers::TC_ASSERTIONS);
    let c_mandatory = h.col(headers::TC_MANDATORY);
    let c_testdata_ref = h.col(headers::TC_TESTDATA_REF);
    // Borrowed text for checks, owned text for the fields kept.
    let text_ref = |r: u32, c: Option<u32>| cell_text_ref(sheet, r, c);
    let txt = |r: u32, c: Option<u32>| -> String { cell_text_ref(sheet, r, c).into_owned() };
    // The cells of the machine columns (and id/API/Obligatorisk/Testdata-ref) of a step, for error
    // messages; the same columns for every step.
    let step_cells: Vec<(&'static str, u32)> = h
        .columns
        .iter()
        .filter(|(c, _)| {
            headers::STEP_COLUMNS.contains(c)
                || [
                    headers::TC_ID,
                    headers::TC_API,
                    headers::TC_MANDATORY,
                    headers::TC_TESTDATA_REF,
                ]
                .contains(c)
        })
        .copied()
        .collect();
    let td_refs: std::collections::HashSet<NoCase<'_>> =
        wb.testdata.iter().map(|t| NoCase(&t.r#ref)).collect();
    let mut rows: Vec<RawRow<'_>> = Vec::new();
    for r in sheet.row_indices().filter(|r| *r > h.row) {
        if sheet.row_is_empty(r) {
            continue;
        }
        let mut id = sheet.text_ref(r, id_col);
        let explicit_id = !id.is_empty();
        if is_banner(&id) {
            continue;
        }
        let step = match step_col.map(|c| (c, sheet.text_ref(r, c))) {
            Some((c, s)) if !s.is_empty() => match s.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    p.error(
                        &CellRef::new(&sheet.name, r, c).a1(),
                        format!("Steg {s:?} is not a step number"),
                        "write 1, 2, 3 … (or leave it blank for a one-step case)",
                    );
                    None
                }
            },
            _ => None,
        };
        if !explicit_id {
            let has_step_content = [c_operation, c_inputs, step_col]
                .iter()
                .any(|c| !text_ref(r, *c).is_empty());
            match rows.last() {
                Some(prev) if has_step_content => id = prev.id.clone(),
                _ => {
                    p.warn(
                        &CellRef::new(&sheet.name, r, id_col).a1(),
                        "row without a Testcase-ID; ignored",
                        "give the row a Testcase-ID (rows sharing an ID with a Steg number are the steps of one case)",
                    );
                    continue;
                }
            }
        }
        rows.push(RawRow {
            row: r,
            id,
            explicit_id,
            step,
        });
    }

    // Group rows by id (case-insensitive), in order of first appearance; linear in the number of rows and
    // without an allocation per case: each row's group, then the rows ordered by group (a counting sort).
    let mut index: std::collections::HashMap<NoCase<'_>, usize> =
        std::collections::HashMap::with_capacity(rows.len());
    let mut sizes: Vec<usize> = Vec::new();
    let mut group_of: Vec<usize> = Vec::with_capacity(rows.len());
    for r in &rows {
        let g = *index.entry(NoCase(&r.id)).or_insert_with(|| {
            sizes.push(0);
            sizes.len() - 1
        });
        sizes[g] += 1;
        group_of.push(g);
    }
    drop(index);
    let mut starts: Vec<usize> = Vec::with_capacity(sizes.len() + 1);
    let mut total = 0;
    for s in &sizes {
        starts.push(total);
        total += s;
    }
    starts.push(total);
    let mut members: Vec<usize> = vec![0; rows.len()];
    let mut fill: Vec<usize> = starts.clone();
    for (i, g) in group_of.iter().enumerate() {
        members[fill[*g]] = i;
        fill[*g] += 1;
    }
    drop((group_of, fill));

    // One cache of parsed API cells (few distinct values).
    let mut apis: Vec<(String, Option<Api>)> = Vec::new();
    let mut group: Vec<&RawRow<'_>> = Vec::new();
    let mut numbered: Vec<(u32, &RawRow<'_>)> = Vec::new();
    wb.cases.reserve(sizes.len());
    for g in 0..sizes.len() {
        group.clear();
        group.extend(members[starts[g]..starts[g + 1]].iter().map(|i| &rows[*i]));
        let Some(first) = group.first().copied() else {
            continue;
        };
        let id: &str = &first.id;
        let mut explicit = group.iter().filter(|r| r.explicit_id);
        let several_explicit = explicit.clone().nth(1).is_some();
        if several_explicit && explicit.clone().any(|r| r.step.is_none()) {
            explicit.next();
            for dup in explicit {
                p.error(
                    &CellRef::new(&sheet.name, dup.row, id_col).a1(),
                    format!(
                        "duplicate Testcase-ID {} (also at {})",
                        dup.id,
                        CellRef::new(&sheet.name, first.row, id_col).a1()
                    ),
                    "give each case its own ID, or number the rows of a multi-step case in the Steg column (1, 2, 3 …)",
                );
            }
            // Go on with the first row alone, so that its other problems are reported too.
            group.truncate(1);
        }
        // Assign step numbers: explicit Steg, else the next number after the previous step.
        numbered.clear();
        let mut last = 0;
        for r in &group {
            let n = r.step.unwrap_or(last + 1);
            last = n.max(last);
            numbered.push((n, *r));
        }
        let mut dup_step = false;
        for (i, (n, r)) in numbered.iter().enumerate() {
            if let Some((_, other)) = numbered[..i].iter().find(|(m, _)| m == n) {
                let c = step_col.unwrap_or(id_col);
                p.error(
                    &CellRef::new(&sheet.name, r.row, c).a1(),
                    format!(
                        "{id}: step {n} appears twice (also at {})",
                        CellRef::new(&sheet.name, other.row, c).a1()
                    ),
                    "number the steps of a case 1, 2, 3 … without repeats",
                );
                dup_step = true;
            }
        }
        if dup_step {
            continue;
        }
        numbered.sort_by_key(|(n, _)| *n);

        let r = first.row;
        let mut case = super::Case {
            id: id.to_string(),
            api_text: txt(r, c_api),
            beskrivelse: txt(r, c_description),
            forutsetninger: txt(r, c_preconditions),
            forventet_resultat: txt(r, c_expected_result),
            sheet: sheet.name.clone(),
            row: r,
            steps: Vec::with_capacity(numbered.len()),
            ..super::Case::default()
        };
        for (n, row) in &numbered {
            let rr = row.row;
            case.steps.push(CaseStep {
                step: *n,
                operation: txt(rr, c_operation),
                inputs: txt(rr, c_inputs),
                expected_http: txt(rr, c_expected_http),
                expected_code: txt(rr, c_expected_code),
                assertions: txt(rr, c_assertions),
                sheet: sheet.name.clone(),
                row: rr,
                cells: step_cells.clone(),
            });
        }
        // Obligatorisk.
        if let Some(c) = c_mandatory {
            let v = sheet.text_ref(r, c);
            case.mandatory = match parse_mandatory(&v) {
                Some(b) => b,
                None => {
                    p.warn(
                        &CellRef::new(&sheet.name, r, c).a1(),
                        format!("{id}: Obligatorisk {v:?} is not J or N; read as N"),
                        "write J (mandatory) or N",
                    );
                    false
                }
            };
        }
        // API: parsed, or inferred from the operations.
        if !case.api_text.is_empty() {
            case.api = match apis.iter().find(|(t, _)| *t == case.api_text) {
                Some((_, a)) => *a,
                None => {
                    let a = Api::parse(&case.api_text);
                    apis.push((case.api_text.clone(), a));
                    a
                }
            };
            if case.api.is_none() {
                p.error(
                    &CellRef::new(&sheet.name, r, c_api.unwrap_or(id_col)).a1(),
                    format!("{id}: unknown API {:?}", case.api_text),
                    "write one of Maskinporten, Tjenestepensjonsavtale, Inntektsmottakere, Inntekt, Aa-reg OTP, Tverrgående",
                );
            }
        } else {
            let apis: Vec<Api> = case
                .steps
                .iter()
                .filter_map(|s| api_of_operation(&s.operation))
                .collect();
            case.api = match apis.first() {
                Some(a) if apis.iter().all(|b| b == a) => Some(*a),
                Some(_) => Some(Api::Tverrgaaende),
                None => None,
            };
            if case.api.is_none() && c_api.is_some() {
                p.warn(
                    &CellRef::new(&sheet.name, r, c_api.unwrap_or(id_col)).a1(),
                    format!("{id}: the API cell is empty"),
                    "write the API (Maskinporten, Tjenestepensjonsavtale, Inntektsmottakere, Inntekt, Aa-reg OTP, Tverrgående)",
                );
            }
        }
        // Testdata-ref.
        if let Some(c) = c_testdata_ref {
            case.testdata_refs = split_list(&sheet.text_ref(r, c));
            if has_testdata {
                for tr in &case.testdata_refs {
                    if !td_refs.contains(&NoCase(tr)) {
                        p.error(
                            &CellRef::new(&sheet.name, r, c).a1(),
                            format!("{id}: Testdata-ref {tr} is not a Ref in the Testdata sheet"),
                            "use a Ref from the Testdata sheet (e.g. TD-P-01), separated by commas",
                        );
                    }
                }
            }
        }
        // Unknown columns of the first row, for copying through.
        for (header, col) in &h.unknown {
            let v = sheet.text_ref(r, *col);
            if !v.is_empty() {
                wb.case_extras
                    .push((id.to_string(), header.clone(), v.into_owned()));
            }
        }
        wb.cases.push(case);
    }
}
