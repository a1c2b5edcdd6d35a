//! Configuration: built-in defaults -> `dsop-harness.toml` -> `DSOP_*` environment variables -> command line.
//! Secrets only by file path or environment variable, never in the file itself.

use crate::apis::Endpoints;
use crate::model::Delegation;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The environment variable holding the PKCS#12 password when `password_env` is not set.
pub const DEFAULT_PASSWORD_ENV: &str = "DSOP_PKCS12_PASSWORD";
/// The environment variable giving the PKCS#12 path when `[maskinporten] pkcs12` is not set.
pub const DEFAULT_PKCS12_ENV: &str = "DSOP_PKCS12";

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
    /// Seconds past a token's `exp` Skatteetaten's APIs may still accept it (the harness waits this long).
    pub expiry_tolerance_secs: Option<u64>,
    /// The same for NAV's Aa-registeret OTP API (default: `expiry_tolerance_secs`, else 60).
    pub nav_expiry_tolerance_secs: Option<u64>,
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

/// The harness's default expiry tolerance per API (`[profile.*] expiry_tolerance_secs`).
pub const DEFAULT_EXPIRY_TOLERANCE_SECS: u64 = 60;
/// Seconds the expired-token cases wait beyond `exp` plus the tolerance (clock differences, rounding).
pub const EXPIRY_MARGIN_SECS: u64 = 2;

/// The default config file name, looked for in the working directory.
pub const DEFAULT_FILE: &str = "dsop-harness.toml";

