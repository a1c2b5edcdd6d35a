//! The business certificate (virksomhetssertifikat): loading from PEM, what the report may say about it,
//! and ephemeral synthetic certificates for `--env sim` and tests (rcgen).

use super::AuthError;
use crate::model::CertificateInfo;
use crate::secret::Secret;
use base64::Engine;
use chrono::{DateTime, Utc};
use rsa::pkcs8::EncodePrivateKey;
use x509_parser::prelude::*;

/// OID 2.5.4.5 (serialNumber): Buypass and Commfides put the organisation number here.
const OID_SERIAL_NUMBER: &str = "2.5.4.5";
/// OID 2.5.4.97 (organizationIdentifier): eIDAS seals write `NTRNO-<orgnr>`.
const OID_ORGANIZATION_IDENTIFIER: &str = "2.5.4.97";

/// A certificate chain with its private key. The key never leaves the `Secret`; `Debug` shows neither key
/// nor certificate bytes.
#[derive(Clone)]
pub struct BusinessCert {
    /// PKCS#8 or PKCS#1 PEM of the RSA private key.
    pub key_pem: Secret<String>,
    /// DER of the chain, leaf first.
    pub chain_der: Vec<Vec<u8>>,
    pub info: CertificateInfo,
}

impl std::fmt::Debug for BusinessCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusinessCert")
            .field("key_pem", &self.key_pem)
            .field("chain_len", &self.chain_der.len())
            .field("info", &self.info)
            .finish()
    }
}

impl BusinessCert {
    /// Load from a PEM private key (PKCS#8 or PKCS#1, RSA) and a PEM chain. The certificate that belongs to the
    /// key is put first, whatever its place in the file.
    pub fn from_pem(
        key_pem: &str,
        chain_pem: &str,
        source: &str,
    ) -> Result<BusinessCert, AuthError> {
        let key = parse_rsa_key_pem(key_pem, source)?;
        let mut chain_der = Vec::new();
        for pem in Pem::iter_from_buffer(chain_pem.as_bytes()) {
            let pem = pem.map_err(|e| {
                AuthError::Certificate(format!(
                    "{source}: the certificate chain is not valid PEM: {e}"
                ))
            })?;
            if pem.label == "CERTIFICATE" {
                chain_der.push(pem.contents);
            }
        }
        if chain_der.is_empty() {
            return Err(AuthError::Certificate(format!(
                "{source}: no '-----BEGIN CERTIFICATE-----' block found in the certificate chain"
            )));
        }
        let chain_der = order_chain(&key, chain_der, source)?;
        let info = cert_info(&chain_der[0])?;
        Ok(BusinessCert {
            key_pem: Secret::new(key_pem.to_string()),
            chain_der,
            info,
        })
    }

