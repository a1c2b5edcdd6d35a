//! `junit.xml`: one `<testsuite>` per API, one `<testcase>` per case, readable by GitLab, Azure DevOps and Jenkins.

use super::text::{self, xml_clean};
use super::ReportError;
use crate::model::{Api, CaseResult, Lang, RunReport, Status};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::io::Write;
use std::path::Path;

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

fn io_err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Render {
        what: super::JUNIT_XML.to_string(),
        message: e.to_string(),
    }
}

fn start<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut el = BytesStart::new(name);
    for (k, v) in attrs {
        let v = xml_clean(v);
        el.push_attribute((*k, v.as_str()));
    }
    el
}

fn case_counts(cases: &[&CaseResult]) -> (usize, usize, usize, u64) {
    let failures = cases
        .iter()
        .filter(|c| c.status == Status::Deviation)
        .count();
    let errors = cases
        .iter()
        .filter(|c| c.status == Status::EnvironmentError)
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.status, Status::NotRun | Status::NotApplicable))
        .count();
    let ms = cases.iter().map(|c| c.duration_ms).sum();
    (failures, errors, skipped, ms)
}

fn opt(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

/// One line per step for `<system-out>`.
fn step_lines(c: &CaseResult) -> String {
    let mut out = String::new();
    for s in &c.steps {
        out.push_str(&format!(
            "step {}: {} | expected {} | actual http={} code={} | status {} | correlation sent={} returned={} | attempts {} | {} ms",
            s.step,
            s.operation,
            s.expected,
            s.actual_http.map(|h| h.to_string()).unwrap_or_else(|| "-".into()),
            opt(s.actual_code.as_deref()),
            s.status.as_str(),
            opt(s.correlation_id.as_deref()),
            opt(s.correlation_id_returned.as_deref()),
            s.attempts,
            s.duration_ms
        ));
        if let Some(n) = s.note.as_deref().filter(|n| !n.is_empty()) {
            out.push_str(&format!(" | note: {n}"));
        }
        out.push('\n');
    }
    if c.steps.is_empty() {
        out.push_str(&format!("no steps ({})\n", c.status.as_str()));
    }
    out
}

/// Render the junit XML of a (prepared) report.
pub fn render(report: &RunReport, lang: Lang) -> Result<Vec<u8>, ReportError> {
    let mut out = Vec::new();
    render_to(report, lang, &mut out)?;
    Ok(out)
}

/// The junit XML of a (prepared) report, written into `out` as it is made.
pub fn render_to(report: &RunReport, lang: Lang, out: impl Write) -> Result<(), ReportError> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io_err)?;

    let mut name = "DSOP Ajourhold av OTP – integrasjonstest".to_string();
    if report.rehearsal {
        name.push_str(" (GENERALPRØVE)");
    } else if report.simulated {
        name.push_str(" (SIMULERT)");
    }
    let all: Vec<&CaseResult> = report.cases.iter().collect();
    let (f, e, s, ms) = case_counts(&all);
    let (tests, f, e, s, t) = (
        all.len().to_string(),
        f.to_string(),
        e.to_string(),
        s.to_string(),
        secs(ms),
    );
    w.write_event(Event::Start(start(
        "testsuites",
        &[
            ("name", &name),
            ("tests", &tests),
            ("failures", &f),
            ("errors", &e),
            ("skipped", &s),
            ("time", &t),
        ],
    )))
    .map_err(io_err)?;

    for (i, api) in Api::ALL.iter().enumerate() {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.api == *api).collect();
        if cases.is_empty() {
            continue;
        }
        let (f, e, s, ms) = case_counts(&cases);
        let timestamp = cases
            .iter()
            .filter_map(|c| c.started)
            .min()
            .unwrap_or(report.started)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string();
        let (tests, f, e, s, t, id) = (
            cases.len().to_string(),
            f.to_string(),
            e.to_string(),
            s.to_string(),
            secs(ms),
            i.to_string(),
        );
        w.write_event(Event::Start(start(
            "testsuite",
            &[
                ("name", api.label(lang)),
                ("id", &id),
                ("tests", &tests),
                ("failures", &f),
                ("errors", &e),
                ("skipped", &s),
                ("timestamp", &timestamp),
                ("time", &t),
                ("hostname", "dsop-harness"),
            ],
        )))
        .map_err(io_err)?;

        w.write_event(Event::Start(BytesStart::new("properties")))
            .map_err(io_err)?;
        let simulated = report.simulated.to_string();
        let rehearsal = report.rehearsal.to_string();
        let mut props: Vec<(&str, &str)> = vec![
            ("env", &report.env),
            ("simulated", &simulated),
            ("rehearsal", &rehearsal),
            ("harness_version", &report.harness_version),
            ("verdict", report.verdict.label(Lang::En)),
            ("run_id", &report.run_id),
        ];
        if report.simulated {
            let title = match report.rehearsal {
                true => super::i18n::rehearsal_banner_title(lang),
                false => super::i18n::sim_banner_title(lang),
            };
            props.push(("simulator_warning", title));
        }
        for (k, v) in props {
            w.write_event(Event::Empty(start(
                "property",
                &[("name", k), ("value", v)],
            )))
            .map_err(io_err)?;
        }
        w.write_event(Event::End(BytesEnd::new("properties")))
            .map_err(io_err)?;

        for c in cases {
            let classname = format!(
                "dsop.{}",
                api.label(Lang::En).to_lowercase().replace(' ', "_")
            );
            let name = format!("{} {}", c.id, c.description);
            let time = secs(c.duration_ms);
            w.write_event(Event::Start(start(
                "testcase",
                &[("classname", &classname), ("name", &name), ("time", &time)],
            )))
            .map_err(io_err)?;
            let got = text::actual(c.actual_http, c.actual_code.as_deref());
            let detail = format!(
                "expected: {}\nactual: {}\n{}",
                c.expected,
                got,
                c.note
                    .as_deref()
                    .map(|n| format!("note: {n}\n"))
                    .unwrap_or_default()
            );
            match c.status {
                Status::Ok => {}
                Status::Deviation => {
                    let msg = format!("expected {}, got {got}", c.expected);
                    w.write_event(Event::Start(start(
                        "failure",
                        &[("message", &msg), ("type", "deviation")],
                    )))
                    .map_err(io_err)?;
                    w.write_event(Event::Text(BytesText::new(&xml_clean(&detail))))
                        .map_err(io_err)?;
                    w.write_event(Event::End(BytesEnd::new("failure")))
                        .map_err(io_err)?;
                }
                Status::EnvironmentError => {
                    let msg = c
                        .note
                        .clone()
                        .unwrap_or_else(|| format!("environment error: got {got}"));
                    w.write_event(Event::Start(start(
                        "error",
                        &[("message", &msg), ("type", "environment_error")],
                    )))
                    .map_err(io_err)?;
                    w.write_event(Event::Text(BytesText::new(&xml_clean(&detail))))
                        .map_err(io_err)?;
                    w.write_event(Event::End(BytesEnd::new("error")))
                        .map_err(io_err)?;
                }
                Status::NotRun | Status::NotApplicable => {
                    let msg = match c.note.as_deref().filter(|n| !n.is_empty()) {
                        Some(n) => format!("{}: {n}", c.status.as_str()),
                        None => c.status.as_str().to_string(),
                    };
                    w.write_event(Event::Empty(start("skipped", &[("message", &msg)])))
                        .map_err(io_err)?;
                }
            }
            w.write_event(Event::Start(BytesStart::new("system-out")))
                .map_err(io_err)?;
            w.write_event(Event::Text(BytesText::new(&xml_clean(&step_lines(c)))))
                .map_err(io_err)?;
            w.write_event(Event::End(BytesEnd::new("system-out")))
                .map_err(io_err)?;
            w.write_event(Event::End(BytesEnd::new("testcase")))
                .map_err(io_err)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))
            .map_err(io_err)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))
        .map_err(io_err)?;
    w.into_inner().write_all(b"\n").map_err(io_err)
}

/// Write `junit.xml`, each element into the file as it is made.
pub fn write(report: &RunReport, lang: Lang, path: &Path) -> Result<(), ReportError> {
    super::write_streamed(path, |w| render_to(report, lang, w))
}
