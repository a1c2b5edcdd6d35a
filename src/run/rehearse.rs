//! `dsop-harness rehearse`: the `--env test` run, in real time, against the embedded simulator standing in
//! for the agencies' test environment (docs/rehearse.md).
//!
//! Nothing here is a second code path for the run: the user's configuration gets an overlay of
//! `[profile.test]` with every URL pointed at the simulator, and the simulator registers what that
//! configuration implies (the client with the four scopes, owned by the certificate's organisation; the
//! institution's delegation to a vendor, or its system user). Then `run --env test` runs as it would against
//! the agencies: the preflight, the real waits, no clock knob.

use super::RunError;
use crate::auth::issuers::{read_ca, IssuerList, IssuerTrust};
use crate::auth::{BusinessCert, KeyMaterial, TestCa};
use crate::config::{Config, Env, ProfileConfig};
use crate::model::{Delegation, SCOPES};
use crate::secret::Secret;
use crate::sim::{ClientAuth, SimClient, SimConfig, SimHandle};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The note for a certificate whose issuer could not be registered (worded per language in `crate::lang`).
pub const ISSUER_TRUST_NOT_REHEARSED: &str = "issuer_trust_not_rehearsed";

/// The note for a self-signed leaf, or one from an issuer on neither issuer list.
pub const WILL_BE_REFUSED: &str = "will_be_refused";

/// The note for a rehearsal without a key in the configuration.
pub const THROW_AWAY_KEY: &str = "throw_away_key";

/// `rehearse`'s own options (the run options are `run`'s).
#[derive(Clone, Debug)]
pub struct RehearseOptions {
    /// `--ca FILE`: the issuer's certificate (PEM or DER), when the PKCS#12 or chain file lacks it.
    pub ca: Option<PathBuf>,
    /// `--no-delegation`: leave the institution's delegation (or system user) to the vendor out.
    pub no_delegation: bool,
    /// `--token-lifetime SECS`: the simulator's `expires_in` (default 120).
    pub token_lifetime_secs: u64,
    /// `--tolerance SECS`: seconds past `exp` the simulated APIs still accept a token (default 60).
    pub tolerance_secs: u64,
    /// `--latency-ms N`: extra delay of every API answer.
    pub latency_ms: u64,
}

impl Default for RehearseOptions {
    fn default() -> Self {
        RehearseOptions {
            ca: None,
            no_delegation: false,
            token_lifetime_secs: 120,
            tolerance_secs: crate::sim::DEFAULT_EXPIRY_TOLERANCE_SECS as u64,
            latency_ms: 0,
        }
    }
}

/// How the simulator trusts the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Through the issuer's certificate (from the file, or `--ca`), as Maskinporten does.
    Issuer,
    /// The leaf itself (no issuer certificate at hand): issuer trust is not rehearsed.
    Leaf,
    /// A registered key (`kid`).
    Kid,
}

/// A temporary folder, deleted when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A prepared rehearsal: the simulator running with the configuration's client registered, and the
/// configuration with every URL pointed at it.
pub struct Rehearsal {
    pub config: Config,
    pub sim: Arc<SimHandle>,
    pub trust: Trust,
    /// Sentences for the report's first page and the terminal (issuer trust, MP-120, the throw-away key).
    pub notes: Vec<String>,
    /// The throw-away PKCS#12's folder, deleted at exit.
    _temp: Option<TempDir>,
}

impl Rehearsal {
    /// Stop the simulator (the throw-away key's folder goes with `self`).
    pub async fn shutdown(self) {
        if let Ok(h) = Arc::try_unwrap(self.sim) {
            h.shutdown().await;
        }
    }
}

fn config_err(e: impl std::fmt::Display) -> RunError {
    RunError::Config(e.to_string())
}

/// Whether the configuration names a key for Maskinporten.
fn has_key(c: &Config) -> bool {
    c.maskinporten.pkcs12.is_some()
        || c.maskinporten.key_pem.is_some()
        || std::env::var_os(crate::config::DEFAULT_PKCS12_ENV).is_some_and(|v| !v.is_empty())
}

