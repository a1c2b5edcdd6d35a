//! The planner: workbook cases -> planned steps with every input resolved (placeholders, months),
//! the call to make, the expectation and the field assertions. All problems are collected, each with
//! its cell, not only the first.

use super::assert::{Assertion, AssertionCache};
use super::expect::Expectation;
use crate::apis::{AaregQuery, ApiCall};
use crate::model::Api;
use crate::months::YearMonth;
use crate::workbook::{CaseStep, Problem, Severity, Workbook};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What a step calls.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    /// A Maskinporten token request for one scope (MP-01).
    Token {
        scope: String,
    },
    Api(ApiCall),
}

/// How the step authenticates (SEC cases send no token, an expired one, or one for another scope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMode {
    Normal,
    None,
    Expired,
    Scope(String),
}

#[derive(Clone, Debug)]
pub struct PlannedStep {
    pub step: u32,
    pub operation: String,
    pub api: Api,
    pub call: Call,
    pub auth: AuthMode,
    pub expectation: Expectation,
    pub assertions: Vec<Assertion>,
    /// The inputs after placeholder resolution, for `--dry-run` and the journal.
    pub inputs: Vec<(String, String)>,
    /// `vent=expires_in`: let the current token's lifetime pass before this step (MP-02).
    pub wait_lifetime: bool,
}

#[derive(Clone, Debug)]
pub struct PlannedCase {
    pub id: String,
    pub api: Api,
    pub operation: String,
    pub description: String,
    pub mandatory: bool,
    /// False when left out by `--only`, `--skip` or `--mandatory-only`.
    pub selected: bool,
    /// SEC cases expect 401/403: no token renewal and no retries.
    pub expects_auth_failure: bool,
    /// The case this one needs first (the agreement registration), if any.
    pub depends_on: Option<String>,
    pub steps: Vec<PlannedStep>,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub cases: Vec<PlannedCase>,
    /// Resolved months for the report: `M`, `S` (main employer).
    pub months: BTreeMap<String, String>,
    /// The main employer (ORG-A) and its agreement reference, protected from deletion.
    pub main_employer: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    pub today: Option<NaiveDate>,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub mandatory_only: bool,
}

/// Operations the planner knows, with the API each belongs to.
pub const OPERATIONS: [(&str, Api); 8] = [
    ("token", Api::Maskinporten),
    ("POST avtaleforhold", Api::Tjenestepensjonsavtale),
    ("DELETE avtaleforhold", Api::Tjenestepensjonsavtale),
    ("GET avtaleforhold/gyldighet", Api::Tjenestepensjonsavtale),
    ("GET inntektsmottakere", Api::Inntektsmottakere),
    ("GET inntekter", Api::Inntekt),
    (
        "finnArbeidsforholdoversikterPrOpplysningspliktig",
        Api::AaregOtp,
    ),
    ("finnArbeidsforholdPrArbeidstaker", Api::AaregOtp),
];

fn operation(s: &str) -> Option<(&'static str, Api)> {
    // The operations' normalised names, made once (not per step).
    static NORMALISED: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        OPERATIONS
            .iter()
            .map(|(o, _)| crate::workbook::normalise(o))
            .collect()
    });
    let n = crate::workbook::normalise(s);
    NORMALISED
        .iter()
        .position(|o| *o == n)
        .map(|i| OPERATIONS[i])
}

