//! The Maskinporten client against the simulator: x5c (PKCS#12 and PEM) and kid, consumer_org and system user,
//! token reuse and renewal on the simulator's clock (no sleeping), single-flight, every MP error the simulator
//! produces explained in a sentence, and a wrong scope reported as missing access.

mod auth_common;

use auth_common::*;
use dsop_harness::auth::grant::{make_grant, GrantRequest};
use dsop_harness::auth::{AuthError, BusinessCert, KeyMaterial, MaskinportenClient};
use dsop_harness::model::Delegation;
use dsop_harness::secret::Secret;
use dsop_harness::sim::{self, testkit};
use std::sync::Arc;

fn cert(c: &BusinessCert) -> KeyMaterial {
    KeyMaterial::Certificate(c.clone())
}

fn refused(r: Result<Secret<String>, AuthError>) -> (u16, String, String) {
    match r {
        Err(AuthError::Refused {
            status,
            error,
            explanation,
        }) => (status, error, explanation),
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, got a token"),
    }
}

#[tokio::test]
async fn x5c_from_pem_and_pkcs12_and_kid() {
    let sim = start_sim(None).await;
    register_x5c(&sim, CLIENT_ID, INSTITUTION, &all_scopes());
    // PEM key + chain, through the configuration loader.
    let c = &fx().institution;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let chain = dir.path().join("chain.pem");
    std::fs::write(&key, c.key_pem.expose()).unwrap();
    std::fs::write(&chain, chain_pem(c)).unwrap();
    let cfg = dsop_harness::config::MaskinportenConfig {
        key_pem: Some(key.clone()),
        chain_pem: Some(chain.clone()),
        ..Default::default()
    };
    let mp = client(
        &sim,
        CLIENT_ID,
        cfg.load_key_material().unwrap(),
        Delegation::None,
        None,
    );
    let r = mp.request(sim::SCOPE_INNTEKT).await.unwrap();
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body.as_ref().unwrap()["access_token"], "***");
    let claims = r.claims.unwrap();
    assert_eq!(claims["client_amr"], "virksomhetssertifikat");
    assert_eq!(claims["consumer"]["ID"], format!("0192:{INSTITUTION}"));
    assert_eq!(claims["aud"], "unspecified", "no resource claim was sent");

    // PKCS#12, when openssl is here to make one from the same files.
    if require_cmd("openssl", "the PKCS#12 part of this test") {
        let p12 = dir.path().join("v.p12");
        let out = std::process::Command::new("openssl")
            .args(["pkcs12", "-export", "-legacy", "-inkey"])
            .arg(&key)
            .arg("-in")
            .arg(&chain)
            .arg("-out")
            .arg(&p12)
            .args(["-passout", "pass:hemmelig"])
            .output()
            .unwrap();
        assert!(out.status.success());
        std::env::set_var("AUTH_CLIENT_TEST_P12_PW", "hemmelig");
        let cfg = dsop_harness::config::MaskinportenConfig {
            pkcs12: Some(p12),
            password_env: Some("AUTH_CLIENT_TEST_P12_PW".into()),
            ..Default::default()
        };
        let mp = client(
            &sim,
            CLIENT_ID,
            cfg.load_key_material().unwrap(),
            Delegation::None,
            None,
        );
        mp.token(sim::SCOPE_AAREG).await.unwrap();
    }

    // kid: a key registered with the client.
    register_kid(
        &sim,
        "kid-client",
        VENDOR,
        "drift-otp-2026",
        &public_key_pem(&fx().vendor),
    );
    let km = KeyMaterial::Kid {
        kid: "drift-otp-2026".into(),
        key_pem: fx().vendor.key_pem.clone(),
    };
    let mp = client(&sim, "kid-client", km, Delegation::None, None);
    let r = mp.request(sim::SCOPE_TJENESTEPENSJONSAVTALE).await.unwrap();
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.claims.unwrap()["client_amr"], "private_key_jwt");
}