/// Without any key in the configuration: a throw-away PKCS#12 from a synthetic test CA, in a temporary
/// folder outside the run folder. Its password is handed to the loader in this process only.
fn throw_away_key(
    c: &mut Config,
    institution: &str,
    today: chrono::NaiveDate,
) -> Result<TempDir, RunError> {
    use chrono::Datelike;
    let owner = c
        .vendor
        .as_ref()
        .and_then(|v| v.orgnr.clone())
        .unwrap_or_else(|| institution.to_string());
    let ca = TestCa::generate("Simulert Buypass Class 3 Test4 CA").map_err(config_err)?;
    let y = today.year();
    let cert = ca
        .issue(&owner, "Øvelse AS", (y - 1, 1, 1), (y + 2, 1, 1))
        .map_err(config_err)?;
    let password = Secret::new(uuid::Uuid::new_v4().simple().to_string());
    let data = pkcs12(&cert, &password).map_err(config_err)?;
    let dir = std::env::temp_dir().join(format!("dsop-rehearse-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).map_err(|source| RunError::Io {
        what: format!("cannot create {}", dir.display()),
        source,
    })?;
    let temp = TempDir(dir.clone());
    let file = dir.join("throw-away.p12");
    std::fs::write(&file, data).map_err(|source| RunError::Io {
        what: format!("cannot write {}", file.display()),
        source,
    })?;
    let var = format!("DSOP_REHEARSAL_PASSWORD_{}", std::process::id());
    std::env::set_var(&var, password.expose());
    c.maskinporten.pkcs12 = Some(file);
    c.maskinporten.password_env = Some(var);
    Ok(temp)
}

/// A PKCS#12 file of `cert` (key and chain), encrypted with `password`.
pub fn pkcs12(cert: &BusinessCert, password: &Secret<String>) -> Result<Vec<u8>, String> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    let k = rsa::RsaPrivateKey::from_pkcs8_pem(cert.key_pem.expose()).map_err(|e| e.to_string())?;
    let der = k.to_pkcs8_der().map_err(|e| e.to_string())?;
    let key = PrivateKey::from_der(der.as_bytes()).map_err(|e| e.to_string())?;
    let certs = cert
        .chain_der
        .iter()
        .map(|d| Certificate::from_der(d).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ks = KeyStore::new();
    ks.add_entry(
        "virksomhet",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"1".as_slice(), key, certs)),
    );
    ks.writer(password.expose())
        .write()
        .map_err(|e| e.to_string())
}

/// How the simulator is told to trust `cert`, and the sentences that go with it. The decision is
/// `IssuerTrust`'s, shared with `doctor`, so both say the same in the same cases.
fn certificate_trust(
    cert: &BusinessCert,
    ca: Option<&Path>,
    notes: &mut Vec<String>,
) -> Result<(Trust, Vec<u8>), RunError> {
    let ca_der = ca.map(read_ca).transpose().map_err(RunError::Config)?;
    let judged = IssuerTrust::of(&cert.chain_der, ca_der, &IssuerList::default());
    if judged.will_be_refused() {
        notes.push(WILL_BE_REFUSED.to_string());
    }
    match judged.issuer_der {
        Some(der) => Ok((Trust::Issuer, der)),
        None => {
            notes.push(ISSUER_TRUST_NOT_REHEARSED.to_string());
            Ok((
                Trust::Leaf,
                cert.chain_der.first().cloned().unwrap_or_default(),
            ))
        }
    }
}

/// The institution: `[institution] orgnr`, else the workbook's pensjonsinnretning, else the simulator's.
fn institution(c: &Config, wb: &crate::workbook::Workbook) -> String {
    c.institution.orgnr.clone().unwrap_or_else(|| {
        wb.testdata
            .iter()
            .find(|t| crate::workbook::normalise(&t.kind) == "pensjonsinnretning")
            .map(|t| t.identifikator.clone())
            .unwrap_or_else(|| crate::bootstrap::SIM_INSTITUTION_ORGNR.to_string())
    })
}

