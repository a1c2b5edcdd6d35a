//! Tjenestepensjonsavtale API (`skatteetaten-apis.md` §4): `POST`/`DELETE .../{rp}/avtaleforhold` for the `otp`
//! package, and the two `nav`-only validity `GET`s. POST and DELETE change what the other APIs answer next.

use super::data::Agreement;
use super::skatteetaten::{admit, feil, switched, SkeApi};
use super::state::SimState;
use crate::ids::is_valid_orgnr;
use crate::months::YearMonth;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

const API: SkeApi = SkeApi::Tjenestepensjonsavtale;

fn invalid(m: &str, headers: &HeaderMap) -> Response {
    feil(API, "OTP-006", m, headers)
}

fn parse_body(
    body: &[u8],
    allowed: &[&str],
    required: &[&str],
) -> Result<Map<String, Value>, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| "Ugyldig JSON i forespørselen".to_string())?;
    let Value::Object(o) = v else {
        return Err("Forventet et JSON-objekt".into());
    };
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("Ukjent felt '{k}'"));
    }
    if let Some(k) = required.iter().find(|k| !o.contains_key(**k)) {
        return Err(format!("Obligatorisk felt '{k}' mangler"));
    }
    Ok(o)
}

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= 4000 => Ok(Some(s)),
        Some(_) => Err(format!("Feltet '{k}' må være en tekst")),
    }
}

fn month(o: &Map<String, Value>, k: &str) -> Result<Option<YearMonth>, String> {
    match text(o, k)? {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("Ugyldig verdi for '{k}' (forventet YYYY-MM)")),
    }
}

fn employer(o: &Map<String, Value>) -> Result<String, String> {
    let Some(Value::Object(op)) = o.get("opplysningspliktig") else {
        return Err(
            "Feltet 'opplysningspliktig' må være et objekt med 'norskIdentifikator'".into(),
        );
    };
    if let Some(k) = op.keys().find(|k| *k != "norskIdentifikator") {
        return Err(format!("Ukjent felt 'opplysningspliktig.{k}'"));
    }
    let org = text(op, "norskIdentifikator")?
        .ok_or("Obligatorisk felt 'opplysningspliktig.norskIdentifikator' mangler")?;
    if !is_valid_orgnr(org) {
        return Err("Ugyldig organisasjonsnummer i 'opplysningspliktig.norskIdentifikator'".into());
    }
    Ok(org.to_string())
}

