//! Step 1 of a run: its specification. The options, with `--rerun-failed` and `--resume` resolved against
//! the earlier run's folder, the workbook read and the plan built. Nothing is called and nothing written.

use super::plan::{self, Plan};
use super::{exit, RunError, RunOptions, RunOutcome};
use crate::config::Env;
use crate::events::journal::{self, ResumeState};
use crate::events::{Event, RerunOf};
use crate::model::{RunReport, Status};
use crate::workbook::Workbook;
use chrono::{NaiveDate, Utc};
use std::path::PathBuf;

/// Everything a run needs before it touches the environment.
pub struct Spec {
    pub opts: RunOptions,
    pub wb: Workbook,
    pub plan: Plan,
    pub today: NaiveDate,
    /// `--resume`: the interrupted run's folder and journal.
    pub resume: Option<Resume>,
    /// `--rerun-failed`: the run it repeats.
    pub rerun_of: Option<RerunOf>,
    /// The workbook's warnings, for the caller to show.
    pub warnings: Vec<String>,
}

/// An interrupted run to continue.
pub struct Resume {
    pub dir: PathBuf,
    pub events: Vec<Event>,
    pub state: ResumeState,
    /// Where the journal's torn last line starts (cut off before the run appends).
    pub torn_at: Option<u64>,
}

/// What the options ask for.
pub enum Resolved {
    /// Nothing to do (a `--rerun-failed` of a run without failures); the message says why.
    Nothing {
        message: String,
    },
    /// `--dry-run`: the plan, with every input resolved.
    DryRun {
        plan: Plan,
        warnings: Vec<String>,
    },
    Run(Box<Spec>),
}

impl Resolved {
    /// The outcome of a run that stops here.
    pub fn outcome(self) -> RunOutcome {
        let warnings = match self {
            Resolved::Nothing { message } => vec![message],
            Resolved::DryRun { warnings, .. } => warnings,
            Resolved::Run(s) => s.warnings,
        };
        RunOutcome {
            dir: None,
            report: None,
            exit_code: exit::OK,
            warnings,
            error: None,
        }
    }
}

/// Resolve the run's specification.
pub fn resolve(mut opts: RunOptions) -> Result<Resolved, RunError> {
    if opts.env == Env::Prod && !opts.allow_prod {
        return Err(RunError::Config(
            "--env prod is refused: production holds real people's data. Give --allow-prod if you really mean it \
             (cases that write are never run in prod)"
                .into(),
        ));
    }
    if let Some(f) = &opts.sim.faults {
        // A bad item is a usage error (exit 2), found before anything starts.
        crate::sim::SimConfig::check_faults(f).map_err(RunError::Config)?;
    }
    if let Some(line) = plain_http(&opts) {
        return Err(RunError::Config(line));
    }
    let rerun_of = match opts.rerun_failed.clone() {
        Some(prev) => match rerun_failed(&mut opts, prev.clone())? {
            Some(r) => Some(r),
            None => {
                return Ok(Resolved::Nothing {
                    message: format!(
                        "{}: no deviation or environment error to run again",
                        prev.display()
                    ),
                })
            }
        },
        None => None,
    };
    let resume = match opts.resume.clone() {
        Some(dir) => Some(resume(&mut opts, dir)?),
        None => None,
    };
    let wb = crate::workbook::read_maybe_mapped(&opts.workbook, opts.mapping.as_deref())?;
    if let Some(r) = &resume {
        same_workbook(&opts, &r.state, &wb)?;
    }
    let warnings: Vec<String> = wb.warnings.iter().map(|w| w.to_string()).collect();
    let today = opts.today.unwrap_or_else(|| Utc::now().date_naive());
    let plan_opts = plan::PlanOptions {
        today: Some(today),
        ..opts.plan.clone()
    };
    let plan = plan::build(&wb, &plan_opts).map_err(RunError::Plan)?;
    if opts.dry_run {
        return Ok(Resolved::DryRun { plan, warnings });
    }
    Ok(Resolved::Run(Box::new(Spec {
        opts,
        wb,
        plan,
        today,
        resume,
        rerun_of,
        warnings,
    })))
}

