//! Every Maskinporten (MP-xxx) and OAuth error answer as a plain sentence saying what to fix
//! (`docs/service.md` §5.3). The sentence starts with the MP code when there is one, so it can be searched for.

/// The MP code of a Maskinporten error answer: the one in the description, else, for a `forbidden` /
/// `access_denied` refusal without a code (published real refusals often carry none), the code its wording
/// means: "not been granted access" → MP-250, "delegated" → MP-251, "system user" → MP-303.
pub fn mp_code(error: &str, description: &str) -> Option<String> {
    if let Some(m) = regex::Regex::new(r"MP-\d{3}")
        .ok()
        .and_then(|re| re.find(description).map(|m| m.as_str().to_string()))
    {
        return Some(m);
    }
    if !matches!(error, "forbidden" | "access_denied") {
        return None;
    }
    let d = description.to_ascii_lowercase();
    if d.contains("delegat") || d.contains("supplier") {
        Some("MP-251".into())
    } else if d.contains("system user") || d.contains("systemuser") {
        Some("MP-303".into())
    } else if d.contains("not been granted") || d.contains("not granted") {
        Some("MP-250".into())
    } else {
        None
    }
}

/// Turn a Maskinporten error answer (`error`, `error_description`) into a sentence that says what to fix.
/// Descriptions may end with a correlation id and may carry no MP code; `forbidden` is read like `access_denied`.
pub fn explain_error(error: &str, description: &str) -> String {
    let d = description;
    let code = mp_code(error, d).unwrap_or_default();
    let scope = scope_in(d);
    let scope_words = scope
        .as_deref()
        .map(|s| format!("the scope {s}"))
        .unwrap_or_else(|| "the requested scope".into());
    // The sentence of the code table (`codes`), or a more precise one for a known wording.
    let table = crate::codes::lookup(&code)
        .filter(|c| c.source == crate::codes::Source::Maskinporten)
        .map(|c| c.fix.replace("{scope}", &scope_words));
    let what: String = match code.as_str() {
        "MP-100" if d.contains("kid") => "the kid in the grant is not registered on this client: use the kid you \
             registered in Samarbeidsportalen for this client (kids are per environment), or register the key again"
            .into(),
        "MP-120" if d.contains("not registered with a certificate") => "the client is set up for a registered key, \
             not a business certificate: set [maskinporten] kid to the registered key id, or change the client in \
             Samarbeidsportalen to accept the certificate"
            .into(),
        "MP-120" if d.contains("expired") => "the business certificate has expired or is not yet valid: renew the \
             virksomhetssertifikat with Buypass or Commfides and point the configuration at the new one"
            .into(),
        "MP-011" if d.contains("claim") && d.contains("not allowed") => {
            "the grant carries a claim Maskinporten does not accept: remove it (only aud, iss, scope, iat, exp, jti \
             and the documented optional claims are allowed)"
                .into()
        }
        "MP-011" if d.contains("consumer_org") && d.contains("authorization_details") => "a grant cannot carry both \
             consumer_org and authorization_details: choose one [vendor] mechanism"
            .into(),
        "MP-011" if d.contains("consumer_org") => "consumer_org is not a valid organisation number: set the \
             institution's nine-digit organisation number in [institution] orgnr"
            .into(),
        "MP-303" if d.contains("No system user") => "missing access: no Altinn system user links the vendor and \
             the institution: the vendor registers its system in Altinn and the institution approves the system \
             user request"
            .into(),
        _ if table.is_some() => table.clone().unwrap_or_default(),
        _ if d.contains("Issue time is after now") => {
            "the grant's iat is in the future: this machine's clock is ahead; synchronise it (NTP) and retry".into()
        }
        _ if d.contains("consumer_org") => "consumer_org must not be the client's own organisation: drop [vendor] \
             (the institution calls with its own client) or fix the organisation numbers"
            .into(),
        _ => match error {
            "invalid_scope" => format!(
                "missing access: Maskinporten does not give this client {scope_words}: add the scope to the client \
                 in Samarbeidsportalen"
            ),
            "access_denied" | "forbidden" => format!(
                "missing access: the organisation may not use {scope_words}: not granted to the organisation \
                 (onboarding B-6), or, when a vendor calls for the institution, consumer_org missing from the \
                 grant or the scope not delegated to the vendor (B-7)"
            ),
            "invalid_client" => "the client could not be authenticated: check [maskinporten] client_id and the key \
                 or certificate registered for it"
                .into(),
            "unsupported_grant_type" => "the token request used the wrong grant_type: it must be \
                 urn:ietf:params:oauth:grant-type:jwt-bearer"
                .into(),
            "server_error" | "temporarily_unavailable" => {
                "Maskinporten had an internal error: retry later, and check status.digdir.no".into()
            }
            _ => String::new(),
        },
    };
    if what.is_empty() {
        if d.is_empty() {
            format!("{error}: Maskinporten gave no description")
        } else {
            format!("{error}: {d}")
        }
    } else if code.is_empty() {
        what
    } else {
        format!("{code}: {what}")
    }
}

