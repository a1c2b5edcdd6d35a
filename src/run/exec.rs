//! The executor: runs planned cases, step by step, with the retry table of `dsop-ajourhold-service.md` §5,
//! and turns each exchange into a verdict (matching first, then environment errors, then deviations).

use super::assert::Assertion;
use super::events::{Event, EventSink};
use super::expect::{match_status, Expectation, Match};
use super::plan::{AuthMode, Call, PlannedCase, PlannedStep};
use crate::apis::{ApiCall, ApiClient, Credentials, Exchange};
use crate::auth::MaskinportenClient;
use crate::model::{Api, CaseResult, Status, StepResult};
use chrono::Utc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Moves the clock of the environment (the simulator's knob); `None` means real time (sleep instead).
pub type ClockKnob = Arc<
    dyn Fn(i64) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync,
>;

pub struct Executor {
    pub api: ApiClient,
    pub mp: Arc<MaskinportenClient>,
    /// The consumer organisation (the institution), for the limiter.
    pub consumer: String,
    pub clock: Option<ClockKnob>,
    pub step_timeout: Duration,
    pub max_attempts: u32,
    /// Cap on backoff and on honoured Retry-After.
    pub backoff_cap: Duration,
    /// Skatteetaten codes that mean "the agency's own failure" (environment errors).
    pub env_codes: Vec<String>,
    /// Seconds the environment's clock was moved for an expired-token step, to move back after the call.
    pub travelled: std::sync::atomic::AtomicI64,
}

/// Codes no client can cause: the agency's own failures.
pub const ENVIRONMENT_CODES: [&str; 14] = [
    "IM-001", "IM-002", "OTP-001", "OTP-002", "DAS-001", "DAS-003", "DAS-004", "DAS-005",
    "DAS-006", "DAS-007", "AA-201", "DAS-002", "IM-003", "OTP-003",
];

static MP_CODE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"MP-\d{3}").expect("static regex"));

struct Outcome {
    status: Status,
    note: Option<String>,
}

fn summarize(ex: &Exchange) -> String {
    if let Some(t) = &ex.transport {
        return format!("ingen HTTP-respons ({}): {}", t.kind, t.message);
    }
    let mut s = format!("HTTP {}", ex.status.unwrap_or(0));
    if let Some(c) = &ex.error_code {
        s.push(' ');
        s.push_str(c);
    }
    if let Some(m) = ex
        .body
        .as_ref()
        .and_then(|b| b.get("melding"))
        .and_then(|m| m.as_str())
    {
        let m: String = m.chars().take(80).collect();
        s.push_str(&format!(": {m}"));
    } else if let Some(b) = &ex.body {
        if let Some(o) = b.as_object() {
            let keys: Vec<&str> = o.keys().map(|k| k.as_str()).take(4).collect();
            s.push_str(&format!(", JSON {{{}}}", keys.join(", ")));
        }
    } else if ex.body_len > 0 {
        s.push_str(&format!(", {} bytes (ikke JSON)", ex.body_len));
    }
    s
}

fn check_fields(assertions: &[Assertion], body: Option<&serde_json::Value>) -> Result<(), String> {
    if assertions.is_empty() {
        return Ok(());
    }
    let Some(b) = body else {
        return Err("svaret hadde ingen JSON-kropp å sjekke nøkkelfelt mot".into());
    };
    let fails: Vec<String> = assertions.iter().filter_map(|a| a.check(b).err()).collect();
    if fails.is_empty() {
        Ok(())
    } else {
        Err(format!("nøkkelfelt: {}", fails.join("; ")))
    }
}

