//! `dsop-harness doctor`: checks the onboarding set-up before phase C (A-3 Maskinporten client, A-7 firewall
//! openings, B-3/B-5/B-6 test access and scopes, B-7 delegation) and says in plain words what to fix and whom
//! to ask. `dsop-harness init` writes a config template and a copy of the bundled workbook.
//!
//! One file per group of checks: `config_checks`, `cert`, `network`, `clock`, `tokens`, `apis`; `render` draws
//! the table; `init` is the `init` subcommand. Every check returns a [`Check`]; nothing here prints.

pub mod apis;
pub mod cert;
pub mod clock;
pub mod config_checks;
pub mod init;
pub mod network;
pub mod render;
pub mod tokens;

pub use cert::IssuerList;
pub use init::init;

use crate::auth::{KeyMaterial, MaskinportenClient};
use crate::config::{Config, Env};
use crate::model::Lang;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The groups of checks, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Config,
    Certificate,
    Network,
    Clock,
    Tokens,
    Apis,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Config,
        Group::Certificate,
        Group::Network,
        Group::Clock,
        Group::Tokens,
        Group::Apis,
    ];

    /// The fast subset `run` performs before it starts (no network probing of every host, no API calls).
    pub const PREFLIGHT: [Group; 4] = [
        Group::Config,
        Group::Certificate,
        Group::Clock,
        Group::Tokens,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Config => "config",
            Group::Certificate => "certificate",
            Group::Network => "network",
            Group::Clock => "clock",
            Group::Tokens => "tokens",
            Group::Apis => "apis",
        }
    }

    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s.trim()))
            .or(match s.trim().to_ascii_lowercase().as_str() {
                "cert" => Some(Group::Certificate),
                "net" | "dns" | "tcp" | "tls" => Some(Group::Network),
                "token" | "scopes" => Some(Group::Tokens),
                "api" => Some(Group::Apis),
                _ => None,
            })
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Group::Config, Lang::Nb) => "Konfigurasjon",
            (Group::Config, Lang::En) => "Configuration",
            (Group::Certificate, Lang::Nb) => "Sertifikat",
            (Group::Certificate, Lang::En) => "Certificate",
            (Group::Network, Lang::Nb) => "Nettverk",
            (Group::Network, Lang::En) => "Network",
            (Group::Clock, Lang::Nb) => "Klokke",
            (Group::Clock, Lang::En) => "Clock",
            (Group::Tokens, _) => "Maskinporten",
            (Group::Apis, _) => "API",
        }
    }
}

/// The result of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    /// Worth a look, but does not fail doctor (exit 0).
    Warn,
    Fail,
    /// Not performed (not applicable, or an earlier check it depends on failed).
    Skip,
}

impl CheckStatus {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CheckStatus::Pass, _) => "OK",
            (CheckStatus::Warn, Lang::Nb) => "ADVARSEL",
            (CheckStatus::Warn, Lang::En) => "WARNING",
            (CheckStatus::Fail, Lang::Nb) => "FEIL",
            (CheckStatus::Fail, Lang::En) => "FAILED",
            (CheckStatus::Skip, Lang::Nb) => "IKKE SJEKKET",
            (CheckStatus::Skip, Lang::En) => "SKIPPED",
        }
    }
}

/// Whom to ask to fix a failed check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    /// The team's own IT (firewall, proxy, clock, files).
    OwnIt,
    /// Digdir (Maskinporten, Samarbeidsportalen).
    Digdir,
    /// Bits (onboarding, test access at the agencies).
    Bits,
    /// Altinn (delegations, system users), done by the institution.
    Altinn,
    /// The certificate issuer (Buypass or Commfides).
    CertificateIssuer,
    Skatteetaten,
    Nav,
}

