//! The simulated Maskinporten: metadata, JWKS and the JWT-bearer token endpoint (`maskinporten.md` §1, §3–§6, §9).

use super::state::{SimState, SystemUser};
use super::{ClientAuth, SimClient};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use rsa::pkcs8::DecodePublicKey;
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Arc;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Claims a grant may carry (§3.2); `nbf` is tolerated like the real service appears to (NAIS texas sends it).
const ALLOWED_CLAIMS: [&str; 12] = [
    "aud",
    "iss",
    "iat",
    "exp",
    "jti",
    "scope",
    "resource",
    "pid",
    "consumer_org",
    "iss_onbehalfof",
    "authorization_details",
    "nbf",
];
const DELEGATION_SOURCE: &str = "https://tt02.altinn.no/";
/// A registered key (`kid`) expires one year after its registration (MP-121).
const KEY_MAX_AGE_SECS: i64 = 365 * 24 * 3600;
/// Scopes of other integration types (ID-porten / OpenID Connect): never issued by Maskinporten (MP-201).
const NOT_MASKINPORTEN_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// A refusal for missing access, in the shape of published real refusals: `error` = `forbidden`
/// (`maskinporten.md`, addendum 2026-11-29).
fn forbidden(desc: String) -> MpError {
    MpError {
        status: StatusCode::FORBIDDEN,
        error: "forbidden",
        description: desc,
    }
}

fn not_granted(consumer: &str, scope: &str) -> MpError {
    forbidden(format!(
        "MP-250: Consumer {consumer} has not been granted access to the scope {scope}"
    ))
}

/// A refused grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

fn grant(desc: impl Into<String>) -> MpError {
    MpError {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_grant",
        description: desc.into(),
    }
}

fn request(desc: impl Into<String>) -> MpError {
    MpError {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_request",
        description: desc.into(),
    }
}

impl MpError {
    /// The answer. Every description ends with a correlation id, as the published refusals do; with the
    /// switch `maskinporten_codes=absent` a `forbidden` refusal carries no MP code (some published ones don't).
    fn response(self, st: &SimState) -> Response {
        let mut desc = self.description;
        if self.error == "forbidden" && st.cfg.switches.is("maskinporten_codes", "absent") {
            if let Some((code, rest)) = desc.split_once(": ") {
                if code.starts_with("MP-") {
                    desc = rest.to_string();
                }
            }
        }
        let body = json!({
            "error": self.error,
            "error_description": format!("{desc} (correlation id: {})", uuid::Uuid::new_v4()),
        });
        (self.status, Json(body)).into_response()
    }
}

pub async fn metadata(State(st): State<Arc<SimState>>) -> Json<Value> {
    let u = &st.urls;
    Json(json!({
        "issuer": u.maskinporten_issuer,
        "token_endpoint": u.token_endpoint,
        "jwks_uri": format!("{}/maskinporten/jwk", u.base),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
        "authorization_details_types_supported": ["urn:altinn:systemuser", "urn:altinn:consent"],
    }))
}

pub async fn jwks(State(st): State<Arc<SimState>>) -> Json<Value> {
    let keys: Vec<Value> = st.all_keys().iter().rev().map(|k| k.jwk.clone()).collect();
    Json(json!({ "keys": keys }))
}

pub async fn token(
    State(st): State<Arc<SimState>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return request(
            "MP-011: Invalid assertion. Invalid parameter value: expected an \
                        application/x-www-form-urlencoded body",
        )
        .response(&st);
    };
    match issue(&st, &form) {
        Ok(body) => (StatusCode::OK, Json(body)).into_response(),
        Err(e) => e.response(&st),
    }
}

