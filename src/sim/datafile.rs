//! Files the simulator reads at start: `--data FILE` (its own data set) and `--clients FILE` (Maskinporten
//! clients registered before the first request). Both formats are described in `docs/simulator.md` §10, §13.

use super::data::{Agreement, DataSet, EmployerReport, Org, PersonSpec};
use super::state::Delegation;
use super::{ClientAuth, SimClient, SimError};
use crate::ids::{is_valid_orgnr, is_valid_person_id};
use crate::months::YearMonth;
use base64::Engine;
use chrono::NaiveDate;
use serde::Deserialize;
use std::path::Path;

/// `--data FILE`: the institution, employers, registered agreements and persons.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    pub institution: InstitutionSpec,
    #[serde(default, rename = "employer")]
    pub employers: Vec<EmployerSpec>,
    #[serde(default, rename = "agreement")]
    pub agreements: Vec<AgreementSpec>,
    #[serde(default, rename = "person")]
    pub persons: Vec<PersonSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionSpec {
    pub orgnr: String,
    #[serde(default)]
    pub navn: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmployerSpec {
    pub orgnr: String,
    #[serde(default)]
    pub navn: String,
    /// virksomhetId / arbeidssted (default: derived from the orgnr).
    #[serde(default)]
    pub underenhet: Option<String>,
    /// The employer's a-meldinger name the institution from this month (absent: it names nobody).
    #[serde(default)]
    pub names_institution_from: Option<YearMonth>,
    /// … up to this month (absent: still naming it).
    #[serde(default)]
    pub names_institution_to: Option<YearMonth>,
}

/// An agreement the institution has registered at start.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementSpec {
    pub opplysningspliktig: String,
    pub avtalereferanse: String,
    pub fra: YearMonth,
    #[serde(default)]
    pub til: Option<YearMonth>,
}

fn cfg_err(path: &Path, what: impl std::fmt::Display) -> SimError {
    SimError::Config(format!("{}: {what}", path.display()))
}

fn parse_file<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, SimError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| cfg_err(path, format!("could not read the {what} ({e})")))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    if is_json {
        serde_json::from_str(&text).map_err(|e| {
            cfg_err(
                path,
                format!("not a valid {what} ({e}); see docs/simulator.md"),
            )
        })
    } else {
        toml::from_str(&text).map_err(|e| {
            cfg_err(
                path,
                format!("not a valid {what} ({e}); see docs/simulator.md"),
            )
        })
    }
}

/// Read and check `--data FILE` (TOML, or JSON when the name ends in `.json` or the text starts with `{`).
pub fn load(path: &Path, today: NaiveDate) -> Result<DataSet, SimError> {
    let f: DataFile = parse_file(path, "simulator data file")?;
    build(path, f, today)
}

/// The data set a parsed data file describes (errors name the file and the offending entry).
pub fn build(path: &Path, f: DataFile, today: NaiveDate) -> Result<DataSet, SimError> {
    let base = DataSet::default_for(today);
    if !is_valid_orgnr(&f.institution.orgnr) {
        return Err(cfg_err(
            path,
            format!(
                "institution.orgnr {:?} is not a valid organisation number",
                f.institution.orgnr
            ),
        ));
    }
    let institution = f.institution.orgnr.clone();
    let mut d = DataSet {
        institution: institution.clone(),
        orgs: Vec::new(),
        persons: Vec::new(),
        employer_reports: Vec::new(),
        initial_agreements: Vec::new(),
        ..base
    };
    for (i, e) in f.employers.iter().enumerate() {
        if !is_valid_orgnr(&e.orgnr) {
            return Err(cfg_err(
                path,
                format!(
                    "employer #{}: orgnr {:?} is not a valid organisation number",
                    i + 1,
                    e.orgnr
                ),
            ));
        }
        let virksomhet = match &e.underenhet {
            Some(u) if is_valid_orgnr(u) => u.clone(),
            Some(u) => {
                return Err(cfg_err(
                    path,
                    format!(
                        "employer {}: underenhet {u:?} is not a valid organisation number",
                        e.orgnr
                    ),
                ))
            }
            None => super::data::derive_underenhet(&e.orgnr),
        };
        d.orgs.push(Org {
            orgnr: e.orgnr.clone(),
            navn: e.navn.clone(),
            virksomhet,
        });
        if let Some(fra) = e.names_institution_from {
            d.employer_reports.push(EmployerReport {
                opplysningspliktig: e.orgnr.clone(),
                institution: institution.clone(),
                fra,
                til: e.names_institution_to,
            });
        }
    }
    let known = |o: &str| f.employers.iter().any(|e| e.orgnr == o);
    for a in &f.agreements {
        if !known(&a.opplysningspliktig) {
            return Err(cfg_err(
                path,
                format!(
                    "agreement {}: opplysningspliktig {} is not one of the [[employer]] entries",
                    a.avtalereferanse, a.opplysningspliktig
                ),
            ));
        }
        if a.til.is_some_and(|t| t < a.fra) {
            return Err(cfg_err(
                path,
                format!("agreement {}: til is before fra", a.avtalereferanse),
            ));
        }
        d.initial_agreements.push(Agreement {
            institution: institution.clone(),
            opplysningspliktig: a.opplysningspliktig.clone(),
            avtalereferanse: a.avtalereferanse.clone(),
            fra: a.fra,
            til: a.til,
        });
    }
    for (i, p) in f.persons.iter().enumerate() {
        if !is_valid_person_id(&p.id) {
            return Err(cfg_err(
                path,
                format!(
                    "person #{}: id {:?} is not a valid fødselsnummer/d-nummer",
                    i + 1,
                    p.id
                ),
            ));
        }
        if !known(&p.employer) {
            return Err(cfg_err(
                path,
                format!(
                    "person {}: employer {} is not one of the [[employer]] entries",
                    p.id, p.employer
                ),
            ));
        }
        let person = p.build(&d, 200 + i as u32);
        d.persons.push(person);
    }
    Ok(d)
}

