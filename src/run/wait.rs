//! Waiting cases in real time (docs/rehearse.md): SEC-01 obtains every token it will present expired, then
//! waits once until all are past `exp` plus the API's expiry tolerance plus [`EXPIRY_MARGIN_SECS`]; MP-02
//! waits once past its token's `expires_in`. A waiting case runs beside the others (it holds no `--jobs`
//! slot and, once started, holds no later case back); a write holds exclusivity only for its own call
//! ([`Waits::gate`]). What a case has finished is kept
//! here, so a case cut by its time limit keeps its steps and correlation ids.

use super::plan::{AuthMode, PlannedCase};
use crate::model::{Api, StepResult};
use crate::secret::Secret;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::config::EXPIRY_MARGIN_SECS;

/// A token obtained before the wait, when it expires, and its `expires_in` (seconds).
pub struct ExpiredToken {
    pub token: Secret<String>,
    pub exp: Instant,
    pub lifetime: u64,
}

/// One case's round of expired-token requests, shared by whoever starts it first.
pub type ExpiredRound = std::sync::Arc<tokio::sync::OnceCell<Option<Instant>>>;

/// The executor's state for waits, partial cases and observed tolerances.
#[derive(Default)]
pub struct Waits {
    /// Seconds past `exp` the harness assumes each API still accepts a token (missing: 60).
    pub tolerance: HashMap<Api, u64>,
    /// Tokens obtained ahead for expired-token steps: (case, step) -> token.
    pub expired: Mutex<HashMap<(String, u32), ExpiredToken>>,
    /// Per case, its one round of expired-token requests (started ahead by the scheduler or by the case
    /// itself, whichever comes first; the other waits for it) and when its tokens are all past their
    /// tolerance: `None` when none could be had.
    pub expired_rounds: Mutex<HashMap<String, ExpiredRound>>,
    /// Steps finished so far, per case (a cut case keeps them).
    pub partial: Mutex<HashMap<String, Vec<StepResult>>>,
    /// Time each case spent in the harness's planned waits, so far.
    pub waited: Mutex<HashMap<String, Duration>>,
    /// Seconds past `exp` at which an API still accepted a token: a lower bound of its tolerance.
    pub observed: Mutex<HashMap<Api, u64>>,
    /// Writes take it exclusively for their own call; other calls share it. One gate for all APIs: a
    /// Tjenestepensjonsavtale write changes the avtaleforhold register every agency API answers by.
    pub gate: tokio::sync::RwLock<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Waits {
    pub fn tolerance(&self, api: Api) -> u64 {
        self.tolerance
            .get(&api)
            .copied()
            .unwrap_or(crate::config::DEFAULT_EXPIRY_TOLERANCE_SECS)
    }

    /// A step of `case` finished.
    pub fn step_done(&self, case: &str, step: &StepResult) {
        lock(&self.partial)
            .entry(case.to_string())
            .or_default()
            .push(step.clone());
    }

    /// The steps `case` finished (taken out).
    pub fn take_steps(&self, case: &str) -> Vec<StepResult> {
        lock(&self.partial).remove(case).unwrap_or_default()
    }

    /// Record a planned wait of `case`.
    pub fn add_wait(&self, case: &str, d: Duration) {
        *lock(&self.waited).entry(case.to_string()).or_default() += d;
    }

    /// The time `case` spent in planned waits.
    pub fn waited(&self, case: &str) -> Duration {
        lock(&self.waited).get(case).copied().unwrap_or_default()
    }

    pub fn put_expired(&self, case: &str, step: u32, t: ExpiredToken) {
        lock(&self.expired).insert((case.to_string(), step), t);
    }

    /// The round of expired-token requests of `case` (not started yet, started, or done).
    pub fn expired_round(&self, case: &str) -> ExpiredRound {
        lock(&self.expired_rounds)
            .entry(case.to_string())
            .or_default()
            .clone()
    }

    pub fn take_expired(&self, case: &str, step: u32) -> Option<ExpiredToken> {
        lock(&self.expired).remove(&(case.to_string(), step))
    }

    /// An API accepted a token `secs` past its `exp`.
    pub fn observe(&self, api: Api, secs: u64) {
        let mut o = lock(&self.observed);
        let e = o.entry(api).or_default();
        *e = (*e).max(secs);
    }

    /// The longest planned wait of `case` in real time: the token lifetime (`lifetime` seconds, as the
    /// environment is expected to give it) plus the largest tolerance plus the margin; nothing for a case
    /// that does not wait.
    pub fn planned(&self, case: &PlannedCase, lifetime: u64) -> Duration {
        let expired = case
            .steps
            .iter()
            .filter(|s| s.auth == AuthMode::Expired)
            .map(|s| self.tolerance(s.api) + EXPIRY_MARGIN_SECS)
            .max();
        let lifetime_wait = case.steps.iter().any(|s| s.wait_lifetime).then_some(1);
        match expired.into_iter().chain(lifetime_wait).max() {
            Some(extra) => Duration::from_secs(lifetime + extra),
            None => Duration::ZERO,
        }
    }
}

/// A case that waits in real time (it runs beside the others).
pub fn waits(case: &PlannedCase) -> bool {
    case.steps
        .iter()
        .any(|s| s.auth == AuthMode::Expired || s.wait_lifetime)
}
