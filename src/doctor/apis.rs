//! One call per API that cannot change anything: every request fails validation on purpose (an invalid
//! organisation or person number, a Tjenestepensjonsavtale body without its required fields). A 400 means
//! "reachable, access not proven"; a 401/403 is an access problem.
//!
//! In prod nothing that could write is sent: Tjenestepensjonsavtale has only the avtaleforhold POST (and
//! DELETE), so its call is left out and the table says so; its host is still probed by the network checks.

use super::tokens::ScopeToken;
use super::{Check, CheckStatus, DoctorOptions, Group, Target, Who};
use crate::apis::{AaregQuery, ApiCall, ApiClient, Credentials, Exchange};
use crate::model::{Api, Delegation};

/// A 9-digit number that fails the mod-11 check (never anyone's organisation number).
pub const INVALID_ORGNR: &str = "123456789";
/// An 11-digit number that fails the fødselsnummer checks (never anyone's).
pub const INVALID_PID: &str = "12345678901";

/// The harmless call for each API.
pub fn harmless_calls() -> Vec<(Api, ApiCall)> {
    vec![
        (
            Api::Tjenestepensjonsavtale,
            // Missing avtalereferanse, fraOgMed and opplysningspliktig: refused by validation, registers nothing.
            ApiCall::AvtaleforholdPost {
                rettighetspakke: "otp".into(),
                body: serde_json::json!({}),
            },
        ),
        (
            Api::Inntektsmottakere,
            ApiCall::InntektsmottakereGet {
                rettighetspakke: "otp".into(),
                opplysningspliktig: INVALID_ORGNR.into(),
                query: vec![],
            },
        ),
        (
            Api::Inntekt,
            ApiCall::InntektGet {
                rettighetspakke: "otp".into(),
                personidentifikator: INVALID_PID.into(),
                query: vec![],
            },
        ),
        (
            Api::AaregOtp,
            ApiCall::Aareg {
                query: AaregQuery::OversikterPrOpplysningspliktig,
                variables: serde_json::json!({
                    "opplysningspliktigId": INVALID_ORGNR,
                    "ansattFraMaaned": "2000-01",
                }),
            },
        ),
    ]
}

fn agency(api: Api) -> Who {
    if api == Api::AaregOtp {
        Who::Nav
    } else {
        Who::Skatteetaten
    }
}

/// Judge one exchange.
pub fn judge(c: Check, api: Api, ex: &Exchange, d: Delegation) -> Check {
    let code = ex
        .error_code
        .clone()
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    if let Some(t) = &ex.transport {
        return c.fail(
            format!("no answer from {}: {}", ex.url, t.message),
            "see the network checks (A-7 firewall opening for this host)",
            Some(Who::OwnIt),
        );
    }
    let access_action = match d {
        Delegation::None => format!(
            "B-6: the token is valid but {} refuses it: ask Bits whether test access to {} is in place for the \
             institution",
            api.label(crate::model::Lang::Nb),
            api.label(crate::model::Lang::Nb)
        ),
        _ => format!(
            "B-6/B-7: {} refuses the vendor's token: ask Bits whether access is in place for the institution, and \
             check the institution's delegation to the vendor in Altinn",
            api.label(crate::model::Lang::Nb)
        ),
    };
    match ex.status {
        None => c.fail("no HTTP status", "see the network checks", Some(Who::OwnIt)),
        Some(401) => c.fail(
            format!("HTTP 401{code}: the token is not accepted (access problem)"),
            access_action,
            Some(Who::Bits),
        ),
        Some(403) => c.fail(
            format!("HTTP 403{code}: access refused (access problem)"),
            access_action,
            Some(Who::Bits),
        ),
        Some(400) => c.pass(format!(
            "reachable, access not proven (HTTP 400{code} to a request that fails validation on purpose)"
        )),
        Some(404) if ex.error_code.is_none() && !ex.graphql_errors => c.fail(
            format!("HTTP 404 without an error code at {}: the path is wrong", ex.url),
            "fix the path template in [profile.<env>] (two Skatteetaten paths are inferred; see docs/doctor.md)",
            Some(Who::OwnIt),
        ),
        Some(429) => c.warn(
            "HTTP 429: rate limited".to_string(),
            "wait a minute and run doctor again",
            None,
        ),
        Some(s) if s >= 500 => c.fail(
            format!("HTTP {s}{code}: the agency's service failed"),
            "try again later; if it persists, report it with the correlation id to the agency",
            Some(agency(api)),
        ),
        Some(s) if ex.graphql_errors => {
            let access = ex.error_codes.iter().any(|c| c.starts_with("AA-1"));
            let codes = ex.error_codes.join(", ");
            if access {
                c.fail(
                    format!("HTTP {s}, GraphQL errors {codes}: access problem"),
                    access_action,
                    Some(Who::Bits),
                )
            } else {
                c.pass(format!(
                    "reachable, access not proven (HTTP {s}, GraphQL validation errors {codes} as intended)"
                ))
            }
        }
        Some(s) => c.pass(format!("reachable (HTTP {s}{code})")),
    }
}

pub async fn checks(t: &Target, tokens: &[ScopeToken], opts: &DoctorOptions) -> Vec<Check> {
    let d = t.cfg.delegation().unwrap_or_default();
    let client = ApiClient::new(t.http.clone(), t.endpoints.clone(), None);
    let consumer = t.institution.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (api, call) in harmless_calls() {
        let label = api.label(crate::model::Lang::Nb);
        let c = Check::new(
            Group::Apis,
            format!("apis.{}", api_id(api)),
            format!("Call {label}"),
        );
        if t.env == crate::config::Env::Prod && call.is_write() {
            out.push(c.skip(format!(
                "not called in prod: {label}'s only call is a {} to avtaleforhold, which could write to \
                 production (doctor sends nothing that could); its host is probed by the network checks (DNS, \
                 TCP, TLS), access is not proven",
                call.method()
            )));
            continue;
        }
        let Some(scope) = api.scope() else { continue };
        let Some(tok) = tokens.iter().find(|t| t.scope == scope) else {
            out.push(c.skip(format!("no token for {scope} (see the token checks)")));
            continue;
        };
        let ex = client
            .send(
                &call,
                &Credentials::Bearer(tok.token.clone()),
                &consumer,
                opts.timeout,
            )
            .await;
        let mut checked = judge(c, api, &ex, d);
        if checked.status != CheckStatus::Pass {
            if let Some(id) = ex.correlation_id_returned.or(ex.correlation_id_sent) {
                checked.detail.push_str(&format!(" [correlation id {id}]"));
            }
        }
        out.push(checked);
    }
    out
}

pub fn api_id(api: Api) -> &'static str {
    match api {
        Api::Tjenestepensjonsavtale => "tjenestepensjonsavtale",
        Api::Inntektsmottakere => "inntektsmottakere",
        Api::Inntekt => "inntekt",
        Api::AaregOtp => "aareg",
        Api::Maskinporten => "maskinporten",
        Api::Tverrgaaende => "cross",
    }
}
