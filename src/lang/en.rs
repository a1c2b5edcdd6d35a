//! English (`--lang en`).

use crate::note::{Note, RunNote};

pub fn note(n: &Note) -> String {
    match n {
        Note::NotSelected => "not selected".into(),
        Note::Interrupted => "interrupted (Ctrl-C) before the case started".into(),
        Note::ProdWrite => "writes to Tjenestepensjonsavtale: never run in production".into(),
        Note::PrerequisiteEnvironmentError { case, step, cause } => super::with_cause(
            format!("the prerequisite {case} ended with an environment error"),
            *step,
            cause,
            crate::model::Lang::En,
        ),
        Note::PrerequisiteDeviated { case } => format!("the prerequisite {case} deviated"),
        Note::WriteOutcomeUnknownBeforeResume { operation } => format!(
            "{operation} was sent before the interruption but its answer never came: the outcome is unknown and \
             the call is not sent again. Check the avtaleforhold (avtalereferanse and opplysningspliktig) before \
             a new run"
        ),
        Note::CaseTimeout { secs } => format!(
            "timeout: the case took more than {secs} s (the environment did not answer in time)"
        ),
        Note::CaseCut {
            secs,
            step,
            waited_secs,
        } => {
            let who = if *waited_secs * 2 >= *secs {
                "most of the time went to the harness's own planned waits"
            } else {
                "most of the time went to waiting for the environment"
            };
            format!(
                "timeout: the case was cut at step {step} after {secs} s; {who} ({waited_secs} s planned waiting). \
                 Finished steps are kept"
            )
        }
        Note::ExpiredTokenAccepted { api, secs } => format!(
            "{api} accepted a token {secs} s past exp: the API's tolerance is longer than the harness's wait \
             (expiry_tolerance_secs). Not a deviation of the institution"
        ),
        Note::NoAnswer { detail } if detail.is_empty() => "environment error: no response".into(),
        Note::NoAnswer { detail } => format!("environment error: {detail}"),
        Note::EnvironmentFault { cause } => format!("environment error: {}", note(cause)),
        Note::PathNotFound { api, cause } => format!(
            "environment/configuration error: a 404 without an error code means the path does not exist; check \
             the path template for {api} ({})",
            note(cause)
        ),
        Note::Mismatch {
            expected,
            got,
            class_ok: true,
        } => format!(
            "right status class, but another status or code: expected {expected}, got {got}"
        ),
        Note::Mismatch { expected, got, .. } => format!("expected {expected}, got {got}"),
        Note::InferredCode { code, got, status } => format!(
            "the expected code {code} is inferred (not documented); received {} with the right status {status}",
            got.as_deref().unwrap_or("no code")
        ),
        Note::Im010AsNoIncome => "Inntekt answered IM-010 (DSOP FAQ: \"no income\"; Skatteetaten's table: \
                                  consent). Read as \"no income\" for otp."
            .into(),
        Note::Im008NotIm010 => "Inntekt answered IM-008 (Skatteetaten's table: no income data), not IM-010 as \
                                in the DSOP FAQ."
            .into(),
        Note::NavUnknownError { codes } => format!("NAV answered AA-201 (unknown error): {codes}"),
        Note::NavUnexpectedErrors { codes } => {
            format!("NAV answered HTTP 200 with errors ({codes}), which the case did not expect")
        }
        Note::NoBodyForFields => "the answer had no JSON body to check the key fields against".into(),
        Note::FieldsFailed { failures } => format!("key fields: {}", failures.join("; ")),
        Note::NoToken { detail } => format!("no token: {detail}"),
        Note::OpaqueToken => {
            "the token could not be decoded (it is opaque under Digdir's rule); not a deviation".into()
        }
        Note::WriteMaybeDone => "the write may have been carried out; it is not sent again. Check the \
                                 avtaleforhold before a new run"
            .into(),
        Note::RenewedAfter401 => "got 401 and renewed the token before the next attempt".into(),
        Note::Attempts { n } => format!("{n} attempts"),
        Note::TokensFetched {
            within,
            first_calls,
            renewed,
        } if *within == 0 => format!(
            "tokens fetched: none for the first {first_calls} calls (they reused the token fetched before \
             the case started), {renewed} after the lifetime (expires_in) had passed"
        ),
        Note::TokensFetched {
            within,
            first_calls,
            renewed,
        } => format!(
            "tokens fetched: {within} for the first {first_calls} calls, {renewed} after the lifetime \
             (expires_in) had passed"
        ),
        Note::TokenNotReused => "the token was not reused within its lifetime".into(),
        Note::TokenNotRenewed => {
            "the token was not renewed before it expired (or the call got 401)".into()
        }
        Note::OutcomeUnknown { detail } => format!(
            "the outcome of the write is unknown ({detail}): it may have been carried out. Check the \
             avtaleforhold (avtalereferanse and opplysningspliktig) before a new run"
        ),
        Note::WriteResent => {
            "sent once more with the identical body after an unknown outcome; the second answer counts".into()
        }
        Note::LocalSetup { detail } => format!("key, certificate or configuration: {detail}"),
        Note::JournalFailed { detail } => format!(
            "the journal could not be written before the write ({detail}); the call was not sent and the run stopped"
        ),
        Note::RunStopped { cause } => format!("the run stopped: {}", note(cause)),
        Note::Text { text } => text.clone(),
    }
}

pub fn run_note(n: &RunNote) -> String {
    match n {
        RunNote::Simulated => {
            "Run against dsop-harness's embedded simulator: not evidence for Bits.".into()
        }
        RunNote::Rehearsal => {
            "REHEARSAL (dsop-harness rehearse): the test set-up run against the embedded \
                               simulator, not against the agencies. Not evidence for Bits."
                .into()
        }
        RunNote::UndocumentedEndpoint { name, url, loopback } => {
            let what = ["is not", "is this machine (loopback), not"][usize::from(*loopback)];
            format!("{name}: {url} {what} the agency's documented test host")
        }
        RunNote::RehearsalSetup { text } => format!(
            "Rehearsal: {}",
            match text.as_str() {
                "throw_away_key" => {
                    "no key in the configuration: a throw-away PKCS#12 from a synthetic test CA was used"
                }
                "issuer_trust_not_rehearsed" => "issuer trust not rehearsed: neither the PKCS#12 or chain file \
                                                 nor --ca holds the issuer's certificate, so the simulator trusts \
                                                 the leaf itself",
                "will_be_refused" => "the test Maskinporten will refuse this certificate (MP-120): it is \
                                      self-signed or its issuer is on neither the test nor the production \
                                      issuer list",
                other => other,
            }
        ),
        RunNote::SystemUser => {
            "An Altinn system user was used: not verified against the agencies.".into()
        }
        RunNote::Rerun { run_id, dir } => format!(
            "Re-run of the deviations and environment errors of run {run_id} ({dir}). Merge with \
             `dsop-harness report {dir} <this folder>`."
        ),
        RunNote::CutOff => "journal.jsonl has no run_finished event: the run was cut off".into(),
    }
}