    /// Load a PKCS#12 file (.p12/.pfx) as Buypass, Commfides, Windows and OpenSSL export them: modern
    /// (PBES2/AES-256) and legacy (3DES and 40-bit RC2, e.g. `openssl pkcs12 -export -legacy`) encryption.
    /// A file in an encryption this crate cannot read fails with the `openssl` command that converts it.
    pub fn from_pkcs12(
        data: &[u8],
        password: &Secret<String>,
        source: &str,
    ) -> Result<BusinessCert, AuthError> {
        use p12_keystore::error::Error as P12;
        let archive =
            p12_keystore::Pkcs12Archive::from_pkcs12(data, password.expose()).map_err(|e| {
                AuthError::Certificate(match e {
                    P12::MacError(_) => format!(
                        "{source}: the PKCS#12 password is wrong (the file's integrity check failed): check the \
                         environment variable named by [maskinporten] password_env"
                    ),
                    P12::Pkcs5Error(_) | P12::UnpadError => format!(
                        "{source}: the PKCS#12 file could not be decrypted: the password is wrong or the file is \
                         damaged; check the environment variable named by [maskinporten] password_env"
                    ),
                    P12::UnsupportedEncryptionScheme
                    | P12::UnsupportedMacAlgorithm
                    | P12::UnsupportedContentType
                    | P12::InvalidVersion => legacy_message(source, &e.to_string()),
                    P12::DerError(_) | P12::InvalidData | P12::InvalidLength => format!(
                        "{source}: this is not a PKCS#12 (.p12/.pfx) file ({e}); a PEM key and certificate go in \
                         [maskinporten] key_pem and chain_pem instead"
                    ),
                    other => format!("{source}: the PKCS#12 file could not be read: {other}"),
                })
            })?;
        let bag = match archive.keys.as_slice() {
            [] => {
                return Err(AuthError::Certificate(format!(
                    "{source}: the PKCS#12 file holds no private key (only certificates): export it again with the \
                     private key included (Windows: \"Yes, export the private key\")"
                )))
            }
            [one] => one,
            several => several
                .iter()
                .find(|k| k.friendly_name.is_some())
                .unwrap_or(&several[0]),
        };
        const RSA_OID: &str = "1.2.840.113549.1.1.1";
        if bag.key.oid().to_string() != RSA_OID {
            return Err(AuthError::Certificate(format!(
                "{source}: the private key is not an RSA key (algorithm {}); Maskinporten grants are signed with \
                 RS256 here, so an RSA business certificate is needed",
                bag.key.oid()
            )));
        }
        use rsa::pkcs8::DecodePrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs8_der(bag.key.as_der()).map_err(|e| {
            AuthError::Certificate(format!(
                "{source}: the private key in the PKCS#12 file cannot be read: {e}"
            ))
        })?;
        let key_pem = key
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(|e| AuthError::Certificate(format!("{source}: key encoding failed: {e}")))?;
        let certs: Vec<Vec<u8>> = archive
            .certs
            .iter()
            .map(|c| c.cert.as_der().to_vec())
            .collect();
        if certs.is_empty() {
            return Err(AuthError::Certificate(format!(
                "{source}: the PKCS#12 file holds no certificate: export it again with the certificate (and its \
                 chain) included"
            )));
        }
        let chain_der = order_chain(&key, certs, source)?;
        let info = cert_info(&chain_der[0])?;
        Ok(BusinessCert {
            key_pem: Secret::new(key_pem.to_string()),
            chain_der,
            info,
        })
    }

    /// The chain as PEM, leaf first (public certificates only: never the key).
    pub fn chain_pem(&self) -> String {
        self.chain_der
            .iter()
            .map(|d| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(d);
                let lines: Vec<&str> = b64
                    .as_bytes()
                    .chunks(64)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect();
                format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    lines.join("\n")
                )
            })
            .collect()
    }

    /// The `x5c` header value: the chain as standard base64 (not base64url) DER strings, leaf first.
    pub fn x5c(&self) -> Vec<String> {
        self.chain_der
            .iter()
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
            .collect()
    }

    /// Test or production certificate, judged by the issuer's name (Buypass and Commfides name their test CAs
    /// "… Test4 …" / "… TEST …").
    pub fn environment(&self) -> CertEnvironment {
        CertEnvironment::of(&self.info)
    }

    /// Checks before the first grant: valid at `now`, made for the Maskinporten environment `env` ("test" or
    /// "prod"; anything else is not checked), and owned by `owner_orgnr` (the client's owner) when given.
    pub fn check(
        &self,
        env: &str,
        now: DateTime<Utc>,
        owner_orgnr: Option<&str>,
    ) -> Result<(), AuthError> {
        let i = &self.info;
        if let Some(nb) = i.not_before.filter(|nb| now < *nb) {
            return Err(AuthError::Certificate(format!(
                "the business certificate {} is not valid before {}: check this machine's clock or use the current \
                 certificate",
                i.subject,
                nb.format("%Y-%m-%d")
            )));
        }
        if let Some(na) = i.not_after.filter(|na| now > *na) {
            return Err(AuthError::Certificate(format!(
                "the business certificate {} expired on {}: renew it with Buypass or Commfides",
                i.subject,
                na.format("%Y-%m-%d")
            )));
        }
        match (env, self.environment()) {
            ("test", CertEnvironment::Prod) => {
                return Err(AuthError::Certificate(format!(
                    "the business certificate is a production certificate (issuer {}), but test.maskinporten.no only \
                     accepts test certificates: order a test virksomhetssertifikat from Buypass or Commfides",
                    i.issuer
                )))
            }
            ("prod", CertEnvironment::Test) => {
                return Err(AuthError::Certificate(format!(
                    "the business certificate is a test certificate (issuer {}), but maskinporten.no only accepts \
                     production certificates",
                    i.issuer
                )))
            }
            _ => {}
        }
        if let (Some(owner), Some(org)) = (owner_orgnr, i.orgnr.as_deref()) {
            if owner != org {
                return Err(AuthError::Certificate(format!(
                    "the business certificate belongs to organisation {org}, but the Maskinporten client is owned by \
                     {owner}: use the certificate of the organisation that owns the client"
                )));
            }
        }
        Ok(())
    }
}

