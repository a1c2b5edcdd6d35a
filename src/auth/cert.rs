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

/// A certificate chain with its private key. The key never leaves the `Secret`.
#[derive(Clone, Debug)]
pub struct BusinessCert {
    /// PKCS#8 or PKCS#1 PEM of the RSA private key.
    pub key_pem: Secret<String>,
    /// DER of the chain, leaf first.
    pub chain_der: Vec<Vec<u8>>,
    pub info: CertificateInfo,
}

impl BusinessCert {
    /// Load from a PEM private key and a PEM chain (leaf first).
    pub fn from_pem(
        key_pem: &str,
        chain_pem: &str,
        source: &str,
    ) -> Result<BusinessCert, AuthError> {
        if !key_pem.contains("PRIVATE KEY") {
            return Err(AuthError::Certificate(format!(
                "{source}: the key file holds no PEM private key (expected a '-----BEGIN PRIVATE KEY-----' or \
                 '-----BEGIN RSA PRIVATE KEY-----' block)"
            )));
        }
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
        let info = cert_info(&chain_der[0])?;
        Ok(BusinessCert {
            key_pem: Secret::new(key_pem.to_string()),
            chain_der,
            info,
        })
    }

    /// The `x5c` header value: the chain as standard base64 (not base64url) DER strings, leaf first.
    pub fn x5c(&self) -> Vec<String> {
        self.chain_der
            .iter()
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
            .collect()
    }
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
        let key_pem = rsa_key_pem()?;
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
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2040, 1, 1);
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
        let ca_key = rcgen_key(&self.key_pem)?;
        let issuer = rcgen::Issuer::from_params(&self.params, &ca_key);
        let key_pem = rsa_key_pem()?;
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
                (2025, 1, 1),
                (2028, 1, 1),
            )
            .unwrap();
        assert_eq!(c.info.orgnr.as_deref(), Some("987654309"));
        assert!(c.info.subject.contains("Eksempel Pensjon AS"));
        assert_eq!(c.x5c().len(), 2);
        assert!(!format!("{c:?}").contains("PRIVATE KEY"));
        let chain_pem: String = c
            .chain_der
            .iter()
            .map(|d| {
                format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    base64::engine::general_purpose::STANDARD.encode(d)
                )
            })
            .collect();
        let again = BusinessCert::from_pem(c.key_pem.expose(), &chain_pem, "test").unwrap();
        assert_eq!(again.info, c.info);
    }
}