/// Split `Inndata` into key/value pairs: separated by newlines or `;`; a `body=` value runs to the end.
pub fn parse_inputs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let seg_end = rest.find(['\n', ';']).unwrap_or(rest.len());
        let seg = rest[..seg_end].trim();
        if seg.starts_with("body") && seg[4..].trim_start().starts_with('=') {
            let start = rest.find('=').map(|i| i + 1).unwrap_or(rest.len());
            let tail = &rest[start..];
            let mut de = serde_json::Deserializer::from_str(tail).into_iter::<serde_json::Value>();
            match de.next() {
                Some(Ok(_)) => {
                    let used = de.byte_offset();
                    out.push(("body".to_string(), tail[..used].trim().to_string()));
                    rest = tail[used..].trim_start_matches([' ', '\t', '\r', '\n', ';']);
                    continue;
                }
                _ => {
                    out.push(("body".to_string(), tail.trim().to_string()));
                    break;
                }
            }
        }
        if !seg.is_empty() {
            let (k, v) = seg
                .split_once('=')
                .ok_or_else(|| format!("{seg:?} is not key=value: write inputs as key=value pairs separated by ';' or new lines"))?;
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
        rest = if seg_end < rest.len() {
            rest[seg_end + 1..].trim_start()
        } else {
            ""
        };
    }
    Ok(out)
}

struct Resolver<'a> {
    wb: &'a Workbook,
    m: YearMonth,
    main: Option<&'a crate::workbook::TestData>,
}

impl Resolver<'_> {
    fn s_of(&self, td: &crate::workbook::TestData) -> YearMonth {
        let floor = YearMonth {
            year: 2021,
            month: 1,
        };
        td.avtale_fra.map(|f| f.max(floor)).unwrap_or(floor)
    }

    fn month_expr(
        &self,
        expr: &str,
        td: Option<&crate::workbook::TestData>,
    ) -> Option<Result<String, String>> {
        static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"^(M|S)\s*([+-]\s*\d+)?$").expect("static regex")
        });
        let c = RE.captures(expr.trim())?;
        let base = match &c[1] {
            "M" => self.m,
            _ => match td.or(self.main) {
                Some(t) => self.s_of(t),
                None => {
                    return Some(Err(
                        "{S} needs an employer with an agreement (Avtalereferanse) in Testdata"
                            .into(),
                    ))
                }
            },
        };
        let off = c.get(2).map_or("", |o| o.as_str());
        Some(
            base.plus_offset(off)
                .map(|m| m.to_string())
                .map_err(|e| format!("{{{expr}}}: {e}")),
        )
    }

    fn resolve(&self, text: &str) -> Result<String, String> {
        static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"\{([A-Za-z][A-Za-z0-9_.+\- ]*)\}").expect("static regex")
        });
        let mut err = None;
        let out = RE.replace_all(text, |c: &regex::Captures| {
            let inner = c[1].trim();
            if let Some(r) = self.month_expr(inner, None) {
                return r.unwrap_or_else(|e| {
                    err.get_or_insert(e);
                    String::new()
                });
            }
            let (r, field) = match inner.split_once('.') {
                Some(x) => x,
                None => {
                    err.get_or_insert(format!(
                        "unknown placeholder {{{inner}}}: use {{M}}, {{S-3}}, {{TD-P-01.Identifikator}} or {{TD-ORG-02.S-16}}"
                    ));
                    return String::new();
                }
            };
            let Some(td) = self.wb.testdata(r.trim()) else {
                err.get_or_insert(format!("{{{inner}}} refers to {r:?}, which is not a Ref in the Testdata sheet"));
                return String::new();
            };
            if let Some(res) = self.month_expr(field, Some(td)) {
                return res.unwrap_or_else(|e| {
                    err.get_or_insert(e);
                    String::new()
                });
            }
            td.field(field).unwrap_or_else(|| {
                err.get_or_insert(format!("{{{inner}}}: {r} has no value in column {field:?}"));
                String::new()
            })
        });
        match err {
            Some(e) => Err(e),
            None => Ok(out.into_owned()),
        }
    }
}

fn problem(wb: &Workbook, step: &CaseStep, column: &str, message: String, hint: &str) -> Problem {
    let location = step
        .cell(column)
        .map(|c| c.a1())
        .unwrap_or_else(|| format!("Testcaser row {}", step.row + 1));
    Problem {
        severity: Severity::Error,
        file: wb.path.display().to_string(),
        location,
        message,
        hint: hint.to_string(),
    }
}

fn get<'a>(inputs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    inputs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn query(inputs: &[(String, String)], keys: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .filter_map(|k| get(inputs, k).map(|v| (k.to_string(), v.to_string())))
        .collect()
}

