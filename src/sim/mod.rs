//! The embedded simulator: Maskinporten plus Skatteetaten Inntekt, Inntektsmottakere,
//! Tjenestepensjonsavtale and NAV Aa-registeret OTP (GraphQL), on one axum server.
//!
//! The public items below are the contract with the rest of the crate. Every route, rule and choice made where
//! the agencies' documentation is silent is listed in `docs/simulator.md`.

mod aareg;
mod admin;
mod auth;
pub mod data;
pub mod datafile;
pub mod faults;
mod inntekt;
mod inntektsmottakere;
mod limiter;
pub(crate) mod maskinporten;
pub mod paths;
pub mod rules;
mod server;
mod skatteetaten;
mod state;
pub mod switches;
pub mod testkit;
mod tjenestepensjonsavtale;
mod xml;

pub use auth::{SCOPE_AAREG, SCOPE_INNTEKT, SCOPE_INNTEKTSMOTTAKERE, SCOPE_TJENESTEPENSJONSAVTALE};
pub use data::Agreement;
pub use limiter::InFlight;
pub use state::{Delegation, ScopeRevocation, SystemUser};
pub use switches::{SwitchDef, Switches, SWITCHES};

use state::SimState;
use std::sync::Arc;

use chrono::NaiveDate;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The default of the switches `expiry_tolerance_skatteetaten` and `expiry_tolerance_nav`: seconds past `exp`
/// an API still accepts a token (NAV's sister API: Spring's 60 s clock skew).
pub const DEFAULT_EXPIRY_TOLERANCE_SECS: i64 = 60;

/// Which code Inntekt gives for "listed, but no income" (the documented conflict, §1.4.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoIncomeCode {
    /// 404 IM-008 (Skatteetaten's current table). Default.
    #[default]
    Im008,
    /// 403 IM-010 (the DSOP FAQ's wording).
    Im010,
}

/// Which window Aa-registeret OTP checks the queried months against (AA-101); the documentation does not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NavWindow {
    /// avtaleforhold months −15 … +1 (default).
    #[default]
    Virkningsperiode,
    /// The avtaleforhold months only.
    Avtaleforhold,
}

