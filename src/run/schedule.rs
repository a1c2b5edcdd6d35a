//! Step 3 of a run: schedule the cases. The event stream opens (journal, results aggregator, the caller's
//! terminal sink); cases are decided without a call when they must be, else run by a list schedule in
//! workbook order: a case starts as soon as its prerequisite is done, no earlier unfinished case conflicts
//! with it (their [`Footprint`]s: one writes an API the other uses, or one moves the simulator's clock) and
//! a `--jobs` slot is free. So the order of the effects any case can observe is the workbook's. When more
//! cases could start than there are free slots, those with more planned calls go first (the longest case
//! of a group that must all end before the next write is what the group waits for); with `--jobs 1` the
//! workbook's order is kept.

use super::exec::{self, Executor};
use super::plan::{self, PlannedCase};
use super::setup::{Environment, Folder};
use super::spec::Spec;
use super::RunError;
use crate::config::Env;
use crate::events::journal::Journal;
use crate::events::{Aggregator, Event, EventSink, Fanout, Shared};
use crate::model::{Api, CaseResult, Status};
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
        background: Default::default(),
    }
}

/// Where a case is in the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Pending,
    /// Started; `holds`: it holds a `--jobs` slot and holds later conflicting cases back (a waiting case in
    /// real time does neither).
    Running {
        holds: bool,
    },
    Done,
}

/// What the scheduler knows while cases run.
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
    /// No clock knob: waits are real, and waiting cases run beside the others.
    realtime: bool,
    state: Vec<State>,
    feet: Vec<Footprint>,
    /// Index of each case id, for the prerequisites.
    index: HashMap<&'a str, usize>,
    /// Every case before this one is done.
    first_open: usize,
    /// Running cases that hold a `--jobs` slot.
    busy: usize,
    /// Waiting cases (real time) not started or decided yet: while there are none, a walk stops at a full
    /// set of `--jobs` slots, as it does with the clock knob.
    waiting_left: usize,
}

