//! The evidence bundle `bundle.zip`: the reports, the input workbook, the (already redacted) journal, a
//! `MANIFEST.txt` with the SHA-256 of every member (`sha256  path`, one per line) and, when a key is configured,
//! `MANIFEST.jws`: a detached JWS (RFC 7515 appendix F) over the manifest, RS256, with the business
//! certificate chain in `x5c`.

use super::ReportError;
use crate::auth::KeyMaterial;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

pub const BUNDLE: &str = "bundle.zip";
pub const MANIFEST: &str = "MANIFEST.txt";
pub const MANIFEST_JWS: &str = "MANIFEST.jws";
/// Folder of the input workbook inside the bundle.
pub const INPUT_DIR: &str = "input";
/// Bundles larger than this (uncompressed) are refused by `verify_bundle`.
const MAX_BUNDLE_BYTES: u64 = 1024 * 1024 * 1024;

/// How the manifest's signature checked out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SignatureState {
    /// No `MANIFEST.jws` in the bundle.
    Absent,
    /// The signature verifies with the public key of the `x5c` leaf certificate.
    Valid {
        subject: String,
        issuer: String,
        serial: String,
        /// The leaf certificate's validity.
        not_before: Option<DateTime<Utc>>,
        not_after: Option<DateTime<Utc>>,
    },
    /// Signed with a registered key (`kid`): it cannot be checked without that key.
    Unverifiable { kid: String },
    /// The signature does not verify, or the JWS is malformed.
    Invalid { reason: String },
}

/// The result of [`verify_bundle`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct BundleCheck {
    pub path: PathBuf,
    /// Members listed in the manifest (and found with the right hash).
    pub files: Vec<String>,
    pub signature: SignatureState,
    /// Every problem found: a wrong hash, a missing or extra file, a bad signature.
    pub problems: Vec<String>,
    /// What the bundle's `results.json` says about the run (None when it has none, or it does not parse).
    pub run: Option<RunFacts>,
}

/// The facts of a run `verify` shows, from the bundle's `results.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunFacts {
    pub run_id: String,
    /// `sim`, `test` or `prod`.
    pub env: String,
    /// Run against the embedded simulator.
    pub simulated: bool,
    /// Marked as a rehearsal (`"rehearsal": true` in results.json): practice, not evidence.
    pub rehearsal: bool,
    /// API name -> base URL, and `Maskinporten token` -> the token endpoint.
    pub endpoints: Vec<(String, String)>,
    pub verdict: String,
    pub finished: Option<DateTime<Utc>>,
    /// The serial of the business certificate the run used (`context.maskinporten.certificate`).
    pub certificate_serial: Option<String>,
}

/// What `verify` accepts besides an intact bundle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// `--allow-unsigned`: a bundle without `MANIFEST.jws` is accepted.
    pub allow_unsigned: bool,
    /// `--allow-simulated`: a simulated or rehearsal run is accepted.
    pub allow_simulated: bool,
}

impl BundleCheck {
    /// True when every hash matches, no file is missing or extra, and any signature is valid.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Why the bundle is not evidence under `policy`, besides [`BundleCheck::problems`]: unsigned, a signer that
    /// cannot be shown from a certificate in the bundle (`kid`), a simulated or rehearsal run, no run facts.
    pub fn refusals(&self, policy: VerifyPolicy) -> Vec<String> {
        let mut out = Vec::new();
        match &self.signature {
            SignatureState::Absent if !policy.allow_unsigned => out.push(
                "the bundle is not signed (no MANIFEST.jws): anyone could have written it; configure the \
                 business certificate and run again, or give --allow-unsigned to check the hashes only"
                    .to_string(),
            ),
            SignatureState::Unverifiable { kid } => out.push(format!(
                "MANIFEST.jws is signed with a registered key (kid {kid:?}), not a certificate in the bundle: \
                 the signer cannot be shown; sign with the business certificate (x5c)"
            )),
            _ => {}
        }
        if let (
            SignatureState::Valid {
                serial,
                not_before,
                not_after,
                ..
            },
            Some(run),
        ) = (&self.signature, &self.run)
        {
            if let Some(used) = run.certificate_serial.as_ref().filter(|u| *u != serial) {
                out.push(format!(
                    "MANIFEST.jws is signed with a certificate (serial {serial}) other than the business \
                     certificate the run used (serial {used})"
                ));
            }
            if let Some(f) = run.finished {
                if not_before.is_some_and(|t| f < t) || not_after.is_some_and(|t| f > t) {
                    out.push(format!(
                        "the signing certificate was not valid when the run finished ({})",
                        f.to_rfc3339()
                    ));
                }
            }
        }
        match &self.run {
            None => out.push(
                "the bundle has no readable results.json: the environment and the endpoints cannot be shown"
                    .to_string(),
            ),
            Some(r) if !policy.allow_simulated => {
                if r.simulated || r.env == "sim" {
                    out.push(
                        "the run used the embedded simulator: it is not evidence for Bits (give \
                         --allow-simulated to accept it)"
                            .to_string(),
                    );
                }
                if r.rehearsal {
                    out.push(
                        "the run is a rehearsal: it is not evidence for Bits (give --allow-simulated to \
                         accept it)"
                            .to_string(),
                    );
                }
            }
            Some(_) => {}
        }
        out
    }

