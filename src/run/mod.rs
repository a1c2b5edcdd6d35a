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
pub const SIM_CLIENT_ID: &str = "5d6f0c1e-3b2a-4c8d-9e7f-00000000c001";

#[derive(Clone, Debug, Default)]
pub struct SimOptions {
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
            if c.mandatory { " obligatorisk" } else { "" },
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
    let wb = crate::workbook::read(&opts.workbook)?;
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
    let http =
        crate::apis::http_client(std::time::Duration::from_secs(10)).map_err(RunError::Config)?;

    // The environment: the embedded simulator, or a real one from the configuration.
    let mut sim_handle = None;
    let (mp, endpoints, institution, clock, timeout) = match opts.env {
        Env::Sim => {
            let mut sc = crate::sim::SimConfig::new(today);
            sc.faults = opts.sim.faults.clone();
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
            let ca = TestCa::generate("Simulert Buypass Class 3 Test4 CA")
                .map_err(|e| RunError::Environment(e.to_string()))?;
            let y = today.year();
            let cert = ca
                .issue(&orgnr, &name, (y - 1, 1, 1), (y + 2, 1, 1))
                .map_err(|e| RunError::Environment(e.to_string()))?;
            handle.register_client(crate::sim::SimClient {
                client_id: SIM_CLIENT_ID.to_string(),
                orgnr: orgnr.clone(),
                scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
                auth: crate::sim::ClientAuth::X5c {
                    trusted_ca_der: ca.cert_der.clone(),
                },
            });
            let urls = handle.urls().clone();
            let endpoints = crate::apis::Endpoints {
                inntekt: urls.inntekt.clone(),
                inntektsmottakere: urls.inntektsmottakere.clone(),
                tjenestepensjonsavtale: urls.tjenestepensjonsavtale.clone(),
                aareg: urls.aareg.clone(),
                ..crate::apis::Endpoints::default()
            };
            let mp = MaskinportenClient::new(
                http.clone(),
                &urls.maskinporten_issuer,
                &urls.token_endpoint,
                SIM_CLIENT_ID,
                KeyMaterial::Certificate(cert),
                crate::model::Delegation::None,
                None,
            );
            let h = handle.clone();
            let clock: exec::ClockKnob = Arc::new(move |secs| h.advance_clock(secs));
            sim_handle = Some(handle);
            (
                mp,
                endpoints,
                Party { orgnr, name },
                Some(clock),
                std::time::Duration::from_secs(10),
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
            let key_path = c
                .maskinporten
                .key_pem
                .clone()
                .ok_or_else(|| missing("[maskinporten] key_pem"))?;
            let read = |p: &Path| {
                std::fs::read_to_string(p)
                    .map_err(|e| RunError::Config(format!("{}: cannot read it: {e}", p.display())))
            };
            let key_pem = read(&key_path)?;
            let key = match (&c.maskinporten.kid, &c.maskinporten.chain_pem) {
                (Some(kid), _) => KeyMaterial::Kid {
                    kid: kid.clone(),
                    key_pem: crate::secret::Secret::new(key_pem),
                },
                (None, Some(chain)) => KeyMaterial::Certificate(
                    crate::auth::BusinessCert::from_pem(
                        &key_pem,
                        &read(chain)?,
                        &chain.display().to_string(),
                    )
                    .map_err(|e| RunError::Config(e.to_string()))?,
                ),
                (None, None) => return Err(missing("[maskinporten] chain_pem (or kid)")),
            };
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
                c.timeout(opts.env),
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
        key_mode: if matches!(mp.key(), KeyMaterial::Kid { .. }) {
            "kid"
        } else {
            "x5c"
        }
        .into(),
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
    let journal = journal::Journal::create(&dir).map_err(|e| RunError::Io {
        what: format!("cannot create the journal in {}", dir.display()),
        source: e,
    })?;
    let mut sink = Fanout {
        sinks: vec![
            Box::new(journal),
            Box::new(events::Terminal {
                json: opts.json,
                color: opts.color,
                lang: opts.lang,
            }),
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
    let mut finished: std::collections::HashMap<String, Status> = Default::default();
    let mut results = Vec::new();
    for case in &plan.cases {
        // Resumed: a case that really ran keeps its verdict and is not repeated.
        if let Some(p) = prior.get(&case.id).filter(|p| p.started.is_some()) {
            finished.insert(case.id.clone(), p.status);
            results.push(p.clone());
            continue;
        }
        let r = if let Some(op) = unknown_writes.get(&case.id) {
            exec::skipped(
                case,
                Status::EnvironmentError,
                &format!(
                    "{op} ble sendt før avbruddet, men svaret kom aldri: utfallet er ukjent og kallet sendes ikke på nytt. \
                     Sjekk avtaleforholdet (avtalereferanse og opplysningspliktig) før en ny kjøring"
                ),
            )
        } else if !case.selected {
            exec::skipped(case, Status::NotRun, "not selected")
        } else if interrupted.load(Ordering::SeqCst) {
            exec::skipped(
                case,
                Status::NotRun,
                "avbrutt (Ctrl-C) før testcasen startet",
            )
        } else if opts.env == Env::Prod
            && case
                .steps
                .iter()
                .any(|s| matches!(&s.call, plan::Call::Api(c) if c.is_write()))
        {
            exec::skipped(
                case,
                Status::NotApplicable,
                "skriver til Tjenestepensjonsavtale: kjøres aldri i produksjon",
            )
        } else if let Some(dep) = case
            .depends_on
            .as_ref()
            .and_then(|d| finished.get(d).map(|s| (d, *s)))
        {
            match dep.1 {
                Status::EnvironmentError => exec::skipped(
                    case,
                    Status::EnvironmentError,
                    &format!("forutsetningen {} endte med miljøfeil", dep.0),
                ),
                Status::Deviation => exec::skipped(
                    case,
                    Status::NotRun,
                    &format!("forutsetningen {} avvek", dep.0),
                ),
                _ => executor.run_case(case, &mut sink).await,
            }
        } else {
            executor.run_case(case, &mut sink).await
        };
        if case.selected {
            finished.insert(case.id.clone(), r.status);
        }
        if r.started.is_none() {
            let _ = sink.event(&Event::CaseFinished { result: r.clone() });
        } else {
            sink.event(&Event::CaseFinished { result: r.clone() })
                .map_err(|e| RunError::Io {
                    what: "cannot write the journal".into(),
                    source: e,
                })?;
        }
        results.push(r);
    }
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
    let mut notes = Vec::new();
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
    };
    crate::report::write_all(&report, &dir, &ropts)
        .map_err(|e| RunError::Environment(format!("writing the reports failed: {e}")))?;
    let stem = opts
        .workbook
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("integrasjonstest");
    let filled = dir.join(format!("{stem}_utfylt.xlsx"));
    crate::workbook::write_filled(&wb, &report, &filled, opts.lang).map_err(|e| {
        RunError::Environment(format!(
            "writing the filled-in workbook failed: {}",
            e.problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
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
