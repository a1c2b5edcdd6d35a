//! Reporters: results.json, junit.xml, rapport.html and the Bits docx, all rendered from one `RunReport`
//! (which the run builds from the event stream). Templates live in `templates/` and are compiled into the binary.
//!
//! OWNED BY THE REPORT WORK. `write_all` is the contract with `run`.
//!
//! Every format is rendered from the same prepared copy of the report (`text::prepare`): credentials are
//! scrubbed from free text always, personal ids masked with `--mask-ids`. Every file is written atomically.

pub mod docx;
pub mod html;
pub mod i18n;
pub mod json;
pub mod junit;
#[doc(hidden)]
pub mod sample;
pub mod text;
pub mod view;

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
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not render {what}: {message}")]
    Render { what: String, message: String },
}

/// Write `bytes` atomically, mapping the error to `ReportError::Io`.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Write every report of `report` into `dir`; returns the files written
/// (results.json, junit.xml, rapport.html, the docx, in that order).
pub fn write_all(
    report: &RunReport,
    dir: &Path,
    opts: &ReportOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    let prepared = text::prepare(report, opts.mask_ids);
    let view = view::ReportView::build(&prepared, opts.lang, opts.mask_ids);

    let json_path = dir.join(RESULTS_JSON);
    json::write(&prepared, &json_path)?;
    let junit_path = dir.join(JUNIT_XML);
    junit::write(&prepared, opts.lang, &junit_path)?;
    let html_path = dir.join(HTML);
    html::write(&view, &html_path)?;
    let docx_path = dir.join(DOCX);
    docx::write(&view, &docx_path)?;
    Ok(vec![json_path, junit_path, html_path, docx_path])
}
