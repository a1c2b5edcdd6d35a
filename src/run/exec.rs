//! The executor: runs planned cases, step by step, every call under the one retry policy
//! (`crate::apis::retry`), and turns each answer into a verdict (`super::verdict`).

use super::plan::{AuthMode, Call, PlannedCase, PlannedStep};
use super::verdict::{judge, Called};
use crate::apis::retry::{Attempt, Decision, RetryPolicy};
use crate::apis::{ApiCall, ApiClient, Credentials, Exchange};
use crate::auth::MaskinportenClient;
use crate::events::{Event, EventSink};
use crate::model::{Api, CaseResult, Status, StepResult};
use crate::note::Note;
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
    /// The one retry policy (`crate::apis::retry`).
    pub retry: RetryPolicy,
    /// Set when the run must stop (a journal write failed before a write, a key problem mid-run): the
    /// remaining cases are not run, with this note.
    pub halt: Halt,
    /// Cases whose first write was sent before an interruption without an answer: running it again is its
    /// one re-send.
    pub resent_before: std::collections::HashSet<String>,
    /// Skatteetaten codes that mean "the agency's own failure" (environment errors).
    pub env_codes: Vec<String>,
    /// Seconds the environment's clock was moved for an expired-token step, to move back after the call.
    pub travelled: std::sync::atomic::AtomicI64,
    /// Real-time waits, partial cases, observed expiry tolerances, the write gate (`super::wait`).
    pub waits: super::wait::Waits,
    /// Token requests running ahead of the cases that need them ([`Executor::in_background`]): the
    /// scheduler's first round, the renewals after a token lifetime passed. The clock moves only once they
    /// are done.
    pub background: Background,
}

/// Tasks the executor started and has not awaited yet.
pub type Background = std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>;

/// Why the run stopped, once it must.
pub type Halt = Arc<std::sync::Mutex<Option<Note>>>;

/// Codes no client can cause: the agency's own failures (from the one code table, `codes`).
pub static ENVIRONMENT_CODES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(crate::codes::environment_codes);

static MP_CODE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"MP-\d{3}").expect("static regex"));

/// A short technical summary of an answer, in no reader's language (the notes carry the words): status, code,
/// the agency's own message, the JSON keys or the size of a body that is not JSON; for no answer, its kind.
fn summarize(ex: &Exchange) -> String {
    if let Some(t) = &ex.transport {
        return format!("{}: {}", t.kind, t.message);
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
        s.push_str(&format!(", {} bytes", ex.body_len));
    }
    s
}