fn b64url_json(part: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn org_from_cert(cert: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    for attr in cert.subject().iter_attributes() {
        let oid = attr.attr_type().to_id_string();
        let Ok(val) = attr.as_str() else { continue };
        if oid == "2.5.4.5" {
            let v = val.trim();
            return Some(v.strip_prefix("NTRNO-").unwrap_or(v).to_string());
        }
        if oid == "2.5.4.97" {
            if let Some(o) = val.trim().strip_prefix("NTRNO-") {
                return Some(o.to_string());
            }
        }
    }
    None
}

/// Verify that `leaf` is signed by `ca` (RSA CA keys, PKCS#1 v1.5 with SHA-256/384/512).
fn signed_by(
    leaf: &x509_parser::certificate::X509Certificate<'_>,
    ca: &x509_parser::certificate::X509Certificate<'_>,
) -> bool {
    let Ok(pk) = rsa::RsaPublicKey::from_public_key_der(ca.public_key().raw) else {
        return false;
    };
    let tbs: &[u8] = leaf.tbs_certificate.as_ref();
    let sig = &leaf.signature_value.data;
    match leaf.signature_algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.11" => pk
            .verify(
                rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                &sha2::Sha256::digest(tbs),
                sig,
            )
            .is_ok(),
        "1.2.840.113549.1.1.12" => pk
            .verify(
                rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                &sha2::Sha384::digest(tbs),
                sig,
            )
            .is_ok(),
        "1.2.840.113549.1.1.13" => pk
            .verify(
                rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                &sha2::Sha512::digest(tbs),
                sig,
            )
            .is_ok(),
        _ => false,
    }
}

/// Check the client's authentication; returns the `client_amr` for the token.
fn authenticate(
    st: &SimState,
    client: &SimClient,
    header: &Value,
    alg: Algorithm,
    assertion: &str,
) -> Result<&'static str, MpError> {
    let (message, signature) = assertion
        .rsplit_once('.')
        .ok_or_else(|| request("MP-011: Invalid assertion"))?;
    let verify = |key: &DecodingKey| -> Result<(), MpError> {
        match jsonwebtoken::crypto::verify(signature, message.as_bytes(), key, alg) {
            Ok(true) => Ok(()),
            _ => Err(grant("MP-124: Invalid assertion. Invalid JWT signature")),
        }
    };
    if let Some(x5c) = header.get("x5c") {
        let ClientAuth::X5c { trusted_ca_der } = &client.auth else {
            return Err(grant(
                "MP-120: Invalid assertion. Client is not registered with a certificate",
            ));
        };
        let leaf_b64 = x5c
            .as_array()
            .and_then(|a| a.first())
            .and_then(|s| s.as_str())
            .ok_or_else(|| grant("MP-123: Invalid JWT header x5c"))?;
        let leaf_der = base64::engine::general_purpose::STANDARD
            .decode(leaf_b64)
            .map_err(|_| grant("MP-123: Invalid JWT header x5c: not base64 DER"))?;
        let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der)
            .map_err(|_| grant("MP-123: Invalid JWT header x5c: not a certificate"))?;
        let (_, ca) = x509_parser::parse_x509_certificate(trusted_ca_der).map_err(|_| {
            grant("MP-120: Invalid assertion. The simulator's trusted CA is not a certificate")
        })?;
        // A registered leaf (a rehearsal without the issuer's certificate) is trusted as itself.
        if leaf_der != *trusted_ca_der && !signed_by(&leaf, &ca) {
            return Err(grant(
                "MP-120: Invalid assertion. JWT signed with an invalid certificate",
            ));
        }
        let now = st.now();
        let v = leaf.validity();
        if now < v.not_before.timestamp() || now > v.not_after.timestamp() {
            return Err(grant(
                "MP-120: Invalid assertion. JWT signed with an invalid (expired) certificate",
            ));
        }
        if org_from_cert(&leaf).as_deref() != Some(client.orgnr.as_str()) {
            return Err(grant(
                "MP-122: Invalid organization number for client. Does not match certificate orgno",
            ));
        }
        let spki = leaf.public_key();
        let key = DecodingKey::from_rsa_der(&spki.subject_public_key.data);
        verify(&key)?;
        Ok("virksomhetssertifikat")
    } else {
        let kid = header.get("kid").and_then(|k| k.as_str()).unwrap_or("");
        let ClientAuth::Kid {
            kid: reg_kid,
            public_key_pem,
        } = &client.auth
        else {
            return Err(grant(
                "MP-100: Invalid assertion. Client authentication failed. No key registered",
            ));
        };
        if kid != reg_kid {
            return Err(grant(format!(
                "MP-100: Invalid assertion. Client authentication failed. Unknown kid {kid}"
            )));
        }
        let registered = st
            .lock()
            .client_registered
            .get(&client.client_id)
            .copied()
            .unwrap_or(0);
        if registered > 0 && st.now() - registered > KEY_MAX_AGE_SECS {
            return Err(grant(
                "MP-121: Invalid assertion. Expired key: the registered key is more than one year old",
            ));
        }
        let key = DecodingKey::from_rsa_pem(public_key_pem.as_bytes()).map_err(|_| {
            grant("MP-121: Invalid assertion. The registered key is not a usable RSA key")
        })?;
        verify(&key)?;
        Ok("private_key_jwt")
    }
}