/// Plain `http://` to a host that is not this machine, in the test or prod profile or in `--sim-url`.
fn plain_http(opts: &RunOptions) -> Option<String> {
    if let Some(url) = opts.sim.url.as_deref() {
        if crate::config::plain_http_remote(url) {
            return Some(format!(
                "--sim-url {url:?}: plain http:// is refused for a host that is not this machine; use https:// or \
                 a simulator on 127.0.0.1"
            ));
        }
    }
    match opts.env {
        Env::Sim => None,
        env => opts.config.plain_http(env),
    }
}

/// `--rerun-failed DIR`: select that run's deviations and environment errors; `None` when it had none.
fn rerun_failed(opts: &mut RunOptions, prev: PathBuf) -> Result<Option<RerunOf>, RunError> {
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
    if old.rehearsal != opts.sim.rehearsal {
        return Err(RunError::Config(format!(
            "{}: a rehearsal and a test run are never mixed: rehearse again instead of --rerun-failed",
            prev.display()
        )));
    }
    let ids: Vec<String> = old
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Deviation | Status::EnvironmentError))
        .map(|c| c.id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    if opts.workbook_is_default {
        opts.workbook = PathBuf::from(&old.workbook.path);
    }
    opts.today = opts.today.or(Some(old.today));
    opts.plan.only = ids;
    Ok(Some(RerunOf {
        run_id: old.run_id,
        dir: prev.display().to_string(),
    }))
}

/// `--resume DIR`: the interrupted run's journal, its date and its workbook.
fn resume(opts: &mut RunOptions, dir: PathBuf) -> Result<Resume, RunError> {
    let path = dir.join(journal::JOURNAL);
    let read = journal::read(&path).map_err(|e| RunError::Io {
        what: format!(
            "cannot read {} (is {} a run folder?)",
            path.display(),
            dir.display()
        ),
        source: e,
    })?;
    let (events, torn_at) = (read.events, read.torn_at);
    let state = journal::resume_state(&events);
    let (Some(today), Some(wbref)) = (state.today, state.workbook.clone()) else {
        return Err(RunError::Config(format!(
            "{}: the journal has no run_started event; it cannot be resumed",
            path.display()
        )));
    };
    if state.env != opts.env.as_str() {
        return Err(RunError::Config(format!(
            "{} was a run against {}; resume it with --env {}",
            dir.display(),
            state.env,
            state.env
        )));
    }
    opts.today = Some(today);
    if opts.workbook_is_default {
        opts.workbook = PathBuf::from(&wbref.path);
    }
    Ok(Resume {
        dir,
        events,
        state,
        torn_at,
    })
}

/// A resumed run must read the same workbook as it started with.
fn same_workbook(opts: &RunOptions, st: &ResumeState, wb: &Workbook) -> Result<(), RunError> {
    match &st.workbook {
        Some(r) if r.sha256 != wb.sha256 => Err(RunError::Config(format!(
            "{} has changed since the run started (SHA-256 {} then, {} now): resume with the same workbook, \
             or start a new run",
            opts.workbook.display(),
            r.sha256,
            wb.sha256
        ))),
        _ => Ok(()),
    }
}

/// The plan with every input resolved, one line each (`run --dry-run`).
pub fn plan_lines(p: &Plan) -> Vec<String> {
    let months: Vec<String> = p.months.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut out = vec![format!("months: {}", months.join(", "))];
    for c in &p.cases {
        out.push(format!(
            "{} [{}]{}{} {}",
            c.id,
            c.api,
            if c.mandatory { " mandatory" } else { "" },
            if c.selected { "" } else { " (not selected)" },
            c.description
        ));
        for s in &c.steps {
            let inputs: Vec<String> = s.inputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push(format!(
                "  {}. {} {} -> {}",
                s.step,
                s.operation,
                inputs.join("; "),
                s.expectation.text()
            ));
            for a in &s.assertions {
                out.push(format!("       {}", a.text));
            }
        }
    }
    out
}
