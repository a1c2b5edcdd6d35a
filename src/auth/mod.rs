//! Maskinporten: the JWT grant, the token client with its per-scope cache, and the business certificate.
//! Tokens live in memory only, inside `Secret`, and are never written anywhere; keys and passwords come from
//! file paths or environment variables only (`load.rs`), never from the configuration file itself.
//! The full description is in `docs/maskinporten.md`.

pub mod cert;
pub mod client;
pub mod explain;
pub mod grant;
pub mod issuers;
pub mod load;

pub use cert::{BusinessCert, CertEnvironment, TestCa};
pub use client::{discover, MaskinportenClient, Metadata, TokenResponse};
pub use explain::{explain_error, mp_code};
pub use load::{DEFAULT_PASSWORD_ENV, DEFAULT_PKCS12_ENV};

use crate::model::Delegation;
use crate::secret::Secret;

/// The key a grant is signed with. `Debug` and `Display` never show key material.
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

impl KeyMaterial {
    /// `x5c` or `kid`, as the report says it.
    pub fn mode(&self) -> &'static str {
        match self {
            KeyMaterial::Certificate(_) => "x5c",
            KeyMaterial::Kid { .. } => "kid",
        }
    }
}

impl std::fmt::Display for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyMaterial::Certificate(c) => write!(
                f,
                "business certificate (x5c) {} issued by {}",
                c.info.subject, c.info.issuer
            ),
            KeyMaterial::Kid { kid, .. } => write!(f, "registered key (kid {kid})"),
        }
    }
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

/// How a vendor acts for the institution (onboarding B-7), in words for `doctor` and logs.
pub fn mechanism_text(d: Delegation) -> &'static str {
    match d {
        Delegation::None => "none: the institution uses its own Maskinporten client",
        Delegation::ConsumerOrg => {
            "API delegation (consumer_org): the institution has delegated the scopes to the vendor in Altinn"
        }
        Delegation::SystemUser => {
            "Altinn system user (authorization_details urn:altinn:systemuser) approved by the institution"
        }
    }
}

/// `false` for a mechanism whose acceptance by Skatteetaten and NAV is not documented (the system user): such a
/// run is labelled as not verified against the agencies until one has been.
pub fn verified_against_agencies(d: Delegation) -> bool {
    d != Delegation::SystemUser
}

/// The caveat `doctor` and the report print for a system-user run.
pub const SYSTEM_USER_CAVEAT: &str = "not verified against the agencies: whether Skatteetaten's OTP APIs and NAV's \
     Aa-registeret OTP API accept Altinn system-user tokens is not documented; treat a passing run as provisional \
     until it has been confirmed against the agencies' test environments";
