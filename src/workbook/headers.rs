//! Canonical column names and their aliases (`dsop-ajourhold-service.md` §2.4.2, §2.4.3, §2.4.5), and the
//! header-row detection shared by the reader and the writer.
//!
//! Matching is exact after [`normalise`] on both sides: no prefix or fuzzy matching. `Testdata` and `Resultat`
//! are deliberately not aliases of anything.

use super::normalise;

/// The sheet roles the harness knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetRole {
    Info,
    Testdata,
    Testcaser,
}

impl SheetRole {
    /// The canonical sheet name.
    pub fn name(self) -> &'static str {
        match self {
            SheetRole::Info => "Info",
            SheetRole::Testdata => "Testdata",
            SheetRole::Testcaser => "Testcaser",
        }
    }

    /// Sheet names accepted for this role (matched after normalisation).
    pub fn sheet_aliases(self) -> &'static [&'static str] {
        match self {
            SheetRole::Info => &["Info", "Informasjon", "Forside"],
            SheetRole::Testdata => &["Testdata", "Testdata og testpersoner", "Test data"],
            SheetRole::Testcaser => &["Testcaser", "Testcases", "Test cases", "Testtilfeller"],
        }
    }

    /// The columns of this sheet: canonical name first, then its aliases.
    pub fn columns(self) -> &'static [&'static [&'static str]] {
        match self {
            SheetRole::Info => INFO_COLUMNS,
            SheetRole::Testdata => TESTDATA_COLUMNS,
            SheetRole::Testcaser => TESTCASER_COLUMNS,
        }
    }

    /// The column that identifies a header row of this sheet.
    pub fn key_column(self) -> &'static str {
        match self {
            SheetRole::Info => INFO_KEY,
            SheetRole::Testdata => TD_REF,
            SheetRole::Testcaser => TC_ID,
        }
    }

    /// The canonical column a header cell maps to, if any.
    pub fn canonical(self, header: &str) -> Option<&'static str> {
        let n = normalise(header);
        if n.is_empty() {
            return None;
        }
        self.columns()
            .iter()
            .find(|names| names.iter().any(|a| normalise(a) == n))
            .map(|names| names[0])
    }

    /// Whether a sheet name is one of this role's names.
    pub fn matches_sheet_name(self, name: &str) -> bool {
        let n = normalise(name);
        self.sheet_aliases().iter().any(|a| normalise(a) == n)
    }
}

// Testcaser columns (canonical names).
pub const TC_ID: &str = "Testcase-ID";
pub const TC_STEP: &str = "Steg";
pub const TC_API: &str = "API";
pub const TC_OPERATION: &str = "Operasjon";
pub const TC_DESCRIPTION: &str = "Beskrivelse";
pub const TC_PRECONDITIONS: &str = "Forutsetninger";
pub const TC_TESTDATA_REF: &str = "Testdata-ref";
pub const TC_INPUTS: &str = "Inndata";
pub const TC_EXPECTED_RESULT: &str = "Forventet resultat";
pub const TC_MANDATORY: &str = "Obligatorisk";
pub const TC_EXPECTED_HTTP: &str = "Forventet HTTP-status";
pub const TC_EXPECTED_CODE: &str = "Forventet feilkode";
pub const TC_ASSERTIONS: &str = "Forventede nøkkelfelt";
pub const TC_ACTUAL_HTTP: &str = "Faktisk HTTP-status";
pub const TC_ACTUAL_CODE: &str = "Faktisk feilkode";
pub const TC_ACTUAL_RESULT: &str = "Faktisk resultat";
pub const TC_CORRELATION: &str = "Korrelasjons-ID";
pub const TC_STATUS: &str = "Status";
pub const TC_COMMENT: &str = "Kommentar";
pub const TC_DATE: &str = "Dato";
pub const TC_TESTED_BY: &str = "Testet av";

