//! The decision ok / Avvik (deviation) / Miljøfeil (environment error) for one answer. An answer is a
//! status plus a complete body: a body that timed out, was cut off or does not parse as its declared
//! content type is no answer and is never matched against the expectation. For a write, no answer after
//! it may have been sent, and any 5xx, leave the outcome unknown: Miljøfeil with reason `outcome_unknown`.

use super::assert::Assertion;
use super::expect::{match_status, Expectation, Match};
use crate::apis::Exchange;
use crate::model::{Api, Status};
use crate::note::Note;

/// A verdict with its notes.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub notes: Vec<Note>,
}

impl Outcome {
    fn new(status: Status, note: impl Into<Option<Note>>) -> Outcome {
        Outcome {
            status,
            notes: note.into().into_iter().collect(),
        }
    }
}

/// What was called: the API, and whether the call writes (Tjenestepensjonsavtale POST or DELETE).
#[derive(Clone, Copy, Debug)]
pub struct Called {
    pub api: Api,
    pub write: bool,
}

fn check_fields(assertions: &[Assertion], body: Option<&serde_json::Value>) -> Result<(), Note> {
    if assertions.is_empty() {
        return Ok(());
    }
    let Some(b) = body else {
        return Err(Note::NoBodyForFields);
    };
    let failures: Vec<String> = assertions.iter().filter_map(|a| a.check(b).err()).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Note::FieldsFailed { failures })
    }
}

/// Judge one exchange. No complete answer first (never matched); a write's unknown outcome; then matching;
/// then environment failures; else a deviation.
pub fn judge(
    called: Called,
    exp: &Expectation,
    assertions: &[Assertion],
    ex: &Exchange,
    env_codes: &[String],
) -> Outcome {
    let status = match (ex.status, &ex.transport) {
        (Some(s), None) => s,
        (_, t) => {
            let detail = t.as_ref().map(|t| t.message.clone()).unwrap_or_default();
            let unknown = called.write && t.as_ref().is_none_or(|t| t.maybe_sent);
            let note = match unknown {
                true => Note::OutcomeUnknown { detail },
                false => Note::NoAnswer { detail },
            };
            return Outcome::new(Status::EnvironmentError, note);
        }
    };
    if called.write && status >= 500 {
        let detail = format!("HTTP {status} {}", ex.error_code.as_deref().unwrap_or(""));
        let note = Note::OutcomeUnknown {
            detail: detail.trim().to_string(),
        };
        return Outcome::new(Status::EnvironmentError, note);
    }
    match match_status(exp, status, ex.error_code.as_deref(), &ex.error_codes) {
        Match::Yes { note } => {
            if called.api == Api::AaregOtp && ex.graphql_errors && !exp.expects_code() {
                let codes = ex.error_codes.join(", ");
                if ex.error_codes.iter().any(|c| c == "AA-201") {
                    return Outcome::new(Status::EnvironmentError, Note::NavUnknownError { codes });
                }
                return Outcome::new(Status::Deviation, Note::NavUnexpectedErrors { codes });
            }
            match check_fields(assertions, ex.body.as_ref()) {
                Ok(()) => Outcome::new(Status::Ok, note),
                Err(e) => Outcome::new(Status::Deviation, e),
            }
        }
        Match::No { note } => mismatch(called.api, status, ex, env_codes, note),
    }
}

/// The answer did not match: the environment's failure, a missing path, or a deviation.
fn mismatch(api: Api, status: u16, ex: &Exchange, env_codes: &[String], note: Note) -> Outcome {
    let code = ex.error_code.as_deref().unwrap_or("");
    let cause = Box::new(note.clone());
    if status >= 500
        || status == 429
        || env_codes.iter().any(|c| c == code)
        || ex.error_codes.iter().any(|c| c == "AA-201")
    {
        Outcome::new(Status::EnvironmentError, Note::EnvironmentFault { cause })
    } else if api.is_skatteetaten() && status == 404 && ex.error_code.is_none() {
        let api = api.label(crate::model::Lang::Nb).to_string();
        Outcome::new(Status::EnvironmentError, Note::PathNotFound { api, cause })
    } else {
        Outcome::new(Status::Deviation, note)
    }
}
