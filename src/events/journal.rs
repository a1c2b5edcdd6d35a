//! `journal.jsonl`: every event, one JSON line, appended and fsynced as it happens. Events hold no tokens,
//! keys or Authorization headers by construction (the exchange types never carry them).

use super::{Event, EventSink};
use std::path::{Path, PathBuf};

pub const JOURNAL: &str = "journal.jsonl";

pub struct Journal {
    path: PathBuf,
    /// `--mask-ids`: personal ids are masked in every line, like in every other file of the run.
    mask_ids: bool,
}

impl Journal {
    pub fn create(dir: &Path) -> std::io::Result<Journal> {
        let path = dir.join(JOURNAL);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        Ok(Journal {
            path,
            mask_ids: false,
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
}

impl EventSink for Journal {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        let mut line = serde_json::to_string(e).map_err(std::io::Error::other)?;
        if self.mask_ids {
            line = crate::ids::mask_person_ids_in(&line);
        }
        crate::fsutil::append_line_synced(&self.path, &line)
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