/// The Testcaser columns in the order the bundled workbook writes them.
pub const TESTCASER_ORDER: [&str; 21] = [
    TC_ID,
    TC_STEP,
    TC_API,
    TC_OPERATION,
    TC_DESCRIPTION,
    TC_PRECONDITIONS,
    TC_TESTDATA_REF,
    TC_INPUTS,
    TC_EXPECTED_RESULT,
    TC_MANDATORY,
    TC_EXPECTED_HTTP,
    TC_EXPECTED_CODE,
    TC_ASSERTIONS,
    TC_ACTUAL_HTTP,
    TC_ACTUAL_CODE,
    TC_ACTUAL_RESULT,
    TC_CORRELATION,
    TC_STATUS,
    TC_COMMENT,
    TC_DATE,
    TC_TESTED_BY,
];

/// The result columns the harness fills in, in the order it appends missing ones.
pub const RESULT_COLUMNS: [&str; 8] = [
    TC_ACTUAL_HTTP,
    TC_ACTUAL_CODE,
    TC_ACTUAL_RESULT,
    TC_CORRELATION,
    TC_STATUS,
    TC_COMMENT,
    TC_DATE,
    TC_TESTED_BY,
];

/// Machine columns a case row may carry per step (everything else is taken from a case's first row).
pub const STEP_COLUMNS: [&str; 6] = [
    TC_STEP,
    TC_OPERATION,
    TC_INPUTS,
    TC_EXPECTED_HTTP,
    TC_EXPECTED_CODE,
    TC_ASSERTIONS,
];

const TESTCASER_COLUMNS: &[&[&str]] = &[
    &[
        TC_ID,
        "ID",
        "Nr",
        "Nr.",
        "Testcase",
        "Test case",
        "Case",
        "Case nr",
        "TC",
        "Testcase ID",
        "Test case ID",
        "Testcase-nr",
        "Testtilfelle",
    ],
    &[TC_STEP, "Step", "Trinn", "Steg nr"],
    &[TC_API, "Tjeneste", "Etat", "Service", "Endepunkt"],
    &[TC_OPERATION, "Operation", "Operasjon/kall"],
    &[
        TC_DESCRIPTION,
        "Testbeskrivelse",
        "Description",
        "Hva testes",
        "Formål",
    ],
    &[
        TC_PRECONDITIONS,
        "Forutsetning",
        "Precondition",
        "Preconditions",
        "Prerequisites",
    ],
    &[
        TC_TESTDATA_REF,
        "Testdata ref",
        "Testdataref",
        "Test data ref",
        "TD-ref",
        "Testdata-referanse",
    ],
    &[TC_INPUTS, "Input", "Parametre", "Forespørsel", "Request"],
    &[
        TC_EXPECTED_RESULT,
        "Forventet",
        "Expected",
        "Expected result",
        "Forventet respons",
    ],
    &[TC_MANDATORY, "Mandatory", "Påkrevd", "Obligatorisk (J/N)"],
    &[
        TC_EXPECTED_HTTP,
        "Expected HTTP status",
        "Forventet HTTP status",
        "Forventet status",
    ],
    &[
        TC_EXPECTED_CODE,
        "Expected error code",
        "Forventet kode",
        "Forventet feilmelding-kode",
    ],
    &[
        TC_ASSERTIONS,
        "Forventet nøkkelfelt",
        "Nøkkelfelt",
        "Expected key fields",
        "Assertions",
    ],
    &[TC_ACTUAL_HTTP, "Actual HTTP status", "Faktisk HTTP status"],
    &[TC_ACTUAL_CODE, "Actual error code", "Faktisk kode"],
    &[
        TC_ACTUAL_RESULT,
        "Actual",
        "Actual result",
        "Faktisk respons",
    ],
    &[
        TC_CORRELATION,
        "Korrelasjonsid",
        "Correlation ID",
        "Correlation-id",
        "Korrelasjons-ID (sendt/mottatt)",
    ],
    &[
        TC_STATUS,
        "OK/Ikke OK",
        "OK/Avvik",
        "Godkjent",
        "Bestått",
        "Pass/Fail",
        "Result",
    ],
    &[TC_COMMENT, "Kommentarer", "Merknad", "Comment", "Comments"],
    &[TC_DATE, "Testdato", "Date", "Utført dato"],
    &[TC_TESTED_BY, "Tester", "Utført av", "Signatur", "Ansvarlig"],
];