impl Executor {
    /// Stop the run: the remaining cases are not run, with `note`.
    fn stop_run(&self, note: Note) {
        let mut h = self.halt.lock().unwrap_or_else(|p| p.into_inner());
        h.get_or_insert(note);
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
        self.prefetch_expired(case).await;
        // MP-02 counts the cache's fetches for its own scope: other scopes are renewed beside it (and in
        // real time other cases share the cache).
        let scope = case
            .steps
            .iter()
            .find(|s| s.wait_lifetime)
            .and_then(|s| s.api.scope());
        let count = || match scope {
            Some(s) => self.mp.tokens_fetched_for(s),
            None => self.mp.tokens_fetched(),
        };
        for st in &case.steps {
            let before = count();
            let r = self.run_step(case, st, sink).await;
            fetched.push(count() - before);
            self.waits.step_done(&case.id, &r);
            let stop = r.status != Status::Ok && has_writes && !case.expects_auth_failure;
            steps.push(r);
            if stop {
                break;
            }
        }
        self.waits.take_steps(&case.id);
        token_lifetime_check(case, &mut steps, &fetched, self.clock.is_none());
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
            notes: Vec::new(),
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

    /// Journal an attempt before its request is sent.
    fn attempt_started(
        &self,
        sink: &mut dyn EventSink,
        case: &PlannedCase,
        st: &PlannedStep,
        attempt: u32,
        method: &str,
        write: bool,
    ) -> std::io::Result<()> {
        sink.event(&Event::AttemptStarted {
            case_id: case.id.clone(),
            step: st.step,
            attempt,
            operation: st.operation.clone(),
            method: method.into(),
            write,
            at: Utc::now(),
        })
    }

    async fn token_step(
        &self,
        case: &PlannedCase,
        st: &PlannedStep,
        scope: &str,
        res: &mut StepResult,
        sink: &mut dyn EventSink,
    ) {
        let first = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            res.attempts = attempt;
            let _ = self.attempt_started(sink, case, st, attempt, "POST", false);
            let r = self.mp.request(scope).await;
            let outcome = match &r {
                Ok(t) => Attempt::Status {
                    status: t.status,
                    retry_after: None,
                },
                Err(crate::auth::AuthError::Transport { .. }) => {
                    Attempt::NoAnswer { maybe_sent: true }
                }
                Err(_) => Attempt::Status {
                    status: 0,
                    retry_after: None,
                },
            };
            let retry = match case.expects_auth_failure && r.is_ok() {
                true => Decision::Stop,
                false => self
                    .retry
                    .decide(false, attempt, first.elapsed(), &outcome, false),
            };
            let code = r.as_ref().ok().and_then(mp_code);
            let _ = sink.event(&Event::AttemptFinished {
                case_id: case.id.clone(),
                step: st.step,
                attempt,
                http: r.as_ref().ok().map(|t| t.status),
                code: code.clone(),
                correlation_id: None,
                correlation_id_returned: None,
                duration_ms: r
                    .as_ref()
                    .map(|t| t.duration.as_millis() as u64)
                    .unwrap_or(0),
                error: r.as_ref().err().map(|e| e.to_string()),
                will_retry: retry != Decision::Stop,
                at: Utc::now(),
                shape: crate::fidelity::shape::of(r.as_ref().ok().and_then(|t| t.body.as_ref())),
            });
            if let Decision::Retry(d) | Decision::Resend(d) = retry {
                tokio::time::sleep(d).await;
                continue;
            }
            return match r {
                Err(e) => self.no_token(res, &e, true),
                Ok(t) => token_verdict(st, &t, code, res),
            };
        }
    }

    async fn credentials(
        &self,
        case: &PlannedCase,
        st: &PlannedStep,
        fresh: bool,
    ) -> Result<Credentials, crate::auth::AuthError> {
        let scope = st.api.scope().unwrap_or_default();
        match &st.auth {
            AuthMode::None => Ok(Credentials::None),
            AuthMode::Expired => self.expired_token(case, st).await,
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
            self.let_token_lifetime_pass(case, st).await;
        }
        let mut resent = call.is_write() && self.resent_before.contains(&case.id);
        let (first, mut renewed) = (Instant::now(), false);
        let mut ahead = match st.auth {
            AuthMode::Expired => self.waits.take_expired(&case.id, st.step),
            _ => None,
        };
        // In real time, when the token expired (the wait is behind us); with the clock knob the clock moves.
        let exp = ahead
            .as_ref()
            .filter(|_| self.clock.is_none())
            .map(|t| t.exp);
        let mut attempt = 0;
        loop {
            attempt += 1;
            res.attempts = attempt;
            let creds = match ahead.take() {
                Some(t) => {
                    self.past_expiry(case, st, t.lifetime, false).await;
                    Ok(Credentials::Bearer(t.token))
                }
                None => self.credentials(case, st, renewed && attempt > 1).await,
            };
            let creds = match creds {
                Ok(c) => c,
                Err(e) => return self.no_token(res, &e, false),
            };
            let Some(ex) = self
                .send_attempt(case, st, call, &creds, attempt, sink)
                .await
            else {
                return self.journal_failed(res);
            };
            let decision = if no_retry {
                Decision::Stop
            } else if ex.status == Some(401) && ex.transport.is_none() && !renewed {
                // Once: the token may have expired between the cache check and the call.
                renewed = true;
                Decision::Retry(Duration::ZERO)
            } else {
                let outcome = attempt_of(&ex);
                let write = call.is_write();
                self.retry
                    .decide(write, attempt, first.elapsed(), &outcome, resent)
            };
            let _ = sink.event(&attempt_finished(
                case,
                st,
                attempt,
                &ex,
                decision != Decision::Stop,
            ));
            match decision {
                Decision::Stop => {
                    self.api_verdict(st, call, &ex, (attempt, resent, renewed), res);
                    return self.expired_accepted(st, &ex, exp, res);
                }
                Decision::Retry(d) => tokio::time::sleep(d).await,
                Decision::Resend(d) => {
                    resent = true;
                    tokio::time::sleep(d).await
                }
            }
        }
    }

