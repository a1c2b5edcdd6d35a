//! One row per documented code: the simulator produces every IM-/OTP-/DAS- code of skatteetaten-apis.md
//! §1.4/§2.6/§3.4/§4.5 (keyed by (API, code)), every in-scope AA- code of nav-aareg-otp.md §8.1 and every MP- code
//! of maskinporten.md §6, each from its cause or (codes without a client-side cause) its named fault trigger.
//! Each row has its own assertion; all rows run, then every failing row is reported.

use chrono::NaiveDate;
use dsop_harness::months::YearMonth;
use dsop_harness::sim::data::*;
use dsop_harness::sim::testkit::{self, TestIdentity};
use dsop_harness::sim::*;
use serde_json::{json, Value};
use std::sync::OnceLock;

const ALL: [&str; 4] = [
    SCOPE_INNTEKT,
    SCOPE_INNTEKTSMOTTAKERE,
    SCOPE_TJENESTEPENSJONSAVTALE,
    SCOPE_AAREG,
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn m() -> YearMonth {
    YearMonth::recent_complete(today())
}

/// One identity for every simulator of this file (RSA key generation is slow).
fn identity() -> &'static TestIdentity {
    static ID: OnceLock<TestIdentity> = OnceLock::new();
    ID.get_or_init(|| testkit::identity(INSTITUTION_CLIENT_ID, INSTITUTION_ORGNR).unwrap())
}

struct Env {
    sim: SimHandle,
    http: reqwest::Client,
}

impl Env {
    async fn start(cfg: SimConfig) -> Env {
        let sim = start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        sim.register_client(testkit::sim_client(identity(), &ALL));
        Env {
            sim,
            http: testkit::http_client(),
        }
    }

    async fn new() -> Env {
        Env::start(SimConfig::new(today())).await
    }

    async fn faults(spec: &str) -> Env {
        Env::start(SimConfig {
            faults: Some(spec.into()),
            ..SimConfig::new(today())
        })
        .await
    }

    async fn token(&self, scope: &str) -> String {
        testkit::token(
            &self.http,
            self.sim.urls(),
            identity(),
            scope,
            self.sim.now(),
        )
        .await
        .unwrap()
    }

    fn url(&self, api: Api, rest: &str) -> String {
        let u = self.sim.urls();
        let base = match api {
            Api::Inntekt => &u.inntekt,
            Api::Inntektsmottakere => &u.inntektsmottakere,
            Api::Tjenestepensjonsavtale => &u.tjenestepensjonsavtale,
        };
        format!("{base}{rest}")
    }

    /// A Skatteetaten call: (status, `kode` of the body or "").
    async fn ske(
        &self,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
        accept: Option<&str>,
    ) -> (u16, String) {
        let mut r = self.http.request(method, url);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(a) = accept {
            r = r.header("Accept", a);
        }
        let resp = r.send().await.unwrap();
        let s = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        (s, v["kode"].as_str().unwrap_or("").to_string())
    }

