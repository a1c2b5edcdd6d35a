//! Inntekt API: `GET /inntekt/v1/{rettighetspakke}/{personidentifikator}/inntekter` (`skatteetaten-apis.md` §2).

use super::data::{DataSet, IncomeItem};
use super::skatteetaten::{admit, feil, switched, SkeApi};
use super::state::SimState;
use super::NoIncomeCode;
use crate::ids::{is_valid_orgnr, is_valid_person_id};
use crate::months::YearMonth;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

const API: SkeApi = SkeApi::Inntekt;

pub async fn get(
    State(st): State<Arc<SimState>>,
    Path((rp, pid)): Path<(String, String)>,
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
    if !is_valid_person_id(&pid) {
        return feil(API, "IM-006", "Ugyldig personidentifikator", &headers);
    }
    let Some(fra) = q.get("fraOgMed") else {
        return feil(
            API,
            "IM-006",
            "Obligatorisk parameter 'fraOgMed' mangler",
            &headers,
        );
    };
    let Ok(fra) = fra.parse::<YearMonth>() else {
        return feil(
            API,
            "IM-006",
            "Ugyldig verdi for 'fraOgMed' (forventet YYYY-MM)",
            &headers,
        );
    };
    let til = match q.get("tilOgMed") {
        None => st.current_month(),
        Some(t) => match t.parse::<YearMonth>() {
            Ok(t) => t,
            Err(_) => {
                return feil(
                    API,
                    "IM-006",
                    "Ugyldig verdi for 'tilOgMed' (forventet YYYY-MM)",
                    &headers,
                )
            }
        },
    };
    if til < fra {
        return feil(API, "IM-006", "'tilOgMed' er før 'fraOgMed'", &headers);
    }
    let Some(opplysningspliktig) = q.get("opplysningspliktig") else {
        return feil(
            API,
            "IM-006",
            "Parameter 'opplysningspliktig' er påkrevd for rettighetspakke otp",
            &headers,
        );
    };
    if !is_valid_orgnr(opplysningspliktig) {
        return feil(
            API,
            "IM-006",
            "Ugyldig verdi for 'opplysningspliktig'",
            &headers,
        );
    }
    if fra < super::rules::EARLIEST_VIRKNING && st.cfg.switches.is("before_floor", "400:IM-006") {
        return feil(
            API,
            "IM-006",
            "Tidligste tillatte måned er 2020-01",
            &headers,
        );
    }
    let virkning = st.virkningsperiode(&caller.institution, opplysningspliktig);
    if !super::rules::missing(&virkning, fra, til).is_empty() {
        return switched(
            &st,
            "outside_agreement",
            "Perioden er utenfor virkningsperioden for avtaleforholdet med opplysningspliktig",
            &headers,
        );
    }
    let Some(person) = st.data.person(&pid) else {
        return feil(
            API,
            "IM-007",
            "Fant ingen treff på personidentifikator",
            &headers,
        );
    };
    let months: Vec<YearMonth> = YearMonth::range(fra, til).collect();
    if person.shielded && st.cfg.switches.is("shielded_inntekt", "top_level") {
        // Only the call's parameters and the flag (the "fully shielded response" of the documentation).
        return (
            StatusCode::OK,
            Json(json!({
                "personidentifikator": pid,
                "fraOgMed": fra.to_string(),
                "tilOgMed": til.to_string(),
                "skjermet": true,
            })),
        )
            .into_response();
    }
    if person.shielded {
        let elements: Vec<Value> = months
            .iter()
            .filter(|m| person.employer == *opplysningspliktig && st.data.reported_in(person, **m))
            .map(|m| {
                json!({
                    "kalendermaaned": m.to_string(),
                    "inntektsmottaker": { "personidentifikator": pid },
                    "skjermet": true,
                })
            })
            .collect();
        if !elements.is_empty() {
            return (
                StatusCode::OK,
                Json(json!({ "oppgaveInntektsmottaker": elements })),
            )
                .into_response();
        }
    }
    let elements = if person.shielded {
        Vec::new()
    } else {
        oppgaver(&st.data, &pid, opplysningspliktig, &months)
    };
    if elements.is_empty() {
        return match st.cfg.no_income_code {
            NoIncomeCode::Im008 => feil(
                API,
                "IM-008",
                "Fant ingen inntektsopplysninger for gitt personidentifikator og periode",
                &headers,
            ),
            NoIncomeCode::Im010 => feil(
                API,
                "IM-010",
                "Fant ingen informasjon for gitt identifikator og periode",
                &headers,
            ),
        };
    }
    (
        StatusCode::OK,
        Json(json!({ "oppgaveInntektsmottaker": elements })),
    )
        .into_response()
}

fn inntekt_json(i: &IncomeItem) -> Value {
    let mut detail = json!({ "beskrivelse": i.beskrivelse });
    if let Some(a) = i.antall {
        detail["antall"] = json!(a);
    }
    let mut v = json!({
        "fordel": "kontantytelse",
        "beloep": i.beloep,
        "utloeserArbeidsgiveravgift": i.utloeser_aga,
        "inngaarIGrunnlagForTrekk": true,
    });
    v[i.kind] = detail;
    v
}

/// One element per (payer, month) with income: the queried employer's, plus X* kinds from other payers.
pub fn oppgaver(
    data: &DataSet,
    pid: &str,
    opplysningspliktig: &str,
    months: &[YearMonth],
) -> Vec<Value> {
    let Some(person) = data.person(pid) else {
        return Vec::new();
    };
    if person.employer != opplysningspliktig {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in months {
        let items = data.income(person, *m);
        let mut payers: Vec<&str> = items.iter().map(|i| i.payer.as_str()).collect();
        payers.dedup();
        for payer in payers {
            let mine: Vec<&IncomeItem> = items.iter().filter(|i| i.payer == payer).collect();
            let virksomhet = mine
                .first()
                .map(|i| i.virksomhet.clone())
                .unwrap_or_default();
            let submitted = m.plus(1).first_day();
            out.push(json!({
                "opplysningspliktigId": payer,
                "virksomhetId": virksomhet,
                "kalendermaaned": m.to_string(),
                "inntektsmottaker": { "personidentifikator": pid },
                "inntekt": mine.iter().map(|i| inntekt_json(i)).collect::<Vec<_>>(),
                "oppsummeringstidspunkt": format!("{}T10:15:00Z", submitted.checked_add_days(chrono::Days::new(4)).unwrap_or(submitted)),
            }));
        }
    }
    out
}
