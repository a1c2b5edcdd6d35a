//! Field assertions on JSON answers, one per line, on top of RFC 9535 JSONPath (serde_json_path):
//!
//! ```text
//! $.opplysningspliktig.norskIdentifikator == 310000108
//! count($.inntektsmottaker) >= 1
//! $.skjermet != true
//! any $.inntektsmottaker[*].personidentifikator == 12838510068
//! all $.oppgaveInntektsmottaker[*].kalendermaaned matches /^\d{4}-\d{2}$/
//! $.access_token exists
//! $.errors not exists
//! $.scope contains inntekt
//! ```
//!
//! Without a quantifier every selected node must satisfy the test and at least one must be selected
//! (`!=` and `not exists` also hold when nothing is selected). `any`: at least one node satisfies it.
//! `all`: at least one node is selected and every one satisfies it. Values are JSON literals
//! (`true`, `12`, `"text"`) or bare text; a number and a string compare by their text, so ids match either way.

use serde_json::Value;
use serde_json_path::JsonPath;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    Default,
    Any,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    Matches,
    Exists,
    NotExists,
}

/// One parsed assertion. Its compiled parts (JSONPath, value, pattern) are shared by the clones that
/// [`AssertionCache`] hands out, so a line repeated in 10,000 cases is compiled and held once.
#[derive(Clone, Debug)]
pub struct Assertion {
    pub text: String,
    compiled: Arc<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    quantifier: Quantifier,
    count: bool,
    path: JsonPath,
    op: Op,
    value: Option<Value>,
    regex: Option<regex::Regex>,
}

/// Parses assertions for one plan: each distinct line is parsed once and each distinct `matches /…/`
/// pattern compiled once; a line seen again gets a clone sharing the compiled parts (or the same error,
/// which the caller reports at the cell it came from).
#[derive(Debug, Default)]
pub struct AssertionCache {
    lines: HashMap<String, Result<Assertion, String>>,
    patterns: HashMap<String, Result<regex::Regex, String>>,
}

impl AssertionCache {
    pub fn new() -> AssertionCache {
        AssertionCache::default()
    }

    /// [`Assertion::parse`], once per distinct (trimmed) line.
    pub fn parse(&mut self, line: &str) -> Result<Assertion, String> {
        let line = line.trim();
        if let Some(r) = self.lines.get(line) {
            return r.clone();
        }
        let patterns = &mut self.patterns;
        let r = Assertion::parse_with(line, &mut |pat| {
            patterns
                .entry(pat.to_string())
                .or_insert_with(|| regex::Regex::new(pat).map_err(|e| e.to_string()))
                .clone()
        });
        self.lines.insert(line.to_string(), r.clone());
        r
    }

    /// How many distinct patterns were compiled.
    pub fn patterns_compiled(&self) -> usize {
        self.patterns.len()
    }
}

impl PartialEq for Assertion {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

const OPS: [(&str, Op); 8] = [
    (" == ", Op::Eq),
    (" != ", Op::Ne),
    (" >= ", Op::Ge),
    (" <= ", Op::Le),
    (" > ", Op::Gt),
    (" < ", Op::Lt),
    (" contains ", Op::Contains),
    (" matches ", Op::Matches),
];

fn parse_value(s: &str) -> Value {
    let t = s.trim();
    serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string()))
}

impl Assertion {
    /// Parse one line (compiling its pattern, if any; [`AssertionCache::parse`] compiles each pattern once).
    pub fn parse(line: &str) -> Result<Assertion, String> {
        Self::parse_with(line, &mut |pat| {
            regex::Regex::new(pat).map_err(|e| e.to_string())
        })
    }

