//! Step 2 of a run: its environment. The run folder (new, or the resumed run's), then the embedded
//! simulator, a simulator process, or the agencies from the configuration: a Maskinporten client, the
//! endpoints, the institution and the run's context for the reports.

use super::exec::ClockKnob;
use super::spec::Spec;
use super::RunError;
use crate::apis::Endpoints;
use crate::auth::{KeyMaterial, MaskinportenClient};
use crate::bootstrap::{self, ExternalSim, SimIdentity};
use crate::config::{Config, Env};
use crate::model::{Lang, MaskinportenInfo, Party, RunContext, TestDataSummary, SCOPES};
use crate::sim::SimHandle;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The in-process simulator's state file inside a run folder.
pub const SIM_STATE: &str = "sim-state.json";

/// The run's folder under `reports/`.
pub struct Folder {
    pub run_id: String,
    pub dir: PathBuf,
    pub started: DateTime<Utc>,
}

/// What the run talks to.
pub struct Environment {
    pub mp: Arc<MaskinportenClient>,
    pub endpoints: Endpoints,
    pub institution: Party,
    /// The simulator's clock knob (`None`: real time).
    pub clock: Option<ClockKnob>,
    pub request_timeout: Duration,
    pub http: reqwest::Client,
    /// The in-process simulator, shut down when the run concludes.
    pub sim: Option<Arc<SimHandle>>,
    pub context: RunContext,
}

/// The run folder: the resumed run's own, or a new `reports/<timestamp>-<env>`.
pub fn folder(spec: &Spec) -> Result<Folder, RunError> {
    match &spec.resume {
        Some(r) => Ok(Folder {
            run_id: r.state.run_id.clone(),
            dir: r.dir.clone(),
            started: r.state.started.unwrap_or_else(Utc::now),
        }),
        None => {
            let (run_id, dir) = new_run_dir(&spec.opts.reports_dir, spec.opts.env)?;
            Ok(Folder {
                run_id,
                dir,
                started: Utc::now(),
            })
        }
    }
}

fn new_run_dir(reports: &Path, env: Env) -> Result<(String, PathBuf), RunError> {
    std::fs::create_dir_all(reports).map_err(|source| RunError::Io {
        what: format!("cannot create {}", reports.display()),
        source,
    })?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    for n in 1..=100 {
        let name = match n {
            1 => format!("{stamp}-{}", env.as_str()),
            n => format!("{stamp}-{}-{n}", env.as_str()),
        };
        let dir = reports.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => {}
            Err(source) => {
                return Err(RunError::Io {
                    what: format!("cannot create {}", dir.display()),
                    source,
                })
            }
        }
    }
    unreachable!("the loop returns by its 100th round")
}

/// Set up the environment the options name.
pub async fn environment(spec: &Spec, folder: &Folder) -> Result<Environment, RunError> {
    let opts = &spec.opts;
    let request_timeout = opts.request_timeout.unwrap_or_else(|| match opts.env {
        Env::Sim => Duration::from_secs(10),
        env => opts.config.timeout(env),
    });
    let http =
        crate::apis::http_client_with_timeout(Duration::from_secs(10), Some(request_timeout))
            .map_err(RunError::Config)?;
    let mut env = match opts.env {
        Env::Sim => simulated(spec, folder, http, request_timeout).await?,
        Env::Test | Env::Prod => agencies(spec, http, request_timeout)?,
    };
    env.context = context(spec, &env);
    Ok(env)
}

/// `--env sim`: the embedded simulator (or `--sim-url`'s process) with an ephemeral certificate.
async fn simulated(
    spec: &Spec,
    folder: &Folder,
    http: reqwest::Client,
    request_timeout: Duration,
) -> Result<Environment, RunError> {
    let wb = &spec.wb;
    let orgnr = wb
        .testdata
        .iter()
        .find(|t| crate::workbook::normalise(&t.kind) == "pensjonsinnretning")
        .map(|t| t.identifikator.clone())
        .unwrap_or_else(|| bootstrap::SIM_INSTITUTION_ORGNR.to_string());
    let name = wb
        .info_value("Pensjonsinnretning")
        .unwrap_or(bootstrap::SIM_INSTITUTION_NAME)
        .to_string();
    let id = bootstrap::sim_identity(spec.today, &orgnr, &name).map_err(RunError::Environment)?;
    let (urls, clock, offset, sim) = match &spec.opts.sim.url {
        Some(url) => external_sim(&http, url, &id).await?,
        None => embedded_sim(spec, folder, &id).await?,
    };
    let mp = bootstrap::sim_maskinporten(http.clone(), &urls, id.cert);
    mp.set_clock_offset(offset);
    Ok(Environment {
        mp: Arc::new(mp),
        endpoints: urls.endpoints(),
        institution: Party { orgnr, name },
        clock: Some(clock),
        request_timeout,
        http,
        sim,
        context: RunContext::default(),
    })
}

type SimParts = (crate::sim::SimUrls, ClockKnob, i64, Option<Arc<SimHandle>>);

/// A simulator running as its own process (`dsop-harness simulate --state F`).
async fn external_sim(
    http: &reqwest::Client,
    url: &str,
    id: &SimIdentity,
) -> Result<SimParts, RunError> {
    let admin = ExternalSim::new(http, url);
    admin.register(id).await.map_err(RunError::Environment)?;
    let offset = admin.offset().await;
    let clock: ClockKnob = Arc::new(move |secs| {
        let a = admin.clone();
        Box::pin(async move {
            a.advance(secs).await;
        })
    });
    Ok((crate::sim::SimUrls::new(url), clock, offset, None))
}

