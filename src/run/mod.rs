//! A run: read the workbook, plan, set up the environment (the embedded simulator for `--env sim`),
//! execute, journal, and render every report into a new run folder.

pub mod assert;
pub mod events;
pub mod exec;
pub mod expect;
pub mod journal;
pub mod plan;

use crate::auth::{KeyMaterial, MaskinportenClient, TestCa};
use crate::config::{Config, Env};
use crate::model::{
    CaseResult, Lang, MaskinportenInfo, Party, RunContext, RunReport, Status, Summary,
    TestDataSummary, Verdict, WorkbookRef, SCOPES,
};
use crate::workbook::{Problem, Workbook};
use chrono::{Datelike, NaiveDate, Utc};
use events::{Event, EventSink, Fanout};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Exit codes (documented in README and `--help`).
pub mod exit {
    pub const OK: i32 = 0;
    pub const DEVIATION: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const ENVIRONMENT: i32 = 3;
    pub const INTERRUPTED: i32 = 130;
}

/// The synthetic institution of the simulator's default data set.
pub const SIM_INSTITUTION_ORGNR: &str = "987654309";
pub const SIM_INSTITUTION_NAME: &str = "Eksempel Pensjon AS";
/// The note of a case that an interruption kept from starting.
const INTERRUPTED_NOTE: &str = "avbrutt (Ctrl-C) før testcasen startet";

/// The in-process simulator's state file inside a run folder.
pub const SIM_STATE: &str = "sim-state.json";
pub const SIM_CLIENT_ID: &str = "5d6f0c1e-3b2a-4c8d-9e7f-00000000c001";

/// The admin endpoints of a simulator running as its own process (`/_sim/clients`, `/_sim/clock`).
#[derive(Clone)]
struct ExternalSim {
    http: reqwest::Client,
    base: String,
}

fn external_sim_admin(http: &reqwest::Client, url: &str) -> ExternalSim {
    ExternalSim {
        http: http.clone(),
        base: url.trim_end_matches('/').to_string(),
    }
}

impl ExternalSim {
    async fn register(&self, c: &crate::sim::SimClient, ca_der: &[u8]) -> Result<(), RunError> {
        use base64::Engine;
        let body = serde_json::json!({
            "client_id": c.client_id,
            "orgnr": c.orgnr,
            "scopes": c.scopes,
            "trusted_ca_der_base64": base64::engine::general_purpose::STANDARD.encode(ca_der),
        });
        let url = format!("{}/_sim/clients", self.base);
        let resp = self.http.post(&url).json(&body).send().await.map_err(|e| {
            RunError::Environment(format!(
                "the simulator at {} did not answer ({}): is `dsop-harness simulate` running there?",
                self.base,
                crate::apis::describe_reqwest_error(&e)
            ))
        })?;
        if !resp.status().is_success() {
            return Err(RunError::Environment(format!(
                "the simulator at {} refused the client registration: HTTP {}",
                self.base,
                resp.status()
            )));
        }
        Ok(())
    }

    async fn advance(&self, secs: i64) {
        let url = format!("{}/_sim/clock", self.base);
        let _ = self
            .http
            .post(&url)
            .json(&serde_json::json!({ "advance_secs": secs }))
            .send()
            .await;
    }

    /// The simulator's clock minus ours, in seconds (its clock may have been moved by an earlier run).
    async fn offset(&self) -> i64 {
        let url = format!("{}/_sim/clock", self.base);
        let now: Option<i64> = async {
            let r = self
                .http
                .post(&url)
                .json(&serde_json::json!({ "advance_secs": 0 }))
                .send()
                .await
                .ok()?;
            let v: serde_json::Value = r.json().await.ok()?;
            v.get("now").and_then(|n| n.as_i64())
        }
        .await;
        now.map(|n| n - Utc::now().timestamp()).unwrap_or(0)
    }
}