    /// True when the bundle is intact and nothing in [`BundleCheck::refusals`] applies: `verify` exits 0.
    pub fn accepted(&self, policy: VerifyPolicy) -> bool {
        self.ok() && self.refusals(policy).is_empty()
    }

    /// The human report of `verify`: files, signer (subject, issuer, validity), run facts, every problem and
    /// refusal, and the conclusion on the last line.
    pub fn render_text(&self, policy: VerifyPolicy) -> String {
        let mut out = format!("{}: {} files\n", self.path.display(), self.files.len());
        match &self.signature {
            SignatureState::Valid {
                subject,
                issuer,
                serial,
                not_before,
                not_after,
            } => {
                let t = |t: &Option<DateTime<Utc>>| {
                    t.map_or("?".to_string(), |t| {
                        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
                    })
                };
                out.push_str(&format!("signed by:   {subject}\n"));
                out.push_str(&format!("issuer:      {issuer}\n"));
                out.push_str(&format!("serial:      {serial}\n"));
                out.push_str(&format!(
                    "valid:       {} to {}\n",
                    t(not_before),
                    t(not_after)
                ));
            }
            SignatureState::Absent => out.push_str("signature:   none (no MANIFEST.jws)\n"),
            SignatureState::Unverifiable { kid } => out.push_str(&format!(
                "signature:   kid {kid:?}: no certificate in the bundle\n"
            )),
            SignatureState::Invalid { reason } => {
                out.push_str(&format!("signature:   INVALID: {reason}\n"))
            }
        }
        match &self.run {
            Some(r) => {
                out.push_str(&format!("run:         {}\n", r.run_id));
                out.push_str(&format!("environment: {}\n", r.env));
                out.push_str(&format!(
                    "simulated:   {}\n",
                    if r.simulated { "yes" } else { "no" }
                ));
                if r.rehearsal {
                    out.push_str("rehearsal:   yes\n");
                }
                out.push_str(&format!("verdict:     {}\n", r.verdict));
                for (api, url) in &r.endpoints {
                    out.push_str(&format!("endpoint:    {api}: {url}\n"));
                }
            }
            None => out.push_str("run:         unknown (no readable results.json)\n"),
        }
        for p in &self.problems {
            out.push_str(&format!("problem: {p}\n"));
        }
        for r in self.refusals(policy) {
            out.push_str(&format!("not accepted: {r}\n"));
        }
        out.push_str(if self.accepted(policy) {
            "bundle ok\n"
        } else {
            "bundle NOT ok\n"
        });
        out
    }

    /// The JSON report of `verify`: the check, the refusals under `policy` and `accepted`.
    pub fn to_json(&self, policy: VerifyPolicy) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["refusals"] = serde_json::json!(self.refusals(policy));
        v["accepted"] = serde_json::json!(self.accepted(policy));
        v
    }

    /// Who signed: the certificate subject, when the signature is valid.
    pub fn signed_by(&self) -> Option<&str> {
        match &self.signature {
            SignatureState::Valid { subject, .. } => Some(subject),
            _ => None,
        }
    }
}

