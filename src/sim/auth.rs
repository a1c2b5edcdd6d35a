//! Access-token validation by the simulated APIs: RS256 signature with the simulator's key, `iss` equal to
//! this simulator's issuer, `exp` against the simulator clock, the API's scope present.

use super::state::SimState;
use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, Validation};

pub const SCOPE_INNTEKT: &str = "skatteetaten:inntekt";
pub const SCOPE_INNTEKTSMOTTAKERE: &str = "skatteetaten:inntektsmottakere";
pub const SCOPE_TJENESTEPENSJONSAVTALE: &str = "skatteetaten:tjenestepensjonsavtale";
pub const SCOPE_AAREG: &str = "nav:aareg/v1/arbeidsforhold/otp";

/// The caller, as read from a valid access token.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The pension institution the call is for: `consumer.ID` after `0192:`, or the system user's
    /// `systemuser_org.id` for system-user tokens (whose `consumer` is the vendor).
    pub institution: String,
    /// `consumer.ID` after `0192:` (the organisation the concurrency limit is counted for).
    pub consumer: String,
}

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthFail {
    /// Missing, malformed, badly signed, wrong issuer or expired → 401.
    Unauthenticated(String),
    /// Valid token without the API's scope → 403.
    Forbidden(String),
}

/// The organisation of a party claim: `ID` (Maskinporten's `consumer`, `supplier`) or `id` (Altinn's
/// `systemuser_org` in the token).
fn org_of(id: &serde_json::Value) -> Option<String> {
    let s = id.get("ID").or_else(|| id.get("id"))?.as_str()?;
    Some(s.strip_prefix("0192:").unwrap_or(s).to_string())
}

/// Validate the `Authorization: Bearer` token of a request for `scope`.
pub fn authorize(state: &SimState, headers: &HeaderMap, scope: &str) -> Result<Caller, AuthFail> {
    let unauth = |m: &str| AuthFail::Unauthenticated(m.to_string());
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| unauth("Authorization header mangler"))?
        .to_str()
        .map_err(|_| unauth("Ugyldig Authorization header"))?;
    let (kind, token) = value
        .split_once(' ')
        .ok_or_else(|| unauth("Forventet 'Bearer <token>'"))?;
    if !kind.eq_ignore_ascii_case("bearer") {
        return Err(unauth("Forventet 'Bearer <token>'"));
    }
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v.set_issuer(&[state.issuer()]);
    let kid = jsonwebtoken::decode_header(token.trim())
        .map_err(|_| unauth("Ugyldig token"))?
        .kid;
    // The key named by `kid` (after a rotation older tokens still verify with their key), else the current one.
    let key = state
        .all_keys()
        .into_iter()
        .rev()
        .find(|k| kid.as_deref().is_none_or(|kid| kid == k.kid))
        .ok_or_else(|| unauth("Ukjent nøkkel (kid)"))?;
    let data = jsonwebtoken::decode::<serde_json::Value>(token.trim(), &key.decoding, &v)
        .map_err(|_| unauth("Ugyldig token (signatur eller utsteder)"))?;
    let claims = data.claims;
    let exp = claims
        .get("exp")
        .and_then(|e| e.as_i64())
        .ok_or_else(|| unauth("Token mangler exp"))?;
    // NAV's sister API accepts a token up to 60 s past `exp`; Skatteetaten's tolerance is unknown
    // (switches `expiry_tolerance_nav`, `expiry_tolerance_skatteetaten`).
    let tolerance = if scope == SCOPE_AAREG {
        state.cfg.switches.number("expiry_tolerance_nav")
    } else {
        state.cfg.switches.number("expiry_tolerance_skatteetaten")
    } as i64;
    if exp + tolerance <= state.now() {
        return Err(unauth("Token er utløpt"));
    }
    let consumer = claims
        .get("consumer")
        .and_then(org_of)
        .ok_or_else(|| unauth("Token mangler consumer"))?;
    let scopes = claims.get("scope").and_then(|s| s.as_str()).unwrap_or("");
    if !scopes.split_whitespace().any(|s| s == scope) {
        return Err(AuthFail::Forbidden(format!("Token mangler scope {scope}")));
    }
    let system_user_org = claims
        .get("authorization_details")
        .and_then(|a| a.as_array())
        .and_then(|a| {
            a.iter()
                .filter(|d| d.get("type").and_then(|t| t.as_str()) == Some("urn:altinn:systemuser"))
                .find_map(|d| d.get("systemuser_org").and_then(org_of))
        });
    Ok(Caller {
        institution: system_user_org.unwrap_or_else(|| consumer.clone()),
        consumer,
    })
}
