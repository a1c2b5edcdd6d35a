//! Step 3 of a run: schedule the cases. The event stream opens (journal, results aggregator, the caller's
//! terminal sink); cases are decided without a call when they must be, else run in batches: consecutive
//! read-only cases side by side (`--jobs`), a case that writes or moves the clock alone.

use super::exec::{self, Executor};
use super::plan::{self, PlannedCase};
use super::setup::{Environment, Folder};
use super::spec::Spec;
use super::RunError;
use crate::config::Env;
use crate::events::journal::Journal;
use crate::events::{Aggregator, Event, EventSink, Fanout, Shared};
use crate::model::{CaseResult, Status};
use crate::note::Note;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The run's event stream: every event goes to the journal, the aggregator and the terminal.
pub struct Stream {
    pub sink: Shared<Fanout>,
    pub results: Shared<Aggregator>,
    /// Set when the run had to stop (see `exec::Halt`).
    pub halt: exec::Halt,
}

fn journal_err(source: std::io::Error) -> RunError {
    RunError::Io {
        what: "cannot write the journal".into(),
        source,
    }
}

/// Open the stream and send the first event (`run_started`, or `run_resumed` after the replayed journal).
pub fn open(
    spec: &Spec,
    folder: &Folder,
    env: &Environment,
    terminal: Box<dyn EventSink>,
) -> Result<Stream, RunError> {
    if let Some(at) = spec.resume.as_ref().and_then(|r| r.torn_at) {
        let path = folder.dir.join(crate::events::journal::JOURNAL);
        crate::events::journal::truncate_torn(&path, at).map_err(|e| RunError::Io {
            what: format!("cannot cut the torn last line off {}", path.display()),
            source: e,
        })?;
    }
    let journal = Journal::create(&folder.dir)
        .map_err(|e| RunError::Io {
            what: format!("cannot create the journal in {}", folder.dir.display()),
            source: e,
        })?
        .masked(spec.opts.mask_ids);
    let results = Shared::new(match &spec.resume {
        Some(r) => Aggregator::replay(&r.events),
        None => Aggregator::new(),
    });
    let mut sinks: Vec<Box<dyn EventSink>> = vec![Box::new(journal), Box::new(results.clone())];
    if spec.opts.capture {
        sinks.push(Box::new(super::fidelity::capture_sink(spec, folder)?));
    }
    sinks.push(terminal);
    let mut sink = Shared::new(Fanout { sinks });
    let first = match &spec.resume {
        Some(_) => Event::RunResumed {
            at: Utc::now(),
            finished_before: results.lock().cases().len(),
        },
        None => run_started(spec, folder, env),
    };
    sink.event(&first).map_err(journal_err)?;
    Ok(Stream {
        sink,
        results,
        halt: Default::default(),
    })
}

fn run_started(spec: &Spec, folder: &Folder, env: &Environment) -> Event {
    Event::RunStarted {
        run_id: folder.run_id.clone(),
        harness_version: crate::VERSION.to_string(),
        env: spec.opts.env.as_str().to_string(),
        simulated: spec.opts.env == Env::Sim || spec.opts.sim.rehearsal,
        today: spec.today,
        workbook: crate::model::WorkbookRef {
            path: spec.opts.workbook.display().to_string(),
            sha256: spec.wb.sha256.clone(),
        },
        cases: spec.plan.cases.len(),
        at: folder.started,
        case_ids: spec.plan.cases.iter().map(|c| c.id.clone()).collect(),
        context: Box::new(env.context.clone()),
        rerun_of: spec.rerun_of.clone(),
    }
}

/// Ctrl-C: calls in flight finish; cases not yet started do not start.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            f.store(true, Ordering::SeqCst);
        }
    });
    flag
}