fn need<'a>(op: &str, inputs: &'a [(String, String)], k: &str) -> Result<&'a str, String> {
    get(inputs, k).ok_or_else(|| format!("{op} needs the input {k}=… in Inndata"))
}

/// The JSON body of a Tjenestepensjonsavtale write: `body=` as given, else built from the inputs.
fn write_body(
    op: &str,
    inputs: &[(String, String)],
    with_dates: bool,
) -> Result<serde_json::Value, String> {
    if let Some(b) = get(inputs, "body") {
        return serde_json::from_str(b).map_err(|e| format!("body= is not valid JSON: {e}"));
    }
    let mut m = serde_json::Map::new();
    m.insert(
        "avtalereferanse".into(),
        need(op, inputs, "avtalereferanse")?.into(),
    );
    if with_dates {
        m.insert("fraOgMed".into(), need(op, inputs, "fraOgMed")?.into());
        if let Some(t) = get(inputs, "tilOgMed") {
            m.insert("tilOgMed".into(), t.into());
        }
    }
    m.insert(
        "opplysningspliktig".into(),
        serde_json::json!({ "norskIdentifikator": need(op, inputs, "opplysningspliktig")? }),
    );
    Ok(serde_json::Value::Object(m))
}

/// One of the two Aa-reg OTP GraphQL queries.
fn aareg_call(op: &str, inputs: &[(String, String)]) -> Result<Call, String> {
    let mut vars = serde_json::Map::new();
    vars.insert(
        "opplysningspliktigId".into(),
        need(op, inputs, "opplysningspliktigId")?.into(),
    );
    let q = if op == "finnArbeidsforholdPrArbeidstaker" {
        vars.insert(
            "arbeidstakerId".into(),
            need(op, inputs, "arbeidstakerId")?.into(),
        );
        AaregQuery::PrArbeidstaker
    } else {
        AaregQuery::OversikterPrOpplysningspliktig
    };
    vars.insert(
        "ansattFraMaaned".into(),
        need(op, inputs, "ansattFraMaaned")?.into(),
    );
    if let Some(t) = get(inputs, "ansattTilMaaned") {
        vars.insert("ansattTilMaaned".into(), t.into());
    }
    Ok(Call::Api(ApiCall::Aareg {
        query: q,
        variables: serde_json::Value::Object(vars),
    }))
}

fn build_call(op: &str, inputs: &[(String, String)]) -> Result<Call, String> {
    let rp = get(inputs, "rettighetspakke").unwrap_or("otp").to_string();
    Ok(match op {
        "token" => Call::Token {
            scope: need(op, inputs, "scope")?.to_string(),
        },
        "POST avtaleforhold" => Call::Api(ApiCall::AvtaleforholdPost {
            rettighetspakke: rp,
            body: write_body(op, inputs, true)?,
        }),
        "DELETE avtaleforhold" => Call::Api(ApiCall::AvtaleforholdDelete {
            rettighetspakke: rp,
            body: write_body(op, inputs, false)?,
        }),
        "GET avtaleforhold/gyldighet" => Call::Api(ApiCall::AvtaleforholdGyldighet {
            rettighetspakke: rp,
            query: query(
                inputs,
                &[
                    "opplysningspliktig",
                    "pensjonsinnretning",
                    "fraOgMed",
                    "tilOgMed",
                ],
            ),
        }),
        "GET inntektsmottakere" => Call::Api(ApiCall::InntektsmottakereGet {
            rettighetspakke: rp,
            opplysningspliktig: need(op, inputs, "opplysningspliktig")?.to_string(),
            query: query(inputs, &["fraOgMed", "tilOgMed"]),
        }),
        "GET inntekter" => Call::Api(ApiCall::InntektGet {
            rettighetspakke: rp,
            personidentifikator: need(op, inputs, "personidentifikator")?.to_string(),
            query: query(
                inputs,
                &[
                    "fraOgMed",
                    "tilOgMed",
                    "opplysningspliktig",
                    "virksomhet",
                    "historikk",
                ],
            ),
        }),
        "finnArbeidsforholdoversikterPrOpplysningspliktig" | "finnArbeidsforholdPrArbeidstaker" => {
            aareg_call(op, inputs)?
        }
        other => return Err(format!("unknown operation {other:?}")),
    })
}

