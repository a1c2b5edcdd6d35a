//! The one consumer that builds a run's `RunReport` from its events. The live run feeds it as events happen;
//! `report DIR` and `run --resume` feed it the journal. Nothing else builds a `RunReport` from a run.

use super::{Event, EventSink, RerunOf};
use crate::model::{
    CaseResult, Delegation, Lang, RunContext, RunReport, Summary, Verdict, WorkbookRef,
};
use crate::note::RunNote;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// What `run_started` says.
#[derive(Clone, Debug)]
struct Start {
    run_id: String,
    harness_version: String,
    env: String,
    simulated: bool,
    today: NaiveDate,
    workbook: WorkbookRef,
    at: DateTime<Utc>,
    case_ids: Vec<String>,
    context: RunContext,
    rerun_of: Option<RerunOf>,
}

/// Builds the `RunReport` from the event stream.
#[derive(Clone, Debug, Default)]
pub struct Aggregator {
    start: Option<Start>,
    /// Finished cases, in first-seen order; a case journalled again (a resumed run) takes the last word.
    cases: Vec<CaseResult>,
    /// Case id -> its index in `cases` (a lookup per `case_finished`, not a scan of every result).
    index: HashMap<String, usize>,
    /// The `run_finished` time, unless a later `run_resumed` reopened the run.
    finished: Option<DateTime<Utc>>,
    interrupted: bool,
    last_at: Option<DateTime<Utc>>,
}

impl Aggregator {
    pub fn new() -> Aggregator {
        Aggregator::default()
    }

    /// An aggregator fed every event of `events`, in order.
    pub fn replay(events: &[Event]) -> Aggregator {
        let mut a = Aggregator::new();
        for e in events {
            a.feed(e);
        }
        a
    }

    /// [`Aggregator::replay`] of events the caller no longer needs: each finished case's result is moved in
    /// and every other event dropped as it is fed, so the journal and the results are not held twice.
    pub fn replay_owned(events: Vec<Event>) -> Aggregator {
        let mut a = Aggregator::new();
        for e in events {
            a.feed_owned(e);
        }
        a
    }

    pub fn feed(&mut self, e: &Event) {
        if let Event::CaseFinished { result } = e {
            self.finish_case(result.clone());
        } else {
            self.feed_other(e);
        }
    }

    /// Feed an event the caller no longer needs: a finished case's result is moved in, not copied.
    pub fn feed_owned(&mut self, e: Event) {
        match e {
            Event::CaseFinished { result } => self.finish_case(result),
            e => self.feed_other(&e),
        }
    }

    /// A finished case: kept once, in first-seen order; a case journalled again takes the last word.
    fn finish_case(&mut self, result: CaseResult) {
        if let Some(t) = result.finished.or(result.started) {
            self.last_at = Some(t);
        }
        match self.index.get(&result.id) {
            Some(&i) => self.cases[i] = result,
            None => {
                self.index.insert(result.id.clone(), self.cases.len());
                self.cases.push(result);
            }
        }
    }

    fn feed_other(&mut self, e: &Event) {
        match e {
            Event::RunStarted {
                run_id,
                harness_version,
                env,
                simulated,
                today,
                workbook,
                at,
                case_ids,
                context,
                rerun_of,
                ..
            } => {
                self.start = Some(Start {
                    run_id: run_id.clone(),
                    harness_version: harness_version.clone(),
                    env: env.clone(),
                    simulated: *simulated,
                    today: *today,
                    workbook: workbook.clone(),
                    at: *at,
                    case_ids: case_ids.clone(),
                    context: context.as_ref().clone(),
                    rerun_of: rerun_of.clone(),
                });
                self.last_at = Some(*at);
            }
            Event::RunResumed { at, .. } => {
                self.finished = None;
                self.interrupted = false;
                self.last_at = Some(*at);
            }
            Event::CaseFinished { result } => self.finish_case(result.clone()),
            Event::RunFinished {
                at, interrupted, ..
            } => {
                self.finished = Some(*at);
                self.interrupted = *interrupted;
            }
            _ => {}
        }
    }