#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// A simulator running as its own process, instead of the in-process one.
    pub url: Option<String>,
    pub faults: Option<String>,
    pub no_income_im010: bool,
    pub token_lifetime_secs: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub workbook: PathBuf,
    pub env: Env,
    pub today: Option<NaiveDate>,
    pub reports_dir: PathBuf,
    pub lang: Lang,
    pub mask_ids: bool,
    pub plan: plan::PlanOptions,
    pub json: bool,
    pub color: bool,
    pub allow_prod: bool,
    pub dry_run: bool,
    pub config: Config,
    pub sim: SimOptions,
    /// `--resume DIR`: continue an interrupted run in its own folder.
    pub resume: Option<PathBuf>,
    /// True when `workbook` is the default (so `--resume` may take the run's own workbook path).
    pub workbook_is_default: bool,
    /// `--mapping FILE`: tie a Bits file's case ids to the bundled cases (`workbook::read_mapped`).
    pub mapping: Option<PathBuf>,
    /// `--template FILE.docx`: fill the team's own docx (e.g. the official Bits template).
    pub template: Option<PathBuf>,
    /// Cases in flight at once (cases that write or move the clock always run alone).
    pub jobs: usize,
    /// Per-case time limit; a case past it ends as an environment error.
    pub case_timeout: std::time::Duration,
    /// Per-request time limit (`--timeout`); default 10 s against the simulator, else the profile's.
    pub request_timeout: Option<std::time::Duration>,
    /// Show a progress bar (the CLI sets it when stdout is a terminal).
    pub progress: bool,
    /// Skip doctor's fast checks (configuration, certificate, clock, tokens) before a test or prod run.
    pub skip_doctor: bool,
    /// `--rerun-failed DIR`: run the deviations and environment errors of that run again, in a new folder.
    pub rerun_failed: Option<PathBuf>,
}

pub struct RunOutcome {
    pub dir: Option<PathBuf>,
    pub report: Option<RunReport>,
    pub exit_code: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Workbook(#[from] crate::workbook::WorkbookError),
    #[error("{} problem(s) in the test cases", .0.len())]
    Plan(Vec<Problem>),
    #[error("{0}")]
    Config(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Environment(String),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Environment(_) => exit::ENVIRONMENT,
            _ => exit::USAGE,
        }
    }

    /// Every problem, one per line, for the terminal.
    pub fn lines(&self) -> Vec<String> {
        match self {
            RunError::Workbook(w) => w.problems.iter().map(|p| p.to_string()).collect(),
            RunError::Plan(p) => p.iter().map(|p| p.to_string()).collect(),
            other => vec![format!("error: {other}")],
        }
    }
}

/// Exit code over the selected cases: 1 if any deviated, else 3 if any environment_error or not_run, else 0.
pub fn exit_code(cases: &[CaseResult], selected: &[bool]) -> i32 {
    let sel = || {
        cases
            .iter()
            .zip(selected)
            .filter(|(_, s)| **s)
            .map(|(c, _)| c)
    };
    if sel().any(|c| c.status == Status::Deviation) {
        exit::DEVIATION
    } else if sel().any(|c| matches!(c.status, Status::EnvironmentError | Status::NotRun)) {
        exit::ENVIRONMENT
    } else {
        exit::OK
    }
}

fn new_run_dir(reports: &Path, env: Env) -> Result<(String, PathBuf), RunError> {
    let io = |what: &str| {
        let what = what.to_string();
        move |source| RunError::Io {
            what: what.clone(),
            source,
        }
    };
    std::fs::create_dir_all(reports)
        .map_err(io(&format!("cannot create {}", reports.display())))?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut n = 1;
    loop {
        let name = if n == 1 {
            format!("{stamp}-{}", env.as_str())
        } else {
            format!("{stamp}-{}-{n}", env.as_str())
        };
        let dir = reports.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => {
                return Err(RunError::Io {
                    what: format!("cannot create {}", dir.display()),
                    source: e,
                })
            }
        }
    }
}

