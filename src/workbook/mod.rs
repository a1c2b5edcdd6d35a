//! The integration-test workbook: read (calamine) and validate. The filled-in copy is a reporter:
//! `report::xlsx::write_filled`.
//!
//! Layout (`dsop-ajourhold-service.md` §2.4): sheets `Info`, `Testdata`, `Testcaser`, found by name or by
//! header alias. Every problem names file, sheet and cell and says what to write instead.
//!
//! OWNED BY THE WORKBOOK WORK: the types below are the contract with `run` (planner) and `report`.

use crate::model::Api;
use crate::months::YearMonth;
use std::path::{Path, PathBuf};

pub mod generate;
pub mod headers;
pub mod load;
pub mod mapping;
pub mod package;
mod reader;
pub mod source;

pub use generate::build_from_source;
pub use mapping::{read_mapped, read_maybe_mapped};
pub use reader::{api_of_operation, parse_mandatory, read_with, ReadOptions};

/// A cell location, e.g. `Testcaser!F12`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellRef {
    pub sheet: String,
    /// 0-based row and column, as calamine counts.
    pub row: u32,
    pub col: u32,
}

impl CellRef {
    pub fn new(sheet: &str, row: u32, col: u32) -> CellRef {
        CellRef {
            sheet: sheet.to_string(),
            row,
            col,
        }
    }

    /// Excel A1 notation with the sheet, e.g. `Testcaser!F12`.
    pub fn a1(&self) -> String {
        format!("{}!{}{}", self.sheet, col_letters(self.col), self.row + 1)
    }
}

impl std::fmt::Display for CellRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.a1())
    }
}

/// Column index (0-based) to letters: 0 -> A, 25 -> Z, 26 -> AA.
pub fn col_letters(mut col: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// How bad a problem is: errors stop a run, warnings are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a workbook: where, what, and what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    /// `Sheet!A1`, or just the sheet name, or empty for the whole file.
    pub location: String,
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.location.is_empty() {
            write!(f, "{sev}: {}: {}", self.file, self.message)?;
        } else {
            write!(
                f,
                "{sev}: {} {}: {}",
                self.file, self.location, self.message
            )?;
        }
        if !self.hint.is_empty() {
            write!(f, " ({})", self.hint)?;
        }
        Ok(())
    }
}

/// A key/value row of the Info sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoEntry {
    pub key: String,
    pub value: String,
    pub loc: CellRef,
}

/// A row of the Testdata sheet (`TD-ORG-01`, `TD-P-01`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestData {
    /// `Ref`, e.g. `TD-ORG-01`.
    pub r#ref: String,
    /// `Type`: `Pensjonsinnretning` / `Opplysningspliktig` / `Inntektsmottaker`.
    pub kind: String,
    /// `Identifikator`: orgnr (9 digits) or fnr/dnr (11 digits), as text.
    pub identifikator: String,
    pub navn: String,
    /// `Opplysningspliktig-ref`: for persons, the employer they belong to.
    pub opplysningspliktig_ref: Option<String>,
    pub avtalereferanse: Option<String>,
    pub avtale_fra: Option<YearMonth>,
    pub avtale_til: Option<YearMonth>,
    /// `Egenskaper`: tags such as `har_inntekt`, `ingen_inntekt_IM010`, `skjermet_fortrolig`.
    pub egenskaper: Vec<String>,
    pub kilde: String,
    pub kommentar: String,
    /// Where the row is (its `Ref` cell); `cells` maps canonical column name -> cell, for error messages.
    pub loc: CellRef,
    pub cells: Vec<(String, CellRef)>,
}