    /// The journal line before a write could not be written: the write is not sent and the run stops.
    fn journal_failed(&self, res: &mut StepResult) {
        let note = Note::JournalFailed {
            detail: "write error".into(),
        };
        res.status = Status::NotRun;
        res.notes = vec![note.clone()];
        self.stop_run(note);
    }

    /// One attempt: journalled, sent, and the environment's clock moved back after an expired-token call.
    async fn send_attempt(
        &self,
        case: &PlannedCase,
        st: &PlannedStep,
        call: &ApiCall,
        creds: &Credentials,
        attempt: u32,
        sink: &mut dyn EventSink,
    ) -> Option<Exchange> {
        // An expired token: the environment's clock has passed the token's lifetime.
        let travelled = match (&st.auth, &self.clock) {
            (AuthMode::Expired, Some(_)) => {
                self.travelled.swap(0, std::sync::atomic::Ordering::SeqCst)
            }
            _ => 0,
        };
        let journalled =
            self.attempt_started(sink, case, st, attempt, call.method(), call.is_write());
        if journalled.is_err() && call.is_write() {
            return None;
        }
        // A write holds exclusivity for its own call (one without a token or with an expired one is refused
        // before it writes).
        let (_shared, _alone);
        if call.is_write() && !matches!(st.auth, AuthMode::Expired | AuthMode::None) {
            _alone = self.waits.gate.write().await;
        } else {
            _shared = self.waits.gate.read().await;
        }
        let ex = self
            .api
            .send(call, creds, &self.consumer, self.step_timeout)
            .await;
        if travelled != 0 {
            self.move_clock(-travelled).await;
        }
        Some(ex)
    }

    /// Judge the last answer of an API step (`tries`: the attempts, whether a write was re-sent, whether a
    /// 401 made the client renew its token).
    fn api_verdict(
        &self,
        st: &PlannedStep,
        call: &ApiCall,
        ex: &Exchange,
        tries: (u32, bool, bool),
        res: &mut StepResult,
    ) {
        let (attempt, resent, renewed) = tries;
        res.actual_http = ex.status;
        res.actual_code = ex.error_code.clone();
        res.correlation_id = ex.correlation_id_sent.clone();
        res.correlation_id_returned = ex.correlation_id_returned.clone();
        res.summary = Some(summarize(ex));
        let called = Called {
            api: st.api,
            write: call.is_write(),
        };
        let o = judge(called, &st.expectation, &st.assertions, ex, &self.env_codes);
        res.status = o.status;
        let mut notes = o.notes;
        if resent {
            notes.push(Note::WriteResent);
        }
        if renewed {
            notes.push(Note::RenewedAfter401);
        }
        if attempt > 1 {
            notes.push(Note::Attempts { n: attempt });
        }
        res.notes = notes;
    }

    /// An expired-token call the API accepted: not an Avvik against the institution (the API's tolerance is
    /// longer than the harness's wait). The step is ok with a note; the lower bound of the API's tolerance is
    /// kept for results.json.
    fn expired_accepted(
        &self,
        st: &PlannedStep,
        ex: &Exchange,
        exp: Option<Instant>,
        res: &mut StepResult,
    ) {
        let (Some(exp), Some(status)) = (exp, ex.status) else {
            return;
        };
        let accepted = ex.transport.is_none() && status < 500 && status != 401 && status != 403;
        if st.auth != AuthMode::Expired || res.status != Status::Deviation || !accepted {
            return;
        }
        let secs = Instant::now().saturating_duration_since(exp).as_secs();
        self.waits.observe(st.api, secs);
        res.status = Status::Ok;
        res.notes = vec![Note::ExpiredTokenAccepted {
            api: st.api.label(crate::model::Lang::En).to_string(),
            secs,
        }];
    }