#[tokio::test]
async fn vendor_by_consumer_org_and_by_system_user() {
    let sim = start_sim(None).await;
    register_x5c(&sim, VENDOR_CLIENT_ID, VENDOR, &all_scopes());
    // API delegation (consumer_org).
    let mp = client(
        &sim,
        VENDOR_CLIENT_ID,
        cert(&fx().vendor),
        Delegation::ConsumerOrg,
        Some(INSTITUTION),
    );
    let (status, _, why) = refused(mp.token(sim::SCOPE_INNTEKT).await);
    assert_eq!(status, 403);
    assert!(why.starts_with("MP-251: missing access"), "{why}");
    assert!(why.contains(sim::SCOPE_INNTEKT), "{why}");
    sim.register_delegation(INSTITUTION, VENDOR, sim::SCOPE_INNTEKT);
    let r = mp.request(sim::SCOPE_INNTEKT).await.unwrap();
    assert_eq!(r.status, 200);
    let claims = r.claims.unwrap();
    assert_eq!(claims["consumer"]["ID"], format!("0192:{INSTITUTION}"));
    assert_eq!(claims["supplier"]["ID"], format!("0192:{VENDOR}"));

    // Altinn system user (authorization_details).
    let mp = client(
        &sim,
        VENDOR_CLIENT_ID,
        cert(&fx().vendor),
        Delegation::SystemUser,
        Some(INSTITUTION),
    );
    let (status, _, why) = refused(mp.token(sim::SCOPE_AAREG).await);
    assert_eq!(status, 403);
    assert!(why.contains("no Altinn system user"), "{why}");
    let id = sim.register_system_user(INSTITUTION, VENDOR);
    let r = mp.request(sim::SCOPE_AAREG).await.unwrap();
    assert_eq!(r.status, 200, "{:?}", r.body);
    let d = &r.claims.unwrap()["authorization_details"][0];
    assert_eq!(d["type"], "urn:altinn:systemuser");
    assert_eq!(d["systemuser_org"]["id"], format!("0192:{INSTITUTION}"));
    assert_eq!(d["systemuser_id"][0], id.as_str());
    assert!(!dsop_harness::auth::verified_against_agencies(
        Delegation::SystemUser
    ));
    assert!(dsop_harness::auth::verified_against_agencies(
        Delegation::ConsumerOrg
    ));

    // consumer_org equal to the client's own organisation.
    let mp = client(
        &sim,
        VENDOR_CLIENT_ID,
        cert(&fx().vendor),
        Delegation::ConsumerOrg,
        Some(VENDOR),
    );
    let (_, _, why) = refused(mp.token(sim::SCOPE_INNTEKT).await);
    assert!(why.contains("own organisation"), "{why}");
}

