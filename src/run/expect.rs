//! Expectations: HTTP status (exact, class, alternatives), status paired with an error code
//! (`404:IM-008 | 4xx:IM-010`), inferred codes marked `?` (`403:IM-005?`).

use crate::note::Note;
use std::fmt;

/// `200`, `2xx` (a class), or any status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusMatch {
    Exact(u16),
    Class(u16),
}

impl StatusMatch {
    pub fn parse(s: &str) -> Result<StatusMatch, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("{s:?} is not an HTTP status: write e.g. 200, 2xx or 401|403");
        if t.len() != 3 {
            return Err(bad());
        }
        if let Some(d) = t.strip_suffix("xx") {
            let c: u16 = d.parse().map_err(|_| bad())?;
            return if (1..=5).contains(&c) {
                Ok(StatusMatch::Class(c))
            } else {
                Err(bad())
            };
        }
        let n: u16 = t.parse().map_err(|_| bad())?;
        if (100..=599).contains(&n) {
            Ok(StatusMatch::Exact(n))
        } else {
            Err(bad())
        }
    }

    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusMatch::Exact(n) => n == status,
            StatusMatch::Class(c) => status / 100 == c,
        }
    }

    /// The class this match covers (2 for 200 and 2xx).
    pub fn class(self) -> u16 {
        match self {
            StatusMatch::Exact(n) => n / 100,
            StatusMatch::Class(c) => c,
        }
    }
}

impl fmt::Display for StatusMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusMatch::Exact(n) => write!(f, "{n}"),
            StatusMatch::Class(c) => write!(f, "{c}xx"),
        }
    }
}

/// An expected error code; `inferred` when written with a trailing `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeMatch {
    pub code: String,
    pub inferred: bool,
}

/// One alternative: a status, a code, or both together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alternative {
    pub status: Option<StatusMatch>,
    pub code: Option<CodeMatch>,
}

impl fmt::Display for Alternative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.status, &self.code) {
            (Some(s), Some(c)) => write!(f, "{s}:{}{}", c.code, if c.inferred { "?" } else { "" }),
            (Some(s), None) => write!(f, "{s}"),
            (None, Some(c)) => write!(f, "{}{}", c.code, if c.inferred { "?" } else { "" }),
            (None, None) => f.write_str("*"),
        }
    }
}

/// What a step expects of status and code.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Expectation {
    pub alternatives: Vec<Alternative>,
}

fn is_code(s: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^[A-Z]{2,3}-\d{3}$").expect("static regex")
    });
    RE.is_match(s)
}

impl Expectation {
    /// Parse the two machine columns. Either may be empty, not both.
    pub fn parse(http: &str, code: &str) -> Result<Expectation, String> {
        let mut statuses = Vec::new();
        for part in http.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            statuses.push(StatusMatch::parse(part)?);
        }
        let mut codes: Vec<(Option<StatusMatch>, CodeMatch)> = Vec::new();
        // A bare status in the code column (`200 | 404:IM-008`) is an alternative without a code.
        let mut bare: Vec<StatusMatch> = Vec::new();
        for part in code.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            if let Ok(st) = StatusMatch::parse(part) {
                bare.push(st);
                continue;
            }
            let (st, c) = match part.split_once(':') {
                Some((s, c)) => (Some(StatusMatch::parse(s)?), c.trim()),
                None => (None, part),
            };
            let (c, inferred) = match c.strip_suffix('?') {
                Some(c) => (c.trim(), true),
                None => (c, false),
            };
            let c = c.to_ascii_uppercase();
            if !is_code(&c) {
                return Err(format!(
                    "{part:?} is not an error code: write e.g. OTP-006, AA-101, or a status paired with a code such as 404:IM-008 | 4xx:IM-010"
                ));
            }
            codes.push((st, CodeMatch { code: c, inferred }));
        }
        let mut alternatives: Vec<Alternative> = Vec::new();
        let unpaired = codes.iter().any(|(st, _)| st.is_none());
        for (st, c) in &codes {
            match st {
                Some(s) => {
                    if !statuses.is_empty() && !statuses.iter().any(|x| x.class() == s.class()) {
                        return Err(format!(
                            "the code {}:{} pairs a status that 'Forventet HTTP-status' ({http}) does not allow",
                            s, c.code
                        ));
                    }
                    alternatives.push(Alternative {
                        status: Some(*s),
                        code: Some(c.clone()),
                    })
                }
                None if statuses.is_empty() => alternatives.push(Alternative {
                    status: None,
                    code: Some(c.clone()),
                }),
                None => alternatives.extend(statuses.iter().map(|s| Alternative {
                    status: Some(*s),
                    code: Some(c.clone()),
                })),
            }
        }
        // A status of the HTTP column that no code is paired with stands alone (`200|404` with `404:IM-008`
        // means `200 | 404:IM-008`); with an unpaired code every status carries that code.
        if !unpaired {
            for s in &statuses {
                let paired = codes
                    .iter()
                    .any(|(st, _)| st.is_some_and(|x| x.class() == s.class()));
                if !paired {
                    alternatives.push(Alternative {
                        status: Some(*s),
                        code: None,
                    });
                }
            }
        }
        alternatives.extend(bare.into_iter().map(|s| Alternative {
            status: Some(s),
            code: None,
        }));
        if alternatives.is_empty() {
            return Err("no expectation: fill 'Forventet HTTP-status' (e.g. 200) or 'Forventet feilkode' (e.g. 404:IM-008)".into());
        }
        Ok(Expectation { alternatives })
    }

    /// The expectation written back, e.g. `404:IM-008 | 4xx:IM-010`.
    pub fn text(&self) -> String {
        self.alternatives
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The status part, for `expected_http` in results.json.
    pub fn http_text(&self) -> Option<String> {
        let mut v: Vec<String> = Vec::new();
        for a in &self.alternatives {
            if let Some(s) = a.status {
                let t = s.to_string();
                if !v.contains(&t) {
                    v.push(t);
                }
            }
        }
        (!v.is_empty()).then(|| v.join("|"))
    }

    /// The code part, for `expected_code` in results.json.
    pub fn code_text(&self) -> Option<String> {
        let mut v: Vec<String> = Vec::new();
        for a in &self.alternatives {
            if let Some(c) = &a.code {
                if !v.contains(&c.code) {
                    v.push(c.code.clone());
                }
            }
        }
        (!v.is_empty()).then(|| v.join("|"))
    }

    pub fn expects_class(&self, class: u16) -> bool {
        self.alternatives
            .iter()
            .any(|a| a.status.map(|s| s.class()) == Some(class))
    }

    pub fn expects_code(&self) -> bool {
        self.alternatives.iter().any(|a| a.code.is_some())
    }
}