    /// Every token the case will present expired is obtained first ([`Executor::fetch_expired`]); in real
    /// time then one wait until all are past `exp` + the API's tolerance + the margin (with the clock knob
    /// each step moves the clock instead).
    async fn prefetch_expired(&self, case: &PlannedCase) {
        let until = self.fetch_expired(case).await;
        if let (Some(u), None) = (until, &self.clock) {
            let t0 = Instant::now();
            tokio::time::sleep_until(tokio::time::Instant::from_std(u)).await;
            self.waits.add_wait(&case.id, t0.elapsed());
        }
    }

    /// The tokens `case` will present expired, requested side by side, once per case: the scheduler starts
    /// this ahead ([`Executor::in_background`]) and the case, when it starts, waits for that round rather
    /// than requesting again. Returns the instant all of them are past `exp` + the API's tolerance + the margin. A
    /// token that cannot be had is left to its step, and so are the steps after it.
    pub async fn fetch_expired(&self, case: &PlannedCase) -> Option<Instant> {
        if !case.steps.iter().any(|s| s.auth == AuthMode::Expired) {
            return None;
        }
        let round = self.waits.expired_round(&case.id);
        *round.get_or_init(|| self.request_expired(case)).await
    }

    async fn request_expired(&self, case: &PlannedCase) -> Option<Instant> {
        let steps: Vec<&PlannedStep> = case
            .steps
            .iter()
            .filter(|s| s.auth == AuthMode::Expired)
            .collect();
        let answers = futures_util::future::join_all(steps.iter().map(|st| async {
            let r = self.mp.request(st.api.scope().unwrap_or_default()).await;
            (r, Instant::now())
        }))
        .await;
        let mut until: Option<Instant> = None;
        for (st, (r, at)) in steps.into_iter().zip(answers) {
            let Ok(t) = r else {
                break;
            };
            let Some(token) = t.token else {
                break;
            };
            let lifetime = t.expires_in.unwrap_or(120);
            let exp = at + Duration::from_secs(lifetime);
            let margin = self.waits.tolerance(st.api) + super::wait::EXPIRY_MARGIN_SECS;
            let ready = exp + Duration::from_secs(margin);
            until = Some(until.map_or(ready, |u| u.max(ready)));
            let t = super::wait::ExpiredToken {
                token,
                exp,
                lifetime,
            };
            self.waits.put_expired(&case.id, st.step, t);
        }
        until
    }

    /// Run `task` (token requests ahead of the cases that need them) beside the cases; it is awaited before
    /// the clock moves.
    pub fn in_background(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let h = tokio::spawn(task);
        let mut bg = self.background.lock().unwrap_or_else(|p| p.into_inner());
        bg.retain(|t| !t.is_finished());
        bg.push(h);
    }

    /// Stop the token requests still running in the background (the run is over: nothing needs them).
    pub fn stop_background(&self) {
        let bg = self.background.lock().unwrap_or_else(|p| p.into_inner());
        for t in bg.iter() {
            t.abort();
        }
    }

    /// Wait for the token requests running in the background.
    async fn settle(&self) {
        let tasks: Vec<_> = {
            let mut bg = self.background.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::take(&mut *bg)
        };
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Move the environment's clock (the simulator's knob) by `secs`, and this client's with it, once no
    /// token request is in flight (a grant made before the move would be judged after it).
    async fn move_clock(&self, secs: i64) {
        let Some(k) = &self.clock else {
            return;
        };
        self.settle().await;
        k(secs).await;
        self.mp.set_clock_offset(self.mp.clock_offset() + secs);
    }

    /// No token. Maskinporten down or failing is the environment's fault; a refused grant is a set-up
    /// problem of the institution (the case could not be run); a key, certificate or configuration problem
    /// of our own stops the run (`mp01`: the token request was the step itself).
    fn no_token(&self, res: &mut StepResult, e: &crate::auth::AuthError, mp01: bool) {
        use crate::auth::AuthError;
        let detail = e.to_string();
        let (status, note) = match e {
            AuthError::Transport { .. } if mp01 => {
                (Status::EnvironmentError, Note::NoAnswer { detail })
            }
            AuthError::Transport { .. } => (Status::EnvironmentError, Note::NoToken { detail }),
            AuthError::Refused { status, .. } if *status >= 500 || *status == 429 => {
                (Status::EnvironmentError, Note::NoToken { detail })
            }
            AuthError::Refused { .. } => (Status::NotRun, Note::NoToken { detail }),
            AuthError::Certificate(_) | AuthError::Config(_) => {
                let note = Note::LocalSetup { detail };
                self.stop_run(note.clone());
                (Status::NotRun, note)
            }
        };
        res.status = status;
        res.notes = vec![note];
    }

