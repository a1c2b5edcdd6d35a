//! `results.json`: the `RunReport` serialised as-is (the contract other tools read).

use super::ReportError;
use crate::model::RunReport;
use std::path::Path;

/// Pretty JSON of the report, with a trailing newline.
pub fn render(report: &RunReport) -> Result<Vec<u8>, ReportError> {
    let mut v = serde_json::to_vec_pretty(report).map_err(|e| ReportError::Render {
        what: super::RESULTS_JSON.to_string(),
        message: e.to_string(),
    })?;
    v.push(b'\n');
    Ok(v)
}

pub fn write(report: &RunReport, path: &Path) -> Result<(), ReportError> {
    let bytes = render(report)?;
    super::write_file(path, &bytes)
}