fn issue(st: &SimState, form: &HashMap<String, String>) -> Result<Value, MpError> {
    // 1. form fields
    match form.get("grant_type").map(String::as_str) {
        Some(GRANT_TYPE) => {}
        Some(_) => {
            return Err(MpError {
                status: StatusCode::BAD_REQUEST,
                error: "unsupported_grant_type",
                description: format!("Unsupported grant type; use {GRANT_TYPE}"),
            })
        }
        None => {
            return Err(request(
                "MP-011: Invalid assertion. Invalid parameter value: grant_type missing",
            ))
        }
    }
    let assertion = form
        .get("assertion")
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            request("MP-011: Invalid assertion. Invalid parameter value: assertion missing")
        })?;
    // 2. parse
    let parts: Vec<&str> = assertion.split('.').collect();
    let malformed = || request("MP-011: Invalid assertion. Invalid parameter value");
    if parts.len() != 3 {
        return Err(malformed());
    }
    let header = b64url_json(parts[0]).ok_or_else(malformed)?;
    let claims = b64url_json(parts[1]).ok_or_else(malformed)?;
    let claims = claims.as_object().ok_or_else(malformed)?;
    // 3. alg
    let alg = match header.get("alg").and_then(|a| a.as_str()) {
        Some("RS256") => Algorithm::RS256,
        Some("RS384") => Algorithm::RS384,
        Some("RS512") => Algorithm::RS512,
        _ => {
            return Err(grant(
                "MP-124: Invalid assertion. Unsupported JWT alg: use RS256, RS384 or RS512",
            ))
        }
    };
    // 4. x5c xor kid
    let has_x5c = header.get("x5c").is_some();
    let has_kid = header.get("kid").is_some();
    if has_x5c == has_kid {
        return Err(grant(
            "MP-123: Invalid JWT header: exactly one of x5c and kid is required",
        ));
    }
    if has_x5c
        && !header
            .get("x5c")
            .and_then(|x| x.as_array())
            .is_some_and(|a| !a.is_empty() && a.iter().all(|s| s.is_string()))
    {
        return Err(grant("MP-123: Invalid JWT header x5c"));
    }
    // 5. client
    let iss = claims.get("iss").and_then(|i| i.as_str()).unwrap_or("");
    let client = st.lock().clients.get(iss).cloned().ok_or_else(|| {
        grant("MP-100: Invalid assertion. Client authentication failed. Client not found")
    })?;
    // 6. aud
    if claims.get("aud").and_then(|a| a.as_str()) != Some(st.issuer()) {
        return Err(grant("MP-110: Invalid assertion. Invalid JWT claim aud"));
    }
    // 7. signature
    let client_amr = authenticate(st, &client, &header, alg, assertion)?;
    // 8. iat
    let now = st.now();
    let iat = claims
        .get("iat")
        .and_then(|i| i.as_i64())
        .ok_or_else(|| grant("MP-130: JWT is expired (iat missing)"))?;
    if iat > now + 10 {
        return Err(grant("Issue time is after now"));
    }
    if iat < now - 10 {
        return Err(grant(
            "MP-130: JWT is expired (iat more than 10 seconds ago)",
        ));
    }
    // 9. exp
    let exp = claims
        .get("exp")
        .and_then(|e| e.as_i64())
        .ok_or_else(|| grant("MP-130: JWT is expired (exp missing)"))?;
    if exp - iat > 120 {
        return Err(grant(
            "MP-130: JWT is expired (exp - iat must be at most 120 seconds)",
        ));
    }
    if exp <= now {
        return Err(grant("MP-130: JWT is expired"));
    }
    // 10. jti
    if let Some(jti) = claims.get("jti").and_then(|j| j.as_str()) {
        let mut inner = st.lock();
        inner.jtis.retain(|_, e| *e >= now - 10);
        if inner.jtis.contains_key(jti) {
            return Err(grant("MP-012: Grant is used before"));
        }
        inner.jtis.insert(jti.to_string(), exp);
    }
    // 11. unknown claims
    if let Some(k) = claims
        .keys()
        .find(|k| !ALLOWED_CLAIMS.contains(&k.as_str()))
    {
        return Err(request(format!(
            "MP-011: Invalid assertion. Invalid parameter value: claim {k} is not allowed"
        )));
    }
    // 12. scopes
    let scope = claims
        .get("scope")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .trim()
        .to_string();
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    if scopes.is_empty() {
        return Err(MpError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_scope",
            description: "MP-200: Token request contains invalid scopes for client (no scope)"
                .into(),
        });
    }
    if let Some(bad) = scopes.iter().find(|s| NOT_MASKINPORTEN_SCOPES.contains(*s)) {
        return Err(MpError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_scope",
            description: format!(
                "MP-201: Token request contains scopes not allowed for maskinporten: {bad}"
            ),
        });
    }
    if let Some(bad) = scopes
        .iter()
        .find(|s| !client.scopes.iter().any(|c| c == *s))
    {
        return Err(MpError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_scope",
            description: format!("MP-200: Token request contains invalid scopes for client: {bad}"),
        });
    }
    // 13. consumer_org (API delegation) and authorization_details (system user)
    let party =
        |org: &str| json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")});
    let mut consumer = client.orgnr.clone();
    let mut supplier = None;
    let consumer_org = claims.get("consumer_org");
    let details = claims.get("authorization_details");
    if consumer_org.is_some() && details.is_some() {
        return Err(request(
            "MP-011: Invalid assertion. consumer_org and authorization_details cannot be combined",
        ));
    }
    if let Some(co) = consumer_org {
        let co = co.as_str().unwrap_or("");
        if !crate::ids::is_valid_orgnr(co) {
            return Err(request(
                "MP-011: Invalid assertion. Invalid parameter value: consumer_org",
            ));
        }
        if co == client.orgnr {
            return Err(request(
                "The combination consumer_org in claim and delegation scope on client is invalid",
            ));
        }
        let inner = st.lock();
        for s in &scopes {
            let ok = inner
                .delegations
                .iter()
                .any(|d| d.consumer == co && d.supplier == client.orgnr && d.scope == *s);
            if !ok {
                return Err(forbidden(format!(
                    "MP-251: Consumer {co} has not delegated access to the scope {s} to supplier {}",
                    client.orgnr
                )));
            }
        }
        drop(inner);
        if let Some(s) = scopes.iter().find(|s| !st.scope_granted(co, s)) {
            return Err(not_granted(co, s));
        }
        supplier = Some(client.orgnr.clone());
        consumer = co.to_string();
    }
    // 14. no scope without a grant: a plain grant needs the client's organisation to hold the scope; a system
    // user's rights come from the customer's approval (Choice: no further grant check).
    if consumer_org.is_none() && details.is_none() {
        if let Some(s) = scopes.iter().find(|s| !st.scope_granted(&client.orgnr, s)) {
            return Err(not_granted(&client.orgnr, s));
        }
    }
    let mut token_details = None;
    if let Some(d) = details {
        let user = system_user(st, &client, d)?;
        // Altinn's example token writes `systemuser_org` with a lowercase `id` (the request uses `ID`); the
        // vendor stays the token's `consumer`.
        token_details = Some(json!([{
            "type": "urn:altinn:systemuser",
            "systemuser_org": {
                "authority": "iso6523-actorid-upis",
                "id": format!("0192:{}", user.customer_org),
            },
            "systemuser_id": [user.system_user_id],
            "system_id": user.system_id,
        }]));
    }
    let lifetime = st.cfg.token_lifetime_secs as i64;
    let mut at = json!({
        "iss": st.issuer(),
        "client_id": client.client_id,
        "client_amr": client_amr,
        "token_type": "Bearer",
        "scope": scopes.join(" "),
        "consumer": party(&consumer),
        "aud": claims.get("resource").cloned().unwrap_or_else(|| json!("unspecified")),
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    if let Some(s) = &supplier {
        at["supplier"] = party(s);
        at["delegation_source"] = json!(DELEGATION_SOURCE);
    }
    if let Some(d) = &token_details {
        at["authorization_details"] = d.clone();
    }
    if let Some(pid) = claims.get("pid") {
        at["pid"] = pid.clone();
    }
    let key = st.signing_key();
    let header = Header {
        kid: Some(key.kid.clone()),
        ..Header::new(Algorithm::RS256)
    };
    let access_token = jsonwebtoken::encode(&header, &at, &key.encoding).map_err(|e| MpError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        error: "server_error",
        description: e.to_string(),
    })?;
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": scopes.join(" "),
    });
    if let Some(d) = token_details {
        body["authorization_details"] = d;
    }
    Ok(body)
}