    /// MP-02: time passes beyond the current token's `expires_in` (the simulator's clock moves and stays
    /// moved; elsewhere we wait), so the client must renew before it sends the next call. The other scopes'
    /// tokens that went stale meanwhile are renewed side by side in the background, while the case renews
    /// its own: the cases after it find them fresh.
    async fn let_token_lifetime_pass(&self, case: &PlannedCase, st: &PlannedStep) {
        let scope = st.api.scope().unwrap_or_default();
        if self.mp.cached_lifetime(scope).await.is_none() {
            let _ = self.mp.token(scope).await;
        }
        let secs = self.mp.cached_lifetime(scope).await.unwrap_or(120) + 1;
        match &self.clock {
            Some(_) => self.move_clock(secs).await,
            None => {
                tokio::time::sleep(Duration::from_secs(secs as u64)).await;
                self.waits
                    .add_wait(&case.id, Duration::from_secs(secs as u64));
            }
        }
        let (mp, own) = (self.mp.clone(), scope.to_string());
        self.in_background(async move {
            let stale = mp.stale_scopes(&own).await;
            futures_util::future::join_all(stale.iter().map(|s| mp.token(s))).await;
        });
    }

    /// A fresh token for the step's scope, then let it outlive its `expires_in` (never a hard-coded 120 s):
    /// the simulator's clock moves forward (and back after the call); elsewhere we wait.
    async fn expired_token(
        &self,
        case: &PlannedCase,
        st: &PlannedStep,
    ) -> Result<Credentials, crate::auth::AuthError> {
        let scope = st.api.scope().unwrap_or_default();
        let t = self.mp.request(scope).await?;
        let token = t.token.ok_or_else(|| crate::auth::AuthError::Refused {
            status: t.status,
            error: "no_token".into(),
            explanation: format!("Maskinporten answered HTTP {} without a token", t.status),
        })?;
        self.past_expiry(case, st, t.expires_in.unwrap_or(120), true)
            .await;
        Ok(Credentials::Bearer(token))
    }

    /// Let a token of `lifetime` seconds, just obtained, be past its `exp` plus the API's expiry tolerance
    /// (`expiry_tolerance_secs`) plus a margin: the simulator's clock moves forward (and back after the
    /// call); in real time we wait here when `wait` (else the case waited already, `prefetch_expired`).
    async fn past_expiry(&self, case: &PlannedCase, st: &PlannedStep, lifetime: u64, wait: bool) {
        let secs =
            (lifetime + self.waits.tolerance(st.api) + super::wait::EXPIRY_MARGIN_SECS) as i64;
        match &self.clock {
            Some(_) => {
                self.move_clock(secs).await;
                self.travelled
                    .store(secs, std::sync::atomic::Ordering::SeqCst);
            }
            None if wait => {
                tokio::time::sleep(Duration::from_secs(secs as u64)).await;
                self.waits
                    .add_wait(&case.id, Duration::from_secs(secs as u64));
            }
            None => {}
        }
    }
}

/// The `attempt_finished` event of an API call.
fn attempt_finished(
    case: &PlannedCase,
    st: &PlannedStep,
    attempt: u32,
    ex: &Exchange,
    will_retry: bool,
) -> Event {
    Event::AttemptFinished {
        case_id: case.id.clone(),
        step: st.step,
        attempt,
        http: ex.status,
        code: ex.error_code.clone(),
        correlation_id: ex.correlation_id_sent.clone(),
        correlation_id_returned: ex.correlation_id_returned.clone(),
        duration_ms: ex.duration.as_millis() as u64,
        error: ex.transport.as_ref().map(|t| t.message.clone()),
        will_retry,
        at: Utc::now(),
        shape: crate::fidelity::shape::of(ex.body.as_ref()),
    }
}