impl Who {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Who::OwnIt, Lang::Nb) => "egen IT",
            (Who::OwnIt, Lang::En) => "your own IT",
            (Who::Digdir, _) => "Digdir",
            (Who::Bits, _) => "Bits",
            (Who::Altinn, Lang::Nb) => "Altinn (pensjonsinnretningen)",
            (Who::Altinn, Lang::En) => "Altinn (the institution)",
            (Who::CertificateIssuer, Lang::Nb) => "sertifikatutsteder (Buypass/Commfides)",
            (Who::CertificateIssuer, Lang::En) => "the certificate issuer (Buypass/Commfides)",
            (Who::Skatteetaten, _) => "Skatteetaten",
            (Who::Nav, _) => "NAV",
        }
    }
}

/// One check: what was looked at, the outcome, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub group: Group,
    /// Stable id, e.g. `certificate.expiry`, `network.tcp.inntekt`, `tokens.skatteetaten:inntekt`.
    pub id: String,
    /// Short human name, e.g. "TCP Inntekt".
    pub name: String,
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// What to do (empty when nothing).
    pub action: String,
    pub who: Option<Who>,
}

impl Check {
    pub fn new(group: Group, id: impl Into<String>, name: impl Into<String>) -> Check {
        Check {
            group,
            id: id.into(),
            name: name.into(),
            status: CheckStatus::Pass,
            detail: String::new(),
            action: String::new(),
            who: None,
        }
    }

    pub fn pass(mut self, detail: impl Into<String>) -> Check {
        self.status = CheckStatus::Pass;
        self.detail = detail.into();
        self
    }

    pub fn skip(mut self, detail: impl Into<String>) -> Check {
        self.status = CheckStatus::Skip;
        self.detail = detail.into();
        self
    }

    pub fn warn(
        mut self,
        detail: impl Into<String>,
        action: impl Into<String>,
        who: Option<Who>,
    ) -> Check {
        self.status = CheckStatus::Warn;
        self.detail = detail.into();
        self.action = action.into();
        self.who = who;
        self
    }

    pub fn fail(
        mut self,
        detail: impl Into<String>,
        action: impl Into<String>,
        who: Option<Who>,
    ) -> Check {
        self.status = CheckStatus::Fail;
        self.detail = detail.into();
        self.action = action.into();
        self.who = who;
        self
    }
}

/// Every check of one doctor run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorReport {
    pub env: Option<Env>,
    pub checks: Vec<Check>,
}

impl DoctorReport {
    /// 0 when nothing failed (warnings and skips included), 1 when any check failed.
    pub fn exit_code(&self) -> i32 {
        if self.failed() {
            1
        } else {
            0
        }
    }

    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == CheckStatus::Fail)
    }

    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }

    /// The table for the terminal (check, result, what to do).
    pub fn render_table(&self, lang: Lang) -> String {
        render::table(self, lang)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }
}

/// How doctor runs.
#[derive(Clone, Debug)]
pub struct DoctorOptions {
    /// The groups to run (default: all).
    pub groups: Vec<Group>,
    /// The issuers that tell a test certificate from a production one.
    pub issuers: IssuerList,
    /// Password of an encrypted key (PKCS#8 PEM or PKCS#12). `None`: read the environment variable named by
    /// `[maskinporten] password_env` (default `DSOP_PKCS12_PASSWORD`).
    pub password: Option<Secret<String>>,
    /// Connect timeout per host and timeout per call.
    pub timeout: Duration,
    /// Warn when the certificate expires within this many days.
    pub expiry_warning_days: i64,
    /// Fail when the clock differs from Maskinporten's by more than this many seconds.
    pub max_clock_skew_secs: i64,
    /// `--ca FILE`: the issuer's CA certificate, when neither the PKCS#12 nor the chain file holds it (as for
    /// `rehearse`).
    pub ca: Option<std::path::PathBuf>,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        DoctorOptions {
            groups: Group::ALL.to_vec(),
            issuers: IssuerList::default(),
            password: None,
            timeout: Duration::from_secs(10),
            expiry_warning_days: 30,
            max_clock_skew_secs: 10,
            ca: None,
        }
    }
}

