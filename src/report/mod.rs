//! Reporters: results.json, junit.xml, rapport.html and the Bits docx, all rendered from one `RunReport`
//! (which the run builds from the event stream). Templates live in `templates/`.
//!
//! OWNED BY THE REPORT WORK. `write_all` is the contract with `run`.

use crate::model::{Lang, RunReport};
use std::path::{Path, PathBuf};

/// File names inside a run folder.
pub const RESULTS_JSON: &str = "results.json";
pub const JUNIT_XML: &str = "junit.xml";
pub const HTML: &str = "rapport.html";
pub const DOCX: &str = "Ajourhold_av_OTP_Integrasjonstest_rapport.docx";

#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    pub lang: Lang,
    /// `--mask-ids`: keep the first 6 digits of personal ids.
    pub mask_ids: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("could not write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("could not render {what}: {message}")]
    Render { what: String, message: String },
}

/// Write every report of `report` into `dir`; returns the files written.
pub fn write_all(report: &RunReport, dir: &Path, opts: &ReportOptions) -> Result<Vec<PathBuf>, ReportError> {
    let _ = (report, opts);
    let p = dir.join(RESULTS_JSON);
    let json = serde_json::to_vec_pretty(report).map_err(|e| ReportError::Render { what: p.display().to_string(), message: e.to_string() })?;
    crate::fsutil::write_atomic(&p, &json).map_err(|source| ReportError::Io { path: p.clone(), source })?;
    Ok(vec![p])
}
