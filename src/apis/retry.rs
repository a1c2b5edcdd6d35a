//! The one retry policy, as data, for every call the harness makes: agency reads and writes, the GraphQL
//! query, and Maskinporten token requests (each attempt a new grant with a new `jti`).
//!
//! Reads are retried on transport errors, timeouts, 429 (honouring `Retry-After`, seconds or an HTTP date)
//! and any 5xx, with capped exponential backoff and a total time cap. A write whose request certainly never
//! left (a connection error) or that got 429 is retried like a read. A write with an unknown outcome (a 5xx,
//! or a transport error after it may have been sent) is re-sent once with the identical body: the
//! Tjenestepensjonsavtale POST registers or changes the agreement keyed by avtalereferanse and
//! opplysningspliktig, so the same body sent again leaves the same state (an inference about the API).
//! `--strict-writes` never re-sends such a write.

use std::time::Duration;

/// The retry policy.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts of one call, the first included.
    pub max_attempts: u32,
    /// Backoff before attempt n+1: `base * 2^(n-1)`, at most `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A `Retry-After` longer than this is cut to it.
    pub retry_after_cap: Duration,
    /// No retry that would start later than this after the first attempt.
    pub total_cap: Duration,
    /// Re-send a write with an unknown outcome once (false: `--strict-writes`).
    pub resend_unknown_writes: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(5),
            retry_after_cap: Duration::from_secs(5),
            total_cap: Duration::from_secs(30),
            resend_unknown_writes: true,
        }
    }
}

/// What one attempt gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// No complete answer: a connection error, a timeout, a body cut off or unparsable. `maybe_sent` is
    /// false only when the request certainly never left.
    NoAnswer { maybe_sent: bool },
    /// A complete answer with this status.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
}

/// The policy's decision after an attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// The answer stands.
    Stop,
    /// Try again after the delay.
    Retry(Duration),
    /// A write with an unknown outcome: send the identical body once more after the delay.
    Resend(Duration),
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1`.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.backoff_base * (1u32 << (attempt.clamp(1, 16) - 1));
        match retry_after {
            Some(r) => r.min(self.retry_after_cap),
            None => exp.min(self.backoff_cap),
        }
    }

    /// Whether an attempt's outcome is unknown for a write (it may have been carried out).
    pub fn outcome_unknown(a: &Attempt) -> bool {
        match a {
            Attempt::NoAnswer { maybe_sent } => *maybe_sent,
            Attempt::Status { status, .. } => *status >= 500,
        }
    }

    /// Decide after attempt number `attempt` (1-based) of a read or a write; `elapsed` since the first
    /// attempt started; `resent`: a write already re-sent once.
    pub fn decide(
        &self,
        write: bool,
        attempt: u32,
        elapsed: Duration,
        outcome: &Attempt,
        resent: bool,
    ) -> Decision {
        let retry_after = match outcome {
            Attempt::Status { retry_after, .. } => *retry_after,
            Attempt::NoAnswer { .. } => None,
        };
        let delay = self.backoff(attempt, retry_after);
        if attempt >= self.max_attempts || elapsed + delay > self.total_cap {
            return Decision::Stop;
        }
        let transient = match outcome {
            Attempt::NoAnswer { .. } => true,
            Attempt::Status { status, .. } => *status == 429 || *status >= 500,
        };
        if !transient {
            return Decision::Stop;
        }
        if !write {
            return Decision::Retry(delay);
        }
        if !Self::outcome_unknown(outcome) {
            // Never left, or refused with 429 before any processing: safe to send again.
            return Decision::Retry(delay);
        }
        if self.resend_unknown_writes && !resent {
            Decision::Resend(delay)
        } else {
            Decision::Stop
        }
    }
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 §10.2.3), as a delay from `now`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - now)
        .num_milliseconds()
        .max(0) as u64;
    Some(Duration::from_millis(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> Attempt {
        Attempt::Status {
            status: s,
            retry_after: None,
        }
    }

    #[test]
    fn one_row_per_rule() {
        let p = RetryPolicy::default();
        let strict = RetryPolicy {
            resend_unknown_writes: false,
            ..RetryPolicy::default()
        };
        let z = Duration::ZERO;
        let no = |maybe_sent| Attempt::NoAnswer { maybe_sent };
        let rows: Vec<(&str, &RetryPolicy, bool, u32, Attempt, bool, bool)> = vec![
            // (rule, policy, write, attempt, outcome, resent, retried?)
            ("read: transport error", &p, false, 1, no(true), false, true),
            ("read: 500", &p, false, 1, status(500), false, true),
            ("read: 502", &p, false, 1, status(502), false, true),
            ("read: 429", &p, false, 1, status(429), false, true),
            ("read: 404 stands", &p, false, 1, status(404), false, false),
            ("read: 200 stands", &p, false, 1, status(200), false, false),
            (
                "read: attempts capped",
                &p,
                false,
                3,
                status(503),
                false,
                false,
            ),
            ("write: never sent", &p, true, 1, no(false), false, true),
            ("write: 429", &p, true, 1, status(429), false, true),
            (
                "write: 500 re-sent once",
                &p,
                true,
                1,
                status(500),
                false,
                true,
            ),
            (
                "write: timeout re-sent once",
                &p,
                true,
                1,
                no(true),
                false,
                true,
            ),
            ("write: not twice", &p, true, 2, no(true), true, false),
            ("write: strict", &strict, true, 1, status(500), false, false),
            ("write: 400 stands", &p, true, 1, status(400), false, false),
        ];
        for (rule, pol, write, attempt, outcome, resent, retried) in rows {
            let d = pol.decide(write, attempt, z, &outcome, resent);
            assert_eq!(d != Decision::Stop, retried, "{rule}: {d:?}");
        }
        assert!(matches!(
            p.decide(true, 1, z, &status(503), false),
            Decision::Resend(_)
        ));
        // The total cap stops a retry that would start too late.
        assert_eq!(
            p.decide(false, 1, Duration::from_secs(30), &status(503), false),
            Decision::Stop
        );
    }

    #[test]
    fn retry_after_in_seconds_and_as_an_http_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 09:00:02 GMT", now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let p = RetryPolicy::default();
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(60))),
            p.retry_after_cap
        );
    }
}
