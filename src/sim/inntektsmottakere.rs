//! Inntektsmottakere API:
//! `GET /inntektsmottakere/v1/{rettighetspakke}/{opplysningspliktig}/inntektsmottakere` (`skatteetaten-apis.md` §3).

use super::skatteetaten::{admit, feil, SkeApi};
use super::state::SimState;
use crate::ids::is_valid_orgnr;
use crate::months::YearMonth;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const API: SkeApi = SkeApi::Inntektsmottakere;

pub async fn get(
    State(st): State<Arc<SimState>>,
    Path((rp, org)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (caller, _permit) = match admit(&st, API, &headers).await {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if rp != "otp" {
        return feil(
            API,
            "IM-005",
            &format!("Ingen tilgang til rettighetspakke '{rp}'"),
            &headers,
        );
    }
    if !is_valid_orgnr(&org) {
        return feil(API, "IM-006", "Ugyldig opplysningspliktig", &headers);
    }
    let mut months = [None, None];
    for (i, name) in ["fraOgMed", "tilOgMed"].iter().enumerate() {
        let Some(v) = q.get(*name) else {
            return feil(
                API,
                "IM-006",
                &format!("Obligatorisk parameter '{name}' mangler"),
                &headers,
            );
        };
        match v.parse::<YearMonth>() {
            Ok(m) => months[i] = Some(m),
            Err(_) => {
                return feil(
                    API,
                    "IM-006",
                    &format!("Ugyldig verdi for '{name}' (forventet YYYY-MM)"),
                    &headers,
                )
            }
        }
    }
    let (Some(fra), Some(til)) = (months[0], months[1]) else {
        return feil(API, "IM-006", "Ugyldig periode", &headers);
    };
    if til < fra {
        return feil(API, "IM-006", "'tilOgMed' er før 'fraOgMed'", &headers);
    }
    let avtale = st.avtaleforhold(&caller.institution, &org);
    if avtale.is_empty() {
        return feil(
            API,
            "IM-005",
            "Ingen avtaleforhold med opplysningspliktig",
            &headers,
        );
    }
    if !super::rules::missing(&avtale, fra, til).is_empty() {
        return feil(
            API,
            "IM-005",
            "Perioden er utenfor avtaleforholdet med opplysningspliktig",
            &headers,
        );
    }
    let persons: Vec<_> = st
        .data
        .persons
        .iter()
        .filter(|p| p.employer == org && !p.shielded)
        .filter(|p| YearMonth::range(fra, til).any(|m| st.data.reported_in(p, m)))
        .map(|p| json!({ "personidentifikator": p.id }))
        .collect();
    if persons.is_empty() {
        return feil(API, "IM-007", "Ingen data funnet for angitt søk", &headers);
    }
    let body = json!({
        "opplysningspliktig": { "norskIdentifikator": org },
        "fraOgMed": fra.to_string(),
        "tilOgMed": til.to_string(),
        "inntektsmottaker": persons,
    });
    (StatusCode::OK, Json(body)).into_response()
}