// Testdata columns.
pub const TD_REF: &str = "Ref";
pub const TD_TYPE: &str = "Type";
pub const TD_ID: &str = "Identifikator";
pub const TD_NAME: &str = "Navn";
pub const TD_EMPLOYER_REF: &str = "Opplysningspliktig-ref";
pub const TD_AGREEMENT_REF: &str = "Avtalereferanse";
pub const TD_FROM: &str = "Avtale fraOgMed";
pub const TD_TO: &str = "Avtale tilOgMed";
pub const TD_TAGS: &str = "Egenskaper";
pub const TD_SOURCE: &str = "Kilde";
pub const TD_USED_IN: &str = "Brukes i testcaser";
pub const TD_COMMENT: &str = "Kommentar";

/// The Testdata columns in the order the bundled workbook writes them.
pub const TESTDATA_ORDER: [&str; 12] = [
    TD_REF,
    TD_TYPE,
    TD_ID,
    TD_NAME,
    TD_EMPLOYER_REF,
    TD_AGREEMENT_REF,
    TD_FROM,
    TD_TO,
    TD_TAGS,
    TD_SOURCE,
    TD_USED_IN,
    TD_COMMENT,
];

const TESTDATA_COLUMNS: &[&[&str]] = &[
    &[TD_REF, "Referanse", "Testdata-ID"],
    &[TD_TYPE, "Rolle", "Kind", "Parttype"],
    &[
        TD_ID,
        "Identifier",
        "Id",
        "Id-nummer",
        "Fnr/orgnr",
        "Orgnr/fnr",
        "Fødselsnummer/organisasjonsnummer",
        "Personidentifikator/orgnr",
    ],
    &[TD_NAME, "Name"],
    &[
        TD_EMPLOYER_REF,
        "Arbeidsgiver-ref",
        "Employer ref",
        "Arbeidsgiver",
    ],
    &[
        TD_AGREEMENT_REF,
        "Avtale-referanse",
        "Agreement reference",
        "Avtaleref",
    ],
    &[
        TD_FROM,
        "Avtale fra og med",
        "Avtale fra",
        "Agreement from",
        "Avtale fom",
    ],
    &[
        TD_TO,
        "Avtale til og med",
        "Avtale til",
        "Agreement to",
        "Avtale tom",
    ],
    &[TD_TAGS, "Tags", "Kjennetegn", "Properties"],
    &[TD_SOURCE, "Source", "Opphav"],
    &[TD_USED_IN, "Brukes i", "Used in test cases", "Testcaser"],
    &[TD_COMMENT, "Kommentarer", "Merknad", "Comment", "Comments"],
];

// Info columns (optional header row).
pub const INFO_KEY: &str = "Nøkkel";
pub const INFO_VALUE: &str = "Verdi";

const INFO_COLUMNS: &[&[&str]] = &[
    &[INFO_KEY, "Key", "Felt", "Parameter"],
    &[INFO_VALUE, "Value"],
];

/// How many rows from the top a header row is looked for.
pub const HEADER_SCAN_ROWS: u32 = 30;