/// `POST /{rp}/avtaleforhold`: register, or change (same institution, employer and reference). 200, no body.
pub async fn post(
    State(st): State<Arc<SimState>>,
    Path(rp): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (caller, _permit) = match admit(&st, API, &headers).await {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if rp != "otp" {
        return switched(
            &st,
            "wrong_package",
            &format!("Rettighetspakke '{rp}' kan ikke registrere avtaleforhold"),
            &headers,
        );
    }
    let parsed = (|| -> Result<Agreement, String> {
        let o = parse_body(
            &body,
            &[
                "avtalereferanse",
                "fraOgMed",
                "tilOgMed",
                "opplysningspliktig",
            ],
            &["avtalereferanse", "fraOgMed", "opplysningspliktig"],
        )?;
        let reference = text(&o, "avtalereferanse")?
            .filter(|s| !s.trim().is_empty())
            .ok_or("Tom 'avtalereferanse'")?;
        let fra = month(&o, "fraOgMed")?.ok_or("Obligatorisk felt 'fraOgMed' mangler")?;
        let til = month(&o, "tilOgMed")?;
        if til.is_some_and(|t| t < fra) {
            return Err("'tilOgMed' er før 'fraOgMed'".into());
        }
        Ok(Agreement {
            institution: caller.institution.clone(),
            opplysningspliktig: employer(&o)?,
            avtalereferanse: reference.to_string(),
            fra,
            til,
        })
    })();
    let a = match parsed {
        Ok(a) => a,
        Err(m) => return invalid(&m, &headers),
    };
    {
        let mut inner = st.lock();
        let key = |x: &Agreement| {
            x.institution == a.institution
                && x.opplysningspliktig == a.opplysningspliktig
                && x.avtalereferanse == a.avtalereferanse
        };
        match inner.agreements.iter_mut().find(|x| key(x)) {
            Some(existing) => *existing = a,
            None => inner.agreements.push(a),
        }
    }
    st.save_state();
    StatusCode::OK.into_response()
}

/// `DELETE /{rp}/avtaleforhold` with `{avtalereferanse, opplysningspliktig}`: 200, or 404 OTP-007 when unknown.
pub async fn delete(
    State(st): State<Arc<SimState>>,
    Path(rp): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (caller, _permit) = match admit(&st, API, &headers).await {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if rp != "otp" {
        return switched(
            &st,
            "wrong_package",
            &format!("Rettighetspakke '{rp}' kan ikke slette avtaleforhold"),
            &headers,
        );
    }
    let parsed = (|| -> Result<(String, String), String> {
        let o = parse_body(
            &body,
            &["avtalereferanse", "opplysningspliktig"],
            &["avtalereferanse", "opplysningspliktig"],
        )?;
        let reference =
            text(&o, "avtalereferanse")?.ok_or("Obligatorisk felt 'avtalereferanse' mangler")?;
        Ok((reference.to_string(), employer(&o)?))
    })();
    let (reference, org) = match parsed {
        Ok(x) => x,
        Err(m) => return invalid(&m, &headers),
    };
    let removed = {
        let mut inner = st.lock();
        let before = inner.agreements.len();
        inner.agreements.retain(|x| {
            !(x.institution == caller.institution
                && x.opplysningspliktig == org
                && x.avtalereferanse == reference)
        });
        before != inner.agreements.len()
    };
    if !removed && st.cfg.switches.is("second_delete", "200") {
        return StatusCode::OK.into_response();
    }
    if !removed {
        return feil(
            API,
            "OTP-007",
            "Fant ikke avtaleforhold for gitt avtalereferanse og opplysningspliktig",
            &headers,
        );
    }
    st.save_state();
    StatusCode::OK.into_response()
}

/// The four query parameters of the validity GETs.
fn validity_params(
    q: &HashMap<String, String>,
) -> Result<(String, String, YearMonth, YearMonth), String> {
    let get = |k: &str| {
        q.get(k)
            .ok_or_else(|| format!("Obligatorisk parameter '{k}' mangler"))
    };
    let org = get("opplysningspliktig")?;
    let pi = get("pensjonsinnretning")?;
    for (k, v) in [("opplysningspliktig", org), ("pensjonsinnretning", pi)] {
        if !is_valid_orgnr(v) {
            return Err(format!("Ugyldig verdi for '{k}'"));
        }
    }
    let fra: YearMonth = get("fraOgMed")?
        .parse()
        .map_err(|_| "Ugyldig verdi for 'fraOgMed'".to_string())?;
    let til: YearMonth = get("tilOgMed")?
        .parse()
        .map_err(|_| "Ugyldig verdi for 'tilOgMed'".to_string())?;
    if til < fra {
        return Err("'tilOgMed' er før 'fraOgMed'".into());
    }
    Ok((org.clone(), pi.clone(), fra, til))
}

async fn validity(
    st: Arc<SimState>,
    rp: String,
    q: HashMap<String, String>,
    headers: HeaderMap,
    virkning: bool,
) -> Response {
    let _admitted = match admit(&st, API, &headers).await {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if rp != "nav" {
        return switched(
            &st,
            "wrong_package",
            &format!("Rettighetspakke '{rp}' har ikke tilgang til gyldighetssjekk"),
            &headers,
        );
    }
    let (org, pi, fra, til) = match validity_params(&q) {
        Ok(x) => x,
        Err(m) => return invalid(&m, &headers),
    };
    let avtale = st.avtaleforhold(&pi, &org);
    let (allowed, field) = if virkning {
        (
            super::rules::virkningsperiode(&avtale),
            "maanederUtenforGyldigVirkningsperiode",
        )
    } else {
        (avtale, "maanederUtenGyldigAvtaleforhold")
    };
    let missing = super::rules::missing(&allowed, fra, til);
    let body = if missing.is_empty() {
        json!({ "gyldig": true })
    } else {
        let list: Vec<String> = missing.iter().map(|m| m.to_string()).collect();
        json!({ "gyldig": false, field: { "maaned": list } })
    };
    (StatusCode::OK, Json(body)).into_response()
}

pub async fn gyldighet(
    State(st): State<Arc<SimState>>,
    Path(rp): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    validity(st, rp, q, headers, false).await
}

pub async fn virkningsperiode_gyldighet(
    State(st): State<Arc<SimState>>,
    Path(rp): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    validity(st, rp, q, headers, true).await
}
