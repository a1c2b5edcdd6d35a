//! Fault injection (`--faults SPEC`), deterministic for a given seed and request order.
//!
//! SPEC is a comma-separated list of `key=value[@api]` items (see `docs/simulator.md`):
//!
//! - `seed=N`: seed of the random generator (default 0).
//! - `latency=A..Bms` (or `latency=Nms`): extra delay per request, uniform in [A, B] milliseconds.
//! - `5xx=P`: probability of an HTTP 500 (Skatteetaten: DAS-001 body; NAV: AA-201 body; Maskinporten:
//!   `server_error`).
//! - `reset=P`: probability that the connection is cut after the status line (the body fails mid-stream).
//! - `timeout=P`: probability that the request hangs for 300 s (the client's timeout fires first).
//! - `trigger=CODE@api[*N]`: answer with CODE on `api`, on the first N calls (every call without `*N`).
//!   CODE is a Skatteetaten code (IM-001, IM-002, OTP-001, OTP-002, DAS-001, DAS-003…DAS-008), `AA-201`,
//!   or a bare HTTP status (e.g. `503`).
//!
//! `api` is one of `maskinporten`, `inntekt`, `inntektsmottakere`, `tjenestepensjonsavtale`, `aareg`;
//! without `@api` an item applies to every API. Example:
//! `seed=42,latency=10..50ms,5xx=0.2@inntekt,reset=0.1,timeout=0.05,trigger=IM-002@inntekt*1`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
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

/// What to do to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Answer with this code (or bare HTTP status) instead of serving the request.
    Code(String),
    ServerError,
    Reset,
    Timeout,
}

#[derive(Default)]
pub struct Faults {
    latency: Option<(u64, u64, Option<String>)>,
    server_error: Vec<Prob>,
    reset: Vec<Prob>,
    timeout: Vec<Prob>,
    triggers: Mutex<Vec<Trigger>>,
    rng: Option<Mutex<StdRng>>,
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
        || (code.len() == 3 && code.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)))
}

impl Faults {
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        let mut seed = 0u64;
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
                    seed = value.trim().parse().map_err(|_| format!("--faults: seed={value} is not a number"))?
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
                k @ ("5xx" | "reset" | "timeout") => {
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
                             OTP-002, DAS-001…DAS-008, AA-201 or an HTTP status"
                        ));
                    }
                    triggers.push(Trigger { code, api: check_api(api)?, remaining });
                }
                other => {
                    return Err(format!(
                        "--faults: unknown key {other:?}; use seed, latency, 5xx, reset, timeout or trigger"
                    ))
                }
            }
        }
        f.triggers = Mutex::new(triggers);
        f.rng = Some(Mutex::new(StdRng::seed_from_u64(seed)));
        Ok(f)
    }

    /// Extra latency for a request to `api`, in milliseconds.
    pub fn latency_ms(&self, api: &str) -> u64 {
        let Some((a, b, only)) = &self.latency else {
            return 0;
        };
        if only.as_deref().is_some_and(|o| o != api) {
            return 0;
        }
        match &self.rng {
            Some(rng) if a < b => rng
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .gen_range(*a..=*b),
            _ => *a,
        }
    }

    fn roll(&self, probs: &[Prob], api: &str) -> bool {
        let Some(rng) = &self.rng else { return false };
        probs
            .iter()
            .filter(|p| p.api.as_deref().is_none_or(|a| a == api))
            .any(|p| {
                let x: f64 = rng.lock().unwrap_or_else(|e| e.into_inner()).gen();
                x < p.p
            })
    }

    /// The fault for this request to `api`, if any. Triggers come first, then 5xx, reset, timeout.
    pub fn decide(&self, api: &str) -> Option<FaultAction> {
        {
            let mut triggers = self.triggers.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(t) = triggers
                .iter_mut()
                .find(|t| t.api == api && t.remaining != Some(0))
            {
                if let Some(n) = t.remaining.as_mut() {
                    *n -= 1;
                }
                return Some(FaultAction::Code(t.code.clone()));
            }
        }
        if self.roll(&self.server_error, api) {
            return Some(FaultAction::ServerError);
        }
        if self.roll(&self.reset, api) {
            return Some(FaultAction::Reset);
        }
        if self.roll(&self.timeout, api) {
            return Some(FaultAction::Timeout);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_decide() {
        let f =
            Faults::parse("seed=42,latency=10..50ms,trigger=IM-002@inntekt*1,5xx=1@aareg").unwrap();
        assert_eq!(
            f.decide("inntekt"),
            Some(FaultAction::Code("IM-002".into()))
        );
        assert_eq!(f.decide("inntekt"), None);
        assert_eq!(f.decide("aareg"), Some(FaultAction::ServerError));
        let l = f.latency_ms("inntekt");
        assert!((10..=50).contains(&l));
        assert!(Faults::parse("5xx=2").is_err());
        assert!(Faults::parse("trigger=IM-002").is_err());
        assert!(Faults::parse("trigger=XX-1@inntekt").is_err());
        assert!(Faults::parse("bogus=1").is_err());
        assert_eq!(api_of("/inntekt/v1/otp/x"), Some("inntekt"));
        assert_eq!(api_of("/_sim/log"), None);
    }

    #[test]
    fn deterministic() {
        let a = Faults::parse("seed=7,5xx=0.5").unwrap();
        let b = Faults::parse("seed=7,5xx=0.5").unwrap();
        let xa: Vec<_> = (0..20).map(|_| a.decide("inntekt")).collect();
        let xb: Vec<_> = (0..20).map(|_| b.decide("inntekt")).collect();
        assert_eq!(xa, xb);
    }
}
