//! The Maskinporten token client: one token per scope, cached in memory, renewed before it expires by
//! the `expires_in` the server gave (never a hard-coded 120 s).

use super::{explain_error, grant, AuthError, KeyMaterial};
use crate::model::Delegation;
use crate::secret::Secret;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// One answer from the token endpoint, with the token itself kept out of `body`.
#[derive(Debug)]
pub struct TokenResponse {
    pub status: u16,
    /// The JSON body with `access_token` replaced by `"***"` (safe to assert on and to journal).
    pub body: Option<serde_json::Value>,
    pub token: Option<Secret<String>>,
    pub expires_in: Option<u64>,
    /// Claims of the access token decoded for the report only (`consumer`, `supplier`, `scope`); the token
    /// is opaque by Digdir's rule, so a token that cannot be decoded gives `None`.
    pub claims: Option<serde_json::Value>,
    pub duration: Duration,
}

struct Cached {
    token: Secret<String>,
    fetched: Instant,
    expires_in: Duration,
}

impl Cached {
    /// Fresh while more than max(10 s, 20 % of the lifetime) remains.
    fn fresh(&self) -> bool {
        let margin = std::cmp::max(Duration::from_secs(10), self.expires_in / 5);
        self.fetched.elapsed() + margin < self.expires_in
    }
}

pub struct MaskinportenClient {
    http: reqwest::Client,
    /// The issuer with its trailing slash: the grant's `aud`.
    pub issuer: String,
    pub token_endpoint: String,
    pub client_id: String,
    key: KeyMaterial,
    pub delegation: Delegation,
    /// The institution, when a vendor acts for it.
    pub consumer_orgnr: Option<String>,
    /// Seconds added to this machine's clock for `iat` (the simulator's clock knob).
    clock_offset: AtomicI64,
    cache: tokio::sync::Mutex<HashMap<String, Cached>>,
    fetched: AtomicU32,
}

impl std::fmt::Debug for MaskinportenClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaskinportenClient")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl MaskinportenClient {
    pub fn new(
        http: reqwest::Client,
        issuer: &str,
        token_endpoint: &str,
        client_id: &str,
        key: KeyMaterial,
        delegation: Delegation,
        consumer_orgnr: Option<String>,
    ) -> MaskinportenClient {
        MaskinportenClient {
            http,
            issuer: issuer.to_string(),
            token_endpoint: token_endpoint.to_string(),
            client_id: client_id.to_string(),
            key,
            delegation,
            consumer_orgnr,
            clock_offset: AtomicI64::new(0),
            cache: tokio::sync::Mutex::new(HashMap::new()),
            fetched: AtomicU32::new(0),
        }
    }

    pub fn key(&self) -> &KeyMaterial {
        &self.key
    }

    pub fn set_clock_offset(&self, secs: i64) {
        self.clock_offset.store(secs, Ordering::SeqCst);
    }

    /// How many tokens have been fetched (for the report and MP-02).
    pub fn tokens_fetched(&self) -> u32 {
        self.fetched.load(Ordering::SeqCst)
    }

    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst)
    }

    /// One token request, exactly as sent: no cache, no retry. Used by MP-01 and by `token`.
    pub async fn request(&self, scope: &str) -> Result<TokenResponse, AuthError> {
        let grant = grant::make_grant(
            &self.key,
            &grant::GrantRequest {
                audience: &self.issuer,
                client_id: &self.client_id,
                scope,
                now: self.now(),
                lifetime_secs: 60,
                delegation: self.delegation,
                consumer_orgnr: self.consumer_orgnr.as_deref(),
            },
        )?;
        let started = Instant::now();
        let resp = self
            .http
            .post(&self.token_endpoint)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", grant.expose().as_str()),
            ])
            .send()
            .await
            .map_err(|e| AuthError::Transport {
                url: self.token_endpoint.clone(),
                message: crate::apis::describe_reqwest_error(&e),
            })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| AuthError::Transport {
            url: self.token_endpoint.clone(),
            message: crate::apis::describe_reqwest_error(&e),
        })?;
        let duration = started.elapsed();
        let mut body: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        let mut token = None;
        let mut expires_in = None;
        let mut claims = None;
        if let Some(serde_json::Value::Object(map)) = body.as_mut() {
            if let Some(serde_json::Value::String(t)) = map.get("access_token") {
                claims = decode_claims(t);
                token = Some(Secret::new(t.clone()));
                map.insert(
                    "access_token".into(),
                    serde_json::Value::String("***".into()),
                );
            }
            expires_in = map.get("expires_in").and_then(|v| v.as_u64());
        }
        if token.is_some() {
            self.fetched.fetch_add(1, Ordering::SeqCst);
        }
        Ok(TokenResponse {
            status,
            body,
            token,
            expires_in,
            claims,
            duration,
        })
    }

    /// A token for `scope`, from the cache while fresh, else a new one (token requests are reads: a
    /// connection error, timeout, 429 or 503 is retried, up to 3 attempts).
    pub async fn token(&self, scope: &str) -> Result<Secret<String>, AuthError> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.get(scope).filter(|c| c.fresh()) {
            return Ok(c.token.clone());
        }
        let mut attempt = 0;
        let resp = loop {
            attempt += 1;
            match self.request(scope).await {
                Ok(r) if (r.status == 429 || r.status == 503) && attempt < 3 => {}
                Err(AuthError::Transport { .. }) if attempt < 3 => {}
                other => break other?,
            }
            tokio::time::sleep(Duration::from_millis(200 * (1 << attempt))).await;
        };
        match (resp.status, resp.token, resp.expires_in) {
            (200, Some(token), Some(exp)) if exp > 0 => {
                cache.insert(
                    scope.to_string(),
                    Cached {
                        token: token.clone(),
                        fetched: Instant::now() - resp.duration,
                        expires_in: Duration::from_secs(exp),
                    },
                );
                Ok(token)
            }
            (200, Some(token), _) => Ok(token),
            (status, _, _) => {
                let (error, description) = match &resp.body {
                    Some(b) => (
                        b.get("error")
                            .and_then(|v| v.as_str())
                            .unwrap_or("unknown_error")
                            .to_string(),
                        b.get("error_description")
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_string(),
                    ),
                    None => ("no_json_body".to_string(), String::new()),
                };
                Err(AuthError::Refused {
                    status,
                    explanation: explain_error(&error, &description),
                    error,
                })
            }
        }
    }

    /// Forget the token of one scope (after a 401 in a normal case).
    pub async fn invalidate(&self, scope: &str) {
        self.cache.lock().await.remove(scope);
    }

    pub async fn invalidate_all(&self) {
        self.cache.lock().await.clear();
    }
}

/// Decode (without verifying) the payload of a JWT access token, keeping only claims fit for a report.
fn decode_claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let mut out = serde_json::Map::new();
    for k in [
        "consumer",
        "supplier",
        "scope",
        "client_amr",
        "aud",
        "iss",
        "delegation_source",
        "authorization_details",
    ] {
        if let Some(x) = v.get(k) {
            out.insert(k.to_string(), x.clone());
        }
    }
    Some(serde_json::Value::Object(out))
}