fn executor(spec: &Spec, env: &Environment, halt: exec::Halt) -> Executor {
    let opts = &spec.opts;
    let nav_limit = opts
        .config
        .profile
        .get(opts.env.as_str())
        .and_then(|p| p.nav_max_in_flight);
    Executor {
        api: crate::apis::ApiClient::new(env.http.clone(), env.endpoints.clone(), nav_limit),
        mp: env.mp.clone(),
        consumer: env.institution.orgnr.clone(),
        clock: env.clock.clone(),
        step_timeout: env.request_timeout,
        retry: crate::apis::retry::RetryPolicy {
            resend_unknown_writes: !opts.strict_writes,
            ..Default::default()
        },
        halt,
        env_codes: exec::ENVIRONMENT_CODES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        travelled: Default::default(),
        resent_before: spec
            .plan
            .cases
            .iter()
            .filter(|c| unknown_write(spec, &c.id).is_some())
            .map(|c| c.id.clone())
            .collect(),
        waits: super::wait::Waits {
            tolerance: crate::model::Api::ALL
                .iter()
                .map(|a| (*a, opts.config.expiry_tolerance_secs(opts.env, *a)))
                .collect(),
            ..Default::default()
        },
    }
}

/// What the scheduler knows between batches.
struct Progress<'a> {
    spec: &'a Spec,
    /// Verdicts so far, for the prerequisites.
    finished: HashMap<String, Status>,
    /// The cases' results so far (a prerequisite's own note is carried into its dependants').
    results: Shared<crate::events::Aggregator>,
    /// Cases the replayed journal says really ran (kept, not repeated).
    prior: HashMap<String, Status>,
    interrupted: Arc<AtomicBool>,
    halt: exec::Halt,
    /// No clock knob: waits are real, and waiting cases run beside the batches.
    realtime: bool,
    /// Waiting cases handed to the runner beside the batches.
    beside: tokio::sync::mpsc::UnboundedSender<usize>,
}

impl Progress<'_> {
    /// Why the run stopped, if it did.
    fn halted(&self) -> Option<Note> {
        let h = self.halt.lock().unwrap_or_else(|p| p.into_inner());
        h.clone().map(|cause| Note::RunStopped {
            cause: Box::new(cause),
        })
    }
}

/// Run every case of the plan; each ends with a `case_finished` event.
pub async fn run_cases(
    spec: &Spec,
    env: &Environment,
    stream: &Stream,
    interrupted: Arc<AtomicBool>,
) -> Result<(), RunError> {
    let ex = Arc::new(executor(spec, env, stream.halt.clone()));
    let prior = stream
        .results
        .lock()
        .cases()
        .iter()
        .filter(|c| c.started.is_some())
        .map(|c| (c.id.clone(), c.status))
        .collect();
    let (beside, waiting) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut p = Progress {
        spec,
        finished: HashMap::new(),
        results: stream.results.clone(),
        prior,
        interrupted: interrupted.clone(),
        halt: stream.halt.clone(),
        realtime: env.clock.is_none(),
        beside,
    };
    let ctx = CaseRun {
        spec,
        ex: ex.clone(),
        sink: stream.sink.clone(),
        interrupted,
        halt: stream.halt.clone(),
    };
    // Waiting cases (real time): each runs as soon as the scheduler reaches it, beside the batches, and holds
    // no --jobs slot.
    let ctx = &ctx;
    let beside_run = {
        use futures_util::StreamExt;
        futures_util::stream::unfold(
            waiting,
            |mut rx| async move { rx.recv().await.map(|i| (i, rx)) },
        )
        .map(move |idx| ctx.run(idx))
        .buffer_unordered(usize::MAX)
        .collect::<Vec<_>>()
    };
    let batches = async move {
        let mut sink = stream.sink.clone();
        let mut i = 0;
        while i < spec.plan.cases.len() {
            let batch = next_batch(&mut p, &mut i, &mut sink)?;
            for (idx, status) in run_batch(&p, ctx, batch).await {
                p.finished.insert(spec.plan.cases[idx].id.clone(), status);
            }
        }
        Ok::<(), RunError>(())
    };
    let (_, done) = futures_util::future::join(beside_run, batches).await;
    done
}

/// What running one case needs (apart from the scheduler's progress).
struct CaseRun<'a> {
    spec: &'a Spec,
    ex: Arc<Executor>,
    sink: Shared<Fanout>,
    interrupted: Arc<AtomicBool>,
    halt: exec::Halt,
}