/// Start the simulator as the test environment's stand-in, register what `config` implies, and return the
/// configuration with `[profile.test]`'s URLs pointed at it (its path templates and timeouts kept).
pub async fn prepare(
    config: &Config,
    wb: &crate::workbook::Workbook,
    today: chrono::NaiveDate,
    ro: &RehearseOptions,
) -> Result<Rehearsal, RunError> {
    let mut c = config.clone();
    let orgnr = institution(&c, wb);
    c.institution.orgnr = Some(orgnr.clone());
    let mut notes = Vec::new();
    let temp = match has_key(&c) {
        true => None,
        false => {
            notes.push(THROW_AWAY_KEY.to_string());
            if c.maskinporten.client_id.is_none() {
                c.maskinporten.client_id = Some(crate::bootstrap::SIM_CLIENT_ID.into());
            }
            Some(throw_away_key(&mut c, &orgnr, today)?)
        }
    };
    let client_id = c.maskinporten.client_id.clone().ok_or_else(|| {
        RunError::Config(format!(
            "rehearse needs [maskinporten] client_id in {} (or DSOP_CLIENT_ID), as --env test does",
            crate::config::DEFAULT_FILE
        ))
    })?;
    let delegation = c.delegation().map_err(config_err)?;
    let vendor = c.vendor.as_ref().and_then(|v| v.orgnr.clone());
    if delegation != Delegation::None && vendor.is_none() {
        return Err(RunError::Config(
            "[vendor] needs orgnr (the vendor's organisation number) for a rehearsal".into(),
        ));
    }
    let owner = vendor.clone().unwrap_or_else(|| orgnr.clone());
    let (trust, auth) = client_auth(&c, ro, &mut notes)?;
    let handle = start_sim(&c, wb, today, ro).await?;
    handle.register_client(SimClient {
        client_id,
        orgnr: owner.clone(),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        auth,
    });
    if !ro.no_delegation {
        match delegation {
            Delegation::None => {}
            Delegation::ConsumerOrg => {
                for s in SCOPES {
                    handle.register_delegation(&orgnr, &owner, s);
                }
            }
            Delegation::SystemUser => {
                handle.register_system_user(&orgnr, &owner);
            }
        }
    }
    overlay(&mut c, handle.urls());
    Ok(Rehearsal {
        config: c,
        sim: Arc::new(handle),
        trust,
        notes,
        _temp: temp,
    })
}

/// How the simulator authenticates the configuration's client, and the sentences on its trust.
fn client_auth(
    c: &Config,
    ro: &RehearseOptions,
    notes: &mut Vec<String>,
) -> Result<(Trust, ClientAuth), RunError> {
    let key = c.maskinporten.load_key_material().map_err(config_err)?;
    Ok(match &key {
        KeyMaterial::Certificate(cert) => {
            let (trust, der) = certificate_trust(cert, ro.ca.as_deref(), notes)?;
            (
                trust,
                ClientAuth::X5c {
                    trusted_ca_der: der,
                },
            )
        }
        KeyMaterial::Kid { kid, key_pem } => {
            use rsa::pkcs8::EncodePublicKey;
            let k =
                crate::auth::cert::parse_rsa_key_pem(key_pem.expose(), "[maskinporten] key_pem")
                    .map_err(config_err)?;
            let public_key_pem = rsa::RsaPublicKey::from(&k)
                .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(config_err)?;
            (
                Trust::Kid,
                ClientAuth::Kid {
                    kid: kid.clone(),
                    public_key_pem,
                },
            )
        }
    })
}

/// The simulator: the workbook's test data, the rehearsal's switches, the user's path templates.
async fn start_sim(
    c: &Config,
    wb: &crate::workbook::Workbook,
    today: chrono::NaiveDate,
    ro: &RehearseOptions,
) -> Result<SimHandle, RunError> {
    let mut sc = SimConfig::new(today);
    sc.testdata = Some(wb.testdata.clone());
    let tol = ro.tolerance_secs.to_string();
    for (name, value) in [
        ("token_lifetime", ro.token_lifetime_secs.to_string()),
        ("expiry_tolerance_skatteetaten", tol.clone()),
        ("expiry_tolerance_nav", tol),
        ("latency_ms", ro.latency_ms.to_string()),
    ] {
        sc.set_switch(name, &value).map_err(config_err)?;
    }
    let paths = crate::sim::paths::PathTemplates::from_endpoints(&c.endpoints(Env::Test));
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    crate::sim::start_with_paths(sc, addr, paths)
        .await
        .map_err(|e| RunError::Environment(e.to_string()))
}

