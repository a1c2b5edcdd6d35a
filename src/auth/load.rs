//! From configuration to `KeyMaterial`. Secrets come from file paths or environment variables only: the
//! PKCS#12 password is read from the environment variable named by `[maskinporten] password_env`, never from the
//! configuration file.

use super::{AuthError, BusinessCert, KeyMaterial};
use crate::config::MaskinportenConfig;
use crate::secret::Secret;
use std::path::Path;

pub use crate::config::{DEFAULT_PASSWORD_ENV, DEFAULT_PKCS12_ENV};

fn read_text(p: &Path, what: &str) -> Result<String, AuthError> {
    std::fs::read_to_string(p)
        .map_err(|e| AuthError::Config(format!("{}: cannot read the {what}: {e}", p.display())))
}

/// Read and load a PKCS#12 file, the password from the environment variable `password_env`.
pub fn load_pkcs12(path: &Path, password_env: &str) -> Result<BusinessCert, AuthError> {
    let data = std::fs::read(path).map_err(|e| {
        AuthError::Config(format!(
            "{}: cannot read the PKCS#12 file: {e}",
            path.display()
        ))
    })?;
    let password = match std::env::var(password_env) {
        Ok(v) => Secret::new(v),
        Err(std::env::VarError::NotPresent) => {
            return Err(AuthError::Config(format!(
                "the password of {} is read from the environment variable {password_env}, which is not set: set it \
                 in the shell that runs the harness (it is never read from the configuration file)",
                path.display()
            )))
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(AuthError::Config(format!(
                "the environment variable {password_env} (the password of {}) is not valid UTF-8",
                path.display()
            )))
        }
    };
    tracing::debug!(file = %path.display(), password_env, "loading PKCS#12 business certificate");
    BusinessCert::from_pkcs12(&data, &password, &path.display().to_string())
}

impl MaskinportenConfig {
    /// The key the grants are signed with, from `[maskinporten]`:
    /// - `pkcs12` (or `$DSOP_PKCS12`) with the password in the environment variable `password_env` (default
    ///   `DSOP_PKCS12_PASSWORD`): the business certificate, sent as `x5c`; with `kid` set, its key is sent as a
    ///   registered key instead;
    /// - `key_pem` + `chain_pem`: the business certificate as PEM files (`x5c`);
    /// - `key_pem` + `kid`: a key registered with the client (`kid`).
    pub fn load_key_material(&self) -> Result<KeyMaterial, AuthError> {
        let pkcs12 = self.pkcs12.clone().or_else(|| {
            std::env::var_os(DEFAULT_PKCS12_ENV)
                .filter(|v| !v.is_empty())
                .map(Into::into)
        });
        if let Some(p12) = pkcs12 {
            if self.key_pem.is_some() {
                return Err(AuthError::Config(
                    "[maskinporten] has both pkcs12 and key_pem: give the business certificate one way only".into(),
                ));
            }
            let env = self.password_env.as_deref().unwrap_or(DEFAULT_PASSWORD_ENV);
            let cert = load_pkcs12(&p12, env)?;
            return Ok(match &self.kid {
                Some(kid) => KeyMaterial::Kid {
                    kid: kid.clone(),
                    key_pem: cert.key_pem,
                },
                None => KeyMaterial::Certificate(cert),
            });
        }
        let Some(key_path) = &self.key_pem else {
            return Err(AuthError::Config(
                "no key for Maskinporten: set [maskinporten] pkcs12 (with password_env), or key_pem with chain_pem \
                 (business certificate) or with kid (registered key)"
                    .into(),
            ));
        };
        let key_pem = read_text(key_path, "private key")?;
        let source = key_path.display().to_string();
        match (&self.kid, &self.chain_pem) {
            (Some(kid), _) => {
                super::cert::parse_rsa_key_pem(&key_pem, &source)?;
                Ok(KeyMaterial::Kid {
                    kid: kid.clone(),
                    key_pem: Secret::new(key_pem),
                })
            }
            (None, Some(chain)) => {
                let chain_pem = read_text(chain, "certificate chain")?;
                let cert = BusinessCert::from_pem(&key_pem, &chain_pem, &source).map_err(|e| match e {
                    AuthError::Certificate(m) => {
                        AuthError::Certificate(format!("{m} (chain: {})", chain.display()))
                    }
                    other => other,
                })?;
                Ok(KeyMaterial::Certificate(cert))
            }
            (None, None) => Err(AuthError::Config(
                "[maskinporten] key_pem needs chain_pem (the business certificate chain, sent as x5c) or kid (a key \
                 registered with the client)"
                    .into(),
            )),
        }
    }
}
