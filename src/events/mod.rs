//! The one event stream of a run, below both the runner and the reporters. The journal, the terminal and the
//! results [`Aggregator`] all consume it; `report DIR` replays it from `journal.jsonl` into the same aggregator,
//! so a live run and a re-rendered one build their `RunReport` the same way.

pub mod aggregate;
pub mod journal;

pub use aggregate::Aggregator;

use crate::model::{CaseResult, RunContext, Summary, Verdict, WorkbookRef};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        run_id: String,
        harness_version: String,
        env: String,
        simulated: bool,
        today: NaiveDate,
        workbook: WorkbookRef,
        cases: usize,
        at: DateTime<Utc>,
        /// The plan's case ids, in the workbook's order (the order of the reports).
        #[serde(default)]
        case_ids: Vec<String>,
        /// Institution, vendor, Maskinporten set-up, endpoints, Info sheet, months and test data: everything
        /// a report needs besides the cases, so a crashed run re-renders completely from its journal.
        #[serde(default)]
        context: Box<RunContext>,
        /// `--rerun-failed`: the run whose deviations and environment errors this run repeats.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rerun_of: Option<RerunOf>,
    },
    /// `run --resume` continued this run.
    RunResumed {
        at: DateTime<Utc>,
        /// Cases already finished before the interruption.
        finished_before: usize,
    },
    CaseStarted {
        case_id: String,
        at: DateTime<Utc>,
    },
    /// Journalled before the request is sent.
    AttemptStarted {
        case_id: String,
        step: u32,
        attempt: u32,
        operation: String,
        method: String,
        /// True for Tjenestepensjonsavtale POST and DELETE.
        write: bool,
        at: DateTime<Utc>,
    },
    AttemptFinished {
        case_id: String,
        step: u32,
        attempt: u32,
        http: Option<u16>,
        code: Option<String>,
        correlation_id: Option<String>,
        correlation_id_returned: Option<String>,
        duration_ms: u64,
        error: Option<String>,
        will_retry: bool,
        at: DateTime<Utc>,
        /// The body's shape: field names and types, every value a type marker (`crate::fidelity::shape`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shape: Option<serde_json::Value>,
    },
    CaseFinished {
        result: CaseResult,
    },
    RunFinished {
        summary: Summary,
        verdict: Verdict,
        interrupted: bool,
        at: DateTime<Utc>,
    },
}

/// The earlier run a `--rerun-failed` run repeats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RerunOf {
    pub run_id: String,
    /// The earlier run's folder, as given on the command line.
    pub dir: String,
}

/// Something that consumes events as they happen.
pub trait EventSink: Send {
    fn event(&mut self, e: &Event) -> std::io::Result<()>;
}

/// Several sinks behind one.
#[derive(Default)]
pub struct Fanout {
    pub sinks: Vec<Box<dyn EventSink>>,
}

impl EventSink for Fanout {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        for s in &mut self.sinks {
            s.event(e)?;
        }
        Ok(())
    }
}

/// A sink shared between tasks (cases in flight) and the code that reads it afterwards.
pub struct Shared<T>(std::sync::Arc<std::sync::Mutex<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> Shared<T> {
    pub fn new(t: T) -> Shared<T> {
        Shared(std::sync::Arc::new(std::sync::Mutex::new(t)))
    }

    /// The inner sink (a panic in another holder does not poison it for us).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T: EventSink> EventSink for Shared<T> {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        self.lock().event(e)
    }
}
