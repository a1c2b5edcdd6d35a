//! What the three Skatteetaten APIs share: the `{kode, melding, korrelasjonsid}` error body, the
//! (API, code) → HTTP status table (`skatteetaten-apis.md` §1.4, §2.6, §3.4, §4.5), token checks and the
//! concurrency limit.

use super::auth::{authorize, AuthFail, Caller};
use super::limiter::Permit;
use super::state::SimState;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub const KORRELASJONSID: &str = "korrelasjonsid";

/// Internal request header: the fault-injected latency the middleware drew for this request (milliseconds),
/// spent by [`admit`] while holding the concurrency slot.
pub const FAULT_LATENCY: &str = "x-dsop-sim-fault-latency-ms";

/// One of the three Skatteetaten APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkeApi {
    Inntekt,
    Inntektsmottakere,
    Tjenestepensjonsavtale,
}

impl SkeApi {
    pub fn name(self) -> &'static str {
        match self {
            SkeApi::Inntekt => "inntekt",
            SkeApi::Inntektsmottakere => "inntektsmottakere",
            SkeApi::Tjenestepensjonsavtale => "tjenestepensjonsavtale",
        }
    }

    pub fn scope(self) -> &'static str {
        match self {
            SkeApi::Inntekt => super::auth::SCOPE_INNTEKT,
            SkeApi::Inntektsmottakere => super::auth::SCOPE_INNTEKTSMOTTAKERE,
            SkeApi::Tjenestepensjonsavtale => super::auth::SCOPE_TJENESTEPENSJONSAVTALE,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            SkeApi::Tjenestepensjonsavtale => "OTP",
            _ => "IM",
        }
    }

    /// The API's code for a pattern number (004 authentication, 005 authorisation, 006 validation, ...).
    pub fn code(self, n: u32) -> String {
        format!("{}-{n:03}", self.prefix())
    }

    /// HTTP status of `code` on this API (keyed by (API, code), never by code alone): the code table
    /// (`codes`), else the pattern of the number.
    pub fn status_of(self, code: &str) -> StatusCode {
        let s = match crate::codes::skatteetaten_status(self.name(), code) {
            Some(s) => s,
            None if code.starts_with("DAS-") => 500,
            None => match code.rsplit('-').next() {
                Some("001" | "002") => 500,
                Some("003") => 404,
                Some("004") => 401,
                Some("005") => 403,
                Some("006") => 400,
                _ => 500,
            },
        };
        StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The request's correlation id (the logging middleware guarantees one).
pub fn korrelasjonsid(headers: &HeaderMap) -> String {
    headers
        .get(KORRELASJONSID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// A Skatteetaten error answer.
pub fn feil(api: SkeApi, kode: &str, melding: &str, headers: &HeaderMap) -> Response {
    feil_with_status(api.status_of(kode), kode, melding, headers)
}

pub fn feil_with_status(
    status: StatusCode,
    kode: &str,
    melding: &str,
    headers: &HeaderMap,
) -> Response {
    let body =
        json!({ "kode": kode, "melding": melding, "korrelasjonsid": korrelasjonsid(headers) });
    (status, Json(body)).into_response()
}

/// The refusal a `status:CODE` switch names (`outside_agreement`, `wrong_package`, ...): the Skatteetaten
/// error body with that status and code, or a bare status when the switch names no code.
pub fn switched(st: &SimState, switch: &str, melding: &str, headers: &HeaderMap) -> Response {
    let (status, code) = st.cfg.switches.refusal(switch);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match code {
        Some(c) => feil_with_status(status, c, melding, headers),
        None => status.into_response(),
    }
}

/// A token check plus a concurrency slot, or the error response. Injected latency (`--faults latency=`) is
/// spent here, while the slot is held, as a slow backend would.
pub async fn admit(
    st: &SimState,
    api: SkeApi,
    headers: &HeaderMap,
) -> Result<(Caller, Permit), Box<Response>> {
    let caller = match authorize(st, headers, api.scope()) {
        Ok(c) => c,
        Err(AuthFail::Unauthenticated(m)) => {
            let mut r = feil(
                api,
                &api.code(4),
                &format!("Autentiseringsfeil: {m}"),
                headers,
            );
            r.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            return Err(Box::new(r));
        }
        Err(AuthFail::Forbidden(m)) => {
            return Err(Box::new(feil(
                api,
                &api.code(5),
                &format!("Autorisasjonsfeil: {m}"),
                headers,
            )));
        }
    };
    if let Some(accept) = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|a| a.to_str().ok())
    {
        let ok = accept.split(',').any(|t| {
            let t = t.split(';').next().unwrap_or("").trim();
            matches!(
                t,
                "" | "*/*" | "application/*" | "application/json" | "application/xml" | "text/xml"
            )
        });
        if !ok {
            let code = match api {
                SkeApi::Inntekt => "IM-009",
                SkeApi::Inntektsmottakere => "IM-008",
                SkeApi::Tjenestepensjonsavtale => "OTP-008",
            };
            return Err(Box::new(feil(
                api,
                code,
                "Dataformatfeil: kun json (application/json) eller xml (application/xml) støttes",
                headers,
            )));
        }
    }
    match st.limiter.try_acquire(api.name(), &caller.consumer) {
        Some(p) => {
            let fault_ms: u64 = headers
                .get(FAULT_LATENCY)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let ms = fault_ms + st.cfg.switches.number("latency_ms");
            if ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            Ok((caller, p))
        }
        None => {
            let mut r = feil_with_status(
                StatusCode::TOO_MANY_REQUESTS,
                "DAS-003",
                "For mange samtidige kall (maks 5 per API per konsument). Prøv igjen senere.",
                headers,
            );
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            Err(Box::new(r))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(SkeApi::Inntekt.status_of("IM-008"), StatusCode::NOT_FOUND);
        assert_eq!(
            SkeApi::Inntektsmottakere.status_of("IM-008"),
            StatusCode::NOT_ACCEPTABLE
        );
        assert_eq!(SkeApi::Inntekt.status_of("IM-010"), StatusCode::FORBIDDEN);
        assert_eq!(
            SkeApi::Tjenestepensjonsavtale.status_of("OTP-004"),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            SkeApi::Tjenestepensjonsavtale.status_of("OTP-006"),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(SkeApi::Inntekt.status_of("DAS-008"), StatusCode::FORBIDDEN);
        assert_eq!(
            SkeApi::Inntekt.status_of("DAS-004"),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            SkeApi::Inntekt.status_of("IM-002"),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