/// The exact commands that rewrite a PKCS#12 file in an old encryption as a modern one (OpenSSL 3). Two steps,
/// because OpenSSL 3.0's `pkcs12 -export` cannot read its input from a pipe; the key stays encrypted in between.
pub fn convert_command(source: &str) -> String {
    let stem = stem_of(source);
    format!(
        "openssl pkcs12 -legacy -in {source} -out {stem}-tmp.pem && openssl pkcs12 -export -in {stem}-tmp.pem -out \
         {stem}-new.p12 && rm {stem}-tmp.pem"
    )
}

fn stem_of(source: &str) -> &str {
    match source.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !stem.ends_with('/') && !ext.contains('/') => stem,
        _ => source,
    }
}

fn legacy_message(source: &str, detail: &str) -> String {
    format!(
        "{source}: the PKCS#12 file uses an encryption this tool cannot read ({detail}; typical of old Windows and \
         OpenSSL 1.x exports, e.g. RC4). Convert it to modern encryption with:\n  {}\n(OpenSSL 3; with OpenSSL 1.1 \
         leave out -legacy. The commands ask for the file's password, a temporary pass phrase and the new file's \
         password), then point [maskinporten] pkcs12 at {}-new.p12",
        convert_command(source),
        stem_of(source)
    )
}

/// Test or production, judged by the certificate's issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertEnvironment {
    Test,
    Prod,
    Unknown,
}

impl CertEnvironment {
    pub fn of(info: &CertificateInfo) -> CertEnvironment {
        let issuer = info.issuer.to_ascii_lowercase();
        if issuer.contains("test") {
            CertEnvironment::Test
        } else if issuer.contains("buypass") || issuer.contains("commfides") {
            CertEnvironment::Prod
        } else {
            CertEnvironment::Unknown
        }
    }
}

/// Parse an RSA private key in PEM (PKCS#8 or PKCS#1), with a sentence for each wrong format.
pub fn parse_rsa_key_pem(key_pem: &str, source: &str) -> Result<rsa::RsaPrivateKey, AuthError> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    if key_pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(AuthError::Certificate(format!(
            "{source}: the private key is password protected; give it as a PKCS#12 file instead ([maskinporten] \
             pkcs12 and password_env), e.g. openssl pkcs12 -export -inkey KEY.pem -in CHAIN.pem -out virksomhet.p12"
        )));
    }
    if key_pem.contains("-----BEGIN EC PRIVATE KEY-----") {
        return Err(AuthError::Certificate(format!(
            "{source}: the private key is an EC key; Maskinporten grants are signed with RS256 here, so an RSA key is \
             needed"
        )));
    }
    if !key_pem.contains("PRIVATE KEY-----") {
        let hint = if key_pem.contains("BEGIN CERTIFICATE") {
            " (this file holds a certificate: key_pem and chain_pem may be swapped)"
        } else if !key_pem.is_ascii() || key_pem.starts_with('0') {
            " (this looks like a binary file: a .p12/.pfx goes in [maskinporten] pkcs12)"
        } else {
            ""
        };
        return Err(AuthError::Certificate(format!(
            "{source}: the key file holds no PEM private key (expected a '-----BEGIN PRIVATE KEY-----' or \
             '-----BEGIN RSA PRIVATE KEY-----' block){hint}"
        )));
    }
    let pem = key_pem.trim();
    rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| {
            AuthError::Certificate(format!(
                "{source}: the private key cannot be read as an RSA key in PKCS#8 or PKCS#1 PEM (is it an EC key or \
                 damaged?)"
            ))
        })
}

