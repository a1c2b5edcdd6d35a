//! Notes and reasons as typed values. The runner records *what* happened; the `lang` module words it in the
//! report's language when the `RunReport` is built, so a journal re-renders in either language.

use serde::{Deserialize, Serialize};

/// A note on a case or a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// The case was left out by `--only`, `--skip` or `--mandatory-only`.
    NotSelected,
    /// Ctrl-C stopped the run before the case started.
    Interrupted,
    /// The case writes to Tjenestepensjonsavtale: never run in production.
    ProdWrite,
    /// The case depends on a case that ended with an environment error: `cause` is that case's own note (its
    /// deciding step's, `step`, when it ran), so the reader sees what the environment did.
    PrerequisiteEnvironmentError {
        case: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cause: Vec<Note>,
    },
    /// The case depends on a case that deviated.
    PrerequisiteDeviated { case: String },
    /// A write was sent before an interruption and its answer never came.
    WriteOutcomeUnknownBeforeResume { operation: String },
    /// The case ran past `--case-timeout`.
    CaseTimeout { secs: u64 },
    /// The case was cut by its time limit (`secs`, planned waits included) at step `step`; `waited_secs` of
    /// it the harness spent in its own planned waits, the rest was the environment's.
    CaseCut {
        secs: u64,
        step: u32,
        waited_secs: u64,
    },
    /// An expired-token call was accepted `secs` past the token's `exp`: the API's tolerance is longer than
    /// the harness's wait (`expiry_tolerance_secs`). Not a deviation.
    ExpiredTokenAccepted { api: String, secs: u64 },
    /// No HTTP answer at all (transport error or timeout).
    NoAnswer { detail: String },
    /// The environment failed (5xx, 429, an agency's own error code); `cause` says what came back.
    EnvironmentFault { cause: Box<Note> },
    /// A 404 without an error code from Skatteetaten: the path does not exist.
    PathNotFound { api: String, cause: Box<Note> },
    /// The expectation did not match.
    Mismatch {
        expected: String,
        got: String,
        class_ok: bool,
    },
    /// An inferred (undocumented) code was expected; the status matched.
    InferredCode {
        code: String,
        got: Option<String>,
        status: u16,
    },
    /// Inntekt answered IM-010 where IM-008 and IM-010 are both accepted.
    Im010AsNoIncome,
    /// Inntekt answered IM-008 where IM-008 and IM-010 are both accepted.
    Im008NotIm010,
    /// NAV answered AA-201 (unknown error) inside a GraphQL 200.
    NavUnknownError { codes: String },
    /// NAV answered 200 with GraphQL errors the case did not expect.
    NavUnexpectedErrors { codes: String },
    /// Key fields were expected but the answer had no JSON body.
    NoBodyForFields,
    /// Key-field assertions that failed.
    FieldsFailed { failures: Vec<String> },
    /// No token could be had for the call.
    NoToken { detail: String },
    /// The token could not be decoded (opaque tokens are allowed).
    OpaqueToken,
    /// A write's transport failed after it may have been sent: not re-sent.
    WriteMaybeDone,
    /// The call got 401 and the client renewed its token before trying again.
    RenewedAfter401,
    /// The step needed several attempts.
    Attempts { n: u32 },
    /// MP-02: how many tokens were fetched within and after the lifetime.
    TokensFetched {
        within: u32,
        first_calls: usize,
        renewed: u32,
    },
    /// MP-02: the token was not reused within its lifetime.
    TokenNotReused,
    /// MP-02: the token was not renewed before expiry (or the call got 401).
    TokenNotRenewed,
    /// A write whose outcome is unknown: it may have been carried out (no complete answer after it was
    /// sent, or a 5xx). Reason `outcome_unknown` in results.json.
    OutcomeUnknown { detail: String },
    /// A write re-sent once with the identical body after an unknown outcome; the second answer counts.
    WriteResent,
    /// A key, certificate or configuration problem of our own (e.g. the grant could not be signed).
    LocalSetup { detail: String },
    /// The journal line that must precede a write could not be written: the write was not sent.
    JournalFailed { detail: String },
    /// The run stopped before this case: `cause` says why.
    RunStopped { cause: Box<Note> },
    /// Text from outside the runner (assertion messages, which quote the workbook).
    Text { text: String },
}

impl Note {
    /// The machine-readable reason results.json carries for this note, if any.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Note::OutcomeUnknown { .. } | Note::WriteOutcomeUnknownBeforeResume { .. } => {
                Some("outcome_unknown")
            }
            Note::RunStopped { cause } => cause.reason(),
            Note::JournalFailed { .. } => Some("journal_write_failed"),
            Note::LocalSetup { .. } => Some("local_setup"),
            _ => None,
        }
    }
}

/// A note on the run as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum RunNote {
    /// The run used the embedded simulator.
    Simulated,
    /// `dsop-harness rehearse`: the test-environment run against the embedded simulator.
    Rehearsal,
    /// `--env test` against an endpoint that is not the agencies' documented test host; `loopback` when it
    /// is this machine (as every endpoint of a rehearsal is).
    UndocumentedEndpoint {
        name: String,
        url: String,
        #[serde(default)]
        loopback: bool,
    },
    /// What a rehearsal could not rehearse (issuer trust), or what the agencies will refuse: a key from
    /// `run::rehearse` (`issuer_trust_not_rehearsed`, `will_be_refused`, `throw_away_key`), worded per language.
    RehearsalSetup { text: String },
    /// An Altinn system user was used.
    SystemUser,
    /// `--rerun-failed` of an earlier run.
    Rerun { run_id: String, dir: String },
    /// The journal has no `run_finished` event.
    CutOff,
}