/// `[institution] orgnr` from the environment.
pub const ENV_INSTITUTION_ORGNR: &str = "DSOP_INSTITUTION_ORGNR";
/// `[maskinporten] client_id` from the environment.
pub const ENV_CLIENT_ID: &str = "DSOP_CLIENT_ID";
/// `[maskinporten] key_pem` from the environment.
pub const ENV_KEY_PEM: &str = "DSOP_KEY_PEM";
/// `[maskinporten] chain_pem` from the environment.
pub const ENV_CHAIN_PEM: &str = "DSOP_CHAIN_PEM";

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
        if let Some(v) = env(ENV_INSTITUTION_ORGNR) {
            cfg.institution.orgnr = Some(v);
        }
        if let Some(v) = env(ENV_CLIENT_ID) {
            cfg.maskinporten.client_id = Some(v);
        }
        if let Some(v) = env(ENV_KEY_PEM) {
            cfg.maskinporten.key_pem = Some(v.into());
        }
        if let Some(v) = env(ENV_CHAIN_PEM) {
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

    /// Seconds past `exp` the harness assumes an API still accepts a token, per API (default 60 each:
    /// NAV's sister API validates with Spring's 60 s; Skatteetaten's value is unknown). The expired-token
    /// cases wait past `exp` plus this plus [`EXPIRY_MARGIN_SECS`].
    pub fn expiry_tolerance_secs(&self, env: Env, api: crate::model::Api) -> u64 {
        let p = self.profile.get(env.as_str());
        let all = p.and_then(|p| p.expiry_tolerance_secs);
        let v = match api {
            crate::model::Api::AaregOtp => p.and_then(|p| p.nav_expiry_tolerance_secs).or(all),
            _ => all,
        };
        v.unwrap_or(DEFAULT_EXPIRY_TOLERANCE_SECS)
    }

    /// The first URL of `[profile.<env>]` that is plain `http://` to a host that is not this machine: a
    /// one-line error naming the key (tokens and personal data never travel unencrypted).
    pub fn plain_http(&self, env: Env) -> Option<String> {
        let p = self.profile.get(env.as_str())?;
        let keys = [
            ("maskinporten_issuer", &p.maskinporten_issuer),
            ("token_endpoint", &p.token_endpoint),
            ("inntekt", &p.inntekt),
            ("inntektsmottakere", &p.inntektsmottakere),
            ("tjenestepensjonsavtale", &p.tjenestepensjonsavtale),
            ("aareg", &p.aareg),
        ];
        keys.into_iter().find_map(|(k, v)| {
            let url = v.as_deref()?;
            plain_http_remote(url).then(|| {
                format!(
                    "[profile.{}] {k} = {url:?}: plain http:// is refused for a host that is not this machine; \
                     use https://",
                    env.as_str()
                )
            })
        })
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

/// True for a plain `http://` URL whose host is not the loopback interface (127.0.0.0/8, ::1, localhost).
pub fn plain_http_remote(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        && !loopback_url(url)
}

/// Whether `url`'s host is this machine (`localhost`, 127.0.0.0/8 or `[::1]`), whatever its scheme.
pub fn loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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

// ---------------------------------------------------------------------------------------------------------------
// The configuration reference, `docs/config.md`, generated from the types above.

/// How a key's default is shown: fixed text, or computed from the code that applies it.
#[derive(Clone, Copy)]
pub enum KeyDefault {
    /// No default: the key is optional, or needed only where the text says.
    None,
    /// A fixed value or a sentence.
    Text(&'static str),
    /// Computed per environment (test, prod) from the code that applies it.
    PerEnv(fn(Env) -> String),
}

/// One key of the configuration file, as the reference page describes it.
pub struct KeyDoc {
    /// The table: `institution`, `vendor`, `maskinporten` or `profile`.
    pub section: &'static str,
    pub key: &'static str,
    /// The TOML type, in words.
    pub kind: &'static str,
    pub default: KeyDefault,
    /// The environment variable that sets (and overrides) it.
    pub env: Option<&'static str>,
    pub text: &'static str,
}

/// Every key of every table. `reference_page` renders them in the order of the types' fields; the tests fail
/// when a field of the types has no entry here or an entry names no field.
pub const KEYS: &[KeyDoc] = &[
    KeyDoc {
        section: "institution",
        key: "orgnr",
        kind: "string, 9 digits",
        default: KeyDefault::Text("none; needed for --env test and prod"),
        env: Some(ENV_INSTITUTION_ORGNR),
        text: "The pension institution's organisation number: its real one, in test too.",
    },
    KeyDoc {
        section: "institution",
        key: "name",
        kind: "string",
        default: KeyDefault::None,
        env: None,
        text: "The institution's name, for the reports.",
    },
    KeyDoc {
        section: "vendor",
        key: "orgnr",
        kind: "string, 9 digits",
        default: KeyDefault::None,
        env: None,
        text: "The vendor's organisation number, when a vendor runs the test for the institution (B-7). The whole \
               table is left out otherwise.",
    },
    KeyDoc {
        section: "vendor",
        key: "name",
        kind: "string",
        default: KeyDefault::None,
        env: None,
        text: "The vendor's name, for the reports.",
    },
    KeyDoc {
        section: "vendor",
        key: "mechanism",
        kind: "\"consumer_org\" or \"system_user\"",
        default: KeyDefault::Text("consumer_org"),
        env: None,
        text: "How the vendor acts for the institution: API delegation in Altinn (the grant carries consumer_org) \
               or an Altinn system user (authorization_details).",
    },
    KeyDoc {
        section: "maskinporten",
        key: "client_id",
        kind: "string",
        default: KeyDefault::Text("none; needed for --env test and prod"),
        env: Some(ENV_CLIENT_ID),
        text: "The Maskinporten client id from Samarbeidsportalen (the test environment's client for --env test).",
    },
    KeyDoc {
        section: "maskinporten",
        key: "key_pem",
        kind: "path",
        default: KeyDefault::None,
        env: Some(ENV_KEY_PEM),
        text: "PEM private key (PKCS#8 or PKCS#1, unencrypted): with chain_pem the business certificate, with kid \
               a key registered on the client.",
    },
    KeyDoc {
        section: "maskinporten",
        key: "chain_pem",
        kind: "path",
        default: KeyDefault::None,
        env: Some(ENV_CHAIN_PEM),
        text: "PEM certificate chain of the business certificate, leaf first (the certificate matching the key is \
               put first whatever its place).",
    },
    KeyDoc {
        section: "maskinporten",
        key: "kid",
        kind: "string",
        default: KeyDefault::None,
        env: None,
        text: "Key id of a key registered on the client in Samarbeidsportalen; the grant then carries kid instead \
               of the certificate.",
    },
    KeyDoc {
        section: "maskinporten",
        key: "pkcs12",
        kind: "path",
        default: KeyDefault::None,
        env: Some(DEFAULT_PKCS12_ENV),
        text: "PKCS#12 file (.p12/.pfx) holding the business certificate and its key, e.g. as exported from the \
               Windows certificate store.",
    },
    KeyDoc {
        section: "maskinporten",
        key: "password_env",
        kind: "string (a variable name)",
        default: KeyDefault::Text(DEFAULT_PASSWORD_ENV),
        env: None,
        text: "The name of the environment variable that holds the PKCS#12 password (the password itself is never \
               in the file).",
    },
    KeyDoc {
        section: "profile",
        key: "maskinporten_issuer",
        kind: "URL",
        default: KeyDefault::PerEnv(|e| Config::default().maskinporten(e).0),
        env: None,
        text: "Maskinporten's issuer: the grant's aud.",
    },
    KeyDoc {
        section: "profile",
        key: "token_endpoint",
        kind: "URL",
        default: KeyDefault::PerEnv(|e| Config::default().maskinporten(e).1),
        env: None,
        text: "Maskinporten's token endpoint (default: the issuer followed by token).",
    },
    KeyDoc {
        section: "profile",
        key: "inntekt",
        kind: "URL",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).inntekt),
        env: None,
        text: "Base URL of the Inntekt API.",
    },
    KeyDoc {
        section: "profile",
        key: "inntektsmottakere",
        kind: "URL",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).inntektsmottakere),
        env: None,
        text: "Base URL of the Inntektsmottakere API.",
    },
    KeyDoc {
        section: "profile",
        key: "tjenestepensjonsavtale",
        kind: "URL",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).tjenestepensjonsavtale),
        env: None,
        text: "Base URL of the Tjenestepensjonsavtale API.",
    },
    KeyDoc {
        section: "profile",
        key: "aareg",
        kind: "URL",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).aareg),
        env: None,
        text: "The full GraphQL URL of NAV's Aa-registeret OTP API.",
    },
    KeyDoc {
        section: "profile",
        key: "inntekt_path",
        kind: "path template",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).inntekt_path),
        env: None,
        text: "Path of the income call below the Inntekt base URL.",
    },
    KeyDoc {
        section: "profile",
        key: "inntektsmottakere_path",
        kind: "path template",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).inntektsmottakere_path),
        env: None,
        text: "Path of the list call below the Inntektsmottakere base URL (inferred, see docs/service.md §3.1).",
    },
    KeyDoc {
        section: "profile",
        key: "avtaleforhold_path",
        kind: "path template",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).avtaleforhold_path),
        env: None,
        text: "Path of POST and DELETE avtaleforhold below the Tjenestepensjonsavtale base URL (inferred).",
    },
    KeyDoc {
        section: "profile",
        key: "avtaleforhold_gyldighet_path",
        kind: "path template",
        default: KeyDefault::PerEnv(|e| Config::default().endpoints(e).avtaleforhold_gyldighet_path),
        env: None,
        text: "Path of the agreement-validity look-up (the nav package's; a case checks that the institution is refused \
               there).",
    },
    KeyDoc {
        section: "profile",
        key: "timeout_secs",
        kind: "integer (seconds)",
        default: KeyDefault::PerEnv(|e| Config::default().timeout(e).as_secs().to_string()),
        env: None,
        text: "Time limit per request (run --timeout overrides it).",
    },
    KeyDoc {
        section: "profile",
        key: "nav_max_in_flight",
        kind: "integer",
        default: KeyDefault::Text("no limit"),
        env: None,
        text: "Most NAV calls at once. NAV documents no limit; set one if its gateway needs it. (Skatteetaten's \
               5 calls per API always apply.)",
    },
    KeyDoc {
        section: "profile",
        key: "expiry_tolerance_secs",
        kind: "integer (seconds)",
        default: KeyDefault::Text("60"),
        env: None,
        text: "Seconds past a token's exp Skatteetaten's APIs may still accept it (unknown; 60 s is the gateways' \
               common default). The expired-token cases (SEC-01) wait until exp + this + 2 s before they call.",
    },
    KeyDoc {
        section: "profile",
        key: "nav_expiry_tolerance_secs",
        kind: "integer (seconds)",
        default: KeyDefault::Text("expiry_tolerance_secs, else 60"),
        env: None,
        text: "The same for NAV's Aa-registeret OTP API (NAV's sister API accepts 60 s past exp).",
    },
];

