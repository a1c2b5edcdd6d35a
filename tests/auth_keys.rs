//! Loading the business certificate: PKCS#12 (modern, Windows-style 3DES, `openssl -legacy`, and an RC4 file we
//! cannot read, which must give the openssl command that converts it), PEM keys (PKCS#8, PKCS#1), configuration
//! to `KeyMaterial`, and the checks before the first grant.

mod auth_common;

use auth_common::*;
use dsop_harness::auth::{AuthError, BusinessCert, CertEnvironment, KeyMaterial};
use dsop_harness::config::MaskinportenConfig;
use dsop_harness::secret::Secret;
use std::path::Path;
use std::process::Command;

const PASSWORD: &str = "Fjordsyn-2026!";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A PKCS#12 file written by p12-keystore itself (no openssl needed).
fn p12_in_process(c: &BusinessCert, alg: p12_keystore::EncryptionAlgorithm) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    let k = rsa::RsaPrivateKey::from_pkcs8_pem(c.key_pem.expose()).unwrap();
    let der = k.to_pkcs8_der().unwrap();
    let key = PrivateKey::from_der(der.as_bytes()).unwrap();
    let certs: Vec<Certificate> = c
        .chain_der
        .iter()
        .map(|d| Certificate::from_der(d).unwrap())
        .collect();
    let mut ks = KeyStore::new();
    ks.add_entry(
        "virksomhet",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"1".as_slice(), key, certs)),
    );
    ks.writer(PASSWORD)
        .encryption_algorithm(alg)
        .encryption_iterations(2048)
        .mac_iterations(2048)
        .write()
        .unwrap()
}

fn assert_same(a: &BusinessCert, b: &BusinessCert) {
    assert_eq!(a.info, b.info);
    assert_eq!(a.chain_der, b.chain_der, "chain, leaf first");
    use rsa::pkcs8::DecodePrivateKey;
    let ka = rsa::RsaPrivateKey::from_pkcs8_pem(a.key_pem.expose()).unwrap();
    let kb = rsa::RsaPrivateKey::from_pkcs8_pem(b.key_pem.expose()).unwrap();
    assert!(ka == kb, "same private key");
}

#[test]
fn pkcs12_modern_and_legacy_written_in_process() {
    let c = &fx().institution;
    let pw = Secret::new(PASSWORD.to_string());
    for alg in [
        p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
        p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
        // (p12-keystore's name for 40-bit RC2, the old OpenSSL default)
        p12_keystore::EncryptionAlgorithm::PbeWithShaAnd40BitRc4Cbc,
    ] {
        let data = p12_in_process(c, alg);
        let got = BusinessCert::from_pkcs12(&data, &pw, "virksomhet.p12")
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_same(&got, c);
        assert_eq!(got.info.orgnr.as_deref(), Some(INSTITUTION));
    }
}