impl CaseRun<'_> {
    /// Run case `idx` under its time limit (`--case-timeout` plus its planned waits); a cut case keeps its
    /// finished steps. Ends with its `case_finished` event.
    async fn run(&self, idx: usize) -> (usize, Status) {
        let case = &self.spec.plan.cases[idx];
        let mut sk = self.sink.clone();
        let halted = {
            let h = self.halt.lock().unwrap_or_else(|p| p.into_inner());
            h.clone().map(|cause| Note::RunStopped {
                cause: Box::new(cause),
            })
        };
        let r = if self.interrupted.load(Ordering::SeqCst) {
            exec::skipped(case, Status::NotRun, Note::Interrupted)
        } else if let Some(note) = halted {
            exec::skipped(case, Status::NotRun, note)
        } else {
            let planned = match self.ex.clock {
                Some(_) => std::time::Duration::ZERO,
                None => {
                    let lifetime = self.spec.opts.sim.token_lifetime_secs.unwrap_or(120);
                    self.ex.waits.planned(case, lifetime)
                }
            };
            let limit = self.spec.opts.case_timeout + planned;
            match tokio::time::timeout(limit, self.ex.run_case(case, &mut sk)).await {
                Ok(r) => r,
                Err(_) => self.cut(case, limit),
            }
        };
        let status = r.status;
        let _ = sk.event(&Event::CaseFinished { result: r });
        (idx, status)
    }

    /// A case past its time limit: its finished steps, and a note on the step that was cut and on who used
    /// the time.
    fn cut(&self, case: &PlannedCase, limit: std::time::Duration) -> CaseResult {
        let steps = self.ex.waits.take_steps(&case.id);
        let waited = self.ex.waits.waited(&case.id);
        let secs = limit.as_secs();
        let note = match (steps.is_empty(), waited.is_zero()) {
            (true, true) => Note::CaseTimeout { secs },
            _ => Note::CaseCut {
                secs,
                step: case
                    .steps
                    .get(steps.len())
                    .map(|s| s.step)
                    .unwrap_or(steps.len() as u32 + 1),
                waited_secs: waited.as_secs(),
            },
        };
        let started = steps.first().and_then(|s| s.started);
        let mut r = exec::case_result(case, steps);
        r.status = Status::EnvironmentError;
        r.notes = vec![note];
        r.started = started;
        r.finished = Some(Utc::now());
        r
    }
}

/// The next batch of cases to call, from case `*i` on. Cases decided without a call are journalled on the
/// way; a resumed run's finished cases are skipped.
fn next_batch(
    p: &mut Progress,
    i: &mut usize,
    sink: &mut Shared<Fanout>,
) -> Result<Vec<usize>, RunError> {
    let cases = &p.spec.plan.cases;
    let jobs = p.spec.opts.jobs.max(1);
    let mut batch = Vec::new();
    while *i < cases.len() {
        let case = &cases[*i];
        if let Some(s) = p.prior.get(&case.id) {
            p.finished.insert(case.id.clone(), *s);
        } else if let Some(r) = decide_without_call(case, p) {
            if case.selected {
                p.finished.insert(case.id.clone(), r.status);
            }
            sink.event(&Event::CaseFinished { result: r })
                .map_err(journal_err)?;
        } else if p.realtime && super::wait::waits(case) && !is_exclusive(case, false) {
            // A waiting case runs beside the batches; it holds nothing back.
            let _ = p.beside.send(*i);
        } else {
            let exclusive = jobs == 1 || is_exclusive(case, !p.realtime);
            if exclusive && !batch.is_empty() {
                break;
            }
            batch.push(*i);
            *i += 1;
            if exclusive {
                break;
            }
            continue;
        }
        *i += 1;
    }
    Ok(batch)
}

/// Run a batch, at most `--jobs` at once; returns each case's status.
async fn run_batch(p: &Progress<'_>, ctx: &CaseRun<'_>, batch: Vec<usize>) -> Vec<(usize, Status)> {
    use futures_util::StreamExt;
    futures_util::stream::iter(batch.into_iter().map(|idx| ctx.run(idx)))
        .buffer_unordered(p.spec.opts.jobs.max(1))
        .collect()
        .await
}