fn auth_mode(inputs: &[(String, String)]) -> Result<AuthMode, String> {
    match get(inputs, "auth") {
        None => Ok(AuthMode::Normal),
        Some(a) => match a.trim() {
            "none" | "ingen" => Ok(AuthMode::None),
            "expired" | "utløpt" => Ok(AuthMode::Expired),
            s => match s.strip_prefix("scope:") {
                Some(sc) => Ok(AuthMode::Scope(sc.trim().to_string())),
                None => Err(format!(
                    "auth={s} is unknown: use auth=none, auth=expired or auth=scope:<scope>"
                )),
            },
        },
    }
}

/// Build the plan. `Err` carries every problem found.
/// Plan the workbook's cases; every problem is collected, each with its cell.
pub fn build(wb: &Workbook, opts: &PlanOptions) -> Result<Plan, Vec<Problem>> {
    let today = opts
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let m = YearMonth::recent_complete(today);
    let main = wb.testdata.iter().find(|t| {
        crate::workbook::normalise(&t.kind) == "opplysningspliktig" && t.avtalereferanse.is_some()
    });
    let resolver = Resolver { wb, m, main };
    let mut months = BTreeMap::new();
    months.insert("M".to_string(), m.to_string());
    if let Some(t) = main {
        months.insert("S".to_string(), resolver.s_of(t).to_string());
    }
    let mut p = Planner {
        wb,
        resolver,
        main,
        problems: Vec::new(),
        assertions: AssertionCache::new(),
    };
    p.check_selectors(opts);
    let cases: Vec<PlannedCase> = wb.cases.iter().map(|c| p.case(c, opts)).collect();
    if !p.problems.is_empty() {
        return Err(p.problems);
    }
    Ok(Plan {
        cases: order_cases(cases, main),
        months,
        main_employer: main.map(|m| m.identifikator.clone()),
    })
}

/// Plans cases and collects the problems.
struct Planner<'a> {
    wb: &'a Workbook,
    resolver: Resolver<'a>,
    main: Option<&'a crate::workbook::TestData>,
    problems: Vec<Problem>,
    /// Each distinct assertion line parsed, and each `matches /…/` pattern compiled, once per plan.
    assertions: AssertionCache,
}

