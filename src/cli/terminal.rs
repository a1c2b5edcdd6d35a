//! The run's terminal sink: one line per case and a summary (English; the reports use the report
//! language), or the events as JSON lines with `--format json`. On a terminal a progress bar (indicatif)
//! runs below the case lines; it is hidden for `--format json`, `NO_COLOR`, pipes and `CI=true`.

use dsop_harness::events::{Event, EventSink};
use dsop_harness::model::{CaseResult, Lang, Status};
use dsop_harness::note::Note;
use std::io::{IsTerminal, Write};

pub struct Terminal {
    json: bool,
    color: bool,
    progress: bool,
    bar: Option<indicatif::ProgressBar>,
}

/// True when a progress bar may be drawn: stdout is a terminal, and neither `NO_COLOR` nor `CI=true` is set.
pub fn progress_wanted() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var("CI").map(|v| v != "true").unwrap_or(true)
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

    fn line(&self, text: &str) -> std::io::Result<()> {
        match &self.bar {
            Some(b) => {
                b.println(text);
                Ok(())
            }
            None => writeln!(std::io::stdout().lock(), "{text}"),
        }
    }

    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn start_bar(&mut self, len: u64) {
        if !self.progress {
            return;
        }
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} cases  {msg}")
        {
            bar.set_style(style);
        }
        self.bar = Some(bar);
    }

    fn case_line(&self, r: &CaseResult) -> String {
        let code = match r.status {
            Status::Ok => "32",
            Status::Deviation => "31",
            Status::EnvironmentError => "33",
            _ => "90",
        };
        let actual = match (&r.actual_http, &r.actual_code) {
            (Some(h), Some(c)) => format!("{h} {c}"),
            (Some(h), None) => h.to_string(),
            _ => "-".into(),
        };
        let note = dsop_harness::lang::case_note(r, Lang::En)
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        format!(
            "{:<8} {} {:<22} {:>6} ms  {actual}{note}",
            r.id,
            self.paint(&format!("{:<11}", r.status.label(Lang::En)), code),
            r.api.label(Lang::En),
            r.duration_ms,
        )
    }
}

impl EventSink for Terminal {
    /// A closed stdout (`run | head -1`) does not stop the run: the lines are dropped, the reports still
    /// written (see `super::stdout`).
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        if super::stdout::closed() {
            return Ok(());
        }
        if let Err(err) = self.show(e) {
            super::stdout::failed(&err);
        }
        Ok(())
    }
}

impl Terminal {
    fn show(&mut self, e: &Event) -> std::io::Result<()> {
        if self.json {
            let line = serde_json::to_string(e).map_err(std::io::Error::other)?;
            return writeln!(std::io::stdout().lock(), "{line}");
        }
        match e {
            Event::RunStarted {
                env,
                simulated,
                cases,
                workbook,
                ..
            } => {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "dsop-harness {}: {cases} cases from {} against {env}",
                    dsop_harness::VERSION,
                    workbook.path
                )?;
                if *simulated {
                    // Both wordings: the reports (Norwegian by default) carry the first.
                    let msg = "SIMULERT KJØRING – IKKE BEVIS FOR BITS (simulated run: not evidence for Bits)";
                    writeln!(out, "{}", self.paint(msg, "1;31"))?;
                }
                drop(out);
                self.start_bar(*cases as u64);
            }
            Event::RunResumed {
                finished_before, ..
            } => {
                self.line(&format!(
                    "resuming: {finished_before} cases were already finished"
                ))?;
            }
            // Every attempt that is retried is shown (every attempt is in the journal).
            Event::AttemptFinished {
                case_id,
                step,
                attempt,
                http,
                code,
                error,
                will_retry: true,
                ..
            } => {
                let what = match (http, code, error) {
                    (_, _, Some(e)) => e.clone(),
                    (Some(h), Some(c), None) => format!("HTTP {h} {c}"),
                    (Some(h), None, None) => format!("HTTP {h}"),
                    (None, _, None) => "no answer".into(),
                };
                let text =
                    format!("  {case_id} step {step}, attempt {attempt}: {what}; trying again");
                self.line(&self.paint(&text, "90"))?;
            }
            Event::CaseFinished { result } => {
                // A case left out by the selection counts on the bar without a line of its own.
                if result.notes.first() != Some(&Note::NotSelected) {
                    self.line(&self.case_line(result))?;
                }
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
                    std::io::stdout().lock(),
                    "\n{} cases: {} ok, {} deviation, {} environment error, {} not run, {} not applicable. Verdict: {}{}",
                    summary.total,
                    summary.ok,
                    summary.deviation,
                    summary.environment_error,
                    summary.not_run,
                    summary.not_applicable,
                    verdict.label(Lang::En),
                    if *interrupted { " (interrupted)" } else { "" }
                )?;
            }
            _ => {}
        }
        Ok(())
    }
}
