//! The evidence bundle: every member hashed in MANIFEST.txt, a detached RS256 JWS with the certificate in x5c,
//! verification (hashes, extra/missing files, signature, who signed), and no secrets in any member.

mod certs;
mod common;

use dsop_harness::auth::{KeyMaterial, TestCa};
use dsop_harness::report::{self, sample::sample_report, ReportOptions, SignatureState};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

fn workbook() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/integrasjonstest-ajourhold-otp.xlsx")
}

fn run_folder() -> (tempfile::TempDir, Vec<PathBuf>) {
    let d = tempfile::tempdir().unwrap();
    let files = report::write_all(&sample_report(), d.path(), &ReportOptions::default()).unwrap();
    std::fs::write(
        d.path().join("journal.jsonl"),
        "{\"event\":\"case_started\",\"case_id\":\"MP-01\",\"at\":\"2026-11-26T09:00:00Z\"}\n",
    )
    .unwrap();
    (d, files)
}

fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    common::zip_file_members(path)
}

/// The same patterns as `check-run-folder`, recursing into zips.
fn scan(name: &str, data: &[u8]) {
    let jwt =
        regex::bytes::Regex::new(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
            .unwrap();
    assert!(!jwt.is_match(data), "a JWT in {name}");
    assert!(
        !data.windows(11).any(|w| w == b"PRIVATE KEY"),
        "a private key in {name}"
    );
    if data.starts_with(b"PK") {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(data)).unwrap();
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let mut v = Vec::new();
            e.read_to_end(&mut v).unwrap();
            scan(&format!("{name}!{}", e.name()), &v);
        }
    }
}

#[test]
fn signed_bundle_verifies_and_names_the_signer() {
    let (d, files) = run_folder();
    let ca = TestCa::generate("Simulert Buypass Class 3 Test4 CA").unwrap();
    let cert = ca
        .issue(
            "987654309",
            "Eksempel Pensjon AS",
            certs::valid_window().0,
            certs::valid_window().1,
        )
        .unwrap();
    let key = KeyMaterial::Certificate(cert);
    let b = report::write_bundle(d.path(), &files, &workbook(), Some(&key)).unwrap();
    assert_eq!(b, d.path().join("bundle.zip"));
    let m = members(&b);
    let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[0], "MANIFEST.txt");
    assert_eq!(names[1], "MANIFEST.jws");
    for want in [
        report::RESULTS_JSON,
        report::JUNIT_XML,
        report::HTML,
        report::DOCX,
        "journal.jsonl",
        "input/integrasjonstest-ajourhold-otp.xlsx",
    ] {
        assert!(names.contains(&want), "missing {want}: {names:?}");
    }
    // MANIFEST.txt: `sha256  path`, one per member.
    let manifest = String::from_utf8(m[0].1.clone()).unwrap();
    assert_eq!(manifest.lines().count(), m.len() - 2);
    for (n, bytes) in &m[2..] {
        let h = dsop_harness::fsutil::sha256_file(&{
            let p = d.path().join("tmp-member");
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .unwrap();
        assert!(manifest.contains(&format!("{h}  {n}\n")), "{n}");
    }
    // Detached JWS: header..signature.
    let jws = String::from_utf8(m[1].1.clone()).unwrap();
    assert_eq!(jws.split('.').count(), 3);
    assert!(jws.contains(".."));
    let check = report::verify_bundle(&b).unwrap();
    assert!(check.ok(), "{:?}", check.problems);
    assert!(check.signed_by().unwrap().contains("Eksempel Pensjon AS"));
    assert!(matches!(check.signature, SignatureState::Valid { .. }));
    assert_eq!(check.files.len(), m.len() - 2);
    scan("bundle.zip", &std::fs::read(&b).unwrap());
}

fn rewrite(
    src: &Path,
    dst: &Path,
    f: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: Option<(&str, &[u8])>,
) {
    let m = members(src);
    let mut z = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for (n, b) in m {
        if let Some(b) = f(&n, b) {
            z.start_file(n, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(&b).unwrap();
        }
    }
    if let Some((n, b)) = extra {
        z.start_file(n, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn tampering_is_found() {
    let (d, files) = run_folder();
    let ca = TestCa::generate("Simulert test CA").unwrap();
    let key = KeyMaterial::Certificate(
        ca.issue(
            "987654309",
            "Eksempel Pensjon AS",
            certs::valid_window().0,
            certs::valid_window().1,
        )
        .unwrap(),
    );
    let b = report::write_bundle(d.path(), &files, &workbook(), Some(&key)).unwrap();

    let changed = d.path().join("changed.zip");
    rewrite(
        &b,
        &changed,
        |n, mut v| {
            if n == report::RESULTS_JSON {
                v.extend_from_slice(b" ");
            }
            Some(v)
        },
        None,
    );
    let c = report::verify_bundle(&changed).unwrap();
    assert!(!c.ok());
    assert!(
        c.problems
            .iter()
            .any(|p| p.contains("results.json") && p.contains("SHA-256")),
        "{:?}",
        c.problems
    );

    let extra = d.path().join("extra.zip");
    rewrite(&b, &extra, |_, v| Some(v), Some(("sneaky.txt", b"x")));
    let c = report::verify_bundle(&extra).unwrap();
    assert!(
        c.problems.iter().any(|p| p.contains("sneaky.txt")),
        "{:?}",
        c.problems
    );

    let missing = d.path().join("missing.zip");
    rewrite(&b, &missing, |n, v| (n != report::HTML).then_some(v), None);
    let c = report::verify_bundle(&missing).unwrap();
    assert!(
        c.problems
            .iter()
            .any(|p| p.contains("rapport.html") && p.contains("missing")),
        "{:?}",
        c.problems
    );

    // A manifest changed together with the file: the hashes match, the signature does not.
    let forged = d.path().join("forged.zip");
    rewrite(
        &b,
        &forged,
        |n, v| {
            if n == "MANIFEST.txt" {
                Some(
                    String::from_utf8(v)
                        .unwrap()
                        .replacen('0', "1", 1)
                        .into_bytes(),
                )
            } else {
                Some(v)
            }
        },
        None,
    );
    let c = report::verify_bundle(&forged).unwrap();
    assert!(
        matches!(c.signature, SignatureState::Invalid { .. }),
        "{:?}",
        c.signature
    );
    assert!(!c.ok());
}

#[test]
fn unsigned_bundle_has_no_jws() {
    let (d, files) = run_folder();
    let b = report::write_bundle(d.path(), &files, &workbook(), None).unwrap();
    assert!(!members(&b).iter().any(|(n, _)| n == "MANIFEST.jws"));
    let c = report::verify_bundle(&b).unwrap();
    assert!(c.ok(), "{:?}", c.problems);
    assert_eq!(c.signature, SignatureState::Absent);
    assert_eq!(c.signed_by(), None);
}
