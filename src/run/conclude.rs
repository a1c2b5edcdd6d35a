//! Step 4 of a run: conclude. `run_finished` closes the event stream; the aggregator's `RunReport` is
//! written by every reporter, then the evidence bundle; `reports/latest` points at the folder.

use super::schedule::Stream;
use super::setup::{Environment, Folder};
use super::spec::Spec;
use super::{exit, exit_code, RunError, RunOutcome};
use crate::events::{Event, EventSink};
use crate::model::{RunReport, Status, Summary, Verdict};
use chrono::Utc;
use std::path::Path;

/// Close the stream, write the reports and the bundle; the outcome carries the exit code.
pub async fn conclude(
    spec: &Spec,
    folder: &Folder,
    env: Environment,
    stream: Stream,
    interrupted: bool,
) -> Result<RunOutcome, RunError> {
    let (summary, verdict) = {
        let results = stream.results.lock();
        let cases = results.cases();
        (
            Summary::of(cases.iter().map(|c| &c.status)),
            Verdict::of(cases),
        )
    };
    let mut sink = stream.sink.clone();
    let _ = sink.event(&Event::RunFinished {
        summary,
        verdict,
        interrupted,
        at: Utc::now(),
    });
    // The stream has ended: the results move out of the aggregator into the report (held once, not copied).
    let results = std::mem::take(&mut *stream.results.lock());
    let report = results
        .into_report(spec.opts.lang)
        .ok_or_else(|| RunError::Environment("the journal has no run_started event".into()))?;
    let selected: Vec<bool> = spec.plan.cases.iter().map(|c| c.selected).collect();
    let halted = stream.halt.lock().map(|h| h.is_some()).unwrap_or(true);
    let code = match (interrupted, halted) {
        (true, _) => exit::INTERRUPTED,
        (false, true) => exit::ENVIRONMENT,
        (false, false) => exit_code(&report.cases, &selected),
    };
    // results.json is written first; a report that fails after it is named, and the exit code stays the
    // run's: 1 if a case deviated, else 3.
    let (warnings, error, code) = match write_reports(spec, &folder.dir, &report, &env) {
        Ok(w) => (w, None, code),
        Err(e) => {
            let deviated = report.cases.iter().any(|c| c.status == Status::Deviation);
            let code = if deviated {
                exit::DEVIATION
            } else {
                exit::ENVIRONMENT
            };
            (Vec::new(), Some(e.to_string()), code)
        }
    };
    update_latest(&spec.opts.reports_dir, &folder.run_id);
    if let Some(h) = env.sim {
        if let Ok(h) = std::sync::Arc::try_unwrap(h) {
            h.shutdown().await;
        }
    }
    Ok(RunOutcome {
        dir: Some(folder.dir.clone()),
        report: Some(report),
        exit_code: code,
        warnings,
        error,
    })
}

/// Every report, the filled-in workbook and the signed evidence bundle; returns the reporters' warnings.
fn write_reports(
    spec: &Spec,
    dir: &Path,
    report: &RunReport,
    env: &Environment,
) -> Result<Vec<String>, RunError> {
    let opts = &spec.opts;
    let ropts = crate::report::ReportOptions {
        lang: opts.lang,
        mask_ids: opts.mask_ids,
        template: opts.template.clone(),
    };
    let (mut files, warnings) =
        crate::report::write_all_with(report, dir, &ropts, &Default::default())
            .map_err(|e| RunError::Environment(format!("writing the reports failed: {e}")))?;
    let filled =
        crate::report::write_filled_workbook(&spec.wb, report, dir, opts.lang, opts.mask_ids)
            .map_err(RunError::Environment)?;
    files.push(filled);
    // The evidence bundle: reports, journal and input workbook with a MANIFEST of SHA-256 sums, signed
    // (detached JWS) with the business certificate's key.
    crate::report::write_bundle_with(
        dir,
        &files,
        &opts.workbook,
        Some(env.mp.key()),
        opts.mask_ids,
    )
    .map_err(|e| RunError::Environment(format!("writing the evidence bundle failed: {e}")))?;
    Ok(warnings)
}

/// Point `reports/latest` at the new folder (a relative symlink, replaced atomically).
fn update_latest(reports: &Path, name: &str) {
    #[cfg(unix)]
    {
        let tmp = reports.join(format!(".latest-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(name, &tmp).is_ok()
            && std::fs::rename(&tmp, reports.join("latest")).is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = crate::fsutil::write_atomic(&reports.join("latest.txt"), name.as_bytes());
    }
}
