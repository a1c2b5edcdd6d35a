//! The business certificate: it loads, its password works, the key matches it, it has not expired, it names the
//! right organisation, and it is a test certificate in test and a production certificate in prod (judged by the
//! issuing CA against [`IssuerList`]).

use super::{Check, DoctorOptions, Group, Target, Who};
use crate::auth::{BusinessCert, KeyMaterial};
use crate::config::Env;
use crate::secret::Secret;
use std::path::{Path, PathBuf};

use crate::auth::issuers::{read_ca, IssuerTrust};
pub use crate::auth::issuers::{IssuerKind, IssuerList};

fn ck(id: &str, name: &str) -> Check {
    Check::new(Group::Certificate, format!("certificate.{id}"), name)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read it: {e}", path.display()))
}

/// The PKCS#12 password: the option, else the environment variable named by `password_env`.
fn password(t: &Target, opts: &DoctorOptions) -> (Option<Secret<String>>, String) {
    let var = t
        .cfg
        .maskinporten
        .password_env
        .clone()
        .unwrap_or_else(|| crate::auth::DEFAULT_PASSWORD_ENV.to_string());
    let pw = opts
        .password
        .clone()
        .or_else(|| std::env::var(&var).ok().map(Secret::new));
    (pw, var)
}

/// The certificates of a PEM chain file, in file order.
fn parse_chain(text: &str, source: &str) -> Result<Vec<Vec<u8>>, String> {
    use x509_parser::prelude::Pem;
    let mut out = Vec::new();
    for pem in Pem::iter_from_buffer(text.as_bytes()) {
        let pem =
            pem.map_err(|e| format!("{source}: the certificate chain is not valid PEM: {e}"))?;
        if pem.label == "CERTIFICATE" {
            out.push(pem.contents);
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{source}: no '-----BEGIN CERTIFICATE-----' block found (key_pem and chain_pem may be swapped)"
        ));
    }
    Ok(out)
}

