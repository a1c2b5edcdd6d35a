//! Inntektsmottakere API:
//! `GET /inntektsmottakere/v1/{rettighetspakke}/{opplysningspliktig}/inntektsmottakere` (`skatteetaten-apis.md` §3).

use super::skatteetaten::{admit, feil, switched, SkeApi};
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
        return switched(
            &st,
            "outside_agreement",
            "Ingen avtaleforhold med opplysningspliktig",
            &headers,
        );
    }
    if !super::rules::missing(&avtale, fra, til).is_empty() {
        return switched(
            &st,
            "outside_agreement",
            "Perioden er utenfor avtaleforholdet med opplysningspliktig",
            &headers,
        );
    }
    // `sidenummer` (1-based; the published draft marks it required, the current documentation does not
    // page): absent means page 1. The page size is unknown (switch `page_size`).
    let page = match q.get("sidenummer").map(|s| s.trim().parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            return feil(
                API,
                "IM-006",
                "Ugyldig verdi for 'sidenummer' (forventet et heltall fra 1)",
                &headers,
            )
        }
    };
    let reported: Vec<_> = st
        .data
        .persons
        .iter()
        .filter(|p| p.employer == org)
        .filter(|p| YearMonth::range(fra, til).any(|m| st.data.reported_in(p, m)))
        .collect();
    let any_shielded = reported.iter().any(|p| p.shielded);
    let all: Vec<_> = reported
        .iter()
        .filter(|p| !p.shielded)
        .map(|p| json!({ "personidentifikator": p.id }))
        .collect();
    if all.is_empty() && st.cfg.switches.is("empty_list", "404:IM-007") {
        return feil(API, "IM-007", "Ingen data funnet for angitt søk", &headers);
    }
    let size = (st.cfg.switches.number("page_size") as usize).max(1);
    let persons: Vec<_> = all.into_iter().skip((page - 1) * size).take(size).collect();
    let mut body = json!({
        "opplysningspliktig": { "norskIdentifikator": org },
        "fraOgMed": fra.to_string(),
        "tilOgMed": til.to_string(),
        "inntektsmottaker": persons,
    });
    if any_shielded && st.cfg.switches.is("shielded_list", "flagged") {
        body["skjermet"] = json!(true);
    }
    (StatusCode::OK, Json(body)).into_response()
}