    fn parse_with(
        line: &str,
        compile: &mut dyn FnMut(&str) -> Result<regex::Regex, String>,
    ) -> Result<Assertion, String> {
        let text = line.trim().to_string();
        let mut rest = text.as_str();
        let mut quantifier = Quantifier::Default;
        for (w, q) in [("any ", Quantifier::Any), ("all ", Quantifier::All)] {
            if let Some(r) = rest.strip_prefix(w) {
                quantifier = q;
                rest = r.trim_start();
            }
        }
        let (lhs, op, rhs) = if let Some(l) = rest.strip_suffix(" not exists") {
            (l, Op::NotExists, None)
        } else if let Some(l) = rest.strip_suffix(" exists") {
            (l, Op::Exists, None)
        } else {
            let found = OPS
                .iter()
                .filter_map(|(t, op)| rest.find(t).map(|i| (i, *t, *op)))
                .min_by_key(|(i, _, _)| *i);
            match found {
                Some((i, t, op)) => (&rest[..i], op, Some(rest[i + t.len()..].trim())),
                None => {
                    return Err(format!(
                        "{text:?} is not an assertion: write e.g. `$.a.b == value`, `count($.list) >= 1`, `$.x exists`, `any $.list[*].id == 123`"
                    ))
                }
            }
        };
        let lhs = lhs.trim();
        let (count, path_text) = match lhs.strip_prefix("count(").and_then(|l| l.strip_suffix(')'))
        {
            Some(p) => (true, p.trim()),
            None => (false, lhs),
        };
        let path = JsonPath::parse(path_text)
            .map_err(|e| format!("{path_text:?} is not a JSONPath (RFC 9535): {e}"))?;
        let mut regex = None;
        let value = match (op, rhs) {
            (Op::Matches, Some(r)) => {
                let pat = r.strip_prefix('/').and_then(|r| r.strip_suffix('/')).ok_or_else(|| {
                    format!("{text:?}: write the pattern between slashes, e.g. matches /^\\d{{4}}-\\d{{2}}$/")
                })?;
                regex = Some(
                    compile(pat).map_err(|e| format!("{text:?}: bad regular expression: {e}"))?,
                );
                None
            }
            (_, Some("")) => {
                return Err(format!("{text:?}: a value is missing after the operator"))
            }
            (_, Some(r)) => Some(parse_value(r)),
            (_, None) => None,
        };
        if count && !matches!(op, Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le) {
            return Err(format!(
                "{text:?}: count(...) takes ==, !=, >, >=, < or <= and a number"
            ));
        }
        if count && !value.as_ref().is_some_and(|v| v.is_number()) {
            return Err(format!(
                "{text:?}: count(...) must be compared with a number"
            ));
        }
        Ok(Assertion {
            text,
            compiled: Arc::new(Compiled {
                quantifier,
                count,
                path,
                op,
                value,
                regex,
            }),
        })
    }