    /// A GraphQL call: the first AA code (or "").
    async fn aa(&self, query: &str, vars: Value) -> (u16, String) {
        let t = self.token(SCOPE_AAREG).await;
        let resp = self
            .http
            .post(&self.sim.urls().aareg)
            .bearer_auth(t)
            .json(&json!({"query": query, "variables": vars}))
            .send()
            .await
            .unwrap();
        let s = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        let code = v["errors"][0]["extensions"]["errormessages"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_string();
        (s, code)
    }

    /// A grant: (status, the MP code at the start of `error_description`, or its text).
    async fn grant(&self, assertion: &str) -> (u16, String) {
        let (s, body) = testkit::post_grant(&self.http, self.sim.urls(), assertion)
            .await
            .unwrap();
        let d = body["error_description"].as_str().unwrap_or("");
        let code = d.split(':').next().unwrap_or("").to_string();
        (s, code)
    }

    fn claims(&self, scope: &str) -> Value {
        testkit::grant_claims(self.sim.urls(), identity(), scope, self.sim.now())
    }

    async fn signed(&self, claims: &Value) -> (u16, String) {
        self.grant(&testkit::sign_grant(identity(), claims).unwrap())
            .await
    }
}

#[derive(Clone, Copy, Debug)]
enum Api {
    Inntekt,
    Inntektsmottakere,
    Tjenestepensjonsavtale,
}

const PR_ARBEIDSTAKER: &str = "query($o: ID!, $a: ID!, $f: String!, $t: String) { finnArbeidsforholdPrArbeidstaker(opplysningspliktigId: $o, arbeidstakerId: $a, ansattFraMaaned: $f, ansattTilMaaned: $t) { arbeidsforhold { id } } }";

fn inntekt_q(pid: &str, org: &str) -> String {
    format!(
        "/otp/{pid}/inntekter?fraOgMed={}&tilOgMed={}&opplysningspliktig={org}",
        m(),
        m()
    )
}

fn ims_q(org: &str, fra: YearMonth, til: YearMonth) -> String {
    format!("/otp/{org}/inntektsmottakere?fraOgMed={fra}&tilOgMed={til}")
}

/// A valid ordinary request of `api` (used for trigger rows: the trigger answers before the handler).
async fn ordinary(env: &Env, api: Api) -> (u16, String) {
    let (scope, url) = match api {
        Api::Inntekt => (SCOPE_INNTEKT, env.url(api, &inntekt_q(P_INC, ORG_A))),
        Api::Inntektsmottakere => (
            SCOPE_INNTEKTSMOTTAKERE,
            env.url(api, &ims_q(ORG_A, m(), m())),
        ),
        Api::Tjenestepensjonsavtale => (
            SCOPE_TJENESTEPENSJONSAVTALE,
            env.url(
                api,
                &format!(
                    "/nav/avtaleforhold/gyldighet?opplysningspliktig={ORG_A}&pensjonsinnretning={INSTITUTION_ORGNR}&fraOgMed={}&tilOgMed={}",
                    m(),
                    m()
                ),
            ),
        ),
    };
    let t = env.token(scope).await;
    env.ske(reqwest::Method::GET, &url, Some(&t), None, None)
        .await
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::Inntekt => "inntekt",
        Api::Inntektsmottakere => "inntektsmottakere",
        Api::Tjenestepensjonsavtale => "tjenestepensjonsavtale",
    }
}

