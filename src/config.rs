//! Configuration: built-in defaults -> `dsop-harness.toml` -> `DSOP_*` environment variables -> command line.
//! Secrets only by file path or environment variable, never in the file itself.

use crate::apis::Endpoints;
use crate::model::Delegation;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The three environments. (TT02 is Altinn's, for delegations; the APIs' test environment is
/// Skatteetaten's external test and NAV's dev gateway.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Env {
    Sim,
    Test,
    Prod,
}

impl Env {
    pub fn as_str(self) -> &'static str {
        match self {
            Env::Sim => "sim",
            Env::Test => "test",
            Env::Prod => "prod",
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionConfig {
    pub orgnr: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorConfig {
    pub orgnr: Option<String>,
    pub name: Option<String>,
    /// `consumer_org` (API delegation) or `system_user`.
    pub mechanism: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskinportenConfig {
    pub client_id: Option<String>,
    /// Path of the PEM private key (PKCS#8 or PKCS#1).
    pub key_pem: Option<PathBuf>,
    /// Path of the PEM certificate chain, leaf first.
    pub chain_pem: Option<PathBuf>,
    /// With a registered key instead of a certificate.
    pub kid: Option<String>,
    /// Path of a PKCS#12 file (.p12/.pfx) holding the business certificate and its key.
    pub pkcs12: Option<PathBuf>,
    /// Name of the environment variable that holds the PKCS#12 password.
    pub password_env: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    pub maskinporten_issuer: Option<String>,
    pub token_endpoint: Option<String>,
    pub inntekt: Option<String>,
    pub inntektsmottakere: Option<String>,
    pub tjenestepensjonsavtale: Option<String>,
    pub aareg: Option<String>,
    pub inntekt_path: Option<String>,
    pub inntektsmottakere_path: Option<String>,
    pub avtaleforhold_path: Option<String>,
    pub avtaleforhold_gyldighet_path: Option<String>,
    pub timeout_secs: Option<u64>,
    /// NAV has no documented limit; set one here if its gateway needs it.
    pub nav_max_in_flight: Option<usize>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub institution: InstitutionConfig,
    pub vendor: Option<VendorConfig>,
    #[serde(default)]
    pub maskinporten: MaskinportenConfig,
    #[serde(default)]
    pub profile: std::collections::BTreeMap<String, ProfileConfig>,
    /// Where the file came from, for messages.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The default config file name, looked for in the working directory.
pub const DEFAULT_FILE: &str = "dsop-harness.toml";

impl Config {
    /// Load `path` (or `dsop-harness.toml` when present), then apply `DSOP_*` environment variables.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let chosen = match path {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
        };
        let mut cfg = match &chosen {
            None => Config::default(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::File {
                    path: p.display().to_string(),
                    message: format!("cannot read it: {e}"),
                })?;
                if text.contains("PRIVATE KEY") || text.contains("password =") {
                    return Err(ConfigError::File {
                        path: p.display().to_string(),
                        message: "the file holds a secret; give secrets by file path (key_pem = \"certs/key.pem\") or \
                                  environment variable instead"
                            .into(),
                    });
                }
                let mut c: Config = toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: p.display().to_string(),
                    message: e.to_string(),
                })?;
                c.source = Some(p.clone());
                c
            }
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(v) = env("DSOP_INSTITUTION_ORGNR") {
            cfg.institution.orgnr = Some(v);
        }
        if let Some(v) = env("DSOP_CLIENT_ID") {
            cfg.maskinporten.client_id = Some(v);
        }
        if let Some(v) = env("DSOP_KEY_PEM") {
            cfg.maskinporten.key_pem = Some(v.into());
        }
        if let Some(v) = env("DSOP_CHAIN_PEM") {
            cfg.maskinporten.chain_pem = Some(v.into());
        }
        Ok(cfg)
    }

    pub fn delegation(&self) -> Result<Delegation, ConfigError> {
        match &self.vendor {
            None => Ok(Delegation::None),
            Some(v) => match v.mechanism.as_deref().unwrap_or("consumer_org") {
                "consumer_org" | "api_delegation" => Ok(Delegation::ConsumerOrg),
                "system_user" | "systemuser" => Ok(Delegation::SystemUser),
                other => Err(ConfigError::Invalid(format!(
                    "[vendor] mechanism = {other:?} is unknown: use \"consumer_org\" (API delegation) or \"system_user\""
                ))),
            },
        }
    }

    /// Endpoints for a real environment, with the profile's overrides.
    pub fn endpoints(&self, env: Env) -> Endpoints {
        let mut ep = if env == Env::Prod {
            Endpoints::prod()
        } else {
            Endpoints::default()
        };
        if let Some(p) = self.profile.get(env.as_str()) {
            let set = |dst: &mut String, src: &Option<String>| {
                if let Some(s) = src {
                    *dst = s.clone();
                }
            };
            set(&mut ep.inntekt, &p.inntekt);
            set(&mut ep.inntektsmottakere, &p.inntektsmottakere);
            set(&mut ep.tjenestepensjonsavtale, &p.tjenestepensjonsavtale);
            set(&mut ep.aareg, &p.aareg);
            set(&mut ep.inntekt_path, &p.inntekt_path);
            set(&mut ep.inntektsmottakere_path, &p.inntektsmottakere_path);
            set(&mut ep.avtaleforhold_path, &p.avtaleforhold_path);
            set(
                &mut ep.avtaleforhold_gyldighet_path,
                &p.avtaleforhold_gyldighet_path,
            );
        }
        ep
    }

    /// The Maskinporten issuer (grant `aud`) and token endpoint of a real environment.
    pub fn maskinporten(&self, env: Env) -> (String, String) {
        let issuer = self
            .profile
            .get(env.as_str())
            .and_then(|p| p.maskinporten_issuer.clone())
            .unwrap_or_else(|| {
                if env == Env::Prod {
                    "https://maskinporten.no/"
                } else {
                    "https://test.maskinporten.no/"
                }
                .into()
            });
        let token = self
            .profile
            .get(env.as_str())
            .and_then(|p| p.token_endpoint.clone())
            .unwrap_or_else(|| format!("{}token", issuer.trim_end_matches('/').to_string() + "/"));
        (issuer, token)
    }

    pub fn timeout(&self, env: Env) -> std::time::Duration {
        std::time::Duration::from_secs(
            self.profile
                .get(env.as_str())
                .and_then(|p| p.timeout_secs)
                .unwrap_or(30),
        )
    }
}

/// A commented configuration template (`dsop-harness init`).
pub const TEMPLATE: &str = r#"# dsop-harness configuration. Secrets are never written here: give them by file path or environment variable.

[institution]
orgnr = "9xxxxxxxx"              # the institution's real org number (in test too)
name = "Eksempel Pensjon AS"

# [vendor]                       # only when a vendor runs the test on the institution's behalf (B-7)
# orgnr = "9yyyyyyyy"
# mechanism = "consumer_org"     # or "system_user"

[maskinporten]
client_id = "…"                  # from Samarbeidsportalen (test environment for --env test)
# The test business certificate (virksomhetssertifikat), either as PKCS#12 ...
pkcs12 = "certs/test-virksomhet.p12"          # or DSOP_PKCS12
password_env = "DSOP_PKCS12_PASSWORD"         # the environment variable that holds its password
# ... or as a PEM key plus chain:
# key_pem = "certs/test-virksomhet-key.pem"   # or DSOP_KEY_PEM
# chain_pem = "certs/test-virksomhet-chain.pem" # or DSOP_CHAIN_PEM
# ... or a key registered with the client in Samarbeidsportalen: key_pem plus
# kid = "…"

[profile.test]                   # every URL and path template can be overridden here
# inntektsmottakere_path = "/{rettighetspakke}/{opplysningspliktig}/inntektsmottakere"
# timeout_secs = 30
"#;
