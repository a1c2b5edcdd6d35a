//! The readable source of the bundled workbook, `testcases/source.toml`.
//!
//! ```toml
//! title = "Integrasjonstest – Data for ajourhold av OTP i privat sektor"
//!
//! [[info]]
//! key = "Pensjonsinnretning"
//! value = "Eksempel Pensjon AS"
//!
//! [[testdata]]
//! ref = "TD-ORG-01"
//! type = "Opplysningspliktig"
//! identifikator = "310000108"
//! avtalereferanse = "OTP-SIM-0001"
//! avtale_fra = "2021-01"
//! egenskaper = ["hovedavtale"]
//!
//! [[case]]
//! id = "TPA-01"
//! api = "Tjenestepensjonsavtale"
//! bundled = true          # written into the xlsx only when true
//! obligatorisk = true
//! beskrivelse = "…"
//! [[case.step]]
//! operasjon = "POST avtaleforhold"
//! inndata = "avtalereferanse={TD-ORG-01.Avtalereferanse}; fraOgMed={S}; opplysningspliktig={TD-ORG-01.Identifikator}"
//! http = "2xx"
//! feilkode = ""
//! nokkelfelt = ""
//! ```

use super::{Problem, Severity, WorkbookError};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The title row above each sheet's header.
    pub title: String,
    #[serde(default)]
    pub info: Vec<SourceInfo>,
    #[serde(default)]
    pub testdata: Vec<SourceTestData>,
    #[serde(default, rename = "case")]
    pub cases: Vec<SourceCase>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInfo {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceTestData {
    #[serde(rename = "ref")]
    pub r#ref: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub identifikator: String,
    #[serde(default)]
    pub navn: String,
    #[serde(default)]
    pub opplysningspliktig_ref: String,
    #[serde(default)]
    pub avtalereferanse: String,
    #[serde(default)]
    pub avtale_fra: String,
    #[serde(default)]
    pub avtale_til: String,
    #[serde(default)]
    pub egenskaper: Vec<String>,
    #[serde(default)]
    pub kilde: String,
    #[serde(default)]
    pub brukes_i: String,
    #[serde(default)]
    pub kommentar: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceCase {
    pub id: String,
    pub api: String,
    /// Written into the bundled xlsx only when true.
    #[serde(default)]
    pub bundled: bool,
    #[serde(default)]
    pub obligatorisk: bool,
    #[serde(default)]
    pub beskrivelse: String,
    #[serde(default)]
    pub forutsetninger: String,
    /// Comma-separated Testdata refs.
    #[serde(default)]
    pub testdata_ref: String,
    #[serde(default)]
    pub forventet_resultat: String,
    #[serde(default, rename = "step")]
    pub steps: Vec<SourceStep>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceStep {
    pub operasjon: String,
    #[serde(default)]
    pub inndata: String,
    /// `Forventet HTTP-status`.
    #[serde(default)]
    pub http: String,
    /// `Forventet feilkode`.
    #[serde(default)]
    pub feilkode: String,
    /// `Forventede nøkkelfelt`, one assertion per line.
    #[serde(default)]
    pub nokkelfelt: String,
}

/// Read and parse a source file.
pub fn load_source(path: &Path) -> Result<Source, WorkbookError> {
    let file = path.display().to_string();
    let err = |message: String, hint: &str| WorkbookError {
        file: file.clone(),
        problems: vec![Problem {
            severity: Severity::Error,
            file: file.clone(),
            location: String::new(),
            message,
            hint: hint.to_string(),
        }],
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(format!("cannot read the source: {e}"), "check the path"))?;
    let src: Source = toml::from_str(&text)
        .map_err(|e| err(format!("invalid source TOML: {e}"), "fix the TOML syntax"))?;
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in &src.cases {
        if !seen.insert(c.id.clone()) {
            problems.push(format!("case {} appears twice", c.id));
        }
        if c.steps.is_empty() {
            problems.push(format!("case {} has no [[case.step]]", c.id));
        }
    }
    if problems.is_empty() {
        Ok(src)
    } else {
        Err(WorkbookError {
            file: file.clone(),
            problems: problems
                .into_iter()
                .map(|m| Problem {
                    severity: Severity::Error,
                    file: file.clone(),
                    location: String::new(),
                    message: m,
                    hint: "fix the source file".into(),
                })
                .collect(),
        })
    }
}
