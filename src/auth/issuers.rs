//! The issuers Maskinporten trusts, and what it will make of a certificate: whether its issuer is a known test
//! or production CA, whether it is self-signed, and whether the issuer's certificate is at hand (in the PKCS#12,
//! the chain file, or given separately). `doctor` and `rehearse` both decide "issuer trust not rehearsed" and
//! "the test Maskinporten will refuse it (MP-120)" here, so they say it in exactly the same cases.

use serde::Deserialize;
use std::path::Path;

/// Issuer names (substrings of the issuer DN, case-insensitive) that mark a test or a production business
/// certificate. The defaults are **unverified** (taken from the CAs' naming patterns, not from a signed list):
/// an issuer on neither list is a warning, not a failure. Override with `--issuers FILE` (TOML with `test = […]`
/// and `prod = […]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerList {
    #[serde(default)]
    pub test: Vec<String>,
    #[serde(default)]
    pub prod: Vec<String>,
}

impl Default for IssuerList {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        IssuerList {
            // Unverified defaults.
            test: v(&[
                "Buypass Class 3 Test4",
                "Buypass Test4",
                "Commfides Legal Person - G3 - TEST",
                "Commfides CEG Legal Person - G3 - TEST",
                "CPN Enterprise-Norwegian SHA256 CA- TEST",
            ]),
            prod: v(&[
                "Buypass Class 3 CA 3",
                "Buypass Class 3 CA G2",
                "Commfides Legal Person - G3",
                "Commfides CEG Legal Person - G3",
                "CPN Enterprise-Norwegian SHA256 CA- Legal Person",
            ]),
        }
    }
}

/// What an issuer is, by the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerKind {
    Test,
    Prod,
    Unknown,
}

impl IssuerList {
    /// Read a TOML file with `test = […]` and `prod = […]`; a list left out keeps its defaults.
    pub fn from_file(path: &Path) -> Result<IssuerList, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            test: Option<Vec<String>>,
            prod: Option<Vec<String>>,
        }
        let raw: Raw = toml::from_str(&text).map_err(|e| {
            format!(
                "{}: {e} (expected test = [\"…\"] and prod = [\"…\"])",
                path.display()
            )
        })?;
        let d = IssuerList::default();
        Ok(IssuerList {
            test: raw.test.unwrap_or(d.test),
            prod: raw.prod.unwrap_or(d.prod),
        })
    }

    /// Test names are matched first (production names are often a prefix of the test ones).
    pub fn classify(&self, issuer_dn: &str) -> IssuerKind {
        let dn = issuer_dn.to_lowercase();
        let hit = |xs: &[String]| {
            xs.iter()
                .any(|p| !p.trim().is_empty() && dn.contains(&p.to_lowercase()))
        };
        if hit(&self.test) {
            IssuerKind::Test
        } else if hit(&self.prod) {
            IssuerKind::Prod
        } else {
            IssuerKind::Unknown
        }
    }
}

/// What a Maskinporten that trusts issuers (not single certificates) will make of a certificate chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerTrust {
    /// The leaf is its own issuer.
    pub self_signed: bool,
    /// The leaf's issuer, judged by the issuer list.
    pub kind: IssuerKind,
    /// The issuer's certificate (DER): from the chain, else the one given separately (`--ca`); the leaf itself
    /// for a self-signed leaf; `None` when only the leaf is at hand.
    pub issuer_der: Option<Vec<u8>>,
}

impl IssuerTrust {
    /// Judge `chain_der` (leaf first), with `ca_der` the issuer's certificate given separately, if any.
    pub fn of(chain_der: &[Vec<u8>], ca_der: Option<Vec<u8>>, issuers: &IssuerList) -> IssuerTrust {
        let leaf = chain_der.first().cloned().unwrap_or_default();
        let parsed = x509_parser::parse_x509_certificate(&leaf).ok();
        let self_signed = parsed
            .as_ref()
            .is_some_and(|(_, c)| c.subject().as_raw() == c.issuer().as_raw());
        let kind = parsed
            .as_ref()
            .map(|(_, c)| issuers.classify(&c.issuer().to_string()))
            .unwrap_or(IssuerKind::Unknown);
        let issuer_der = if self_signed {
            Some(leaf.clone())
        } else {
            issuer_in_chain(chain_der).or(ca_der)
        };
        IssuerTrust {
            self_signed,
            kind,
            issuer_der,
        }
    }

    /// The test Maskinporten will refuse the certificate (MP-120): self-signed, or its issuer is on neither
    /// issuer list.
    pub fn will_be_refused(&self) -> bool {
        self.self_signed || self.kind == IssuerKind::Unknown
    }

    /// Only the leaf is at hand (no issuer certificate in the file, the chain or `--ca`): a rehearsal can
    /// register only the leaf itself, so issuer trust is not rehearsed.
    pub fn not_rehearsed(&self) -> bool {
        self.issuer_der.is_none()
    }
}

/// The issuer's certificate in `chain` (DER), when the chain holds it.
fn issuer_in_chain(chain: &[Vec<u8>]) -> Option<Vec<u8>> {
    let (_, leaf) = x509_parser::parse_x509_certificate(chain.first()?).ok()?;
    let issuer = leaf.issuer().as_raw();
    chain[1..].iter().find_map(|d| {
        let (_, c) = x509_parser::parse_x509_certificate(d).ok()?;
        (c.subject().as_raw() == issuer).then(|| d.clone())
    })
}

/// Read an issuer's certificate from `path` (`--ca FILE`): PEM (the first certificate) or DER.
pub fn read_ca(path: &Path) -> Result<Vec<u8>, String> {
    let data =
        std::fs::read(path).map_err(|e| format!("--ca {}: cannot read it: {e}", path.display()))?;
    if let Some(Ok(pem)) = x509_parser::pem::Pem::iter_from_buffer(&data).next() {
        return Ok(pem.contents);
    }
    x509_parser::parse_x509_certificate(&data).map_err(|_| {
        format!(
            "--ca {}: not a certificate (PEM or DER): give the issuer's CA certificate",
            path.display()
        )
    })?;
    Ok(data)
}
