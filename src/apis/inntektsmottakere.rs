//! Skatteetaten Inntektsmottakere API: `GET {base}/{rettighetspakke}/{opplysningspliktig}/inntektsmottakere`
//! (path under the new host inferred; configurable).

use super::{fill_template, ApiCall, Endpoints};

pub fn build(
    http: &reqwest::Client,
    ep: &Endpoints,
    call: &ApiCall,
    correlation_id: &str,
) -> reqwest::RequestBuilder {
    let ApiCall::InntektsmottakereGet {
        rettighetspakke,
        opplysningspliktig,
        query,
    } = call
    else {
        unreachable!("inntektsmottakere::build called with {call:?}")
    };
    let path = fill_template(
        &ep.inntektsmottakere_path,
        &[
            ("rettighetspakke", rettighetspakke),
            ("opplysningspliktig", opplysningspliktig),
        ],
    );
    http.get(format!(
        "{}{}",
        ep.inntektsmottakere.trim_end_matches('/'),
        path
    ))
    .query(query)
    .header("Korrelasjonsid", correlation_id)
    .header("Accept", "application/json")
}