/// How an actual (status, code) compares with an expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// An alternative matched; the note (if any) says something worth knowing.
    Yes { note: Option<Note> },
    /// Nothing matched; the note explains.
    No { note: Note },
}

/// Compare a status and code with the expectation. `errors_present` is NAV's non-empty `errors` list.
pub fn match_status(
    exp: &Expectation,
    status: u16,
    code: Option<&str>,
    all_codes: &[String],
) -> Match {
    let has = |c: &str| code == Some(c) || all_codes.iter().any(|x| x == c);
    for a in &exp.alternatives {
        let st_ok = a.status.map(|s| s.matches(status)).unwrap_or(true);
        match &a.code {
            None if st_ok => return Match::Yes { note: None },
            Some(c) if st_ok && has(&c.code) => {
                // The documented IM-008/IM-010 conflict (§1.4.3): both mean "no income" for otp.
                let note = match c.code.as_str() {
                    "IM-010"
                        if exp
                            .alternatives
                            .iter()
                            .any(|x| x.code.as_ref().is_some_and(|y| y.code == "IM-008")) =>
                    {
                        Some(Note::Im010AsNoIncome)
                    }
                    "IM-008"
                        if exp
                            .alternatives
                            .iter()
                            .any(|x| x.code.as_ref().is_some_and(|y| y.code == "IM-010")) =>
                    {
                        Some(Note::Im008NotIm010)
                    }
                    _ => None,
                };
                return Match::Yes { note };
            }
            _ => {}
        }
    }
    // An inferred code with the right status is OK, with a note.
    for a in &exp.alternatives {
        if let (Some(s), Some(c)) = (a.status, &a.code) {
            if c.inferred && s.matches(status) {
                return Match::Yes {
                    note: Some(Note::InferredCode {
                        code: c.code.clone(),
                        got: code.map(str::to_string),
                        status,
                    }),
                };
            }
        }
    }
    // The right status class with another exact code: a deviation with a note.
    let class_ok = exp
        .alternatives
        .iter()
        .any(|a| a.status.is_some_and(|s| s.class() == status / 100));
    let got = match code {
        Some(c) => format!("{status} {c}"),
        None => format!("{status}"),
    };
    Match::No {
        note: Note::Mismatch {
            expected: exp.text(),
            got,
            class_ok,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let e = Expectation::parse("", "404:IM-008 | 4xx:IM-010").unwrap();
        assert_eq!(e.text(), "404:IM-008 | 4xx:IM-010");
        assert!(matches!(
            match_status(&e, 404, Some("IM-008"), &[]),
            Match::Yes { .. }
        ));
        assert!(matches!(
            match_status(&e, 403, Some("IM-010"), &[]),
            Match::Yes { note: Some(_) }
        ));
        assert!(matches!(
            match_status(&e, 404, Some("IM-007"), &[]),
            Match::No { .. }
        ));
        let e = Expectation::parse("401|403", "").unwrap();
        assert!(matches!(
            match_status(&e, 403, Some("IM-005"), &[]),
            Match::Yes { .. }
        ));
        assert!(matches!(match_status(&e, 400, None, &[]), Match::No { .. }));
        let e = Expectation::parse("2xx", "").unwrap();
        assert!(matches!(
            match_status(&e, 204, None, &[]),
            Match::Yes { .. }
        ));
        let e = Expectation::parse("", "403:IM-005?").unwrap();
        assert!(matches!(
            match_status(&e, 403, Some("DAS-008"), &[]),
            Match::Yes { note: Some(_) }
        ));
        let e = Expectation::parse("200", "AA-101").unwrap();
        assert_eq!(e.text(), "200:AA-101");
        assert!(matches!(
            match_status(&e, 200, Some("AA-101"), &[]),
            Match::Yes { .. }
        ));
        assert!(Expectation::parse("2000", "").is_err());
        assert!(Expectation::parse("", "IM8").is_err());
        assert!(Expectation::parse("", "").is_err());
        let e = Expectation::parse("200|404", "404:IM-008").unwrap();
        assert_eq!(e.text(), "404:IM-008 | 200");
        assert!(matches!(
            match_status(&e, 200, None, &[]),
            Match::Yes { .. }
        ));
        assert!(matches!(
            match_status(&e, 404, Some("IM-007"), &[]),
            Match::No { .. }
        ));
        let e = Expectation::parse("", "200 | 404:IM-008").unwrap();
        assert!(matches!(
            match_status(&e, 200, None, &[]),
            Match::Yes { .. }
        ));
    }
}
