//! The four agency APIs: one file per API builds its requests; `send` performs one HTTP exchange and
//! gives back status, the raw JSON (kept for assertions), the parsed error code and the correlation ids.

pub mod aareg;
pub mod inntekt;
pub mod inntektsmottakere;
pub mod retry;
pub mod tjenestepensjonsavtale;

use crate::model::Api;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Base URLs and path templates. Two of the Skatteetaten paths are inferred (`docs/service.md` §3.1),
/// so every template can be overridden in configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Endpoints {
    pub inntekt: String,
    pub inntektsmottakere: String,
    pub tjenestepensjonsavtale: String,
    /// The full GraphQL URL.
    pub aareg: String,
    pub inntekt_path: String,
    pub inntektsmottakere_path: String,
    pub avtaleforhold_path: String,
    pub avtaleforhold_gyldighet_path: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            inntekt: "https://inntekt.api.skatteetaten-test.no/v1".into(),
            inntektsmottakere: "https://inntektsmottakere.api.skatteetaten-test.no/v1".into(),
            tjenestepensjonsavtale: "https://tjenestepensjonsavtale.api.skatteetaten-test.no/v1"
                .into(),
            aareg:
                "https://arbeidsforhold-gw.ekstern.dev.nav.no/aareg/v1/arbeidsforhold/otp/graphql"
                    .into(),
            inntekt_path: "/{rettighetspakke}/{personidentifikator}/inntekter".into(),
            inntektsmottakere_path: "/{rettighetspakke}/{opplysningspliktig}/inntektsmottakere"
                .into(),
            avtaleforhold_path: "/{rettighetspakke}/avtaleforhold".into(),
            avtaleforhold_gyldighet_path: "/{rettighetspakke}/avtaleforhold/gyldighet".into(),
        }
    }
}

impl Endpoints {
    /// The production hosts.
    pub fn prod() -> Endpoints {
        Endpoints {
            inntekt: "https://inntekt.api.skatteetaten.no/v1".into(),
            inntektsmottakere: "https://inntektsmottakere.api.skatteetaten.no/v1".into(),
            tjenestepensjonsavtale: "https://tjenestepensjonsavtale.api.skatteetaten.no/v1".into(),
            aareg: "https://arbeidsforhold-gw.nav.no/aareg/v1/arbeidsforhold/otp/graphql".into(),
            ..Endpoints::default()
        }
    }

    /// Base URL per API, for the report.
    pub fn base_urls(&self) -> Vec<(Api, String)> {
        vec![
            (
                Api::Tjenestepensjonsavtale,
                self.tjenestepensjonsavtale.clone(),
            ),
            (Api::Inntektsmottakere, self.inntektsmottakere.clone()),
            (Api::Inntekt, self.inntekt.clone()),
            (Api::AaregOtp, self.aareg.clone()),
        ]
    }
}

/// Fill `{name}` segments of a path template, percent-encoding each value.
pub fn fill_template(template: &str, params: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in params {
        let enc: String = v
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        out = out.replace(&format!("{{{k}}}"), &enc);
    }
    out
}

/// The two NAV queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AaregQuery {
    #[serde(rename = "finnArbeidsforholdoversikterPrOpplysningspliktig")]
    OversikterPrOpplysningspliktig,
    #[serde(rename = "finnArbeidsforholdPrArbeidstaker")]
    PrArbeidstaker,
}

/// One call to an agency API (Maskinporten token requests are made by `auth`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum ApiCall {
    AvtaleforholdPost {
        rettighetspakke: String,
        body: serde_json::Value,
    },
    AvtaleforholdDelete {
        rettighetspakke: String,
        body: serde_json::Value,
    },
    AvtaleforholdGyldighet {
        rettighetspakke: String,
        query: Vec<(String, String)>,
    },
    InntektsmottakereGet {
        rettighetspakke: String,
        opplysningspliktig: String,
        query: Vec<(String, String)>,
    },
    InntektGet {
        rettighetspakke: String,
        personidentifikator: String,
        query: Vec<(String, String)>,
    },
    Aareg {
        query: AaregQuery,
        variables: serde_json::Value,
    },
}

impl ApiCall {
    pub fn api(&self) -> Api {
        match self {
            ApiCall::AvtaleforholdPost { .. }
            | ApiCall::AvtaleforholdDelete { .. }
            | ApiCall::AvtaleforholdGyldighet { .. } => Api::Tjenestepensjonsavtale,
            ApiCall::InntektsmottakereGet { .. } => Api::Inntektsmottakere,
            ApiCall::InntektGet { .. } => Api::Inntekt,
            ApiCall::Aareg { .. } => Api::AaregOtp,
        }
    }

