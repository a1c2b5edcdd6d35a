//! The terminal table: check, result, what to do (and whom to ask).

use super::{CheckStatus, DoctorReport};
use crate::model::Lang;

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    for _ in width(s)..w {
        out.push(' ');
    }
    out
}

/// Render the report as a plain-text table; long details and actions go on their own indented lines.
pub fn table(r: &DoctorReport, lang: Lang) -> String {
    let (h_check, h_result, h_todo, h_ask) = match lang {
        Lang::Nb => ("Sjekk", "Resultat", "Hva du gjør", "spør"),
        Lang::En => ("Check", "Result", "What to do", "ask"),
    };
    let name_w = r
        .checks
        .iter()
        .map(|c| width(&c.name))
        .chain([width(h_check)])
        .max()
        .unwrap_or(10);
    let status_w = r
        .checks
        .iter()
        .map(|c| width(c.status.label(lang)))
        .chain([width(h_result)])
        .max()
        .unwrap_or(8);
    let mut out = String::new();
    out.push_str(&format!(
        "{}  {}  {}\n",
        pad(h_check, name_w),
        pad(h_result, status_w),
        h_todo
    ));
    out.push_str(&format!(
        "{}  {}  {}\n",
        "-".repeat(name_w),
        "-".repeat(status_w),
        "-".repeat(width(h_todo).max(10))
    ));
    let mut group = None;
    for c in &r.checks {
        if group != Some(c.group) {
            out.push_str(&format!("[{}]\n", c.group.label(lang)));
            group = Some(c.group);
        }
        let todo = if c.action.is_empty() {
            String::new()
        } else {
            match c.who {
                Some(w) => format!("{} ({h_ask}: {})", c.action, w.label(lang)),
                None => c.action.clone(),
            }
        };
        out.push_str(&format!(
            "{}  {}  {}\n",
            pad(&c.name, name_w),
            pad(c.status.label(lang), status_w),
            c.detail
        ));
        if !todo.is_empty() {
            out.push_str(&format!(
                "{}  {}  → {}\n",
                " ".repeat(name_w),
                " ".repeat(status_w),
                todo
            ));
        }
    }
    let count = |s: CheckStatus| r.checks.iter().filter(|c| c.status == s).count();
    let (fail, warn, pass, skip) = (
        count(CheckStatus::Fail),
        count(CheckStatus::Warn),
        count(CheckStatus::Pass),
        count(CheckStatus::Skip),
    );
    out.push_str(&match lang {
        Lang::Nb => format!(
            "\n{pass} OK, {warn} advarsler, {fail} feil, {skip} ikke sjekket{}\n",
            if fail == 0 {
                " — klar for integrasjonstesten"
            } else {
                ""
            }
        ),
        Lang::En => format!(
            "\n{pass} passed, {warn} warnings, {fail} failed, {skip} skipped{}\n",
            if fail == 0 {
                " — ready for the integration test"
            } else {
                ""
            }
        ),
    });
    out
}