impl Planner<'_> {
    fn inndata(&mut self, st: &CaseStep, case: &str, e: impl std::fmt::Display, hint: &str) {
        self.problems.push(problem(
            self.wb,
            st,
            "Inndata",
            format!("case {case}: {e}"),
            hint,
        ));
    }

    /// `--only` and `--skip` must name cases of the workbook.
    fn check_selectors(&mut self, opts: &PlanOptions) {
        let known: Vec<String> = self
            .wb
            .cases
            .iter()
            .map(|c| c.id.to_ascii_uppercase())
            .collect();
        for sel in opts.only.iter().chain(opts.skip.iter()) {
            if !known.contains(&sel.to_ascii_uppercase()) {
                self.problems.push(Problem {
                    severity: Severity::Error,
                    file: self.wb.path.display().to_string(),
                    location: String::new(),
                    message: format!(
                        "--only/--skip names {sel:?}, which is not a Testcase-ID in the workbook"
                    ),
                    hint: format!("known ids: {}", known.join(", ")),
                });
            }
        }
    }

    fn case(&mut self, case: &crate::workbook::Case, opts: &PlanOptions) -> PlannedCase {
        let selected = (opts.only.is_empty()
            || opts.only.iter().any(|o| o.eq_ignore_ascii_case(&case.id)))
            && !opts.skip.iter().any(|o| o.eq_ignore_ascii_case(&case.id))
            && (!opts.mandatory_only || case.mandatory);
        let steps: Vec<PlannedStep> = case
            .steps
            .iter()
            .filter_map(|st| self.step(&case.id, st))
            .collect();
        let api = case
            .api
            .unwrap_or_else(|| steps.first().map(|s| s.api).unwrap_or(Api::Tverrgaaende));
        let expects_auth_failure = !steps.is_empty()
            && steps.iter().all(|s| {
                s.expectation.expects_class(4)
                    && s.expectation.alternatives.iter().all(|a| {
                        a.status.is_some_and(|st| {
                            matches!(st, super::expect::StatusMatch::Exact(401 | 403))
                        })
                    })
            });
        PlannedCase {
            id: case.id.clone(),
            api,
            operation: steps
                .first()
                .map(|s| s.operation.clone())
                .unwrap_or_default(),
            description: case.beskrivelse.clone(),
            mandatory: case.mandatory,
            selected,
            expects_auth_failure,
            depends_on: None,
            steps,
        }
    }

    /// One step, or `None` (with the problem recorded) when it cannot be planned.
    fn step(&mut self, case: &str, st: &CaseStep) -> Option<PlannedStep> {
        let Some((op, api)) = operation(&st.operation) else {
            let ops: Vec<&str> = OPERATIONS.iter().map(|(o, _)| *o).collect();
            self.problems.push(problem(
                self.wb,
                st,
                "Operasjon",
                format!("case {case}: unknown operation {:?}", st.operation),
                &format!("write one of: {}", ops.join(", ")),
            ));
            return None;
        };
        let inputs = self.inputs(case, st)?;
        let expectation = match Expectation::parse(&st.expected_http, &st.expected_code) {
            Ok(e) => e,
            Err(e) => {
                let col = if st.expected_code.trim().is_empty() {
                    "Forventet HTTP-status"
                } else {
                    "Forventet feilkode"
                };
                self.problems
                    .push(problem(self.wb, st, col, format!("case {case}: {e}"), ""));
                return None;
            }
        };
        let assertions = self.assertions(case, st);
        let auth = auth_mode(&inputs)
            .map_err(|e| self.inndata(st, case, e, ""))
            .ok()?;
        let call = build_call(op, &inputs)
            .map_err(|e| self.inndata(st, case, e, ""))
            .ok()?;
        self.protect_main_agreement(case, st, &call);
        let wait_lifetime = self.wait_lifetime(case, st, &inputs);
        Some(PlannedStep {
            step: st.step,
            operation: op.to_string(),
            api,
            call,
            auth,
            expectation,
            assertions,
            inputs,
            wait_lifetime,
        })
    }

    /// The step's inputs with every placeholder resolved; `None` when Inndata does not parse.
    fn inputs(&mut self, case: &str, st: &CaseStep) -> Option<Vec<(String, String)>> {
        let raw = parse_inputs(&st.inputs)
            .map_err(|e| self.inndata(st, case, e, ""))
            .ok()?;
        let mut v = Vec::new();
        for (k, val) in raw {
            match self.resolver.resolve(&val) {
                Ok(r) => v.push((k, r)),
                Err(e) => self.inndata(st, case, e, ""),
            }
        }
        Some(v)
    }

    fn assertions(&mut self, case: &str, st: &CaseStep) -> Vec<Assertion> {
        let mut out = Vec::new();
        for line in st
            .assertions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let assertions = &mut self.assertions;
            match self
                .resolver
                .resolve(line)
                .and_then(|l| assertions.parse(&l))
            {
                Ok(a) => out.push(a),
                Err(e) => self.problems.push(problem(
                    self.wb,
                    st,
                    "Forventede nøkkelfelt",
                    format!("case {case}: {e}"),
                    "",
                )),
            }
        }
        out
    }

    /// Never delete the institution's main agreement (the one Skatteetaten set up for the data set).
    fn protect_main_agreement(&mut self, case: &str, st: &CaseStep, call: &Call) {
        let (Call::Api(ApiCall::AvtaleforholdDelete { body, .. }), Some(main)) = (call, self.main)
        else {
            return;
        };
        let org = body
            .pointer("/opplysningspliktig/norskIdentifikator")
            .and_then(|v| v.as_str());
        let r = body.get("avtalereferanse").and_then(|v| v.as_str());
        if org == Some(main.identifikator.as_str()) && r == main.avtalereferanse.as_deref() {
            let e = format!(
                "deletes the main agreement {} of {}",
                r.unwrap_or(""),
                main.r#ref
            );
            self.inndata(
                st,
                case,
                e,
                "agreement deletes run on the spare employer (ORG-B) with a throw-away reference only",
            );
        }
    }

    fn wait_lifetime(&mut self, case: &str, st: &CaseStep, inputs: &[(String, String)]) -> bool {
        match get(inputs, "vent") {
            None => false,
            Some("expires_in") => true,
            Some(other) => {
                self.inndata(
                    st,
                    case,
                    format!("vent={other} is unknown"),
                    "write vent=expires_in to let the token's lifetime pass before the step",
                );
                false
            }
        }
    }
}

