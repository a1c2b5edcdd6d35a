//! Simulator administration under `/_sim/` (unauthenticated: the simulator listens on a local address):
//! `GET /_sim/log`, `GET /_sim/switches`, `GET /_sim/agreements`, `POST /_sim/clients`, `POST /_sim/delegations`,
//! `POST /_sim/system-users`, `POST /_sim/clock`, `POST /_sim/scope-grants`, `GET /_sim/in-flight`,
//! `POST /_sim/rotate-key`.

use super::state::{Delegation, SimState, SystemUser};
use super::{ClientAuth, SimClient};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/_sim/log", get(log))
        .route("/_sim/agreements", get(agreements))
        .route("/_sim/clients", post(register_client))
        .route("/_sim/delegations", post(register_delegation))
        .route("/_sim/system-users", post(register_system_user))
        .route("/_sim/clock", post(clock))
        .route("/_sim/scope-grants", post(scope_grant))
        .route("/_sim/in-flight", get(in_flight))
        .route("/_sim/rotate-key", post(rotate_key))
        .route("/_sim/switches", get(switches))
}

/// `GET /_sim/switches`: every switch with its current value (docs/simulator.md §15).
async fn switches(State(st): State<Arc<SimState>>) -> Response {
    let map: serde_json::Map<String, serde_json::Value> = super::SWITCHES
        .iter()
        .map(|d| (d.name.to_string(), json!(st.cfg.switches.get(d.name))))
        .collect();
    Json(map).into_response()
}

async fn log(State(st): State<Arc<SimState>>) -> Response {
    Json(st.lock().log.clone()).into_response()
}

async fn agreements(State(st): State<Arc<SimState>>) -> Response {
    Json(st.lock().agreements.clone()).into_response()
}

/// Body of `POST /_sim/clients`: either `trusted_ca_pem` (or `trusted_ca_der_base64`) or `kid` + `public_key_pem`.
#[derive(Deserialize)]
struct ClientBody {
    client_id: String,
    orgnr: String,
    scopes: Vec<String>,
    trusted_ca_pem: Option<String>,
    trusted_ca_der_base64: Option<String>,
    kid: Option<String>,
    public_key_pem: Option<String>,
}

fn bad(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

async fn register_client(State(st): State<Arc<SimState>>, body: Json<ClientBody>) -> Response {
    let b = body.0;
    let auth = match (b.trusted_ca_pem, b.trusted_ca_der_base64, b.kid, b.public_key_pem) {
        (Some(pem), None, None, None) => match pem_to_der(&pem) {
            Some(der) => ClientAuth::X5c { trusted_ca_der: der },
            None => return bad("trusted_ca_pem is not a PEM certificate"),
        },
        (None, Some(b64), None, None) => match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
            Ok(der) => ClientAuth::X5c { trusted_ca_der: der },
            Err(_) => return bad("trusted_ca_der_base64 is not base64"),
        },
        (None, None, Some(kid), Some(public_key_pem)) => ClientAuth::Kid { kid, public_key_pem },
        _ => return bad("give either trusted_ca_pem / trusted_ca_der_base64, or kid together with public_key_pem"),
    };
    if !crate::ids::is_valid_orgnr(&b.orgnr) {
        return bad("orgnr is not a valid organisation number");
    }
    let client = SimClient {
        client_id: b.client_id.clone(),
        orgnr: b.orgnr,
        scopes: b.scopes,
        auth,
    };
    st.register_client(client);
    StatusCode::NO_CONTENT.into_response()
}

async fn register_delegation(
    State(st): State<Arc<SimState>>,
    Json(d): Json<Delegation>,
) -> Response {
    {
        let mut inner = st.lock();
        if !inner.delegations.contains(&d) {
            inner.delegations.push(d);
        }
    }
    st.save_state();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct SystemUserBody {
    customer_org: String,
    vendor_org: String,
}

async fn register_system_user(
    State(st): State<Arc<SimState>>,
    Json(b): Json<SystemUserBody>,
) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    st.lock().system_users.push(SystemUser {
        system_id: format!("{}_dsop_harness", b.vendor_org),
        customer_org: b.customer_org,
        vendor_org: b.vendor_org,
        system_user_id: id.clone(),
    });
    st.save_state();
    Json(json!({ "systemuser_id": id })).into_response()
}

#[derive(Deserialize)]
struct ClockBody {
    advance_secs: i64,
}

async fn clock(State(st): State<Arc<SimState>>, Json(b): Json<ClockBody>) -> Response {
    st.advance(b.advance_secs);
    Json(json!({ "now": st.now() })).into_response()
}

/// Body of `POST /_sim/scope-grants`: `granted: false` revokes (MP-250), `true` grants again.
#[derive(Deserialize)]
struct ScopeGrantBody {
    consumer: String,
    scope: String,
    granted: bool,
}

async fn scope_grant(State(st): State<Arc<SimState>>, Json(b): Json<ScopeGrantBody>) -> Response {
    st.set_scope_grant(&b.consumer, &b.scope, b.granted);
    StatusCode::NO_CONTENT.into_response()
}

async fn in_flight(State(st): State<Arc<SimState>>) -> Response {
    let rows: Vec<_> = st
        .limiter
        .all()
        .into_iter()
        .map(|(api, consumer, s)| {
            json!({
                "api": api, "consumer": consumer, "current": s.current, "max": s.max,
                "admitted": s.admitted, "refused": s.refused,
            })
        })
        .collect();
    Json(rows).into_response()
}

async fn rotate_key(State(st): State<Arc<SimState>>) -> Response {
    let st2 = st.clone();
    match tokio::task::spawn_blocking(move || st2.rotate_key()).await {
        Ok(Ok(kid)) => Json(json!({ "kid": kid })).into_response(),
        Ok(Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}