/// Load the configured key and certificate and check them. Returns the key material when it could be loaded
/// (even with failed checks, so that Maskinporten's own answer can be shown too).
pub fn checks(
    t: &Target,
    opts: &DoctorOptions,
    issuers: &IssuerList,
) -> (Vec<Check>, Option<KeyMaterial>) {
    let mp = &t.cfg.maskinporten;
    let p12 = mp.pkcs12.clone().or_else(|| {
        std::env::var_os(crate::auth::DEFAULT_PKCS12_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    if let Some(p12) = p12 {
        return pkcs12_checks(t, &p12, opts, issuers);
    }
    let mut out = Vec::new();
    let Some(key_path) = mp.key_pem.clone() else {
        out.push(
            ck("load", "Certificate loads")
                .skip("no key configured (see the configuration checks)"),
        );
        return (out, None);
    };
    let key_text = match read(&key_path) {
        Ok(s) => s,
        Err(e) => {
            out.push(ck("load", "Key file").fail(
                e,
                "point [maskinporten] key_pem (or DSOP_KEY_PEM) at the private key file, or use pkcs12",
                Some(Who::OwnIt),
            ));
            return (out, None);
        }
    };
    let source = key_path.display().to_string();
    let key = crate::auth::cert::parse_rsa_key_pem(&key_text, &source);
    if let Some(kid) = &mp.kid {
        return match key {
            Ok(_) => {
                out.push(ck("load", "Key loads").pass(format!(
                    "registered key (kid {kid}): no certificate to check"
                )));
                (
                    out,
                    Some(KeyMaterial::Kid {
                        kid: kid.clone(),
                        key_pem: Secret::new(key_text),
                    }),
                )
            }
            Err(e) => {
                out.push(key_unreadable(e.to_string()));
                (out, None)
            }
        };
    }
    let Some(chain_path) = mp.chain_pem.clone() else {
        out.push(ck("load", "Certificate loads").skip("no chain_pem configured"));
        return (out, None);
    };
    let chain = read(&chain_path).and_then(|s| parse_chain(&s, &chain_path.display().to_string()));
    let chain_der = match chain {
        Ok(c) => c,
        Err(e) => {
            out.push(ck("load", "Certificate loads").fail(
                e,
                "point [maskinporten] chain_pem at the certificate chain as PEM, leaf first (e.g. `openssl pkcs12 \
                 -in virksomhet.p12 -nokeys -out chain.pem`), or use pkcs12",
                Some(Who::OwnIt),
            ));
            return (out, None);
        }
    };
    let info = match crate::auth::cert::cert_info(&chain_der[0]) {
        Ok(i) => i,
        Err(e) => {
            out.push(ck("load", "Certificate loads").fail(
                e.to_string(),
                "export the business certificate again",
                Some(Who::OwnIt),
            ));
            return (out, None);
        }
    };
    out.push(ck("load", "Certificate loads").pass(format!(
        "{} ({} certificate(s) in {})",
        info.subject,
        chain_der.len(),
        chain_path.display()
    )));
    out.push(
        ck("password", "Key password")
            .skip("PEM key without password (a password-protected key is given as PKCS#12)"),
    );
    if let Err(e) = key {
        {
            out.push(key_unreadable(e.to_string()));
            let cert = BusinessCert {
                key_pem: Secret::new(String::new()),
                chain_der,
                info,
            };
            out.extend(certificate_checks(t, &cert, opts, issuers, Some(())));
            return (out, None);
        }
    }
    // The harness's own loader puts the key's certificate first; when the key matches none, keep the file's
    // order so that Maskinporten's answer (MP-124) can be shown as well.
    let cert = BusinessCert::from_pem(&key_text, &read(&chain_path).unwrap_or_default(), &source)
        .unwrap_or(BusinessCert {
            key_pem: Secret::new(key_text.clone()),
            chain_der,
            info,
        });
    out.extend(certificate_checks(t, &cert, opts, issuers, None));
    (out, Some(KeyMaterial::Certificate(cert)))
}

fn key_unreadable(message: String) -> Check {
    ck("key", "Private key").fail(
        message,
        "export the business certificate's RSA private key as PEM (or give the .p12 file as [maskinporten] pkcs12)",
        Some(Who::OwnIt),
    )
}

fn pkcs12_checks(
    t: &Target,
    path: &Path,
    opts: &DoctorOptions,
    issuers: &IssuerList,
) -> (Vec<Check>, Option<KeyMaterial>) {
    let mut out = Vec::new();
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            out.push(ck("load", "Certificate loads").fail(
                format!("{}: cannot read it: {e}", path.display()),
                "point [maskinporten] pkcs12 (or DSOP_PKCS12) at the business certificate's .p12/.pfx file",
                Some(Who::OwnIt),
            ));
            return (out, None);
        }
    };
    let (pw, var) = password(t, opts);
    let pw_check = ck("password", "Certificate password");
    let Some(pw) = pw else {
        out.push(ck("load", "Certificate loads").skip("no password to open it"));
        out.push(pw_check.fail(
            format!(
                "the password of {} is read from {var}, which is not set",
                path.display()
            ),
            format!("set the environment variable {var} to the password of the .p12 file"),
            Some(Who::OwnIt),
        ));
        return (out, None);
    };
    match BusinessCert::from_pkcs12(&data, &pw, &path.display().to_string()) {
        Err(e) => {
            let m = e.to_string();
            if m.contains("password is wrong") {
                out.push(ck("load", "Certificate loads").skip("the file could not be opened"));
                out.push(pw_check.fail(
                    format!("the password in {var} does not open {}", path.display()),
                    format!(
                        "set {var} to the password the .p12 was exported with (whoever ordered the certificate, A-2, \
                         has it)"
                    ),
                    Some(Who::OwnIt),
                ));
            } else {
                out.push(ck("load", "Certificate loads").fail(
                    m,
                    "export the business certificate again as PKCS#12 with its private key",
                    Some(Who::OwnIt),
                ));
            }
            (out, None)
        }
        Ok(cert) => {
            out.push(ck("load", "Certificate loads").pass(format!(
                "{} ({} certificate(s) in {})",
                cert.info.subject,
                cert.chain_der.len(),
                path.display()
            )));
            out.push(pw_check.pass(format!("the password in {var} opens the file")));
            out.extend(certificate_checks(t, &cert, opts, issuers, None));
            let key = match &t.cfg.maskinporten.kid {
                Some(kid) => KeyMaterial::Kid {
                    kid: kid.clone(),
                    key_pem: cert.key_pem,
                },
                None => KeyMaterial::Certificate(cert),
            };
            (out, Some(key))
        }
    }
}

/// The checks on a loaded certificate. `key_missing` is `Some(())` when the key could not be opened (the
/// key-match check is then left out).
pub fn certificate_checks(
    t: &Target,
    cert: &BusinessCert,
    opts: &DoctorOptions,
    issuers: &IssuerList,
    key_missing: Option<()>,
) -> Vec<Check> {
    let mut out = Vec::new();
    if key_missing.is_none() {
        out.push(key_match(cert));
    }
    out.push(expiry(cert, opts));
    out.push(orgnr(t, cert));
    out.push(issuer(t.env, cert, issuers));
    out.push(issuer_trust(cert, opts, issuers));
    out
}

/// Whether the issuer's certificate is at hand, so that a rehearsal trusts the certificate through its issuer
/// as Maskinporten does. The decision is [`IssuerTrust`]'s, the one `rehearse` makes, so doctor says "issuer
/// trust not rehearsed" exactly when the rehearsal and its report do.
fn issuer_trust(cert: &BusinessCert, opts: &DoctorOptions, issuers: &IssuerList) -> Check {
    let c = ck("issuer_trust", "Issuer certificate");
    let ca = match opts.ca.as_deref().map(read_ca).transpose() {
        Ok(ca) => ca,
        Err(e) => {
            return c.fail(
                e,
                "give the issuer's CA certificate (PEM or DER) with --ca FILE",
                Some(Who::OwnIt),
            )
        }
    };
    let judged = IssuerTrust::of(&cert.chain_der, ca, issuers);
    if judged.self_signed {
        return c.warn(
            "the certificate is self-signed: the test Maskinporten will refuse it (MP-120)",
            "use a business certificate (virksomhetssertifikat) from Buypass or Commfides: a test certificate \
             for test",
            Some(Who::CertificateIssuer),
        );
    }
    if judged.not_rehearsed() {
        return c.warn(
            "issuer trust not rehearsed: neither the PKCS#12 or chain file nor --ca holds the issuer's \
             certificate, so a rehearsal can register only the certificate itself",
            "give the issuer's CA certificate with --ca FILE (to doctor and rehearse), or put it in the chain \
             file (chain_pem) or the PKCS#12 after the certificate",
            Some(Who::OwnIt),
        );
    }
    let in_file = IssuerTrust::of(&cert.chain_der, None, issuers)
        .issuer_der
        .is_some();
    let from = match opts.ca.as_deref() {
        Some(p) if !in_file => format!("--ca {}", p.display()),
        _ => "in the certificate file".to_string(),
    };
    c.pass(format!("the issuer's certificate is at hand ({from})"))
}

fn key_match(cert: &BusinessCert) -> Check {
    use rsa::pkcs8::DecodePublicKey;
    use x509_parser::prelude::*;
    let c = ck("key_match", "Key matches certificate");
    let Some(leaf) = cert.chain_der.first() else {
        return c.skip("no certificate");
    };
    let Ok((_, x)) = X509Certificate::from_der(leaf) else {
        return c.skip("the certificate could not be parsed");
    };
    let Ok(cert_key) = rsa::RsaPublicKey::from_public_key_der(x.public_key().raw) else {
        return c.fail(
            "the certificate's key is not RSA; Maskinporten grants are signed RS256",
            "use an RSA business certificate",
            Some(Who::CertificateIssuer),
        );
    };
    let Ok(private) = crate::auth::cert::parse_rsa_key_pem(cert.key_pem.expose(), "key") else {
        return c.skip("the key could not be read");
    };
    if private.to_public_key() == cert_key {
        c.pass("the private key belongs to the certificate")
    } else {
        c.fail(
            "the private key does not belong to the certificate (Maskinporten would answer MP-124)",
            "pair the certificate with its own key: export both from the same PKCS#12 file",
            Some(Who::OwnIt),
        )
    }
}

fn expiry(cert: &BusinessCert, opts: &DoctorOptions) -> Check {
    let c = ck("expiry", "Certificate validity");
    let now = chrono::Utc::now();
    let (Some(nb), Some(na)) = (cert.info.not_before, cert.info.not_after) else {
        return c.warn("the validity dates could not be read", "", None);
    };
    let renew =
        "order a new business certificate (A-2) and register it; a test certificate for test, a \
                 production certificate for prod";
    if na < now {
        c.fail(
            format!("expired on {}", na.format("%Y-%m-%d")),
            renew,
            Some(Who::CertificateIssuer),
        )
    } else if nb > now {
        c.fail(
            format!("not valid before {}", nb.format("%Y-%m-%d %H:%M UTC")),
            "wait until it becomes valid, or check this machine's clock",
            Some(Who::OwnIt),
        )
    } else {
        let days = (na - now).num_days();
        if days < opts.expiry_warning_days {
            c.warn(
                format!("expires on {} (in {days} days)", na.format("%Y-%m-%d")),
                renew,
                Some(Who::CertificateIssuer),
            )
        } else {
            c.pass(format!("valid until {}", na.format("%Y-%m-%d")))
        }
    }
}

fn orgnr(t: &Target, cert: &BusinessCert) -> Check {
    let c = ck("orgnr", "Organisation number");
    let vendor = t.cfg.vendor.as_ref().and_then(|v| v.orgnr.clone());
    let Some(expected) = &t.cert_owner else {
        return c.skip("no organisation number configured to compare with");
    };
    let whose = if vendor.is_some() {
        "the vendor's ([vendor] orgnr)"
    } else {
        "the institution's ([institution] orgnr)"
    };
    match cert.info.orgnr.as_deref() {
        None => c.fail(
            format!(
                "the certificate names no organisation number (neither serialNumber nor organizationIdentifier \
                 NTRNO-…): {}",
                cert.info.subject
            ),
            "use a business certificate (virksomhetssertifikat) from Buypass or Commfides",
            Some(Who::CertificateIssuer),
        ),
        Some(o) if o == expected => c.pass(format!("{o}, {whose}")),
        Some(o) => {
            let hint = if vendor.is_some() && t.institution.as_deref() == Some(o) {
                "this is the institution's certificate, but a vendor acts for it: the vendor signs with its own \
                 certificate and client (or drop [vendor])"
                    .to_string()
            } else if vendor.as_deref() == Some(o) {
                "this is the vendor's certificate: configure [vendor] only when the vendor runs the test".into()
            } else {
                format!(
                    "use the certificate of {expected}, the organisation that owns the Maskinporten client (else \
                     Maskinporten answers MP-122)"
                )
            };
            c.fail(
                format!("the certificate is for {o}, expected {expected} ({whose})"),
                hint,
                Some(Who::OwnIt),
            )
        }
    }
}

fn issuer(env: Env, cert: &BusinessCert, issuers: &IssuerList) -> Check {
    let c = ck("environment", "Test or production certificate");
    let kind = issuers.classify(&cert.info.issuer);
    let want_test = env != Env::Prod;
    let env_name = if want_test { "test" } else { "prod" };
    match (kind, want_test) {
        (IssuerKind::Test, true) | (IssuerKind::Prod, false) => c.pass(format!(
            "issued by {} ({env_name} issuer)",
            cert.info.issuer
        )),
        (IssuerKind::Prod, true) => c.fail(
            format!("a production certificate (issuer {}) in test", cert.info.issuer),
            "production certificates do not work in test: order a test business certificate from Buypass or \
             Commfides and register it with the test client",
            Some(Who::CertificateIssuer),
        ),
        (IssuerKind::Test, false) => c.fail(
            format!("a test certificate (issuer {}) in prod", cert.info.issuer),
            "test certificates do not work in prod: use the production business certificate",
            Some(Who::CertificateIssuer),
        ),
        (IssuerKind::Unknown, _) => c.warn(
            format!(
                "issuer {} is on neither the test nor the prod list (the built-in lists are unverified): \
                 unless it is a genuine Buypass/Commfides CA, the test Maskinporten will refuse it (MP-120)",
                cert.info.issuer
            ),
            "if this is a genuine Buypass/Commfides issuer, add it with --issuers FILE (docs/doctor.md)",
            None,
        ),
    }
}
