//! Fault injection (`--faults SPEC`). Every random decision is drawn from a hash of (seed, fault kind, method,
//! path with query, body hash, occurrence of that request), so a seed gives the same faults to the same requests
//! whatever the order or concurrency in which they arrive (docs/simulator.md §11).
//!
//! SPEC is a comma-separated list of `key=value[@api]` items:
//!
//! - `seed=N`: seed (default 0).
//! - `latency=A..Bms` (or `latency=Nms`): extra delay per request, uniform in [A, B] milliseconds.
//! - `5xx=P`: HTTP 500 (Skatteetaten: DAS-001 body; NAV: AA-201 body; Maskinporten: `server_error`).
//! - `reset=P`: the connection is broken before any byte of the answer (the body stream fails at once).
//! - `cut=P`: the answer promises 4096 bytes and sends fewer: the body is cut off mid-stream.
//! - `body_timeout=P`: status line and headers are sent, the body starts and never completes.
//! - `timeout=P`: the request hangs 300 s before anything is sent, then 504.
//! - `429=P`: a 429 storm: this request is answered 429 on `storm` consecutive occurrences (default 3), each
//!   with `Retry-After` in seconds or as an HTTP date (`retry_after=seconds|date|mixed`, default mixed).
//! - `storm=N`, `retry_after=seconds|date|mixed`: the storm's length and `Retry-After` form.
//! - `trigger=CODE@api[*N]`: answer CODE on `api`, on the first N calls (every call without `*N`).
//!   CODE is a Skatteetaten code (IM-001, IM-002, OTP-001, OTP-002, DAS-001, DAS-003…DAS-008), `AA-201`,
//!   a bare HTTP status (e.g. `503`; `429` comes with `Retry-After` as `retry_after=` says, default an HTTP
//!   date), or a fault kind: `timeout`, `body_timeout`, `reset`, `cut` (e.g. `trigger=timeout@tjenestepensjonsavtale*1`).
//!
//! `api` is one of `maskinporten`, `inntekt`, `inntektsmottakere`, `tjenestepensjonsavtale`, `aareg`;
//! without `@api` an item applies to every API. Example:
//! `seed=42,latency=10..50ms,5xx=0.2@inntekt,reset=0.05,body_timeout=0.05,429=0.1,trigger=IM-002@inntekt*1`.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

pub const APIS: [&str; 5] = [
    "maskinporten",
    "inntekt",
    "inntektsmottakere",
    "tjenestepensjonsavtale",
    "aareg",
];

/// Which API a request path belongs to.
pub fn api_of(path: &str) -> Option<&'static str> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    APIS.iter().copied().find(|a| *a == first)
}

#[derive(Clone, Debug, PartialEq)]
struct Prob {
    p: f64,
    api: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    pub code: String,
    pub api: String,
    /// Remaining uses; `None` = unlimited.
    pub remaining: Option<u32>,
}

/// How a 429 says when to come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 1`
    Seconds,
    /// `Retry-After: <IMF-fixdate two seconds ahead>`
    Date,
}

/// What to do to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Answer with this code (or bare HTTP status) instead of serving the request.
    Code(String),
    ServerError,
    /// The connection breaks before any byte of the answer.
    Reset,
    /// The body is cut off: 4096 bytes promised, fewer sent.
    CutOff,
    /// Headers sent, the body never completes.
    BodyTimeout,
    /// Nothing is sent for 300 s.
    Timeout,
    /// 429 with `Retry-After`.
    TooMany(RetryAfter),
}

/// What identifies a request for fault drawing: method, path with query, and a hash of the parts of the body
/// that are the same whenever the request is repeated (for a token request: the grant's scope and consumer,
/// not its `jti` or `iat`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestKey {
    pub method: String,
    pub path: String,
    pub body_hash: String,
}

impl RequestKey {
    pub fn new(method: &str, path_and_query: &str, body: &[u8]) -> RequestKey {
        let stable = if path_and_query.starts_with("/maskinporten/token") {
            grant_identity(body)
        } else {
            body.to_vec()
        };
        RequestKey {
            method: method.to_string(),
            path: path_and_query.to_string(),
            body_hash: hex::encode(Sha256::digest(&stable)),
        }
    }
}

/// A token request's stable part: the grant's `iss`, `scope`, `consumer_org` and `authorization_details`.
fn grant_identity(body: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let text = String::from_utf8_lossy(body);
    let assertion = text
        .split('&')
        .find_map(|kv| kv.strip_prefix("assertion="))
        .unwrap_or("");
    let claims = assertion
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .unwrap_or_default();
    let pick = ["iss", "scope", "consumer_org", "authorization_details"]
        .map(|k| claims.get(k).cloned().unwrap_or_default());
    serde_json::to_vec(&pick).unwrap_or_default()
}

