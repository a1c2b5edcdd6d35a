//! Every reader-facing sentence the runner produces, one file per language (`nb.rs`, `en.rs`): typed notes
//! ([`crate::note`]) are worded here, in the report's language, when the `RunReport` is built.

mod en;
mod nb;

use crate::model::{CaseResult, Lang, Status, StepResult};
use crate::note::{Note, RunNote};

/// One note in `lang`.
pub fn note(n: &Note, lang: Lang) -> String {
    match lang {
        Lang::Nb => nb::note(n),
        Lang::En => en::note(n),
    }
}

/// Several notes, joined.
pub fn notes(ns: &[Note], lang: Lang) -> String {
    ns.iter()
        .map(|n| note(n, lang))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A run-level note in `lang`.
pub fn run_note(n: &RunNote, lang: Lang) -> String {
    match lang {
        Lang::Nb => nb::run_note(n),
        Lang::En => en::run_note(n),
    }
}

fn step_prefix(step: u32, lang: Lang) -> String {
    match lang {
        Lang::Nb => format!("steg {step}: "),
        Lang::En => format!("step {step}: "),
    }
}

/// `head`, then (when there is one) `: ` and the cause: another case's own note, its deciding step's number
/// first when it had several.
fn with_cause(head: String, step: Option<u32>, cause: &[Note], lang: Lang) -> String {
    if cause.is_empty() {
        return head;
    }
    let step = step.map(|n| step_prefix(n, lang)).unwrap_or_default();
    format!("{head}: {step}{}", notes(cause, lang))
}

/// The step that decides a case: the first that is not ok, else the last.
pub fn deciding_step(steps: &[StepResult]) -> Option<&StepResult> {
    steps
        .iter()
        .find(|s| s.status != Status::Ok)
        .or(steps.last())
}

/// The note of a case: its own notes (a case decided without a call), else the deciding step's, prefixed
/// with the step number when the case has several steps.
pub fn case_note(c: &CaseResult, lang: Lang) -> Option<String> {
    if !c.notes.is_empty() {
        return Some(notes(&c.notes, lang));
    }
    let d = deciding_step(&c.steps)?;
    if d.notes.is_empty() {
        return d.note.clone();
    }
    let text = notes(&d.notes, lang);
    Some(if c.steps.len() > 1 {
        step_prefix(d.step, lang) + &text
    } else {
        text
    })
}

/// Word a case's typed notes (and its steps') into its `note` fields, in `lang`. The typed notes are then
/// dropped: the reports carry the worded text only.
pub fn word_case(c: &mut CaseResult, lang: Lang) {
    if !c.notes.is_empty() || c.steps.iter().any(|s| !s.notes.is_empty()) {
        c.note = case_note(c, lang);
    }
    let deciding = match c.notes.is_empty() {
        true => deciding_step(&c.steps)
            .map(|s| s.notes.as_slice())
            .unwrap_or_default(),
        false => c.notes.as_slice(),
    };
    if let Some(r) = deciding.iter().find_map(|n| n.reason()) {
        c.reason = Some(r.to_string());
    }
    for s in &mut c.steps {
        if !s.notes.is_empty() {
            s.note = Some(notes(&s.notes, lang));
        }
        s.notes.clear();
    }
    c.notes.clear();
}