#[test]
fn pkcs12_wrong_password_and_not_a_pkcs12() {
    let data = p12_in_process(
        &fx().institution,
        p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
    );
    let e = BusinessCert::from_pkcs12(&data, &Secret::new("wrong".into()), "v.p12")
        .unwrap_err()
        .to_string();
    assert!(e.contains("password is wrong"), "{e}");
    assert!(e.contains("password_env"), "{e}");
    assert!(!e.contains("wrong\""), "{e}");
    let e = BusinessCert::from_pkcs12(
        chain_pem(&fx().institution).as_bytes(),
        &Secret::new(PASSWORD.into()),
        "chain.pem",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not a PKCS#12"), "{e}");
}

/// Files as OpenSSL and Windows export them. Needs the `openssl` command (skipped with a reason otherwise).
#[test]
fn pkcs12_files_made_by_openssl() {
    if !require_cmd("openssl", "making PKCS#12 files as OpenSSL and Windows do") {
        return;
    }
    let c = &fx().institution;
    let dir = tempfile::tempdir().unwrap();
    let key = write(dir.path(), "key.pem", c.key_pem.expose());
    let chain = write(dir.path(), "chain.pem", &chain_pem(c));
    let export = |name: &str, extra: &[&str]| -> std::path::PathBuf {
        let out = dir.path().join(name);
        let st = Command::new("openssl")
            .args(["pkcs12", "-export", "-inkey"])
            .arg(&key)
            .arg("-in")
            .arg(&chain)
            .arg("-out")
            .arg(&out)
            .args(["-passout", &format!("pass:{PASSWORD}")])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "openssl {name}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        out
    };
    let pw = Secret::new(PASSWORD.to_string());
    let load = |p: &Path| {
        BusinessCert::from_pkcs12(&std::fs::read(p).unwrap(), &pw, &p.display().to_string())
    };
    // OpenSSL 3 default (PBES2, AES-256, SHA-256 MAC); Windows 10+ "AES256-SHA256" looks the same.
    assert_same(&load(&export("modern.p12", &[])).unwrap(), c);
    // `openssl pkcs12 -export -legacy`: 40-bit RC2 for the certificates, 3DES for the key, SHA-1 MAC.
    assert_same(&load(&export("legacy.p12", &["-legacy"])).unwrap(), c);
    // Windows "TripleDES-SHA1".
    let win = export(
        "windows.pfx",
        &[
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
    );
    assert_same(&load(&win).unwrap(), c);
    // RC4 (very old exports): not readable here; the error gives the command that converts it, and it works.
    let rc4 = export(
        "old.p12",
        &[
            "-legacy",
            "-keypbe",
            "PBE-SHA1-RC4-128",
            "-certpbe",
            "PBE-SHA1-RC4-128",
        ],
    );
    let e = load(&rc4).unwrap_err().to_string();
    let src = rc4.display().to_string();
    let stem = dir.path().join("old").display().to_string();
    let new = dir.path().join("old-new.p12");
    let cmd = format!(
        "openssl pkcs12 -legacy -in {src} -out {stem}-tmp.pem && openssl pkcs12 -export -in {stem}-tmp.pem -out \
         {stem}-new.p12 && rm {stem}-tmp.pem"
    );
    assert!(e.contains(&cmd), "the message gives the command: {e}");
    assert!(e.contains("cannot read"), "{e}");
    assert_eq!(dsop_harness::auth::cert::convert_command(&src), cmd);
    // The same command, with the passwords given on the command line instead of asked for, converts it.
    let steps: Vec<&str> = cmd.split(" && ").collect();
    assert_eq!(steps.len(), 3, "{cmd}");
    let scripted = format!(
        "{} -passin pass:{PASSWORD} -passout pass:T && {} -passin pass:T -passout pass:N && {}",
        steps[0], steps[1], steps[2]
    );
    let st = Command::new("sh")
        .arg("-c")
        .arg(&scripted)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{scripted}: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(
        !dir.path().join("old-tmp.pem").exists(),
        "the temporary file is removed"
    );
    let pw_n = Secret::new("N".to_string());
    let got = BusinessCert::from_pkcs12(&std::fs::read(&new).unwrap(), &pw_n, "new").unwrap();
    assert_same(&got, c);
}

#[test]
fn pem_keys_pkcs8_and_pkcs1_and_chain_order() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let c = &fx().institution;
    let chain = chain_pem(c);
    let p8 = BusinessCert::from_pem(c.key_pem.expose(), &chain, "key.pem").unwrap();
    assert_same(&p8, c);
    let k = rsa::RsaPrivateKey::from_pkcs8_pem(c.key_pem.expose()).unwrap();
    let p1 = k.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
    assert!(p1.contains("BEGIN RSA PRIVATE KEY"));
    let got = BusinessCert::from_pem(&p1, &chain, "key.pem").unwrap();
    assert_eq!(got.chain_der, c.chain_der);
    assert_eq!(got.info, c.info);
    // CA first in the file: the leaf is put first anyway.
    let reversed: String = {
        let mut parts: Vec<String> = chain
            .split_inclusive("-----END CERTIFICATE-----\n")
            .map(str::to_string)
            .collect();
        parts.reverse();
        parts.concat()
    };
    let got = BusinessCert::from_pem(c.key_pem.expose(), &reversed, "key.pem").unwrap();
    assert_eq!(got.chain_der, c.chain_der);
    assert_eq!(got.x5c().len(), 2);
}

#[test]
fn pem_key_formats_that_fail_say_why() {
    let c = &fx().institution;
    let chain = chain_pem(c);
    let err = |key: &str| {
        BusinessCert::from_pem(key, &chain, "key.pem")
            .unwrap_err()
            .to_string()
    };
    // The key of another certificate.
    let e = err(fx().vendor.key_pem.expose());
    assert!(e.contains("does not belong"), "{e}");
    // Certificate where the key should be.
    let e = err(&chain);
    assert!(e.contains("swapped"), "{e}");
    // Encrypted PKCS#8.
    let e =
        err("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHz\n-----END ENCRYPTED PRIVATE KEY-----\n");
    assert!(
        e.contains("password protected") && e.contains("openssl pkcs12 -export"),
        "{e}"
    );
    // EC key.
    let e = err("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n");
    assert!(e.contains("EC key"), "{e}");
    // Damaged.
    let e = err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assert!(e.contains("cannot be read"), "{e}");
}

fn with_env<T>(key: &str, val: Option<&str>, f: impl FnOnce() -> T) -> T {
    // Each test uses its own variable name, so parallel tests do not race.
    match val {
        Some(v) => std::env::set_var(key, v),
        None => std::env::remove_var(key),
    }
    let r = f();
    std::env::remove_var(key);
    r
}

#[test]
fn config_to_key_material() {
    let c = &fx().institution;
    let dir = tempfile::tempdir().unwrap();
    let key = write(dir.path(), "key.pem", c.key_pem.expose());
    let chain = write(dir.path(), "chain.pem", &chain_pem(c));
    let p12 = dir.path().join("virksomhet.p12");
    std::fs::write(
        &p12,
        p12_in_process(
            c,
            p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
        ),
    )
    .unwrap();

    // PEM key + chain -> x5c.
    let cfg = MaskinportenConfig {
        key_pem: Some(key.clone()),
        chain_pem: Some(chain.clone()),
        ..Default::default()
    };
    let km = cfg.load_key_material().unwrap();
    assert!(matches!(&km, KeyMaterial::Certificate(b) if b.info == c.info));
    assert_eq!(km.mode(), "x5c");

    // PEM key + kid -> kid.
    let cfg = MaskinportenConfig {
        key_pem: Some(key.clone()),
        kid: Some("eksempel-otp-test-2026".into()),
        ..Default::default()
    };
    let km = cfg.load_key_material().unwrap();
    assert!(matches!(&km, KeyMaterial::Kid { kid, .. } if kid == "eksempel-otp-test-2026"));
    assert_eq!(
        km.to_string(),
        "registered key (kid eksempel-otp-test-2026)"
    );

    // PKCS#12 with the password in the named environment variable.
    let cfg = MaskinportenConfig {
        pkcs12: Some(p12.clone()),
        password_env: Some("AUTH_KEYS_TEST_P12_PW".into()),
        ..Default::default()
    };
    let km = with_env("AUTH_KEYS_TEST_P12_PW", Some(PASSWORD), || {
        cfg.load_key_material()
    })
    .unwrap();
    let KeyMaterial::Certificate(got) = &km else {
        panic!("x5c expected")
    };
    assert_same(got, c);
    // Nothing secret in Debug or Display.
    let shown = format!("{km:?} {km} {cfg:?}");
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains(PASSWORD),
        "{shown}"
    );
    assert!(!shown.contains(&c.key_pem.expose()[40..80]));

    // Password variable not set: says which variable.
    let cfg = MaskinportenConfig {
        pkcs12: Some(p12.clone()),
        password_env: Some("AUTH_KEYS_TEST_UNSET".into()),
        ..Default::default()
    };
    let e = with_env("AUTH_KEYS_TEST_UNSET", None, || cfg.load_key_material())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("AUTH_KEYS_TEST_UNSET") && e.contains("not set"),
        "{e}"
    );

    // Both ways at once, or none, or key without chain/kid.
    let both = MaskinportenConfig {
        pkcs12: Some(p12),
        key_pem: Some(key.clone()),
        ..Default::default()
    };
    assert!(matches!(
        both.load_key_material(),
        Err(AuthError::Config(_))
    ));
    let key_only = MaskinportenConfig {
        key_pem: Some(key),
        ..Default::default()
    };
    assert!(key_only
        .load_key_material()
        .unwrap_err()
        .to_string()
        .contains("chain_pem"));
    let missing = MaskinportenConfig {
        key_pem: Some(dir.path().join("nope.pem")),
        chain_pem: Some(chain),
        ..Default::default()
    };
    let e = missing.load_key_material().unwrap_err().to_string();
    assert!(e.contains("nope.pem") && e.contains("cannot read"), "{e}");
}