impl<'a> Progress<'a> {
    fn new(
        spec: &'a Spec,
        prior: HashMap<String, Status>,
        interrupted: Arc<AtomicBool>,
        env: &Environment,
        halt: exec::Halt,
        results: Shared<crate::events::Aggregator>,
    ) -> Self {
        let realtime = env.clock.is_none();
        let cases = &spec.plan.cases;
        let feet: Vec<Footprint> = cases.iter().map(|c| Footprint::of(c, !realtime)).collect();
        let waiting_left = (0..cases.len())
            .filter(|&i| beside(realtime, &cases[i], &feet[i]))
            .count();
        Progress {
            spec,
            finished: HashMap::new(),
            results,
            prior,
            interrupted,
            halt,
            realtime,
            state: vec![State::Pending; cases.len()],
            feet,
            index: cases
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.as_str(), i))
                .collect(),
            first_open: 0,
            busy: 0,
            waiting_left,
        }
    }

    /// Why the run stopped, if it did.
    fn halted(&self) -> Option<Note> {
        let h = self.halt.lock().unwrap_or_else(|p| p.into_inner());
        h.clone().map(|cause| Note::RunStopped {
            cause: Box::new(cause),
        })
    }

    /// Case `i` waits for its prerequisite: an earlier case of the plan not done yet.
    fn awaits_prerequisite(&self, i: usize) -> bool {
        let dep = self.spec.plan.cases[i].depends_on.as_deref();
        dep.and_then(|d| self.index.get(d))
            .is_some_and(|&j| j < i && self.state[j] != State::Done)
    }

    /// A case is decided (without a call, or by its end).
    fn done(&mut self, idx: usize, status: Option<Status>) {
        if let Some(s) = status {
            self.finished
                .insert(self.spec.plan.cases[idx].id.clone(), s);
        }
        if self.state[idx] == (State::Running { holds: true }) {
            self.busy -= 1;
        }
        self.left_pending(idx);
        self.state[idx] = State::Done;
    }

    /// Case `idx` starts or is decided: one waiting case fewer to look for.
    fn left_pending(&mut self, idx: usize) {
        let case = &self.spec.plan.cases[idx];
        if self.state[idx] == State::Pending && beside(self.realtime, case, &self.feet[idx]) {
            self.waiting_left -= 1;
        }
    }

    /// Walk the open cases in workbook order: decide those that need no call, and return those that may
    /// start now: prerequisite done, no earlier unfinished case in conflict, a `--jobs` slot free (a waiting
    /// case in real time needs none). When more could start than there are free slots, the walk looks one
    /// `--jobs` further and those with the most planned calls start (ties in workbook order). No two of
    /// them conflict: the later would be held back by the earlier, still pending.
    fn ready(&mut self, sink: &mut Shared<Fanout>) -> Result<Vec<usize>, RunError> {
        let cases = &self.spec.plan.cases;
        let jobs = self.spec.opts.jobs.max(1);
        while self.first_open < cases.len() && self.state[self.first_open] == State::Done {
            self.first_open += 1;
        }
        let free = jobs.saturating_sub(self.busy);
        let window = match free {
            0 => 0,
            _ if jobs > 1 => free + jobs,
            _ => free,
        };
        let mut start = Vec::new();
        let mut candidates = Vec::new();
        // The union of the footprints of the earlier cases still unfinished (running ones that hold).
        let mut before = Footprint::default();
        let mut any_before = false;
        for (i, case) in cases.iter().enumerate().skip(self.first_open) {
            if candidates.len() >= window && self.waiting_left == 0 {
                break; // nothing more can start; the rest is decided when reached
            }
            match self.state[i] {
                State::Done | State::Running { holds: false } => continue,
                State::Running { holds: true } => {
                    before.add(&self.feet[i]);
                    any_before = true;
                    continue;
                }
                State::Pending => {}
            }
            if self.decide(i, sink)? {
                continue;
            }
            let blocked =
                self.awaits_prerequisite(i) || before.conflicts(&self.feet[i], any_before);
            let beside = beside(self.realtime, case, &self.feet[i]);
            if !blocked && beside {
                self.left_pending(i);
                self.state[i] = State::Running { holds: false };
                start.push(i);
                continue;
            }
            if !blocked && candidates.len() < window {
                candidates.push(i);
            }
            before.add(&self.feet[i]);
            any_before = true;
        }
        if candidates.len() > free {
            candidates.sort_by_key(|&i| (std::cmp::Reverse(cases[i].steps.len()), i));
        }
        for i in candidates.into_iter().take(free) {
            self.left_pending(i);
            self.state[i] = State::Running { holds: true };
            self.busy += 1;
            start.push(i);
        }
        Ok(start)
    }

    /// Decide case `i` without a call when it must be (a resumed run's finished case, or
    /// [`decide_without_call`] once its prerequisite is done). True when it was decided.
    fn decide(&mut self, i: usize, sink: &mut Shared<Fanout>) -> Result<bool, RunError> {
        let case = &self.spec.plan.cases[i];
        if let Some(s) = self.prior.get(&case.id).copied() {
            self.done(i, Some(s));
            return Ok(true);
        }
        if self.awaits_prerequisite(i) {
            return Ok(false);
        }
        let Some(r) = decide_without_call(case, self) else {
            return Ok(false);
        };
        let status = case.selected.then_some(r.status);
        sink.event(&Event::CaseFinished { result: r })
            .map_err(journal_err)?;
        self.done(i, status);
        Ok(true)
    }
}

/// A waiting case in real time: it runs beside the others, holding no `--jobs` slot.
fn beside(realtime: bool, case: &PlannedCase, foot: &Footprint) -> bool {
    realtime && super::wait::waits(case) && !foot.writes()
}