/// Agreement registration on the main employer first; the APIs that need the agreement depend on it.
fn order_cases(
    cases: Vec<PlannedCase>,
    main: Option<&crate::workbook::TestData>,
) -> Vec<PlannedCase> {
    let is_registration = |c: &PlannedCase| {
        c.steps.first().is_some_and(|s| match (&s.call, main) {
            (Call::Api(ApiCall::AvtaleforholdPost { body, .. }), Some(m)) => {
                body.pointer("/opplysningspliktig/norskIdentifikator")
                    .and_then(|v| v.as_str())
                    == Some(m.identifikator.as_str())
                    && s.auth == AuthMode::Normal
            }
            _ => false,
        })
    };
    let (mut ordered, rest): (Vec<PlannedCase>, Vec<PlannedCase>) =
        cases.into_iter().partition(is_registration);
    let reg_id = ordered.iter().find(|c| c.selected).map(|c| c.id.clone());
    for mut c in rest {
        if matches!(c.api, Api::Inntekt | Api::Inntektsmottakere | Api::AaregOtp)
            && !c.expects_auth_failure
        {
            c.depends_on = reg_id.clone();
        }
        ordered.push(c);
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs() {
        let v = parse_inputs("a=1; b = 2\nc=x=y").unwrap();
        assert_eq!(
            v,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("c".into(), "x=y".into())
            ]
        );
        let v = parse_inputs("auth=none; body={\"ugyldig\": \"a;b\"}").unwrap();
        assert_eq!(v[1], ("body".into(), "{\"ugyldig\": \"a;b\"}".into()));
        let v = parse_inputs("body={\"ugyldig\": true}\nauth=expired").unwrap();
        assert_eq!(
            v,
            vec![
                ("body".into(), "{\"ugyldig\": true}".into()),
                ("auth".into(), "expired".into())
            ]
        );
        assert!(parse_inputs("novalue").is_err());
    }

    #[test]
    fn a_bad_pattern_repeated_in_cases_is_reported_at_each_cell() {
        let mut wb = crate::workbook::mapping::bundled().expect("the bundled workbook reads");
        let bad = "$.a matches /([/";
        let mut cells = Vec::new();
        for case in wb.cases.iter_mut().filter(|c| c.steps.len() == 1).take(2) {
            case.steps[0].assertions = bad.to_string();
            let cell = case.steps[0]
                .cell(crate::workbook::headers::TC_ASSERTIONS)
                .expect("the bundled workbook has the column");
            cells.push(cell.a1());
        }
        assert_eq!(cells.len(), 2);
        let problems = build(&wb, &PlanOptions::default()).unwrap_err();
        let found: Vec<&str> = problems
            .iter()
            .filter(|p| p.message.contains("bad regular expression"))
            .map(|p| p.location.as_str())
            .collect();
        assert_eq!(found, cells, "{problems:#?}");
    }
}