    /// Tjenestepensjonsavtale POST and DELETE change state: never repeated when their outcome is unknown.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            ApiCall::AvtaleforholdPost { .. } | ApiCall::AvtaleforholdDelete { .. }
        )
    }

    pub fn method(&self) -> &'static str {
        match self {
            ApiCall::AvtaleforholdPost { .. } | ApiCall::Aareg { .. } => "POST",
            ApiCall::AvtaleforholdDelete { .. } => "DELETE",
            _ => "GET",
        }
    }
}

/// A failure below HTTP: no status came back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportError {
    /// `connect`, `timeout`, `reset` or `other`.
    pub kind: String,
    /// False when the request certainly never left (a connection error): only then may a write be retried.
    pub maybe_sent: bool,
    pub message: String,
}

/// One HTTP exchange, as the checks and the journal see it. Never holds a token.
#[derive(Clone, Debug, Default)]
pub struct Exchange {
    pub method: String,
    /// The URL called (no credentials are ever in URLs).
    pub url: String,
    pub status: Option<u16>,
    /// The parsed JSON body, if the body was JSON.
    pub body: Option<serde_json::Value>,
    pub body_len: usize,
    /// Skatteetaten `kode`, or the first NAV `extensions.errormessages[].code`.
    pub error_code: Option<String>,
    /// Every NAV error code (NAV may return several).
    pub error_codes: Vec<String>,
    /// NAV: the GraphQL `errors` list was present and non-empty.
    pub graphql_errors: bool,
    pub correlation_id_sent: Option<String>,
    pub correlation_id_returned: Option<String>,
    pub retry_after: Option<Duration>,
    pub transport: Option<TransportError>,
    pub duration: Duration,
}

/// How the Authorization header is set for a call (SEC cases test the absence of a valid token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    None,
    Bearer(Secret<String>),
}

/// Describe a reqwest error without ever printing a URL with credentials (ours have none) or a header.
pub fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else if e.is_request() {
        "the request failed"
    } else {
        "HTTP error"
    };
    let mut chain = String::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    // A connection closed or reset before any byte of the answer: say so, not only "the request failed".
    let kind = match is_reset(&chain) && !e.is_timeout() && !e.is_connect() {
        true => "the connection was reset before the answer came",
        false => kind,
    };
    format!("{kind}{chain}")
}

/// Whether an error chain says the connection was closed or reset under the request.
fn is_reset(chain: &str) -> bool {
    let c = chain.to_ascii_lowercase();
    c.contains("connection closed") || c.contains("connection reset")
}

