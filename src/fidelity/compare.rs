//! `dsop-harness fidelity RUN_DIR`: the differences in status, code and shape between a capture and its replay
//! against the bundled simulator (`crate::run::fidelity`), as a table for the maintainers or JSON.

use super::capture::{Captured, Exchange};
use super::shape;
use serde::Serialize;
use std::collections::BTreeMap;

/// One difference between the capture and the simulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub case_id: String,
    pub step: u32,
    pub operation: String,
    pub path: String,
    /// `exchange`, `status`, `code` or `shape`.
    pub aspect: String,
    /// For a shape: where in the body (`.field[].field`); else empty.
    pub field: String,
    pub captured: String,
    pub simulator: String,
}

/// The comparison of a capture with the simulator.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub run_id: String,
    pub env: String,
    pub today: Option<chrono::NaiveDate>,
    /// The switches the simulator ran with (`name=value`; empty: every default).
    pub switches: Vec<String>,
    /// Steps compared (those with an exchange on either side).
    pub steps: usize,
    pub differences: Vec<Difference>,
}

/// The last attempt of every step, by (case, step).
fn last_attempts(c: &Captured) -> BTreeMap<(String, u32), &Exchange> {
    let mut m = BTreeMap::new();
    for e in &c.exchanges {
        let k = (e.case_id.clone(), e.step);
        if m.get(&k)
            .is_none_or(|old: &&Exchange| old.attempt <= e.attempt)
        {
            m.insert(k, e);
        }
    }
    m
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// The steps compared and every difference, in the capture's case order.
pub fn compare(captured: &Captured, sim: &Captured) -> (usize, Vec<Difference>) {
    let (left, right) = (last_attempts(captured), last_attempts(sim));
    let mut keys: Vec<(String, u32)> = Vec::new();
    for (id, _, steps) in &captured.cases {
        for s in steps {
            keys.push((id.clone(), s.step));
        }
    }
    for k in left.keys().chain(right.keys()) {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    let mut out = Vec::new();
    let mut steps = 0;
    for k in keys {
        let (l, r) = (left.get(&k).copied(), right.get(&k).copied());
        let Some(any) = l.or(r) else { continue };
        steps += 1;
        let row = |aspect: &str, field: &str, captured: String, simulator: String| Difference {
            case_id: k.0.clone(),
            step: k.1,
            operation: any.operation.clone(),
            path: any.path.clone(),
            aspect: aspect.into(),
            field: field.into(),
            captured,
            simulator,
        };
        let (Some(l), Some(r)) = (l, r) else {
            let sent = |e: Option<&Exchange>| if e.is_some() { "sent" } else { "not sent" };
            out.push(row("exchange", "", sent(l).into(), sent(r).into()));
            continue;
        };
        if l.status != r.status {
            let s = |e: &Exchange| {
                if e.no_answer {
                    "no answer".into()
                } else {
                    opt(e.status)
                }
            };
            out.push(row("status", "", s(l), s(r)));
        }
        if l.code != r.code {
            out.push(row("code", "", opt(l.code.clone()), opt(r.code.clone())));
        }
        match (&l.shape, &r.shape) {
            (Some(a), Some(b)) => {
                for d in shape::diff(a, b) {
                    out.push(row("shape", &d.path, d.left, d.right));
                }
            }
            (None, None) => {}
            (a, b) => {
                let d = |s: &Option<serde_json::Value>| {
                    s.as_ref().map_or("no JSON body".into(), shape::describe)
                };
                out.push(row("shape", ".", d(a), d(b)));
            }
        }
    }
    (steps, out)
}

impl Comparison {
    /// The comparison as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The table for the terminal and for the maintainers.
    pub fn render(&self) -> String {
        let mut s = format!(
            "Fidelity: capture of run {} (env {}, today {}) against the bundled simulator, switches: {}\n",
            self.run_id,
            self.env,
            opt(self.today),
            if self.switches.is_empty() {
                "defaults".to_string()
            } else {
                self.switches.join(", ")
            }
        );
        if self.differences.is_empty() {
            s.push_str(&format!("{} steps compared: no differences\n", self.steps));
            return s;
        }
        s.push_str(&format!(
            "{} steps compared: {} differences\n\n",
            self.steps,
            self.differences.len()
        ));
        let head = [
            "Case",
            "Step",
            "Operation",
            "Aspect",
            "Field",
            "Captured",
            "Simulator",
        ];
        let rows: Vec<[String; 7]> = self
            .differences
            .iter()
            .map(|d| {
                [
                    d.case_id.clone(),
                    d.step.to_string(),
                    d.operation.clone(),
                    d.aspect.clone(),
                    d.field.clone(),
                    d.captured.clone(),
                    d.simulator.clone(),
                ]
            })
            .collect();
        let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&w)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            padded.join("  ").trim_end().to_string() + "\n"
        };
        s.push_str(&line(head.to_vec()));
        s.push_str(&line(
            w.iter()
                .map(|n| "-".repeat(*n))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect(),
        ));
        for r in &rows {
            s.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        s
    }
}