/// The in-process simulator, its data from the workbook's Testdata and its state in the run folder (so
/// `--resume` continues against the same agreements, and the clock MP-02 or SEC-01 moved).
async fn embedded_sim(
    spec: &Spec,
    folder: &Folder,
    id: &SimIdentity,
) -> Result<SimParts, RunError> {
    let opts = &spec.opts;
    let mut sc = crate::sim::SimConfig::new(spec.today);
    sc.faults = opts.sim.faults.clone();
    sc.testdata = Some(spec.wb.testdata.clone());
    sc.state = Some(folder.dir.join(SIM_STATE));
    sc.mask_ids = opts.mask_ids;
    if opts.sim.no_income_im010 {
        sc.no_income_code = crate::sim::NoIncomeCode::Im010;
    }
    if let Some(l) = opts.sim.token_lifetime_secs {
        sc.token_lifetime_secs = l;
    }
    let handle = bootstrap::start_embedded(sc, id)
        .await
        .map_err(RunError::Environment)?;
    let h = handle.clone();
    let clock: ClockKnob = Arc::new(move |secs| {
        h.advance_clock(secs);
        Box::pin(async {})
    });
    let offset = handle.now() - Utc::now().timestamp();
    Ok((handle.urls().clone(), clock, offset, Some(handle)))
}

/// `--env test|prod`: the agencies, from the configuration. The certificate must be valid, for this
/// environment, and the client owner's (the vendor's when a vendor acts for the institution).
fn agencies(
    spec: &Spec,
    http: reqwest::Client,
    request_timeout: Duration,
) -> Result<Environment, RunError> {
    let (c, env) = (&spec.opts.config, spec.opts.env);
    let missing = |what: &str| {
        RunError::Config(format!(
            "--env {} needs {what} in {} (or its DSOP_* environment variable); `dsop-harness init` writes a template",
            env.as_str(),
            crate::config::DEFAULT_FILE
        ))
    };
    let orgnr = c
        .institution
        .orgnr
        .clone()
        .ok_or_else(|| missing("[institution] orgnr"))?;
    let client_id = c
        .maskinporten
        .client_id
        .clone()
        .ok_or_else(|| missing("[maskinporten] client_id"))?;
    let key = c
        .maskinporten
        .load_key_material()
        .map_err(|e| RunError::Config(e.to_string()))?;
    if let KeyMaterial::Certificate(cert) = &key {
        let owner = c
            .vendor
            .as_ref()
            .and_then(|v| v.orgnr.clone())
            .unwrap_or_else(|| orgnr.clone());
        cert.check(env.as_str(), Utc::now(), Some(&owner))
            .map_err(|e| RunError::Config(e.to_string()))?;
    }
    let delegation = c
        .delegation()
        .map_err(|e| RunError::Config(e.to_string()))?;
    let (issuer, token_endpoint) = c.maskinporten(env);
    let consumer = (delegation != crate::model::Delegation::None).then(|| orgnr.clone());
    let mp = MaskinportenClient::new(
        http.clone(),
        &issuer,
        &token_endpoint,
        &client_id,
        key,
        delegation,
        consumer,
    );
    let name = c.institution.name.clone().unwrap_or_default();
    Ok(Environment {
        mp: Arc::new(mp),
        endpoints: c.endpoints(env),
        institution: Party { orgnr, name },
        clock: None,
        request_timeout,
        http,
        sim: None,
        context: RunContext::default(),
    })
}

/// The run's context for the reports: institution, vendor, Maskinporten, base URLs, Info sheet, months,
/// test data.
fn context(spec: &Spec, env: &Environment) -> RunContext {
    let mp = &env.mp;
    let maskinporten = MaskinportenInfo {
        issuer: mp.issuer.clone(),
        token_endpoint: mp.token_endpoint.clone(),
        client_id: mp.client_id.clone(),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        certificate: match mp.key() {
            KeyMaterial::Certificate(c) => Some(c.info.clone()),
            KeyMaterial::Kid { .. } => None,
        },
        key_mode: mp.key().mode().into(),
    };
    let base_urls = std::iter::once(("Maskinporten".to_string(), mp.issuer.clone()))
        .chain(
            env.endpoints
                .base_urls()
                .into_iter()
                .map(|(a, u)| (a.label(Lang::Nb).to_string(), u)),
        )
        .collect();
    let wb = &spec.wb;
    RunContext {
        institution: env.institution.clone(),
        vendor: vendor(&spec.opts.config),
        delegation: spec.opts.config.delegation().unwrap_or_default(),
        maskinporten,
        base_urls,
        info: wb
            .info
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect(),
        months: spec.plan.months.clone(),
        testdata: wb
            .testdata
            .iter()
            .map(|t| TestDataSummary {
                r#ref: t.r#ref.clone(),
                kind: t.kind.clone(),
                identifikator: t.identifikator.clone(),
                navn: t.navn.clone(),
                egenskaper: t.egenskaper.clone(),
                kilde: t.kilde.clone(),
            })
            .collect(),
        rehearsal: spec.opts.sim.rehearsal,
        rehearsal_notes: spec.opts.sim.rehearsal_notes.clone(),
    }
}

fn vendor(config: &Config) -> Option<Party> {
    config.vendor.as_ref().and_then(|v| {
        v.orgnr.clone().map(|orgnr| Party {
            orgnr,
            name: v.name.clone().unwrap_or_default(),
        })
    })
}
