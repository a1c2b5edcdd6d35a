//! `run --capture`: every exchange of the run into `capture.jsonl` in the run folder, as a consumer of the
//! run's event stream. Each line is one [`Line`]: first the run (`capture`), then every case with its steps
//! as the workbook wrote them (`case`), then one `exchange` per attempt: case id, step, method, path template,
//! the inputs as the workbook's placeholders, status, error code and the body's shape. No value of the test
//! data (id, name, agreement reference) and no token is written: the inputs keep their placeholders, literal
//! values of the test data become placeholders again, other valid person ids and orgnrs become `<digits:N>`,
//! and the body is only its shape.

use crate::events::{Event, EventSink};
use crate::workbook::{Case, TestData};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The capture file in a run folder.
pub const CAPTURE_FILE: &str = "capture.jsonl";

/// One line of a capture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Line {
    /// The run the capture belongs to.
    Capture {
        format: u32,
        harness_version: String,
        run_id: String,
        env: String,
        /// The date the run's months were computed from (the replay uses the same).
        today: chrono::NaiveDate,
    },
    /// A selected case and its steps as the workbook wrote them (placeholders kept).
    Case {
        id: String,
        mandatory: bool,
        steps: Vec<CaseStepLine>,
    },
    Exchange(Exchange),
}

/// One step of a captured case, as the workbook wrote it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseStepLine {
    pub step: u32,
    pub operation: String,
    /// `Inndata`, cleaned (see the module docs).
    pub inputs: String,
    pub expected_http: String,
    pub expected_code: String,
}

/// One attempt of one step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub case_id: String,
    pub step: u32,
    pub attempt: u32,
    pub operation: String,
    pub method: String,
    /// The path template, e.g. `/{rettighetspakke}/{personidentifikator}/inntekter`.
    pub path: String,
    /// The step's inputs as the workbook's placeholders, e.g. `personidentifikator={TD-P-01.Identifikator}`.
    pub inputs: Vec<(String, String)>,
    /// HTTP status; none when no answer came.
    pub status: Option<u16>,
    pub code: Option<String>,
    /// True when no answer came (a timeout, a reset); the message is not kept (it may hold a URL).
    #[serde(default)]
    pub no_answer: bool,
    pub shape: Option<serde_json::Value>,
}

/// The path template an operation calls (the same for every environment).
pub fn path_template(operation: &str) -> String {
    let e = crate::apis::Endpoints::default();
    match operation {
        "token" => "/token".into(),
        "GET inntekter" => e.inntekt_path,
        "GET inntektsmottakere" => e.inntektsmottakere_path,
        "POST avtaleforhold" | "DELETE avtaleforhold" => e.avtaleforhold_path,
        "GET avtaleforhold/gyldighet" => e.avtaleforhold_gyldighet_path,
        query => format!("/graphql ({query})"),
    }
}

/// Turns the test data's values back into placeholders and hides other valid person ids and orgnrs.
pub struct Cleaner {
    /// (value, placeholder), longest value first.
    values: Vec<(String, String)>,
}

static DIGITS: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\d{9,}").expect("static regex"));