/// The scope named in an error description ("… scopes for client: X", "… to the scope X …").
fn scope_in(d: &str) -> Option<String> {
    let re = regex::Regex::new(
        r"(?:for client:\s*|scope\s+|for maskinporten:\s*)([a-z][a-z0-9]*:[A-Za-z0-9_./:-]+)",
    )
    .ok()?;
    re.captures(d).map(|c| c[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_a_sentence() {
        let cases = [
            (
                "invalid_grant",
                "MP-100: Invalid assertion. Client authentication failed. Client not found",
                "client id",
            ),
            ("invalid_grant", "MP-100: Unknown kid abc", "kid"),
            (
                "invalid_grant",
                "MP-110: Invalid JWT claim aud",
                "trailing slash",
            ),
            (
                "invalid_grant",
                "MP-120: JWT signed with an invalid certificate",
                "test virksomhetssertifikat",
            ),
            ("invalid_grant", "MP-121: Expired key", "one year"),
            (
                "invalid_grant",
                "MP-122: Does not match certificate orgno",
                "owns",
            ),
            (
                "invalid_grant",
                "MP-123: Invalid JWT header x5c",
                "JSON array",
            ),
            (
                "invalid_grant",
                "MP-124: Invalid JWT signature",
                "does not belong",
            ),
            ("invalid_grant", "MP-130: JWT is expired", "clock"),
            (
                "invalid_grant",
                "MP-012: Grant is used before",
                "fresh grant",
            ),
            (
                "invalid_request",
                "MP-011: Invalid parameter value",
                "malformed",
            ),
            (
                "invalid_scope",
                "MP-200: Token request contains invalid scopes for client: skatteetaten:x",
                "missing access",
            ),
            (
                "invalid_scope",
                "MP-201: Token request contains scopes not allowed for maskinporten",
                "integration type",
            ),
            (
                "access_denied",
                "MP-250: Consumer has not been granted access to the scope nav:x",
                "Bits",
            ),
            (
                "access_denied",
                "MP-251: Consumer 1 has not delegated access to the scope nav:x to supplier 2",
                "delegate",
            ),
            (
                "invalid_request",
                "MP-301: Unknown type",
                "urn:altinn:systemuser",
            ),
            ("invalid_request", "MP-302: Unknown field", "systemuser_org"),
            ("invalid_request", "MP-303: bad value", "0192:"),
            ("invalid_grant", "Issue time is after now", "ahead"),
            (
                "invalid_request",
                "The combination consumer_org in claim and delegation scope on client is invalid",
                "own organisation",
            ),
        ];
        for (e, d, want) in cases {
            let s = explain_error(e, d);
            assert!(s.contains(want), "{d} -> {s}");
        }
        assert!(explain_error(
            "invalid_scope",
            "MP-200: … for client: skatteetaten:inntekt"
        )
        .contains("skatteetaten:inntekt"));
        // The observed shape: `forbidden`, a correlation id at the end, sometimes no MP code.
        let s = explain_error(
            "forbidden",
            "Consumer has not been granted access to the scope skatteetaten:inntekt (correlation id: 1f2e)",
        );
        assert!(
            s.starts_with("MP-250: ") && s.contains("skatteetaten:inntekt"),
            "{s}"
        );
        let s = explain_error(
            "forbidden",
            "Consumer 987654309 has not delegated access to the scope nav:x to supplier 912345602 (correlation id: a)",
        );
        assert!(s.starts_with("MP-251: ") && s.contains("delegate"), "{s}");
        let s = explain_error("forbidden", "Access denied (correlation id: 9)");
        assert!(s.contains("consumer_org"), "{s}");
        assert_eq!(mp_code("invalid_grant", "no code here"), None);
        assert_eq!(
            explain_error("weird", ""),
            "weird: Maskinporten gave no description"
        );
    }
}