/// Run every case of the plan; each ends with a `case_finished` event. A list schedule in workbook order: a
/// case starts as soon as its prerequisite is done, no earlier unfinished case conflicts with it
/// ([`Footprint::conflicts`]) and a `--jobs` slot is free; a waiting case in real time holds no slot and
/// holds nothing back.
pub async fn run_cases(
    spec: &Spec,
    env: &Environment,
    stream: &Stream,
    interrupted: Arc<AtomicBool>,
) -> Result<(), RunError> {
    use futures_util::StreamExt;
    let ex = Arc::new(executor(spec, env, stream.halt.clone()));
    let prior = stream
        .results
        .lock()
        .cases()
        .iter()
        .filter(|c| c.started.is_some())
        .map(|c| (c.id.clone(), c.status))
        .collect();
    let results = stream.results.clone();
    let mut p = Progress::new(
        spec,
        prior,
        interrupted.clone(),
        env,
        stream.halt.clone(),
        results,
    );
    prefetch_tokens(spec, &ex, &p.prior);
    let ctx = CaseRun {
        spec,
        ex,
        sink: stream.sink.clone(),
        interrupted,
        halt: stream.halt.clone(),
    };
    let mut sink = stream.sink.clone();
    let mut running = futures_util::stream::FuturesUnordered::new();
    loop {
        for idx in p.ready(&mut sink)? {
            running.push(ctx.run(idx));
        }
        match running.next().await {
            Some((idx, status)) => p.done(idx, Some(status)),
            None => break,
        }
    }
    debug_assert!(p.state.iter().all(|s| *s == State::Done));
    ctx.ex.stop_background();
    Ok(())
}

/// Start, in the background and side by side, the token requests of the cases still to run: a token for
/// every scope they use (into the cache), and the tokens each expired-token case will present
/// ([`Executor::fetch_expired`]). The cases start at once; one that needs a token waits for the request
/// already under way for it (one round instead of one per scope along the chain of cases that must follow
/// each other, and none in the way of a first case that makes its own token requests, MP-01). A refusal or a
/// fault here is not kept (the cache stays empty); the case that needs the token requests it again and
/// records what it got. The clock moves only once these are done.
fn prefetch_tokens(spec: &Spec, ex: &Arc<Executor>, prior: &HashMap<String, Status>) {
    let mut scopes: Vec<String> = Vec::new();
    for case in spec.plan.cases.iter().filter(|c| c.selected) {
        if prior.contains_key(&case.id) {
            continue;
        }
        if case.steps.iter().any(|s| s.auth == plan::AuthMode::Expired) {
            let (ex2, case) = (ex.clone(), case.clone());
            ex.in_background(async move {
                ex2.fetch_expired(&case).await;
            });
        }
        for st in case
            .steps
            .iter()
            .filter(|s| matches!(s.call, plan::Call::Api(_)))
        {
            let scope = match &st.auth {
                plan::AuthMode::Normal => st.api.scope(),
                plan::AuthMode::Scope(s) => Some(s.as_str()),
                _ => None,
            };
            if let Some(s) = scope.filter(|s| !scopes.iter().any(|k| k == s)) {
                scopes.push(s.to_string());
            }
        }
    }
    let mp = ex.mp.clone();
    ex.in_background(async move {
        futures_util::future::join_all(scopes.iter().map(|s| mp.token(s))).await;
    });
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

/// The write of case `id` an interrupted run left with an unknown outcome: its operation and step.
fn unknown_write<'a>(spec: &'a Spec, id: &str) -> Option<&'a (String, u32)> {
    spec.resume.as_ref()?.state.unknown_writes.get(id)
}

/// What a case touches, for the scheduler: the agency APIs it reads and writes (one bit per [`Api`]), and,
/// only with the simulator's clock knob, whether it moves the shared clock (expired tokens, token lifetime;
/// a token request does not: nothing moves the clock while it runs, every clock mover conflicts with all). A
/// step sent without a token or with an expired one is refused before it reads or
/// writes: it touches nothing. A Tjenestepensjonsavtale write changes the avtaleforhold register, which every
/// agency API answers by (Inntektsmottakere and Inntekt refuse or filter by it, Aa-reg OTP's window can
/// follow it, gyldighet reads it): it writes all four.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    pub reads: u8,
    pub writes: u8,
    pub clock: bool,
}

