//! NAV Aa-registeret "Arbeidsforholdsopplysninger – OTP API": GraphQL over one POST endpoint.
//! Errors arrive as HTTP 200 with `errors[].extensions.errormessages[].code` (an array, or an object).

use super::{AaregQuery, ApiCall, Endpoints, Exchange};

/// The overview per employer (`docs/service.md` §6).
pub const OVERSIKTER_QUERY: &str = "query($opplysningspliktigId: ID!, $ansattFraMaaned: String!, $ansattTilMaaned: String) { finnArbeidsforholdoversikterPrOpplysningspliktig(opplysningspliktigId: $opplysningspliktigId, ansattFraMaaned: $ansattFraMaaned, ansattTilMaaned: $ansattTilMaaned) { arbeidsforholdoversikter { id arbeidstaker { ident } yrke { kode beskrivelse } idHistorikk { id } sistEndret } } }";

/// Details per employee (`docs/service.md` §6).
pub const PR_ARBEIDSTAKER_QUERY: &str = "query($opplysningspliktigId: ID!, $arbeidstakerId: ID!, $ansattFraMaaned: String!, $ansattTilMaaned: String) { finnArbeidsforholdPrArbeidstaker(opplysningspliktigId: $opplysningspliktigId, arbeidstakerId: $arbeidstakerId, ansattFraMaaned: $ansattFraMaaned, ansattTilMaaned: $ansattTilMaaned) { arbeidsforhold { id uuid type { kode beskrivelse } arbeidstaker { ident } arbeidssted { type ident } opplysningspliktig { type ident } ansettelsesperiode { startdato sluttdato sluttaarsak { kode beskrivelse } varsling { kode beskrivelse } } ansettelsesdetaljer { type arbeidstidsordning { kode beskrivelse } ansettelsesform { kode beskrivelse } yrke { kode beskrivelse } antallTimerPrUke avtaltStillingsprosent sisteStillingsprosentendring sisteLoennsendring rapporteringsmaaneder { fra til } } permisjoner { id type { kode beskrivelse } startdato sluttdato prosent varsling { kode beskrivelse } } permitteringer { id type { kode beskrivelse } startdato sluttdato prosent varsling { kode beskrivelse } } timerMedTimeloenn { antall startdato sluttdato rapporteringsmaaned } idHistorikk { id } varsler { entitet varsling { kode beskrivelse } } opprettet sistBekreftet sistEndret } } }";

pub fn query_text(q: AaregQuery) -> &'static str {
    match q {
        AaregQuery::OversikterPrOpplysningspliktig => OVERSIKTER_QUERY,
        AaregQuery::PrArbeidstaker => PR_ARBEIDSTAKER_QUERY,
    }
}

pub fn build(
    http: &reqwest::Client,
    ep: &Endpoints,
    call: &ApiCall,
    correlation_id: &str,
) -> reqwest::RequestBuilder {
    let ApiCall::Aareg { query, variables } = call else {
        unreachable!("aareg::build called with {call:?}")
    };
    http.post(&ep.aareg)
        .header("correlation-id", correlation_id)
        .header("Accept", "application/json")
        .json(&serde_json::json!({ "query": query_text(*query), "variables": variables }))
}

/// Read the GraphQL `errors` list into the exchange's codes.
pub fn parse_errors(ex: &mut Exchange) {
    let Some(errors) = ex
        .body
        .as_ref()
        .and_then(|b| b.get("errors"))
        .and_then(|e| e.as_array())
    else {
        return;
    };
    ex.graphql_errors = !errors.is_empty();
    for e in errors {
        let msgs = e.pointer("/extensions/errormessages");
        let list: Vec<&serde_json::Value> = match msgs {
            Some(serde_json::Value::Array(a)) => a.iter().collect(),
            Some(o @ serde_json::Value::Object(_)) => vec![o],
            _ => vec![],
        };
        for m in list {
            if let Some(c) = m.get("code").and_then(|c| c.as_str()) {
                ex.error_codes.push(c.to_string());
            }
        }
    }
    ex.error_code = ex.error_codes.first().cloned();
}
