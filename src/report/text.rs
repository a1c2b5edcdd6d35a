//! Text helpers shared by the reporters: Oslo times, escaping, masking and the last-line secret scrub.

use crate::model::{RunReport, Status};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Oslo;
use std::sync::OnceLock;

/// `2026-11-26 10:15:03 (+01:00)`: a UTC instant shown in Europe/Oslo with its offset.
pub fn oslo_datetime(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Oslo)
        .format("%Y-%m-%d %H:%M:%S (%:z)")
        .to_string()
}

/// `10:15:03`: the Oslo wall-clock time only.
pub fn oslo_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Oslo).format("%H:%M:%S").to_string()
}

/// `2026-11-26`: the Oslo calendar date.
pub fn oslo_date(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Oslo).format("%Y-%m-%d").to_string()
}

/// A duration in ms as `850 ms` or `12.3 s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// The placeholder shown for a missing value.
pub const DASH: &str = "–";

pub fn or_dash(s: Option<&str>) -> String {
    match s {
        Some(v) if !v.trim().is_empty() => v.to_string(),
        _ => DASH.to_string(),
    }
}

/// `404 / IM-008`, `200`, or a dash when nothing came back.
pub fn actual(http: Option<u16>, code: Option<&str>) -> String {
    match (http, code.filter(|c| !c.is_empty())) {
        (Some(h), Some(c)) => format!("{h} / {c}"),
        (Some(h), None) => h.to_string(),
        (None, Some(c)) => c.to_string(),
        (None, None) => DASH.to_string(),
    }
}

/// A CSS class / colour bucket per status.
pub fn status_class(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Deviation => "deviation",
        Status::EnvironmentError => "envfail",
        Status::NotRun | Status::NotApplicable => "other",
    }
}

/// The docx cell fill (hex RGB) per status.
pub fn status_fill(s: Status) -> &'static str {
    match s {
        Status::Ok => "C6EFCE",
        Status::Deviation => "FFC7CE",
        Status::EnvironmentError => "FFD8A8",
        Status::NotRun | Status::NotApplicable => "E7E6E6",
    }
}

/// Escape text for XML (and HTML) element content and attribute values. Characters XML 1.0 forbids
/// (most C0 controls) are dropped; line breaks become spaces.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Drop the characters XML 1.0 forbids (most C0 controls, U+FFFE/U+FFFF), keeping tabs and line breaks.
/// For text that a writer escapes itself (quick-xml).
pub fn xml_clean(s: &str) -> String {
    s.chars()
        .filter(|c| {
            matches!(c, '\t' | '\n' | '\r')
                || (*c as u32 >= 0x20 && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        })
        .collect()
}

/// Remove whatever looks like a credential from free text: JWTs, `Bearer …` values and PEM blocks.
/// The run should never put such things in a note; this is the last line of defence before a report leaves.
pub fn scrub(s: &str) -> String {
    static RES: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            (
                r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
                "[key removed]",
            ),
            (r"[A-Z ]*PRIVATE KEY", "[key removed]"),
            (r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+", "[token removed]"),
            (r"(?i)bearer\s", "[token removed] "),
            (r"eyJ[A-Za-z0-9_-]*\.?[A-Za-z0-9._-]*", "[token removed]"),
        ]
        .into_iter()
        .filter_map(|(p, r)| regex::Regex::new(p).ok().map(|re| (re, r)))
        .collect()
    });
    let mut out = s.to_string();
    for (re, rep) in res {
        if re.is_match(&out) {
            out = re.replace_all(&out, *rep).into_owned();
        }
    }
    out
}

/// Apply `f` to every free-text field of the report (not to ids, codes or structural fields).
fn map_texts(report: &mut RunReport, f: &dyn Fn(&str) -> String) {
    map_run_texts(&mut report.notes, &mut report.context, f);
    for c in report.cases.iter_mut() {
        map_case_texts(c, f);
    }
}

/// [`map_texts`] of the run's own texts: its notes and the context (Info sheet, test data).
fn map_run_texts(
    notes: &mut [String],
    context: &mut crate::model::RunContext,
    f: &dyn Fn(&str) -> String,
) {
    for n in notes.iter_mut() {
        *n = f(n);
    }
    for (_, v) in context.info.iter_mut() {
        *v = f(v);
    }
    for td in context.testdata.iter_mut() {
        td.identifikator = f(&td.identifikator);
        td.navn = f(&td.navn);
        for e in td.egenskaper.iter_mut() {
            *e = f(e);
        }
    }
}

/// [`map_texts`] of one case's texts.
fn map_case_texts(c: &mut crate::model::CaseResult, f: &dyn Fn(&str) -> String) {
    let opt = |o: &mut Option<String>| {
        if let Some(s) = o.as_mut() {
            *s = f(s);
        }
    };
    c.description = f(&c.description);
    c.expected = f(&c.expected);
    opt(&mut c.note);
    for s in c.steps.iter_mut() {
        s.expected = f(&s.expected);
        opt(&mut s.note);
        opt(&mut s.summary);
    }
}

/// The report every format is rendered from: credentials scrubbed from free text always, personal ids masked
/// with `mask_ids`. The caller's report is untouched; it is copied only when a text changes (else borrowed:
/// the results of a large run are not held twice).
pub fn prepare(report: &RunReport, mask_ids: bool) -> std::borrow::Cow<'_, RunReport> {
    let f = |s: &str| {
        let out = scrub(s);
        if mask_ids {
            crate::ids::mask_person_ids_in(&out)
        } else {
            out
        }
    };
    let changed = std::cell::Cell::new(false);
    let check = |s: &str| {
        let out = f(s);
        if out != s {
            changed.set(true);
        }
        out
    };
    // Would any text change? The run's texts and then one case at a time are tried on a copy.
    map_run_texts(
        &mut report.notes.clone(),
        &mut report.context.clone(),
        &check,
    );
    for c in &report.cases {
        if changed.get() {
            break;
        }
        map_case_texts(&mut c.clone(), &check);
    }
    if !changed.get() {
        return std::borrow::Cow::Borrowed(report);
    }
    let mut r = report.clone();
    map_texts(&mut r, &f);
    std::borrow::Cow::Owned(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oslo_offsets() {
        let winter: DateTime<Utc> = "2026-11-26T09:15:03Z".parse().unwrap();
        assert_eq!(oslo_datetime(&winter), "2026-11-26 10:15:03 (+01:00)");
        let summer: DateTime<Utc> = "2026-06-26T09:15:03Z".parse().unwrap();
        assert_eq!(oslo_datetime(&summer), "2026-06-26 11:15:03 (+02:00)");
    }

    #[test]
    fn escapes_and_drops_controls() {
        assert_eq!(
            escape_xml("a<b>&\"c'\u{1}\nd"),
            "a&lt;b&gt;&amp;&quot;c&apos; d"
        );
    }

    #[test]
    fn scrubs_credentials() {
        let s = scrub("got Bearer abc.def and eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig and -----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY----- ok");
        assert!(!s.contains("eyJ"), "{s}");
        assert!(!s.contains("Bearer "), "{s}");
        assert!(!s.contains("PRIVATE KEY"), "{s}");
        assert!(s.ends_with(" ok"), "{s}");
        assert_eq!(
            scrub("404 / IM-008 for 12838510068"),
            "404 / IM-008 for 12838510068"
        );
    }
}
