//! Skatteetaten Inntekt API: `GET {base}/{rettighetspakke}/{personidentifikator}/inntekter` (1.7.0).

use super::{fill_template, ApiCall, Endpoints};

pub fn build(
    http: &reqwest::Client,
    ep: &Endpoints,
    call: &ApiCall,
    correlation_id: &str,
) -> reqwest::RequestBuilder {
    let ApiCall::InntektGet {
        rettighetspakke,
        personidentifikator,
        query,
    } = call
    else {
        unreachable!("inntekt::build called with {call:?}")
    };
    let path = fill_template(
        &ep.inntekt_path,
        &[
            ("rettighetspakke", rettighetspakke),
            ("personidentifikator", personidentifikator),
        ],
    );
    http.get(format!("{}{}", ep.inntekt.trim_end_matches('/'), path))
        .query(query)
        .header("Korrelasjonsid", correlation_id)
        .header("Accept", "application/json")
}
