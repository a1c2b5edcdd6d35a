//! The Maskinporten token client: one token per scope, cached in memory, renewed before it expires by
//! the `expires_in` the server gave (never a hard-coded 120 s). Freshness is judged on the same adjustable clock
//! as the grant's `iat` (this machine's clock plus `set_clock_offset`), so a test moves both together.
//!
//! Logging (`tracing`): token requested, cache hit, renewal, refusal with its MP code. Never the token, the
//! grant or key material.

use super::{explain_error, grant, AuthError, KeyMaterial};
use crate::model::Delegation;
use crate::secret::Secret;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Seconds between the grant's `iat` and `exp` (Maskinporten allows at most 120).
const GRANT_LIFETIME_SECS: i64 = 60;

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

impl TokenResponse {
    /// The refusal this answer carries, with its explanation; `None` for a usable token.
    pub fn refusal(&self) -> Option<AuthError> {
        if self.status == 200 && self.token.is_some() {
            return None;
        }
        let field = |k: &str| {
            self.body
                .as_ref()
                .and_then(|b| b.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let (error, explanation) = match (field("error"), self.status) {
            (Some(e), _) => {
                let d = field("error_description").unwrap_or_default();
                let x = explain_error(&e, &d);
                (e, x)
            }
            (None, 200) => (
                "no_access_token".to_string(),
                "Maskinporten answered 200 without an access_token: check that the token endpoint URL is \
                 Maskinporten's (not a proxy or login page)"
                    .to_string(),
            ),
            (None, s @ (429 | 502 | 503 | 504)) => (
                "unavailable".to_string(),
                format!(
                    "Maskinporten is busy or unavailable (HTTP {s}) after retries: try again in a few minutes, and \
                     check status.digdir.no"
                ),
            ),
            (None, s) => (
                "no_json_error".to_string(),
                format!(
                    "Maskinporten answered HTTP {s} without an OAuth error body: the token endpoint URL may be wrong \
                     or a proxy is in the way; check [profile] token_endpoint and retry later"
                ),
            ),
        };
        Some(AuthError::Refused {
            status: self.status,
            error,
            explanation,
        })
    }
}

#[derive(Clone)]
struct Cached {
    token: Secret<String>,
    /// Epoch seconds on the client's clock when the request was sent.
    obtained_at: i64,
    expires_in: i64,
}

impl Cached {
    /// Seconds before expiry at which the token is renewed: max(10 s, 20 % of the lifetime), but never more than
    /// half of it (so a short-lived token is still reused).
    fn margin(&self) -> i64 {
        std::cmp::min(std::cmp::max(10, self.expires_in / 5), self.expires_in / 2)
    }

    fn fresh(&self, now: i64) -> bool {
        now + self.margin() < self.obtained_at + self.expires_in
    }
}

/// One cache slot per scope; its async mutex makes fetching single-flight per scope.
type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

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
    /// Seconds added to this machine's clock for `iat` and for cache freshness (the simulator's clock knob).
    clock_offset: AtomicI64,
    slots: std::sync::Mutex<HashMap<String, Slot>>,
    fetched: AtomicU32,
    /// Tokens the cache fetched, per scope (MP-02 in real time, where cases share the cache).
    cache_fills: std::sync::Mutex<HashMap<String, u32>>,
}

impl std::fmt::Debug for MaskinportenClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaskinportenClient")
            .field("issuer", &self.issuer)
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("key", &self.key.mode())
            .field("delegation", &self.delegation)
            .finish_non_exhaustive()
    }
}

impl MaskinportenClient {
    /// `issuer` is the grant's `aud`; a missing trailing slash is added (Maskinporten's issuers end with one).
    pub fn new(
        http: reqwest::Client,
        issuer: &str,
        token_endpoint: &str,
        client_id: &str,
        key: KeyMaterial,
        delegation: Delegation,
        consumer_orgnr: Option<String>,
    ) -> MaskinportenClient {
        let issuer = if issuer.ends_with('/') {
            issuer.to_string()
        } else {
            format!("{issuer}/")
        };
        MaskinportenClient {
            http,
            issuer,
            token_endpoint: token_endpoint.to_string(),
            client_id: client_id.to_string(),
            key,
            delegation,
            consumer_orgnr,
            clock_offset: AtomicI64::new(0),
            slots: std::sync::Mutex::new(HashMap::new()),
            fetched: AtomicU32::new(0),
            cache_fills: Default::default(),
        }
    }