/// Judge one exchange: matching comes first; then environment failures; else a deviation.
fn judge(
    api: Api,
    exp: &Expectation,
    assertions: &[Assertion],
    ex: &Exchange,
    env_codes: &[String],
) -> Outcome {
    let Some(status) = ex.status else {
        let t = ex.transport.as_ref();
        return Outcome {
            status: Status::EnvironmentError,
            note: Some(format!(
                "miljøfeil: {}",
                t.map(|t| t.message.as_str()).unwrap_or("ingen respons")
            )),
        };
    };
    match match_status(exp, status, ex.error_code.as_deref(), &ex.error_codes) {
        Match::Yes { note } => {
            if api == Api::AaregOtp && ex.graphql_errors && !exp.expects_code() {
                let codes = ex.error_codes.join(", ");
                if ex.error_codes.iter().any(|c| c == "AA-201") {
                    return Outcome {
                        status: Status::EnvironmentError,
                        note: Some(format!("NAV svarte AA-201 (ukjent feil): {codes}")),
                    };
                }
                return Outcome {
                    status: Status::Deviation,
                    note: Some(format!(
                        "NAV svarte HTTP 200 med errors ({codes}), som testcasen ikke forventet"
                    )),
                };
            }
            match check_fields(assertions, ex.body.as_ref()) {
                Ok(()) => Outcome {
                    status: Status::Ok,
                    note,
                },
                Err(e) => Outcome {
                    status: Status::Deviation,
                    note: Some(e),
                },
            }
        }
        Match::No { note } => {
            let code = ex.error_code.as_deref().unwrap_or("");
            let bare_404 = api.is_skatteetaten() && status == 404 && ex.error_code.is_none();
            if status >= 500
                || status == 429
                || env_codes.iter().any(|c| c == code)
                || ex.error_codes.iter().any(|c| c == "AA-201")
            {
                Outcome {
                    status: Status::EnvironmentError,
                    note: Some(format!("miljøfeil: {note}")),
                }
            } else if bare_404 {
                Outcome {
                    status: Status::EnvironmentError,
                    note: Some(format!(
                        "miljøfeil/konfigurasjon: 404 uten feilkode betyr at stien ikke finnes; sjekk stimalen for {} ({note})",
                        api.label(crate::model::Lang::Nb)
                    )),
                }
            } else {
                Outcome {
                    status: Status::Deviation,
                    note: Some(note),
                }
            }
        }
    }
}

