//! Setting up a simulated environment, shared by `run --env sim` and `doctor --env sim`: an ephemeral
//! synthetic business certificate from a synthetic test CA, the Maskinporten client registered for it, and
//! the simulator (in-process, or a `dsop-harness simulate` process reached through its admin endpoints).

use crate::auth::{BusinessCert, TestCa};
use crate::sim::data::{INSTITUTION_CLIENT_ID, INSTITUTION_NAME, INSTITUTION_ORGNR};
use crate::sim::{ClientAuth, SimClient, SimConfig, SimHandle};
use chrono::{Datelike, NaiveDate, Utc};
use std::sync::Arc;

/// The synthetic institution of the simulator's default data set, and its Maskinporten client.
pub const SIM_INSTITUTION_ORGNR: &str = INSTITUTION_ORGNR;
pub const SIM_INSTITUTION_NAME: &str = INSTITUTION_NAME;
pub const SIM_CLIENT_ID: &str = INSTITUTION_CLIENT_ID;

/// A synthetic institution's certificate and the simulator client that trusts its CA.
pub struct SimIdentity {
    pub cert: BusinessCert,
    pub client: SimClient,
    /// The synthetic CA's certificate (DER), for a simulator process's admin registration.
    pub ca_der: Vec<u8>,
}

/// An ephemeral business certificate for `orgnr`, valid from a year before `today` to two years after. The
/// certificates are issued anew; their synthetic keys are made once per machine (`synthetic_key_pem`).
pub fn sim_identity(today: NaiveDate, orgnr: &str, name: &str) -> Result<SimIdentity, String> {
    let key = |slot: &str| crate::auth::cert::synthetic_key_pem(slot).map_err(|e| e.to_string());
    let ca = TestCa::generate_with_key("Simulert Buypass Class 3 Test4 CA", key("sim-ca")?)
        .map_err(|e| e.to_string())?;
    let y = today.year();
    let cert = ca
        .issue_with_key(
            orgnr,
            name,
            (y - 1, 1, 1),
            (y + 2, 1, 1),
            key("sim-business")?,
        )
        .map_err(|e| e.to_string())?;
    let client = SimClient {
        client_id: SIM_CLIENT_ID.to_string(),
        orgnr: orgnr.to_string(),
        scopes: crate::model::SCOPES.iter().map(|s| s.to_string()).collect(),
        auth: ClientAuth::X5c {
            trusted_ca_der: ca.cert_der.clone(),
        },
    };
    Ok(SimIdentity {
        cert,
        client,
        ca_der: ca.cert_der,
    })
}

/// Start the simulator in-process on a free local port, with `id`'s client registered.
pub async fn start_embedded(cfg: SimConfig, id: &SimIdentity) -> Result<Arc<SimHandle>, String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let handle = crate::sim::start(cfg, addr)
        .await
        .map_err(|e| e.to_string())?;
    handle.register_client(id.client.clone());
    Ok(Arc::new(handle))
}

/// The Maskinporten client of the synthetic institution, against the simulator at `urls`.
pub fn sim_maskinporten(
    http: reqwest::Client,
    urls: &crate::sim::SimUrls,
    cert: BusinessCert,
) -> crate::auth::MaskinportenClient {
    crate::auth::MaskinportenClient::new(
        http,
        &urls.maskinporten_issuer,
        &urls.token_endpoint,
        SIM_CLIENT_ID,
        crate::auth::KeyMaterial::Certificate(cert),
        crate::model::Delegation::None,
        None,
    )
}

/// The admin endpoints of a simulator running as its own process (`/_sim/clients`, `/_sim/clock`).
#[derive(Clone)]
pub struct ExternalSim {
    http: reqwest::Client,
    base: String,
}

impl ExternalSim {
    pub fn new(http: &reqwest::Client, url: &str) -> ExternalSim {
        ExternalSim {
            http: http.clone(),
            base: url.trim_end_matches('/').to_string(),
        }
    }

    /// Register `id`'s client with the simulator.
    pub async fn register(&self, id: &SimIdentity) -> Result<(), String> {
        use base64::Engine;
        let c = &id.client;
        let body = serde_json::json!({
            "client_id": c.client_id,
            "orgnr": c.orgnr,
            "scopes": c.scopes,
            "trusted_ca_der_base64": base64::engine::general_purpose::STANDARD.encode(&id.ca_der),
        });
        let url = format!("{}/_sim/clients", self.base);
        let resp = self.http.post(&url).json(&body).send().await.map_err(|e| {
            format!(
                "the simulator at {} did not answer ({}): is `dsop-harness simulate` running there?",
                self.base,
                crate::apis::describe_reqwest_error(&e)
            )
        })?;
        if !resp.status().is_success() {
            return Err(format!(
                "the simulator at {} refused the client registration: HTTP {}",
                self.base,
                resp.status()
            ));
        }
        Ok(())
    }

    /// Move the simulator's clock; returns its new time (seconds since the epoch) when it answered.
    pub async fn advance(&self, secs: i64) -> Option<i64> {
        let url = format!("{}/_sim/clock", self.base);
        let r = self
            .http
            .post(&url)
            .json(&serde_json::json!({ "advance_secs": secs }))
            .send()
            .await
            .ok()?;
        let v: serde_json::Value = r.json().await.ok()?;
        v.get("now").and_then(|n| n.as_i64())
    }

    /// The simulator's clock minus ours, in seconds (its clock may have been moved by an earlier run).
    pub async fn offset(&self) -> i64 {
        self.advance(0)
            .await
            .map(|n| n - Utc::now().timestamp())
            .unwrap_or(0)
    }
}
