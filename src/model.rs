//! The narrow, serialisable types that flow between the stages:
//! workbook -> Case -> Plan -> Request -> Response -> Verdict -> Event stream -> reporters.
//!
//! `RunReport` is the `results.json` contract: later versions extend it and never break it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Report language. Norwegian bokmål is the default; `--lang en` gives English.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nb,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nb" | "no" | "nb-no" | "norsk" => Some(Lang::Nb),
            "en" | "en-gb" | "en-us" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The agency APIs (plus Maskinporten and cross-API cases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Api {
    #[serde(rename = "Maskinporten")]
    Maskinporten,
    #[serde(rename = "Tjenestepensjonsavtale")]
    Tjenestepensjonsavtale,
    #[serde(rename = "Inntektsmottakere")]
    Inntektsmottakere,
    #[serde(rename = "Inntekt")]
    Inntekt,
    #[serde(rename = "Aa-reg OTP")]
    AaregOtp,
    /// Cases that call several APIs (SEC-01, SEC-02, X-01).
    #[serde(rename = "Tverrgående")]
    Tverrgaaende,
}

impl Api {
    pub const ALL: [Api; 6] = [
        Api::Maskinporten,
        Api::Tjenestepensjonsavtale,
        Api::Inntektsmottakere,
        Api::Inntekt,
        Api::AaregOtp,
        Api::Tverrgaaende,
    ];

    /// The name used in workbooks and reports (the same in both languages, except cross-API).
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Api::Maskinporten, _) => "Maskinporten",
            (Api::Tjenestepensjonsavtale, _) => "Tjenestepensjonsavtale",
            (Api::Inntektsmottakere, _) => "Inntektsmottakere",
            (Api::Inntekt, _) => "Inntekt",
            (Api::AaregOtp, _) => "Aa-reg OTP",
            (Api::Tverrgaaende, Lang::Nb) => "Tverrgående",
            (Api::Tverrgaaende, Lang::En) => "Cross-API",
        }
    }

    /// Parse the API column of a workbook, tolerant of case, spacing and common variants.
    pub fn parse(s: &str) -> Option<Api> {
        let n: String = s
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        Some(match n.as_str() {
            "maskinporten" | "mp" => Api::Maskinporten,
            "tjenestepensjonsavtale" | "tpa" | "tjenestepensjonsavtaleapi" => {
                Api::Tjenestepensjonsavtale
            }
            "inntektsmottakere" | "ims" | "inntektsmottakereapi" => Api::Inntektsmottakere,
            "inntekt" | "inn" | "inntektapi" | "inntektsmottaker" | "inntektsmottakerapi" => {
                Api::Inntekt
            }
            "aaregotp"
            | "aareg"
            | "aaregisteret"
            | "aaregisteretotp"
            | "aar"
            | "arbeidsforholdsopplysningerotp"
            | "navaaregotp"
            | "nav" => Api::AaregOtp,
            "tverrgaende" | "tverrgående" | "tverrgaaende" | "alle" | "all" | "crossapi"
            | "alleapier" | "allefire" => Api::Tverrgaaende,
            _ => return None,
        })
    }

    /// Skatteetaten's three APIs share the error format and the 5-in-flight limit.
    pub fn is_skatteetaten(self) -> bool {
        matches!(
            self,
            Api::Tjenestepensjonsavtale | Api::Inntektsmottakere | Api::Inntekt
        )
    }

    /// The Maskinporten scope an API requires.
    pub fn scope(self) -> Option<&'static str> {
        match self {
            Api::Inntekt => Some("skatteetaten:inntekt"),
            Api::Inntektsmottakere => Some("skatteetaten:inntektsmottakere"),
            Api::Tjenestepensjonsavtale => Some("skatteetaten:tjenestepensjonsavtale"),
            Api::AaregOtp => Some("nav:aareg/v1/arbeidsforhold/otp"),
            _ => None,
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label(Lang::Nb))
    }
}

