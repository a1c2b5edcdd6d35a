//! Our grants, checked by implementations other than ours: `openssl dgst -verify` with the x5c leaf's public key,
//! and Python's `cryptography` package (header, claims and signature). Each is skipped with a printed reason when
//! the tool is not installed here (nothing is installed at test time). Plus the grant's own rules.

mod auth_common;

use auth_common::*;
use base64::Engine;
use dsop_harness::auth::grant::{make_grant, GrantRequest};
use dsop_harness::auth::KeyMaterial;
use dsop_harness::model::Delegation;
use std::process::{Command, Stdio};

const AUD: &str = "https://test.maskinporten.no/";

fn req<'a>(scope: &'a str, delegation: Delegation, resource: Option<&'a str>) -> GrantRequest<'a> {
    GrantRequest {
        audience: AUD,
        client_id: CLIENT_ID,
        scope,
        now: chrono::Utc::now().timestamp(),
        lifetime_secs: 60,
        delegation,
        consumer_orgnr: Some(INSTITUTION),
        resource,
    }
}

fn b64url(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn part(jwt: &str, i: usize) -> serde_json::Value {
    serde_json::from_slice(&b64url(jwt.split('.').nth(i).unwrap())).unwrap()
}

#[test]
fn grant_has_exactly_the_documented_claims() {
    let km = KeyMaterial::Certificate(fx().institution.clone());
    let g = make_grant(
        &km,
        &req("nav:aareg/v1/arbeidsforhold/otp", Delegation::None, None),
    )
    .unwrap();
    let jwt = g.expose();
    let h = part(jwt, 0);
    assert_eq!(h["alg"], "RS256");
    assert!(h.get("kid").is_none());
    let x5c = h["x5c"].as_array().unwrap();
    assert_eq!(x5c.len(), 2, "the chain, leaf first");
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(x5c[0].as_str().unwrap())
            .unwrap(),
        fx().institution.chain_der[0],
        "standard base64 DER"
    );
    let c = part(jwt, 1);
    let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["aud", "exp", "iat", "iss", "jti", "scope"]);
    assert_eq!(c["aud"], AUD);
    assert_eq!(c["iss"], CLIENT_ID);
    let life = c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap();
    assert!((1..=120).contains(&life));
    let again = make_grant(
        &km,
        &req("nav:aareg/v1/arbeidsforhold/otp", Delegation::None, None),
    )
    .unwrap();
    assert_ne!(
        part(again.expose(), 1)["jti"],
        c["jti"],
        "a unique jti per grant"
    );
    // resource: only when asked for, never for skatteetaten:* scopes.
    let g = make_grant(
        &km,
        &req("skatteetaten:inntekt", Delegation::None, Some("https://x/")),
    )
    .unwrap();
    assert!(part(g.expose(), 1).get("resource").is_none());
    let g = make_grant(
        &km,
        &req(
            "nav:aareg/v1/arbeidsforhold/otp",
            Delegation::None,
            Some("https://x/"),
        ),
    )
    .unwrap();
    assert_eq!(part(g.expose(), 1)["resource"], "https://x/");
    // Vendor mechanisms.
    let g = make_grant(
        &km,
        &req("skatteetaten:inntekt", Delegation::ConsumerOrg, None),
    )
    .unwrap();
    assert_eq!(part(g.expose(), 1)["consumer_org"], INSTITUTION);
    let g = make_grant(
        &km,
        &req("skatteetaten:inntekt", Delegation::SystemUser, None),
    )
    .unwrap();
    let d = &part(g.expose(), 1)["authorization_details"][0];
    assert_eq!(d["type"], "urn:altinn:systemuser");
    assert_eq!(d["systemuser_org"]["ID"], format!("0192:{INSTITUTION}"));
    assert!(part(g.expose(), 1).get("consumer_org").is_none());
    // kid.
    let kid = KeyMaterial::Kid {
        kid: "k1".into(),
        key_pem: fx().vendor.key_pem.clone(),
    };
    let g = make_grant(&kid, &req("skatteetaten:inntekt", Delegation::None, None)).unwrap();
    let h = part(g.expose(), 0);
    assert_eq!(h["kid"], "k1");
    assert!(h.get("x5c").is_none());
    // Too long a grant lifetime is refused before anything is sent.
    let mut r = req("skatteetaten:inntekt", Delegation::None, None);
    r.lifetime_secs = 121;
    assert!(make_grant(&km, &r).is_err());
}

#[test]
fn openssl_verifies_our_grant() {
    if !require_cmd("openssl", "checking our grant with `openssl dgst -verify`") {
        return;
    }
    let km = KeyMaterial::Certificate(fx().institution.clone());
    let g = make_grant(&km, &req("skatteetaten:inntekt", Delegation::None, None)).unwrap();
    let jwt = g.expose();
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let h = part(jwt, 0);
    let leaf = base64::engine::general_purpose::STANDARD
        .decode(h["x5c"][0].as_str().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("leaf.der"), &leaf).unwrap();
    std::fs::write(p("input"), input).unwrap();
    std::fs::write(p("sig.bin"), b64url(sig)).unwrap();
    std::fs::write(p("tampered"), format!("{input}x")).unwrap();
    let out = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-pubkey", "-noout", "-in"])
        .arg(p("leaf.der"))
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(p("pub.pem"), &out.stdout).unwrap();
    let verify = |file: &str| {
        Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(p("pub.pem"))
            .arg("-signature")
            .arg(p("sig.bin"))
            .arg(p(file))
            .output()
            .unwrap()
    };
    let ok = verify("input");
    assert!(
        ok.status.success() && String::from_utf8_lossy(&ok.stdout).contains("Verified OK"),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        !verify("tampered").status.success(),
        "a changed grant must not verify"
    );
}

const PY: &str = r#"
import base64, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
def d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
jwt = sys.stdin.read().strip()
h, c, s = jwt.split(".")
header, claims = json.loads(d(h)), json.loads(d(c))
assert header["alg"] == "RS256", header
leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
leaf.public_key().verify(d(s), (h + "." + c).encode(), padding.PKCS1v15(), hashes.SHA256())
assert claims["aud"] == sys.argv[1], claims
assert 0 < claims["exp"] - claims["iat"] <= 120, claims
assert "resource" not in claims, claims
print("verified", claims["iss"], claims["scope"])
"#;

#[test]
fn python_cryptography_verifies_our_grant() {
    if !require_run(
        "python3",
        &["-c", "import cryptography"],
        "python3 with the `cryptography` package",
        "checking our grant with Python's cryptography",
    ) {
        return;
    }
    let km = KeyMaterial::Certificate(fx().institution.clone());
    let g = make_grant(&km, &req("skatteetaten:inntekt", Delegation::None, None)).unwrap();
    let run = |jwt: &str| {
        let mut child = Command::new("python3")
            .args(["-c", PY, AUD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(jwt.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(g.expose());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("verified {CLIENT_ID} skatteetaten:inntekt")
    );
    // A grant signed with another key under the same x5c fails there too.
    let wrong = dsop_harness::auth::BusinessCert {
        key_pem: fx().vendor.key_pem.clone(),
        ..fx().institution.clone()
    };
    let g = make_grant(
        &KeyMaterial::Certificate(wrong),
        &req("skatteetaten:inntekt", Delegation::None, None),
    )
    .unwrap();
    assert!(!run(g.expose()).status.success());
}
