//! Shared simulator state: configuration, the signing key, the clock, registered clients and the mutable
//! agreement table (changed by Tjenestepensjonsavtale POST/DELETE, read by every API).

use super::data::{Agreement, DataSet};
use super::faults::Faults;
use super::limiter::Limiter;
use super::rules;
use super::{LoggedRequest, SimClient, SimConfig, SimError, SimUrls};
use crate::months::YearMonth;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The simulator's token-signing key (RSA 2048, RS256).
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The public JWK, as published at `/maskinporten/jwk`.
    pub jwk: serde_json::Value,
}

fn generate_key() -> Result<SigningKey, String> {
    let mut rng = rand::thread_rng();
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| format!("RSA key generation failed: {e}"))?;
    let der = key
        .to_pkcs1_der()
        .map_err(|e| format!("RSA key encoding failed: {e}"))?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let n = key.n().to_bytes_be();
    let e = key.e().to_bytes_be();
    let kid = format!(
        "sim-{}",
        &hex::encode(sha2::Digest::finalize(sha2::Sha256::new_with_prefix(&n)))[..16]
    );
    Ok(SigningKey {
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        decoding: DecodingKey::from_rsa_raw_components(&n, &e),
        jwk: serde_json::json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64.encode(&n), "e": b64.encode(&e),
        }),
        kid,
    })
}

use sha2::Digest;

/// One key per process: generating RSA keys is slow, and every simulator has its own issuer anyway.
fn process_key() -> Result<&'static SigningKey, SimError> {
    static KEY: OnceLock<Result<SigningKey, String>> = OnceLock::new();
    KEY.get_or_init(generate_key)
        .as_ref()
        .map_err(|e| SimError::Config(e.clone()))
}

/// An Altinn API delegation: `consumer` delegated `scope` to `supplier`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Delegation {
    pub consumer: String,
    pub supplier: String,
    pub scope: String,
}

/// An Altinn system user: the customer (`customer_org`) approved a system user of the vendor (`vendor_org`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SystemUser {
    pub customer_org: String,
    pub vendor_org: String,
    pub system_user_id: String,
    pub system_id: String,
}

#[derive(Default)]
pub struct Mutable {
    pub clients: HashMap<String, SimClient>,
    pub delegations: Vec<Delegation>,
    pub system_users: Vec<SystemUser>,
    /// jti → the grant's exp (kept until then).
    pub jtis: HashMap<String, i64>,
    pub agreements: Vec<Agreement>,
    pub log: Vec<LoggedRequest>,
}

pub struct SimState {
    pub cfg: SimConfig,
    pub urls: SimUrls,
    pub data: DataSet,
    pub key: &'static SigningKey,
    clock_offset: AtomicI64,
    pub inner: Mutex<Mutable>,
    pub limiter: Limiter,
    pub faults: Faults,
}

impl SimState {
    pub fn new(cfg: SimConfig, urls: SimUrls) -> Result<SimState, SimError> {
        if let Some(path) = &cfg.data {
            return Err(SimError::Config(format!(
                "--data {}: loading another data set is not supported yet; the simulator serves the built-in \
                 data set (docs/simulator.md)",
                path.display()
            )));
        }
        let data = DataSet::default_for(cfg.today);
        let faults = match &cfg.faults {
            Some(spec) => Faults::parse(spec).map_err(SimError::Config)?,
            None => Faults::default(),
        };
        let agreements = match &cfg.state {
            Some(path) if path.exists() => {
                let bytes = std::fs::read(path).map_err(|e| {
                    SimError::Config(format!(
                        "could not read the simulator state file {}: {e}",
                        path.display()
                    ))
                })?;
                serde_json::from_slice::<Vec<Agreement>>(&bytes).map_err(|e| {
                    SimError::Config(format!(
                        "the simulator state file {} is not a list of agreements ({e}); delete it to start afresh",
                        path.display()
                    ))
                })?
            }
            _ => data.initial_agreements.clone(),
        };
        Ok(SimState {
            key: process_key()?,
            urls,
            data,
            clock_offset: AtomicI64::new(0),
            inner: Mutex::new(Mutable {
                agreements,
                ..Mutable::default()
            }),
            limiter: Limiter::new(5),
            faults,
            cfg,
        })
    }

    /// The simulator's clock, epoch seconds (wall clock plus the advanced offset).
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst)
    }

    pub fn advance(&self, secs: i64) {
        self.clock_offset.fetch_add(secs, Ordering::SeqCst);
    }

    /// Lock the mutable part; a poisoned lock (a panic elsewhere) is recovered, the data stays usable.
    pub fn lock(&self) -> MutexGuard<'_, Mutable> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn issuer(&self) -> &str {
        &self.urls.maskinporten_issuer
    }

    pub fn current_month(&self) -> YearMonth {
        self.data.current_month()
    }

    pub fn avtaleforhold(
        &self,
        institution: &str,
        opplysningspliktig: &str,
    ) -> BTreeSet<YearMonth> {
        let agreements = self.lock().agreements.clone();
        rules::avtaleforhold(
            &agreements,
            &self.data.employer_reports,
            institution,
            opplysningspliktig,
            self.current_month(),
        )
    }

    pub fn virkningsperiode(
        &self,
        institution: &str,
        opplysningspliktig: &str,
    ) -> BTreeSet<YearMonth> {
        rules::virkningsperiode(&self.avtaleforhold(institution, opplysningspliktig))
    }

    /// Persist the agreement table to `--state FILE` (if given). Failures are logged, not fatal.
    pub fn save_state(&self) {
        let Some(path) = &self.cfg.state else { return };
        let agreements = self.lock().agreements.clone();
        match serde_json::to_vec_pretty(&agreements) {
            Ok(bytes) => {
                if let Err(e) = crate::fsutil::write_atomic(path, &bytes) {
                    tracing::warn!(
                        "could not write the simulator state file {}: {e}",
                        path.display()
                    );
                }
            }
            Err(e) => tracing::warn!("could not serialise the simulator state: {e}"),
        }
    }

    pub fn log(&self, entry: LoggedRequest) {
        self.lock().log.push(entry);
    }
}