    /// The result of case `id`, once it has finished.
    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.index.get(id).map(|&i| &self.cases[i])
    }

    /// True once `run_started` was seen.
    pub fn started(&self) -> bool {
        self.start.is_some()
    }

    /// True when the stream ended with `run_finished`.
    pub fn finished(&self) -> bool {
        self.finished.is_some()
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// The finished cases so far (typed notes not yet worded).
    pub fn cases(&self) -> &[CaseResult] {
        &self.cases
    }

    /// The run's report, worded in `lang`; `None` before `run_started`. The aggregator stays as it is
    /// (every result is copied); [`Aggregator::into_report`] moves them instead.
    pub fn report(&self, lang: Lang) -> Option<RunReport> {
        self.clone().into_report(lang)
    }

    /// The run's report, worded in `lang`, built from the aggregator's own results (each case's result is
    /// held once: moved into the report, not copied); `None` before `run_started`.
    pub fn into_report(self, lang: Lang) -> Option<RunReport> {
        let finished = self.finished.or(self.last_at);
        let notes = self.start.as_ref().map(|s| self.run_notes(s))?;
        let s = self.start?;
        let mut cases = self.cases;
        drop(self.index);
        // The workbook's order; cases the plan did not list (none, normally) keep their order at the end
        // (the sort is stable). One map of the plan's order, not a scan of it per comparison.
        let order: HashMap<&str, usize> = s
            .case_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        cases.sort_by_cached_key(|c| order.get(c.id.as_str()).copied().unwrap_or(usize::MAX));
        drop(order);
        let observed = observed_tolerance(&cases);
        for c in &mut cases {
            crate::lang::word_case(c, lang);
        }
        let notes = notes
            .iter()
            .map(|n| crate::lang::run_note(n, lang))
            .collect();
        Some(RunReport {
            harness_version: s.harness_version,
            run_id: s.run_id,
            env: s.env,
            simulated: s.simulated || s.context.rehearsal,
            rehearsal: s.context.rehearsal,
            observed_expiry_tolerance_secs: observed,
            started: s.at,
            finished: finished.unwrap_or(s.at),
            today: s.today,
            workbook: s.workbook,
            summary: Summary::of(cases.iter().map(|c| &c.status)),
            verdict: Verdict::of(&cases),
            context: s.context,
            cases,
            notes,
        })
    }

    fn run_notes(&self, s: &Start) -> Vec<RunNote> {
        let mut notes = Vec::new();
        if let Some(r) = &s.rerun_of {
            notes.push(RunNote::Rerun {
                run_id: r.run_id.clone(),
                dir: r.dir.clone(),
            });
        }
        if s.context.rehearsal {
            notes.push(RunNote::Rehearsal);
            notes.extend(
                s.context
                    .rehearsal_notes
                    .iter()
                    .map(|t| RunNote::RehearsalSetup { text: t.clone() }),
            );
        } else if s.simulated {
            notes.push(RunNote::Simulated);
        }
        if s.env == "test" {
            let d = crate::apis::Endpoints::default();
            let (issuer, _) =
                crate::config::Config::default().maskinporten(crate::config::Env::Test);
            let documented = [
                issuer,
                d.inntekt,
                d.inntektsmottakere,
                d.tjenestepensjonsavtale,
                d.aareg,
            ];
            for (name, url) in &s.context.base_urls {
                if !documented.contains(url) {
                    notes.push(RunNote::UndocumentedEndpoint {
                        name: name.clone(),
                        url: url.clone(),
                        loopback: crate::config::loopback_url(url),
                    });
                }
            }
        }
        if s.context.delegation == Delegation::SystemUser {
            notes.push(RunNote::SystemUser);
        }
        if self.finished.is_none() {
            notes.push(RunNote::CutOff);
        }
        notes
    }
}

/// Per API, the most seconds past `exp` at which it accepted a token (`Note::ExpiredTokenAccepted`).
fn observed_tolerance(cases: &[CaseResult]) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for n in cases.iter().flat_map(|c| &c.steps).flat_map(|s| &s.notes) {
        if let crate::note::Note::ExpiredTokenAccepted { api, secs } = n {
            let e = out.entry(api.clone()).or_insert(0);
            *e = (*e).max(*secs);
        }
    }
    out
}

impl EventSink for Aggregator {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        self.feed(e);
        Ok(())
    }
}
