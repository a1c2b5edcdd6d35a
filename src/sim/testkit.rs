//! Helpers for tests that talk to the simulator: a throw-away CA and business certificate (subject
//! serialNumber = orgnr), a Maskinporten client for it, signed JWT grants and a token fetch.
//! This is test tooling only; the harness's production grant code lives in `src/auth`.

use super::{ClientAuth, SimClient, SimUrls};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::{json, Value};

/// A test organisation's certificate and key, with the CA that issued it.
#[derive(Clone)]
pub struct TestIdentity {
    pub client_id: String,
    pub orgnr: String,
    /// The issuing CA (register it as the client's trusted CA).
    pub ca_der: Vec<u8>,
    /// The business certificate (leaf), DER.
    pub leaf_der: Vec<u8>,
    /// The leaf's private key, PKCS#8 PEM.
    pub key_pem: String,
}

impl std::fmt::Debug for TestIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIdentity")
            .field("client_id", &self.client_id)
            .field("orgnr", &self.orgnr)
            .finish()
    }
}

/// A new RSA 2048 private key as PKCS#8 PEM.
pub fn rsa_key_pem() -> Result<String, String> {
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| e.to_string())?;
    Ok(key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string())
}

fn rcgen_key(pem: &str) -> Result<rcgen::KeyPair, String> {
    rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| e.to_string())
}

/// A CA and a business certificate for `orgnr` (subject serialNumber = orgnr), valid 1975–4096.
pub fn identity(client_id: &str, orgnr: &str) -> Result<TestIdentity, String> {
    identity_with_validity(client_id, orgnr, None)
}

/// As [`identity`], with the leaf valid only in the given years (e.g. `Some((2000, 2001))` for an expired one).
pub fn identity_with_validity(
    client_id: &str,
    orgnr: &str,
    leaf_years: Option<(i32, i32)>,
) -> Result<TestIdentity, String> {
    let ca_pem = rsa_key_pem()?;
    let leaf_pem = rsa_key_pem()?;
    let ca_key = rcgen_key(&ca_pem)?;
    let leaf_key = rcgen_key(&leaf_pem)?;
    let mut ca_params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "dsop-harness test CA");
    let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| e.to_string())?;
    let mut leaf_params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("Test {orgnr}"));
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, format!("Test {orgnr}"));
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), orgnr);
    if let Some((from, to)) = leaf_years {
        leaf_params.not_before = rcgen::date_time_ymd(from, 1, 1);
        leaf_params.not_after = rcgen::date_time_ymd(to, 1, 1);
    }
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(|e| e.to_string())?;
    Ok(TestIdentity {
        client_id: client_id.to_string(),
        orgnr: orgnr.to_string(),
        ca_der: ca_cert.der().to_vec(),
        leaf_der: leaf.der().to_vec(),
        key_pem: leaf_pem,
    })
}

/// The simulator client for `id`, trusting its CA, with `scopes`.
pub fn sim_client(id: &TestIdentity, scopes: &[&str]) -> SimClient {
    SimClient {
        client_id: id.client_id.clone(),
        orgnr: id.orgnr.clone(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        auth: ClientAuth::X5c {
            trusted_ca_der: id.ca_der.clone(),
        },
    }
}

/// The usual grant claims: `aud` = the simulator's issuer, `iss` = client id, `iat` = `now`, `exp` = `now + 60`,
/// a fresh `jti`.
pub fn grant_claims(urls: &SimUrls, id: &TestIdentity, scope: &str, now: i64) -> Value {
    json!({
        "aud": urls.maskinporten_issuer,
        "iss": id.client_id,
        "scope": scope,
        "iat": now,
        "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// Sign `claims` with the identity's key, certificate in `x5c` (RS256).
pub fn sign_grant(id: &TestIdentity, claims: &Value) -> Result<String, String> {
    let mut header = Header::new(Algorithm::RS256);
    header.x5c = Some(vec![
        base64::engine::general_purpose::STANDARD.encode(&id.leaf_der)
    ]);
    let key = EncodingKey::from_rsa_pem(id.key_pem.as_bytes()).map_err(|e| e.to_string())?;
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| e.to_string())
}

/// The public key (SPKI PEM) of a PKCS#8 private key PEM (for `kid` clients).
pub fn public_key_pem(private_pkcs8_pem: &str) -> Result<String, String> {
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pkcs8_pem).map_err(|e| e.to_string())?;
    rsa::RsaPublicKey::from(&key)
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())
}

/// A `kid` client (a pre-registered key instead of a business certificate), e.g. a third-party vendor's.
pub fn kid_client(
    client_id: &str,
    orgnr: &str,
    scopes: &[&str],
    kid: &str,
    public_key_pem: &str,
) -> SimClient {
    SimClient {
        client_id: client_id.into(),
        orgnr: orgnr.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        auth: ClientAuth::Kid {
            kid: kid.into(),
            public_key_pem: public_key_pem.into(),
        },
    }
}

/// Sign `claims` with a private key PEM and `kid` in the header (RS256), the `kid` client's grant.
pub fn sign_grant_kid(key_pem: &str, kid: &str, claims: &Value) -> Result<String, String> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_pem(key_pem.as_bytes()).map_err(|e| e.to_string())?;
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| e.to_string())
}

/// POST a grant to the token endpoint; returns (HTTP status, JSON body).
pub async fn post_grant(
    http: &reqwest::Client,
    urls: &SimUrls,
    assertion: &str,
) -> Result<(u16, Value), String> {
    let form = [
        ("grant_type", super::maskinporten::GRANT_TYPE),
        ("assertion", assertion),
    ];
    let r = http
        .post(&urls.token_endpoint)
        .form(&form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.map_err(|e| e.to_string())?;
    Ok((status, body))
}

/// Get an access token for `scope` (the simulator clock is read from `now`, usually `SimHandle::now()`).
pub async fn token(
    http: &reqwest::Client,
    urls: &SimUrls,
    id: &TestIdentity,
    scope: &str,
    now: i64,
) -> Result<String, String> {
    let assertion = sign_grant(id, &grant_claims(urls, id, scope, now))?;
    let (status, body) = post_grant(http, urls, &assertion).await?;
    if status != 200 {
        return Err(format!("token request failed with {status}: {body}"));
    }
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no access_token".to_string())
}

/// Decode a JWT's payload without verifying it (for assertions in tests).
pub fn decode_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A reqwest client for tests (installs the rustls ring provider once).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The four scopes of the service.
pub const ALL_SCOPES: [&str; 4] = [
    super::SCOPE_INNTEKT,
    super::SCOPE_INNTEKTSMOTTAKERE,
    super::SCOPE_TJENESTEPENSJONSAVTALE,
    super::SCOPE_AAREG,
];

/// The date the simulator tests fix as today (2026-11-26).
pub fn test_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default()
}

/// One institution identity (client id and orgnr of the built-in data set) per test process: RSA key
/// generation is slow.
pub fn institution_identity() -> &'static TestIdentity {
    static ID: std::sync::OnceLock<TestIdentity> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        identity(
            super::data::INSTITUTION_CLIENT_ID,
            super::data::INSTITUTION_ORGNR,
        )
        .unwrap_or_else(|e| panic!("test identity: {e}"))
    })
}