/// Produce (API, code) from its cause; returns (status, code) as observed.
async fn produce(api: Api, code: &str) -> (u16, String) {
    use reqwest::Method;
    let is_trigger =
        matches!(code, "IM-001" | "IM-002" | "OTP-001" | "OTP-002") || code.starts_with("DAS-");
    if is_trigger {
        let env = Env::faults(&format!("trigger={code}@{}*1", api_name(api))).await;
        let r = ordinary(&env, api).await;
        env.sim.shutdown().await;
        return r;
    }
    let env = Env::new().await;
    let scope = match api {
        Api::Inntekt => SCOPE_INNTEKT,
        Api::Inntektsmottakere => SCOPE_INNTEKTSMOTTAKERE,
        Api::Tjenestepensjonsavtale => SCOPE_TJENESTEPENSJONSAVTALE,
    };
    let t = env.token(scope).await;
    let get = |rest: &str| env.url(api, rest);
    let r = match (api, code) {
        // unknown URL under the API's prefix
        (_, "IM-003" | "OTP-003") => {
            env.ske(Method::GET, &get("/otp/finnes-ikke"), Some(&t), None, None)
                .await
        }
        // no token
        (Api::Inntekt, "IM-004") => {
            env.ske(
                Method::GET,
                &get(&inntekt_q(P_INC, ORG_A)),
                None,
                None,
                None,
            )
            .await
        }
        (Api::Inntektsmottakere, "IM-004") => {
            env.ske(Method::GET, &get(&ims_q(ORG_A, m(), m())), None, None, None)
                .await
        }
        (Api::Tjenestepensjonsavtale, "OTP-004") => {
            let body = json!({"avtalereferanse": REF_A, "fraOgMed": "2021-01",
                "opplysningspliktig": {"norskIdentifikator": ORG_A}});
            env.ske(
                Method::POST,
                &get("/otp/avtaleforhold"),
                None,
                Some(body),
                None,
            )
            .await
        }
        // wrong rettighetspakke
        (Api::Inntekt, "IM-005") => {
            let q = inntekt_q(P_INC, ORG_A).replacen("/otp/", "/sbl/", 1);
            env.ske(Method::GET, &get(&q), Some(&t), None, None).await
        }
        (Api::Inntektsmottakere, "IM-005") => {
            let q = ims_q(ORG_A, m(), m()).replacen("/otp/", "/sbl/", 1);
            env.ske(Method::GET, &get(&q), Some(&t), None, None).await
        }
        (Api::Tjenestepensjonsavtale, "OTP-005") => {
            // TPA-05: the `otp` package calling the nav-only validity GET
            let q = format!(
                "/otp/avtaleforhold/gyldighet?opplysningspliktig={ORG_A}&pensjonsinnretning={INSTITUTION_ORGNR}&fraOgMed={}&tilOgMed={}",
                m(),
                m()
            );
            env.ske(Method::GET, &get(&q), Some(&t), None, None).await
        }
        // input validation
        (Api::Inntekt, "IM-006") => {
            env.ske(
                Method::GET,
                &get(&inntekt_q("12345678901", ORG_A)),
                Some(&t),
                None,
                None,
            )
            .await
        }
        (Api::Inntektsmottakere, "IM-006") => {
            env.ske(
                Method::GET,
                &get(&ims_q("123456789", m(), m())),
                Some(&t),
                None,
                None,
            )
            .await
        }
        (Api::Tjenestepensjonsavtale, "OTP-006") => {
            let body = json!({"avtalereferanse": REF_A, "fraOgMed": "2021-13",
                "opplysningspliktig": {"norskIdentifikator": ORG_A}});
            env.ske(
                Method::POST,
                &get("/otp/avtaleforhold"),
                Some(&t),
                Some(body),
                None,
            )
            .await
        }
        // no hit / no data
        (Api::Inntekt, "IM-007") => {
            // a checksum-valid person not in the data set
            env.ske(
                Method::GET,
                &get(&inntekt_q("01010012356", ORG_A)),
                Some(&t),
                None,
                None,
            )
            .await
        }
        (Api::Inntektsmottakere, "IM-007") => {
            // With the employer's side counting the current month (switch employer_side), today's month is
            // inside ORG-A's avtaleforhold, but nobody is reported for it yet.
            let mut cfg = SimConfig::new(today());
            cfg.set_switch("employer_side", "current_month").unwrap();
            let env2 = Env::start(cfg).await;
            let t2 = env2.token(SCOPE_INNTEKTSMOTTAKERE).await;
            let cur = YearMonth::of(today());
            env2.ske(
                Method::GET,
                &env2.url(api, &ims_q(ORG_A, cur, cur)),
                Some(&t2),
                None,
                None,
            )
            .await
        }
        (Api::Tjenestepensjonsavtale, "OTP-007") => {
            let body = json!({"avtalereferanse": "FINNES-IKKE",
                "opplysningspliktig": {"norskIdentifikator": ORG_A}});
            env.ske(
                Method::DELETE,
                &get("/otp/avtaleforhold"),
                Some(&t),
                Some(body),
                None,
            )
            .await
        }
        (Api::Inntekt, "IM-008") => {
            env.ske(
                Method::GET,
                &get(&inntekt_q(P_NOINC, ORG_A)),
                Some(&t),
                None,
                None,
            )
            .await
        }
        // format errors: neither JSON nor XML
        (Api::Inntekt, "IM-009") => {
            env.ske(
                Method::GET,
                &get(&inntekt_q(P_INC, ORG_A)),
                Some(&t),
                None,
                Some("text/csv"),
            )
            .await
        }
        (Api::Inntektsmottakere, "IM-008") => {
            env.ske(
                Method::GET,
                &get(&ims_q(ORG_A, m(), m())),
                Some(&t),
                None,
                Some("text/csv"),
            )
            .await
        }
        (Api::Tjenestepensjonsavtale, "OTP-008") => {
            let body = json!({"avtalereferanse": REF_A, "fraOgMed": "2021-01",
                "opplysningspliktig": {"norskIdentifikator": ORG_A}});
            env.ske(
                Method::POST,
                &get("/otp/avtaleforhold"),
                Some(&t),
                Some(body),
                Some("text/csv"),
            )
            .await
        }
        (Api::Inntekt, "IM-010") => {
            // the DSOP FAQ variant of "listed, no income"
            let env2 = Env::start(SimConfig {
                no_income_code: NoIncomeCode::Im010,
                ..SimConfig::new(today())
            })
            .await;
            let t2 = env2.token(SCOPE_INNTEKT).await;
            let r = env2
                .ske(
                    Method::GET,
                    &env2.url(api, &inntekt_q(P_NOINC, ORG_A)),
                    Some(&t2),
                    None,
                    None,
                )
                .await;
            env2.sim.shutdown().await;
            r
        }
        other => panic!("no cause for {other:?}"),
    };
    env.sim.shutdown().await;
    r
}

