//! Reporters: results.json, junit.xml, rapport.html and the Bits docx, all rendered from one `RunReport`
//! (which the run builds from the event stream). Templates live in `templates/` and are compiled into the binary.
//!
//! OWNED BY THE REPORT WORK. `write_all` is the contract with `run`.
//!
//! Every format is rendered from the same prepared copy of the report (`text::prepare`): credentials are
//! scrubbed from free text always, personal ids masked with `--mask-ids`. Every file is written atomically.

pub mod bundle;
pub mod docx;
pub mod html;
pub mod i18n;
pub mod json;
pub mod junit;
pub mod rerender;
#[doc(hidden)]
pub mod sample;
pub mod tags;
pub mod template;
pub mod text;
pub mod view;
pub mod xlsx;

pub use bundle::{
    verify_bundle, write_bundle, write_bundle_with, BundleCheck, RunFacts, SignatureState,
    VerifyPolicy,
};
pub use rerender::{rerender, rerender_with_warnings, RerenderOptions};
pub use template::{fill_template, fill_template_with_warnings};

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
    /// `--template FILE.docx`: the user's own docx with `{{ placeholder }}` markers, filled instead of the
    /// built-in layout (see docs/reports.md).
    pub template: Option<PathBuf>,
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
    /// A file given as input (template, journal, workbook, bundle) is unusable: the message says what to do.
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
}

/// Write `bytes` atomically (never half-written; not fsynced: a report can be made again from the journal
/// with `report DIR`), mapping the error to `ReportError::Io`.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::fsutil::replace(path, bytes).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `path` atomically (temp file + rename), its content streamed by `fill` through a buffered writer:
/// the file is never whole in memory. A `fill` error leaves no file behind and is returned as it is.
pub(crate) fn write_streamed(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    use std::io::Write;
    let mut failed = None;
    let written = crate::fsutil::write_atomic_with(path, |f| {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        match fill(&mut w) {
            Ok(()) => w.flush(),
            Err(e) => {
                let msg = e.to_string();
                failed = Some(e);
                Err(std::io::Error::other(msg))
            }
        }
    });
    match (failed, written) {
        (Some(e), _) => Err(e),
        (None, Err(source)) => Err(ReportError::Io {
            path: path.to_path_buf(),
            source,
        }),
        (None, Ok(())) => Ok(()),
    }
}

/// Write every report of `report` into `dir`; returns the files written
/// (results.json, junit.xml, rapport.html, the docx, in that order).
///
/// With `opts.template` the docx is the user's template filled from the report (unknown placeholders are
/// logged as warnings; use [`template::fill_template_with_warnings`] to get them).
pub fn write_all(
    report: &RunReport,
    dir: &Path,
    opts: &ReportOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    write_all_with(report, dir, opts, &view::HumanFields::default()).map(|(files, _)| files)
}

/// [`write_all`] with the human fields of a filled workbook and the history of merged runs; also returns the
/// template warnings (unknown placeholders).
pub fn write_all_with(
    report: &RunReport,
    dir: &Path,
    opts: &ReportOptions,
    human: &view::HumanFields,
) -> Result<(Vec<PathBuf>, Vec<String>), ReportError> {
    let prepared = text::prepare(report, opts.mask_ids);
    let view = view::ReportView::build_with(&prepared, opts.lang, opts.mask_ids, human);
    let mut warnings = Vec::new();
    // Fill the template first: a broken template fails before anything is overwritten.
    let filled = match &opts.template {
        Some(t) => {
            let (bytes, w) = template::fill_view(t, &prepared, &view)?;
            for w in &w {
                tracing::warn!("{w}");
            }
            warnings = w;
            Some(bytes)
        }
        None => None,
    };
    // The HTML and the docx are rendered from one template context, which the view is turned into.
    let ctx = view::into_context(view)?;

    let json_path = dir.join(RESULTS_JSON);
    json::write(&prepared, &json_path)?;
    let junit_path = dir.join(JUNIT_XML);
    junit::write(&prepared, opts.lang, &junit_path)?;
    drop(prepared);
    let html_path = dir.join(HTML);
    html::write_context(&ctx, &html_path)?;
    let docx_path = dir.join(DOCX);
    match filled {
        Some(bytes) => write_file(&docx_path, &bytes)?,
        None => docx::write_context(&ctx, &docx_path)?,
    }
    Ok((vec![json_path, junit_path, html_path, docx_path], warnings))
}

/// `<stem>_utfylt.xlsx`: the input workbook's name with the suffix the filled-in copy gets.
pub fn filled_workbook_name(workbook: &Path) -> String {
    let stem = workbook
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("integrasjonstest");
    format!("{stem}_utfylt.xlsx")
}

/// The one place the filled-in workbook is written from (by `run` and by `report DIR`): `wb` with the
/// results of `report`, as `<stem>_utfylt.xlsx` in `dir`. Returns the file written.
pub fn write_filled_workbook(
    wb: &crate::workbook::Workbook,
    report: &RunReport,
    dir: &Path,
    lang: Lang,
    mask_ids: bool,
) -> Result<PathBuf, String> {
    let path = dir.join(filled_workbook_name(&wb.path));
    xlsx::write_filled(wb, report, &path, lang, mask_ids).map_err(|e| {
        let p: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
        format!("writing the filled-in workbook failed: {}", p.join("; "))
    })?;
    Ok(path)
}