fn api_bit(api: Api) -> u8 {
    Api::ALL
        .iter()
        .position(|a| *a == api)
        .map_or(0, |i| 1u8 << i)
}

/// The APIs that answer by the avtaleforhold register.
fn agreement_bits() -> u8 {
    [
        Api::Tjenestepensjonsavtale,
        Api::Inntektsmottakere,
        Api::Inntekt,
        Api::AaregOtp,
    ]
    .into_iter()
    .fold(0, |b, a| b | api_bit(a))
}

impl Footprint {
    /// The footprint of `case`; `clock`: the environment's clock is the simulator's knob.
    pub fn of(case: &PlannedCase, clock: bool) -> Footprint {
        let mut f = Footprint::default();
        for s in &case.steps {
            f.clock |= clock && (s.auth == plan::AuthMode::Expired || s.wait_lifetime);
            let plan::Call::Api(c) = &s.call else {
                continue;
            };
            if matches!(s.auth, plan::AuthMode::Expired | plan::AuthMode::None) {
                continue;
            }
            match c.is_write() {
                true => f.writes |= agreement_bits(),
                false => f.reads |= api_bit(c.api()),
            }
        }
        f
    }

    pub fn writes(&self) -> bool {
        self.writes != 0
    }

    /// Whether two cases must not overlap: one moves the clock, or both use an API and one writes it.
    /// `self` may be a union of footprints; `nonempty`: it holds at least one case.
    pub fn conflicts(&self, other: &Footprint, nonempty: bool) -> bool {
        (nonempty && (self.clock || other.clock))
            || self.writes & (other.reads | other.writes) != 0
            || other.writes & self.reads != 0
    }

    fn add(&mut self, other: &Footprint) {
        self.reads |= other.reads;
        self.writes |= other.writes;
        self.clock |= other.clock;
    }
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
    let prior = results.case(dep);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> plan::Plan {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testcases")
            .join(crate::workbook::generate::BUNDLED_FILE);
        let wb = crate::workbook::read(&path).expect("the bundled workbook reads");
        plan::build(&wb, &Default::default()).expect("the bundled plan builds")
    }

    #[test]
    fn footprints_of_the_bundled_plan() {
        let plan = bundled();
        let foot = |id: &str, clock: bool| {
            let c = plan.cases.iter().find(|c| c.id == id).expect("the case");
            Footprint::of(c, clock)
        };
        // Refused before it reads or writes: SEC-01 touches nothing in real time, moves the clock with the knob.
        assert_eq!(foot("SEC-01", false), Footprint::default());
        assert!(foot("SEC-01", true).clock);
        assert!(!foot("MP-02", false).clock && foot("MP-02", true).clock);
        // A Tjenestepensjonsavtale write changes what every agency API answers by.
        let (tpa, ims, inn, aar) = (
            foot("TPA-02", false),
            foot("IMS-01", false),
            foot("INN-01", false),
            foot("AAR-01", false),
        );
        assert!(tpa.writes());
        for read in [ims, inn, aar, foot("TPA-05", false)] {
            assert!(!read.writes());
            assert!(tpa.conflicts(&read, true) && read.conflicts(&tpa, true));
        }
        assert!(tpa.conflicts(&foot("TPA-03", false), true));
        // Reads never conflict with reads; a clock mover conflicts with everything, even a token request.
        assert!(!ims.conflicts(&inn, true) && !ims.conflicts(&ims, true));
        let (mp01, mp02) = (foot("MP-01", true), foot("MP-02", true));
        assert_eq!(mp01, Footprint::default());
        assert!(mp02.conflicts(&mp01, true) && mp01.conflicts(&mp02, true));
        assert!(!mp01.conflicts(&tpa, true));
        // SEC-02's POST with another API's token may write: it counts as a write.
        assert!(foot("SEC-02", false).writes());
    }
}