/// What an attempt gave, for the retry policy.
fn attempt_of(ex: &Exchange) -> Attempt {
    match (&ex.transport, ex.status) {
        (None, Some(status)) => Attempt::Status {
            status,
            retry_after: ex.retry_after,
        },
        (t, _) => Attempt::NoAnswer {
            maybe_sent: t.as_ref().is_none_or(|t| t.maybe_sent),
        },
    }
}

/// The MP-xxx code in a Maskinporten error description.
fn mp_code(t: &crate::auth::TokenResponse) -> Option<String> {
    let d = t.body.as_ref()?.get("error_description")?.as_str()?;
    MP_CODE.find(d).map(|m| m.as_str().to_string())
}

/// Judge a token answer (MP-01) and summarise it: the claims, an opaque token, or the error explained.
fn token_verdict(
    st: &PlannedStep,
    t: &crate::auth::TokenResponse,
    code: Option<String>,
    res: &mut StepResult,
) {
    res.actual_http = Some(t.status);
    res.actual_code = code.clone();
    let ex = Exchange {
        status: Some(t.status),
        body: t.body.clone(),
        error_code: code,
        ..Exchange::default()
    };
    let called = Called {
        api: Api::Maskinporten,
        write: false,
    };
    let o = judge(called, &st.expectation, &st.assertions, &ex, &[]);
    res.status = o.status;
    let mut notes = o.notes;
    let field = |k: &str| {
        t.body
            .as_ref()
            .and_then(|b| b.get(k))
            .and_then(|d| d.as_str())
            .unwrap_or("")
            .to_string()
    };
    res.summary = Some(if let Some(c) = &t.claims {
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
        format!("HTTP {}, {s}", t.status)
    } else if t.token.is_some() {
        notes.push(Note::OpaqueToken);
        format!("HTTP {}", t.status)
    } else {
        let explained = crate::auth::explain_error(&field("error"), &field("error_description"));
        format!("HTTP {}: {explained}", t.status)
    });
    res.notes = notes;
}

/// MP-02: one token reused within its lifetime, a new one fetched before expiry, no 401 caused by expiry.
/// Only for cases with a `vent=expires_in` step.
/// In real time (`shared`) other cases use the same cache: during the wait they may renew the token too, so
/// more than one renewal is no fault of the client.
fn token_lifetime_check(
    case: &PlannedCase,
    steps: &mut [StepResult],
    fetched: &[u32],
    shared: bool,
) {
    let Some(w) = case.steps.iter().position(|s| s.wait_lifetime) else {
        return;
    };
    if steps.len() <= w || steps.iter().any(|s| s.status != Status::Ok) {
        return;
    }
    let within: u32 = fetched[..w].iter().sum();
    let renewed = fetched[w];
    let fetched_note = Note::TokensFetched {
        within,
        first_calls: w,
        renewed,
    };
    let s = &mut steps[w];
    if within > 1 {
        steps[0].status = Status::Deviation;
        steps[0].notes = vec![Note::TokenNotReused, fetched_note];
    } else if renewed == 0 || (renewed > 1 && !shared) || s.notes.contains(&Note::RenewedAfter401) {
        // Retries of the call itself (a 5xx, a reset) are the environment's, not the token's.
        s.status = Status::Deviation;
        s.notes = vec![Note::TokenNotRenewed, fetched_note];
    } else {
        s.notes = vec![fetched_note];
    }
}

/// The case verdict: ok only when every step matched; else the first step that did not decides.
pub fn case_result(case: &PlannedCase, steps: Vec<StepResult>) -> CaseResult {
    let deciding = crate::lang::deciding_step(&steps);
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
        // Worded from the deciding step's typed notes when the report is built (`crate::lang::case_note`).
        note: None,
        notes: Vec::new(),
        reason: None,
        started: steps.first().and_then(|s| s.started),
        finished: None,
        steps,
    }
}

/// A case that did not run: `not_run` (or `environment_error` after a failed prerequisite) with a note.
pub fn skipped(case: &PlannedCase, status: Status, note: Note) -> CaseResult {
    let mut r = case_result(case, Vec::new());
    r.status = status;
    r.notes = vec![note];
    r
}
