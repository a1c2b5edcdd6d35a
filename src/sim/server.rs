//! The axum router: every route of the simulator, plus the middleware that assigns correlation ids,
//! injects faults and writes the request log.

use super::aareg::{self, CORRELATION_ID};
use super::faults::{api_of, FaultAction, RequestKey, RetryAfter};
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
            // The body stream fails before its first byte: the server drops the connection.
            let body = axum::body::Body::from_stream(futures_util::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "simulated connection reset",
                ))
            }));
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut()
                .insert("content-length", HeaderValue::from_static("4096"));
            r
        }
        FaultAction::CutOff => {
            // Promise more body than is sent: headers and the first bytes go out (a pause lets them be
            // flushed), then the stream ends short and the server closes the connection mid-body.
            use futures_util::StreamExt;
            let first = futures_util::stream::once(async {
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"partial\":"))
            });
            let pause = futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok::<_, std::io::Error>(axum::body::Bytes::new())
            });
            let body = axum::body::Body::from_stream(first.chain(pause));
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut()
                .insert("content-length", HeaderValue::from_static("4096"));
            r
        }
        FaultAction::BodyTimeout => {
            // Status line and headers now, the first bytes of the body, then nothing for 300 s.
            use futures_util::StreamExt;
            let first = futures_util::stream::once(async {
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"partial\":"))
            });
            let never = futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_secs(300)).await;
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "simulated body timeout",
                ))
            });
            let mut r = (
                StatusCode::OK,
                axum::body::Body::from_stream(first.chain(never)),
            )
                .into_response();
            r.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r.headers_mut()
                .insert("content-length", HeaderValue::from_static("4096"));
            r
        }
        FaultAction::TooMany(form) => {
            let retry = match form {
                RetryAfter::Seconds => "1".to_string(),
                RetryAfter::Date => (chrono::Utc::now() + chrono::Duration::seconds(2))
                    .format("%a, %d %b %Y %H:%M:%S GMT")
                    .to_string(),
            };
            let mut r = match ske_api(api) {
                Some(_) => feil_with_status(
                    StatusCode::TOO_MANY_REQUESTS,
                    "DAS-003",
                    "For mange forespørsler (simulert). Prøv igjen senere.",
                    &headers,
                ),
                None if api == "maskinporten" => (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"error": "temporarily_unavailable", "error_description": "Too many requests (simulated)"})),
                )
                    .into_response(),
                None => StatusCode::TOO_MANY_REQUESTS.into_response(),
            };
            if let Ok(v) = HeaderValue::from_str(&retry) {
                r.headers_mut().insert("retry-after", v);
            }
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
    // Faults are drawn per request: method, path with query, the body's hash and its occurrence.
    let (req, key) = if api.is_some() {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 16 << 20)
            .await
            .unwrap_or_default();
        let pq = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| path.clone());
        let key = RequestKey::new(&method, &pq, &bytes);
        (
            Request::from_parts(parts, axum::body::Body::from(bytes)),
            Some(key),
        )
    } else {
        (req, None)
    };
    // The request is served on its own task: when the client goes away mid-request (a killed harness), the
    // simulator still finishes it, applies its change and logs it, as a real server would.
    let task = tokio::spawn(async move {
        let response = match (api, key) {
            (Some(api), Some(key)) => {
                // Skatteetaten APIs spend their latency inside the concurrency slot (skatteetaten::admit).
                let mut req = req;
                let fault_ms = st.faults.latency_ms(api, &key);
                let ms = if ske_api(api).is_some() {
                    // Handed to `admit` (the slot is taken there).
                    if let Ok(v) = HeaderValue::from_str(&fault_ms.to_string()) {
                        req.headers_mut()
                            .insert(super::skatteetaten::FAULT_LATENCY, v);
                    }
                    0
                } else {
                    fault_ms + st.cfg.switches.number("latency_ms")
                };
                if ms > 0 {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                match st.faults.decide(api, &key) {
                    Some(action) => fault_response(&st, api, action, req).await,
                    None => next.run(req).await,
                }
            }
            _ => next.run(req).await,
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
