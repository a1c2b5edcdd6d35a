//! The axum router: every route of the simulator, plus the middleware that assigns correlation ids,
//! injects faults and writes the request log.

use super::aareg::{self, CORRELATION_ID};
use super::faults::{api_of, FaultAction};
use super::skatteetaten::{feil_with_status, SkeApi, KORRELASJONSID};
use super::state::SimState;
use super::{
    admin, inntekt, inntektsmottakere, maskinporten, tjenestepensjonsavtale, LoggedRequest,
};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub fn router(st: Arc<SimState>) -> Router {
    let schema = Arc::new(aareg::schema());
    let aareg = Router::new()
        .route("/aareg/v1/arbeidsforhold/otp/graphql", post(aareg::graphql))
        .with_state((st.clone(), schema));
    Router::new()
        .route(
            "/maskinporten/.well-known/oauth-authorization-server",
            get(maskinporten::metadata),
        )
        .route("/maskinporten/jwk", get(maskinporten::jwks))
        .route("/maskinporten/jwks", get(maskinporten::jwks))
        .route("/maskinporten/token", post(maskinporten::token))
        .route("/inntekt/v1/{rp}/{pid}/inntekter", get(inntekt::get))
        .route(
            "/inntektsmottakere/v1/{rp}/{org}/inntektsmottakere",
            get(inntektsmottakere::get),
        )
        .route(
            "/tjenestepensjonsavtale/v1/{rp}/avtaleforhold",
            post(tjenestepensjonsavtale::post).delete(tjenestepensjonsavtale::delete),
        )
        .route(
            "/tjenestepensjonsavtale/v1/{rp}/avtaleforhold/gyldighet",
            get(tjenestepensjonsavtale::gyldighet),
        )
        .route(
            "/tjenestepensjonsavtale/v1/{rp}/avtaleforhold/virkningsperiode/gyldighet",
            get(tjenestepensjonsavtale::virkningsperiode_gyldighet),
        )
        .merge(admin::router())
        .with_state(st.clone())
        .merge(aareg)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(st, around))
}

/// Unknown URL: a Skatteetaten-style `…-003` body under a Skatteetaten prefix, else a bare 404.
async fn not_found(req: Request) -> Response {
    let api = match api_of(req.uri().path()) {
        Some("inntekt") => Some((SkeApi::Inntekt, "IM-003")),
        Some("inntektsmottakere") => Some((SkeApi::Inntektsmottakere, "IM-003")),
        Some("tjenestepensjonsavtale") => Some((SkeApi::Tjenestepensjonsavtale, "OTP-003")),
        _ => None,
    };
    match api {
        Some((_, code)) => {
            feil_with_status(StatusCode::NOT_FOUND, code, "Ukjent URL", req.headers())
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn ske_api(api: &str) -> Option<SkeApi> {
    match api {
        "inntekt" => Some(SkeApi::Inntekt),
        "inntektsmottakere" => Some(SkeApi::Inntektsmottakere),
        "tjenestepensjonsavtale" => Some(SkeApi::Tjenestepensjonsavtale),
        _ => None,
    }
}

/// The answer for an injected fault.
async fn fault_response(st: &SimState, api: &str, action: FaultAction, req: Request) -> Response {
    let headers = req.headers().clone();
    match action {
        FaultAction::Timeout => {
            tokio::time::sleep(Duration::from_secs(300)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        FaultAction::Reset => {
            // Promise more body than is sent: the server closes the connection mid-body.
            let mut r = (StatusCode::OK, "{\"partial\":").into_response();
            r.headers_mut()
                .insert("content-length", HeaderValue::from_static("4096"));
            r
        }
        FaultAction::ServerError => match (api, ske_api(api)) {
            (_, Some(_)) => feil_with_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "DAS-001",
                "Uventet feil i tjenesten (simulert)",
                &headers,
            ),
            ("aareg", _) => {
                let q = body_query(st, req).await;
                let mut r = aareg::ok_json(
                    &aareg::error_body(
                        "AA-201",
                        "En ukjent feil oppstod (simulert)",
                        "ExecutionAborted",
                        q,
                    ),
                    &headers,
                );
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                r
            }
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(
                    json!({"error": "server_error", "error_description": "Simulated server error"}),
                ),
            )
                .into_response(),
        },
        FaultAction::Code(code) => {
            if let Ok(status) = code.parse::<u16>() {
                return StatusCode::from_u16(status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                    .into_response();
            }
            if api == "aareg" {
                let q = body_query(st, req).await;
                return aareg::ok_json(
                    &aareg::error_body(
                        &code,
                        "En ukjent feil oppstod (simulert)",
                        "ExecutionAborted",
                        q,
                    ),
                    &headers,
                );
            }
            match ske_api(api) {
                Some(s) => super::skatteetaten::feil(s, &code, "Simulert feil", &headers),
                None => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"error": "server_error", "error_description": format!("{code}: simulated")})),
                )
                    .into_response(),
            }
        }
    }
}

/// The query name for an error answer's `data: {q: null}`, or `None` when `data` is to be left out.
async fn body_query(st: &SimState, req: Request) -> Option<&'static str> {
    if st.cfg.aareg_error_data == super::AaregErrorData::Removed {
        return None;
    }
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20).await.ok()?;
    aareg::query_name(&bytes)
}

/// A JSON answer of a Skatteetaten API rendered as XML (the caller sent `Accept: application/xml`).
async fn as_xml(api: &str, response: Response) -> Response {
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let text = super::xml::render(api, &value);
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(text))
}

async fn around(State(st): State<Arc<SimState>>, mut req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let api = api_of(&path);
    let header = match api {
        Some("aareg") => Some(CORRELATION_ID),
        Some("maskinporten") | None => None,
        Some(_) => Some(KORRELASJONSID),
    };
    let mut correlation_id = None;
    if let Some(h) = header {
        let given = req
            .headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if let Ok(v) = HeaderValue::from_str(&id) {
            req.headers_mut().insert(h, v);
        }
        correlation_id = Some(id);
    }
    let xml = ske_api(api.unwrap_or("")).is_some()
        && super::xml::wants_xml(
            req.headers()
                .get(axum::http::header::ACCEPT)
                .and_then(|a| a.to_str().ok()),
        );
    // The request is served on its own task: when the client goes away mid-request (a killed harness), the
    // simulator still finishes it, applies its change and logs it, as a real server would.
    let task = tokio::spawn(async move {
        let response = match api {
            Some(api) => {
                // Skatteetaten APIs spend their latency inside the concurrency slot (skatteetaten::admit).
                let ms = if ske_api(api).is_some() {
                    0
                } else {
                    st.faults.latency_ms(api) + st.cfg.switches.number("latency_ms")
                };
                if ms > 0 {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                match st.faults.decide(api) {
                    Some(action) => fault_response(&st, api, action, req).await,
                    None => next.run(req).await,
                }
            }
            None => next.run(req).await,
        };
        let response = if xml {
            as_xml(api.unwrap_or(""), response).await
        } else {
            response
        };
        st.log(LoggedRequest {
            method,
            path,
            status: response.status().as_u16(),
            correlation_id,
        });
        response
    });
    match task.await {
        Ok(r) => r,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
