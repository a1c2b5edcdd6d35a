//! The simulator's success bodies, and the write bodies the harness plans to send, validated with the
//! `jsonschema` crate against the agencies' published schemas, copied into `tests/fixtures/schemas/` (source,
//! commit and licence of each file in its README). Never skipped: a missing or unreadable file fails the test.

use chrono::NaiveDate;
use dsop_harness::months::YearMonth;
use dsop_harness::sim::data::*;
use dsop_harness::sim::testkit;
use dsop_harness::sim::*;
use serde_json::{json, Value};
use std::path::Path;

/// The copies of the agencies' schemas, inside the repository.
const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schemas");
const OAS: &str = "statens-pensjonskasse-skatt-inntekt-api/skatt-inntekt-api.json";
const IMS: &str = "api-dokumentasjon/download/Inntektsmottakere.json";
const AVTALE_GYLDIGHET: &str =
    "api-dokumentasjon/download/TjenestepensjonsavtaleAvtaleforholdGyldighetV1.json";
const VIRKNING_GYLDIGHET: &str =
    "api-dokumentasjon/download/TjenestepensjonsavtaleVirkningsperiodeGyldighetV1.json";
const POST_BODY: &str =
    "api-dokumentasjon/download/open-api/TjenestepensjonsavtaleAvtaleforholdV1.json";
const DELETE_BODY: &str =
    "api-dokumentasjon/static/download/TjenestepensjonsavtaleAvtaleforholdSlettV1.json";