impl TestData {
    /// The value of a field by its canonical column name (`Identifikator`, `Avtalereferanse`, …), for placeholders.
    pub fn field(&self, name: &str) -> Option<String> {
        let n = crate::workbook::normalise(name);
        let v = match n.as_str() {
            "ref" => Some(self.r#ref.clone()),
            "type" => Some(self.kind.clone()),
            "identifikator" => Some(self.identifikator.clone()),
            "navn" => Some(self.navn.clone()),
            "opplysningspliktigref" => self.opplysningspliktig_ref.clone(),
            "avtalereferanse" => self.avtalereferanse.clone(),
            "avtalefraogmed" => self.avtale_fra.map(|m| m.to_string()),
            "avtaletilogmed" => self.avtale_til.map(|m| m.to_string()),
            "kilde" => Some(self.kilde.clone()),
            _ => None,
        };
        v.filter(|s| !s.is_empty())
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.egenskaper.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }
}

/// One step of a case: one row of the Testcaser sheet (rows sharing a Testcase-ID with a `Steg` column).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseStep {
    /// 1-based step number (`Steg`; 1 when the column is absent).
    pub step: u32,
    /// `Operasjon`, e.g. `POST avtaleforhold`, `GET inntekter`, `token`, `finnArbeidsforholdPrArbeidstaker`.
    pub operation: String,
    /// `Inndata`: raw text, `key=value` pairs separated by newlines or `;`, with placeholders.
    pub inputs: String,
    /// `Forventet HTTP-status`, raw (e.g. `200`, `2xx`, `401|403`).
    pub expected_http: String,
    /// `Forventet feilkode`, raw (e.g. `OTP-006`, `404:IM-008 | 4xx:IM-010`).
    pub expected_code: String,
    /// `Forventede nøkkelfelt`, raw: one assertion per line.
    pub assertions: String,
    /// The sheet and row (0-based) of the step, and the columns of its machine cells (canonical name,
    /// 0-based column), for error messages: [`CaseStep::cell`].
    pub sheet: String,
    pub row: u32,
    pub cells: Vec<(&'static str, u32)>,
}

impl CaseStep {
    /// The cell of a canonical column in this step's row (for error messages).
    pub fn cell(&self, canonical: &str) -> Option<CellRef> {
        self.cells
            .iter()
            .find(|(k, _)| *k == canonical)
            .map(|(_, c)| CellRef::new(&self.sheet, self.row, *c))
    }
}

/// A test case: what the workbook says, untouched strings plus where they came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Case {
    /// `Testcase-ID`, e.g. `TPA-01`.
    pub id: String,
    /// `API` column, parsed. None when the cell is empty or unknown (a Problem is reported then).
    pub api: Option<Api>,
    /// `API` column as written.
    pub api_text: String,
    pub beskrivelse: String,
    pub forutsetninger: String,
    pub testdata_refs: Vec<String>,
    pub forventet_resultat: String,
    /// `Obligatorisk` J/N.
    pub mandatory: bool,
    pub steps: Vec<CaseStep>,
    /// Sheet name and 0-based row of the case's first row.
    pub sheet: String,
    pub row: u32,
}

/// A read workbook.
#[derive(Clone, Debug, Default)]
pub struct Workbook {
    pub path: PathBuf,
    /// SHA-256 of the file as read, lowercase hex.
    pub sha256: String,
    pub info: Vec<InfoEntry>,
    pub testdata: Vec<TestData>,
    pub cases: Vec<Case>,
    /// Warnings found while reading (errors make `read` fail instead).
    pub warnings: Vec<Problem>,
    /// Columns of the Testdata/Testcaser sheets that map to no canonical column: (sheet, header, 0-based column).
    /// The filled-in copy (`report::xlsx::write_filled`) keeps them untouched.
    pub unknown_columns: Vec<(String, String, u32)>,
    /// Values of unknown columns on each case's first row: (case id, header, value).
    pub case_extras: Vec<(String, String, String)>,
    /// The Testcaser sheet's name and header row, where the filled-in copy writes the results.
    pub case_header: Option<(String, headers::HeaderMap)>,
}

impl Workbook {
    pub fn testdata(&self, r: &str) -> Option<&TestData> {
        self.testdata
            .iter()
            .find(|t| t.r#ref.eq_ignore_ascii_case(r))
    }

    pub fn info_value(&self, key: &str) -> Option<&str> {
        let k = normalise(key);
        self.info
            .iter()
            .find(|e| normalise(&e.key) == k)
            .map(|e| e.value.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Why a workbook could not be read: every problem found, not only the first.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in {file}", problems.len())]
pub struct WorkbookError {
    pub file: String,
    pub problems: Vec<Problem>,
}

/// Normalise a header or key for alias matching: lower case, accents folded (æ->ae, ø->o, å->a, é->e),
/// spaces and punctuation removed. `Forventet HTTP-status` -> `forventethttpstatus`.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(|c| c.to_lowercase()) {
        match c {
            'æ' => out.push_str("ae"),
            'ø' | 'ö' | 'ó' | 'ò' => out.push('o'),
            'å' | 'ä' | 'á' | 'à' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ü' | 'ú' => out.push('u'),
            'í' | 'ï' => out.push('i'),
            c if c.is_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// Read and validate a workbook (structure, ids, periods, duplicates). Expectation syntax and
/// placeholders are checked by the planner (`run::plan`), which reports with the same `Problem` type.
///
/// Requires the machine columns the harness needs (`Operasjon`, `Inndata`, `Forventet HTTP-status` or
/// `Forventet feilkode`); use [`read_with`] with `require_machine_columns: false` to inspect a file without them.
pub fn read(path: &Path) -> Result<Workbook, WorkbookError> {
    read_with(path, &ReadOptions::default())
}