impl DoctorOptions {
    fn wants(&self, g: Group) -> bool {
        self.groups.contains(&g)
    }
}

/// The environment being checked, as resolved from configuration (or the in-process simulator).
pub struct Target {
    pub env: Env,
    pub cfg: Config,
    pub endpoints: crate::apis::Endpoints,
    pub issuer: String,
    pub token_endpoint: String,
    /// The institution's organisation number (the consumer of the data).
    pub institution: Option<String>,
    /// The organisation expected in the certificate: the vendor's when a vendor acts, else the institution's.
    pub cert_owner: Option<String>,
    pub http: reqwest::Client,
    /// Kept alive for `--env sim`.
    pub sim: Option<Arc<crate::sim::SimHandle>>,
}

/// Load the configuration (a missing or invalid file is a failed check), then run doctor.
pub async fn run_from_path(path: Option<&Path>, env: Env, opts: &DoctorOptions) -> DoctorReport {
    match Config::load(path) {
        Ok(cfg) => run(&cfg, env, opts).await,
        Err(e) => {
            let mut report = DoctorReport {
                env: Some(env),
                checks: vec![config_checks::load_failed(&e)],
            };
            // Without configuration only the network checks of the default hosts still make sense.
            if env != Env::Sim && opts.wants(Group::Network) {
                let cfg = Config::default();
                if let Ok(t) = target(&cfg, env, opts) {
                    report.checks.extend(network::checks(&t, opts).await);
                }
            }
            report
        }
    }
}

/// The fast subset for `run` (configuration, certificate, clock, one token per scope).
pub async fn preflight(cfg: &Config, env: Env, opts: &DoctorOptions) -> DoctorReport {
    let mut o = opts.clone();
    o.groups = Group::PREFLIGHT.to_vec();
    run(cfg, env, &o).await
}

fn target(cfg: &Config, env: Env, opts: &DoctorOptions) -> Result<Target, String> {
    let http = crate::apis::http_client(opts.timeout)?;
    let (issuer, token_endpoint) = cfg.maskinporten(env);
    let institution = cfg.institution.orgnr.clone();
    let cert_owner = match &cfg.vendor {
        Some(v) => v.orgnr.clone(),
        None => institution.clone(),
    };
    Ok(Target {
        env,
        cfg: cfg.clone(),
        endpoints: cfg.endpoints(env),
        issuer,
        token_endpoint,
        institution,
        cert_owner,
        http,
        sim: None,
    })
}

/// For `--env sim`: start the simulator in-process, with an ephemeral certificate registered for the synthetic
/// institution (as `run` does), and point everything at it.
async fn sim_target(opts: &DoctorOptions) -> Result<(Target, KeyMaterial), String> {
    use crate::bootstrap::{SIM_CLIENT_ID, SIM_INSTITUTION_NAME, SIM_INSTITUTION_ORGNR};
    let today = chrono::Utc::now().date_naive();
    let id = crate::bootstrap::sim_identity(today, SIM_INSTITUTION_ORGNR, SIM_INSTITUTION_NAME)?;
    let handle = crate::bootstrap::start_embedded(crate::sim::SimConfig::new(today), &id).await?;
    let urls = handle.urls().clone();
    let mut cfg = Config::default();
    cfg.institution.orgnr = Some(SIM_INSTITUTION_ORGNR.into());
    cfg.institution.name = Some(SIM_INSTITUTION_NAME.into());
    cfg.maskinporten.client_id = Some(SIM_CLIENT_ID.into());
    let endpoints = urls.endpoints();
    let t = Target {
        env: Env::Sim,
        cfg,
        endpoints,
        issuer: urls.maskinporten_issuer.clone(),
        token_endpoint: urls.token_endpoint.clone(),
        institution: Some(SIM_INSTITUTION_ORGNR.into()),
        cert_owner: Some(SIM_INSTITUTION_ORGNR.into()),
        http: crate::apis::http_client(opts.timeout)?,
        sim: Some(handle),
    };
    Ok((t, KeyMaterial::Certificate(id.cert)))
}

