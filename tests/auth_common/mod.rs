//! Shared by the `auth_*` tests: a few RSA keys made once per test binary (key generation is slowish), the
//! simulator, and a `MaskinportenClient` pointed at it.
#![allow(dead_code)]

use dsop_harness::auth::{BusinessCert, KeyMaterial, MaskinportenClient, TestCa};
use dsop_harness::model::Delegation;
use dsop_harness::sim::{self, ClientAuth, SimClient, SimConfig, SimHandle};
use std::sync::OnceLock;

#[path = "../tools/mod.rs"]
mod tools;
#[allow(unused_imports)]
pub use tools::*;

#[path = "../certs/mod.rs"]
mod certs;
pub use certs::*;

pub const INSTITUTION: &str = "987654309";
pub const VENDOR: &str = "912345602";
pub const CLIENT_ID: &str = "5d6f0c1e-3b2a-4c8d-9e7f-00000000c001";
pub const VENDOR_CLIENT_ID: &str = "5d6f0c1e-3b2a-4c8d-9e7f-00000000c002";

pub struct Fixtures {
    pub ca: TestCa,
    /// The institution's business certificate, issued by `ca`.
    pub institution: BusinessCert,
    /// The vendor's business certificate, issued by `ca`.
    pub vendor: BusinessCert,
    /// The institution's certificate from another CA (not trusted by the simulator's client).
    pub untrusted: BusinessCert,
}

pub fn fx() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let ca = TestCa::generate("Simulert Buypass Class 3 Test4 CA").unwrap();
        let (from, to) = valid_window();
        let institution = ca
            .issue(INSTITUTION, "Eksempel Pensjon AS", from, to)
            .unwrap();
        let vendor = ca.issue(VENDOR, "Eksempel Drift AS", from, to).unwrap();
        let other = TestCa::generate("Another Test CA").unwrap();
        let untrusted = other
            .issue(INSTITUTION, "Eksempel Pensjon AS", from, to)
            .unwrap();
        Fixtures {
            ca,
            institution,
            vendor,
            untrusted,
        }
    })
}

/// A certificate chain as PEM, leaf first.
pub fn chain_pem(c: &BusinessCert) -> String {
    c.chain_pem()
}

/// The public key of a certificate's private key, SPKI PEM (what a `kid` client registers).
pub fn public_key_pem(c: &BusinessCert) -> String {
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    let k = rsa::RsaPrivateKey::from_pkcs8_pem(c.key_pem.expose()).unwrap();
    k.to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap()
}

pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

pub async fn start_sim(token_lifetime_secs: Option<u64>) -> SimHandle {
    let mut cfg = SimConfig::new(today());
    if let Some(l) = token_lifetime_secs {
        cfg.token_lifetime_secs = l;
    }
    sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

pub fn all_scopes() -> Vec<String> {
    [
        sim::SCOPE_INNTEKT,
        sim::SCOPE_INNTEKTSMOTTAKERE,
        sim::SCOPE_TJENESTEPENSJONSAVTALE,
        sim::SCOPE_AAREG,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Register an x5c client trusting the fixtures' CA.
pub fn register_x5c(sim: &SimHandle, client_id: &str, orgnr: &str, scopes: &[String]) {
    sim.register_client(SimClient {
        client_id: client_id.into(),
        orgnr: orgnr.into(),
        scopes: scopes.to_vec(),
        auth: ClientAuth::X5c {
            trusted_ca_der: fx().ca.cert_der.clone(),
        },
    });
}

pub fn register_kid(
    sim: &SimHandle,
    client_id: &str,
    orgnr: &str,
    kid: &str,
    public_key_pem: &str,
) {
    sim.register_client(SimClient {
        client_id: client_id.into(),
        orgnr: orgnr.into(),
        scopes: all_scopes(),
        auth: ClientAuth::Kid {
            kid: kid.into(),
            public_key_pem: public_key_pem.into(),
        },
    });
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub fn client(
    sim: &SimHandle,
    client_id: &str,
    key: KeyMaterial,
    delegation: Delegation,
    consumer: Option<&str>,
) -> MaskinportenClient {
    let u = sim.urls();
    MaskinportenClient::new(
        http(),
        &u.maskinporten_issuer,
        &u.token_endpoint,
        client_id,
        key,
        delegation,
        consumer.map(str::to_string),
    )
}