#[test]
fn checks_before_the_first_grant() {
    let c = &fx().institution;
    let now = chrono::Utc::now();
    assert_eq!(c.environment(), CertEnvironment::Test);
    c.check("test", now, Some(INSTITUTION)).unwrap();
    let e = c.check("prod", now, None).unwrap_err().to_string();
    assert!(e.contains("test certificate"), "{e}");
    let e = c.check("test", now, Some(VENDOR)).unwrap_err().to_string();
    assert!(e.contains(VENDOR) && e.contains(INSTITUTION), "{e}");
    // A production certificate (issuer without "test") in test.
    let prod_ca = dsop_harness::auth::TestCa::generate("Buypass Class 3 CA 3").unwrap();
    let (from, to) = valid_window();
    let prod = prod_ca
        .issue(INSTITUTION, "Eksempel Pensjon AS", from, to)
        .unwrap();
    assert_eq!(prod.environment(), CertEnvironment::Prod);
    let e = prod.check("test", now, None).unwrap_err().to_string();
    assert!(
        e.contains("production certificate") && e.contains("test virksomhetssertifikat"),
        "{e}"
    );
    // Expired.
    let old = prod_ca
        .issue(
            INSTITUTION,
            "Eksempel Pensjon AS",
            (2001, 1, 1),
            (2002, 1, 1),
        )
        .unwrap();
    let e = old.check("prod", now, None).unwrap_err().to_string();
    assert!(e.contains("expired on 2002-01-01"), "{e}");
}