#[derive(Default)]
pub struct Faults {
    seed: u64,
    latency: Option<(u64, u64, Option<String>)>,
    server_error: Vec<Prob>,
    reset: Vec<Prob>,
    cut: Vec<Prob>,
    body_timeout: Vec<Prob>,
    timeout: Vec<Prob>,
    storm: Vec<Prob>,
    storm_len: u32,
    retry_after: Option<RetryAfter>,
    triggers: Mutex<Vec<Trigger>>,
    /// How often each request has been seen (its occurrence number).
    seen: Mutex<HashMap<RequestKey, u32>>,
}

fn parse_prob(v: &str, key: &str) -> Result<f64, String> {
    let p: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("--faults: {key}={v}: write a probability such as 0.2"))?;
    if !(0.0..=1.0).contains(&p) {
        return Err(format!(
            "--faults: {key}={v}: the probability must be between 0 and 1"
        ));
    }
    Ok(p)
}

fn parse_ms(v: &str) -> Result<u64, String> {
    let t = v.trim().trim_end_matches("ms");
    t.parse()
        .map_err(|_| format!("--faults: latency value {v:?} is not a number of milliseconds"))
}

fn check_api(api: &str) -> Result<String, String> {
    if APIS.contains(&api) {
        Ok(api.to_string())
    } else {
        Err(format!(
            "--faults: unknown api {api:?}; use one of {}",
            APIS.join(", ")
        ))
    }
}

fn known_code(code: &str) -> bool {
    const CODES: [&str; 14] = [
        "IM-001", "IM-002", "OTP-001", "OTP-002", "DAS-001", "DAS-002", "DAS-003", "DAS-004",
        "DAS-005", "DAS-006", "DAS-007", "DAS-008", "AA-201", "MP-500",
    ];
    CODES.contains(&code)
        || ["TIMEOUT", "BODY_TIMEOUT", "RESET", "CUT"].contains(&code)
        || (code.len() == 3 && code.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)))
}