/// Environment variables that are not configuration keys.
pub const OTHER_ENV: &[(&str, &str)] = &[
    (
        "DSOP_ENV",
        "The environment of run and doctor when --env is not given: sim, test or prod.",
    ),
    (
        DEFAULT_PASSWORD_ENV,
        "The PKCS#12 password, unless [maskinporten] password_env names another variable.",
    ),
    (
        "DSOP_LOG",
        "Log filter for the diagnostic log on stderr, e.g. DSOP_LOG=debug (RUST_LOG works too). Off by default; \
         tokens, keys and passwords are never logged.",
    ),
    (
        "NO_COLOR",
        "Any value turns colours off.",
    ),
];

/// The field names of a struct, as serde sees them (skipped fields left out), read from its `Deserialize`
/// implementation: the reference page lists exactly the keys the loader accepts.
pub fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};
    struct Probe<'a>(&'a mut Option<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = Some(fields);
            Err(de::Error::custom("field names read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut out = None;
    let _ = T::deserialize(Probe(&mut out));
    out.unwrap_or(&[])
}

/// The tables of the file and the fields of each, from the types.
pub fn sections() -> Vec<(&'static str, &'static [&'static str])> {
    field_names::<Config>()
        .iter()
        .map(|&s| {
            let fields = match s {
                "institution" => field_names::<InstitutionConfig>(),
                "vendor" => field_names::<VendorConfig>(),
                "maskinporten" => field_names::<MaskinportenConfig>(),
                "profile" => field_names::<ProfileConfig>(),
                _ => &[],
            };
            (s, fields)
        })
        .collect()
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `docs/config.md`: every key of every table, its type, default and environment variable, generated from the
/// configuration types and `KEYS`. A field without an entry in `KEYS` shows as "NOT DOCUMENTED".
pub fn reference_page() -> String {
    let mut out = String::new();
    out.push_str(
        "# Configuration reference\n\n\
         <!-- Generated by `dsop_harness::config::reference_page()` from the configuration types in src/config.rs. \
         Do not edit: change the types or `config::KEYS`, then run `DSOP_UPDATE_DOCS=1 cargo test --test \
         config_reference`. -->\n\n",
    );
    out.push_str(&format!(
        "The harness reads `{DEFAULT_FILE}` from the working folder (or the file given with `--config`). Each \
         setting is taken from, in rising order of precedence: the built-in default, the file, the environment \
         variable named below, the command line. `dsop-harness init` writes a commented template. Unknown keys are \
         refused with the file and the key named.\n\n\
         Secrets are never in the file: the key and the PKCS#12 file are given by path, the PKCS#12 password \
         by an environment variable. A file that holds a private key or a `password =` line is refused.\n\n\
         The embedded simulator (`--env sim`, the default of `run`) needs none of this.\n"
    ));
    for (section, fields) in sections() {
        let title = match section {
            "profile" => "\n## `[profile.test]` and `[profile.prod]`\n\n\
                          Overrides per environment; every URL and path template can be changed here. In path \
                          templates, `{rettighetspakke}`, `{personidentifikator}` and `{opplysningspliktig}` \
                          are filled in per call.\n\n| Key | Type | Default in test | Default in prod | \
                          Environment variable | Meaning |\n|---|---|---|---|---|---|\n"
                .to_string(),
            _ => format!(
                "\n## `[{section}]`\n\n| Key | Type | Default | Environment variable | Meaning |\n|---|---|---|---|---|\n"
            ),
        };
        out.push_str(&title);
        for field in fields {
            let doc = KEYS
                .iter()
                .find(|k| k.section == section && k.key == *field);
            let env = doc
                .and_then(|d| d.env)
                .map(|e| format!("`{e}`"))
                .unwrap_or_else(|| "–".into());
            let (kind, text) = doc
                .map(|d| (d.kind, d.text))
                .unwrap_or(("?", "NOT DOCUMENTED: add it to config::KEYS"));
            let default = |e: Env| match doc.map(|d| d.default) {
                Some(KeyDefault::Text(t)) => cell(t),
                Some(KeyDefault::PerEnv(f)) => format!("`{}`", cell(&f(e))),
                _ => "–".into(),
            };
            if section == "profile" {
                out.push_str(&format!(
                    "| `{field}` | {} | {} | {} | {env} | {} |\n",
                    cell(kind),
                    default(Env::Test),
                    default(Env::Prod),
                    cell(text)
                ));
            } else {
                out.push_str(&format!(
                    "| `{field}` | {} | {} | {env} | {} |\n",
                    cell(kind),
                    default(Env::Test),
                    cell(text)
                ));
            }
        }
    }
    out.push_str("\n## Other environment variables\n\n| Variable | Meaning |\n|---|---|\n");
    for (k, v) in OTHER_ENV {
        out.push_str(&format!("| `{k}` | {} |\n", cell(v)));
    }
    out
}
