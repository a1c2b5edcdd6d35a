//! The JWT grant of `docs/service.md` §5.1: RS256, x5c or kid, only the documented claims.

use super::{AuthError, KeyMaterial};
use crate::model::Delegation;
use crate::secret::Secret;
use serde::Serialize;

/// What a grant says, besides the key.
#[derive(Clone, Debug)]
pub struct GrantRequest<'a> {
    /// The Maskinporten issuer with its trailing slash (the grant's `aud`).
    pub audience: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    /// Epoch seconds, from a clock in step with Maskinporten's.
    pub now: i64,
    /// Seconds between `iat` and `exp`; at most 120.
    pub lifetime_secs: i64,
    pub delegation: Delegation,
    /// The institution's org number when a vendor acts for it.
    pub consumer_orgnr: Option<&'a str>,
    /// An audience-restricted token's `resource`. `None` by default; never sent for `skatteetaten:*` scopes.
    pub resource: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    scope: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_org: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_details: Option<serde_json::Value>,
}

/// Build and sign a grant. `resource` only when asked for, and never for `skatteetaten:*` scopes.
pub fn make_grant(key: &KeyMaterial, req: &GrantRequest<'_>) -> Result<Secret<String>, AuthError> {
    if !(1..=120).contains(&req.lifetime_secs) {
        return Err(AuthError::Config(format!(
            "the grant lifetime must be 1 to 120 seconds (Maskinporten rejects more), got {}",
            req.lifetime_secs
        )));
    }
    let (consumer_org, authorization_details) = match (req.delegation, req.consumer_orgnr) {
        (Delegation::None, _) => (None, None),
        (Delegation::ConsumerOrg, Some(org)) => (Some(org), None),
        (Delegation::SystemUser, Some(org)) => (
            None,
            Some(serde_json::json!([{
                "type": "urn:altinn:systemuser",
                "systemuser_org": { "authority": "iso6523-actorid-upis", "ID": format!("0192:{org}") }
            }])),
        ),
        (_, None) => {
            return Err(AuthError::Config(
                "a vendor acting for the institution needs the institution's organisation number ([institution] orgnr)"
                    .into(),
            ))
        }
    };
    let claims = Claims {
        aud: req.audience,
        iss: req.client_id,
        scope: req.scope,
        iat: req.now,
        exp: req.now + req.lifetime_secs,
        jti: uuid::Uuid::new_v4().to_string(),
        resource: req.resource.filter(|_| {
            !req.scope
                .split_whitespace()
                .any(|s| s.starts_with("skatteetaten:"))
        }),
        consumer_org,
        authorization_details,
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.typ = None;
    let pem = match key {
        KeyMaterial::Certificate(cert) => {
            header.x5c = Some(cert.x5c());
            cert.key_pem.expose()
        }
        KeyMaterial::Kid { kid, key_pem } => {
            header.kid = Some(kid.clone());
            key_pem.expose()
        }
    };
    let enc = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|e| AuthError::Certificate(format!("the private key cannot sign RS256: {e}")))?;
    let jwt = jsonwebtoken::encode(&header, &claims, &enc)
        .map_err(|e| AuthError::Certificate(format!("signing the grant failed: {e}")))?;
    Ok(Secret::new(jwt))
}