impl Faults {
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut f = Faults {
            storm_len: 3,
            ..Faults::default()
        };
        let mut triggers = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("--faults: {item:?} is not key=value (e.g. 5xx=0.2)"))?;
            let (value, api) = match value.split_once('@') {
                Some((v, a)) => (v, Some(a)),
                None => (value, None),
            };
            match key.trim() {
                "seed" => {
                    f.seed = value.trim().parse().map_err(|_| format!("--faults: seed={value} is not a number"))?
                }
                "latency" => {
                    let (a, b) = match value.split_once("..") {
                        Some((a, b)) => (parse_ms(a)?, parse_ms(b)?),
                        None => (parse_ms(value)?, parse_ms(value)?),
                    };
                    if a > b {
                        return Err(format!("--faults: latency={value}: the lower bound is above the upper"));
                    }
                    let api = match api {
                        Some(a) => Some(check_api(a)?),
                        None => None,
                    };
                    f.latency = Some((a, b, api));
                }
                "storm" => {
                    f.storm_len = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| format!("--faults: storm={value}: write the number of 429 answers, e.g. storm=3"))?
                }
                "retry_after" => {
                    f.retry_after = match value.trim() {
                        "seconds" => Some(RetryAfter::Seconds),
                        "date" => Some(RetryAfter::Date),
                        "mixed" => None,
                        v => return Err(format!("--faults: retry_after={v}: use seconds, date or mixed")),
                    }
                }
                k @ ("5xx" | "reset" | "cut" | "body_timeout" | "timeout" | "429") => {
                    let p = Prob {
                        p: parse_prob(value, k)?,
                        api: match api {
                            Some(a) => Some(check_api(a)?),
                            None => None,
                        },
                    };
                    match k {
                        "5xx" => f.server_error.push(p),
                        "reset" => f.reset.push(p),
                        "cut" => f.cut.push(p),
                        "body_timeout" => f.body_timeout.push(p),
                        "429" => f.storm.push(p),
                        _ => f.timeout.push(p),
                    }
                }
                "trigger" => {
                    let api = api.ok_or_else(|| {
                        format!("--faults: trigger={value} needs an api, e.g. trigger={value}@inntekt")
                    })?;
                    let (api, remaining) = match api.split_once('*') {
                        Some((a, n)) => (
                            a,
                            Some(n.parse().map_err(|_| format!("--faults: trigger count {n:?} is not a number"))?),
                        ),
                        None => (api, None),
                    };
                    let code = value.trim().to_uppercase();
                    if !known_code(&code) {
                        return Err(format!(
                            "--faults: trigger code {code:?} is not supported; use IM-001, IM-002, OTP-001, \
                             OTP-002, DAS-001…DAS-008, AA-201, timeout, body_timeout, reset, cut or an HTTP status"
                        ));
                    }
                    triggers.push(Trigger { code, api: check_api(api)?, remaining });
                }
                other => {
                    return Err(format!(
                        "--faults: unknown key {other:?}; use seed, latency, 5xx, reset, cut, body_timeout, \
                         timeout, 429, storm, retry_after, trigger, or a simulator switch (docs/simulator.md §15)"
                    ))
                }
            }
        }
        f.triggers = Mutex::new(triggers);
        Ok(f)
    }

    /// A number in [0, 1) drawn from the seed, the fault kind, the request and its occurrence.
    fn draw(&self, kind: &str, key: &RequestKey, occurrence: u32) -> f64 {
        let mut h = Sha256::new();
        for part in [
            self.seed.to_string().as_str(),
            kind,
            &key.method,
            &key.path,
            &key.body_hash,
            occurrence.to_string().as_str(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let d = h.finalize();
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[..8]);
        (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn hit(
        &self,
        probs: &[Prob],
        api: &str,
        kind: &str,
        key: &RequestKey,
        occurrence: u32,
    ) -> bool {
        probs
            .iter()
            .filter(|p| p.api.as_deref().is_none_or(|a| a == api))
            .enumerate()
            .any(|(i, p)| self.draw(&format!("{kind}{i}"), key, occurrence) < p.p)
    }

    /// Extra latency for this request, in milliseconds.
    pub fn latency_ms(&self, api: &str, key: &RequestKey) -> u64 {
        let Some((a, b, only)) = &self.latency else {
            return 0;
        };
        if only.as_deref().is_some_and(|o| o != api) {
            return 0;
        }
        let occurrence = self.occurrence(key);
        a + ((b - a + 1) as f64 * self.draw("latency", key, occurrence)) as u64
    }

    /// The occurrence number the request being decided has (1 for its first time).
    fn occurrence(&self, key: &RequestKey) -> u32 {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .copied()
            .unwrap_or(1)
    }

    /// The fault for this request to `api`, if any. Triggers come first (in call order), then 429 storms,
    /// 5xx, reset, cut, body_timeout, timeout. Counts the request's occurrence.
    pub fn decide(&self, api: &str, key: &RequestKey) -> Option<FaultAction> {
        let occurrence = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            *n
        };
        {
            let mut triggers = self.triggers.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(t) = triggers
                .iter_mut()
                .find(|t| t.api == api && t.remaining != Some(0))
            {
                if let Some(n) = t.remaining.as_mut() {
                    *n -= 1;
                }
                return Some(match t.code.as_str() {
                    "TIMEOUT" => FaultAction::Timeout,
                    "BODY_TIMEOUT" => FaultAction::BodyTimeout,
                    "RESET" => FaultAction::Reset,
                    "CUT" => FaultAction::CutOff,
                    "429" => FaultAction::TooMany(self.retry_after.unwrap_or(RetryAfter::Date)),
                    code => FaultAction::Code(code.to_string()),
                });
            }
        }
        // A storm starts at an occurrence drawn as hit and covers it and the next `storm_len - 1` ones.
        let start = occurrence.saturating_sub(self.storm_len.max(1) - 1).max(1);
        let storm = if self.storm.is_empty() {
            None
        } else {
            (start..=occurrence).find(|o| self.hit(&self.storm, api, "429", key, *o))
        };
        if let Some(first) = storm {
            let form = self.retry_after.unwrap_or({
                if self.draw("retry_after", key, first) < 0.5 {
                    RetryAfter::Seconds
                } else {
                    RetryAfter::Date
                }
            });
            return Some(FaultAction::TooMany(form));
        }
        let kinds: [(&[Prob], &str, FaultAction); 5] = [
            (&self.server_error, "5xx", FaultAction::ServerError),
            (&self.reset, "reset", FaultAction::Reset),
            (&self.cut, "cut", FaultAction::CutOff),
            (&self.body_timeout, "body_timeout", FaultAction::BodyTimeout),
            (&self.timeout, "timeout", FaultAction::Timeout),
        ];
        kinds
            .into_iter()
            .find(|(p, kind, _)| self.hit(p, api, kind, key, occurrence))
            .map(|(_, _, a)| a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> RequestKey {
        RequestKey::new("GET", path, b"")
    }

    #[test]
    fn parse_and_decide() {
        let f =
            Faults::parse("seed=42,latency=10..50ms,trigger=IM-002@inntekt*1,5xx=1@aareg").unwrap();
        assert_eq!(
            f.decide("inntekt", &key("/inntekt/a")),
            Some(FaultAction::Code("IM-002".into()))
        );
        assert_eq!(f.decide("inntekt", &key("/inntekt/a")), None);
        assert_eq!(
            f.decide("aareg", &key("/aareg/x")),
            Some(FaultAction::ServerError)
        );
        let l = f.latency_ms("inntekt", &key("/inntekt/a"));
        assert!((10..=50).contains(&l));
        assert!(Faults::parse("5xx=2").is_err());
        assert!(Faults::parse("trigger=IM-002").is_err());
        assert!(Faults::parse("trigger=XX-1@inntekt").is_err());
        assert!(Faults::parse("bogus=1").is_err());
        assert!(Faults::parse("retry_after=soon").is_err());
        assert!(Faults::parse("storm=0").is_err());
        let f = Faults::parse("trigger=timeout@tjenestepensjonsavtale*1,trigger=429@inntekt*1")
            .unwrap();
        let post = RequestKey::new(
            "POST",
            "/tjenestepensjonsavtale/v1/otp/avtaleforhold",
            b"{}",
        );
        assert_eq!(
            f.decide("tjenestepensjonsavtale", &post),
            Some(FaultAction::Timeout)
        );
        assert_eq!(f.decide("tjenestepensjonsavtale", &post), None);
        assert_eq!(
            f.decide("inntekt", &key("/inntekt/a")),
            Some(FaultAction::TooMany(RetryAfter::Date))
        );
        assert!(Faults::parse("trigger=body_timeout@inntekt*1").is_ok());
        assert_eq!(api_of("/inntekt/v1/otp/x"), Some("inntekt"));
        assert_eq!(api_of("/_sim/log"), None);
    }

    #[test]
    fn the_same_request_gets_the_same_fault_whatever_the_order() {
        let spec = "seed=7,5xx=0.3,reset=0.1,cut=0.1,body_timeout=0.1,429=0.2";
        let paths: Vec<String> = (0..40).map(|i| format!("/inntekt/v1/otp/{i}")).collect();
        let a = Faults::parse(spec).unwrap();
        let b = Faults::parse(spec).unwrap();
        let mut xa: Vec<_> = paths
            .iter()
            .flat_map(|p| (0..3).map(move |_| p.clone()))
            .map(|p| (p.clone(), a.decide("inntekt", &key(&p))))
            .collect();
        // b sees the requests in another order: reversed, occurrences of each request still in order
        let mut xb: Vec<_> = paths
            .iter()
            .rev()
            .flat_map(|p| (0..3).map(move |_| p.clone()))
            .map(|p| (p.clone(), b.decide("inntekt", &key(&p))))
            .collect();
        xa.sort_by(|x, y| x.0.cmp(&y.0));
        xb.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(xa, xb);
        assert!(xa.iter().any(|x| x.1.is_some()) && xa.iter().any(|x| x.1.is_none()));
        let c = Faults::parse("seed=8,5xx=0.3,reset=0.1,cut=0.1,body_timeout=0.1,429=0.2").unwrap();
        let xc: Vec<_> = paths.iter().map(|p| c.decide("inntekt", &key(p))).collect();
        let xa1: Vec<_> = paths
            .iter()
            .map(|p| Faults::parse(spec).unwrap().decide("inntekt", &key(p)))
            .collect();
        assert_ne!(xc, xa1, "another seed, other faults");
    }

    #[test]
    fn a_storm_lasts_its_length_then_ends() {
        let f = Faults::parse("seed=1,429=1,storm=2,retry_after=date").unwrap();
        let k = key("/inntekt/s");
        // every occurrence starts a storm with p = 1
        for _ in 0..4 {
            assert_eq!(
                f.decide("inntekt", &k),
                Some(FaultAction::TooMany(RetryAfter::Date))
            );
        }
        // with a small p, a hit at occurrence n covers n and n+1
        let f = Faults::parse("seed=3,429=0.2,storm=2").unwrap();
        let k = key("/inntekt/t");
        let seq: Vec<bool> = (0..200)
            .map(|_| f.decide("inntekt", &k).is_some())
            .collect();
        let mut run = 0;
        for s in &seq {
            if *s {
                run += 1;
            } else {
                assert!(
                    run == 0 || run >= 2,
                    "a storm shorter than its length: {seq:?}"
                );
                run = 0;
            }
        }
        assert!(seq.iter().any(|s| *s));
        // token requests: the grant's jti and iat do not change the key
        let g = |jti: &str| {
            let claims = serde_json::json!({"iss": "c", "scope": "s", "jti": jti, "iat": 1});
            use base64::Engine;
            let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
            RequestKey::new(
                "POST",
                "/maskinporten/token",
                format!("grant_type=x&assertion=h.{p}.s").as_bytes(),
            )
        };
        assert_eq!(g("a"), g("b"));
    }
}
