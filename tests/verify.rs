//! `verify` exits 0 only for evidence: an intact bundle, signed with a certificate in the bundle, of a run
//! that was neither simulated nor a rehearsal. It shows the signer (subject, issuer, validity), the
//! environment, the endpoints and whether the run was simulated.

mod auth_common;
mod common;

use chrono::TimeZone;
use dsop_harness::auth::KeyMaterial;
use dsop_harness::model::RunReport;
use dsop_harness::report::{self, sample::sample_report, ReportOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

fn workbook() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/integrasjonstest-ajourhold-otp.xlsx")
}

/// The sample report (a simulated run), made with the institution's certificate of [`certificate`].
fn simulated_report() -> RunReport {
    let mut r = sample_report();
    r.context.maskinporten.certificate = Some(auth_common::fx().institution.info.clone());
    r
}

/// The same as a run in the agencies' test environment.
fn test_env_report() -> RunReport {
    let mut r = simulated_report();
    r.env = "test".into();
    r.simulated = false;
    r
}

/// The institution's business certificate (valid from 1 January last year, see `certs::valid_window`).
fn certificate() -> KeyMaterial {
    KeyMaterial::Certificate(auth_common::fx().institution.clone())
}

/// A bundle of `report` (with `extra` keys merged into its results.json) signed with `key`.
fn bundle(
    d: &Path,
    report: &RunReport,
    extra: Option<serde_json::Value>,
    key: Option<&KeyMaterial>,
) -> PathBuf {
    let files = report::write_all(report, d, &ReportOptions::default()).unwrap();
    if let Some(extra) = extra {
        let p = d.join(report::RESULTS_JSON);
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }
    report::write_bundle(d, &files, &workbook(), key).unwrap()
}

fn verify(bundle: &Path, args: &[&str]) -> (i32, String) {
    common::code_and_text(common::harness().arg("verify").arg(bundle).args(args))
}

/// Copy a zip, changing members with `f` (None drops the member).
fn rewrite(src: &Path, dst: &Path, f: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let name = e.name().to_string();
        let mut v = Vec::new();
        e.read_to_end(&mut v).unwrap();
        if let Some(v) = f(&name, v) {
            zout.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zout.write_all(&v).unwrap();
        }
    }
    zout.finish().unwrap();
}

#[test]
fn a_signed_test_run_is_accepted_and_shows_signer_environment_and_endpoints() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), &test_env_report(), None, Some(&certificate()));
    let (code, text) = verify(&b, &[]);
    assert_eq!(code, 0, "{text}");
    let ((from, _, _), (to, _, _)) = auth_common::valid_window();
    let (valid_from, valid_to) = (format!("valid:       {from}-01-01"), format!("{to}-01-01"));
    for want in [
        "signed by:",
        "Eksempel Pensjon AS",
        "issuer:",
        "Simulert Buypass Class 3 Test4 CA",
        valid_from.as_str(),
        valid_to.as_str(),
        "environment: test",
        "simulated:   no",
        "endpoint:    ",
        "Maskinporten token",
        "bundle ok",
    ] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
    let (code, json) = verify(&b, &["--format", "json"]);
    assert_eq!(code, 0, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["accepted"], true);
    assert_eq!(v["run"]["env"], "test");
    assert_eq!(v["signature"]["state"], "valid");
}

#[test]
fn an_unsigned_bundle_exits_1_unless_allowed() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), &test_env_report(), None, None);
    let (code, text) = verify(&b, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("not signed"), "{text}");
    assert!(text.contains("bundle NOT ok"), "{text}");
    let (code, text) = verify(&b, &["--allow-unsigned"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_tampered_bundle_exits_1() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), &test_env_report(), None, Some(&certificate()));
    // A member changed.
    let changed = d.path().join("changed.zip");
    rewrite(&b, &changed, |n, mut v| {
        if n == report::RESULTS_JSON {
            v.extend_from_slice(b" ");
        }
        Some(v)
    });
    let (code, text) = verify(&changed, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("SHA-256 does not match"), "{text}");
    // The manifest changed with it: the hashes match, the signature does not.
    let forged = d.path().join("forged.zip");
    rewrite(&b, &forged, |n, v| {
        Some(if n == "MANIFEST.txt" {
            String::from_utf8(v)
                .unwrap()
                .replacen('0', "1", 1)
                .into_bytes()
        } else {
            v
        })
    });
    let (code, text) = verify(&forged, &["--allow-unsigned", "--allow-simulated"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("INVALID"), "{text}");
    // The signature dropped: unsigned.
    let stripped = d.path().join("stripped.zip");
    rewrite(&b, &stripped, |n, v| (n != "MANIFEST.jws").then_some(v));
    let (code, text) = verify(&stripped, &[]);
    assert_eq!(code, 1, "{text}");
}

#[test]
fn a_kid_signed_bundle_exits_1_the_signer_cannot_be_shown() {
    let d = tempfile::tempdir().unwrap();
    let KeyMaterial::Certificate(cert) = certificate() else {
        unreachable!()
    };
    let kid = KeyMaterial::Kid {
        kid: "registered-key-1".into(),
        key_pem: cert.key_pem.clone(),
    };
    let b = bundle(d.path(), &test_env_report(), None, Some(&kid));
    let (code, text) = verify(&b, &["--allow-unsigned"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("registered-key-1"), "{text}");
    assert!(text.contains("signer cannot be shown"), "{text}");
}

#[test]
fn a_simulated_or_rehearsal_run_exits_1_unless_allowed() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), &simulated_report(), None, Some(&certificate()));
    let (code, text) = verify(&b, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("simulated:   yes"), "{text}");
    assert!(text.contains("embedded simulator"), "{text}");
    let (code, text) = verify(&b, &["--allow-simulated"]);
    assert_eq!(code, 0, "{text}");

    let d = tempfile::tempdir().unwrap();
    let b = bundle(
        d.path(),
        &test_env_report(),
        Some(serde_json::json!({ "rehearsal": true })),
        Some(&certificate()),
    );
    let (code, text) = verify(&b, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("rehearsal"), "{text}");
    let (code, text) = verify(&b, &["--allow-simulated"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn the_bundle_of_a_simulator_run_is_not_evidence() {
    let d = tempfile::tempdir().unwrap();
    let reports = d.path().join("reports");
    let out = common::harness()
        .args([
            "run",
            "--today",
            "2026-11-26",
            "--only",
            "IMS-01",
            "--reports",
        ])
        .arg(&reports)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = reports.join("latest/bundle.zip");
    let (code, text) = verify(&b, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("environment: sim"), "{text}");
    assert!(text.contains("simulated:   yes"), "{text}");
    let (code, text) = verify(&b, &["--allow-simulated"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_bundle_signed_with_another_certificate_than_the_runs_exits_1() {
    let d = tempfile::tempdir().unwrap();
    // The vendor's certificate signs a run the institution's certificate made.
    let other = KeyMaterial::Certificate(auth_common::fx().vendor.clone());
    let b = bundle(d.path(), &test_env_report(), None, Some(&other));
    let (code, text) = verify(&b, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("other than the business certificate the run used"),
        "{text}"
    );
}

#[test]
fn a_run_outside_the_signing_certificates_validity_exits_1() {
    let d = tempfile::tempdir().unwrap();
    let mut r = test_env_report();
    r.finished = chrono::Utc.with_ymd_and_hms(2041, 1, 1, 0, 0, 0).unwrap();
    let b = bundle(d.path(), &r, None, Some(&certificate()));
    let (code, text) = verify(&b, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("not valid when the run finished"), "{text}");
}