/// Point `reports/latest` at the new folder (a relative symlink, replaced atomically).
fn update_latest(reports: &Path, name: &str) {
    #[cfg(unix)]
    {
        let tmp = reports.join(format!(".latest-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(name, &tmp).is_ok()
            && std::fs::rename(&tmp, reports.join("latest")).is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = crate::fsutil::write_atomic(&reports.join("latest.txt"), name.as_bytes());
    }
}

fn context(
    wb: &Workbook,
    plan: &plan::Plan,
    institution: Party,
    mp: MaskinportenInfo,
    config: &Config,
    base_urls: Vec<(String, String)>,
) -> RunContext {
    RunContext {
        institution,
        vendor: config.vendor.as_ref().and_then(|v| {
            v.orgnr.clone().map(|orgnr| Party {
                orgnr,
                name: v.name.clone().unwrap_or_default(),
            })
        }),
        delegation: config.delegation().unwrap_or_default(),
        maskinporten: mp,
        base_urls: base_urls.into_iter().collect(),
        info: wb
            .info
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect(),
        months: plan.months.clone(),
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
    }
}

/// Events from several cases in flight go through one lock.
#[derive(Clone)]
struct SharedSink(Arc<std::sync::Mutex<Fanout>>);

impl EventSink for SharedSink {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).event(e)
    }
}

/// A case that writes, or moves the environment's clock (expired tokens), runs alone.
fn is_exclusive(case: &plan::PlannedCase) -> bool {
    case.steps.iter().any(|s| {
        matches!(&s.call, plan::Call::Api(c) if c.is_write())
            || s.auth == plan::AuthMode::Expired
            || s.wait_lifetime
            || matches!(s.call, plan::Call::Token { .. })
    })
}

/// The verdict of a case that is not called: not selected, interrupted, a write in prod, a failed
/// prerequisite, or a write whose outcome an interrupted run left unknown.
fn decide_without_call(
    case: &plan::PlannedCase,
    opts: &RunOptions,
    unknown_writes: &std::collections::HashMap<String, String>,
    finished: &std::collections::HashMap<String, Status>,
    interrupted: &AtomicBool,
) -> Option<CaseResult> {
    if let Some(op) = unknown_writes.get(&case.id) {
        return Some(exec::skipped(
            case,
            Status::EnvironmentError,
            &format!(
                "{op} ble sendt før avbruddet, men svaret kom aldri: utfallet er ukjent og kallet sendes ikke på nytt. \
                 Sjekk avtaleforholdet (avtalereferanse og opplysningspliktig) før en ny kjøring"
            ),
        ));
    }
    if !case.selected {
        return Some(exec::skipped(case, Status::NotRun, "not selected"));
    }
    if interrupted.load(Ordering::SeqCst) {
        return Some(exec::skipped(case, Status::NotRun, INTERRUPTED_NOTE));
    }
    let writes = case
        .steps
        .iter()
        .any(|s| matches!(&s.call, plan::Call::Api(c) if c.is_write()));
    if opts.env == Env::Prod && writes {
        return Some(exec::skipped(
            case,
            Status::NotApplicable,
            "skriver til Tjenestepensjonsavtale: kjøres aldri i produksjon",
        ));
    }
    let dep = case.depends_on.as_ref()?;
    match finished.get(dep)? {
        Status::EnvironmentError => Some(exec::skipped(
            case,
            Status::EnvironmentError,
            &format!("forutsetningen {dep} endte med miljøfeil"),
        )),
        Status::Deviation => Some(exec::skipped(
            case,
            Status::NotRun,
            &format!("forutsetningen {dep} avvek"),
        )),
        _ => None,
    }
}

