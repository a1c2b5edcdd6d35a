//! Shared simulator state: configuration, the signing key, the clock, registered clients and the mutable
//! agreement table (changed by Tjenestepensjonsavtale POST/DELETE, read by every API).

use super::data::{Agreement, DataSet};
use super::faults::Faults;
use super::limiter::Limiter;
use super::rules;
use super::{ClientAuth, LoggedRequest, SimClient, SimConfig, SimError, SimUrls};
use crate::months::YearMonth;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

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
    signing_key(key)
}

/// The first signing key of every simulator: a synthetic key made once per machine
/// (`auth::cert::synthetic_key_pem`), so starting a simulator costs no key generation.
fn machine_key() -> Result<SigningKey, String> {
    use rsa::pkcs8::DecodePrivateKey;
    let pem = crate::auth::cert::synthetic_key_pem("sim-signing").map_err(|e| e.to_string())?;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem.expose())
        .map_err(|e| format!("the simulator's signing key does not read: {e}"))?;
    signing_key(key)
}

fn signing_key(key: rsa::RsaPrivateKey) -> Result<SigningKey, String> {
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

/// One first key per machine (read once per process): generating RSA keys is slow, and every simulator has
/// its own issuer anyway. A key rotation (`SimHandle::rotate_key`) generates a fresh one for that simulator
/// only.
fn process_key() -> Result<Arc<SigningKey>, SimError> {
    static KEY: OnceLock<Result<Arc<SigningKey>, String>> = OnceLock::new();
    KEY.get_or_init(|| machine_key().map(Arc::new))
        .as_ref()
        .cloned()
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

/// A consumer organisation's access to a scope was revoked by the API owner (MP-250).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScopeRevocation {
    pub consumer: String,
    pub scope: String,
}

#[derive(Default)]
pub struct Mutable {
    pub clients: HashMap<String, SimClient>,
    /// client id → when its key / CA was registered (sim clock; MP-121 for `kid` keys older than a year).
    pub client_registered: HashMap<String, i64>,
    /// Scope grants taken away from consumers (wins over every way of being granted).
    pub revoked_scopes: Vec<ScopeRevocation>,
    /// Scopes the API owner granted an organisation explicitly (`grant_scope`, `POST /_sim/scope-grants`).
    pub granted_scopes: Vec<ScopeRevocation>,
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
    /// Token-signing keys, oldest first; the last one signs new tokens, all are published and verify.
    keys: Mutex<Vec<Arc<SigningKey>>>,
    clock_offset: AtomicI64,
    pub inner: Mutex<Mutable>,
    pub limiter: Limiter,
    pub faults: Faults,
}

/// A registered client as kept in the state file (public material only: a CA certificate or a public key).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PersistedClient {
    pub client_id: String,
    pub orgnr: String,
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_ca_der_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
    #[serde(default)]
    pub registered_at: i64,
}

impl PersistedClient {
    fn of(c: &SimClient, registered_at: i64) -> PersistedClient {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (ca, kid, key) = match &c.auth {
            ClientAuth::X5c { trusted_ca_der } => (Some(b64.encode(trusted_ca_der)), None, None),
            ClientAuth::Kid {
                kid,
                public_key_pem,
            } => (None, Some(kid.clone()), Some(public_key_pem.clone())),
        };
        PersistedClient {
            client_id: c.client_id.clone(),
            orgnr: c.orgnr.clone(),
            scopes: c.scopes.clone(),
            trusted_ca_der_base64: ca,
            kid,
            public_key_pem: key,
            registered_at,
        }
    }

    fn client(&self) -> Option<SimClient> {
        let auth = match (&self.trusted_ca_der_base64, &self.kid, &self.public_key_pem) {
            (Some(ca), _, _) => ClientAuth::X5c {
                trusted_ca_der: base64::engine::general_purpose::STANDARD.decode(ca).ok()?,
            },
            (None, Some(kid), Some(pem)) => ClientAuth::Kid {
                kid: kid.clone(),
                public_key_pem: pem.clone(),
            },
            _ => return None,
        };
        Some(SimClient {
            client_id: self.client_id.clone(),
            orgnr: self.orgnr.clone(),
            scopes: self.scopes.clone(),
            auth,
        })
    }
}

/// The `--state FILE` document (version 2). Version 1 was a bare list of agreements; it is still read.
/// The request log is kept next to it, one JSON line per request, in `FILE.log.jsonl`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct PersistedState {
    #[serde(default)]
    pub version: u32,
    pub agreements: Vec<Agreement>,
    #[serde(default)]
    pub clients: Vec<PersistedClient>,
    #[serde(default)]
    pub delegations: Vec<Delegation>,
    #[serde(default)]
    pub system_users: Vec<SystemUser>,
    #[serde(default)]
    pub revoked_scopes: Vec<ScopeRevocation>,
    #[serde(default)]
    pub granted_scopes: Vec<ScopeRevocation>,
    #[serde(default)]
    pub clock_offset_secs: i64,
}