impl Executor {
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let base = Duration::from_millis(250 * (1u64 << (attempt.min(6) - 1)));
        retry_after.unwrap_or(base).min(self.backoff_cap)
    }

    /// Run one case. Events go to `sink` as they happen.
    pub async fn run_case(&self, case: &PlannedCase, sink: &mut dyn EventSink) -> CaseResult {
        let started = Utc::now();
        let _ = sink.event(&Event::CaseStarted {
            case_id: case.id.clone(),
            at: started,
        });
        let t0 = Instant::now();
        let mut steps = Vec::new();
        let has_writes = case
            .steps
            .iter()
            .any(|s| matches!(&s.call, Call::Api(c) if c.is_write()));
        let mut fetched = Vec::new();
        for st in &case.steps {
            let before = self.mp.tokens_fetched();
            let r = self.run_step(case, st, sink).await;
            fetched.push(self.mp.tokens_fetched() - before);
            let stop = r.status != Status::Ok && has_writes && !case.expects_auth_failure;
            steps.push(r);
            if stop {
                break;
            }
        }
        token_lifetime_check(case, &mut steps, &fetched);
        let mut result = case_result(case, steps);
        result.started = Some(started);
        result.finished = Some(Utc::now());
        result.duration_ms = t0.elapsed().as_millis() as u64;
        result
    }

    async fn run_step(
        &self,
        case: &PlannedCase,
        st: &PlannedStep,
        sink: &mut dyn EventSink,
    ) -> StepResult {
        let started = Utc::now();
        let t0 = Instant::now();
        let mut res = StepResult {
            step: st.step,
            operation: st.operation.clone(),
            api: st.api,
            expected: st.expectation.text(),
            status: Status::NotRun,
            actual_http: None,
            actual_code: None,
            correlation_id: None,
            correlation_id_returned: None,
            duration_ms: 0,
            attempts: 0,
            note: None,
            summary: None,
            started: Some(started),
        };
        match &st.call {
            Call::Token { scope } => self.token_step(case, st, scope, &mut res, sink).await,
            Call::Api(call) => self.api_step(case, st, call, &mut res, sink).await,
        }
        res.duration_ms = t0.elapsed().as_millis() as u64;
        res
    }

    async fn token_step(
        &self,
        case: &PlannedCase,
        st: &PlannedStep,
        scope: &str,
        res: &mut StepResult,
        sink: &mut dyn EventSink,
    ) {
        let mut attempt = 0;
        loop {
            attempt += 1;
            res.attempts = attempt;
            let _ = sink.event(&Event::AttemptStarted {
                case_id: case.id.clone(),
                step: st.step,
                attempt,
                operation: st.operation.clone(),
                method: "POST".into(),
                write: false,
                at: Utc::now(),
            });
            let r = self.mp.request(scope).await;
            let (http, err, retry) = match &r {
                Ok(t) => (
                    Some(t.status),
                    None,
                    matches!(t.status, 429 | 503)
                        && attempt < self.max_attempts
                        && !case.expects_auth_failure,
                ),
                Err(e) => (None, Some(e.to_string()), attempt < self.max_attempts),
            };
            let code = r
                .as_ref()
                .ok()
                .and_then(|t| t.body.as_ref())
                .and_then(|b| b.get("error_description"))
                .and_then(|d| d.as_str())
                .and_then(|d| MP_CODE.find(d).map(|m| m.as_str().to_string()));
            let _ = sink.event(&Event::AttemptFinished {
                case_id: case.id.clone(),
                step: st.step,
                attempt,
                http,
                code: code.clone(),
                correlation_id: None,
                correlation_id_returned: None,
                duration_ms: r
                    .as_ref()
                    .map(|t| t.duration.as_millis() as u64)
                    .unwrap_or(0),
                error: err.clone(),
                will_retry: retry,
                at: Utc::now(),
            });
            if retry {
                tokio::time::sleep(self.backoff(attempt, None)).await;
                continue;
            }
            match r {
                Err(e) => {
                    res.status = Status::EnvironmentError;
                    res.note = Some(format!("miljøfeil: {e}"));
                }
                Ok(t) => {
                    res.actual_http = Some(t.status);
                    res.actual_code = code.clone();
                    let ex = Exchange {
                        status: Some(t.status),
                        body: t.body.clone(),
                        error_code: code,
                        ..Exchange::default()
                    };
                    let o = judge(Api::Maskinporten, &st.expectation, &st.assertions, &ex, &[]);
                    res.status = o.status;
                    let mut notes: Vec<String> = o.note.into_iter().collect();
                    if let Some(c) = &t.claims {
                        let consumer = c
                            .pointer("/consumer/ID")
                            .and_then(|v| v.as_str())
                            .unwrap_or("?");
                        let mut s = format!("consumer {consumer}");
                        if let Some(sup) = c.pointer("/supplier/ID").and_then(|v| v.as_str()) {
                            s.push_str(&format!(", supplier {sup}"));
                        }
                        if let Some(e) = t.expires_in {
                            s.push_str(&format!(", expires_in {e} s"));
                        }
                        res.summary = Some(format!("HTTP {}, {s}", t.status));
                    } else if t.token.is_some() {
                        notes.push("tokenet kunne ikke dekodes (det er ugjennomsiktig etter Digdirs regel); ikke et avvik".into());
                        res.summary = Some(format!("HTTP {}", t.status));
                    } else {
                        let d = t
                            .body
                            .as_ref()
                            .and_then(|b| b.get("error_description"))
                            .and_then(|d| d.as_str())
                            .unwrap_or("");
                        let e = t
                            .body
                            .as_ref()
                            .and_then(|b| b.get("error"))
                            .and_then(|d| d.as_str())
                            .unwrap_or("");
                        res.summary = Some(format!(
                            "HTTP {}: {}",
                            t.status,
                            crate::auth::explain_error(e, d)
                        ));
                    }
                    res.note = (!notes.is_empty()).then(|| notes.join("; "));
                }
            }
            return;
        }
    }

    async fn credentials(
        &self,
        st: &PlannedStep,
        fresh: bool,
    ) -> Result<Credentials, crate::auth::AuthError> {
        let scope = st.api.scope().unwrap_or_default();
        match &st.auth {
            AuthMode::None => Ok(Credentials::None),
            AuthMode::Expired => self.expired_token(st).await,
            AuthMode::Normal => {
                if fresh {
                    self.mp.invalidate(scope).await;
                }
                self.mp.token(scope).await.map(Credentials::Bearer)
            }
            AuthMode::Scope(s) => self.mp.token(s).await.map(Credentials::Bearer),
        }
    }

    async fn api_step(
        &self,
        case: &PlannedCase,
        st: &PlannedStep,
        call: &ApiCall,
        res: &mut StepResult,
        sink: &mut dyn EventSink,
    ) {
        let no_retry = case.expects_auth_failure || st.auth != AuthMode::Normal;
        if st.wait_lifetime {
            self.let_token_lifetime_pass(st).await;
        }
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            res.attempts = attempt;
            let creds = match self.credentials(st, renewed && attempt > 1).await {
                Ok(c) => c,
                Err(e) => {
                    // Maskinporten down or failing is the environment's fault; a refused grant is a
                    // set-up problem of the institution, and the case could not be run.
                    res.status = match &e {
                        crate::auth::AuthError::Transport { .. } => Status::EnvironmentError,
                        crate::auth::AuthError::Refused { status, .. }
                            if *status >= 500 || *status == 429 =>
                        {
                            Status::EnvironmentError
                        }
                        _ => Status::NotRun,
                    };
                    res.note = Some(format!("fikk ikke token: {e}"));
                    return;
                }
            };
            // An expired token: the environment's clock has passed the token's lifetime.
            let travelled = match (&st.auth, &self.clock) {
                (AuthMode::Expired, Some(_)) => {
                    self.travelled.swap(0, std::sync::atomic::Ordering::SeqCst)
                }
                _ => 0,
            };
            let _ = sink.event(&Event::AttemptStarted {
                case_id: case.id.clone(),
                step: st.step,
                attempt,
                operation: st.operation.clone(),
                method: call.method().into(),
                write: call.is_write(),
                at: Utc::now(),
            });
            let ex = self
                .api
                .send(call, &creds, &self.consumer, self.step_timeout)
                .await;
            if travelled != 0 {
                if let Some(k) = &self.clock {
                    k(-travelled).await;
                    self.mp.set_clock_offset(self.mp.clock_offset() - travelled);
                }
            }
            let retry = !no_retry && attempt < self.max_attempts && {
                let read = !call.is_write();
                match (&ex.transport, ex.status) {
                    (Some(t), _) => read || !t.maybe_sent,
                    (None, Some(429)) => true,
                    (None, Some(503)) => read,
                    (None, Some(500)) => read && ex.error_code.as_deref() == Some("DAS-003"),
                    (None, Some(401)) if !renewed && st.auth == AuthMode::Normal => {
                        renewed = true;
                        true
                    }
                    _ => false,
                }
            };
            let _ = sink.event(&Event::AttemptFinished {
                case_id: case.id.clone(),
                step: st.step,
                attempt,
                http: ex.status,
                code: ex.error_code.clone(),
                correlation_id: ex.correlation_id_sent.clone(),
                correlation_id_returned: ex.correlation_id_returned.clone(),
                duration_ms: ex.duration.as_millis() as u64,
                error: ex.transport.as_ref().map(|t| t.message.clone()),
                will_retry: retry,
                at: Utc::now(),
            });
            if retry {
                tokio::time::sleep(self.backoff(attempt, ex.retry_after)).await;
                continue;
            }
            res.actual_http = ex.status;
            res.actual_code = ex.error_code.clone();
            res.correlation_id = ex.correlation_id_sent.clone();
            res.correlation_id_returned = ex.correlation_id_returned.clone();
            res.summary = Some(summarize(&ex));
            let o = judge(
                st.api,
                &st.expectation,
                &st.assertions,
                &ex,
                &self.env_codes,
            );
            res.status = o.status;
            let mut notes: Vec<String> = o.note.into_iter().collect();
            if let (Some(t), true) = (&ex.transport, call.is_write()) {
                if t.maybe_sent {
                    notes.push("skrivekallet kan ha blitt utført; det sendes ikke på nytt. Sjekk avtaleforholdet før ny kjøring".into());
                }
            }
            if attempt > 1 {
                notes.push(format!("{attempt} forsøk"));
            }
            res.note = (!notes.is_empty()).then(|| notes.join("; "));
            return;
        }
    }

    /// MP-02: time passes beyond the current token's `expires_in` (the simulator's clock moves and stays
    /// moved; elsewhere we wait), so the client must renew before it sends the next call.
    async fn let_token_lifetime_pass(&self, st: &PlannedStep) {
        let scope = st.api.scope().unwrap_or_default();
        if self.mp.cached_lifetime(scope).await.is_none() {
            let _ = self.mp.token(scope).await;
        }
        let secs = self.mp.cached_lifetime(scope).await.unwrap_or(120) + 1;
        match &self.clock {
            Some(k) => {
                k(secs).await;
                self.mp.set_clock_offset(self.mp.clock_offset() + secs);
            }
            None => tokio::time::sleep(Duration::from_secs(secs as u64)).await,
        }
    }

    /// A fresh token for the step's scope, then let it outlive its `expires_in` (never a hard-coded 120 s):
    /// the simulator's clock moves forward (and back after the call); elsewhere we wait.
    async fn expired_token(&self, st: &PlannedStep) -> Result<Credentials, crate::auth::AuthError> {
        let scope = st.api.scope().unwrap_or_default();
        let t = self.mp.request(scope).await?;
        let token = t.token.ok_or_else(|| crate::auth::AuthError::Refused {
            status: t.status,
            error: "no_token".into(),
            explanation: format!("Maskinporten answered HTTP {} without a token", t.status),
        })?;
        // Past `exp` plus the APIs' expiry tolerance (NAV's sister API accepts 60 s past `exp`), plus a margin.
        let secs =
            t.expires_in.unwrap_or(120) as i64 + crate::sim::DEFAULT_EXPIRY_TOLERANCE_SECS + 5;
        match &self.clock {
            Some(k) => {
                k(secs).await;
                self.mp.set_clock_offset(self.mp.clock_offset() + secs);
                self.travelled
                    .store(secs, std::sync::atomic::Ordering::SeqCst);
            }
            None => tokio::time::sleep(Duration::from_secs(secs as u64)).await,
        }
        Ok(Credentials::Bearer(token))
    }
}