/// Whether the certificate `der` carries the public half of `key`.
fn belongs_to(key: &rsa::RsaPrivateKey, der: &[u8]) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return false;
    };
    rsa::RsaPublicKey::from_public_key_der(cert.public_key().raw)
        .is_ok_and(|pk| pk == key.to_public_key())
}

/// Put the certificate of `key` first, then its issuers in order, then anything else.
fn order_chain(
    key: &rsa::RsaPrivateKey,
    certs: Vec<Vec<u8>>,
    source: &str,
) -> Result<Vec<Vec<u8>>, AuthError> {
    let Some(leaf_at) = certs.iter().position(|c| belongs_to(key, c)) else {
        return Err(AuthError::Certificate(format!(
            "{source}: the private key does not belong to any certificate given with it: use the key and certificate \
             of the same business certificate order"
        )));
    };
    let mut rest = certs;
    let mut chain = vec![rest.remove(leaf_at)];
    while let Some(last) = chain.last() {
        let Ok((_, last)) = X509Certificate::from_der(last) else {
            break;
        };
        if last.subject().as_raw() == last.issuer().as_raw() {
            break;
        }
        let issuer = last.issuer().as_raw().to_vec();
        let Some(i) = rest.iter().position(|c| {
            X509Certificate::from_der(c)
                .is_ok_and(|(_, c)| c.subject().as_raw() == issuer.as_slice())
        }) else {
            break;
        };
        chain.push(rest.remove(i));
    }
    chain.extend(rest);
    Ok(chain)
}

fn to_utc(t: &ASN1Time) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.timestamp(), 0)
}

/// What may be said about a certificate: subject, issuer, serial, validity and organisation number.
pub fn cert_info(der: &[u8]) -> Result<CertificateInfo, AuthError> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| AuthError::Certificate(format!("the certificate could not be parsed: {e}")))?;
    Ok(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string(),
        not_before: to_utc(&cert.validity().not_before),
        not_after: to_utc(&cert.validity().not_after),
        orgnr: orgnr_of(cert.subject()),
    })
}

/// The organisation number in a subject: serialNumber, or organizationIdentifier `NTRNO-<orgnr>`.
pub fn orgnr_of(name: &X509Name<'_>) -> Option<String> {
    for attr in name.iter_attributes() {
        let oid = attr.attr_type().to_id_string();
        let Ok(v) = attr.as_str() else { continue };
        if oid == OID_SERIAL_NUMBER && v.len() == 9 && v.bytes().all(|b| b.is_ascii_digit()) {
            return Some(v.to_string());
        }
        if oid == OID_ORGANIZATION_IDENTIFIER {
            if let Some(n) = v.strip_prefix("NTRNO-") {
                return Some(n.to_string());
            }
        }
    }
    None
}

/// A synthetic certificate authority for `--env sim` and tests.
pub struct TestCa {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    key_pem: Secret<String>,
    params: rcgen::CertificateParams,
}

/// The folder synthetic keys are kept in between runs: `$DSOP_HARNESS_CACHE_DIR`, else the user's cache
/// folder (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
/// Windows) + `dsop-harness/synthetic-keys`. `None` when there is no such folder (then keys are not kept).
pub fn synthetic_key_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("DSOP_HARNESS_CACHE_DIR") {
        return Some(d.join("synthetic-keys"));
    }
    let base = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library").join("Caches"))
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("dsop-harness").join("synthetic-keys"))
}

/// A synthetic RSA 2048 key (PKCS#8 PEM) made once per machine and kept under [`synthetic_key_dir`] as
/// `<slot>.pem` (owner-only on Unix): the simulated institution's CA and certificate keys and the
/// simulator's token-signing key, which would otherwise cost a key generation on every run. Only keys this
/// program generated are kept there, never a user's key. A cache that cannot be read or written only
/// costs a fresh key.
pub fn synthetic_key_pem(slot: &str) -> Result<Secret<String>, AuthError> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let Some(dir) = synthetic_key_dir() else {
        return rsa_key_pem();
    };
    let path = dir.join(format!("{slot}.pem"));
    if let Ok(pem) = std::fs::read_to_string(&path) {
        let pem = Secret::new(pem);
        if rcgen_key(&pem).is_ok() {
            return Ok(pem);
        }
    }
    let pem = rsa_key_pem()?;
    let _ = store_private(&dir, &path, pem.expose().as_bytes());
    Ok(pem)
}