/// `--clients FILE`: clients and delegations registered at start.
#[derive(Debug, Default)]
pub struct ClientsFile {
    pub clients: Vec<SimClient>,
    pub delegations: Vec<Delegation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsDoc {
    #[serde(default, rename = "client")]
    clients: Vec<ClientSpec>,
    #[serde(default, rename = "delegation")]
    delegations: Vec<Delegation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSpec {
    client_id: String,
    orgnr: String,
    scopes: Vec<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    public_key_pem: Option<String>,
    /// Path of the public key PEM, relative to the clients file.
    #[serde(default)]
    public_key_file: Option<String>,
    #[serde(default)]
    trusted_ca_pem: Option<String>,
    /// Path of the trusted CA certificate PEM, relative to the clients file.
    #[serde(default)]
    trusted_ca_file: Option<String>,
}

/// The DER bytes of the first PEM block in `pem`.
pub(crate) fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let b64: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Read `--clients FILE` (TOML, or JSON).
pub fn load_clients(path: &Path) -> Result<ClientsFile, SimError> {
    let doc: ClientsDoc = parse_file(path, "clients file")?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let read = |rel: &str| -> Result<String, SimError> {
        let p = dir.join(rel);
        std::fs::read_to_string(&p).map_err(|e| {
            cfg_err(
                path,
                format!("could not read {} named in the file ({e})", p.display()),
            )
        })
    };
    let mut out = ClientsFile {
        delegations: doc.delegations,
        ..ClientsFile::default()
    };
    for c in doc.clients {
        if !is_valid_orgnr(&c.orgnr) {
            return Err(cfg_err(
                path,
                format!(
                    "client {}: orgnr {:?} is not a valid organisation number",
                    c.client_id, c.orgnr
                ),
            ));
        }
        let key_pem = match (c.public_key_pem, c.public_key_file) {
            (Some(p), _) => Some(p),
            (None, Some(f)) => Some(read(&f)?),
            (None, None) => None,
        };
        let ca_pem = match (c.trusted_ca_pem, c.trusted_ca_file) {
            (Some(p), _) => Some(p),
            (None, Some(f)) => Some(read(&f)?),
            (None, None) => None,
        };
        let auth = match (c.kid, key_pem, ca_pem) {
            (Some(kid), Some(public_key_pem), None) => {
                if jsonwebtoken::DecodingKey::from_rsa_pem(public_key_pem.as_bytes()).is_err() {
                    return Err(cfg_err(
                        path,
                        format!("client {}: the public key is not an RSA public key PEM", c.client_id),
                    ));
                }
                ClientAuth::Kid {
                    kid,
                    public_key_pem,
                }
            }
            (None, None, Some(ca)) => match pem_to_der(&ca) {
                Some(der) => ClientAuth::X5c { trusted_ca_der: der },
                None => {
                    return Err(cfg_err(
                        path,
                        format!("client {}: the trusted CA is not a PEM certificate", c.client_id),
                    ))
                }
            },
            _ => {
                return Err(cfg_err(
                    path,
                    format!(
                        "client {}: give either kid + public_key_pem (or public_key_file), or trusted_ca_pem \
                         (or trusted_ca_file)",
                        c.client_id
                    ),
                ))
            }
        };
        out.clients.push(SimClient {
            client_id: c.client_id,
            orgnr: c.orgnr,
            scopes: c.scopes,
            auth,
        });
    }
    Ok(out)
}
