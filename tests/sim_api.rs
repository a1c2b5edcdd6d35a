//! The embedded simulator over real HTTP on 127.0.0.1 (random port).

use chrono::NaiveDate;
use dsop_harness::months::YearMonth;
use dsop_harness::sim::data::*;
use dsop_harness::sim::testkit::{self, TestIdentity};
use dsop_harness::sim::*;
use serde_json::{json, Value};

const ALL: [&str; 4] = [
    SCOPE_INNTEKT,
    SCOPE_INNTEKTSMOTTAKERE,
    SCOPE_TJENESTEPENSJONSAVTALE,
    SCOPE_AAREG,
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

struct Env {
    sim: SimHandle,
    id: TestIdentity,
    http: reqwest::Client,
}

impl Env {
    async fn start(cfg: SimConfig) -> Env {
        let sim = start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let id = testkit::identity(INSTITUTION_CLIENT_ID, INSTITUTION_ORGNR).unwrap();
        sim.register_client(testkit::sim_client(&id, &ALL));
        Env {
            sim,
            id,
            http: testkit::http_client(),
        }
    }

    async fn new() -> Env {
        Env::start(SimConfig::new(today())).await
    }

    async fn token(&self, scope: &str) -> String {
        testkit::token(&self.http, self.sim.urls(), &self.id, scope, self.sim.now())
            .await
            .unwrap()
    }

    async fn grant(&self, claims: &Value) -> (u16, Value) {
        let a = testkit::sign_grant(&self.id, claims).unwrap();
        testkit::post_grant(&self.http, self.sim.urls(), &a)
            .await
            .unwrap()
    }

    async fn get(&self, url: &str, token: Option<&str>) -> (u16, Value) {
        let mut r = self
            .http
            .get(url)
            .header("Korrelasjonsid", "11111111-2222-4333-8444-555555555555");
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let s = resp.status().as_u16();
        (s, resp.json().await.unwrap_or(Value::Null))
    }

    async fn send_json(
        &self,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let mut r = self.http.request(method, url).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let s = resp.status().as_u16();
        (s, resp.json().await.unwrap_or(Value::Null))
    }

    async fn gql(
        &self,
        token: Option<&str>,
        query: &str,
        vars: Value,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut r = self
            .http
            .post(&self.sim.urls().aareg)
            .json(&json!({"query": query, "variables": vars}));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let s = resp.status().as_u16();
        let h = resp.headers().clone();
        (s, h, resp.json().await.unwrap_or(Value::Null))
    }
}

fn m() -> YearMonth {
    YearMonth::recent_complete(today())
}

const PR_ARBEIDSTAKER: &str = "query($o: ID!, $a: ID!, $f: String!, $t: String) { finnArbeidsforholdPrArbeidstaker(opplysningspliktigId: $o, arbeidstakerId: $a, ansattFraMaaned: $f, ansattTilMaaned: $t) { arbeidsforhold { id uuid type { kode } arbeidstaker { ident } arbeidssted { type ident } ansettelsesperiode { startdato sluttdato sluttaarsak { kode beskrivelse } } ansettelsesdetaljer { type avtaltStillingsprosent rapporteringsmaaneder { fra til } } permisjoner { id type { kode } startdato sluttdato prosent } permitteringer { id } timerMedTimeloenn { antall rapporteringsmaaned } idHistorikk { id } varsler { entitet } opprettet sistBekreftet sistEndret } } }";
const OVERSIKT: &str = "query($o: ID!, $f: String!, $t: String) { finnArbeidsforholdoversikterPrOpplysningspliktig(opplysningspliktigId: $o, ansattFraMaaned: $f, ansattTilMaaned: $t) { arbeidsforholdoversikter { id arbeidstaker { ident } yrke { kode beskrivelse } idHistorikk { id } sistEndret } } }";

#[tokio::test]
async fn maskinporten_metadata_and_tokens() {
    let env = Env::new().await;
    let urls = env.sim.urls().clone();
    let meta: Value = env
        .http
        .get(format!(
            "{}/maskinporten/.well-known/oauth-authorization-server",
            urls.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], urls.maskinporten_issuer);
    assert_eq!(meta["token_endpoint"], urls.token_endpoint);
    let jwks: Value = env
        .http
        .get(meta["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    for scope in ALL {
        let claims = testkit::grant_claims(&urls, &env.id, scope, env.sim.now());
        let (s, body) = env.grant(&claims).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["scope"], scope);
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_i64().unwrap() > 0);
        let at = testkit::decode_claims(body["access_token"].as_str().unwrap()).unwrap();
        assert_eq!(at["consumer"]["ID"], format!("0192:{INSTITUTION_ORGNR}"));
        assert_eq!(at["iss"], urls.maskinporten_issuer);
        assert_eq!(at["aud"], "unspecified");
        assert_eq!(at["client_amr"], "virksomhetssertifikat");
        // replay
        let (s, body) = env.grant(&claims).await;
        assert_eq!(s, 400);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("MP-012"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn maskinporten_errors() {
    let env = Env::new().await;
    let urls = env.sim.urls().clone();
    let now = env.sim.now();
    let base = testkit::grant_claims(&urls, &env.id, SCOPE_INNTEKT, now);
    let check = |c: &(u16, Value), status: u16, error: &str, prefix: &str| {
        assert_eq!(c.0, status, "{}", c.1);
        assert_eq!(c.1["error"], error, "{}", c.1);
        assert!(
            c.1["error_description"]
                .as_str()
                .unwrap()
                .starts_with(prefix),
            "{}",
            c.1
        );
    };
    let mut c = base_with_jti(&base);
    c["aud"] = json!(urls.token_endpoint);
    check(&env.grant(&c).await, 400, "invalid_grant", "MP-110");
    let mut c = base_with_jti(&base);
    c["iss"] = json!("unknown-client");
    check(&env.grant(&c).await, 400, "invalid_grant", "MP-100");
    let mut c = base_with_jti(&base);
    c["scope"] = json!("skatteetaten:ukjent");
    check(&env.grant(&c).await, 400, "invalid_scope", "MP-200");
    let mut c = base_with_jti(&base);
    c["exp"] = json!(now + 300);
    check(&env.grant(&c).await, 400, "invalid_grant", "MP-130");
    let mut c = base_with_jti(&base);
    c["iat"] = json!(now + 60);
    c["exp"] = json!(now + 90);
    check(
        &env.grant(&c).await,
        400,
        "invalid_grant",
        "Issue time is after now",
    );
    let mut c = base_with_jti(&base);
    c["foo"] = json!("bar");
    check(&env.grant(&c).await, 400, "invalid_request", "MP-011");
    let mut c = base_with_jti(&base);
    c["consumer_org"] = json!(INSTITUTION_ORGNR);
    check(
        &env.grant(&c).await,
        400,
        "invalid_request",
        "The combination consumer_org",
    );
    let mut c = base_with_jti(&base);
    c["consumer_org"] = json!(ORG_A);
    check(&env.grant(&c).await, 403, "forbidden", "MP-251");

    // wrong certificate organisation
    let other = testkit::identity("other-client", VENDOR_ORGNR).unwrap();
    env.sim.register_client(SimClient {
        orgnr: INSTITUTION_ORGNR.into(),
        ..testkit::sim_client(&other, &ALL)
    });
    let c = testkit::grant_claims(&urls, &other, SCOPE_INNTEKT, now);
    let a = testkit::sign_grant(&other, &c).unwrap();
    check(
        &testkit::post_grant(&env.http, &urls, &a).await.unwrap(),
        400,
        "invalid_grant",
        "MP-122",
    );
    // expired certificate
    let old = testkit::identity_with_validity("old-client", INSTITUTION_ORGNR, Some((2000, 2001)))
        .unwrap();
    env.sim.register_client(testkit::sim_client(&old, &ALL));
    let a = testkit::sign_grant(
        &old,
        &testkit::grant_claims(&urls, &old, SCOPE_INNTEKT, now),
    )
    .unwrap();
    check(
        &testkit::post_grant(&env.http, &urls, &a).await.unwrap(),
        400,
        "invalid_grant",
        "MP-120",
    );
    // certificate from an untrusted CA
    let rogue = testkit::identity(INSTITUTION_CLIENT_ID, INSTITUTION_ORGNR).unwrap();
    let a = testkit::sign_grant(&rogue, &base_with_jti(&base)).unwrap();
    check(
        &testkit::post_grant(&env.http, &urls, &a).await.unwrap(),
        400,
        "invalid_grant",
        "MP-120",
    );
}

fn base_with_jti(c: &Value) -> Value {
    let mut c = c.clone();
    c["jti"] = json!(uuid::Uuid::new_v4().to_string());
    c
}

#[tokio::test]
async fn delegation_and_system_user() {
    let env = Env::new().await;
    let urls = env.sim.urls().clone();
    let vendor = testkit::identity("vendor-client", VENDOR_ORGNR).unwrap();
    env.sim.register_client(testkit::sim_client(&vendor, &ALL));
    env.sim
        .register_delegation(INSTITUTION_ORGNR, VENDOR_ORGNR, SCOPE_INNTEKTSMOTTAKERE);
    let mut c = testkit::grant_claims(&urls, &vendor, SCOPE_INNTEKTSMOTTAKERE, env.sim.now());
    c["consumer_org"] = json!(INSTITUTION_ORGNR);
    let a = testkit::sign_grant(&vendor, &c).unwrap();
    let (s, body) = testkit::post_grant(&env.http, &urls, &a).await.unwrap();
    assert_eq!(s, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    let at = testkit::decode_claims(&token).unwrap();
    assert_eq!(at["consumer"]["ID"], format!("0192:{INSTITUTION_ORGNR}"));
    assert_eq!(at["supplier"]["ID"], format!("0192:{VENDOR_ORGNR}"));
    let url = format!(
        "{}/otp/{ORG_A}/inntektsmottakere?fraOgMed={}&tilOgMed={}",
        urls.inntektsmottakere,
        m(),
        m()
    );
    assert_eq!(env.get(&url, Some(&token)).await.0, 200);

    env.sim
        .register_system_user(INSTITUTION_ORGNR, VENDOR_ORGNR);
    let mut c = testkit::grant_claims(&urls, &vendor, SCOPE_INNTEKTSMOTTAKERE, env.sim.now());
    c["authorization_details"] = json!([{"type": "urn:altinn:systemuser",
        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{INSTITUTION_ORGNR}")}}]);
    let a = testkit::sign_grant(&vendor, &c).unwrap();
    let (s, body) = testkit::post_grant(&env.http, &urls, &a).await.unwrap();
    assert_eq!(s, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(env.get(&url, Some(token)).await.0, 200);
}

#[tokio::test]
async fn inntekt() {
    let env = Env::new().await;
    let t = env.token(SCOPE_INNTEKT).await;
    let u = &env.sim.urls().inntekt;
    let url = |pid: &str, fra: YearMonth, til: YearMonth| {
        format!("{u}/otp/{pid}/inntekter?fraOgMed={fra}&tilOgMed={til}&opplysningspliktig={ORG_A}")
    };
    let (s, b) = env.get(&url(P_INC, m(), m()), Some(&t)).await;
    assert_eq!(s, 200, "{b}");
    let el = &b["oppgaveInntektsmottaker"];
    assert!(el
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["opplysningspliktigId"] == ORG_A
            && e["kalendermaaned"] == m().to_string()
            && e["virksomhetId"] == ORG_A_VIRKSOMHET
            && e["inntekt"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["loennsinntekt"]["beskrivelse"] == "fastloenn")));
    check_inntekt_schema(&b);
    // several months, including sykepenger from NAV
    let (s, b) = env.get(&url(P_INC, m().plus(-11), m()), Some(&t)).await;
    assert_eq!(s, 200);
    check_inntekt_schema(&b);
    assert!(b["oppgaveInntektsmottaker"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["opplysningspliktigId"] == NAV_ORGNR));
    // virkningsperiode: S-6 allowed, S-16 refused
    let s0 = YearMonth::new(2021, 1).unwrap();
    assert_eq!(
        env.get(&url(P_INC, s0.plus(-6), s0.plus(-6)), Some(&t))
            .await
            .0,
        200
    );
    let (s, b) = env
        .get(&url(P_INC, s0.plus(-16), s0.plus(-16)), Some(&t))
        .await;
    assert_eq!((s, b["kode"].as_str()), (403, Some("IM-005")));
    assert_eq!(b["korrelasjonsid"], "11111111-2222-4333-8444-555555555555");
    // no income
    let (s, b) = env.get(&url(P_NOINC, m(), m()), Some(&t)).await;
    assert_eq!((s, b["kode"].as_str()), (404, Some("IM-008")));
    // shielded
    let (s, b) = env.get(&url(P_SKJ, m(), m()), Some(&t)).await;
    assert_eq!(s, 200);
    let e = &b["oppgaveInntektsmottaker"][0];
    assert_eq!(e["skjermet"], true);
    assert!(e.get("inntekt").is_none());
    // bad / unknown ids
    assert_eq!(
        env.get(&url("12838510069", m(), m()), Some(&t)).await.1["kode"],
        "IM-006"
    );
    let (s, b) = env.get(&url("01017012345", m(), m()), Some(&t)).await;
    if s == 404 {
        assert_eq!(b["kode"], "IM-007");
    }
    // missing opplysningspliktig, wrong package, no agreement
    let (s, b) = env
        .get(
            &format!("{u}/otp/{P_INC}/inntekter?fraOgMed={}", m()),
            Some(&t),
        )
        .await;
    assert_eq!((s, b["kode"].as_str()), (400, Some("IM-006")));
    let (s, _) = env
        .get(&url(P_INC, m(), m()).replace("/otp/", "/sbl/"), Some(&t))
        .await;
    assert_eq!(s, 403);
    let (s, b) = env
        .get(&url(P_INC, m(), m()).replace(ORG_A, ORG_X), Some(&t))
        .await;
    assert_eq!((s, b["kode"].as_str()), (403, Some("IM-005")));
    // format
    let r = env
        .http
        .get(url(P_INC, m(), m()))
        .bearer_auth(&t)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
    // tokens
    let (s, b) = env.get(&url(P_INC, m(), m()), None).await;
    assert_eq!((s, b["kode"].as_str()), (401, Some("IM-004")));
    let wrong = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    assert_eq!(
        env.get(&url(P_INC, m(), m()), Some(&wrong)).await.1["kode"],
        "IM-005"
    );
    env.sim.advance_clock(10_000);
    let (s, b) = env.get(&url(P_INC, m(), m()), Some(&t)).await;
    assert_eq!((s, b["kode"].as_str()), (401, Some("IM-004")));
}

#[tokio::test]
async fn inntekt_im010_variant() {
    let env = Env::start(SimConfig {
        no_income_code: NoIncomeCode::Im010,
        ..SimConfig::new(today())
    })
    .await;
    let t = env.token(SCOPE_INNTEKT).await;
    let url = format!(
        "{}/otp/{P_NOINC}/inntekter?fraOgMed={}&tilOgMed={}&opplysningspliktig={ORG_A}",
        env.sim.urls().inntekt,
        m(),
        m()
    );
    let (s, b) = env.get(&url, Some(&t)).await;
    assert_eq!((s, b["kode"].as_str()), (403, Some("IM-010")));
}

/// Structural check against the 1.7.0 `OppgaverInntektsmottaker` schema (types of the fields we emit).
fn check_inntekt_schema(b: &Value) {
    let list = b["oppgaveInntektsmottaker"]
        .as_array()
        .expect("oppgaveInntektsmottaker array");
    let allowed = [
        "opplysningspliktigId",
        "virksomhetId",
        "kalendermaaned",
        "inntektsmottaker",
        "skjermet",
        "inntekt",
        "oppsummeringstidspunkt",
    ];
    for e in list {
        for k in e.as_object().unwrap().keys() {
            assert!(allowed.contains(&k.as_str()), "unexpected {k}");
        }
        assert!(e["inntektsmottaker"]["personidentifikator"].is_string());
        for i in e["inntekt"].as_array().unwrap() {
            assert!(i["beloep"].is_f64() || i["beloep"].is_i64());
            assert!(
                i["utloeserArbeidsgiveravgift"].is_boolean()
                    && i["inngaarIGrunnlagForTrekk"].is_boolean()
            );
            let kinds = [
                "loennsinntekt",
                "ytelseFraOffentlige",
                "pensjonEllerTrygd",
                "naeringsinntekt",
            ];
            assert_eq!(
                kinds.iter().filter(|k| i.get(**k).is_some()).count(),
                1,
                "oneOf: {i}"
            );
        }
        assert!(chrono::DateTime::parse_from_rfc3339(
            e["oppsummeringstidspunkt"].as_str().unwrap()
        )
        .is_ok());
    }
}

#[tokio::test]
async fn inntektsmottakere() {
    let env = Env::new().await;
    let t = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let u = &env.sim.urls().inntektsmottakere;
    let url = |org: &str, fra: YearMonth, til: YearMonth| {
        format!("{u}/otp/{org}/inntektsmottakere?fraOgMed={fra}&tilOgMed={til}")
    };
    let (s, b) = env.get(&url(ORG_A, m(), m()), Some(&t)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["opplysningspliktig"]["norskIdentifikator"], ORG_A);
    let ids: Vec<&str> = b["inntektsmottaker"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["personidentifikator"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&P_INC) && ids.contains(&P_NOINC) && ids.contains(&P_PERM));
    assert!(!ids.contains(&P_SKJ));
    assert!(b.get("skjermet").is_none() && b.get("link").is_none());
    let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4);
    let s0 = YearMonth::new(2021, 1).unwrap();
    let (s, b) = env
        .get(&url(ORG_A, s0.plus(-3), s0.plus(-1)), Some(&t))
        .await;
    assert_eq!((s, b["kode"].as_str()), (403, Some("IM-005")));
    let (s, b) = env.get(&url(ORG_X, m(), m()), Some(&t)).await;
    assert_eq!((s, b["kode"].as_str()), (403, Some("IM-005")));
    let (s, b) = env
        .get(
            &format!(
                "{u}/otp/{ORG_A}/inntektsmottakere?fraOgMed=2021/01&tilOgMed={}",
                m()
            ),
            Some(&t),
        )
        .await;
    assert_eq!((s, b["kode"].as_str()), (400, Some("IM-006")));
    let (s, b) = env.get(&url(ORG_A, m(), m()), None).await;
    assert_eq!((s, b["kode"].as_str()), (401, Some("IM-004")));
}

#[tokio::test]
async fn tjenestepensjonsavtale_changes_other_apis() {
    let env = Env::new().await;
    let t = env.token(SCOPE_TJENESTEPENSJONSAVTALE).await;
    let ti = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let u = env.sim.urls().tjenestepensjonsavtale.clone();
    let ims = format!(
        "{}/otp/{ORG_B}/inntektsmottakere?fraOgMed={}&tilOgMed={}",
        env.sim.urls().inntektsmottakere,
        m(),
        m()
    );
    assert_eq!(env.get(&ims, Some(&ti)).await.0, 403);
    let post = json!({"avtalereferanse": REF_TMP, "fraOgMed": "2023-01", "opplysningspliktig": {"norskIdentifikator": ORG_B}});
    let (s, _) = env
        .send_json(
            reqwest::Method::POST,
            &format!("{u}/otp/avtaleforhold"),
            Some(&t),
            &post,
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = env.get(&ims, Some(&ti)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["inntektsmottaker"][0]["personidentifikator"], P_07);
    // change: end month before M makes M fall outside
    let mut changed = post.clone();
    changed["tilOgMed"] = json!("2024-06");
    assert_eq!(
        env.send_json(
            reqwest::Method::POST,
            &format!("{u}/otp/avtaleforhold"),
            Some(&t),
            &changed
        )
        .await
        .0,
        200
    );
    assert_eq!(env.get(&ims, Some(&ti)).await.0, 403);
    assert_eq!(
        env.sim
            .agreements()
            .iter()
            .filter(|a| a.opplysningspliktig == ORG_B)
            .count(),
        1
    );
    let del =
        json!({"avtalereferanse": REF_TMP, "opplysningspliktig": {"norskIdentifikator": ORG_B}});
    assert_eq!(
        env.send_json(
            reqwest::Method::DELETE,
            &format!("{u}/otp/avtaleforhold"),
            Some(&t),
            &del
        )
        .await
        .0,
        200
    );
    let (s, b) = env
        .send_json(
            reqwest::Method::DELETE,
            &format!("{u}/otp/avtaleforhold"),
            Some(&t),
            &del,
        )
        .await;
    assert_eq!((s, b["kode"].as_str()), (404, Some("OTP-007")));
    // validation
    for bad in [
        json!({"avtalereferanse": "X", "fraOgMed": "2021-13", "opplysningspliktig": {"norskIdentifikator": ORG_B}}),
        json!({"avtalereferanse": "X", "fraOgMed": "202101", "opplysningspliktig": {"norskIdentifikator": ORG_B}}),
        json!({"avtalereferanse": "X", "fraOgMed": "2021-01", "opplysningspliktig": {"norskIdentifikator": "310000109"}}),
        json!({"avtalereferanse": "X", "fraOgMed": "2021-01", "extra": 1, "opplysningspliktig": {"norskIdentifikator": ORG_B}}),
    ] {
        let (s, b) = env
            .send_json(
                reqwest::Method::POST,
                &format!("{u}/otp/avtaleforhold"),
                Some(&t),
                &bad,
            )
            .await;
        assert_eq!((s, b["kode"].as_str()), (400, Some("OTP-006")), "{bad}");
    }
    // the nav-only validity endpoints
    let q = format!(
        "opplysningspliktig={ORG_A}&pensjonsinnretning={INSTITUTION_ORGNR}&fraOgMed={}&tilOgMed={}",
        m(),
        m()
    );
    let (s, b) = env
        .get(&format!("{u}/otp/avtaleforhold/gyldighet?{q}"), Some(&t))
        .await;
    assert_eq!((s, b["kode"].as_str()), (403, Some("OTP-005")));
    let (s, b) = env
        .get(&format!("{u}/nav/avtaleforhold/gyldighet?{q}"), Some(&t))
        .await;
    assert_eq!((s, &b["gyldig"]), (200, &json!(true)));
    let q2 = format!("opplysningspliktig={ORG_A}&pensjonsinnretning={INSTITUTION_ORGNR}&fraOgMed=2019-11&tilOgMed=2020-01");
    let (s, b) = env
        .get(
            &format!("{u}/nav/avtaleforhold/virkningsperiode/gyldighet?{q2}"),
            Some(&t),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        b["maanederUtenforGyldigVirkningsperiode"]["maaned"],
        json!(["2019-11", "2019-12"])
    );
    // no token
    let (s, b) = env
        .send_json(
            reqwest::Method::POST,
            &format!("{u}/otp/avtaleforhold"),
            None,
            &json!({}),
        )
        .await;
    assert_eq!((s, b["kode"].as_str()), (401, Some("OTP-004")));
}

#[tokio::test]
async fn aareg() {
    let env = Env::new().await;
    let t = env.token(SCOPE_AAREG).await;
    let v = |p: &str, f: YearMonth, til: YearMonth| json!({"o": ORG_A, "a": p, "f": f.to_string(), "t": til.to_string()});
    let (s, h, b) = env.gql(Some(&t), PR_ARBEIDSTAKER, v(P_INC, m(), m())).await;
    assert_eq!(s, 200);
    assert!(h.get("correlation-id").is_some());
    assert!(b.get("errors").is_none(), "{b}");
    let af = &b["data"]["finnArbeidsforholdPrArbeidstaker"]["arbeidsforhold"][0];
    assert_eq!(af["arbeidstaker"]["ident"], P_INC);
    assert_eq!(af["arbeidssted"]["ident"], ORG_A_VIRKSOMHET);
    assert!(af["uuid"].is_string() && af["ansettelsesperiode"]["startdato"].is_string());
    assert_eq!(af["ansettelsesdetaljer"].as_array().unwrap().len(), 1);
    // permisjoner
    let (_, _, b) = env
        .gql(Some(&t), PR_ARBEIDSTAKER, v(P_PERM, m(), m()))
        .await;
    assert_eq!(
        b["data"]["finnArbeidsforholdPrArbeidstaker"]["arbeidsforhold"][0]["permisjoner"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // ended
    let (_, _, b) = env
        .gql(Some(&t), PR_ARBEIDSTAKER, v(P_END, m().plus(-3), m()))
        .await;
    let p =
        &b["data"]["finnArbeidsforholdPrArbeidstaker"]["arbeidsforhold"][0]["ansettelsesperiode"];
    assert_eq!(p["sluttaarsak"]["kode"], "arbeidstakerHarSagtOppSelv");
    assert_eq!(p["sluttdato"], m().plus(-1).last_day().to_string());
    // AA-101, AA-102, AA-055, AA-052
    let code = |b: &Value| {
        b["errors"][0]["extensions"]["errormessages"][0]["code"]
            .as_str()
            .map(str::to_string)
    };
    let y = YearMonth::new(2019, 6).unwrap();
    let (s, h, b) = env.gql(Some(&t), PR_ARBEIDSTAKER, v(P_INC, y, y)).await;
    assert_eq!((s, code(&b).as_deref()), (200, Some("AA-101")));
    assert_eq!(
        b["errors"][0]["extensions"]["classification"],
        "ExecutionAborted"
    );
    assert!(
        b["data"]["finnArbeidsforholdPrArbeidstaker"].is_null() && b["data"].is_object(),
        "{b}"
    );
    assert!(h.get("correlation-id").is_some());
    let (_, _, b) = env.gql(Some(&t), PR_ARBEIDSTAKER, v(P_SKJ, m(), m())).await;
    assert_eq!(code(&b).as_deref(), Some("AA-102"));
    let (_, _, b) = env
        .gql(Some(&t), PR_ARBEIDSTAKER, v(P_INC, m(), m().plus(-1)))
        .await;
    assert_eq!(code(&b).as_deref(), Some("AA-055"));
    assert_eq!(
        b["errors"][0]["extensions"]["classification"],
        "ValidationError"
    );
    let (_, _, b) = env
        .gql(Some(&t), PR_ARBEIDSTAKER, v("12838510069", m(), m()))
        .await;
    assert_eq!(code(&b).as_deref(), Some("AA-052"));
    // overview, ansattTilMaaned omitted
    let (_, _, b) = env
        .gql(
            Some(&t),
            OVERSIKT,
            json!({"o": ORG_A, "f": m().to_string()}),
        )
        .await;
    let list = b["data"]["finnArbeidsforholdoversikterPrOpplysningspliktig"]
        ["arbeidsforholdoversikter"]
        .as_array()
        .unwrap()
        .clone();
    assert!(list.iter().any(|a| a["arbeidstaker"]["ident"] == P_INC));
    assert!(!list.iter().any(|a| a["arbeidstaker"]["ident"] == P_SKJ));
    // correlation id echoed
    let resp = env
        .http
        .post(&env.sim.urls().aareg)
        .bearer_auth(&t)
        .header("correlation-id", "abc-123")
        .json(&json!({"query": OVERSIKT, "variables": {"o": ORG_A, "f": m().to_string()}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["correlation-id"], "abc-123");
    // tokens
    let (s, h, _) = env
        .gql(None, OVERSIKT, json!({"o": ORG_A, "f": m().to_string()}))
        .await;
    assert_eq!(s, 401);
    assert!(h["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let wrong = env.token(SCOPE_INNTEKT).await;
    assert_eq!(
        env.gql(
            Some(&wrong),
            OVERSIKT,
            json!({"o": ORG_A, "f": m().to_string()})
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn request_log_and_faults() {
    let cfg = SimConfig {
        faults: Some("seed=1,trigger=IM-002@inntekt*1,trigger=AA-201@aareg*1".into()),
        ..SimConfig::new(today())
    };
    let env = Env::start(cfg).await;
    let t = env.token(SCOPE_INNTEKT).await;
    let url = format!(
        "{}/otp/{P_INC}/inntekter?fraOgMed={}&tilOgMed={}&opplysningspliktig={ORG_A}",
        env.sim.urls().inntekt,
        m(),
        m()
    );
    let (s, b) = env.get(&url, Some(&t)).await;
    assert_eq!((s, b["kode"].as_str()), (500, Some("IM-002")));
    assert_eq!(env.get(&url, Some(&t)).await.0, 200);
    let ta = env.token(SCOPE_AAREG).await;
    let (s, _, b) = env
        .gql(
            Some(&ta),
            OVERSIKT,
            json!({"o": ORG_A, "f": m().to_string()}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        b["errors"][0]["extensions"]["errormessages"][0]["code"],
        "AA-201"
    );
    assert!(b["data"]["finnArbeidsforholdoversikterPrOpplysningspliktig"].is_null());
    let log = env.sim.request_log();
    assert!(log.iter().any(|l| l.path.starts_with("/inntekt/")
        && l.status == 500
        && l.correlation_id.as_deref() == Some("11111111-2222-4333-8444-555555555555")));
    let remote: Vec<LoggedRequest> = env
        .http
        .get(format!("{}/_sim/log", env.sim.urls().base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(remote.len() >= log.len());
    assert!(dsop_harness::sim::start(
        SimConfig {
            faults: Some("bogus".into()),
            ..SimConfig::new(today())
        },
        "127.0.0.1:0".parse().unwrap()
    )
    .await
    .is_err());
    env.sim.shutdown().await;
}

#[tokio::test]
async fn concurrency_limit() {
    let cfg = SimConfig {
        faults: Some("latency=3000ms@inntektsmottakere".into()),
        ..SimConfig::new(today())
    };
    let env = Env::start(cfg).await;
    let t = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let url = format!(
        "{}/otp/{ORG_A}/inntektsmottakere?fraOgMed={}&tilOgMed={}",
        env.sim.urls().inntektsmottakere,
        m(),
        m()
    );
    // Every call holds its slot for 3 s, so 12 simultaneous calls must see some 429s.
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let http = env.http.clone();
        let (url, t) = (url.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let r = http.get(&url).bearer_auth(&t).send().await.unwrap();
            (
                r.status().as_u16(),
                r.headers().get("retry-after").is_some(),
            )
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        let (s, retry_after) = task.await.unwrap();
        assert!(s == 200 || (s == 429 && retry_after), "{s}");
        statuses.push(s);
    }
    assert!(
        statuses.iter().filter(|s| **s == 200).count() >= 5,
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    // the slots are free again afterwards
    assert_eq!(env.get(&url, Some(&t)).await.0, 200);
}

#[tokio::test]
async fn reset_and_5xx_faults() {
    let cfg = SimConfig {
        faults: Some("reset=1@inntektsmottakere,5xx=1@tjenestepensjonsavtale".into()),
        ..SimConfig::new(today())
    };
    let env = Env::start(cfg).await;
    let t = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let url = format!(
        "{}/otp/{ORG_A}/inntektsmottakere?fraOgMed={}&tilOgMed={}",
        env.sim.urls().inntektsmottakere,
        m(),
        m()
    );
    let r = env.http.get(&url).bearer_auth(&t).send().await;
    let broken = match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(broken, "a reset must break the response");
    let tt = env.token(SCOPE_TJENESTEPENSJONSAVTALE).await;
    let (s, b) = env
        .send_json(
            reqwest::Method::POST,
            &format!(
                "{}/otp/avtaleforhold",
                env.sim.urls().tjenestepensjonsavtale
            ),
            Some(&tt),
            &json!({}),
        )
        .await;
    assert_eq!((s, b["kode"].as_str()), (500, Some("DAS-001")));
}