    /// Evaluate against a JSON document: `Ok(())` or the reason it failed.
    pub fn check(&self, doc: &Value) -> Result<(), String> {
        let c = &*self.compiled;
        let nodes: Vec<&Value> = c.path.query(doc).all();
        if c.count {
            let n = match nodes.as_slice() {
                [Value::Array(a)] => a.len(),
                _ => nodes.len(),
            };
            let ok = compare(
                &Value::from(n as u64),
                c.op,
                c.value.as_ref().unwrap_or(&Value::Null),
                None,
            );
            return if ok {
                Ok(())
            } else {
                Err(format!("{}: count is {n}", self.text))
            };
        }
        match c.op {
            Op::Exists => {
                return if nodes.is_empty() {
                    Err(format!("{}: nothing found", self.text))
                } else {
                    Ok(())
                }
            }
            Op::NotExists => {
                return if nodes.iter().all(|n| n.is_null()) {
                    Ok(())
                } else {
                    Err(format!("{}: it is present", self.text))
                }
            }
            _ => {}
        }
        if nodes.is_empty() {
            return if c.op == Op::Ne && c.quantifier != Quantifier::All {
                Ok(())
            } else {
                Err(format!("{}: nothing found at that path", self.text))
            };
        }
        let value = c.value.as_ref().unwrap_or(&Value::Null);
        let sat = |n: &&Value| compare(n, c.op, value, c.regex.as_ref());
        let ok = match c.quantifier {
            Quantifier::Any => nodes.iter().any(sat),
            Quantifier::All | Quantifier::Default => nodes.iter().all(sat),
        };
        if ok {
            Ok(())
        } else {
            let shown: Vec<String> = nodes.iter().take(3).map(|n| short(n)).collect();
            Err(format!(
                "{}: found {}{}",
                self.text,
                shown.join(", "),
                if nodes.len() > 3 { ", …" } else { "" }
            ))
        }
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return x == y;
    }
    match (as_text(a), as_text(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn compare(node: &Value, op: Op, value: &Value, re: Option<&regex::Regex>) -> bool {
    match op {
        Op::Eq => loose_eq(node, value),
        Op::Ne => !loose_eq(node, value),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => match (num(node), num(value)) {
            (Some(a), Some(b)) => match op {
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                _ => a <= b,
            },
            _ => match (as_text(node), as_text(value)) {
                // Months and dates compare as text: "2026-10" >= "2021-01".
                (Some(a), Some(b)) => match op {
                    Op::Gt => a > b,
                    Op::Ge => a >= b,
                    Op::Lt => a < b,
                    _ => a <= b,
                },
                _ => false,
            },
        },
        Op::Contains => match node {
            Value::Array(a) => a.iter().any(|x| loose_eq(x, value)),
            Value::String(s) => as_text(value).is_some_and(|v| s.contains(&v)),
            _ => false,
        },
        Op::Matches => re.is_some_and(|re| as_text(node).is_some_and(|t| re.is_match(&t))),
        Op::Exists | Op::NotExists => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(a: &str, d: &Value) -> bool {
        Assertion::parse(a).unwrap().check(d).is_ok()
    }

    #[test]
    fn language() {
        let d = json!({"opplysningspliktig": {"norskIdentifikator": "310000108"},
            "inntektsmottaker": [{"personidentifikator": "12838510068"}, {"personidentifikator": "04879010069"}],
            "n": 3, "errors": [{"extensions": {"classification": "ExecutionAborted"}}]});
        assert!(ok(
            "$.opplysningspliktig.norskIdentifikator == 310000108",
            &d
        ));
        assert!(ok(
            "$.opplysningspliktig.norskIdentifikator == \"310000108\"",
            &d
        ));
        assert!(ok("count($.inntektsmottaker) >= 2", &d));
        assert!(!ok("count($.inntektsmottaker) > 2", &d));
        assert!(ok("$.skjermet != true", &d));
        assert!(ok(
            "any $.inntektsmottaker[*].personidentifikator == 12838510068",
            &d
        ));
        assert!(!ok(
            "all $.inntektsmottaker[*].personidentifikator == 12838510068",
            &d
        ));
        assert!(!ok(
            "$.inntektsmottaker[*].personidentifikator == 12838510068",
            &d
        ));
        assert!(ok(
            "all $.inntektsmottaker[*].personidentifikator matches /^\\d{11}$/",
            &d
        ));
        assert!(ok("$.n > 0", &d));
        assert!(ok("$.nothing not exists", &d));
        assert!(!ok("$.nothing exists", &d));
        assert!(ok(
            "$.errors[0].extensions.classification == ExecutionAborted",
            &d
        ));
        assert!(ok(
            "$.opplysningspliktig.norskIdentifikator contains 3100",
            &d
        ));
        assert!(Assertion::parse("$.a ==").is_err());
        assert!(Assertion::parse("$..[ == 1").is_err());
        assert!(Assertion::parse("just words").is_err());
        assert!(Assertion::parse("count($.a) >= x").is_err());
    }

    #[test]
    fn the_cache_parses_each_line_and_compiles_each_pattern_once() {
        let mut cache = AssertionCache::new();
        let d = json!({"m": "2026-10", "n": "x"});
        for _ in 0..1000 {
            let a = cache.parse("$.m matches /^\\d{4}-\\d{2}$/").unwrap();
            assert!(a.check(&d).is_ok());
            let b = cache.parse("  any $.n matches /^\\d{4}-\\d{2}$/ ").unwrap();
            assert!(b.check(&d).is_err());
        }
        assert_eq!(cache.patterns_compiled(), 1);
        assert_eq!(cache.lines.len(), 2);
        // A bad pattern is an error every time it is asked for (the planner reports it at each cell).
        for _ in 0..2 {
            let e = cache.parse("$.m matches /([/").unwrap_err();
            assert!(e.contains("bad regular expression"), "{e}");
        }
        assert_eq!(cache.patterns_compiled(), 2);
    }
}