/// Write a key file readable by its owner only: a temporary file, then a rename (another process making
/// the same key at the same time only means the last one wins).
fn store_private(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".key.tmp-{}", std::process::id()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn rsa_key_pem() -> Result<Secret<String>, AuthError> {
    let mut rng = rand::thread_rng();
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| AuthError::Certificate(format!("RSA key generation failed: {e}")))?;
    let pem = key
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| AuthError::Certificate(format!("RSA key encoding failed: {e}")))?;
    Ok(Secret::new(pem.to_string()))
}

fn rcgen_key(pem: &Secret<String>) -> Result<rcgen::KeyPair, AuthError> {
    rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(pem.expose(), &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| AuthError::Certificate(format!("key not usable for signing: {e}")))
}

fn rcgen_err(e: rcgen::Error) -> AuthError {
    AuthError::Certificate(format!("certificate generation failed: {e}"))
}

impl TestCa {
    /// A new CA named like a test issuer ("Simulert Buypass … Test4 CA").
    pub fn generate(common_name: &str) -> Result<TestCa, AuthError> {
        TestCa::generate_with_key(common_name, rsa_key_pem()?)
    }

    /// As [`TestCa::generate`], with a given key (e.g. [`synthetic_key_pem`]).
    pub fn generate_with_key(
        common_name: &str,
        key_pem: Secret<String>,
    ) -> Result<TestCa, AuthError> {
        let key = rcgen_key(&key_pem)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(rcgen_err)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "dsop-harness simulator");
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, "NO");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        // Valid from ten years ago to ten years ahead, counted from today, so it never runs out.
        let y = chrono::Datelike::year(&chrono::Utc::now());
        params.not_before = rcgen::date_time_ymd(y - 10, 1, 1);
        params.not_after = rcgen::date_time_ymd(y + 10, 1, 1);
        let cert = params.self_signed(&key).map_err(rcgen_err)?;
        Ok(TestCa {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key_pem,
            params,
        })
    }

    /// Issue a business certificate for `orgnr` (subject serialNumber and organizationIdentifier NTRNO-…),
    /// valid between the two dates (year, month, day).
    pub fn issue(
        &self,
        orgnr: &str,
        org_name: &str,
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> Result<BusinessCert, AuthError> {
        self.issue_with_key(orgnr, org_name, not_before, not_after, rsa_key_pem()?)
    }

    /// As [`TestCa::issue`], with a given key for the certificate (e.g. [`synthetic_key_pem`]).
    pub fn issue_with_key(
        &self,
        orgnr: &str,
        org_name: &str,
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
        key_pem: Secret<String>,
    ) -> Result<BusinessCert, AuthError> {
        let ca_key = rcgen_key(&self.key_pem)?;
        let issuer = rcgen::Issuer::from_params(&self.params, &ca_key);
        let key = rcgen_key(&key_pem)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(rcgen_err)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, org_name);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, org_name);
        params
            .distinguished_name
            .push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), orgnr);
        params.distinguished_name.push(
            rcgen::DnType::CustomDnType(vec![2, 5, 4, 97]),
            format!("NTRNO-{orgnr}"),
        );
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, "NO");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::ContentCommitment,
        ];
        params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let cert = params.signed_by(&key, &issuer).map_err(rcgen_err)?;
        let chain_der = vec![cert.der().to_vec(), self.cert_der.clone()];
        let info = cert_info(&chain_der[0])?;
        Ok(BusinessCert {
            key_pem,
            chain_der,
            info,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_and_read_back() {
        let ca = TestCa::generate("Simulert test CA").unwrap();
        let c = ca
            .issue(
                "987654309",
                "Eksempel Pensjon AS",
                (2001, 1, 1),
                (2002, 1, 1),
            )
            .unwrap();
        assert_eq!(c.info.orgnr.as_deref(), Some("987654309"));
        assert!(c.info.subject.contains("Eksempel Pensjon AS"));
        assert_eq!(c.x5c().len(), 2);
        assert!(!format!("{c:?}").contains("PRIVATE KEY"));
        let again = BusinessCert::from_pem(c.key_pem.expose(), &c.chain_pem(), "test").unwrap();
        assert_eq!(again.info, c.info);
    }
}
