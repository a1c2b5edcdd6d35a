//! The shape of a JSON body: its field names and types, every value replaced by a type marker, so a capture
//! from the agencies' test environments holds no personal id, name or token.
//!
//! Markers: `<string>`, `<string:date>` (YYYY-MM-DD), `<string:month>` (YYYY-MM), `<string:datetime>`,
//! `<number>`, `<boolean>`, `<null>`. An array's elements are merged into one element shape (an object's keys
//! united); scalars of different kinds are joined, e.g. `<null>|<string>`. An empty array is `[]`.

use serde_json::{Map, Value};

/// The shape of a parsed body (`None` when the answer had no JSON body).
pub fn of(body: Option<&Value>) -> Option<Value> {
    body.map(shape)
}

fn marker(s: &str) -> Value {
    Value::String(s.to_string())
}

fn string_marker(s: &str) -> &'static str {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let month = b.len() >= 7 && digits(0..4) && b[4] == b'-' && digits(5..7);
    let date = month && b.len() >= 10 && b[7] == b'-' && digits(8..10);
    match b.len() {
        7 if month => "<string:month>",
        10 if date => "<string:date>",
        n if n > 10 && date && b[10] == b'T' => "<string:datetime>",
        _ => "<string>",
    }
}

/// The shape of one value.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Null => marker("<null>"),
        Value::Bool(_) => marker("<boolean>"),
        Value::Number(_) => marker("<number>"),
        Value::String(s) => marker(string_marker(s)),
        Value::Array(a) => {
            let merged = a.iter().map(shape).reduce(|x, y| merge(&x, &y));
            Value::Array(merged.into_iter().collect())
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}

/// Two shapes as one (the elements of one array).
fn merge(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut m: Map<String, Value> = x.clone();
            for (k, v) in y {
                let merged = match m.get(k) {
                    Some(old) => merge(old, v),
                    None => v.clone(),
                };
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (Value::Array(x), Value::Array(y)) => match (x.first(), y.first()) {
            (Some(p), Some(q)) => Value::Array(vec![merge(p, q)]),
            (Some(p), None) | (None, Some(p)) => Value::Array(vec![p.clone()]),
            (None, None) => Value::Array(Vec::new()),
        },
        _ if a == b => a.clone(),
        _ => {
            let mut kinds: Vec<String> = [a, b]
                .iter()
                .flat_map(|v| {
                    describe(v)
                        .split('|')
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect();
            kinds.sort();
            kinds.dedup();
            marker(&kinds.join("|"))
        }
    }
}

/// A shape in one short text, for a table cell.
pub fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(_) => "<array>".into(),
        Value::Object(_) => "<object>".into(),
        other => other.to_string(),
    }
}

/// One place where two shapes differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeDiff {
    /// Where, as `.field[].field` (`.` for the body itself).
    pub path: String,
    /// What the first shape has there (`absent` when nothing).
    pub left: String,
    pub right: String,
}

/// Every place where `left` and `right` differ. An empty array matches any array (the data differ, not the
/// shape).
pub fn diff(left: &Value, right: &Value) -> Vec<ShapeDiff> {
    let mut out = Vec::new();
    walk("", left, right, &mut out);
    out
}

fn walk(path: &str, l: &Value, r: &Value, out: &mut Vec<ShapeDiff>) {
    let here = || {
        if path.is_empty() {
            ".".to_string()
        } else {
            path.to_string()
        }
    };
    match (l, r) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => walk(&p, x, y, out),
                    (x, y) => out.push(ShapeDiff {
                        path: p,
                        left: x.map_or("absent".into(), describe),
                        right: y.map_or("absent".into(), describe),
                    }),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                walk(&format!("{path}[]"), x, y, out);
            }
        }
        _ if l == r => {}
        _ => out.push(ShapeDiff {
            path: here(),
            left: describe(l),
            right: describe(r),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_become_markers() {
        let s = shape(&json!({
            "navn": "Ola Nordmann", "id": "12345678901", "n": 3, "ok": true, "x": null,
            "fra": "2026-01", "dato": "2026-01-31", "ts": "2026-01-31T10:00:00Z",
            "liste": [{"a": 1}, {"b": "x"}], "tom": []
        }));
        assert_eq!(
            s,
            json!({
                "navn": "<string>", "id": "<string>", "n": "<number>", "ok": "<boolean>", "x": "<null>",
                "fra": "<string:month>", "dato": "<string:date>", "ts": "<string:datetime>",
                "liste": [{"a": "<number>", "b": "<string>"}], "tom": []
            })
        );
        let mixed = shape(&json!([{"a": 1}, {"a": null}]));
        assert_eq!(mixed, json!([{"a": "<null>|<number>"}]));
    }

    #[test]
    fn differences_are_named_by_path() {
        let a = shape(&json!({"kode": "IM-007", "liste": [{"x": 1}], "bare": 1}));
        let b = shape(&json!({"liste": [{"x": "1"}], "tom": [], "bare": 2}));
        let d = diff(&a, &b);
        assert_eq!(
            d,
            vec![
                ShapeDiff {
                    path: ".kode".into(),
                    left: "<string>".into(),
                    right: "absent".into()
                },
                ShapeDiff {
                    path: ".liste[].x".into(),
                    left: "<number>".into(),
                    right: "<string>".into()
                },
                ShapeDiff {
                    path: ".tom".into(),
                    left: "absent".into(),
                    right: "<array>".into()
                },
            ]
        );
        assert!(diff(&shape(&json!({"l": []})), &shape(&json!({"l": [1]}))).is_empty());
    }
}