/// `FILE.log.jsonl` for the state file `FILE`.
pub fn log_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".log.jsonl");
    PathBuf::from(name)
}

fn load_state(path: &Path) -> Result<Option<(PersistedState, Vec<LoggedRequest>)>, SimError> {
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|e| {
        SimError::Config(format!(
            "could not read the simulator state file {}: {e}",
            path.display()
        ))
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        SimError::Config(format!(
            "the simulator state file {} is not JSON ({e}); delete it to start afresh",
            path.display()
        ))
    })?;
    let state = if value.is_array() {
        serde_json::from_value::<Vec<Agreement>>(value).map(|agreements| PersistedState {
            agreements,
            ..PersistedState::default()
        })
    } else {
        serde_json::from_value::<PersistedState>(value)
    }
    .map_err(|e| {
        SimError::Config(format!(
            "the simulator state file {} is not a simulator state ({e}); delete it to start afresh",
            path.display()
        ))
    })?;
    let mut log = Vec::new();
    if let Ok(text) = std::fs::read_to_string(log_path(path)) {
        // A line cut short by a crash is skipped; every complete line is kept.
        log.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<LoggedRequest>(l).ok()),
        );
    }
    Ok(Some((state, log)))
}

impl SimState {
    pub fn new(cfg: SimConfig, urls: SimUrls) -> Result<SimState, SimError> {
        let data = match (&cfg.data, &cfg.testdata) {
            (Some(path), _) => super::datafile::load(path, cfg.today)?,
            (None, Some(rows)) => DataSet::from_testdata(rows, cfg.today),
            (None, None) => DataSet::default_for(cfg.today),
        };
        let faults = match &cfg.faults {
            Some(spec) => Faults::parse(spec).map_err(SimError::Config)?,
            None => Faults::default(),
        };
        let mut inner = Mutable {
            agreements: data.initial_agreements.clone(),
            ..Mutable::default()
        };
        let mut clock_offset = 0;
        if let Some(path) = &cfg.clients {
            let file = super::datafile::load_clients(path)?;
            for c in file.clients {
                inner.client_registered.insert(c.client_id.clone(), 0);
                inner.clients.insert(c.client_id.clone(), c);
            }
            inner.delegations.extend(file.delegations);
        }
        if let Some(path) = &cfg.state {
            if let Some((saved, log)) = load_state(path)? {
                inner.agreements = saved.agreements;
                for pc in &saved.clients {
                    if let Some(c) = pc.client() {
                        inner
                            .client_registered
                            .insert(c.client_id.clone(), pc.registered_at);
                        inner.clients.insert(c.client_id.clone(), c);
                    }
                }
                for d in saved.delegations {
                    if !inner.delegations.contains(&d) {
                        inner.delegations.push(d);
                    }
                }
                inner.system_users = saved.system_users;
                inner.revoked_scopes = saved.revoked_scopes;
                inner.granted_scopes = saved.granted_scopes;
                clock_offset = saved.clock_offset_secs;
                inner.log = log;
            }
        }
        Ok(SimState {
            keys: Mutex::new(vec![process_key()?]),
            urls,
            data,
            clock_offset: AtomicI64::new(clock_offset),
            inner: Mutex::new(inner),
            limiter: Limiter::new(5),
            faults,
            cfg,
        })
    }

    /// The key that signs new tokens.
    pub fn signing_key(&self) -> Arc<SigningKey> {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        // `keys` is never empty: it starts with one key and only grows.
        keys[keys.len() - 1].clone()
    }

    /// Every published key (old ones stay until the simulator stops, so earlier tokens verify until they expire).
    pub fn all_keys(&self) -> Vec<Arc<SigningKey>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Key rotation: a new key (new `kid`) signs from now on; returns its kid.
    pub fn rotate_key(&self) -> Result<String, SimError> {
        let key = Arc::new(generate_key().map_err(SimError::Config)?);
        let kid = key.kid.clone();
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(key);
        Ok(kid)
    }

    /// Register (or replace) a client, remembering when (for MP-121); persisted with `--state`.
    pub fn register_client(&self, client: SimClient) {
        let now = self.now();
        {
            let mut inner = self.lock();
            inner
                .client_registered
                .insert(client.client_id.clone(), now);
            inner.clients.insert(client.client_id.clone(), client);
        }
        self.save_state();
    }

