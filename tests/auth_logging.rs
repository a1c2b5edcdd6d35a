//! No token, grant, key byte or password in the logs at trace level: the binary's `run` with `DSOP_LOG=trace`,
//! and in-process with a trace-level subscriber writing to a buffer while tokens are fetched and refused.

mod auth_common;

use auth_common::*;
use dsop_harness::auth::KeyMaterial;
use dsop_harness::model::Delegation;
use dsop_harness::sim;
use std::sync::{Arc, Mutex};

/// Patterns no log line may contain.
fn assert_clean(what: &str, log: &str, extra: &[&str]) {
    let jwt = regex::Regex::new(r"eyJ[A-Za-z0-9_-]{8,}").unwrap();
    assert!(
        !jwt.is_match(log),
        "{what}: a JWT (token or grant) is logged"
    );
    assert!(
        !log.contains("PRIVATE KEY"),
        "{what}: a PEM private key is logged"
    );
    assert!(
        !log.contains("Bearer "),
        "{what}: an Authorization header is logged"
    );
    assert!(
        !log.contains("assertion="),
        "{what}: the token request body is logged"
    );
    // The DER of any RSA private key, PKCS#8 or PKCS#1, starts like this in base64.
    let rsa_der = regex::Regex::new(r"MII[A-Za-z0-9+/]{2}(AIBADAN|AIBAAK)").unwrap();
    assert!(
        !rsa_der.is_match(log),
        "{what}: private key bytes are logged"
    );
    for s in extra {
        assert!(!log.contains(s), "{what}: a secret fragment is logged");
    }
}

/// 40 characters from the middle of a PEM key's base64 body.
fn key_fragment(pem: &str) -> String {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    body[200..240].to_string()
}

#[test]
fn binary_run_at_trace_level_logs_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dsop-harness"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DSOP_LOG", "trace")
        .env("NO_COLOR", "1")
        .args(["run", "--today", "2026-11-26", "--reports"])
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("Maskinporten issued a token"),
        "the run logged its token requests (exit {:?}):\n{}",
        out.status.code(),
        &stderr[..stderr.len().min(4000)]
    );
    assert!(stderr.contains("TRACE"), "trace level was on");
    assert_clean("stderr", &stderr, &[]);
    assert_clean("stdout", &stdout, &[]);
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_trace_logs_no_secret() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let password = "Pw-for-the-log-test-7781";
    let dir = tempfile::tempdir().unwrap();
    let c = &fx().institution;
    let key = dir.path().join("key.pem");
    let chain = dir.path().join("chain.pem");
    std::fs::write(&key, c.key_pem.expose()).unwrap();
    std::fs::write(&chain, chain_pem(c)).unwrap();
    let mut km = dsop_harness::config::MaskinportenConfig {
        key_pem: Some(key.clone()),
        chain_pem: Some(chain.clone()),
        ..Default::default()
    }
    .load_key_material()
    .unwrap();
    if require_cmd("openssl", "the PKCS#12 part of this test") {
        let p12 = dir.path().join("v.p12");
        let ok = std::process::Command::new("openssl")
            .args(["pkcs12", "-export", "-inkey"])
            .arg(&key)
            .arg("-in")
            .arg(&chain)
            .arg("-out")
            .arg(&p12)
            .args(["-passout", &format!("pass:{password}")])
            .status()
            .unwrap();
        assert!(ok.success());
        std::env::set_var("AUTH_LOG_TEST_PW", password);
        km = dsop_harness::config::MaskinportenConfig {
            pkcs12: Some(p12),
            password_env: Some("AUTH_LOG_TEST_PW".into()),
            ..Default::default()
        }
        .load_key_material()
        .unwrap();
    }

    let sim = start_sim(Some(120)).await;
    register_x5c(
        &sim,
        CLIENT_ID,
        INSTITUTION,
        &[sim::SCOPE_INNTEKT.to_string()],
    );
    let mp = client(&sim, CLIENT_ID, km, Delegation::None, None);
    let t1 = mp.token(sim::SCOPE_INNTEKT).await.unwrap();
    mp.token(sim::SCOPE_INNTEKT).await.unwrap();
    sim.advance_clock(110);
    mp.set_clock_offset(110);
    let t2 = mp.token(sim::SCOPE_INNTEKT).await.unwrap();
    assert!(mp.token(sim::SCOPE_AAREG).await.is_err());
    let r = mp.request(sim::SCOPE_INNTEKT).await.unwrap();
    let _ = format!("{r:?} {mp:?} {:?}", mp.key());
    tracing::debug!(response = ?r, client = ?mp, key = ?mp.key(), "debug of everything holding a secret");
    let kid = KeyMaterial::Kid {
        kid: "k".into(),
        key_pem: c.key_pem.clone(),
    };
    tracing::debug!(key = ?kid, shown = %kid, "kid key material");

    let log = String::from_utf8_lossy(&buf.0.lock().unwrap()).to_string();
    for want in [
        "requesting a Maskinporten token",
        "Maskinporten issued a token",
        "Maskinporten token from the cache",
        "renewing the Maskinporten token",
        "Maskinporten refused the token request",
        "MP-200",
    ] {
        assert!(log.contains(want), "the log says {want:?}:\n{log}");
    }
    let sig1 = t1.expose().rsplit('.').next().unwrap().to_string();
    let sig2 = t2.expose().rsplit('.').next().unwrap().to_string();
    let frag = key_fragment(c.key_pem.expose());
    assert_clean(
        "in-process log",
        &log,
        &[t1.expose(), t2.expose(), &sig1, &sig2, &frag, password],
    );
}