fn io_err(path: &Path, source: std::io::Error) -> ReportError {
    ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn input_err(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn render_err(message: impl std::fmt::Display) -> ReportError {
    ReportError::Render {
        what: BUNDLE.to_string(),
        message: message.to_string(),
    }
}

/// The manifest text: `sha256  path` per member, in member order, `\n` line ends.
pub fn manifest(members: &[(String, Vec<u8>)]) -> String {
    members
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", hex::encode(Sha256::digest(bytes))))
        .collect()
}

fn private_key(pem: &str) -> Result<rsa::RsaPrivateKey, ReportError> {
    rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| {
            render_err("the signing key is not an RSA private key in PKCS#8 or PKCS#1 PEM")
        })
}

/// A detached JWS (`header..signature`) over `payload`, RS256.
fn sign_detached(payload: &[u8], key: &KeyMaterial) -> Result<String, ReportError> {
    let (header, pem) = match key {
        KeyMaterial::Certificate(cert) => (
            serde_json::json!({ "alg": "RS256", "x5c": cert.x5c(), "cty": "text/plain" }),
            cert.key_pem.expose(),
        ),
        KeyMaterial::Kid { kid, key_pem } => (
            serde_json::json!({ "alg": "RS256", "kid": kid, "cty": "text/plain" }),
            key_pem.expose(),
        ),
    };
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let input = format!("{h}.{}", URL_SAFE_NO_PAD.encode(payload));
    let signing = rsa::pkcs1v15::SigningKey::<Sha256>::new(private_key(pem)?);
    let sig = signing
        .try_sign(input.as_bytes())
        .map_err(|e| render_err(format!("signing the manifest failed: {e}")))?;
    Ok(format!("{h}..{}", URL_SAFE_NO_PAD.encode(sig.to_bytes())))
}

/// Write `dir/bundle.zip` with `files` (stored under their file names), the workbook (under `input/`), the
/// run's `journal.jsonl` when present, `MANIFEST.txt` and, with a signer, `MANIFEST.jws`. Returns its path.
pub fn write_bundle(
    dir: &Path,
    files: &[PathBuf],
    workbook: &Path,
    signer: Option<&KeyMaterial>,
) -> Result<PathBuf, ReportError> {
    write_bundle_with(dir, files, workbook, signer, false)
}

/// The manifest's comment line naming the original input workbook when the bundle holds a masked copy:
/// `# original input/<name> sha256 <hex> (masked by --mask-ids)`. `sha256sum -c` skips it as a comment.
pub const ORIGINAL_PREFIX: &str = "# original ";

/// [`write_bundle`], and with `mask_ids` every member has its personal ids masked (`--mask-ids`): the input
/// workbook is a masked copy, and the manifest names the original's SHA-256 in an [`ORIGINAL_PREFIX`] line.
pub fn write_bundle_with(
    dir: &Path,
    files: &[PathBuf],
    workbook: &Path,
    signer: Option<&KeyMaterial>,
    mask_ids: bool,
) -> Result<PathBuf, ReportError> {
    // Members are named and hashed first, then copied into the zip one at a time: no member, and not the
    // zip, is ever held in memory whole (a member is only read whole to mask it, with --mask-ids).
    let mut members: Vec<(String, PathBuf)> = Vec::new();
    let mut add = |name: String, path: &Path| {
        if !members.iter().any(|(n, _)| *n == name) {
            members.push((name, path.to_path_buf()));
        }
    };
    for f in files {
        let path = if f.is_absolute() || f.exists() {
            f.clone()
        } else {
            dir.join(f)
        };
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name == BUNDLE || name == MANIFEST || name == MANIFEST_JWS {
            continue;
        }
        add(name.to_string(), &path);
    }
    let journal = dir.join(crate::events::journal::JOURNAL);
    if journal.is_file() {
        add(crate::events::journal::JOURNAL.to_string(), &journal);
    }
    let wb_name = workbook
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("workbook.xlsx");
    let wb_member = format!("{INPUT_DIR}/{wb_name}");
    add(wb_member.clone(), workbook);
    let wb_is_new = members
        .iter()
        .any(|(n, p)| *n == wb_member && p.as_path() == workbook);

    let stored = |path: &Path| -> Result<Vec<u8>, ReportError> {
        let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
        crate::ids::mask_person_ids_in_file(&bytes)
            .map_err(|e| render_err(format!("masking {}: {e}", path.display())))
    };
    let mut manifest = String::new();
    for (name, path) in &members {
        let sum = if mask_ids {
            hex::encode(Sha256::digest(stored(path)?))
        } else {
            sha256_of(path)?
        };
        manifest.push_str(&format!("{sum}  {name}\n"));
    }
    if mask_ids && wb_is_new {
        manifest.push_str(&format!(
            "{ORIGINAL_PREFIX}{wb_member} sha256 {} (this bundle holds a copy with personal ids masked by --mask-ids)\n",
            sha256_of(workbook)?
        ));
    }
    let jws = signer
        .map(|k| sign_detached(manifest.as_bytes(), k))
        .transpose()?;

    let out = dir.join(BUNDLE);
    crate::fsutil::replace_with(&out, |file| {
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        // Deflate level 1 (the fastest): the journal and the reports of a large run are tens of MB of
        // repetitive text, which it still packs well.
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .last_modified_time(zip::DateTime::default());
        // The manifest first: readers look for it there.
        zip.start_file(MANIFEST, options).map_err(io_other)?;
        zip.write_all(manifest.as_bytes())?;
        if let Some(j) = &jws {
            zip.start_file(MANIFEST_JWS, options).map_err(io_other)?;
            zip.write_all(j.as_bytes())?;
        }
        for (name, path) in &members {
            zip.start_file(name.as_str(), options).map_err(io_other)?;
            if mask_ids {
                let bytes = stored(path).map_err(io_other)?;
                zip.write_all(&bytes)?;
            } else {
                let mut f = std::fs::File::open(path)?;
                std::io::copy(&mut f, &mut zip)?;
            }
        }
        zip.finish().map_err(io_other)?.flush()
    })
    .map_err(|source| ReportError::Io {
        path: out.clone(),
        source,
    })?;
    Ok(out)
}

fn io_other(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// SHA-256 of a file, read in pieces.
fn sha256_of(path: &Path) -> Result<String, ReportError> {
    let mut f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| io_err(path, e))?;
    Ok(hex::encode(h.finalize()))
}

fn check_signature(jws: &str, manifest: &[u8]) -> SignatureState {
    let invalid = |r: &str| SignatureState::Invalid {
        reason: r.to_string(),
    };
    let parts: Vec<&str> = jws.trim().split('.').collect();
    if parts.len() != 3 || !parts[1].is_empty() {
        return invalid("MANIFEST.jws is not a detached JWS (header..signature)");
    }
    let Ok(header) = URL_SAFE_NO_PAD
        .decode(parts[0])
        .map_err(|_| ())
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).map_err(|_| ()))
    else {
        return invalid("the JWS header is not base64url JSON");
    };
    if header["alg"] != "RS256" {
        return invalid("the JWS algorithm is not RS256");
    }
    let Some(leaf) = header["x5c"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|v| v.as_str())
    else {
        return match header["kid"].as_str() {
            Some(kid) => SignatureState::Unverifiable {
                kid: kid.to_string(),
            },
            None => invalid("the JWS header has neither x5c nor kid"),
        };
    };
    let Ok(der) = STANDARD.decode(leaf) else {
        return invalid("the x5c leaf is not base64 DER");
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(&der) else {
        return invalid("the x5c leaf is not an X.509 certificate");
    };
    let Ok(public) = rsa::RsaPublicKey::from_public_key_der(cert.public_key().raw) else {
        return invalid("the x5c leaf certificate has no RSA public key");
    };
    let Ok(info) = crate::auth::cert::cert_info(&der) else {
        return invalid("the x5c leaf is not an X.509 certificate");
    };
    let Ok(sig_bytes) = URL_SAFE_NO_PAD.decode(parts[2]) else {
        return invalid("the signature is not base64url");
    };
    let Ok(sig) = rsa::pkcs1v15::Signature::try_from(sig_bytes.as_slice()) else {
        return invalid("the signature is malformed");
    };
    let input = format!("{}.{}", parts[0], URL_SAFE_NO_PAD.encode(manifest));
    let verifying = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
    match verifying.verify(input.as_bytes(), &sig) {
        Ok(()) => SignatureState::Valid {
            subject: info.subject,
            issuer: info.issuer,
            serial: info.serial,
            not_before: info.not_before,
            not_after: info.not_after,
        },
        Err(_) => invalid("the signature does not match MANIFEST.txt and the x5c certificate"),
    }
}

