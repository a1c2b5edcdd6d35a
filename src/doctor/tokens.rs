//! One Maskinporten token per scope, with the configured vendor mechanism (API delegation or system user);
//! a refusal names the onboarding task that is missing (B-6 access, B-7 delegation or system user).

use super::{Check, DoctorOptions, Group, Target, Who};
use crate::auth::{explain_error, AuthError, MaskinportenClient};
use crate::model::{Delegation, SCOPES};
use crate::secret::Secret;

/// A token fetched by doctor, for the API checks. Never printed.
pub struct ScopeToken {
    pub scope: &'static str,
    pub token: Secret<String>,
}

fn mechanism(d: Delegation) -> &'static str {
    match d {
        Delegation::None => "own client",
        Delegation::ConsumerOrg => "vendor, API delegation",
        Delegation::SystemUser => "vendor, system user",
    }
}

/// What to do about a refused token request, and whom to ask.
pub fn advice(code: Option<&str>, desc: &str, scope: &str, d: Delegation) -> (String, Option<Who>) {
    let s = |x: &str| x.to_string();
    match code {
        Some("MP-100") => (
            s("A-3/B-3: the client id is unknown in this environment: copy it from Samarbeidsportalen (the test \
               client for test, the prod client for prod)"),
            Some(Who::Digdir),
        ),
        Some("MP-110") => (
            s("the grant's audience is wrong: remove maskinporten_issuer from [profile.<env>] or set it to the \
               issuer with its trailing slash"),
            Some(Who::OwnIt),
        ),
        Some("MP-120" | "MP-121" | "MP-122" | "MP-123" | "MP-124") => (
            s("fix the certificate (see the certificate checks) and make sure it is the one the Maskinporten \
               client's owner uses"),
            Some(Who::OwnIt),
        ),
        Some("MP-130") => (s("synchronise this machine's clock (NTP)"), Some(Who::OwnIt)),
        Some("MP-200") => (
            format!(
                "B-6: add {scope} to the Maskinporten client in Samarbeidsportalen; if it is not offered there, \
                 access has not been granted yet: ask Bits to order it (B-6)"
            ),
            Some(Who::Bits),
        ),
        Some("MP-201") => (
            s("A-3: the client must be of integration type «maskinporten»: create such a client in Samarbeidsportalen"),
            Some(Who::Digdir),
        ),
        Some("MP-250") => (
            format!(
                "B-6 access not granted: the organisation has not been given {scope}; ask Bits to order test access \
                 at the agency (1–3 working days)"
            ),
            Some(Who::Bits),
        ),
        Some("MP-251") => (
            format!(
                "B-7 delegation missing: the institution must delegate {scope} to the vendor in Altinn (TT02 for \
                 test, by a test user who is daglig leder)"
            ),
            Some(Who::Altinn),
        ),
        Some("MP-301" | "MP-302" | "MP-303") if d == Delegation::SystemUser => (
            s("B-7 system user missing: the vendor registers its system in Altinn and the institution approves a \
               system user for it (TT02 for test)"),
            Some(Who::Altinn),
        ),
        _ if desc.contains("Issue time is after now") => {
            (s("synchronise this machine's clock (NTP)"), Some(Who::OwnIt))
        }
        _ if desc.contains("consumer_org") => (
            s("consumer_org must be the institution, not the vendor itself: check [institution] and [vendor]"),
            Some(Who::OwnIt),
        ),
        _ => (
            s("read Maskinporten's answer above; Digdir's «Feilsøking i Maskinporten» lists the codes"),
            Some(Who::Digdir),
        ),
    }
}

pub async fn checks(
    t: &Target,
    mp: Option<&MaskinportenClient>,
    _opts: &DoctorOptions,
) -> (Vec<Check>, Vec<ScopeToken>) {
    let d = t.cfg.delegation().unwrap_or_default();
    let mut out = Vec::new();
    let mut tokens = Vec::new();
    for scope in SCOPES {
        let c = Check::new(
            Group::Tokens,
            format!("tokens.{scope}"),
            format!("Token {scope} ({})", mechanism(d)),
        );
        let Some(mp) = mp else {
            out.push(c.skip("no usable key (see the certificate checks)"));
            continue;
        };
        match mp.request(scope).await {
            Err(AuthError::Transport { url, message }) => out.push(c.fail(
                format!("Maskinporten could not be reached at {url}: {message}"),
                "see the network checks (A-7 firewall opening for Maskinporten)",
                Some(Who::OwnIt),
            )),
            Err(e) => out.push(c.fail(e.to_string(), "fix the configuration", Some(Who::OwnIt))),
            Ok(r) => match (r.status, r.token) {
                (200, Some(token)) => {
                    let org = |k: &str| {
                        r.claims
                            .as_ref()
                            .and_then(|c| c.get(k))
                            .and_then(|v| v.get("ID"))
                            .and_then(|v| v.as_str())
                            .map(|s| s.trim_start_matches("0192:").to_string())
                    };
                    let mut detail = format!(
                        "token issued (expires_in {} s)",
                        r.expires_in
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| "?".into())
                    );
                    if let Some(cons) = org("consumer") {
                        detail.push_str(&format!(", consumer {cons}"));
                    }
                    if let Some(sup) = org("supplier") {
                        detail.push_str(&format!(", supplier {sup}"));
                    }
                    out.push(c.pass(detail));
                    tokens.push(ScopeToken { scope, token });
                }
                (status, _) => {
                    let get = |k: &str| {
                        r.body
                            .as_ref()
                            .and_then(|b| b.get(k))
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_string()
                    };
                    let (error, desc) = (get("error"), get("error_description"));
                    let code = crate::auth::mp_code(&error, &desc);
                    let (action, who) = advice(code.as_deref(), &desc, scope, d);
                    out.push(c.fail(
                        format!(
                            "Maskinporten refused (HTTP {status}): {}",
                            explain_error(
                                if error.is_empty() { "no_error" } else { &error },
                                &desc
                            )
                        ),
                        action,
                        who,
                    ));
                }
            },
        }
    }
    (out, tokens)
}
