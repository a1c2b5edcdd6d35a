//! The embedded simulator: Maskinporten plus Skatteetaten Inntekt, Inntektsmottakere,
//! Tjenestepensjonsavtale and NAV Aa-registeret OTP (GraphQL), on one axum server.
//!
//! OWNED BY THE SIMULATOR WORK. The public items below are the contract with the rest of the crate.

use chrono::NaiveDate;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Which code Inntekt gives for "listed, but no income" (the documented conflict, §1.4.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoIncomeCode {
    /// 404 IM-008 (Skatteetaten's current table). Default.
    #[default]
    Im008,
    /// 403 IM-010 (the DSOP FAQ's wording).
    Im010,
}

/// Simulator settings.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The date the data set's months are computed from (`--today`).
    pub today: NaiveDate,
    /// Access-token lifetime reported in `expires_in`.
    pub token_lifetime_secs: u64,
    pub no_income_code: NoIncomeCode,
    /// `--faults SPEC`, raw.
    pub faults: Option<String>,
    /// `--data FILE`.
    pub data: Option<PathBuf>,
    /// `--state FILE`.
    pub state: Option<PathBuf>,
}

impl SimConfig {
    pub fn new(today: NaiveDate) -> SimConfig {
        SimConfig {
            today,
            token_lifetime_secs: 120,
            no_income_code: NoIncomeCode::default(),
            faults: None,
            data: None,
            state: None,
        }
    }
}

/// The simulator's URLs, as the harness's `sim` environment uses them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimUrls {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// `{base}/maskinporten/` (with the trailing slash: the grant's `aud`).
    pub maskinporten_issuer: String,
    /// `{base}/maskinporten/token`
    pub token_endpoint: String,
    /// `{base}/inntekt/v1`
    pub inntekt: String,
    /// `{base}/inntektsmottakere/v1`
    pub inntektsmottakere: String,
    /// `{base}/tjenestepensjonsavtale/v1`
    pub tjenestepensjonsavtale: String,
    /// `{base}/aareg/v1/arbeidsforhold/otp/graphql`
    pub aareg: String,
}

impl SimUrls {
    pub fn new(base: &str) -> SimUrls {
        let b = base.trim_end_matches('/');
        SimUrls {
            base: b.to_string(),
            maskinporten_issuer: format!("{b}/maskinporten/"),
            token_endpoint: format!("{b}/maskinporten/token"),
            inntekt: format!("{b}/inntekt/v1"),
            inntektsmottakere: format!("{b}/inntektsmottakere/v1"),
            tjenestepensjonsavtale: format!("{b}/tjenestepensjonsavtale/v1"),
            aareg: format!("{b}/aareg/v1/arbeidsforhold/otp/graphql"),
        }
    }
}

/// How a registered Maskinporten client authenticates.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// Business certificate in `x5c`; the chain must lead to this CA certificate (DER).
    X5c { trusted_ca_der: Vec<u8> },
    /// A pre-registered key, referenced by `kid` (public key as PEM, SPKI or PKCS#1).
    Kid { kid: String, public_key_pem: String },
}

/// A Maskinporten client registered with the simulator.
#[derive(Clone, Debug)]
pub struct SimClient {
    pub client_id: String,
    /// The organisation that owns the client (the institution, or the vendor).
    pub orgnr: String,
    pub scopes: Vec<String>,
    pub auth: ClientAuth,
}

/// One line of the simulator's request log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub correlation_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("could not start the simulator on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Config(String),
}

/// A running simulator.
pub struct SimHandle {
    urls: SimUrls,
}

impl SimHandle {
    pub fn urls(&self) -> &SimUrls {
        &self.urls
    }

    /// Register a Maskinporten client (the harness does this for its ephemeral certificate in `--env sim`).
    pub fn register_client(&self, client: SimClient) {
        let _ = client;
    }

    /// Move the simulator's clock (token expiry without sleeping).
    pub fn advance_clock(&self, secs: i64) {
        let _ = secs;
    }

    /// Every request served so far.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        Vec::new()
    }

    /// Stop serving.
    pub async fn shutdown(self) {}
}

/// Start the simulator on `addr` (port 0 picks a free port).
pub async fn start(cfg: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
    let _ = cfg;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| SimError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| SimError::Bind { addr, source })?;
    Ok(SimHandle { urls: SimUrls::new(&format!("http://{local}")) })
}