/// Check a bundle: every member listed in `MANIFEST.txt` with the right SHA-256, no extra or missing member,
/// and a valid `MANIFEST.jws` (verified with the `x5c` leaf certificate's key) when present. The certificate
/// chain itself is not checked against a trust store.
pub fn verify_bundle(path: &Path) -> Result<BundleCheck, ReportError> {
    let f = std::fs::File::open(path)
        .map_err(|e| input_err(path, format!("cannot open the bundle: {e}")))?;
    let mut zip =
        zip::ZipArchive::new(f).map_err(|e| input_err(path, format!("not a zip file: {e}")))?;
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut e = zip
            .by_index(i)
            .map_err(|e| input_err(path, format!("member {i} cannot be read: {e}")))?;
        if e.is_dir() {
            continue;
        }
        let name = e.name().to_string();
        let mut buf = Vec::new();
        (&mut e)
            .take(MAX_BUNDLE_BYTES + 1 - total)
            .read_to_end(&mut buf)
            .map_err(|err| input_err(path, format!("{name} cannot be read: {err}")))?;
        total += buf.len() as u64;
        if total > MAX_BUNDLE_BYTES {
            return Err(input_err(path, "the bundle unpacks to more than 1 GB"));
        }
        members.insert(name, buf);
    }
    let mut problems = Vec::new();
    let Some(manifest) = members.remove(MANIFEST) else {
        return Err(input_err(
            path,
            "the bundle has no MANIFEST.txt: it was not written by dsop-harness",
        ));
    };
    let jws = members.remove(MANIFEST_JWS);
    let mut listed = Vec::new();
    for (n, line) in String::from_utf8_lossy(&manifest).lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((hash, name)) = line.split_once("  ") else {
            problems.push(format!("MANIFEST.txt line {}: not `sha256  path`", n + 1));
            continue;
        };
        match members.get(name) {
            None => problems.push(format!("{name} is listed in MANIFEST.txt but missing")),
            Some(bytes) => {
                if hex::encode(Sha256::digest(bytes)) != hash.trim().to_lowercase() {
                    problems.push(format!(
                        "{name}: SHA-256 does not match MANIFEST.txt (the file was changed)"
                    ));
                } else {
                    listed.push(name.to_string());
                }
            }
        }
    }
    for name in members.keys() {
        if !listed.contains(name) && !problems.iter().any(|p| p.starts_with(&format!("{name}:"))) {
            problems.push(format!("{name} is in the bundle but not in MANIFEST.txt"));
        }
    }
    let signature = match jws {
        None => SignatureState::Absent,
        Some(j) => check_signature(&String::from_utf8_lossy(&j), &manifest),
    };
    if let SignatureState::Invalid { reason } = &signature {
        problems.push(format!("MANIFEST.jws: {reason}"));
    }
    let run = members
        .get(super::RESULTS_JSON)
        .filter(|_| listed.iter().any(|n| n == super::RESULTS_JSON))
        .and_then(|b| run_facts(b));
    Ok(BundleCheck {
        path: path.to_path_buf(),
        files: listed,
        signature,
        problems,
        run,
    })
}

/// The run facts of a `results.json`, read loosely so older and newer versions both show.
fn run_facts(bytes: &[u8]) -> Option<RunFacts> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let mut endpoints: Vec<(String, String)> = v["context"]["base_urls"]
        .as_object()
        .map(|m| m.iter().map(|(k, u)| (k.clone(), text(u))).collect())
        .unwrap_or_default();
    let token = text(&v["context"]["maskinporten"]["token_endpoint"]);
    if !token.is_empty() {
        endpoints.push(("Maskinporten token".to_string(), token));
    }
    Some(RunFacts {
        run_id: text(&v["run_id"]),
        env: text(&v["env"]),
        simulated: v["simulated"].as_bool().unwrap_or(false),
        rehearsal: v["rehearsal"].as_bool().unwrap_or(false),
        endpoints,
        verdict: text(&v["verdict"]),
        finished: serde_json::from_value(v["finished"].clone()).ok(),
        certificate_serial: v["context"]["maskinporten"]["certificate"]["serial"]
            .as_str()
            .map(str::to_string),
    })
}