/// The shape of an Aa-registeret GraphQL error answer (nav-aareg-otp.md §8.1 shows both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AaregErrorData {
    /// `"data": {"<query>": null}` next to `errors` (NAV's doc examples). Default.
    #[default]
    Null,
    /// No `data` member at all (the sister API's current code).
    Removed,
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
    /// `--clients FILE`: Maskinporten clients (and delegations) registered at start (docs/simulator.md §13).
    pub clients: Option<PathBuf>,
    /// A workbook's Testdata rows: serve a data set generated from their tags instead of the built-in one
    /// (`run --env sim` with the user's own workbook). `data` wins when both are set.
    pub testdata: Option<Vec<crate::workbook::TestData>>,
    /// The AA-101 window rule.
    pub nav_window: NavWindow,
    /// `run --mask-ids`: personal ids in the request log file (`FILE.log.jsonl`) are masked.
    pub mask_ids: bool,
    /// `data: {q: null}` or no `data` in GraphQL error answers.
    pub aareg_error_data: AaregErrorData,
    /// Every other behaviour the documentation leaves open (`docs/simulator.md` §15). Set switches with
    /// [`SimConfig::set_switch`], which also keeps the typed fields above in step.
    pub switches: Switches,
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
            clients: None,
            testdata: None,
            nav_window: NavWindow::default(),
            mask_ids: false,
            aareg_error_data: AaregErrorData::default(),
            switches: Switches::default(),
        }
    }

    /// Set the switch `name` to `value` (`docs/simulator.md` §15); an unknown name or value is an error
    /// that says what is allowed.
    pub fn set_switch(&mut self, name: &str, value: &str) -> Result<(), String> {
        self.switches.set(name, value)?;
        let v = self.switches.get(name.trim()).to_string();
        match name.trim() {
            "token_lifetime" => self.token_lifetime_secs = self.switches.number("token_lifetime"),
            "nav_window" => {
                self.nav_window = if v == "avtaleforhold" {
                    NavWindow::Avtaleforhold
                } else {
                    NavWindow::Virkningsperiode
                }
            }
            "aareg_error_data" => {
                self.aareg_error_data = if v == "removed" {
                    AaregErrorData::Removed
                } else {
                    AaregErrorData::Null
                }
            }
            "no_income_code" => {
                self.no_income_code = if v == "403:IM-010" {
                    NoIncomeCode::Im010
                } else {
                    NoIncomeCode::Im008
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Set every `name=value` item of `items` (comma-separated).
    pub fn set_switches(&mut self, items: &str) -> Result<(), String> {
        for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (n, v) = item.split_once('=').ok_or_else(|| {
                format!(
                    "simulator switch {item:?} is not name=value (e.g. nav_window=avtaleforhold)"
                )
            })?;
            self.set_switch(n, v)?;
        }
        Ok(())
    }

    /// Move the typed fields (which callers may set directly) into the switch table, so both agree.
    fn sync_switches(&mut self) {
        let typed = [
            ("token_lifetime", self.token_lifetime_secs.to_string()),
            (
                "nav_window",
                match self.nav_window {
                    NavWindow::Avtaleforhold => "avtaleforhold",
                    NavWindow::Virkningsperiode => "virkningsperiode",
                }
                .to_string(),
            ),
            (
                "aareg_error_data",
                match self.aareg_error_data {
                    AaregErrorData::Removed => "removed",
                    AaregErrorData::Null => "null",
                }
                .to_string(),
            ),
            (
                "no_income_code",
                match self.no_income_code {
                    NoIncomeCode::Im010 => "403:IM-010",
                    NoIncomeCode::Im008 => "404:IM-008",
                }
                .to_string(),
            ),
        ];
        for (n, v) in typed {
            // Values of the typed fields are always valid switch values.
            let _ = self.switches.set(n, &v);
        }
    }

    /// Check a `--faults` spec (fault items and switch items) without starting anything: the error names
    /// the bad item.
    pub fn check_faults(spec: &str) -> Result<(), String> {
        let mut cfg = SimConfig::new(chrono::Utc::now().date_naive());
        cfg.faults = Some(spec.to_string());
        cfg.take_switches_from_faults()?;
        match &cfg.faults {
            Some(rest) => faults::Faults::parse(rest).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Take the switch items (`name=value` with a switch's name) out of the `--faults` spec and apply them;
    /// the rest stays the fault spec.
    fn take_switches_from_faults(&mut self) -> Result<(), String> {
        let Some(spec) = self.faults.take() else {
            return Ok(());
        };
        let mut rest = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item.split_once('=') {
                Some((n, v)) if switches::def(n.trim()).is_some() => self.set_switch(n, v)?,
                _ => rest.push(item),
            }
        }
        self.faults = (!rest.is_empty()).then(|| rest.join(","));
        Ok(())
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
    /// The harness's endpoints for this simulator (the default path templates, which it serves).
    pub fn endpoints(&self) -> crate::apis::Endpoints {
        crate::apis::Endpoints {
            inntekt: self.inntekt.clone(),
            inntektsmottakere: self.inntektsmottakere.clone(),
            tjenestepensjonsavtale: self.tjenestepensjonsavtale.clone(),
            aareg: self.aareg.clone(),
            ..crate::apis::Endpoints::default()
        }
    }

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
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
}

/// A running simulator.
pub struct SimHandle {
    urls: SimUrls,
    state: Arc<SimState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    pub fn urls(&self) -> &SimUrls {
        &self.urls
    }

    /// Register a Maskinporten client (the harness does this for its ephemeral certificate in `--env sim`).
    /// A client with the same id is replaced.
    pub fn register_client(&self, client: SimClient) {
        self.state.register_client(client);
    }

    /// Take `scope` away from `consumer` (orgnr): its grants then fail with 403 `forbidden` MP-250, however
    /// it held the scope (docs/simulator.md §2, "No scope without a grant").
    pub fn revoke_scope(&self, consumer: &str, scope: &str) {
        self.state.set_scope_grant(consumer, scope, false);
    }

    /// Grant `consumer` the `scope` explicitly (and undo [`SimHandle::revoke_scope`]).
    pub fn grant_scope(&self, consumer: &str, scope: &str) {
        self.state.set_scope_grant(consumer, scope, true);
    }

    /// In-flight statistics of a Skatteetaten API (`inntekt`, `inntektsmottakere`, `tjenestepensjonsavtale`)
    /// for a consumer organisation: calls in flight now, the most at once, admitted and refused (429) calls.
    pub fn in_flight(&self, api: &str, consumer: &str) -> InFlight {
        self.state.limiter.stats(api, consumer)
    }

    /// Key rotation: a new signing key (new `kid`) signs tokens from now on; the old keys stay in the JWKS and
    /// tokens signed with them are accepted until they expire. Returns the new kid (RSA generation takes ~1 s).
    pub fn rotate_key(&self) -> Result<String, SimError> {
        self.state.rotate_key()
    }

    /// The `kid` that signs new tokens.
    pub fn current_kid(&self) -> String {
        self.state.signing_key().kid.clone()
    }

    /// Register an Altinn API delegation (`consumer` delegated `scope` to `supplier`), for `consumer_org` grants.
    pub fn register_delegation(&self, consumer: &str, supplier: &str, scope: &str) {
        let d = Delegation {
            consumer: consumer.into(),
            supplier: supplier.into(),
            scope: scope.into(),
        };
        {
            let mut inner = self.state.lock();
            if !inner.delegations.contains(&d) {
                inner.delegations.push(d);
            }
        }
        self.state.save_state();
    }

    /// Register an Altinn system user of `vendor_org` approved by `customer_org`; returns the system user id.
    pub fn register_system_user(&self, customer_org: &str, vendor_org: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.state.lock().system_users.push(SystemUser {
            customer_org: customer_org.into(),
            vendor_org: vendor_org.into(),
            system_user_id: id.clone(),
            system_id: format!("{vendor_org}_dsop_harness"),
        });
        self.state.save_state();
        id
    }

    /// Move the simulator's clock (token expiry without sleeping).
    pub fn advance_clock(&self, secs: i64) {
        self.state.advance(secs);
    }

    /// The simulator clock, epoch seconds.
    pub fn now(&self) -> i64 {
        self.state.now()
    }

    /// Every request served so far.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.lock().log.clone()
    }

    /// The agreements currently registered (all institutions).
    pub fn agreements(&self) -> Vec<Agreement> {
        self.state.lock().agreements.clone()
    }

    /// The data set the simulator serves.
    pub fn data(&self) -> &data::DataSet {
        &self.state.data
    }

    /// Stop serving (in-flight requests get two seconds to finish, e.g. fault-injected timeouts do not).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(std::time::Duration::from_secs(2), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Start the simulator on `addr` (port 0 picks a free port).
pub async fn start(cfg: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
    start_with_paths(cfg, addr, paths::PathTemplates::default()).await
}

/// [`start`], serving the user's path templates too (`dsop-harness rehearse`).
pub async fn start_with_paths(
    cfg: SimConfig,
    addr: SocketAddr,
    paths: paths::PathTemplates,
) -> Result<SimHandle, SimError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let urls = SimUrls::new(&format!("http://{local}"));
    let mut cfg = cfg;
    cfg.sync_switches();
    cfg.take_switches_from_faults().map_err(SimError::Config)?;
    let state = Arc::new(SimState::new(cfg, urls.clone())?);
    let app = paths.wrap(server::router(state.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!("simulator stopped: {e}");
        }
    });
    Ok(SimHandle {
        urls,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}