#[tokio::test]
async fn token_reused_within_its_lifetime_and_renewed_before_expiry() {
    // 120 s tokens: reused, then renewed 24 s before expiry on the simulator's clock.
    let sim = start_sim(Some(120)).await;
    register_x5c(&sim, CLIENT_ID, INSTITUTION, &all_scopes());
    let mp = client(
        &sim,
        CLIENT_ID,
        cert(&fx().institution),
        Delegation::None,
        None,
    );
    let t1 = mp.token(sim::SCOPE_INNTEKTSMOTTAKERE).await.unwrap();
    let t2 = mp.token(sim::SCOPE_INNTEKTSMOTTAKERE).await.unwrap();
    assert_eq!(t1.expose(), t2.expose());
    assert_eq!(mp.tokens_fetched(), 1);
    // One token per scope.
    let other = mp.token(sim::SCOPE_AAREG).await.unwrap();
    assert_ne!(other.expose(), t1.expose());
    assert_eq!(mp.tokens_fetched(), 2);
    let mut moved = 90;
    sim.advance_clock(90);
    mp.set_clock_offset(moved);
    assert_eq!(
        mp.token(sim::SCOPE_INNTEKTSMOTTAKERE)
            .await
            .unwrap()
            .expose(),
        t1.expose()
    );
    assert_eq!(
        mp.tokens_fetched(),
        2,
        "still fresh 90 s into a 120 s token"
    );
    sim.advance_clock(10);
    moved += 10;
    mp.set_clock_offset(moved);
    let t3 = mp.token(sim::SCOPE_INNTEKTSMOTTAKERE).await.unwrap();
    assert_ne!(t3.expose(), t1.expose(), "renewed 20 s before expiry");
    assert_eq!(mp.tokens_fetched(), 3);
    // The renewed token is accepted by the API.
    let resp = http()
        .get(format!(
            "{}/otp/{}/inntektsmottakere?fraOgMed=2026-10&tilOgMed=2026-10",
            sim.urls().inntektsmottakere,
            "310000108"
        ))
        .bearer_auth(t3.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // invalidate forces a new one.
    mp.invalidate(sim::SCOPE_INNTEKTSMOTTAKERE).await;
    mp.token(sim::SCOPE_INNTEKTSMOTTAKERE).await.unwrap();
    assert_eq!(mp.tokens_fetched(), 4);
    mp.invalidate_all().await;
    mp.token(sim::SCOPE_AAREG).await.unwrap();
    assert_eq!(mp.tokens_fetched(), 5);

    // 600 s tokens: the renewal follows expires_in, not a hard-coded 120 s.
    let sim = start_sim(Some(600)).await;
    register_x5c(&sim, CLIENT_ID, INSTITUTION, &all_scopes());
    let mp = client(
        &sim,
        CLIENT_ID,
        cert(&fx().institution),
        Delegation::None,
        None,
    );
    let t1 = mp.token(sim::SCOPE_INNTEKT).await.unwrap();
    sim.advance_clock(300);
    mp.set_clock_offset(300);
    assert_eq!(
        mp.token(sim::SCOPE_INNTEKT).await.unwrap().expose(),
        t1.expose()
    );
    assert_eq!(
        mp.tokens_fetched(),
        1,
        "a 600 s token is still fresh after 300 s"
    );
    sim.advance_clock(200);
    mp.set_clock_offset(500);
    assert_ne!(
        mp.token(sim::SCOPE_INNTEKT).await.unwrap().expose(),
        t1.expose()
    );
    assert_eq!(mp.tokens_fetched(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_fetch_per_scope_at_a_time() {
    let sim = start_sim(None).await;
    register_x5c(&sim, CLIENT_ID, INSTITUTION, &all_scopes());
    let mp = Arc::new(client(
        &sim,
        CLIENT_ID,
        cert(&fx().institution),
        Delegation::None,
        None,
    ));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let mp = mp.clone();
        let scope = if i % 2 == 0 {
            sim::SCOPE_INNTEKT
        } else {
            sim::SCOPE_AAREG
        };
        tasks.push(tokio::spawn(async move {
            mp.token(scope).await.map(|t| t.expose().clone())
        }));
    }
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        tokens.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(tokens.len(), 2, "one token per scope");
    assert_eq!(mp.tokens_fetched(), 2);
}

#[tokio::test]
async fn wrong_scope_is_missing_access() {
    let sim = start_sim(None).await;
    register_x5c(
        &sim,
        CLIENT_ID,
        INSTITUTION,
        &[sim::SCOPE_INNTEKT.to_string()],
    );
    let mp = client(
        &sim,
        CLIENT_ID,
        cert(&fx().institution),
        Delegation::None,
        None,
    );
    let (status, error, why) = refused(mp.token(sim::SCOPE_AAREG).await);
    assert_eq!((status, error.as_str()), (400, "invalid_scope"));
    assert!(why.starts_with("MP-200: missing access"), "{why}");
    assert!(why.contains(sim::SCOPE_AAREG), "names the scope: {why}");
    assert!(why.contains("Samarbeidsportalen"), "{why}");
    let e = mp.token(sim::SCOPE_AAREG).await.unwrap_err().to_string();
    assert!(e.contains("missing access"), "{e}");
}

/// Every MP error the simulator produces, through our client, as its sentence.
#[tokio::test]
async fn each_mp_error_has_its_sentence() {
    let sim = start_sim(None).await;
    let u = sim.urls().clone();
    register_x5c(&sim, CLIENT_ID, INSTITUTION, &all_scopes());
    let good = || cert(&fx().institution);
    let scope = sim::SCOPE_INNTEKT;
    let check = |what: &str, r: Result<Secret<String>, AuthError>, code: &str, phrase: &str| {
        let (_, _, why) = refused(r);
        assert!(why.starts_with(code), "{what}: {why}");
        assert!(why.contains(phrase), "{what}: {why}");
    };

    // MP-100: unknown client id.
    let mp = client(&sim, "not-a-client", good(), Delegation::None, None);
    check(
        "unknown client",
        mp.token(scope).await,
        "MP-100",
        "client id (iss) is unknown",
    );
    // MP-110: wrong aud (the token endpoint URL instead of the issuer).
    let mp = MaskinportenClient::new(
        http(),
        &u.token_endpoint,
        &u.token_endpoint,
        CLIENT_ID,
        good(),
        Delegation::None,
        None,
    );
    check(
        "wrong aud",
        mp.token(scope).await,
        "MP-110",
        "trailing slash",
    );
    // MP-120: certificate from a CA the client does not trust (e.g. a prod certificate in test).
    let mp = client(
        &sim,
        CLIENT_ID,
        cert(&fx().untrusted),
        Delegation::None,
        None,
    );
    check(
        "untrusted certificate",
        mp.token(scope).await,
        "MP-120",
        "not accepted in this environment",
    );
    // MP-120: expired certificate.
    let expired = fx()
        .ca
        .issue(
            INSTITUTION,
            "Eksempel Pensjon AS",
            (2001, 1, 1),
            (2002, 1, 1),
        )
        .unwrap();
    let mp = client(&sim, CLIENT_ID, cert(&expired), Delegation::None, None);
    check(
        "expired certificate",
        mp.token(scope).await,
        "MP-120",
        "has expired",
    );
    // MP-122: the certificate of another organisation.
    let mp = client(&sim, CLIENT_ID, cert(&fx().vendor), Delegation::None, None);
    check(
        "other organisation",
        mp.token(scope).await,
        "MP-122",
        "owns the Maskinporten",
    );
    // MP-124: the key does not belong to the certificate.
    let mismatched = BusinessCert {
        key_pem: fx().vendor.key_pem.clone(),
        ..fx().institution.clone()
    };
    let mp = client(&sim, CLIENT_ID, cert(&mismatched), Delegation::None, None);
    check(
        "wrong key",
        mp.token(scope).await,
        "MP-124",
        "does not belong",
    );
    // MP-130: clock behind.
    let mp = client(&sim, CLIENT_ID, good(), Delegation::None, None);
    mp.set_clock_offset(-60);
    check(
        "clock behind",
        mp.token(scope).await,
        "MP-130",
        "synchronise",
    );
    // Clock ahead.
    mp.set_clock_offset(60);
    check(
        "clock ahead",
        mp.token(scope).await,
        "the grant's iat is in the future",
        "NTP",
    );
    // MP-120 for a kid client given a certificate, MP-100 for an unknown kid.
    register_kid(
        &sim,
        "kid-client",
        INSTITUTION,
        "k-2026",
        &public_key_pem(&fx().institution),
    );
    let mp = client(&sim, "kid-client", good(), Delegation::None, None);
    check(
        "x5c to a kid client",
        mp.token(scope).await,
        "MP-120",
        "set [maskinporten] kid",
    );
    let km = KeyMaterial::Kid {
        kid: "k-2025".into(),
        key_pem: fx().institution.key_pem.clone(),
    };
    let mp = client(&sim, "kid-client", km, Delegation::None, None);
    check("unknown kid", mp.token(scope).await, "MP-100", "kid");
    // MP-012: a grant sent twice (our client never does this; a replaying proxy could).
    let grant = make_grant(
        &good(),
        &GrantRequest {
            audience: &u.maskinporten_issuer,
            client_id: CLIENT_ID,
            scope,
            now: sim.now(),
            lifetime_secs: 60,
            delegation: Delegation::None,
            consumer_orgnr: None,
            resource: None,
        },
    )
    .unwrap();
    let (s1, _) = testkit::post_grant(&http(), &u, grant.expose())
        .await
        .unwrap();
    let (s2, body) = testkit::post_grant(&http(), &u, grant.expose())
        .await
        .unwrap();
    assert_eq!((s1, s2), (200, 400));
    let why = dsop_harness::auth::explain_error(
        body["error"].as_str().unwrap(),
        body["error_description"].as_str().unwrap(),
    );
    assert!(
        why.starts_with("MP-012") && why.contains("fresh grant"),
        "{why}"
    );
    // MP-200 and MP-251/303 are covered by their own tests above.
}

#[tokio::test]
async fn metadata_gives_issuer_and_token_endpoint() {
    let sim = start_sim(None).await;
    let u = sim.urls();
    let md = dsop_harness::auth::discover(
        &http(),
        &format!(
            "{}.well-known/oauth-authorization-server",
            u.maskinporten_issuer
        ),
    )
    .await
    .unwrap();
    assert_eq!(md.issuer, u.maskinporten_issuer);
    assert!(md.issuer.ends_with('/'));
    assert_eq!(md.token_endpoint, u.token_endpoint);
    // An issuer without its slash gets one (Maskinporten compares aud exactly).
    let mp = MaskinportenClient::new(
        http(),
        u.maskinporten_issuer.trim_end_matches('/'),
        &u.token_endpoint,
        CLIENT_ID,
        cert(&fx().institution),
        Delegation::None,
        None,
    );
    assert_eq!(mp.issuer, u.maskinporten_issuer);
    assert!(!format!("{mp:?}").contains("PRIVATE"));
}