/// The four scopes of the service, in the order MP-01 asks for them.
pub const SCOPES: [&str; 4] = [
    "skatteetaten:inntekt",
    "skatteetaten:inntektsmottakere",
    "skatteetaten:tjenestepensjonsavtale",
    "nav:aareg/v1/arbeidsforhold/otp",
];

/// The verdict of one case or step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Deviation,
    NotRun,
    EnvironmentError,
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Deviation,
        Status::EnvironmentError,
        Status::NotRun,
        Status::NotApplicable,
    ];

    /// The word used in reports and the workbook's Status column.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Status::Ok, _) => "OK",
            (Status::Deviation, Lang::Nb) => "Avvik",
            (Status::Deviation, Lang::En) => "Deviation",
            (Status::NotRun, Lang::Nb) => "Ikke kjørt",
            (Status::NotRun, Lang::En) => "Not run",
            (Status::EnvironmentError, Lang::Nb) => "Miljøfeil",
            (Status::EnvironmentError, Lang::En) => "Environment error",
            (Status::NotApplicable, Lang::Nb) => "Ikke relevant",
            (Status::NotApplicable, Lang::En) => "Not applicable",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Deviation => "deviation",
            Status::NotRun => "not_run",
            Status::EnvironmentError => "environment_error",
            Status::NotApplicable => "not_applicable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts per status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub ok: usize,
    pub deviation: usize,
    pub not_run: usize,
    pub environment_error: usize,
    pub not_applicable: usize,
}

impl Summary {
    pub fn add(&mut self, s: Status) {
        self.total += 1;
        match s {
            Status::Ok => self.ok += 1,
            Status::Deviation => self.deviation += 1,
            Status::NotRun => self.not_run += 1,
            Status::EnvironmentError => self.environment_error += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
    }

    pub fn of<'a>(statuses: impl IntoIterator<Item = &'a Status>) -> Summary {
        let mut s = Summary::default();
        for st in statuses {
            s.add(*st);
        }
        s
    }

    pub fn count(&self, s: Status) -> usize {
        match s {
            Status::Ok => self.ok,
            Status::Deviation => self.deviation,
            Status::NotRun => self.not_run,
            Status::EnvironmentError => self.environment_error,
            Status::NotApplicable => self.not_applicable,
        }
    }
}

/// The overall verdict, over the mandatory cases only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every mandatory case is ok.
    Passed,
    /// A mandatory case deviates.
    Failed,
    /// Otherwise (a mandatory case not run or hit an environment error).
    Incomplete,
}

impl Verdict {
    pub fn of(cases: &[CaseResult]) -> Verdict {
        let mandatory: Vec<&CaseResult> = cases.iter().filter(|c| c.mandatory).collect();
        if mandatory.iter().all(|c| c.status == Status::Ok) {
            Verdict::Passed
        } else if mandatory.iter().any(|c| c.status == Status::Deviation) {
            Verdict::Failed
        } else {
            Verdict::Incomplete
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Verdict::Passed, Lang::Nb) => "Bestått",
            (Verdict::Passed, Lang::En) => "Passed",
            (Verdict::Failed, Lang::Nb) => "Ikke bestått",
            (Verdict::Failed, Lang::En) => "Failed",
            (Verdict::Incomplete, Lang::Nb) => "Ufullstendig",
            (Verdict::Incomplete, Lang::En) => "Incomplete",
        }
    }
}

/// One call of a case (MP-01 asks for four scopes, SEC-01 calls each API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// 1-based step number.
    pub step: u32,
    /// The operation, e.g. `POST avtaleforhold`, `GET inntekter`, `token`.
    pub operation: String,
    /// The API this step called.
    pub api: Api,
    /// The expectation as written, e.g. `404:IM-008 | 4xx:IM-010`.
    pub expected: String,
    pub status: Status,
    pub actual_http: Option<u16>,
    pub actual_code: Option<String>,
    /// The correlation id the harness sent (null for Maskinporten, which has none).
    pub correlation_id: Option<String>,
    /// The correlation id the agency returned, when it sent one.
    pub correlation_id_returned: Option<String>,
    pub duration_ms: u64,
    pub attempts: u32,
    pub note: Option<String>,
    /// The note as typed values; `note` is worded from them in the report's language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<crate::note::Note>,
    /// A short, redacted summary of what came back (never full personal data).
    pub summary: Option<String>,
    pub started: Option<DateTime<Utc>>,
}