fn classify(e: &reqwest::Error) -> TransportError {
    let kind = if e.is_connect() {
        "connect"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_body() || e.is_decode() {
        "reset"
    } else {
        "other"
    };
    let message = describe_reqwest_error(e);
    let kind = match kind == "other" && is_reset(&message) {
        true => "reset",
        false => kind,
    };
    TransportError {
        kind: kind.into(),
        maybe_sent: !e.is_connect(),
        message,
    }
}

/// The request for one call, without credentials: method, URL, the API's headers (the correlation id
/// among them) and body. `ApiClient::send` sends it; `run::hurl` writes it into a Hurl file.
pub fn build_request(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    call: &ApiCall,
    correlation_id: &str,
) -> reqwest::RequestBuilder {
    match call {
        ApiCall::AvtaleforholdPost { .. }
        | ApiCall::AvtaleforholdDelete { .. }
        | ApiCall::AvtaleforholdGyldighet { .. } => {
            tjenestepensjonsavtale::build(http, endpoints, call, correlation_id)
        }
        ApiCall::InntektsmottakereGet { .. } => {
            inntektsmottakere::build(http, endpoints, call, correlation_id)
        }
        ApiCall::InntektGet { .. } => inntekt::build(http, endpoints, call, correlation_id),
        ApiCall::Aareg { .. } => aareg::build(http, endpoints, call, correlation_id),
    }
}

/// One semaphore per (API, consumer organisation).
type Limiters = HashMap<(Api, String), Arc<tokio::sync::Semaphore>>;

/// The agency API client: endpoints, the shared HTTP client and the limiter
/// (at most 5 calls in flight per Skatteetaten API per consumer organisation; NAV unlimited unless configured).
#[derive(Clone)]
pub struct ApiClient {
    pub http: reqwest::Client,
    pub endpoints: Endpoints,
    limits: Arc<std::sync::Mutex<Limiters>>,
    nav_limit: Option<usize>,
}

impl ApiClient {
    pub fn new(http: reqwest::Client, endpoints: Endpoints, nav_limit: Option<usize>) -> ApiClient {
        ApiClient {
            http,
            endpoints,
            limits: Default::default(),
            nav_limit,
        }
    }

    fn limiter(&self, api: Api, consumer: &str) -> Option<Arc<tokio::sync::Semaphore>> {
        let n = if api.is_skatteetaten() {
            Some(5)
        } else {
            self.nav_limit
        }?;
        let mut m = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            m.entry((api, consumer.to_string()))
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(n)))
                .clone(),
        )
    }

    /// Perform one call. `consumer` is the consumer organisation the limiter counts against.
    pub async fn send(
        &self,
        call: &ApiCall,
        creds: &Credentials,
        consumer: &str,
        timeout: Duration,
    ) -> Exchange {
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let req = build_request(&self.http, &self.endpoints, call, &correlation_id);
        let mut req = req.timeout(timeout);
        if let Credentials::Bearer(t) = creds {
            req = req.bearer_auth(t.expose());
        }
        let _permit = match self.limiter(call.api(), consumer) {
            Some(s) => s.acquire_owned().await.ok(),
            None => None,
        };
        let mut ex = Exchange {
            method: call.method().to_string(),
            correlation_id_sent: Some(correlation_id),
            ..Exchange::default()
        };
        let req = match req.build() {
            Ok(r) => r,
            Err(e) => {
                ex.transport = Some(TransportError {
                    kind: "other".into(),
                    maybe_sent: false,
                    message: describe_reqwest_error(&e),
                });
                return ex;
            }
        };
        ex.url = req.url().to_string();
        let started = Instant::now();
        let resp = self.http.execute(req).await;
        match resp {
            Err(e) => ex.transport = Some(classify(&e)),
            Ok(resp) => {
                ex.status = Some(resp.status().as_u16());
                ex.retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry::parse_retry_after(v, chrono::Utc::now()));
                let declared_json = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("json"));
                let header_corr = resp
                    .headers()
                    .get("correlation-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                match resp.bytes().await {
                    Err(e) => ex.transport = Some(classify(&e)),
                    Ok(bytes) => {
                        ex.body_len = bytes.len();
                        ex.body = serde_json::from_slice(&bytes).ok();
                        // A body that does not parse as its declared content type is no answer.
                        if declared_json && !bytes.is_empty() && ex.body.is_none() {
                            ex.transport = Some(TransportError {
                                kind: "unparsable".into(),
                                maybe_sent: true,
                                message: format!(
                                    "the {} bytes of the answer are not the JSON its Content-Type declares",
                                    bytes.len()
                                ),
                            });
                        }
                        match call.api() {
                            Api::AaregOtp => {
                                aareg::parse_errors(&mut ex);
                                ex.correlation_id_returned = header_corr;
                            }
                            _ => {
                                if let Some(b) = &ex.body {
                                    ex.error_code =
                                        b.get("kode").and_then(|v| v.as_str()).map(str::to_string);
                                    ex.correlation_id_returned = b
                                        .get("korrelasjonsid")
                                        .and_then(|v| v.as_str())
                                        .map(str::to_string);
                                }
                                if ex.correlation_id_returned.is_none() {
                                    ex.correlation_id_returned = header_corr;
                                }
                            }
                        }
                    }
                }
            }
        }
        ex.duration = started.elapsed();
        ex
    }
}

/// The HTTP client for agency and Maskinporten calls: rustls, TLS verification always on (the platform's
/// roots are trusted too, for TLS-inspecting proxies), `HTTPS_PROXY`/`NO_PROXY` honoured.
pub fn http_client(connect_timeout: Duration) -> Result<reqwest::Client, String> {
    http_client_with_timeout(connect_timeout, None)
}

/// As `http_client`, with a time limit on every request (token requests included) unless a request sets its own.
pub fn http_client_with_timeout(
    connect_timeout: Duration,
    timeout: Option<Duration>,
) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder();
    if let Some(t) = timeout {
        b = b.timeout(t);
    }
    b.connect_timeout(connect_timeout)
        .user_agent(concat!("dsop-harness/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            format!(
                "could not set up the HTTP client: {}",
                describe_reqwest_error(&e)
            )
        })
}