/// A header row found in a sheet: canonical column -> 0-based column index, plus unknown headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderMap {
    /// 0-based row of the header in the sheet (absolute, as calamine counts).
    pub row: u32,
    /// Canonical name -> column.
    pub columns: Vec<(&'static str, u32)>,
    /// Headers that map to no canonical column: (header text, column). Kept and copied through.
    pub unknown: Vec<(String, u32)>,
    /// Headers that map to a canonical column already taken: (header text, canonical, column, first column).
    pub duplicates: Vec<(String, &'static str, u32, u32)>,
}

impl HeaderMap {
    pub fn col(&self, canonical: &str) -> Option<u32> {
        self.columns
            .iter()
            .find(|(c, _)| *c == canonical)
            .map(|(_, i)| *i)
    }

    pub fn has(&self, canonical: &str) -> bool {
        self.col(canonical).is_some()
    }

    /// The last used column (0-based) of the header row.
    pub fn last_col(&self) -> Option<u32> {
        self.columns
            .iter()
            .map(|(_, c)| *c)
            .chain(self.unknown.iter().map(|(_, c)| *c))
            .max()
    }
}

/// Map one row of header texts (`(column, text)`) to canonical columns for a role.
pub fn map_header_row(role: SheetRole, row: u32, cells: &[(u32, String)]) -> HeaderMap {
    let mut map = HeaderMap {
        row,
        ..HeaderMap::default()
    };
    for (col, text) in cells {
        if text.trim().is_empty() {
            continue;
        }
        match role.canonical(text) {
            Some(canon) => {
                if let Some(first) = map.col(canon) {
                    map.duplicates
                        .push((text.trim().to_string(), canon, *col, first));
                } else {
                    map.columns.push((canon, *col));
                }
            }
            None => map.unknown.push((text.trim().to_string(), *col)),
        }
    }
    map
}

/// Whether a mapped row looks like this role's header row: it has the key column and at least one other
/// known column (a title cell such as `Testcase` alone is not a header).
pub fn is_header_row(role: SheetRole, map: &HeaderMap) -> bool {
    if !map.has(role.key_column()) {
        return false;
    }
    match role {
        SheetRole::Info => true,
        _ => map.columns.len() + map.duplicates.len() >= 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_match_exactly_after_normalising() {
        let r = SheetRole::Testcaser;
        assert_eq!(r.canonical("Testcase-ID"), Some(TC_ID));
        assert_eq!(r.canonical(" nr. "), Some(TC_ID));
        assert_eq!(r.canonical("Forventet HTTP-status"), Some(TC_EXPECTED_HTTP));
        assert_eq!(r.canonical("Forventede nøkkelfelt"), Some(TC_ASSERTIONS));
        assert_eq!(r.canonical("OK/Avvik"), Some(TC_STATUS));
        assert_eq!(r.canonical("Testdata"), None);
        assert_eq!(r.canonical("Resultat"), None);
        assert_eq!(r.canonical("Testcaser"), None);
        assert_eq!(
            SheetRole::Testdata.canonical("Avtale fraOgMed"),
            Some(TD_FROM)
        );
        assert!(SheetRole::Testcaser.matches_sheet_name("Test cases"));
        assert!(SheetRole::Testdata.matches_sheet_name("Testdata og testpersoner"));
        // Every canonical name maps to itself and no alias is shared between two columns of one role.
        for role in [SheetRole::Info, SheetRole::Testdata, SheetRole::Testcaser] {
            let mut seen = std::collections::HashMap::new();
            for names in role.columns() {
                assert_eq!(role.canonical(names[0]), Some(names[0]));
                for a in names.iter() {
                    let prev = seen.insert(normalise(a), names[0]);
                    assert!(
                        prev.is_none() || prev == Some(names[0]),
                        "alias {a} used by two columns"
                    );
                }
            }
        }
    }

    #[test]
    fn duplicate_headers_detected() {
        let cells = vec![
            (0, "ID".to_string()),
            (1, "Testcase-ID".to_string()),
            (2, "Egen".to_string()),
        ];
        let m = map_header_row(SheetRole::Testcaser, 3, &cells);
        assert_eq!(m.col(TC_ID), Some(0));
        assert_eq!(m.duplicates.len(), 1);
        assert_eq!(m.unknown, vec![("Egen".to_string(), 2)]);
    }
}