/// `[profile.test]` with every URL at the simulator; path templates, timeouts and tolerances kept.
fn overlay(c: &mut Config, urls: &crate::sim::SimUrls) {
    let p = c.profile.entry(Env::Test.as_str().to_string()).or_default();
    *p = ProfileConfig {
        maskinporten_issuer: Some(urls.maskinporten_issuer.clone()),
        token_endpoint: Some(urls.token_endpoint.clone()),
        inntekt: Some(urls.inntekt.clone()),
        inntektsmottakere: Some(urls.inntektsmottakere.clone()),
        tjenestepensjonsavtale: Some(urls.tjenestepensjonsavtale.clone()),
        aareg: Some(urls.aareg.clone()),
        ..p.clone()
    };
}

/// When the harness's own expiry tolerance (`expiry_tolerance_secs` of `[profile.test]`, default 60) is longer
/// than the simulated APIs' (`--tolerance`), the expired-token cases wait by the harness's: one line saying
/// how long and how to shorten it. `None` when the plan has no expired-token step or the wait is no longer than
/// the simulator needs.
pub fn wait_notice(c: &Config, plan: &super::plan::Plan, ro: &RehearseOptions) -> Option<String> {
    let steps = plan
        .cases
        .iter()
        .filter(|c| c.selected)
        .flat_map(|c| c.steps.iter().map(move |s| (c, s)))
        .filter(|(_, s)| s.auth == super::plan::AuthMode::Expired);
    let (case, tol) = steps
        .map(|(c0, s)| (c0, c.expiry_tolerance_secs(Env::Test, s.api)))
        .max_by_key(|(_, t)| *t)?;
    if tol <= ro.tolerance_secs {
        return None;
    }
    let wait = ro.token_lifetime_secs + tol + super::wait::EXPIRY_MARGIN_SECS;
    Some(format!(
        "rehearsal: {} waits {wait} s (token lifetime {} s + the harness's expiry_tolerance_secs {tol} s + \
         {} s margin): --tolerance sets only the simulated APIs' tolerance; set expiry_tolerance_secs (and \
         nav_expiry_tolerance_secs) = {} in [profile.test] of dsop-harness.toml for a shorter rehearsal",
        case.id,
        ro.token_lifetime_secs,
        super::wait::EXPIRY_MARGIN_SECS,
        ro.tolerance_secs
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> super::super::plan::Plan {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testcases")
            .join(crate::workbook::generate::BUNDLED_FILE);
        let wb = crate::workbook::read(&path).expect("the bundled workbook reads");
        super::super::plan::build(&wb, &Default::default()).expect("the bundled plan builds")
    }

    #[test]
    fn a_harness_tolerance_longer_than_the_simulators_is_said_with_its_wait() {
        let plan = bundled();
        let ro = RehearseOptions {
            token_lifetime_secs: 3,
            tolerance_secs: 1,
            ..Default::default()
        };
        let mut c = Config::default();
        let n = wait_notice(&c, &plan, &ro).expect("60 s against 1 s");
        assert!(n.contains("SEC-01 waits 65 s"), "{n}");
        assert!(
            n.contains("expiry_tolerance_secs") && n.contains("= 1 in [profile.test]"),
            "{n}"
        );
        let p = c.profile.entry("test".into()).or_default();
        p.expiry_tolerance_secs = Some(1);
        assert_eq!(wait_notice(&c, &plan, &ro), None);
        // The default rehearsal (60 s both) says nothing.
        assert_eq!(
            wait_notice(&Config::default(), &plan, &RehearseOptions::default()),
            None
        );
    }
}