/// One case's result: the `cases[]` element of results.json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub api: Api,
    pub operation: String,
    pub description: String,
    pub mandatory: bool,
    pub status: Status,
    /// The expectation as written (of the deciding step).
    pub expected: String,
    pub expected_http: Option<String>,
    pub actual_http: Option<u16>,
    pub expected_code: Option<String>,
    pub actual_code: Option<String>,
    pub correlation_id: Option<String>,
    pub correlation_id_returned: Option<String>,
    pub duration_ms: u64,
    pub attempts: u32,
    pub note: Option<String>,
    /// The note of a case decided without a call, as typed values (a run case's note comes from its steps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<crate::note::Note>,
    /// Why the case ended as it did, machine-readable: `outcome_unknown` for a write that may have been
    /// carried out (an environment error whose effect is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub steps: Vec<StepResult>,
}

/// `workbook` in results.json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkbookRef {
    pub path: String,
    pub sha256: String,
}

/// An organisation taking part in the test.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub orgnr: String,
    pub name: String,
}

/// How a vendor acts for the institution (onboarding B-7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delegation {
    /// The institution calls with its own client and certificate.
    #[default]
    None,
    /// API delegation in Altinn; the grant carries `consumer_org`.
    ConsumerOrg,
    /// Altinn system user; the grant carries `authorization_details` of type `urn:altinn:systemuser`.
    SystemUser,
}

/// What the report says about the business certificate. Never key material.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// The organisation number found in the certificate (serialNumber or organizationIdentifier NTRNO-…).
    pub orgnr: Option<String>,
}

/// Maskinporten set-up as used by the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MaskinportenInfo {
    pub issuer: String,
    pub token_endpoint: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub certificate: Option<CertificateInfo>,
    /// `x5c` or `kid`.
    pub key_mode: String,
}

/// The context a report needs besides the cases.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    pub institution: Party,
    pub vendor: Option<Party>,
    pub delegation: Delegation,
    pub maskinporten: MaskinportenInfo,
    /// API name -> base URL actually used.
    pub base_urls: BTreeMap<String, String>,
    /// Key/value pairs of the workbook's Info sheet, in order.
    pub info: Vec<(String, String)>,
    /// The month `M` and the avtaleforhold start `S` the run resolved, for the report's test-data section.
    pub months: BTreeMap<String, String>,
    /// The test data the run used: ref -> (type, identifier, tags).
    pub testdata: Vec<TestDataSummary>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestDataSummary {
    pub r#ref: String,
    pub kind: String,
    pub identifikator: String,
    pub navn: String,
    pub egenskaper: Vec<String>,
    pub kilde: String,
}

/// The whole result of a run: `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub harness_version: String,
    pub run_id: String,
    /// `sim`, `test` or `prod`.
    pub env: String,
    /// True when the run used the embedded simulator: such a run is not evidence for Bits.
    pub simulated: bool,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    /// The date the run's months were computed from (`--today`).
    pub today: NaiveDate,
    pub workbook: WorkbookRef,
    pub summary: Summary,
    pub verdict: Verdict,
    pub context: RunContext,
    pub cases: Vec<CaseResult>,
    /// Run-level notes (e.g. "system user not verified against the agencies").
    pub notes: Vec<String>,
}

impl RunReport {
    /// Summary per API, in report order.
    pub fn summary_per_api(&self) -> Vec<(Api, Summary)> {
        Api::ALL
            .iter()
            .filter_map(|api| {
                let s = Summary::of(
                    self.cases
                        .iter()
                        .filter(|c| c.api == *api)
                        .map(|c| &c.status),
                );
                (s.total > 0).then_some((*api, s))
            })
            .collect()
    }
}
