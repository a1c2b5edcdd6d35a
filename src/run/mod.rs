//! A run, as a short pipeline of named steps, each in its own module:
//! [`spec`] (options, `--resume`, `--rerun-failed`, workbook, plan) -> [`setup`] (run folder; embedded
//! simulator, simulator process or agencies) -> [`schedule`] (the cases, through [`exec`], into the event
//! stream) -> [`conclude`] (the aggregated `RunReport` into every reporter and the bundle).
//!
//! The library prints nothing: the caller gives the terminal sink and shows the outcome's warnings.

pub mod assert;
pub mod conclude;
pub mod exec;
pub mod expect;
pub mod fidelity;
pub mod hurl;
pub mod plan;
pub mod rehearse;
pub mod schedule;
pub mod setup;
pub mod spec;
pub mod verdict;
pub mod wait;

use crate::config::{Config, Env};
use crate::events::EventSink;
use crate::model::{CaseResult, Lang, RunReport, Status};
use crate::workbook::Problem;
use chrono::NaiveDate;
use std::path::PathBuf;

pub use setup::SIM_STATE;
pub use spec::{plan_lines, Resolved, Spec};

/// Exit codes (documented in README and `--help`).
pub mod exit {
    pub const OK: i32 = 0;
    pub const DEVIATION: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const ENVIRONMENT: i32 = 3;
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// A simulator running as its own process, instead of the in-process one.
    pub url: Option<String>,
    pub faults: Option<String>,
    pub no_income_im010: bool,
    pub token_lifetime_secs: Option<u64>,
    /// `dsop-harness rehearse`: a `--env test` run whose URLs all point at the embedded simulator. Marked
    /// `simulated` and `rehearsal` in every report; never evidence.
    pub rehearsal: bool,
    /// The rehearsal's sentences for the report's first page (issuer trust, MP-120, a throw-away key).
    pub rehearsal_notes: Vec<String>,
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
    /// Cases in flight at once (a case never overlaps an earlier one it conflicts with: `schedule::Footprint`).
    pub jobs: usize,
    /// Per-case time limit; a case past it ends as an environment error.
    pub case_timeout: std::time::Duration,
    /// Per-request time limit (`--timeout`); default 10 s against the simulator, else the profile's.
    pub request_timeout: Option<std::time::Duration>,
    /// `--rerun-failed DIR`: run the deviations and environment errors of that run again, in a new folder.
    pub rerun_failed: Option<PathBuf>,
    /// `--strict-writes`: never re-send a write whose outcome is unknown (default: re-send it once with the
    /// identical body, in the run and on `--resume`).
    pub strict_writes: bool,
    /// `--capture`: every exchange into `capture.jsonl` in the run folder (`crate::fidelity::capture`).
    pub capture: bool,
}

pub struct RunOutcome {
    pub dir: Option<PathBuf>,
    pub report: Option<RunReport>,
    pub exit_code: i32,
    /// Warnings for the caller to show (the workbook's, the reporters').
    pub warnings: Vec<String>,
    /// A report that could not be written (after results.json), naming the file.
    pub error: Option<String>,
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

/// Do a whole run: resolve its specification, then [`execute`] it. `terminal` receives every event.
pub async fn run(opts: RunOptions, terminal: Box<dyn EventSink>) -> Result<RunOutcome, RunError> {
    match spec::resolve(opts)? {
        Resolved::Run(spec) => {
            let mut outcome = execute(&spec, terminal).await?;
            outcome.warnings.splice(0..0, spec.warnings.iter().cloned());
            Ok(outcome)
        }
        other => Ok(other.outcome()),
    }
}

/// Run a resolved specification: set up the environment, schedule the cases, conclude.
pub async fn execute(spec: &Spec, terminal: Box<dyn EventSink>) -> Result<RunOutcome, RunError> {
    let folder = setup::folder(spec)?;
    let env = setup::environment(spec, &folder).await?;
    let stream = schedule::open(spec, &folder, &env, terminal)?;
    let interrupted = schedule::interrupt_flag();
    schedule::run_cases(spec, &env, &stream, interrupted.clone()).await?;
    let was_interrupted = interrupted.load(std::sync::atomic::Ordering::SeqCst);
    conclude::conclude(spec, &folder, env, stream, was_interrupted).await
}
