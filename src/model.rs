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
    /// Every mandatory case is ok (and there is at least one).
    Passed,
    /// A mandatory case deviates.
    Failed,
    /// Otherwise: no mandatory case at all, or a mandatory case not run, not applicable or hit an
    /// environment error. [`VerdictReason`] says which.
    Incomplete,
}

impl Verdict {
    pub fn of(cases: &[CaseResult]) -> Verdict {
        VerdictReason::of(cases).verdict()
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

/// Why the overall verdict is what it is: computed from the cases, rendered as a sentence in nb or en.
/// Never a vacuous pass: without a mandatory case the verdict is incomplete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum VerdictReason {
    /// Every mandatory case is ok. `deviated` lists cases that are not mandatory but deviated.
    AllMandatoryOk {
        mandatory: usize,
        deviated: Vec<String>,
    },
    /// These mandatory cases deviate.
    MandatoryDeviated { cases: Vec<String> },
    /// No case is mandatory: the workbook marks every case `Obligatorisk = N`, or has no such column.
    NoMandatoryCase { cases: usize },
    /// These mandatory cases are not ok (not run, environment error or not applicable), none deviates.
    MandatoryNotOk { cases: Vec<String> },
}

impl VerdictReason {
    pub fn of(cases: &[CaseResult]) -> VerdictReason {
        let mandatory: Vec<&CaseResult> = cases.iter().filter(|c| c.mandatory).collect();
        let ids = |keep: &dyn Fn(&CaseResult) -> bool| -> Vec<String> {
            mandatory
                .iter()
                .filter(|c| keep(c))
                .map(|c| c.id.clone())
                .collect()
        };
        if mandatory.is_empty() {
            return VerdictReason::NoMandatoryCase { cases: cases.len() };
        }
        let deviated = ids(&|c| c.status == Status::Deviation);
        if !deviated.is_empty() {
            return VerdictReason::MandatoryDeviated { cases: deviated };
        }
        let not_ok = ids(&|c| c.status != Status::Ok);
        if !not_ok.is_empty() {
            return VerdictReason::MandatoryNotOk { cases: not_ok };
        }
        VerdictReason::AllMandatoryOk {
            mandatory: mandatory.len(),
            deviated: cases
                .iter()
                .filter(|c| c.status == Status::Deviation)
                .map(|c| c.id.clone())
                .collect(),
        }
    }

    pub fn verdict(&self) -> Verdict {
        match self {
            VerdictReason::AllMandatoryOk { .. } => Verdict::Passed,
            VerdictReason::MandatoryDeviated { .. } => Verdict::Failed,
            VerdictReason::NoMandatoryCase { .. } | VerdictReason::MandatoryNotOk { .. } => {
                Verdict::Incomplete
            }
        }
    }

    /// True only when the report may say that the institution considers itself ready for production:
    /// every mandatory case ok and no case deviated.
    pub fn ready_for_production(&self) -> bool {
        matches!(self, VerdictReason::AllMandatoryOk { deviated, .. } if deviated.is_empty())
    }

    /// The sentence a report shows under the verdict.
    pub fn sentence(&self, lang: Lang) -> String {
        match (self, lang) {
            (VerdictReason::AllMandatoryOk { deviated, .. }, Lang::Nb) if deviated.is_empty() => {
                "Alle obligatoriske testcaser er gjennomført med resultat OK. Pensjonsinnretningen anser seg \
                 klar for produksjon."
                    .to_string()
            }
            (VerdictReason::AllMandatoryOk { deviated, .. }, Lang::En) if deviated.is_empty() => {
                "All mandatory test cases have been run with the result OK. The pension institution considers \
                 itself ready for production."
                    .to_string()
            }
            (VerdictReason::AllMandatoryOk { deviated, .. }, Lang::Nb) => format!(
                "Alle obligatoriske testcaser har resultat OK, men disse testcasene har avvik: {}. \
                 Pensjonsinnretningen kan ikke melde seg klar for produksjon før avvikene er vurdert og rettet.",
                deviated.join(", ")
            ),
            (VerdictReason::AllMandatoryOk { deviated, .. }, Lang::En) => format!(
                "All mandatory test cases are OK, but these test cases deviated: {}. The pension institution \
                 cannot declare itself ready for production until the deviations have been assessed and fixed.",
                deviated.join(", ")
            ),
            (VerdictReason::NoMandatoryCase { cases }, Lang::Nb) => format!(
                "Ingen av de {cases} testcasene er merket som obligatoriske (kolonnen Obligatorisk er N eller \
                 mangler i arbeidsboken), så kjøringen kan ikke vise at integrasjonstesten er bestått. Merk de \
                 obligatoriske testcasene med J og kjør på nytt."
            ),
            (VerdictReason::NoMandatoryCase { cases }, Lang::En) => format!(
                "None of the {cases} test cases is marked mandatory (the workbook's Obligatorisk column is N or \
                 missing), so the run cannot show that the integration test has passed. Mark the mandatory test \
                 cases J and run again."
            ),
            (VerdictReason::MandatoryDeviated { cases }, Lang::Nb) => format!(
                "Disse obligatoriske testcasene har avvik: {}.",
                cases.join(", ")
            ),
            (VerdictReason::MandatoryDeviated { cases }, Lang::En) => format!(
                "These mandatory test cases deviated: {}.",
                cases.join(", ")
            ),
            (VerdictReason::MandatoryNotOk { cases }, Lang::Nb) => format!(
                "Disse obligatoriske testcasene har ikke resultat OK (ikke kjørt, miljøfeil eller ikke \
                 relevant): {}.",
                cases.join(", ")
            ),
            (VerdictReason::MandatoryNotOk { cases }, Lang::En) => format!(
                "These mandatory test cases are not OK (not run, environment error or not applicable): {}.",
                cases.join(", ")
            ),
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
    /// `dsop-harness rehearse`: the test-environment run against the simulator (never evidence).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
    /// What the rehearsal could not rehearse, or what the agencies will refuse (issuer trust, MP-120).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rehearsal_notes: Vec<String>,
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
    /// True for `dsop-harness rehearse` (then `simulated` too): practice, never evidence.
    #[serde(default)]
    pub rehearsal: bool,
    /// Per API: seconds past `exp` at which it still accepted a token (a lower bound of its tolerance).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub observed_expiry_tolerance_secs: BTreeMap<String, u64>,
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
    /// Why the verdict is what it is, from the cases.
    pub fn verdict_reason(&self) -> VerdictReason {
        VerdictReason::of(&self.cases)
    }

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