/// MP-02: one token reused within its lifetime, a new one fetched before expiry, no 401 caused by expiry.
/// Only for cases with a `vent=expires_in` step.
fn token_lifetime_check(case: &PlannedCase, steps: &mut [StepResult], fetched: &[u32]) {
    let Some(w) = case.steps.iter().position(|s| s.wait_lifetime) else {
        return;
    };
    if steps.len() <= w || steps.iter().any(|s| s.status != Status::Ok) {
        return;
    }
    let within: u32 = fetched[..w].iter().sum();
    let renewed = fetched[w];
    let note = format!(
        "tokens hentet: {within} for de {w} første kallene, {renewed} etter at levetiden (expires_in) var passert"
    );
    let s = &mut steps[w];
    if within > 1 {
        steps[0].status = Status::Deviation;
        steps[0].note = Some(format!(
            "tokenet ble ikke gjenbrukt innenfor levetiden; {note}"
        ));
    } else if renewed != 1 || s.attempts != 1 {
        s.status = Status::Deviation;
        s.note = Some(format!(
            "tokenet ble ikke fornyet før utløp (eller kallet fikk 401); {note}"
        ));
    } else {
        s.note = Some(note);
    }
}

/// The case verdict: ok only when every step matched; else the first step that did not decides.
pub fn case_result(case: &PlannedCase, steps: Vec<StepResult>) -> CaseResult {
    let deciding = steps
        .iter()
        .find(|s| s.status != Status::Ok)
        .or(steps.last());
    let status = match deciding {
        Some(s) => s.status,
        None => Status::NotRun,
    };
    let exp = case
        .steps
        .iter()
        .find(|p| Some(p.step) == deciding.map(|d| d.step))
        .or(case.steps.first());
    CaseResult {
        id: case.id.clone(),
        api: case.api,
        operation: case.operation.clone(),
        description: case.description.clone(),
        mandatory: case.mandatory,
        status,
        expected: exp.map(|e| e.expectation.text()).unwrap_or_default(),
        expected_http: exp.and_then(|e| e.expectation.http_text()),
        actual_http: deciding.and_then(|d| d.actual_http),
        expected_code: exp.and_then(|e| e.expectation.code_text()),
        actual_code: deciding.and_then(|d| d.actual_code.clone()),
        correlation_id: deciding.and_then(|d| d.correlation_id.clone()),
        correlation_id_returned: deciding.and_then(|d| d.correlation_id_returned.clone()),
        duration_ms: steps.iter().map(|s| s.duration_ms).sum(),
        attempts: steps.iter().map(|s| s.attempts).sum(),
        note: deciding.and_then(|d| d.note.clone()).map(|n| {
            if steps.len() > 1 {
                format!("steg {}: {n}", deciding.map(|d| d.step).unwrap_or(0))
            } else {
                n
            }
        }),
        started: steps.first().and_then(|s| s.started),
        finished: None,
        steps,
    }
}

/// A case that did not run: `not_run` (or `environment_error` after a failed prerequisite) with a note.
pub fn skipped(case: &PlannedCase, status: Status, note: &str) -> CaseResult {
    let mut r = case_result(case, Vec::new());
    r.status = status;
    r.note = Some(note.to_string());
    r
}