/// The write of case `id` an interrupted run left with an unknown outcome: its operation and step.
fn unknown_write<'a>(spec: &'a Spec, id: &str) -> Option<&'a (String, u32)> {
    spec.resume.as_ref()?.state.unknown_writes.get(id)
}

/// A case that writes runs alone; with the clock knob (`clock`), so does a case that moves the clock (expired
/// tokens, token lifetime, token requests). An expired-token write is refused before it writes: it needs no
/// exclusivity.
pub fn is_exclusive(case: &PlannedCase, clock: bool) -> bool {
    case.steps.iter().any(|s| {
        let write = matches!(&s.call, plan::Call::Api(c) if c.is_write());
        (write && s.auth != plan::AuthMode::Expired)
            || (clock
                && (write
                    || s.auth == plan::AuthMode::Expired
                    || s.wait_lifetime
                    || matches!(s.call, plan::Call::Token { .. })))
    })
}

/// The verdict of a case that is not called: a write an interrupted run left with an unknown outcome, not
/// selected, interrupted, a write in prod, or a failed prerequisite.
fn decide_without_call(case: &PlannedCase, p: &Progress) -> Option<CaseResult> {
    // A write sent before the interruption without an answer: re-sent once with the identical body (the
    // case runs again) when it was the case's first step, unless --strict-writes.
    if let Some((op, step)) = unknown_write(p.spec, &case.id) {
        if p.spec.opts.strict_writes || *step != 1 {
            let note = Note::WriteOutcomeUnknownBeforeResume {
                operation: op.clone(),
            };
            return Some(exec::skipped(case, Status::EnvironmentError, note));
        }
    }
    if !case.selected {
        return Some(exec::skipped(case, Status::NotRun, Note::NotSelected));
    }
    if p.interrupted.load(Ordering::SeqCst) {
        return Some(exec::skipped(case, Status::NotRun, Note::Interrupted));
    }
    if let Some(note) = p.halted() {
        return Some(exec::skipped(case, Status::NotRun, note));
    }
    let writes = case
        .steps
        .iter()
        .any(|s| matches!(&s.call, plan::Call::Api(c) if c.is_write()));
    if p.spec.opts.env == Env::Prod && writes {
        return Some(exec::skipped(case, Status::NotApplicable, Note::ProdWrite));
    }
    let dep = case.depends_on.as_ref()?;
    let (status, note) = match p.finished.get(dep)? {
        Status::EnvironmentError => (Status::EnvironmentError, prerequisite_fault(p, dep)),
        Status::Deviation => (
            Status::NotRun,
            Note::PrerequisiteDeviated { case: dep.clone() },
        ),
        _ => return None,
    };
    Some(exec::skipped(case, status, note))
}

/// The note of a case whose prerequisite `dep` ended Miljøfeil: with `dep`'s own note (its notes, or its
/// deciding step's, else what came back), so the reader sees the fault without looking `dep` up.
fn prerequisite_fault(p: &Progress, dep: &str) -> Note {
    let results = p.results.lock();
    let prior = results.cases().iter().rev().find(|c| c.id == dep);
    let (step, cause) = match prior {
        Some(c) if !c.notes.is_empty() => (None, c.notes.clone()),
        Some(c) => match crate::lang::deciding_step(&c.steps) {
            Some(d) => {
                let step = (c.steps.len() > 1).then_some(d.step);
                let cause = match (&d.notes, &d.note, d.actual_http) {
                    (n, _, _) if !n.is_empty() => n.clone(),
                    (_, Some(text), _) => vec![Note::Text { text: text.clone() }],
                    (_, None, Some(http)) => vec![Note::Text {
                        text: format!("HTTP {http} {}", d.actual_code.as_deref().unwrap_or(""))
                            .trim_end()
                            .to_string(),
                    }],
                    _ => Vec::new(),
                };
                (step, cause)
            }
            None => (None, Vec::new()),
        },
        None => (None, Vec::new()),
    };
    Note::PrerequisiteEnvironmentError {
        case: dep.to_string(),
        step,
        cause,
    }
}
