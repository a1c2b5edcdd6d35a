//! The simulator's switches (docs/simulator.md §15), each checked over HTTP against the real simulator:
//! the default and the alternative give the documented answers.

use chrono::NaiveDate;
use dsop_harness::months::YearMonth;
use dsop_harness::sim::data::*;
use dsop_harness::sim::testkit;
use dsop_harness::sim::*;
use serde_json::{json, Value};

use testkit::{institution_identity as identity, ALL_SCOPES as ALL};

fn today() -> NaiveDate {
    testkit::test_today()
}

fn m() -> YearMonth {
    YearMonth::recent_complete(today())
}

struct Env {
    sim: SimHandle,
    http: reqwest::Client,
}

impl Env {
    async fn start(switches: &[(&str, &str)]) -> Env {
        let mut cfg = SimConfig::new(today());
        for (n, v) in switches {
            cfg.set_switch(n, v).unwrap();
        }
        let sim = start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        sim.register_client(testkit::sim_client(identity(), &ALL));
        Env {
            sim,
            http: testkit::http_client(),
        }
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

    /// GET (or another method with a JSON body): status, the answer's `kode` (or ""), the body.
    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: Option<Value>,
        accept: Option<&str>,
    ) -> (u16, String, String) {
        let mut r = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(a) = accept {
            r = r.header("Accept", a);
        }
        let resp = r.send().await.unwrap();
        let s = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (s, v["kode"].as_str().unwrap_or("").to_string(), text)
    }

    fn inntekt(&self, pid: &str, fra: YearMonth, til: YearMonth) -> String {
        format!(
            "{}/otp/{pid}/inntekter?fraOgMed={fra}&tilOgMed={til}&opplysningspliktig={ORG_A}",
            self.sim.urls().inntekt
        )
    }

    /// The `nav`-only validity GET, called with `otp`.
    fn gyldighet(&self) -> String {
        format!(
            "{}/otp/avtaleforhold/gyldighet?opplysningspliktig={ORG_A}&pensjonsinnretning={INSTITUTION_ORGNR}&fraOgMed={}&tilOgMed={}",
            self.sim.urls().tjenestepensjonsavtale,
            m(),
            m()
        )
    }

    fn ims(&self, org: &str, fra: YearMonth, til: YearMonth, extra: &str) -> String {
        format!(
            "{}/otp/{org}/inntektsmottakere?fraOgMed={fra}&tilOgMed={til}{extra}",
            self.sim.urls().inntektsmottakere
        )
    }
}

fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