/// Print the plan with every input resolved (`run --dry-run`).
pub fn print_plan(p: &plan::Plan) {
    println!(
        "months: {}",
        p.months
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for c in &p.cases {
        println!(
            "{} [{}]{}{} {}",
            c.id,
            c.api,
            if c.mandatory { " mandatory" } else { "" },
            if c.selected { "" } else { " (not selected)" },
            c.description
        );
        for s in &c.steps {
            let inputs: Vec<String> = s.inputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!(
                "  {}. {} {} -> {}",
                s.step,
                s.operation,
                inputs.join("; "),
                s.expectation.text()
            );
            for a in &s.assertions {
                println!("       {}", a.text);
            }
        }
    }
}

/// Do a whole run.
pub async fn run(opts: RunOptions) -> Result<RunOutcome, RunError> {
    if opts.env == Env::Prod && !opts.allow_prod {
        return Err(RunError::Config(
            "--env prod is refused: production holds real people's data. Give --allow-prod if you really mean it \
             (cases that write are never run in prod)"
                .into(),
        ));
    }
    let mut opts = opts;
    // A re-run of another run's deviations and environment errors, linked to it by a note.
    let mut rerun_note = None;
    if let Some(prev) = opts.rerun_failed.clone() {
        let path = prev.join(crate::report::RESULTS_JSON);
        let text = std::fs::read(&path).map_err(|e| RunError::Io {
            what: format!(
                "cannot read {} (is {} a run folder?)",
                path.display(),
                prev.display()
            ),
            source: e,
        })?;
        let old: RunReport = serde_json::from_slice(&text).map_err(|e| {
            RunError::Config(format!(
                "{}: not a results.json of dsop-harness: {e}",
                path.display()
            ))
        })?;
        let ids: Vec<String> = old
            .cases
            .iter()
            .filter(|c| matches!(c.status, Status::Deviation | Status::EnvironmentError))
            .map(|c| c.id.clone())
            .collect();
        if ids.is_empty() {
            eprintln!(
                "{}: no deviation or environment error to run again",
                prev.display()
            );
            return Ok(RunOutcome {
                dir: None,
                report: None,
                exit_code: exit::OK,
            });
        }
        if opts.workbook_is_default {
            opts.workbook = PathBuf::from(&old.workbook.path);
        }
        if opts.today.is_none() {
            opts.today = Some(old.today);
        }
        opts.plan.only = ids;
        rerun_note = Some(match opts.lang {
            Lang::Nb => format!(
                "Omkjøring av avvik og miljøfeil fra kjøring {} ({}). Slå sammen med `dsop-harness report {} <denne mappen>`.",
                old.run_id,
                prev.display(),
                prev.display()
            ),
            Lang::En => format!(
                "Re-run of the deviations and environment errors of run {} ({}). Merge with `dsop-harness report {} <this folder>`.",
                old.run_id,
                prev.display(),
                prev.display()
            ),
        });
    }
    let resume = match &opts.resume {
        None => None,
        Some(dir) => {
            let path = dir.join(journal::JOURNAL);
            let events = journal::read(&path).map_err(|e| RunError::Io {
                what: format!(
                    "cannot read {} (is {} a run folder?)",
                    path.display(),
                    dir.display()
                ),
                source: e,
            })?;
            let st = journal::resume_state(&events);
            let (Some(today), Some(wbref)) = (st.today, st.workbook.clone()) else {
                return Err(RunError::Config(format!(
                    "{}: the journal has no run_started event; it cannot be resumed",
                    path.display()
                )));
            };
            if st.env != opts.env.as_str() {
                return Err(RunError::Config(format!(
                    "{} was a run against {}; resume it with --env {}",
                    dir.display(),
                    st.env,
                    st.env
                )));
            }
            opts.today = Some(today);
            if opts.workbook_is_default {
                opts.workbook = PathBuf::from(&wbref.path);
            }
            Some((dir.clone(), st, wbref))
        }
    };
    let wb = crate::workbook::read_maybe_mapped(&opts.workbook, opts.mapping.as_deref())?;
    if let Some((_, _, wbref)) = &resume {
        if wbref.sha256 != wb.sha256 {
            return Err(RunError::Config(format!(
                "{} has changed since the run started (SHA-256 {} then, {} now): resume with the same workbook, \
                 or start a new run",
                opts.workbook.display(),
                wbref.sha256,
                wb.sha256
            )));
        }
    }
    for w in &wb.warnings {
        eprintln!("{w}");
    }
    let today = opts.today.unwrap_or_else(|| Utc::now().date_naive());
    let plan_opts = plan::PlanOptions {
        today: Some(today),
        ..opts.plan.clone()
    };
    let plan = plan::build(&wb, &plan_opts).map_err(RunError::Plan)?;
    if opts.dry_run {
        print_plan(&plan);
        return Ok(RunOutcome {
            dir: None,
            report: None,
            exit_code: exit::OK,
        });
    }
    // Before a real run: doctor's fast subset, so a set-up mistake is named before any case runs.
    if opts.env != Env::Sim && !opts.skip_doctor && opts.resume.is_none() {
        let pre = crate::doctor::preflight(&opts.config, opts.env, &Default::default()).await;
        if pre.failed() {
            eprintln!("{}", pre.render_table(opts.lang));
            return Err(RunError::Config(
                "the preflight checks failed (table above): fix them, or give --skip-doctor to run anyway".into(),
            ));
        }
    }
    let request_timeout = opts.request_timeout.unwrap_or_else(|| match opts.env {
        Env::Sim => std::time::Duration::from_secs(10),
        env => opts.config.timeout(env),
    });
    let http = crate::apis::http_client_with_timeout(
        std::time::Duration::from_secs(10),
        Some(request_timeout),
    )
    .map_err(RunError::Config)?;

    // The environment: the embedded simulator, or a real one from the configuration.
    let (run_id, dir, prior, unknown_writes, started) = match resume {
        Some((dir, st, _)) => {
            let name = st.run_id.clone();
            (
                name,
                dir,
                st.finished,
                st.unknown_writes,
                st.started.unwrap_or_else(Utc::now),
            )
        }
        None => {
            let (id, dir) = new_run_dir(&opts.reports_dir, opts.env)?;
            (id, dir, Default::default(), Default::default(), Utc::now())
        }
    };
    let mut sim_handle = None;
    let (mp, endpoints, institution, clock, timeout) = match opts.env {
        Env::Sim => {
            let orgnr = wb
                .testdata
                .iter()
                .find(|t| crate::workbook::normalise(&t.kind) == "pensjonsinnretning")
                .map(|t| t.identifikator.clone())
                .unwrap_or_else(|| SIM_INSTITUTION_ORGNR.to_string());
            let name = wb
                .info_value("Pensjonsinnretning")
                .unwrap_or(SIM_INSTITUTION_NAME)
                .to_string();
            // An ephemeral synthetic business certificate, issued by a synthetic test CA.
            let ca = TestCa::generate("Simulert Buypass Class 3 Test4 CA")
                .map_err(|e| RunError::Environment(e.to_string()))?;
            let y = today.year();
            let cert = ca
                .issue(&orgnr, &name, (y - 1, 1, 1), (y + 2, 1, 1))
                .map_err(|e| RunError::Environment(e.to_string()))?;
            let client = crate::sim::SimClient {
                client_id: SIM_CLIENT_ID.to_string(),
                orgnr: orgnr.clone(),
                scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
                auth: crate::sim::ClientAuth::X5c {
                    trusted_ca_der: ca.cert_der.clone(),
                },
            };
            let (urls, clock, offset): (crate::sim::SimUrls, exec::ClockKnob, i64) =
                match &opts.sim.url {
                    // A simulator running as its own process (`dsop-harness simulate --state F`).
                    Some(url) => {
                        let admin = external_sim_admin(&http, url);
                        admin.register(&client, &ca.cert_der).await?;
                        let offset = admin.offset().await;
                        let urls = crate::sim::SimUrls::new(url);
                        let clock: exec::ClockKnob = Arc::new(move |secs| {
                            let a = admin.clone();
                            Box::pin(async move { a.advance(secs).await })
                        });
                        (urls, clock, offset)
                    }
                    None => {
                        let mut sc = crate::sim::SimConfig::new(today);
                        sc.faults = opts.sim.faults.clone();
                        // The simulator's data follows the workbook's Testdata (tags -> fixtures).
                        sc.testdata = Some(wb.testdata.clone());
                        // The simulator's data changes live in the run folder, so `--resume` continues
                        // against the same agreements.
                        sc.state = Some(dir.join(SIM_STATE));
                        if opts.sim.no_income_im010 {
                            sc.no_income_code = crate::sim::NoIncomeCode::Im010;
                        }
                        if let Some(l) = opts.sim.token_lifetime_secs {
                            sc.token_lifetime_secs = l;
                        }
                        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                        let handle = Arc::new(
                            crate::sim::start(sc, addr)
                                .await
                                .map_err(|e| RunError::Environment(e.to_string()))?,
                        );
                        handle.register_client(client);
                        let urls = handle.urls().clone();
                        let h = handle.clone();
                        let clock: exec::ClockKnob = Arc::new(move |secs| {
                            h.advance_clock(secs);
                            Box::pin(async {})
                        });
                        // A resumed run's simulator keeps its clock (moved by MP-02 or SEC-01) in the state file.
                        let offset = handle.now() - Utc::now().timestamp();
                        sim_handle = Some(handle);
                        (urls, clock, offset)
                    }
                };
            let endpoints = urls.endpoints();
            let mp = MaskinportenClient::new(
                http.clone(),
                &urls.maskinporten_issuer,
                &urls.token_endpoint,
                SIM_CLIENT_ID,
                KeyMaterial::Certificate(cert),
                crate::model::Delegation::None,
                None,
            );
            mp.set_clock_offset(offset);
            (
                mp,
                endpoints,
                Party { orgnr, name },
                Some(clock),
                opts.request_timeout
                    .unwrap_or(std::time::Duration::from_secs(10)),
            )
        }
        Env::Test | Env::Prod => {
            let c = &opts.config;
            let missing = |what: &str| {
                RunError::Config(format!(
                    "--env {} needs {what} in {} (or its DSOP_* environment variable); `dsop-harness init` writes a template",
                    opts.env.as_str(),
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
            // The certificate must be valid, for this environment, and the client owner's (the vendor's when
            // a vendor acts for the institution): stop before the first grant otherwise.
            if let KeyMaterial::Certificate(cert) = &key {
                let owner = c
                    .vendor
                    .as_ref()
                    .and_then(|v| v.orgnr.clone())
                    .unwrap_or_else(|| orgnr.clone());
                cert.check(opts.env.as_str(), Utc::now(), Some(&owner))
                    .map_err(|e| RunError::Config(e.to_string()))?;
            }
            let delegation = c
                .delegation()
                .map_err(|e| RunError::Config(e.to_string()))?;
            let (issuer, token_endpoint) = c.maskinporten(opts.env);
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
            (
                mp,
                c.endpoints(opts.env),
                Party { orgnr, name },
                None,
                request_timeout,
            )
        }
    };
    let mp = Arc::new(mp);
    let cert_info = match mp.key() {
        KeyMaterial::Certificate(c) => Some(c.info.clone()),
        KeyMaterial::Kid { .. } => None,
    };
    let mp_info = MaskinportenInfo {
        issuer: mp.issuer.clone(),
        token_endpoint: mp.token_endpoint.clone(),
        client_id: mp.client_id.clone(),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        certificate: cert_info,
        key_mode: mp.key().mode().into(),
    };
    let base_urls: Vec<(String, String)> =
        std::iter::once(("Maskinporten".to_string(), mp.issuer.clone()))
            .chain(
                endpoints
                    .base_urls()
                    .into_iter()
                    .map(|(a, u)| (a.label(Lang::Nb).to_string(), u)),
            )
            .collect();
    let ctx = context(
        &wb,
        &plan,
        institution.clone(),
        mp_info,
        &opts.config,
        base_urls,
    );

    let journal = journal::Journal::create(&dir).map_err(|e| RunError::Io {
        what: format!("cannot create the journal in {}", dir.display()),
        source: e,
    })?;
    let mut sink = Fanout {
        sinks: vec![
            Box::new(journal),
            Box::new(events::Terminal::new(opts.json, opts.color, opts.progress)),
        ],
    };
    let workbook_ref = WorkbookRef {
        path: opts.workbook.display().to_string(),
        sha256: wb.sha256.clone(),
    };
    let simulated = opts.env == Env::Sim;
    let first = if opts.resume.is_some() {
        Event::RunResumed {
            at: Utc::now(),
            finished_before: prior.len(),
        }
    } else {
        Event::RunStarted {
            run_id: run_id.clone(),
            harness_version: crate::VERSION.to_string(),
            env: opts.env.as_str().to_string(),
            simulated,
            today,
            workbook: workbook_ref.clone(),
            cases: plan.cases.len(),
            at: started,
        }
    };
    sink.event(&first).map_err(|e| RunError::Io {
        what: "cannot write the journal".into(),
        source: e,
    })?;

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
            }
        });
    }
    let executor = exec::Executor {
        api: crate::apis::ApiClient::new(
            http,
            endpoints,
            opts.config
                .profile
                .get(opts.env.as_str())
                .and_then(|p| p.nav_max_in_flight),
        ),
        mp: mp.clone(),
        consumer: institution.orgnr.clone(),
        clock,
        step_timeout: timeout,
        max_attempts: 3,
        backoff_cap: std::time::Duration::from_secs(5),
        env_codes: exec::ENVIRONMENT_CODES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        travelled: Default::default(),
    };
    let executor = Arc::new(executor);
    let sink = SharedSink(Arc::new(std::sync::Mutex::new(sink)));
    let mut sink_ref = sink.clone();
    let mut finished: std::collections::HashMap<String, Status> = Default::default();
    let mut slots: Vec<Option<CaseResult>> = vec![None; plan.cases.len()];
    let jobs = opts.jobs.max(1);
    let mut i = 0;
    while i < plan.cases.len() {
        // A batch: consecutive cases decided without a call, or safe to run side by side. A case that
        // writes or moves the environment's clock runs alone.
        let mut batch: Vec<usize> = Vec::new();
        while i < plan.cases.len() {
            let case = &plan.cases[i];
            if let Some(p) = prior.get(&case.id).filter(|p| p.started.is_some()) {
                // Resumed: a case that really ran keeps its verdict and is not repeated.
                finished.insert(case.id.clone(), p.status);
                slots[i] = Some(p.clone());
                i += 1;
                continue;
            }
            if let Some(r) =
                decide_without_call(case, &opts, &unknown_writes, &finished, &interrupted)
            {
                if case.selected {
                    finished.insert(case.id.clone(), r.status);
                }
                sink_ref
                    .event(&Event::CaseFinished { result: r.clone() })
                    .map_err(|e| RunError::Io {
                        what: "cannot write the journal".into(),
                        source: e,
                    })?;
                slots[i] = Some(r);
                i += 1;
                continue;
            }
            let exclusive = jobs == 1 || is_exclusive(case);
            if exclusive && !batch.is_empty() {
                break;
            }
            batch.push(i);
            i += 1;
            if exclusive {
                break;
            }
        }
        if batch.is_empty() {
            continue;
        }
        use futures_util::StreamExt;
        let case_timeout = opts.case_timeout;
        let done: Vec<(usize, CaseResult)> = futures_util::stream::iter(batch.into_iter().map(|idx| {
            let ex = executor.clone();
            let mut sk = sink.clone();
            let case = &plan.cases[idx];
            let interrupted = interrupted.clone();
            async move {
                // Ctrl-C: calls in flight finish; cases of the batch not yet started do not start.
                if interrupted.load(Ordering::SeqCst) {
                    let r = exec::skipped(case, Status::NotRun, INTERRUPTED_NOTE);
                    let _ = sk.event(&Event::CaseFinished { result: r.clone() });
                    return (idx, r);
                }
                let r = match tokio::time::timeout(case_timeout, ex.run_case(case, &mut sk)).await {
                    Ok(r) => r,
                    Err(_) => exec::skipped(
                        case,
                        Status::EnvironmentError,
                        &format!(
                            "tidsavbrudd: testcasen brukte mer enn {} s (miljøet svarte ikke i tide)",
                            case_timeout.as_secs()
                        ),
                    ),
                };
                let _ = sk.event(&Event::CaseFinished { result: r.clone() });
                (idx, r)
            }
        }))
        .buffer_unordered(jobs)
        .collect()
        .await;
        for (idx, r) in done {
            finished.insert(plan.cases[idx].id.clone(), r.status);
            slots[idx] = Some(r);
        }
    }
    let results: Vec<CaseResult> = slots.into_iter().flatten().collect();
    let mut sink = sink_ref;
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    let summary = Summary::of(results.iter().map(|c| &c.status));
    let verdict = Verdict::of(&results);
    let finished_at = Utc::now();
    let _ = sink.event(&Event::RunFinished {
        summary: summary.clone(),
        verdict,
        interrupted: was_interrupted,
        at: finished_at,
    });
    let mut notes: Vec<String> = rerun_note.into_iter().collect();
    if simulated {
        notes.push(match opts.lang {
            Lang::Nb => {
                "Kjørt mot dsop-harness sin innebygde simulator: ikke bevis for Bits.".to_string()
            }
            Lang::En => {
                "Run against dsop-harness's embedded simulator: not evidence for Bits.".to_string()
            }
        });
    }
    if ctx.delegation == crate::model::Delegation::SystemUser {
        notes.push(match opts.lang {
            Lang::Nb => "Systembruker er brukt: ikke verifisert mot etatene.".to_string(),
            Lang::En => {
                "An Altinn system user was used: not verified against the agencies.".to_string()
            }
        });
    }
    let selected: Vec<bool> = plan.cases.iter().map(|c| c.selected).collect();
    let code = if was_interrupted {
        exit::INTERRUPTED
    } else {
        exit_code(&results, &selected)
    };
    let report = RunReport {
        harness_version: crate::VERSION.to_string(),
        run_id: run_id.clone(),
        env: opts.env.as_str().to_string(),
        simulated,
        started,
        finished: finished_at,
        today,
        workbook: workbook_ref,
        summary,
        verdict,
        context: ctx,
        cases: results,
        notes,
    };
    let ropts = crate::report::ReportOptions {
        lang: opts.lang,
        mask_ids: opts.mask_ids,
        template: opts.template.clone(),
    };
    let (mut files, warnings) =
        crate::report::write_all_with(&report, &dir, &ropts, &Default::default())
            .map_err(|e| RunError::Environment(format!("writing the reports failed: {e}")))?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let stem = opts
        .workbook
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("integrasjonstest");
    let filled = dir.join(format!("{stem}_utfylt.xlsx"));
    crate::report::xlsx::write_filled(&wb, &report, &filled, opts.lang, opts.mask_ids).map_err(
        |e| {
            RunError::Environment(format!(
                "writing the filled-in workbook failed: {}",
                e.problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        },
    )?;
    files.push(filled);
    // The evidence bundle: reports, journal and input workbook with a MANIFEST of SHA-256 sums, signed
    // (detached JWS) with the business certificate's key.
    crate::report::write_bundle(&dir, &files, &opts.workbook, Some(mp.key()))
        .map_err(|e| RunError::Environment(format!("writing the evidence bundle failed: {e}")))?;
    update_latest(&opts.reports_dir, &run_id);
    if let Some(h) = sim_handle {
        if let Ok(h) = Arc::try_unwrap(h) {
            h.shutdown().await;
        }
    }
    Ok(RunOutcome {
        dir: Some(dir),
        report: Some(report),
        exit_code: code,
    })
}