    /// Whether the API owner granted `consumer` the `scope` (else MP-250). No scope without a grant:
    /// - an explicit grant (`grant_scope`, `POST /_sim/scope-grants`);
    /// - a delegation of the scope by `consumer` (only a granted scope can be delegated);
    /// - a client of `consumer`'s own registered with the scope — unless `consumer` acts as a supplier (it is
    ///   the supplier of a delegation or the vendor of a system user): a vendor's client is registered with
    ///   the scopes it uses for its customers, and without `consumer_org` it is refused, as at Maskinporten.
    ///
    /// A revocation (`revoke_scope`) wins over all three.
    pub fn scope_granted(&self, consumer: &str, scope: &str) -> bool {
        let inner = self.lock();
        let is = |r: &ScopeRevocation| r.consumer == consumer && r.scope == scope;
        if inner.revoked_scopes.iter().any(is) {
            return false;
        }
        let supplier = inner.delegations.iter().any(|d| d.supplier == consumer)
            || inner.system_users.iter().any(|u| u.vendor_org == consumer);
        inner.granted_scopes.iter().any(is)
            || inner
                .delegations
                .iter()
                .any(|d| d.consumer == consumer && d.scope == scope)
            || (!supplier
                && inner
                    .clients
                    .values()
                    .any(|c| c.orgnr == consumer && c.scopes.iter().any(|s| s == scope)))
    }

    /// Grant (`true`) or revoke (`false`) `scope` for `consumer`.
    pub fn set_scope_grant(&self, consumer: &str, scope: &str, granted: bool) {
        {
            let mut inner = self.lock();
            let is = |r: &ScopeRevocation| r.consumer == consumer && r.scope == scope;
            inner.revoked_scopes.retain(|r| !is(r));
            inner.granted_scopes.retain(|r| !is(r));
            let entry = ScopeRevocation {
                consumer: consumer.into(),
                scope: scope.into(),
            };
            if granted {
                inner.granted_scopes.push(entry);
            } else {
                inner.revoked_scopes.push(entry);
            }
        }
        self.save_state();
    }

    /// The simulator's clock, epoch seconds (wall clock plus the advanced offset).
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst)
    }

    pub fn advance(&self, secs: i64) {
        self.clock_offset.fetch_add(secs, Ordering::SeqCst);
        self.save_state();
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

    /// The last month of the employer's side of an open avtaleforhold: the last month with an a-melding
    /// (default: an a-melding is due by the 5th of the next month), or the current month (switch `employer_side`).
    pub fn employer_end(&self) -> YearMonth {
        if self.cfg.switches.is("employer_side", "current_month") {
            self.current_month()
        } else {
            self.data.last_reported
        }
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
            self.employer_end(),
        )
    }

    pub fn virkningsperiode(
        &self,
        institution: &str,
        opplysningspliktig: &str,
    ) -> BTreeSet<YearMonth> {
        rules::virkningsperiode(&self.avtaleforhold(institution, opplysningspliktig))
    }

    /// Persist the mutable state to `--state FILE` (if given): through a temporary file and a rename, so it
    /// is never half-written, but not fsynced (it is written after every change, on the request's path).
    /// Failures are logged, not fatal.
    pub fn save_state(&self) {
        let Some(path) = &self.cfg.state else { return };
        let doc = {
            let inner = self.lock();
            let mut clients: Vec<PersistedClient> = inner
                .clients
                .values()
                .map(|c| {
                    let at = inner
                        .client_registered
                        .get(&c.client_id)
                        .copied()
                        .unwrap_or(0);
                    PersistedClient::of(c, at)
                })
                .collect();
            clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
            PersistedState {
                version: 2,
                agreements: inner.agreements.clone(),
                clients,
                delegations: inner.delegations.clone(),
                system_users: inner.system_users.clone(),
                revoked_scopes: inner.revoked_scopes.clone(),
                granted_scopes: inner.granted_scopes.clone(),
                clock_offset_secs: self.clock_offset.load(Ordering::SeqCst),
            }
        };
        match serde_json::to_vec_pretty(&doc) {
            Ok(bytes) => {
                if let Err(e) = crate::fsutil::replace(path, &bytes) {
                    tracing::warn!(
                        "could not write the simulator state file {}: {e}",
                        path.display()
                    );
                }
            }
            Err(e) => tracing::warn!("could not serialise the simulator state: {e}"),
        }
    }

    /// Add a request to the log (and to `FILE.log.jsonl` with `--state FILE`: written at once, so it survives a
    /// killed process, but not fsynced per request; the state file itself is written atomically).
    pub fn log(&self, entry: LoggedRequest) {
        // Appended while holding the lock, so concurrent requests never interleave their lines.
        let mut inner = self.lock();
        if let Some(path) = &self.cfg.state {
            match serde_json::to_string(&entry) {
                Ok(line) => {
                    let line = if self.cfg.mask_ids {
                        crate::ids::mask_person_ids_in(&line)
                    } else {
                        line
                    };
                    if let Err(e) = crate::fsutil::append_line(&log_path(path), &line) {
                        tracing::warn!("could not append to the simulator request log: {e}");
                    }
                }
                Err(e) => tracing::warn!("could not serialise a request-log line: {e}"),
            }
        }
        inner.log.push(entry);
    }
}
