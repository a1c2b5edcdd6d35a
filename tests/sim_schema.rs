//! The simulator's Inntekt and Inntektsmottakere success bodies, validated against the saved schemas
//! (`/work/shared/specs/skatteetaten/`, `skatteetaten-apis.md` §9) with a small JSON Schema subset validator
//! (type, properties, required, additionalProperties, items, oneOf, anyOf, enum, min/maxLength, pattern,
//! format date-time, local `$ref`). Skipped when the spec folder is absent.

use chrono::NaiveDate;
use dsop_harness::months::YearMonth;
use dsop_harness::sim::data::*;
use dsop_harness::sim::testkit;
use dsop_harness::sim::*;
use serde_json::Value;
use std::path::Path;

const SPECS: &str = "/work/shared/specs/skatteetaten";

fn resolve<'a>(root: &'a Value, r: &str) -> &'a Value {
    let mut cur = root;
    for part in r.trim_start_matches("#/").split('/') {
        cur = &cur[part];
    }
    assert!(!cur.is_null(), "unresolved $ref {r}");
    cur
}

fn validate(root: &Value, schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
        return validate(root, resolve(root, r), v, path, errs);
    }
    if let Some(t) = schema.get("type").and_then(|t| t.as_str()) {
        let ok = match t {
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            _ => true,
        };
        if !ok {
            errs.push(format!("{path}: expected {t}, got {v}"));
            return;
        }
    }
    if let (Some(s), Some(max)) = (v.as_str(), schema.get("maxLength").and_then(|m| m.as_u64())) {
        if s.chars().count() as u64 > max {
            errs.push(format!("{path}: longer than {max}"));
        }
    }
    if let (Some(s), Some(min)) = (v.as_str(), schema.get("minLength").and_then(|m| m.as_u64())) {
        if (s.chars().count() as u64) < min {
            errs.push(format!("{path}: shorter than {min}"));
        }
    }
    if let (Some(s), Some(p)) = (v.as_str(), schema.get("pattern").and_then(|m| m.as_str())) {
        if !regex::Regex::new(p).unwrap().is_match(s) {
            errs.push(format!("{path}: {s:?} does not match {p}"));
        }
    }
    if let (Some(s), Some("date-time")) =
        (v.as_str(), schema.get("format").and_then(|m| m.as_str()))
    {
        if chrono::DateTime::parse_from_rfc3339(s).is_err() {
            errs.push(format!("{path}: {s:?} is not a date-time"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(|e| e.as_array()) {
        if !e.contains(v) {
            errs.push(format!("{path}: {v} not in enum"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(|p| p.as_object());
        if let Some(req) = schema.get("required").and_then(|r| r.as_array()) {
            for r in req.iter().filter_map(|r| r.as_str()) {
                if !obj.contains_key(r) {
                    errs.push(format!("{path}: missing required {r}"));
                }
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, val, &format!("{path}.{k}"), errs),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errs.push(format!("{path}: additional property {k}"))
                }
                None => {}
            }
        }
    }
    if let (Some(arr), Some(items)) = (v.as_array(), schema.get("items")) {
        for (i, x) in arr.iter().enumerate() {
            validate(root, items, x, &format!("{path}[{i}]"), errs);
        }
    }
    if let Some(alts) = schema.get("oneOf").and_then(|a| a.as_array()) {
        let n = alts
            .iter()
            .filter(|a| {
                let mut e = Vec::new();
                validate(root, a, v, path, &mut e);
                e.is_empty()
            })
            .count();
        if n != 1 {
            errs.push(format!("{path}: matches {n} of oneOf"));
        }
    }
    if let Some(alts) = schema.get("anyOf").and_then(|a| a.as_array()) {
        let any = alts.iter().any(|a| {
            let mut e = Vec::new();
            validate(root, a, v, path, &mut e);
            e.is_empty()
        });
        if !any {
            errs.push(format!("{path}: matches none of anyOf"));
        }
    }
}

fn load(rel: &str) -> Option<Value> {
    let p = Path::new(SPECS).join(rel);
    let text = std::fs::read_to_string(&p).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

#[tokio::test]
async fn bodies_match_saved_schemas() {
    let (Some(oas), Some(ims)) = (
        load("statens-pensjonskasse-skatt-inntekt-api/skatt-inntekt-api.json"),
        load("api-dokumentasjon/download/Inntektsmottakere.json"),
    ) else {
        eprintln!("spec files not found under {SPECS}; skipping");
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let m = YearMonth::recent_complete(today);
    let sim = start(SimConfig::new(today), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let id = testkit::identity(INSTITUTION_CLIENT_ID, INSTITUTION_ORGNR).unwrap();
    sim.register_client(testkit::sim_client(
        &id,
        &[SCOPE_INNTEKT, SCOPE_INNTEKTSMOTTAKERE],
    ));
    let http = testkit::http_client();
    let urls = sim.urls().clone();
    let t = testkit::token(&http, &urls, &id, SCOPE_INNTEKT, sim.now())
        .await
        .unwrap();
    let schema = &oas["components"]["schemas"]["OppgaverInntektsmottaker"];
    for pid in [P_INC, P_SKJ, P_PERM, P_END] {
        let url = format!(
            "{}/otp/{pid}/inntekter?fraOgMed={}&tilOgMed={m}&opplysningspliktig={ORG_A}",
            urls.inntekt,
            m.plus(-12)
        );
        let body: Value = http
            .get(&url)
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut errs = Vec::new();
        validate(&oas, schema, &body, "$", &mut errs);
        assert!(errs.is_empty(), "{pid}: {errs:#?}");
    }
    let t = testkit::token(&http, &urls, &id, SCOPE_INNTEKTSMOTTAKERE, sim.now())
        .await
        .unwrap();
    let url = format!(
        "{}/otp/{ORG_A}/inntektsmottakere?fraOgMed={}&tilOgMed={m}",
        urls.inntektsmottakere,
        m.plus(-3)
    );
    let body: Value = http
        .get(&url)
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut errs = Vec::new();
    validate(&ims, &ims, &body, "$", &mut errs);
    assert!(errs.is_empty(), "{errs:#?}");
    // the validator does reject: a `link` field is not allowed by the Inntektsmottakere schema
    let mut bad = body.clone();
    bad["link"] = Value::String("x".into());
    let mut errs = Vec::new();
    validate(&ims, &ims, &bad, "$", &mut errs);
    assert!(!errs.is_empty());
    sim.shutdown().await;
}
