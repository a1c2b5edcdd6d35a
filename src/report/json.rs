//! `results.json`: the `RunReport` serialised as-is (the contract other tools read).

use super::ReportError;
use crate::model::{RunReport, VerdictReason};
use std::io::Write;
use std::path::Path;

/// The report with `verdict_reason` (why the verdict is what it is) appended; readers of the contract that
/// do not know the key ignore it.
#[derive(serde::Serialize)]
struct WithReason<'a> {
    #[serde(flatten)]
    report: &'a RunReport,
    verdict_reason: VerdictReason,
}

/// Pretty JSON of the report, with a trailing newline.
pub fn render(report: &RunReport) -> Result<Vec<u8>, ReportError> {
    let with = WithReason {
        report,
        verdict_reason: report.verdict_reason(),
    };
    let mut v = serde_json::to_vec_pretty(&with).map_err(|e| ReportError::Render {
        what: super::RESULTS_JSON.to_string(),
        message: e.to_string(),
    })?;
    v.push(b'\n');
    Ok(v)
}

/// Write `results.json`, serialised straight into the file (the JSON is never whole in memory).
pub fn write(report: &RunReport, path: &Path) -> Result<(), ReportError> {
    let with = WithReason {
        report,
        verdict_reason: report.verdict_reason(),
    };
    super::write_streamed(path, |w| {
        serde_json::to_writer_pretty(&mut *w, &with)
            .and_then(|()| w.write_all(b"\n").map_err(serde_json::Error::io))
            .map_err(|e| ReportError::Render {
                what: super::RESULTS_JSON.to_string(),
                message: e.to_string(),
            })
    })
}
