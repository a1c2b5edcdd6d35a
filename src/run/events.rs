//! The one event stream of a run. The journal, the terminal and the results aggregator all consume it;
//! `report DIR` replays it from `journal.jsonl`.

use crate::model::{CaseResult, Summary, Verdict, WorkbookRef};
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

/// Human output: one line per case, and a summary. `--format json` prints the events as JSON lines.
/// On a terminal a progress bar (indicatif) runs below the case lines.
pub struct Terminal {
    pub json: bool,
    pub color: bool,
    /// Show a progress bar (only when stdout is a terminal).
    pub progress: bool,
    pub bar: Option<indicatif::ProgressBar>,
}

impl Terminal {
    pub fn new(json: bool, color: bool, progress: bool) -> Terminal {
        Terminal {
            json,
            color,
            progress: progress && !json,
            bar: None,
        }
    }

    fn line(&self, out: &mut dyn std::io::Write, text: &str) -> std::io::Result<()> {
        match &self.bar {
            Some(b) => {
                b.println(text);
                Ok(())
            }
            None => writeln!(out, "{text}"),
        }
    }
}

impl EventSink for Terminal {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if self.json {
            let line = serde_json::to_string(e).map_err(std::io::Error::other)?;
            return writeln!(out, "{line}");
        }
        match e {
            Event::RunStarted {
                env,
                simulated,
                cases,
                workbook,
                ..
            } => {
                writeln!(
                    out,
                    "dsop-harness {}: {cases} cases from {} against {env}",
                    crate::VERSION,
                    workbook.path
                )?;
                if *simulated {
                    // Both wordings: the reports (Norwegian by default) carry the first.
                    let msg = "SIMULERT KJØRING – IKKE BEVIS FOR BITS (simulated run: not evidence for Bits)";
                    writeln!(out, "{}", self.paint(msg, "1;31"))?;
                }
            }
            Event::RunResumed {
                finished_before, ..
            } => {
                writeln!(
                    out,
                    "resuming: {finished_before} cases were already finished"
                )?;
            }
            Event::CaseFinished { result }
                if result.started.is_none() && result.note.as_deref() == Some("not selected") =>
            {
                if let Some(b) = &self.bar {
                    b.inc(1);
                }
            }
            Event::CaseFinished { result } => {
                // The CLI speaks English; the reports use the report language.
                let label = result.status.label(crate::model::Lang::En);
                let code = match result.status {
                    crate::model::Status::Ok => "32",
                    crate::model::Status::Deviation => "31",
                    crate::model::Status::EnvironmentError => "33",
                    _ => "90",
                };
                let actual = match (&result.actual_http, &result.actual_code) {
                    (Some(h), Some(c)) => format!("{h} {c}"),
                    (Some(h), None) => h.to_string(),
                    _ => "-".into(),
                };
                let text = format!(
                    "{:<8} {} {:<22} {:>6} ms  {}{}",
                    result.id,
                    self.paint(&format!("{label:<11}"), code),
                    result.api.label(crate::model::Lang::En),
                    result.duration_ms,
                    actual,
                    result
                        .note
                        .as_deref()
                        .map(|n| format!("  ({n})"))
                        .unwrap_or_default()
                );
                self.line(&mut out, &text)?;
                if let Some(b) = &self.bar {
                    b.inc(1);
                    b.set_message(result.id.clone());
                }
            }
            Event::RunFinished {
                summary,
                verdict,
                interrupted,
                ..
            } => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
                writeln!(
                    out,
                    "\n{} cases: {} ok, {} deviation, {} environment error, {} not run, {} not applicable. Verdict: {}{}",
                    summary.total,
                    summary.ok,
                    summary.deviation,
                    summary.environment_error,
                    summary.not_run,
                    summary.not_applicable,
                    verdict.label(crate::model::Lang::En),
                    if *interrupted { " (interrupted)" } else { "" }
                )?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl Terminal {
    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}
