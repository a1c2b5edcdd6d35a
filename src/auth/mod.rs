//! Maskinporten: the JWT grant, the token client with its per-scope cache, and the business certificate.
//! Tokens live in memory only, inside `Secret`, and are never written anywhere.

pub mod cert;
pub mod client;
pub mod grant;

pub use cert::{BusinessCert, TestCa};
pub use client::{MaskinportenClient, TokenResponse};

use crate::secret::Secret;

/// The key a grant is signed with.
#[derive(Clone, Debug)]
pub enum KeyMaterial {
    /// Business certificate: the grant carries `x5c`.
    Certificate(BusinessCert),
    /// A key registered with the client: the grant carries `kid`.
    Kid {
        kid: String,
        key_pem: Secret<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("configuration: {0}")]
    Config(String),
    /// Maskinporten refused the grant; the text says what to fix.
    #[error("Maskinporten refused the token request (HTTP {status}, {error}): {explanation}")]
    Refused {
        status: u16,
        error: String,
        explanation: String,
    },
    #[error("Maskinporten could not be reached at {url}: {message}")]
    Transport { url: String, message: String },
}

/// Turn a Maskinporten error answer into a sentence that says what to fix (`maskinporten.md` §6).
pub fn explain_error(error: &str, description: &str) -> String {
    let d = description;
    let code = regex::Regex::new(r"MP-\d{3}")
        .ok()
        .and_then(|re| re.find(d).map(|m| m.as_str().to_string()))
        .unwrap_or_default();
    let what = match code.as_str() {
        "MP-100" => "the client id (iss) is unknown in this environment: check maskinporten.client_id and that the client was created in this environment's Samarbeidsportal (test or prod)",
        "MP-110" => "the grant's aud is wrong: it must be exactly the issuer with its trailing slash, e.g. https://test.maskinporten.no/",
        "MP-120" => "the certificate is not accepted: use a valid business certificate for this environment (a test certificate in test, a production certificate in prod)",
        "MP-121" => "the registered key has expired (keys last at most a year): register the key again in Samarbeidsportalen",
        "MP-122" => "the certificate's organisation number does not match the client's owner: use the certificate of the organisation that owns the Maskinporten client",
        "MP-123" => "the x5c header is malformed: it must be a JSON array of base64 DER certificates",
        "MP-124" => "the grant's signature does not verify: the private key does not belong to the certificate or registered key, or the certificate has expired",
        "MP-130" => "the grant has expired or the clock is off: synchronise this machine's clock (NTP) and retry",
        "MP-012" => "the grant was used before (jti reused): every token request needs a fresh grant",
        "MP-011" => "the grant is malformed or carries undocumented claims",
        "MP-200" => "the scope is not registered on the client: add it to the client in Samarbeidsportalen (onboarding B-6 must have granted it)",
        "MP-201" => "the scope is not allowed for this integration type: the client must be of type maskinporten",
        "MP-250" => "the organisation has not been granted the scope: access is ordered by Bits at onboarding (B-6); ask Bits",
        "MP-251" => "the institution has not delegated the scope to the vendor: the institution must delegate the Altinn right (B-7) or approve the system user",
        "MP-301" | "MP-302" | "MP-303" => "the authorization_details (system user) are invalid: check the system user set-up in Altinn",
        _ if d.contains("Issue time is after now") => "the grant's iat is in the future: this machine's clock is ahead; synchronise it (NTP)",
        _ if d.contains("consumer_org") => "consumer_org must not be the client's own organisation: drop [vendor] or fix the organisation numbers",
        _ => "",
    };
    if what.is_empty() {
        format!("{error}: {d}")
    } else {
        format!(
            "{}{what}",
            if code.is_empty() {
                String::new()
            } else {
                format!("{code}: ")
            }
        )
    }
}