#[tokio::test]
async fn every_skatteetaten_code() {
    use Api::*;
    let rows: Vec<(Api, &str, u16)> = vec![
        // Inntekt §2.6
        (Inntekt, "IM-001", 500),
        (Inntekt, "IM-002", 500),
        (Inntekt, "IM-003", 404),
        (Inntekt, "IM-004", 401),
        (Inntekt, "IM-005", 403),
        (Inntekt, "IM-006", 400),
        (Inntekt, "IM-007", 404),
        (Inntekt, "IM-008", 404),
        (Inntekt, "IM-009", 406),
        (Inntekt, "IM-010", 403),
        // Inntektsmottakere §3.4
        (Inntektsmottakere, "IM-001", 500),
        (Inntektsmottakere, "IM-002", 500),
        (Inntektsmottakere, "IM-003", 404),
        (Inntektsmottakere, "IM-004", 401),
        (Inntektsmottakere, "IM-005", 403),
        (Inntektsmottakere, "IM-006", 400),
        (Inntektsmottakere, "IM-007", 404),
        (Inntektsmottakere, "IM-008", 406),
        // Tjenestepensjonsavtale §4.5
        (Tjenestepensjonsavtale, "OTP-001", 500),
        (Tjenestepensjonsavtale, "OTP-002", 500),
        (Tjenestepensjonsavtale, "OTP-003", 404),
        (Tjenestepensjonsavtale, "OTP-004", 401),
        (Tjenestepensjonsavtale, "OTP-005", 403),
        (Tjenestepensjonsavtale, "OTP-006", 400),
        (Tjenestepensjonsavtale, "OTP-007", 404),
        (Tjenestepensjonsavtale, "OTP-008", 406),
        // common DAS codes §1.4, on each API
        (Inntekt, "DAS-001", 500),
        (Inntekt, "DAS-002", 404),
        (Inntekt, "DAS-003", 500),
        (Inntekt, "DAS-004", 500),
        (Inntekt, "DAS-005", 500),
        (Inntekt, "DAS-006", 500),
        (Inntekt, "DAS-007", 500),
        (Inntekt, "DAS-008", 403),
        (Inntektsmottakere, "DAS-001", 500),
        (Inntektsmottakere, "DAS-002", 404),
        (Inntektsmottakere, "DAS-003", 500),
        (Inntektsmottakere, "DAS-004", 500),
        (Inntektsmottakere, "DAS-005", 500),
        (Inntektsmottakere, "DAS-006", 500),
        (Inntektsmottakere, "DAS-007", 500),
        (Inntektsmottakere, "DAS-008", 403),
        (Tjenestepensjonsavtale, "DAS-001", 500),
        (Tjenestepensjonsavtale, "DAS-002", 404),
        (Tjenestepensjonsavtale, "DAS-003", 500),
        (Tjenestepensjonsavtale, "DAS-004", 500),
        (Tjenestepensjonsavtale, "DAS-005", 500),
        (Tjenestepensjonsavtale, "DAS-006", 500),
        (Tjenestepensjonsavtale, "DAS-007", 500),
        (Tjenestepensjonsavtale, "DAS-008", 403),
    ];
    let mut failures = Vec::new();
    for (api, code, status) in &rows {
        let got = produce(*api, code).await;
        if got != (*status, code.to_string()) {
            failures.push(format!(
                "({api:?}, {code}): expected {status} {code}, got {} {:?}",
                got.0, got.1
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn every_aareg_code() {
    let o = ORG_A;
    let f = m().to_string();
    let rows: Vec<(&str, Value)> = vec![
        ("AA-051", json!({"o": "123", "a": P_INC, "f": f})),
        ("AA-052", json!({"o": o, "a": "12345678901", "f": f})),
        ("AA-053", json!({"o": o, "a": P_INC, "f": "2026-13"})),
        (
            "AA-054",
            json!({"o": o, "a": P_INC, "f": f, "t": "oktober"}),
        ),
        (
            "AA-055",
            json!({"o": o, "a": P_INC, "f": f, "t": m().plus(-1).to_string()}),
        ),
        // before the virkningsperiode (avtaleforhold from 2021-01 → virkningsperiode from 2019-10)
        (
            "AA-101",
            json!({"o": o, "a": P_INC, "f": "2019-01", "t": f}),
        ),
        ("AA-102", json!({"o": o, "a": P_SKJ, "f": f, "t": f})),
    ];
    let env = Env::new().await;
    let mut failures = Vec::new();
    for (code, vars) in &rows {
        let got = env.aa(PR_ARBEIDSTAKER, vars.clone()).await;
        if got != (200, code.to_string()) {
            failures.push(format!("{code}: got {got:?}"));
        }
    }
    env.sim.shutdown().await;
    // AA-201 has no client-side cause: the named trigger
    let env = Env::faults("trigger=AA-201@aareg*1").await;
    let got = env
        .aa(PR_ARBEIDSTAKER, json!({"o": o, "a": P_INC, "f": f}))
        .await;
    if got != (200, "AA-201".to_string()) {
        failures.push(format!("AA-201: got {got:?}"));
    }
    env.sim.shutdown().await;
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn every_maskinporten_code() {
    let mut failures = Vec::new();
    let mut row = |code: &str, expected: (u16, &str), got: (u16, String)| {
        if got != (expected.0, expected.1.to_string()) {
            failures.push(format!("{code}: expected {expected:?}, got {got:?}"));
        }
    };
    let env = Env::new().await;
    let urls = env.sim.urls().clone();
    let now = env.sim.now();

    // MP-011: malformed assertion
    row("MP-011", (400, "MP-011"), env.grant("not.a-jwt").await);
    // MP-012: the same grant twice
    let a = testkit::sign_grant(identity(), &env.claims(SCOPE_INNTEKT)).unwrap();
    let _ = env.grant(&a).await;
    row("MP-012", (400, "MP-012"), env.grant(&a).await);
    // MP-100: unknown client
    let mut c = env.claims(SCOPE_INNTEKT);
    c["iss"] = json!("ukjent-klient");
    row("MP-100", (400, "MP-100"), env.signed(&c).await);
    // MP-110: aud = the token endpoint
    let mut c = env.claims(SCOPE_INNTEKT);
    c["aud"] = json!(urls.token_endpoint);
    row("MP-110", (400, "MP-110"), env.signed(&c).await);
    // MP-120: certificate from a CA the client does not trust
    let rogue = testkit::identity(INSTITUTION_CLIENT_ID, INSTITUTION_ORGNR).unwrap();
    let a = testkit::sign_grant(&rogue, &env.claims(SCOPE_INNTEKT)).unwrap();
    row("MP-120", (400, "MP-120"), env.grant(&a).await);
    // MP-121: a kid key registered more than a year ago
    let key = testkit::rsa_key_pem().unwrap();
    let public = testkit::public_key_pem(&key).unwrap();
    env.sim.register_client(testkit::kid_client(
        "kid-client",
        VENDOR_ORGNR,
        &ALL,
        "k1",
        &public,
    ));
    env.sim.advance_clock(366 * 24 * 3600);
    let kid_claims = |now: i64| {
        json!({"aud": urls.maskinporten_issuer, "iss": "kid-client", "scope": SCOPE_INNTEKT,
            "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string()})
    };
    let a = testkit::sign_grant_kid(&key, "k1", &kid_claims(env.sim.now())).unwrap();
    row("MP-121", (400, "MP-121"), env.grant(&a).await);
    env.sim.advance_clock(-366 * 24 * 3600);
    // MP-122: certificate of another organisation than the client's
    let other = testkit::identity("other-client", VENDOR_ORGNR).unwrap();
    env.sim.register_client(SimClient {
        orgnr: INSTITUTION_ORGNR.into(),
        ..testkit::sim_client(&other, &ALL)
    });
    let a = testkit::sign_grant(
        &other,
        &testkit::grant_claims(&urls, &other, SCOPE_INNTEKT, env.sim.now()),
    )
    .unwrap();
    row("MP-122", (400, "MP-122"), env.grant(&a).await);
    // MP-123: x5c not an array of strings
    let a = testkit::sign_grant(identity(), &env.claims(SCOPE_INNTEKT)).unwrap();
    let mut parts: Vec<String> = a.split('.').map(str::to_string).collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    parts[0] = b64.encode(br#"{"alg":"RS256","x5c":"not-an-array"}"#);
    row("MP-123", (400, "MP-123"), env.grant(&parts.join(".")).await);
    // MP-124: signature does not match
    let a = testkit::sign_grant(identity(), &env.claims(SCOPE_INNTEKT)).unwrap();
    let mut parts: Vec<String> = a.split('.').map(str::to_string).collect();
    let mut claims = env.claims(SCOPE_INNTEKT);
    claims["scope"] = json!(SCOPE_AAREG);
    parts[1] = b64.encode(serde_json::to_vec(&claims).unwrap());
    row("MP-124", (400, "MP-124"), env.grant(&parts.join(".")).await);
    // MP-130: exp − iat above 120 s
    let mut c = env.claims(SCOPE_INNTEKT);
    c["exp"] = json!(now + 300);
    row("MP-130", (400, "MP-130"), env.signed(&c).await);
    // MP-200: a scope not registered on the client
    row(
        "MP-200",
        (400, "MP-200"),
        env.signed(&env.claims("skatteetaten:ukjent")).await,
    );
    // MP-201: an ID-porten scope
    row(
        "MP-201",
        (400, "MP-201"),
        env.signed(&env.claims("openid")).await,
    );
    // MP-250: the API owner has not granted the consumer the scope
    env.sim.revoke_scope(INSTITUTION_ORGNR, SCOPE_INNTEKT);
    row(
        "MP-250",
        (403, "MP-250"),
        env.signed(&env.claims(SCOPE_INNTEKT)).await,
    );
    env.sim.grant_scope(INSTITUTION_ORGNR, SCOPE_INNTEKT);
    row(
        "MP-250 undone",
        (200, ""),
        env.signed(&env.claims(SCOPE_INNTEKT)).await,
    );
    // MP-251: consumer_org without a delegation
    let mut c = env.claims(SCOPE_INNTEKT);
    c["consumer_org"] = json!(ORG_A);
    row("MP-251", (403, "MP-251"), env.signed(&c).await);
    // MP-301/302/303: authorization_details
    let su = |d: Value| {
        let mut c = env.claims(SCOPE_INNTEKT);
        c["authorization_details"] = d;
        c
    };
    let org = json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{ORG_A}")});
    row(
        "MP-301",
        (400, "MP-301"),
        env.signed(&su(
            json!([{"type": "urn:altinn:ukjent", "systemuser_org": org}]),
        ))
        .await,
    );
    row(
        "MP-302",
        (400, "MP-302"),
        env.signed(&su(
            json!([{"type": "urn:altinn:systemuser", "systemuser_org": org, "ekstra": 1}]),
        ))
        .await,
    );
    row(
        "MP-303",
        (400, "MP-303"),
        env.signed(&su(json!([{"type": "urn:altinn:systemuser",
            "systemuser_org": {"authority": "feil", "ID": "0192:310000108"}}])))
            .await,
    );
    env.sim.shutdown().await;
    assert!(failures.is_empty(), "{failures:#?}");
}