fn system_user(st: &SimState, client: &SimClient, d: &Value) -> Result<SystemUser, MpError> {
    let list = d.as_array().filter(|a| a.len() == 1).ok_or_else(|| {
        request("MP-303: Invalid authorization_details: expected an array with one urn:altinn:systemuser element")
    })?;
    let el = list[0]
        .as_object()
        .ok_or_else(|| request("MP-303: Invalid authorization_details"))?;
    if el.get("type").and_then(|t| t.as_str()) != Some("urn:altinn:systemuser") {
        return Err(request("MP-301: Unknown authorization_details type"));
    }
    if let Some(k) = el
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "systemuser_org" | "externalRef"))
    {
        return Err(request(format!(
            "MP-302: Unknown field {k} in authorization_details"
        )));
    }
    let org = el
        .get("systemuser_org")
        .ok_or_else(|| request("MP-303: systemuser_org missing"))?;
    if org.get("authority").and_then(|a| a.as_str()) != Some("iso6523-actorid-upis") {
        return Err(request(
            "MP-303: systemuser_org.authority must be iso6523-actorid-upis",
        ));
    }
    let customer = org
        .get("ID")
        .and_then(|i| i.as_str())
        .and_then(|i| i.strip_prefix("0192:"))
        .filter(|o| crate::ids::is_valid_orgnr(o))
        .ok_or_else(|| request("MP-303: systemuser_org.ID must be 0192:<orgnr>"))?;
    st.lock()
        .system_users
        .iter()
        .find(|u| u.customer_org == customer && u.vendor_org == client.orgnr)
        .cloned()
        .ok_or_else(|| {
            forbidden(format!(
                "MP-303: No system user for systemuser_org {customer} and system owner {}",
                client.orgnr
            ))
        })
}
