//! `journal.jsonl`: every event, one JSON line, appended as it happens. Events hold no tokens, keys or
//! Authorization headers by construction (the exchange types never carry them).
//!
//! Durability: every line is handed to the operating system (`write`) before the event returns, so a killed
//! process (kill -9) loses nothing. `fsync` (surviving a power cut) is paid once per batch of events: at
//! once for the events that must never be lost (the run's start and end, and the `attempt_started` of a
//! write, which is on disk before the write is sent), otherwise after [`SYNC_EVERY_EVENTS`] events or
//! [`SYNC_EVERY`] since the last one, and when the journal is dropped.

use super::{Event, EventSink};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const JOURNAL: &str = "journal.jsonl";

/// At most this many events between two fsyncs.
pub const SYNC_EVERY_EVENTS: usize = 256;
/// At most this long between two fsyncs (checked when an event arrives).
pub const SYNC_EVERY: Duration = Duration::from_millis(250);

pub struct Journal {
    path: PathBuf,
    file: File,
    /// `--mask-ids`: personal ids are masked in every line written, like in every other file of the run.
    mask_ids: bool,
    /// Events written since the last fsync, and when that was.
    unsynced: usize,
    synced_at: Instant,
    line: Vec<u8>,
}

impl Journal {
    pub fn create(dir: &Path) -> std::io::Result<Journal> {
        let path = dir.join(JOURNAL);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        Ok(Journal {
            path,
            file,
            mask_ids: false,
            unsynced: 0,
            synced_at: Instant::now(),
            line: Vec::with_capacity(1024),
        })
    }

    /// Mask personal ids in every line written (`--mask-ids`).
    pub fn masked(mut self, mask_ids: bool) -> Journal {
        self.mask_ids = mask_ids;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// fsync what was written so far.
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.unsynced > 0 {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        self.synced_at = Instant::now();
        Ok(())
    }
}

/// Events fsynced before `event` returns: the run's start and end, and a write about to be sent.
fn must_sync(e: &Event) -> bool {
    matches!(
        e,
        Event::RunStarted { .. }
            | Event::RunResumed { .. }
            | Event::RunFinished { .. }
            | Event::AttemptStarted { write: true, .. }
    )
}

impl EventSink for Journal {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        self.line.clear();
        if self.mask_ids {
            let line = serde_json::to_string(e).map_err(std::io::Error::other)?;
            self.line
                .extend_from_slice(crate::ids::mask_person_ids_in(&line).as_bytes());
        } else {
            serde_json::to_writer(&mut self.line, e).map_err(std::io::Error::other)?;
        }
        self.line.push(b'\n');
        // One write call per line (append mode): a reader or a crash sees whole lines, or a torn last one.
        self.file.write_all(&self.line)?;
        self.unsynced += 1;
        if must_sync(e)
            || self.unsynced >= SYNC_EVERY_EVENTS
            || self.synced_at.elapsed() >= SYNC_EVERY
        {
            self.sync()?;
        }
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.sync();
    }
}

/// A journal read back: its events, and where a torn last line starts (a crash in the middle of writing it).
#[derive(Debug, Default)]
pub struct Read {
    pub events: Vec<Event>,
    /// The byte offset of a torn last line, if there is one (`--resume` truncates the file there).
    pub torn_at: Option<u64>,
}

/// Read a journal back (for `report DIR` and `--resume`). Only a torn last line (no newline at its end,
/// not parseable) is tolerated; any other line that does not parse is an error naming its line number.
pub fn read(path: &Path) -> std::io::Result<Read> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Read::default();
    let mut offset = 0u64;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let start = offset;
        offset += raw.len() as u64;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(e) => out.events.push(e),
            Err(_) if i + 1 == lines.len() && !raw.ends_with('\n') => out.torn_at = Some(start),
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "line {}: not an event of dsop-harness ({e}); the journal is damaged and cannot be trusted",
                        i + 1
                    ),
                ))
            }
        }
    }
    Ok(out)
}

/// Cut a torn last line off before appending (`--resume`).
pub fn truncate_torn(path: &Path, torn_at: u64) -> std::io::Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.set_len(torn_at)?;
    f.sync_all()
}

/// What an interrupted run's journal says: how it started, which cases finished, and which writes were
/// sent without an answer (their outcome is unknown, so they are never sent again).
#[derive(Debug, Default)]
pub struct ResumeState {
    pub run_id: String,
    pub env: String,
    pub today: Option<chrono::NaiveDate>,
    pub workbook: Option<crate::model::WorkbookRef>,
    pub started: Option<chrono::DateTime<chrono::Utc>>,
    pub finished: std::collections::HashMap<String, crate::model::CaseResult>,
    /// case id -> the write whose outcome is unknown: its operation and step.
    pub unknown_writes: std::collections::HashMap<String, (String, u32)>,
    /// True when the journal ends with a run_finished event that was not an interruption.
    pub complete: bool,
}

/// Analyse a journal for `run --resume`.
pub fn resume_state(events: &[Event]) -> ResumeState {
    let mut st = ResumeState::default();
    let mut open_writes: std::collections::HashMap<(String, u32, u32), String> = Default::default();
    for e in events {
        match e {
            Event::RunStarted {
                run_id,
                env,
                today,
                workbook,
                at,
                ..
            } => {
                st.run_id = run_id.clone();
                st.env = env.clone();
                st.today = Some(*today);
                st.workbook = Some(workbook.clone());
                st.started = Some(*at);
            }
            Event::AttemptStarted {
                case_id,
                step,
                attempt,
                operation,
                write: true,
                ..
            } => {
                open_writes.insert((case_id.clone(), *step, *attempt), operation.clone());
            }
            Event::AttemptFinished {
                case_id,
                step,
                attempt,
                ..
            } => {
                open_writes.remove(&(case_id.clone(), *step, *attempt));
            }
            Event::CaseFinished { result } => {
                st.finished.insert(result.id.clone(), result.clone());
            }
            Event::RunFinished { interrupted, .. } => st.complete = !interrupted,
            _ => {}
        }
    }
    for ((case, step, _), op) in open_writes {
        if !st.finished.contains_key(&case) {
            st.unknown_writes.insert(case, (op, step));
        }
    }
    st
}