#[test]
fn every_switch_is_documented_with_its_default_and_alternatives() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/simulator.md")).unwrap();
    for d in SWITCHES {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` ", d.name)))
            .unwrap_or_else(|| panic!("docs/simulator.md §15 has no row for {}", d.name));
        assert!(row.contains(&format!("`{}`", d.default)), "{row}");
        for a in d.alternatives {
            assert!(row.contains(&format!("`{a}`")), "{row}: alternative {a}");
        }
    }
    let mut cfg = SimConfig::new(today());
    assert!(cfg.set_switch("nav_window", "sometimes").is_err());
    assert!(cfg.set_switch("no_such_switch", "1").is_err());
    cfg.set_switches("nav_window=avtaleforhold,token_lifetime=30")
        .unwrap();
    assert_eq!(cfg.nav_window, NavWindow::Avtaleforhold);
    assert_eq!(cfg.token_lifetime_secs, 30);
}

#[tokio::test]
async fn switches_from_the_faults_spec_and_over_http() {
    let mut cfg = SimConfig::new(today());
    cfg.faults =
        Some("seed=3,nav_window=avtaleforhold,5xx=0@inntekt,no_income_code=403:IM-010".into());
    let sim = start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let v: Value = testkit::http_client()
        .get(format!("{}/_sim/switches", sim.urls().base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["nav_window"], "avtaleforhold");
    assert_eq!(v["no_income_code"], "403:IM-010");
    assert_eq!(v["token_lifetime"], "120");
    assert_eq!(v.as_object().unwrap().len(), SWITCHES.len());
    let mut bad = SimConfig::new(today());
    bad.faults = Some("nav_window=sometimes".into());
    let e = start(bad, "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("nav_window=sometimes"), "{e}");
}

#[tokio::test]
async fn expiry_tolerance_per_api() {
    // Default: 30 s past exp is still accepted (inside the 60 s tolerance), 70 s is not. The margins keep
    // the wall clock's own progress out of the result.
    let env = Env::start(&[]).await;
    let t = env.token(SCOPE_INNTEKT).await;
    let url = env.inntekt(P_INC, m(), m());
    env.sim.advance_clock(120 + 30);
    let (s, _, _) = env.call(reqwest::Method::GET, &url, &t, None, None).await;
    assert_eq!(s, 200, "30 s past exp is inside the 60 s tolerance");
    env.sim.advance_clock(40);
    let (s, kode, _) = env.call(reqwest::Method::GET, &url, &t, None, None).await;
    assert_eq!((s, kode.as_str()), (401, "IM-004"));

    // Tolerance 0 on Skatteetaten, NAV keeps its 60 s.
    let env = Env::start(&[("expiry_tolerance_skatteetaten", "0")]).await;
    let t = env.token(SCOPE_INNTEKT).await;
    let ta = env.token(SCOPE_AAREG).await;
    env.sim.advance_clock(121);
    let (s, _, _) = env
        .call(
            reqwest::Method::GET,
            &env.inntekt(P_INC, m(), m()),
            &t,
            None,
            None,
        )
        .await;
    assert_eq!(s, 401);
    let q = json!({"query": "query($o: ID!, $f: String!) { finnArbeidsforholdoversikterPrOpplysningspliktig(opplysningspliktigId: $o, ansattFraMaaned: $f) { arbeidsforholdoversikter { id } } }",
        "variables": {"o": ORG_A, "f": m().to_string()}});
    let (s, _, _) = env
        .call(
            reqwest::Method::POST,
            &env.sim.urls().aareg,
            &ta,
            Some(q),
            None,
        )
        .await;
    assert_eq!(s, 200, "NAV still inside its tolerance");
}

/// The answers (status, code) to the five requests whose refusal a switch decides: a month before 2020-01, a
/// month after the virkningsperiode, a list for an employer without agreement, a DELETE of an unknown agreement,
/// the `nav`-only validity GET with `otp`.
async fn refusals(env: &Env) -> Vec<(u16, String)> {
    let ti = env.token(SCOPE_INNTEKT).await;
    let tm = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let tt = env.token(SCOPE_TJENESTEPENSJONSAVTALE).await;
    let get = reqwest::Method::GET;
    let del = json!({"avtalereferanse": "FINNES-IKKE", "opplysningspliktig": {"norskIdentifikator": ORG_A}});
    let tpa = format!(
        "{}/otp/avtaleforhold",
        env.sim.urls().tjenestepensjonsavtale
    );
    let calls = [
        (
            get.clone(),
            env.inntekt(P_INC, ym("2019-09"), ym("2019-09")),
            &ti,
            None,
        ),
        (
            get.clone(),
            env.inntekt(P_INC, ym("2027-01"), ym("2027-01")),
            &ti,
            None,
        ),
        (get.clone(), env.ims(ORG_X, m(), m(), ""), &tm, None),
        (reqwest::Method::DELETE, tpa, &tt, Some(del)),
        (get, env.gyldighet(), &tt, None),
    ];
    let mut out = Vec::new();
    for (method, url, token, body) in calls {
        let (s, kode, _) = env.call(method, &url, token, body, None).await;
        out.push((s, kode));
    }
    out
}

fn answers(a: &[(u16, &str)]) -> Vec<(u16, String)> {
    a.iter().map(|(s, c)| (*s, c.to_string())).collect()
}

#[tokio::test]
async fn refusal_shapes() {
    let env = Env::start(&[]).await;
    assert_eq!(
        refusals(&env).await,
        answers(&[
            (403, "IM-005"),
            (403, "IM-005"),
            (403, "IM-005"),
            (404, "OTP-007"),
            (403, "OTP-005")
        ])
    );
    let env = Env::start(&[
        ("before_floor", "400:IM-006"),
        ("outside_agreement", "403:DAS-008"),
        ("second_delete", "200"),
        ("wrong_package", "403:DAS-008"),
    ])
    .await;
    assert_eq!(
        refusals(&env).await,
        answers(&[
            (400, "IM-006"),
            (403, "DAS-008"),
            (403, "DAS-008"),
            (200, ""),
            (403, "DAS-008")
        ])
    );
}

#[tokio::test]
async fn shielded_shapes_employer_side_and_paging() {
    let get = reqwest::Method::GET;
    let env = Env::start(&[]).await;
    let ti = env.token(SCOPE_INNTEKT).await;
    let tm = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let (_, _, body) = env
        .call(get.clone(), &env.inntekt(P_SKJ, m(), m()), &ti, None, None)
        .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["oppgaveInntektsmottaker"][0]["skjermet"], true);
    let (_, _, body) = env
        .call(get.clone(), &env.ims(ORG_A, m(), m(), ""), &tm, None, None)
        .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v.get("skjermet").is_none());
    assert!(!body.contains(P_SKJ));
    let all = v["inntektsmottaker"].as_array().unwrap().len();
    assert!(all >= 3);
    // The employer's side ends at the last reported month: the current month is outside the avtaleforhold.
    let cur = YearMonth::of(today());
    let r = env
        .call(get.clone(), &env.ims(ORG_A, cur, cur, ""), &tm, None, None)
        .await;
    assert_eq!((r.0, r.1.as_str()), (403, "IM-005"));
    // sidenummer: page 1 is everything at the default page size; page 2 is empty; 0 is refused.
    let (s, _, body) = env
        .call(
            get.clone(),
            &env.ims(ORG_A, m(), m(), "&sidenummer=1"),
            &tm,
            None,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["inntektsmottaker"].as_array().unwrap().len(), all);
    let r = env
        .call(
            get.clone(),
            &env.ims(ORG_A, m(), m(), "&sidenummer=0"),
            &tm,
            None,
            None,
        )
        .await;
    assert_eq!((r.0, r.1.as_str()), (400, "IM-006"));

    let env = Env::start(&[
        ("shielded_inntekt", "top_level"),
        ("shielded_list", "flagged"),
        ("employer_side", "current_month"),
        ("empty_list", "200"),
        ("page_size", "2"),
    ])
    .await;
    let ti = env.token(SCOPE_INNTEKT).await;
    let tm = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let (_, _, body) = env
        .call(get.clone(), &env.inntekt(P_SKJ, m(), m()), &ti, None, None)
        .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["skjermet"], true);
    assert!(v.get("oppgaveInntektsmottaker").is_none());
    let mut seen = Vec::new();
    for page in 1..=10 {
        let (s, _, body) = env
            .call(
                get.clone(),
                &env.ims(ORG_A, m(), m(), &format!("&sidenummer={page}")),
                &tm,
                None,
                None,
            )
            .await;
        assert_eq!(s, 200);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["skjermet"], true);
        let ids = v["inntektsmottaker"].as_array().unwrap();
        assert!(ids.len() <= 2);
        if ids.is_empty() {
            break;
        }
        seen.extend(ids.iter().map(|i| i["personidentifikator"].clone()));
    }
    assert_eq!(seen.len(), all, "the pages together list everybody once");
    let cur = YearMonth::of(today());
    let (s, _, body) = env
        .call(get, &env.ims(ORG_A, cur, cur, ""), &tm, None, None)
        .await;
    assert_eq!(
        s, 200,
        "current month inside the avtaleforhold, nobody reported, empty list: {body}"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["inntektsmottaker"], json!([]));
}

#[tokio::test]
async fn xml_is_served_on_request() {
    let env = Env::start(&[]).await;
    let tm = env.token(SCOPE_INNTEKTSMOTTAKERE).await;
    let get = |org: &'static str, accept: &'static str| {
        let url = env.ims(org, m(), m(), "");
        let (env, tm) = (&env, tm.clone());
        async move {
            env.call(reqwest::Method::GET, &url, &tm, None, Some(accept))
                .await
        }
    };
    let (s, _, body) = get(ORG_A, "application/xml").await;
    assert_eq!(s, 200);
    let root = "<inntektsmottakere xmlns=\"urn:no:skatteetaten:datasamarbeid:inntektsmottaker:rapporterte:v1\">";
    assert!(body.contains(root), "{body}");
    assert!(body.contains(&format!(
        "<personidentifikator>{P_INC}</personidentifikator>"
    )));
    let (s, _, body) = get(ORG_X, "application/xml").await;
    assert_eq!(s, 403);
    let feil = "<feil xmlns=\"urn:no:skatteetaten:datasamarbeid:feil:v1\"><kode>IM-005</kode>";
    assert!(body.contains(feil), "{body}");
    let (s, kode, _) = get(ORG_A, "text/csv").await;
    assert_eq!((s, kode.as_str()), (406, "IM-008"));
}

/// No scope without a grant; refusals in the observed shape; system-user token claims as Altinn documents them.
#[tokio::test]
async fn grants_refusals_and_system_user_claims() {
    let env = Env::start(&[]).await;
    let urls = env.sim.urls().clone();
    let vendor = testkit::identity("vendor-client", VENDOR_ORGNR).unwrap();
    env.sim
        .register_client(testkit::sim_client(&vendor, &[SCOPE_INNTEKTSMOTTAKERE]));
    let grant = |claims: Value| {
        let a = testkit::sign_grant(&vendor, &claims).unwrap();
        let (http, urls) = (env.http.clone(), urls.clone());
        async move { testkit::post_grant(&http, &urls, &a).await.unwrap() }
    };
    let claims = || testkit::grant_claims(&urls, &vendor, SCOPE_INNTEKTSMOTTAKERE, env.sim.now());
    let for_institution = || {
        let mut c = claims();
        c["consumer_org"] = json!(INSTITUTION_ORGNR);
        c
    };
    // A `forbidden` refusal with `code` first and a correlation id last; returns the description.
    let refused = |(s, body): (u16, Value), code: &str| -> String {
        assert_eq!(
            (s, body["error"].as_str()),
            (403, Some("forbidden")),
            "{body}"
        );
        let d = body["error_description"].as_str().unwrap().to_string();
        let tail = regex::Regex::new(r" \(correlation id: [0-9a-f-]{36}\)$").unwrap();
        assert!(d.starts_with(code) && tail.is_match(&d), "{d}");
        d
    };

    // Before it acts for anybody, the vendor's own client holds its scope for the vendor itself.
    let (s, body) = grant(claims()).await;
    assert_eq!(s, 200, "{body}");

    // consumer_org without a delegation: forbidden MP-251, ending with a correlation id.
    refused(grant(for_institution()).await, "MP-251");

    // The delegation makes the vendor a supplier: with consumer_org it gets a token naming both parties …
    env.sim
        .register_delegation(INSTITUTION_ORGNR, VENDOR_ORGNR, SCOPE_INNTEKTSMOTTAKERE);
    let (s, body) = grant(for_institution()).await;
    assert_eq!(s, 200, "{body}");
    let at = testkit::decode_claims(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(at["consumer"]["ID"], format!("0192:{INSTITUTION_ORGNR}"));
    // … and without consumer_org (the forgotten claim) it is refused: no scope without a grant.
    let d = refused(grant(claims()).await, "MP-250");
    let e = dsop_harness::auth::explain_error("forbidden", &d);
    assert!(e.starts_with("MP-250"), "{e}");
    // An explicit grant gives the vendor the scope for itself again; a revocation of the institution's
    // scope stops the delegated use.
    env.sim.grant_scope(VENDOR_ORGNR, SCOPE_INNTEKTSMOTTAKERE);
    assert_eq!(grant(claims()).await.0, 200);
    env.sim
        .revoke_scope(INSTITUTION_ORGNR, SCOPE_INNTEKTSMOTTAKERE);
    refused(grant(for_institution()).await, "MP-250");
    env.sim
        .grant_scope(INSTITUTION_ORGNR, SCOPE_INNTEKTSMOTTAKERE);

    // System user: `systemuser_org` with a lowercase `id`, the vendor as `consumer`; the API serves the
    // institution named by systemuser_org.
    env.sim
        .register_system_user(INSTITUTION_ORGNR, VENDOR_ORGNR);
    let mut c = claims();
    c["authorization_details"] = json!([{"type": "urn:altinn:systemuser",
        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{INSTITUTION_ORGNR}")}}]);
    let (s, body) = grant(c).await;
    assert_eq!(s, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    let at = testkit::decode_claims(&token).unwrap();
    assert_eq!(at["consumer"]["ID"], format!("0192:{VENDOR_ORGNR}"));
    let su = &at["authorization_details"][0]["systemuser_org"];
    assert_eq!(su["id"], format!("0192:{INSTITUTION_ORGNR}"));
    assert!(su.get("ID").is_none());
    let (s, _, body) = env
        .call(
            reqwest::Method::GET,
            &env.ims(ORG_A, m(), m(), ""),
            &token,
            None,
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");

    // maskinporten_codes=absent: the same refusal without its MP code.
    let env2 = Env::start(&[("maskinporten_codes", "absent")]).await;
    let v2 = testkit::identity("vendor-client", VENDOR_ORGNR).unwrap();
    env2.sim
        .register_client(testkit::sim_client(&v2, &[SCOPE_INNTEKTSMOTTAKERE]));
    let mut c = testkit::grant_claims(
        env2.sim.urls(),
        &v2,
        SCOPE_INNTEKTSMOTTAKERE,
        env2.sim.now(),
    );
    c["consumer_org"] = json!(INSTITUTION_ORGNR);
    let a = testkit::sign_grant(&v2, &c).unwrap();
    let (s, body) = testkit::post_grant(&env2.http, env2.sim.urls(), &a)
        .await
        .unwrap();
    assert_eq!(s, 403);
    let d = body["error_description"].as_str().unwrap();
    assert!(d.starts_with("Consumer ") && !d.contains("MP-"), "{d}");
    assert!(dsop_harness::auth::explain_error("forbidden", d).starts_with("MP-251"));
}