impl Cleaner {
    pub fn new(testdata: &[TestData]) -> Cleaner {
        let mut values = Vec::new();
        for td in testdata {
            for field in ["Identifikator", "Navn", "Avtalereferanse"] {
                if let Some(v) = td.field(field).filter(|v| v.trim().len() >= 3) {
                    values.push((v.trim().to_string(), format!("{{{}.{field}}}", td.r#ref)));
                }
            }
        }
        values.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        Cleaner { values }
    }

    pub fn clean(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (v, p) in &self.values {
            s = s.replace(v.as_str(), p);
        }
        // A run of digits that is no valid person id or orgnr (a deliberately malformed input) is nobody's:
        // it stays, so the replay sends the same.
        DIGITS
            .replace_all(&s, |c: &regex::Captures| {
                let d = &c[0];
                if crate::ids::is_valid_person_id(d) || crate::ids::is_valid_orgnr(d) {
                    format!("<digits:{}>", d.len())
                } else {
                    d.to_string()
                }
            })
            .into_owned()
    }
}

/// The `case` line of a workbook case, its inputs cleaned.
pub fn case_line(c: &Case, cleaner: &Cleaner) -> Line {
    Line::Case {
        id: c.id.clone(),
        mandatory: c.mandatory,
        steps: c
            .steps
            .iter()
            .map(|s| CaseStepLine {
                step: s.step,
                operation: s.operation.clone(),
                inputs: cleaner.clean(&s.inputs),
                expected_http: s.expected_http.clone(),
                expected_code: s.expected_code.clone(),
            })
            .collect(),
    }
}

/// The event-stream consumer that writes `capture.jsonl`.
pub struct Capture {
    out: std::io::BufWriter<std::fs::File>,
    /// (case, step) -> the step's cleaned inputs.
    inputs: HashMap<(String, u32), Vec<(String, String)>>,
    /// (case, step, attempt) -> (operation, method), from `attempt_started`.
    started: HashMap<(String, u32, u32), (String, String)>,
}

/// What a capture records about its run.
pub struct RunInfo<'a> {
    pub run_id: &'a str,
    pub env: &'a str,
    pub today: chrono::NaiveDate,
}

/// The inputs of every step, by (case, step), cleaned and split into key/value pairs.
pub type StepInputs = HashMap<(String, u32), Vec<(String, String)>>;

impl Capture {
    /// Open `capture.jsonl` in `dir`; a new file starts with the run and `cases` (their `case` lines), an
    /// existing one (a resumed run) is appended to. `inputs` are the steps' inputs for the exchange lines.
    pub fn create(
        dir: &Path,
        run: &RunInfo,
        cases: &[Line],
        inputs: StepInputs,
    ) -> std::io::Result<Capture> {
        let path = dir.join(CAPTURE_FILE);
        let fresh = !path.exists();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let mut cap = Capture {
            out: std::io::BufWriter::new(file),
            inputs,
            started: HashMap::new(),
        };
        if fresh {
            cap.line(&Line::Capture {
                format: 1,
                harness_version: crate::VERSION.to_string(),
                run_id: run.run_id.to_string(),
                env: run.env.to_string(),
                today: run.today,
            })?;
            for c in cases {
                cap.line(c)?;
            }
            cap.out.flush()?;
        }
        Ok(cap)
    }

    fn line(&mut self, l: &Line) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, l)?;
        self.out.write_all(b"\n")
    }
}

impl EventSink for Capture {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        match e {
            Event::AttemptStarted {
                case_id,
                step,
                attempt,
                operation,
                method,
                ..
            } => {
                self.started.insert(
                    (case_id.clone(), *step, *attempt),
                    (operation.clone(), method.clone()),
                );
                Ok(())
            }
            Event::AttemptFinished {
                case_id,
                step,
                attempt,
                http,
                code,
                error,
                shape,
                ..
            } => {
                let (operation, method) = self
                    .started
                    .remove(&(case_id.clone(), *step, *attempt))
                    .unwrap_or_default();
                let ex = Exchange {
                    case_id: case_id.clone(),
                    step: *step,
                    attempt: *attempt,
                    path: path_template(&operation),
                    operation,
                    method,
                    inputs: self
                        .inputs
                        .get(&(case_id.clone(), *step))
                        .cloned()
                        .unwrap_or_default(),
                    status: *http,
                    code: code.clone(),
                    no_answer: http.is_none() && error.is_some(),
                    shape: shape.clone(),
                };
                self.line(&Line::Exchange(ex))?;
                self.out.flush()
            }
            Event::RunFinished { .. } => self.out.flush(),
            _ => Ok(()),
        }
    }
}

/// A capture file, read.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    pub run_id: String,
    pub env: String,
    pub today: Option<chrono::NaiveDate>,
    pub cases: Vec<(String, bool, Vec<CaseStepLine>)>,
    pub exchanges: Vec<Exchange>,
}

/// Read a capture file; the error names the file and the line.
pub fn read(path: &Path) -> Result<Captured, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e} (was the run made with --capture?)",
            path.display()
        )
    })?;
    let mut c = Captured::default();
    for (n, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: Line = serde_json::from_str(l).map_err(|e| {
            format!(
                "{} line {}: not a capture line of dsop-harness: {e}",
                path.display(),
                n + 1
            )
        })?;
        match line {
            Line::Capture {
                run_id, env, today, ..
            } => {
                c.run_id = run_id;
                c.env = env;
                c.today = Some(today);
            }
            Line::Case {
                id,
                mandatory,
                steps,
            } => c.cases.push((id, mandatory, steps)),
            Line::Exchange(e) => c.exchanges.push(e),
        }
    }
    if c.today.is_none() {
        return Err(format!(
            "{}: no capture line at the start (is it a capture file of dsop-harness?)",
            path.display()
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaner_restores_placeholders_and_hides_digits() {
        let td = TestData {
            r#ref: "TD-P-01".into(),
            identifikator: "01010112345".into(),
            navn: "Kari Nordmann".into(),
            ..Default::default()
        };
        let c = Cleaner::new(&[td]);
        assert_eq!(
            c.clean("personidentifikator=01010112345; navn=Kari Nordmann; x=310000205; m={M}; y=12345678901"),
            "personidentifikator={TD-P-01.Identifikator}; navn={TD-P-01.Navn}; x=<digits:9>; m={M}; y=12345678901"
        );
    }
}