/// Run every selected check against `env` with configuration `cfg`.
pub async fn run(cfg: &Config, env: Env, opts: &DoctorOptions) -> DoctorReport {
    let mut report = DoctorReport {
        env: Some(env),
        checks: Vec::new(),
    };
    let mut issuers = opts.issuers.clone();
    let (t, key) = if env == Env::Sim {
        match sim_target(opts).await {
            Ok((t, k)) => {
                if opts.wants(Group::Config) {
                    report.checks.push(
                        Check::new(Group::Config, "config.present", "Configuration").pass(
                            "--env sim: the embedded simulator with an ephemeral certificate (no file needed)",
                        ),
                    );
                }
                issuers.test.push("Simulert".into());
                (t, Some(k))
            }
            Err(e) => {
                report.checks.push(
                    Check::new(Group::Config, "config.simulator", "Simulator").fail(
                        format!("the embedded simulator could not start: {e}"),
                        "check that 127.0.0.1 accepts local connections",
                        Some(Who::OwnIt),
                    ),
                );
                return report;
            }
        }
    } else {
        let t = match target(cfg, env, opts) {
            Ok(t) => t,
            Err(e) => {
                report.checks.push(
                    Check::new(Group::Config, "config.http", "HTTP client").fail(
                        e,
                        "report this as a bug in dsop-harness",
                        None,
                    ),
                );
                return report;
            }
        };
        if opts.wants(Group::Config) {
            report.checks.extend(config_checks::checks(&t));
        }
        let mut key = None;
        if opts.wants(Group::Certificate) || opts.wants(Group::Tokens) || opts.wants(Group::Apis) {
            let (checks, k) = cert::checks(&t, opts, &issuers);
            if opts.wants(Group::Certificate) {
                report.checks.extend(checks);
            }
            key = k;
        }
        (t, key)
    };
    if env == Env::Sim && opts.wants(Group::Certificate) {
        if let Some(KeyMaterial::Certificate(c)) = &key {
            report
                .checks
                .extend(cert::certificate_checks(&t, c, opts, &issuers, None));
        }
    }
    if opts.wants(Group::Network) {
        report.checks.extend(network::checks(&t, opts).await);
    }
    let mp = key.map(|k| Arc::new(mp_client(&t, k)));
    if opts.wants(Group::Clock) {
        report
            .checks
            .extend(clock::checks(&t, mp.as_deref(), opts).await);
    }
    let mut tokens = Vec::new();
    if opts.wants(Group::Tokens) || opts.wants(Group::Apis) {
        let (checks, toks) = tokens::checks(&t, mp.as_deref(), opts).await;
        if opts.wants(Group::Tokens) {
            report.checks.extend(checks);
        }
        tokens = toks;
    }
    if opts.wants(Group::Apis) {
        report.checks.extend(apis::checks(&t, &tokens, opts).await);
    }
    if let Some(h) = t.sim {
        if let Ok(h) = Arc::try_unwrap(h) {
            h.shutdown().await;
        }
    }
    report
}

/// The Maskinporten client of the target: the configured delegation (vendor) applied.
fn mp_client(t: &Target, key: KeyMaterial) -> MaskinportenClient {
    let delegation = t.cfg.delegation().unwrap_or_default();
    let consumer = (delegation != crate::model::Delegation::None)
        .then(|| t.institution.clone())
        .flatten();
    MaskinportenClient::new(
        t.http.clone(),
        &t.issuer,
        &t.token_endpoint,
        t.cfg.maskinporten.client_id.as_deref().unwrap_or(""),
        key,
        delegation,
        consumer,
    )
}