    /// How many tokens the cache fetched for `scope` (not counting [`MaskinportenClient::request`] calls).
    pub fn tokens_fetched_for(&self, scope: &str) -> u32 {
        let fills = self.cache_fills.lock().unwrap_or_else(|p| p.into_inner());
        fills.get(scope).copied().unwrap_or(0)
    }

    pub fn key(&self) -> &KeyMaterial {
        &self.key
    }

    /// Move this client's clock (grant `iat` and token freshness) by `secs` from this machine's clock.
    pub fn set_clock_offset(&self, secs: i64) {
        self.clock_offset.store(secs, Ordering::SeqCst);
    }

    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::SeqCst)
    }

    /// How many tokens have been fetched (for the report and MP-02).
    pub fn tokens_fetched(&self) -> u32 {
        self.fetched.load(Ordering::SeqCst)
    }

    /// The client's clock, epoch seconds.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst)
    }

    fn slot(&self, scope: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(scope.to_string()).or_default().clone()
    }

    /// The lifetime (`expires_in`) of the token cached for `scope`, fresh or not.
    pub async fn cached_lifetime(&self, scope: &str) -> Option<i64> {
        let slot = self.slot(scope);
        let cached = slot.lock().await;
        cached.as_ref().map(|c| c.expires_in)
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
                lifetime_secs: GRANT_LIFETIME_SECS,
                delegation: self.delegation,
                consumer_orgnr: self.consumer_orgnr.as_deref(),
                resource: None,
            },
        )?;
        tracing::debug!(
            scope,
            client_id = %self.client_id,
            key = self.key.mode(),
            delegation = ?self.delegation,
            endpoint = %self.token_endpoint,
            "requesting a Maskinporten token"
        );
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
            tracing::info!(
                scope,
                status,
                expires_in,
                ms = duration.as_millis() as u64,
                "Maskinporten issued a token"
            );
        } else {
            let field = |k: &str| {
                body.as_ref()
                    .and_then(|b| b.get(k))
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let description = field("error_description");
            let code = regex::Regex::new(r"MP-\d{3}")
                .ok()
                .and_then(|re| re.find(&description).map(|m| m.as_str().to_string()))
                .unwrap_or_default();
            tracing::warn!(
                scope,
                status,
                error = %field("error"),
                mp_code = %code,
                "Maskinporten refused the token request"
            );
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

    /// A token for `scope`, from the cache while fresh, else a new one. Token requests are reads under the one
    /// retry policy (`crate::apis::retry`): transport errors, timeouts, 429 and 5xx are retried. Concurrent
    /// callers for one scope wait for one fetch.
    pub async fn token(&self, scope: &str) -> Result<Secret<String>, AuthError> {
        let slot = self.slot(scope);
        let mut cached = slot.lock().await;
        let now = self.now();
        if let Some(c) = cached.as_ref() {
            if c.fresh(now) {
                tracing::trace!(
                    scope,
                    remaining_secs = c.obtained_at + c.expires_in - now,
                    "Maskinporten token from the cache"
                );
                return Ok(c.token.clone());
            }
            tracing::debug!(
                scope,
                remaining_secs = c.obtained_at + c.expires_in - now,
                expires_in = c.expires_in,
                "renewing the Maskinporten token before it expires"
            );
        }
        // The one retry policy (crate::apis::retry): every attempt is a new grant with a new jti.
        let policy = crate::apis::retry::RetryPolicy::default();
        let first = std::time::Instant::now();
        let mut attempt = 0;
        let (resp, obtained_at) = loop {
            attempt += 1;
            let sent_at = self.now();
            let r = self.request(scope).await;
            let outcome = match &r {
                Ok(t) => crate::apis::retry::Attempt::Status {
                    status: t.status,
                    retry_after: None,
                },
                Err(AuthError::Transport { .. }) => {
                    crate::apis::retry::Attempt::NoAnswer { maybe_sent: true }
                }
                Err(_) => break (r?, sent_at),
            };
            match policy.decide(false, attempt, first.elapsed(), &outcome, false) {
                crate::apis::retry::Decision::Stop => break (r?, sent_at),
                crate::apis::retry::Decision::Retry(d)
                | crate::apis::retry::Decision::Resend(d) => {
                    tracing::debug!(scope, attempt, ?outcome, "retrying the token request");
                    tokio::time::sleep(d).await;
                }
            }
        };
        if let Some(err) = resp.refusal() {
            *cached = None;
            return Err(err);
        }
        let Some(token) = resp.token else {
            return Err(AuthError::Refused {
                status: resp.status,
                error: "no_access_token".into(),
                explanation: "Maskinporten answered without an access_token".into(),
            });
        };
        *self
            .cache_fills
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(scope.to_string())
            .or_default() += 1;
        match resp.expires_in.and_then(|e| i64::try_from(e).ok()) {
            Some(exp) if exp > 0 => {
                *cached = Some(Cached {
                    token: token.clone(),
                    obtained_at,
                    expires_in: exp,
                });
            }
            _ => {
                tracing::warn!(
                    scope,
                    "Maskinporten gave no expires_in: the token is used once and not cached"
                );
                *cached = None;
            }
        }
        Ok(token)
    }

    /// The scopes whose cached token is no longer fresh on this client's clock, `except` one (a scope whose
    /// last request was refused holds no token and is not among them).
    pub async fn stale_scopes(&self, except: &str) -> Vec<String> {
        let slots: Vec<(String, Slot)> = {
            let s = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            s.iter()
                .filter(|(scope, _)| scope.as_str() != except)
                .map(|(scope, slot)| (scope.clone(), slot.clone()))
                .collect()
        };
        let mut stale = Vec::new();
        for (scope, slot) in slots {
            let cached = slot.lock().await;
            if cached.as_ref().is_some_and(|c| !c.fresh(self.now())) {
                stale.push(scope);
            }
        }
        stale
    }

    /// Forget the token of one scope (after a 401 in a normal case).
    pub async fn invalidate(&self, scope: &str) {
        let slot = self.slot(scope);
        *slot.lock().await = None;
        tracing::debug!(scope, "Maskinporten token dropped from the cache");
    }

    pub async fn invalidate_all(&self) {
        let slots: Vec<Slot> = {
            let s = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            s.values().cloned().collect()
        };
        for slot in slots {
            *slot.lock().await = None;
        }
        tracing::debug!("every Maskinporten token dropped from the cache");
    }
}

/// What an RFC 8414 metadata document says about where to send grants.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Metadata {
    /// The grant's `aud`, with its trailing slash.
    pub issuer: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

/// Read Maskinporten's metadata (`{issuer}.well-known/oauth-authorization-server`), Digdir's recommended way to
/// configure the issuer and token endpoint.
pub async fn discover(http: &reqwest::Client, metadata_url: &str) -> Result<Metadata, AuthError> {
    let transport = |e: reqwest::Error| AuthError::Transport {
        url: metadata_url.to_string(),
        message: crate::apis::describe_reqwest_error(&e),
    };
    let resp = http.get(metadata_url).send().await.map_err(transport)?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(AuthError::Config(format!(
            "{metadata_url}: the Maskinporten metadata answered HTTP {status}: check the issuer URL"
        )));
    }
    let md: Metadata = resp.json().await.map_err(|e| {
        AuthError::Config(format!(
            "{metadata_url}: the Maskinporten metadata is not the expected JSON: {e}"
        ))
    })?;
    if !md.issuer.ends_with('/') {
        tracing::warn!(issuer = %md.issuer, "the metadata issuer has no trailing slash");
    }
    Ok(md)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_margin_follows_expires_in() {
        let c = |e| Cached {
            token: Secret::new(String::new()),
            obtained_at: 1000,
            expires_in: e,
        };
        // 120 s: renewed 24 s early.
        assert!(c(120).fresh(1000 + 95));
        assert!(!c(120).fresh(1000 + 96));
        // 600 s: renewed 120 s early, so 300 s in it is still fresh (no hard-coded 120 s).
        assert!(c(600).fresh(1000 + 300));
        assert!(!c(600).fresh(1000 + 480));
        // 10 s: renewed 5 s early, still reused right away.
        assert!(c(10).fresh(1000 + 4));
        assert!(!c(10).fresh(1000 + 5));
    }
}
