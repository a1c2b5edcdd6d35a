//! Simulator features of round 2: the concurrency gauge, third-party `kid` clients (`--clients` file and
//! `POST /_sim/clients`), `--state` persistence across a restart, `--data` files and Testdata-generated data sets,
//! the `Ansettelsesdetaljer` interface, key rotation, and the NAV window / error-shape switches.

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

fn identity() -> &'static TestIdentity {
    static ID: OnceLock<TestIdentity> = OnceLock::new();
    ID.get_or_init(|| testkit::identity(INSTITUTION_CLIENT_ID, INSTITUTION_ORGNR).unwrap())
}

async fn sim(cfg: SimConfig) -> SimHandle {
    let s = start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    s.register_client(testkit::sim_client(identity(), &ALL));
    s
}

async fn token(http: &reqwest::Client, s: &SimHandle, scope: &str) -> String {
    testkit::token(http, s.urls(), identity(), scope, s.now())
        .await
        .unwrap()
}

async fn gql(http: &reqwest::Client, s: &SimHandle, query: &str, vars: Value) -> Value {
    let t = token(http, s, SCOPE_AAREG).await;
    http.post(&s.urls().aareg)
        .bearer_auth(t)
        .json(&json!({"query": query, "variables": vars}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const DETALJER: &str = "query($o: ID!, $a: ID!, $f: String!) { finnArbeidsforholdPrArbeidstaker(opplysningspliktigId: $o, arbeidstakerId: $a, ansattFraMaaned: $f) { arbeidsforhold { type { kode } permitteringer { prosent } ansettelsesperiode { sluttaarsak { kode } } ansettelsesdetaljer { __typename type avtaltStillingsprosent ... on MaritimAnsettelsesdetaljer { fartsomraade { kode } skipsregister { kode } } } } } }";

#[tokio::test]
async fn at_most_five_in_flight_per_api_and_consumer() {
    // A slow backend (latency spent while holding the slot) makes the 25 calls overlap.
    let s = sim(SimConfig {
        faults: Some("latency=150ms@inntekt".into()),
        ..SimConfig::new(today())
    })
    .await;
    let http = testkit::http_client();
    let t = token(&http, &s, SCOPE_INNTEKT).await;
    let url = format!(
        "{}/otp/{P_INC}/inntekter?fraOgMed={}&tilOgMed={}&opplysningspliktig={ORG_A}",
        s.urls().inntekt,
        m(),
        m()
    );
    let calls = (0..25).map(|_| {
        let (http, url, t) = (http.clone(), url.clone(), t.clone());
        tokio::spawn(async move {
            let r = http.get(&url).bearer_auth(t).send().await.unwrap();
            let status = r.status().as_u16();
            let retry_after = r.headers().get("retry-after").is_some();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, retry_after, body)
        })
    });
    let mut ok = 0;
    let mut refused = 0;
    for c in calls.collect::<Vec<_>>() {
        let (status, retry_after, body) = c.await.unwrap();
        match status {
            200 => ok += 1,
            429 => {
                refused += 1;
                assert!(retry_after);
                assert_eq!(body["kode"], "DAS-003");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let g = s.in_flight("inntekt", INSTITUTION_ORGNR);
    assert!(g.max <= 5, "{g:?}");
    assert!(g.max >= 1, "{g:?}");
    assert_eq!(g.current, 0);
    assert_eq!(g.admitted, ok);
    assert_eq!(g.refused, refused);
    assert_eq!(ok + refused, 25);
    // the same numbers over HTTP
    let rows: Value = http
        .get(format!("{}/_sim/in-flight", s.urls().base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["api"] == "inntekt" && r["consumer"] == INSTITUTION_ORGNR)
        .unwrap();
    assert_eq!(row["max"], json!(g.max));
    assert_eq!(row["refused"], json!(refused));
    // another API of the same consumer has its own five
    assert_eq!(s.in_flight("inntektsmottakere", INSTITUTION_ORGNR).max, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn third_party_kid_client_from_clients_file_and_admin() {
    let dir = tempfile::tempdir().unwrap();
    let key = testkit::rsa_key_pem().unwrap();
    let public = testkit::public_key_pem(&key).unwrap();
    std::fs::write(dir.path().join("vendor.pub.pem"), &public).unwrap();
    let clients = dir.path().join("clients.toml");
    std::fs::write(
        &clients,
        format!(
            r#"
[[client]]
client_id = "vendor-client"
orgnr = "{VENDOR_ORGNR}"
scopes = ["{SCOPE_INNTEKTSMOTTAKERE}"]
kid = "vendor-key-1"
public_key_file = "vendor.pub.pem"

[[delegation]]
consumer = "{INSTITUTION_ORGNR}"
supplier = "{VENDOR_ORGNR}"
scope = "{SCOPE_INNTEKTSMOTTAKERE}"
"#
        ),
    )
    .unwrap();
    let s = start(
        SimConfig {
            clients: Some(clients.clone()),
            ..SimConfig::new(today())
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let http = testkit::http_client();
    let urls = s.urls().clone();
    let grant = |client: &str, kid: &str, now: i64| {
        let c = json!({"aud": urls.maskinporten_issuer, "iss": client, "scope": SCOPE_INNTEKTSMOTTAKERE,
            "consumer_org": INSTITUTION_ORGNR, "iat": now, "exp": now + 60,
            "jti": uuid::Uuid::new_v4().to_string()});
        testkit::sign_grant_kid(&key, kid, &c).unwrap()
    };
    let (status, body) = testkit::post_grant(
        &http,
        &urls,
        &grant("vendor-client", "vendor-key-1", s.now()),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let at = testkit::decode_claims(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(at["client_amr"], "private_key_jwt");
    assert_eq!(at["consumer"]["ID"], format!("0192:{INSTITUTION_ORGNR}"));
    assert_eq!(at["supplier"]["ID"], format!("0192:{VENDOR_ORGNR}"));
    let r = http
        .get(format!(
            "{}/otp/{ORG_A}/inntektsmottakere?fraOgMed={}&tilOgMed={}",
            urls.inntektsmottakere,
            m(),
            m()
        ))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // the same over HTTP: POST /_sim/clients with kid + public_key_pem, POST /_sim/delegations
    let r = http
        .post(format!("{}/_sim/clients", urls.base))
        .json(&json!({"client_id": "vendor-2", "orgnr": VENDOR_ORGNR,
            "scopes": [SCOPE_INNTEKTSMOTTAKERE], "kid": "k2", "public_key_pem": public}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (status, body) = testkit::post_grant(&http, &urls, &grant("vendor-2", "k2", s.now()))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    // a wrong kid is refused
    let (status, body) = testkit::post_grant(&http, &urls, &grant("vendor-2", "k9", s.now()))
        .await
        .unwrap();
    assert_eq!(status, 400, "{body}");
    s.shutdown().await;

    // a bad clients file is a clear start error naming the file
    std::fs::write(&clients, "[[client]]\nclient_id = \"x\"\n").unwrap();
    let err = start(
        SimConfig {
            clients: Some(clients.clone()),
            ..SimConfig::new(today())
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("clients.toml"), "{err}");
}

#[tokio::test]
async fn state_file_keeps_changes_log_clients_and_clock_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sim-state.json");
    let cfg = || SimConfig {
        state: Some(state.clone()),
        ..SimConfig::new(today())
    };
    let http = testkit::http_client();
    // first simulator: the harness side registers its client and moves the clock over HTTP only
    let s = start(cfg(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = s.urls().base.clone();
    let ca_pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&identity().ca_der)
        }
    );
    let r = http
        .post(format!("{base}/_sim/clients"))
        .json(
            &json!({"client_id": INSTITUTION_CLIENT_ID, "orgnr": INSTITUTION_ORGNR,
            "scopes": ALL, "trusted_ca_pem": ca_pem}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let before = s.now();
    let r: Value = http
        .post(format!("{base}/_sim/clock"))
        .json(&json!({"advance_secs": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["now"].as_i64().unwrap() >= before + 3600);
    let t = token(&http, &s, SCOPE_TJENESTEPENSJONSAVTALE).await;
    let r = http
        .post(format!(
            "{}/otp/avtaleforhold",
            s.urls().tjenestepensjonsavtale
        ))
        .bearer_auth(&t)
        .header("Korrelasjonsid", "aaaaaaaa-0000-4000-8000-000000000001")
        .json(&json!({"avtalereferanse": REF_TMP, "fraOgMed": "2023-01",
            "opplysningspliktig": {"norskIdentifikator": ORG_B}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let log_before = s.request_log();
    s.shutdown().await;
    assert!(state.exists());

    // second simulator on the same file: agreements, log, client and clock offset are back
    let s = start(cfg(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert!(s
        .agreements()
        .iter()
        .any(|a| a.opplysningspliktig == ORG_B && a.avtalereferanse == REF_TMP));
    let log = s.request_log();
    assert_eq!(log[..log_before.len()], log_before[..]);
    assert!(log
        .iter()
        .any(|l| l.correlation_id.as_deref() == Some("aaaaaaaa-0000-4000-8000-000000000001")));
    assert!(s.now() >= before + 3600);
    // no re-registration needed
    let t = testkit::token(
        &http,
        s.urls(),
        identity(),
        SCOPE_INNTEKTSMOTTAKERE,
        s.now(),
    )
    .await
    .unwrap();
    let r = http
        .get(format!(
            "{}/otp/{ORG_B}/inntektsmottakere?fraOgMed={}&tilOgMed={}",
            s.urls().inntektsmottakere,
            m(),
            m()
        ))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    s.shutdown().await;
}

#[tokio::test]
async fn data_file_with_maritime_and_frilanser_persons() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[institution]
orgnr = "{INSTITUTION_ORGNR}"
navn = "Eksempel Pensjon AS"

[[employer]]
orgnr = "{ORG_A}"
navn = "Fjordsyn Bygg AS"
underenhet = "{ORG_A_VIRKSOMHET}"
names_institution_from = "2021-01"

[[agreement]]
opplysningspliktig = "{ORG_A}"
avtalereferanse = "EGEN-1"
fra = "2021-01"

[[person]]
id = "{P_INC}"
employer = "{ORG_A}"
tags = ["har_inntekt", "maritim"]
stillingsprosent = 80.0

[[person]]
id = "{P_PERM}"
employer = "{ORG_A}"
tags = ["frilanser", "permittert", "avsluttet_arbeidsforhold", "sluttaarsak:arbeidsgiverHarSagtOppArbeidstaker"]
"#
        ),
    )
    .unwrap();
    let s = sim(SimConfig {
        data: Some(file.clone()),
        ..SimConfig::new(today())
    })
    .await;
    assert_eq!(s.agreements()[0].avtalereferanse, "EGEN-1");
    let http = testkit::http_client();
    let f = m().plus(-2).to_string();
    let v = gql(&http, &s, DETALJER, json!({"o": ORG_A, "a": P_INC, "f": f})).await;
    let af = &v["data"]["finnArbeidsforholdPrArbeidstaker"]["arbeidsforhold"][0];
    assert_eq!(af["type"]["kode"], "maritimtArbeidsforhold", "{v}");
    let d = &af["ansettelsesdetaljer"][0];
    assert_eq!(d["__typename"], "MaritimAnsettelsesdetaljer");
    assert_eq!(d["type"], "Maritim");
    assert_eq!(d["avtaltStillingsprosent"], 80.0);
    assert!(d["fartsomraade"]["kode"].is_string(), "{d}");
    let v = gql(
        &http,
        &s,
        DETALJER,
        json!({"o": ORG_A, "a": P_PERM, "f": f}),
    )
    .await;
    let af = &v["data"]["finnArbeidsforholdPrArbeidstaker"]["arbeidsforhold"][0];
    assert_eq!(
        af["ansettelsesdetaljer"][0]["__typename"], "FrilanserAnsettelsesdetaljer",
        "{v}"
    );
    assert!(af["ansettelsesdetaljer"][0].get("fartsomraade").is_none());
    assert_eq!(af["permitteringer"][0]["prosent"], 100.0);
    assert_eq!(
        af["ansettelsesperiode"]["sluttaarsak"]["kode"],
        "arbeidsgiverHarSagtOppArbeidstaker"
    );
    s.shutdown().await;

    // an unknown employer is a clear error naming the file
    std::fs::write(
        &file,
        format!(
            "[institution]\norgnr = \"{INSTITUTION_ORGNR}\"\n[[person]]\nid = \"{P_INC}\"\nemployer = \"{ORG_B}\"\n"
        ),
    )
    .unwrap();
    let err = start(
        SimConfig {
            data: Some(file),
            ..SimConfig::new(today())
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("data.toml") && err.contains(ORG_B), "{err}");
}

#[test]
fn testdata_of_the_bundled_workbook_gives_the_builtin_data_set() {
    let wb = dsop_harness::workbook::mapping::bundled().unwrap();
    let d = DataSet::from_testdata(&wb.testdata, today());
    let b = DataSet::default_for(today());
    assert_eq!(d.institution, b.institution);
    assert_eq!(d.initial_agreements, b.initial_agreements);
    let ids = |x: &DataSet| {
        x.persons
            .iter()
            .map(|p| (p.id.clone(), p.employer.clone(), p.tags.clone(), p.shielded))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&d), ids(&b));
    let orgs = |x: &DataSet| {
        x.orgs
            .iter()
            .map(|o| (o.orgnr.clone(), o.virksomhet.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(orgs(&d), orgs(&b));
    assert_eq!(d.employer_reports.len(), b.employer_reports.len());
}

#[tokio::test]
async fn testdata_tags_generate_fixtures() {
    let mut wb = dsop_harness::workbook::mapping::bundled().unwrap();
    // the user's own workbook: another employer and persons with other tags
    let mut org = wb
        .testdata
        .iter()
        .find(|t| t.r#ref == "TD-ORG-01")
        .unwrap()
        .clone();
    org.r#ref = "TD-ORG-09".into();
    org.identifikator = "310004006".into();
    org.avtalereferanse = Some("EGEN-9".into());
    org.egenskaper = vec!["gjensidig_avtale".into()];
    let person = |id: &str, tags: &[&str]| {
        let mut p = wb
            .testdata
            .iter()
            .find(|t| t.r#ref == "TD-P-01")
            .unwrap()
            .clone();
        p.identifikator = id.into();
        p.opplysningspliktig_ref = Some("TD-ORG-09".into());
        p.egenskaper = tags.iter().map(|t| t.to_string()).collect();
        p
    };
    assert!(dsop_harness::ids::is_valid_orgnr("310004006"));
    let extra = [
        org,
        person("15039010043", &["skjermet_fortrolig"]),
        person("15039010124", &["ingen_inntekt_IM010"]),
    ];
    wb.testdata.extend(extra);
    let s = sim(SimConfig {
        testdata: Some(wb.testdata.clone()),
        ..SimConfig::new(today())
    })
    .await;
    assert!(s
        .agreements()
        .iter()
        .any(|a| a.opplysningspliktig == "310004006" && a.avtalereferanse == "EGEN-9"));
    let http = testkit::http_client();
    let t = token(&http, &s, SCOPE_INNTEKT).await;
    let get = |pid: &str| {
        format!(
            "{}/otp/{pid}/inntekter?fraOgMed={}&tilOgMed={}&opplysningspliktig=310004006",
            s.urls().inntekt,
            m(),
            m()
        )
    };
    for (pid, status) in [("15039010043", 200), ("15039010124", 404)] {
        assert!(dsop_harness::ids::is_valid_person_id(pid));
        let r = http.get(get(pid)).bearer_auth(&t).send().await.unwrap();
        let st = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!(st, status, "{pid}: {body}");
        if status == 200 {
            assert_eq!(
                body["oppgaveInntektsmottaker"][0]["skjermet"], true,
                "{body}"
            );
        }
    }
    s.shutdown().await;
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid() {
    let s = sim(SimConfig::new(today())).await;
    let http = testkit::http_client();
    let old = token(&http, &s, SCOPE_INNTEKTSMOTTAKERE).await;
    let old_kid = s.current_kid();
    let r: Value = http
        .post(format!("{}/_sim/rotate-key", s.urls().base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_kid = r["kid"].as_str().unwrap().to_string();
    assert_ne!(new_kid, old_kid);
    assert_eq!(s.current_kid(), new_kid);
    let jwks: Value = http
        .get(format!("{}/maskinporten/jwk", s.urls().base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![new_kid.as_str(), old_kid.as_str()]);
    let new = token(&http, &s, SCOPE_INNTEKTSMOTTAKERE).await;
    let header = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_eq!(header(&new), new_kid);
    let url = format!(
        "{}/otp/{ORG_A}/inntektsmottakere?fraOgMed={}&tilOgMed={}",
        s.urls().inntektsmottakere,
        m(),
        m()
    );
    for t in [&old, &new] {
        let r = http.get(&url).bearer_auth(t).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    // the old token still expires as before
    s.advance_clock(3600);
    let r = http.get(&url).bearer_auth(&old).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    s.shutdown().await;
}

#[tokio::test]
async fn nav_window_and_error_shape_switches() {
    let q = "query($o: ID!, $a: ID!, $f: String!) { finnArbeidsforholdPrArbeidstaker(opplysningspliktigId: $o, arbeidstakerId: $a, ansattFraMaaned: $f) { arbeidsforhold { id } } }";
    let http = testkit::http_client();
    // 2020-06 lies in the virkningsperiode (from 2019-10) but before the avtaleforhold (from 2021-01)
    let vars = json!({"o": ORG_A, "a": P_INC, "f": "2020-06"});
    let s = sim(SimConfig::new(today())).await;
    let v = gql(&http, &s, q, vars.clone()).await;
    assert!(v.get("errors").is_none(), "{v}");
    let v = gql(
        &http,
        &s,
        q,
        json!({"o": ORG_A, "a": P_SKJ, "f": "2024-01"}),
    )
    .await;
    assert_eq!(
        v["data"],
        json!({"finnArbeidsforholdPrArbeidstaker": null}),
        "{v}"
    );
    s.shutdown().await;

    let s = sim(SimConfig {
        nav_window: NavWindow::Avtaleforhold,
        aareg_error_data: AaregErrorData::Removed,
        ..SimConfig::new(today())
    })
    .await;
    let v = gql(&http, &s, q, vars).await;
    assert_eq!(
        v["errors"][0]["extensions"]["errormessages"][0]["code"], "AA-101",
        "{v}"
    );
    assert!(v.get("data").is_none(), "{v}");
    s.shutdown().await;
}