fn load(rel: &str) -> Value {
    let path = Path::new(SPECS).join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; the schema copies belong to the repository (see tests/fixtures/schemas/README.md)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// A validator for `pointer` inside `doc` (`""` = the root): the document is kept whole so local `$ref`s resolve.
/// The saved schemas are draft-04 (the OAS 3.0 schema objects are draft-04 style too).
fn validator(doc: &Value, pointer: &str) -> jsonschema::Validator {
    let mut root = doc.clone();
    if !pointer.is_empty() {
        if let Some(o) = root.as_object_mut() {
            o.remove("properties");
            o.remove("required");
            o.remove("additionalProperties");
            o.remove("type");
            o.insert("$ref".into(), json!(format!("#{pointer}")));
        }
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&root)
        .expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, body: &Value, what: &str) {
    let errs: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errs.is_empty(), "{what}: {errs:#?}\n{body:#}");
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

struct Env {
    sim: SimHandle,
    id: testkit::TestIdentity,
    http: reqwest::Client,
}

impl Env {
    async fn new() -> Env {
        let sim = start(SimConfig::new(today()), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let id = testkit::identity(INSTITUTION_CLIENT_ID, INSTITUTION_ORGNR).unwrap();
        sim.register_client(testkit::sim_client(
            &id,
            &[
                SCOPE_INNTEKT,
                SCOPE_INNTEKTSMOTTAKERE,
                SCOPE_TJENESTEPENSJONSAVTALE,
            ],
        ));
        Env {
            sim,
            id,
            http: testkit::http_client(),
        }
    }

    async fn get(&self, scope: &str, url: &str) -> (u16, Value) {
        let t = testkit::token(&self.http, self.sim.urls(), &self.id, scope, self.sim.now())
            .await
            .unwrap();
        let r = self.http.get(url).bearer_auth(t).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn inntekt_bodies_match_oppgaver_inntektsmottaker_1_7_0() {
    let oas = load(OAS);
    let v = validator(&oas, "/components/schemas/OppgaverInntektsmottaker");
    let env = Env::new().await;
    let m = YearMonth::recent_complete(today());
    let mut served = 0;
    // P-INC (loennsinntekt + ytelseFraOffentlige from NAV), P-SKJ (shielded), P-PERM, P-END, P-06 (ended).
    for pid in [P_INC, P_SKJ, P_PERM, P_END, P_06] {
        for (fra, til) in [
            (m.plus(-12), m),
            (m, m),
            (YearMonth::new(2021, 1).unwrap(), m),
        ] {
            let url = format!(
                "{}/otp/{pid}/inntekter?fraOgMed={fra}&tilOgMed={til}&opplysningspliktig={ORG_A}",
                env.sim.urls().inntekt
            );
            let (status, body) = env.get(SCOPE_INNTEKT, &url).await;
            if status == 200 {
                served += 1;
                assert_valid(&v, &body, &format!("Inntekt {pid} {fra}..{til}"));
            }
        }
    }
    assert!(served >= 12, "only {served} success answers");
    // the validator does reject: a string amount is not a number
    let (_, mut body) = env
        .get(
            SCOPE_INNTEKT,
            &format!(
                "{}/otp/{P_INC}/inntekter?fraOgMed={m}&tilOgMed={m}&opplysningspliktig={ORG_A}",
                env.sim.urls().inntekt
            ),
        )
        .await;
    body["oppgaveInntektsmottaker"][0]["inntekt"][0]["beloep"] = json!("48500");
    assert!(!v.is_valid(&body));
    env.sim.shutdown().await;
}

#[tokio::test]
async fn inntektsmottakere_bodies_match_schema() {
    let ims = load(IMS);
    let v = validator(&ims, "");
    let env = Env::new().await;
    let m = YearMonth::recent_complete(today());
    for (fra, til) in [
        (m.plus(-3), m),
        (m, m),
        (YearMonth::new(2021, 1).unwrap(), m),
    ] {
        let url = format!(
            "{}/otp/{ORG_A}/inntektsmottakere?fraOgMed={fra}&tilOgMed={til}",
            env.sim.urls().inntektsmottakere
        );
        let (status, body) = env.get(SCOPE_INNTEKTSMOTTAKERE, &url).await;
        assert_eq!(status, 200, "{body}");
        assert_valid(&v, &body, &format!("Inntektsmottakere {fra}..{til}"));
        let listed = body["inntektsmottaker"].as_array().unwrap();
        assert!(listed.iter().any(|p| p["personidentifikator"] == P_NOINC));
        // the validator does reject: `link` is not allowed
        let mut bad = body.clone();
        bad["link"] = json!("x");
        assert!(!v.is_valid(&bad));
    }
    env.sim.shutdown().await;
}

#[tokio::test]
async fn validity_answers_match_schemas() {
    let (a, vp) = (load(AVTALE_GYLDIGHET), load(VIRKNING_GYLDIGHET));
    let (va, vv) = (validator(&a, ""), validator(&vp, ""));
    let env = Env::new().await;
    let m = YearMonth::recent_complete(today());
    let base = &env.sim.urls().tjenestepensjonsavtale;
    let windows = [
        (m.plus(-3), m),                       // gyldig
        (YearMonth::new(2019, 6).unwrap(), m), // months before the agreement
        (YearMonth::new(2020, 1).unwrap(), m), // avtaleforhold: invalid; virkningsperiode: 2019-10 onwards valid
    ];
    let mut seen_false = (false, false);
    for org in [ORG_A, ORG_B, ORG_X] {
        for (fra, til) in windows {
            let q = format!(
                "opplysningspliktig={org}&pensjonsinnretning={INSTITUTION_ORGNR}&fraOgMed={fra}&tilOgMed={til}"
            );
            let (s, body) = env
                .get(
                    SCOPE_TJENESTEPENSJONSAVTALE,
                    &format!("{base}/nav/avtaleforhold/gyldighet?{q}"),
                )
                .await;
            assert_eq!(s, 200, "{body}");
            assert_valid(
                &va,
                &body,
                &format!("avtaleforhold/gyldighet {org} {fra}..{til}"),
            );
            seen_false.0 |= body["gyldig"] == false;
            let (s, body) = env
                .get(
                    SCOPE_TJENESTEPENSJONSAVTALE,
                    &format!("{base}/nav/avtaleforhold/virkningsperiode/gyldighet?{q}"),
                )
                .await;
            assert_eq!(s, 200, "{body}");
            assert_valid(
                &vv,
                &body,
                &format!("virkningsperiode/gyldighet {org} {fra}..{til}"),
            );
            seen_false.1 |= body["gyldig"] == false;
        }
    }
    assert_eq!(seen_false, (true, true));
    env.sim.shutdown().await;
}

/// Every POST/DELETE body the harness plans (and expects to succeed) for the bundled workbook validates against `#/definitions/Avtaleforhold`
/// of the published schema (the wire body is flat, so the definition, not the wrapped root).
#[test]
fn harness_write_bodies_match_avtaleforhold_definitions() {
    let (post, delete) = (load(POST_BODY), load(DELETE_BODY));
    let (vp, vd) = (
        validator(&post, "/definitions/Avtaleforhold"),
        validator(&delete, "/definitions/Avtaleforhold"),
    );
    let wb = dsop_harness::workbook::mapping::bundled().expect("bundled workbook");
    let plan = dsop_harness::run::plan::build(
        &wb,
        &dsop_harness::run::plan::PlanOptions {
            today: Some(today()),
            ..Default::default()
        },
    )
    .expect("plan");
    let (mut posts, mut deletes) = (0, 0);
    // Steps that expect a refusal (e.g. the deliberately invalid body of the OTP-006 case) are left out.
    for step in plan
        .cases
        .iter()
        .flat_map(|c| c.steps.iter())
        .filter(|s| s.expectation.expects_class(2))
    {
        match &step.call {
            dsop_harness::run::plan::Call::Api(
                dsop_harness::apis::ApiCall::AvtaleforholdPost { body, .. },
            ) => {
                posts += 1;
                assert_valid(&vp, body, &format!("POST body of {}", step.operation));
            }
            dsop_harness::run::plan::Call::Api(
                dsop_harness::apis::ApiCall::AvtaleforholdDelete { body, .. },
            ) => {
                deletes += 1;
                assert_valid(&vd, body, &format!("DELETE body of {}", step.operation));
            }
            _ => {}
        }
    }
    assert!(
        posts >= 1 && deletes >= 1,
        "posts {posts}, deletes {deletes}"
    );
    // the validators do reject: an unknown field, and a DELETE body with fraOgMed
    assert!(
        !vp.is_valid(&json!({"avtalereferanse": "x", "fraOgMed": "2021-01",
        "opplysningspliktig": {"norskIdentifikator": ORG_A}, "ekstra": 1}))
    );
    assert!(
        !vd.is_valid(&json!({"avtalereferanse": "x", "fraOgMed": "2021-01",
        "opplysningspliktig": {"norskIdentifikator": ORG_A}}))
    );
}

/// Every schema copy is named (with its source) in the folder's README, and every file the README names is there.
#[test]
fn every_schema_copy_names_its_source() {
    let readme = std::fs::read_to_string(Path::new(SPECS).join("README.md")).expect("README.md");
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(SPECS)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(
                    p.strip_prefix(SPECS)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    assert!(files.len() >= 6, "{files:?}");
    for f in &files {
        assert!(
            readme.contains(&format!("`{f}`")),
            "{f} is not named in the README"
        );
    }
    for used in [
        OAS,
        IMS,
        AVTALE_GYLDIGHET,
        VIRKNING_GYLDIGHET,
        POST_BODY,
        DELETE_BODY,
    ] {
        assert!(files.iter().any(|f| f == used), "{used} is missing");
    }
}
