//! `doctor` against the real simulator on 127.0.0.1, with rcgen-made certificates: each failure of the issue
//! (#9) is found and explained. Every host is overridden to 127.0.0.1; nothing reaches the internet.

mod certs;

use dsop_harness::auth::{BusinessCert, TestCa};
use dsop_harness::config::Env;
use dsop_harness::doctor::{self, CheckStatus, DoctorOptions, DoctorReport, Group, Who};
use dsop_harness::model::SCOPES;
use dsop_harness::secret::Secret;
use dsop_harness::sim::{self, ClientAuth, SimClient, SimConfig, SimHandle};
use std::path::{Path, PathBuf};

const INSTITUTION: &str = "987654309";
const VENDOR: &str = "912345602";
const OTHER_ORG: &str = "310000108";
const CLIENT_ID: &str = "doctor-test-client";
const TEST_ISSUER: &str = "Buypass Class 3 Test4 CA G2 ST Business";
const PROD_ISSUER: &str = "Buypass Class 3 CA G2 ST Business";

async fn start_sim() -> SimHandle {
    let today = chrono::Utc::now().date_naive();
    sim::start(
        SimConfig::new(today),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("simulator starts")
}

fn chain_pem(c: &BusinessCert) -> String {
    c.chain_pem()
}

fn register(h: &SimHandle, orgnr: &str, ca: &TestCa, scopes: &[&str]) {
    h.register_client(SimClient {
        client_id: CLIENT_ID.into(),
        orgnr: orgnr.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        auth: ClientAuth::X5c {
            trusted_ca_der: ca.cert_der.clone(),
        },
    });
}

/// Write key, chain and a config pointing every host at the simulator (or `aareg_url` for NAV).
struct Files {
    _dir: tempfile::TempDir,
    config: PathBuf,
}

fn write_files(
    h: &SimHandle,
    key_pem: &str,
    chain: &str,
    vendor: Option<&str>,
    aareg_url: Option<String>,
) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let chain_path = dir.path().join("chain.pem");
    std::fs::write(&key, key_pem).unwrap();
    std::fs::write(&chain_path, chain).unwrap();
    let u = h.urls();
    let vendor = match vendor {
        Some(m) => format!("[vendor]\norgnr = \"{VENDOR}\"\nmechanism = \"{m}\"\n\n"),
        None => String::new(),
    };
    let text = format!(
        "[institution]\norgnr = \"{INSTITUTION}\"\nname = \"Eksempel Pensjon AS\"\n\n{vendor}\
         [maskinporten]\nclient_id = \"{CLIENT_ID}\"\nkey_pem = {key:?}\nchain_pem = {chain_path:?}\n\n\
         [profile.test]\nmaskinporten_issuer = \"{}\"\ntoken_endpoint = \"{}\"\ninntekt = \"{}\"\n\
         inntektsmottakere = \"{}\"\ntjenestepensjonsavtale = \"{}\"\naareg = \"{}\"\n",
        u.maskinporten_issuer,
        u.token_endpoint,
        u.inntekt,
        u.inntektsmottakere,
        u.tjenestepensjonsavtale,
        aareg_url.unwrap_or_else(|| u.aareg.clone()),
    );
    let config = dir.path().join("dsop-harness.toml");
    std::fs::write(&config, text).unwrap();
    Files { _dir: dir, config }
}

fn opts() -> DoctorOptions {
    DoctorOptions {
        password: None,
        timeout: std::time::Duration::from_secs(5),
        ..DoctorOptions::default()
    }
}

async fn doctor(config: &Path, o: &DoctorOptions) -> DoctorReport {
    doctor::run_from_path(Some(config), Env::Test, o).await
}

fn status(r: &DoctorReport, id: &str) -> CheckStatus {
    r.get(id)
        .unwrap_or_else(|| panic!("no check {id} in\n{}", r.render_table(Default::default())))
        .status
}

fn text_of(r: &DoctorReport, id: &str) -> String {
    let c = r.get(id).unwrap();
    format!("{} | {}", c.detail, c.action)
}

fn valid_cert(ca: &TestCa, orgnr: &str) -> BusinessCert {
    let (from, to) = certs::valid_window();
    ca.issue(orgnr, "Eksempel Pensjon AS", from, to).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn all_checks_pass_with_a_good_setup() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let agreements = h.agreements();
    let r = doctor(&f.config, &opts()).await;
    let table = r.render_table(dsop_harness::model::Lang::En);
    assert_eq!(r.exit_code(), 0, "{table}");
    for id in [
        "config.present",
        "config.valid",
        "certificate.load",
        "certificate.key_match",
        "certificate.expiry",
        "certificate.orgnr",
        "certificate.environment",
        "certificate.issuer_trust",
        "network.dns.maskinporten",
        "network.tcp.aareg",
        "clock.skew",
    ] {
        assert_eq!(status(&r, id), CheckStatus::Pass, "{id}\n{table}");
    }
    assert_eq!(status(&r, "network.tls.inntekt"), CheckStatus::Skip);
    assert_eq!(status(&r, "certificate.password"), CheckStatus::Skip);
    for s in SCOPES {
        assert_eq!(
            status(&r, &format!("tokens.{s}")),
            CheckStatus::Pass,
            "{table}"
        );
    }
    for api in [
        "tjenestepensjonsavtale",
        "inntektsmottakere",
        "inntekt",
        "aareg",
    ] {
        let id = format!("apis.{api}");
        assert_eq!(status(&r, &id), CheckStatus::Pass, "{table}");
        assert!(
            text_of(&r, &id).contains("reachable, access not proven"),
            "{table}"
        );
    }
    // Nothing was registered by the harmless Tjenestepensjonsavtale call.
    assert_eq!(h.agreements(), agreements);
    // No secret in any output.
    let json = r.to_json();
    assert!(
        !json.contains("PRIVATE KEY") && !json.contains("eyJ"),
        "{json}"
    );
    assert!(table.contains("passed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_certificate() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = ca
        .issue(
            INSTITUTION,
            "Eksempel Pensjon AS",
            (2020, 1, 1),
            (2021, 1, 1),
        )
        .unwrap();
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(r.exit_code(), 1);
    assert_eq!(status(&r, "certificate.expiry"), CheckStatus::Fail);
    assert!(text_of(&r, "certificate.expiry").contains("expired on 2021-01-01"));
    assert_eq!(
        r.get("certificate.expiry").unwrap().who,
        Some(Who::CertificateIssuer)
    );
    // Maskinporten says the same.
    assert_eq!(status(&r, "tokens.skatteetaten:inntekt"), CheckStatus::Fail);
    assert!(text_of(&r, "tokens.skatteetaten:inntekt").contains("MP-120"));
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_organisation_number() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, OTHER_ORG);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "certificate.orgnr"), CheckStatus::Fail);
    let t = text_of(&r, "certificate.orgnr");
    assert!(t.contains(OTHER_ORG) && t.contains(INSTITUTION), "{t}");
    assert!(text_of(&r, "tokens.skatteetaten:inntekt").contains("MP-122"));
    assert_eq!(r.exit_code(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn production_certificate_in_test() {
    let h = start_sim().await;
    let ca = TestCa::generate(PROD_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "certificate.environment"), CheckStatus::Fail);
    assert!(text_of(&r, "certificate.environment").contains("production certificate"));
    assert_eq!(r.exit_code(), 1);

    // An issuer on neither list is a warning only.
    let ca = TestCa::generate("Some Other CA").unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "certificate.environment"), CheckStatus::Warn);
    assert!(text_of(&r, "certificate.environment").contains("MP-120"));
    assert_eq!(r.exit_code(), 0, "{}", r.render_table(Default::default()));
}

/// Doctor says "issuer trust not rehearsed" exactly when `rehearse` does: only the leaf at hand (neither the
/// chain file nor --ca holds its issuer). A self-signed leaf gets the MP-120 line.
#[tokio::test(flavor = "multi_thread")]
async fn issuer_trust_as_the_rehearsal_judges_it() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let mut cert = valid_cert(&ca, INSTITUTION);
    cert.chain_der.truncate(1);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "certificate.issuer_trust"), CheckStatus::Warn);
    let text = text_of(&r, "certificate.issuer_trust");
    assert!(
        text.contains("issuer trust not rehearsed") && text.contains("--ca FILE"),
        "{text}"
    );
    assert_eq!(r.exit_code(), 0, "{}", r.render_table(Default::default()));

    // With --ca the issuer is at hand.
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    let o = DoctorOptions {
        ca: Some(ca_file.clone()),
        ..opts()
    };
    let r = doctor(&f.config, &o).await;
    assert_eq!(status(&r, "certificate.issuer_trust"), CheckStatus::Pass);
    assert!(text_of(&r, "certificate.issuer_trust").contains("--ca"));

    // A self-signed leaf (named like a test issuer, so only the self-signing gives it away).
    let key = dsop_harness::sim::testkit::rsa_key_pem().unwrap();
    let own = TestCa::generate_with_key(TEST_ISSUER, Secret::new(key.clone())).unwrap();
    let f = write_files(&h, &key, &own.cert_pem, None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "certificate.issuer_trust"), CheckStatus::Warn);
    let text = text_of(&r, "certificate.issuer_trust");
    assert!(
        text.contains("self-signed") && text.contains("MP-120"),
        "{text}"
    );
}

/// The certificate as a PKCS#12 file (p12-keystore, modern encryption).
fn pkcs12(c: &BusinessCert, password: &str) -> Vec<u8> {
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
    ks.writer(password)
        .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(2048)
        .mac_iterations(2048)
        .write()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, "unused", "unused", None, None);
    let p12 = f.config.with_file_name("virksomhet.p12");
    std::fs::write(&p12, pkcs12(&cert, "riktig-passord")).unwrap();
    let text = std::fs::read_to_string(&f.config).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("key_pem") && !l.starts_with("chain_pem"))
        .map(str::to_string)
        .collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("client_id"))
        .unwrap();
    lines.insert(at + 1, format!("pkcs12 = {p12:?}"));
    std::fs::write(&f.config, lines.join("\n")).unwrap();

    let mut o = opts();
    o.groups = vec![Group::Certificate, Group::Tokens];
    o.password = Some(Secret::new("feil-passord".into()));
    let r = doctor(&f.config, &o).await;
    assert_eq!(status(&r, "certificate.password"), CheckStatus::Fail);
    assert!(text_of(&r, "certificate.password").contains("does not open"));
    assert_eq!(status(&r, "tokens.skatteetaten:inntekt"), CheckStatus::Skip);
    assert!(!r.to_json().contains("feil-passord"));
    assert_eq!(r.exit_code(), 1);

    o.password = Some(Secret::new("riktig-passord".into()));
    let r = doctor(&f.config, &o).await;
    assert_eq!(status(&r, "certificate.password"), CheckStatus::Pass);
    assert_eq!(status(&r, "certificate.key_match"), CheckStatus::Pass);
    assert_eq!(status(&r, "tokens.skatteetaten:inntekt"), CheckStatus::Pass);
    assert_eq!(r.exit_code(), 0, "{}", r.render_table(Default::default()));
}

#[tokio::test(flavor = "multi_thread")]
async fn key_and_certificate_do_not_match() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    let other = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, other.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "certificate.key_match"), CheckStatus::Fail);
    assert!(text_of(&r, "certificate.key_match").contains("does not belong"));
    assert!(text_of(&r, "tokens.skatteetaten:inntekt").contains("MP-124"));
    assert_eq!(r.exit_code(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_host_names_the_firewall_opening() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let freed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let aareg = format!("http://127.0.0.1:{freed}/aareg/v1/arbeidsforhold/otp/graphql");
    let f = write_files(
        &h,
        cert.key_pem.expose(),
        &chain_pem(&cert),
        None,
        Some(aareg),
    );
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "network.tcp.aareg"), CheckStatus::Fail);
    let t = text_of(&r, "network.tcp.aareg");
    assert!(t.contains("A-7") && t.contains(&freed.to_string()), "{t}");
    assert_eq!(r.get("network.tcp.aareg").unwrap().who, Some(Who::OwnIt));
    assert_eq!(status(&r, "network.tcp.inntekt"), CheckStatus::Pass);
    assert_eq!(status(&r, "apis.aareg"), CheckStatus::Fail);
    assert_eq!(status(&r, "apis.inntekt"), CheckStatus::Pass);
    assert_eq!(r.exit_code(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn skewed_clock() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    // The simulated Maskinporten's clock runs two minutes ahead of this machine's.
    h.advance_clock(120);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "clock.skew"), CheckStatus::Fail);
    let t = text_of(&r, "clock.skew");
    assert!(t.contains("NTP") && t.contains("MP-130"), "{t}");
    assert_eq!(r.exit_code(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_scope_names_b6() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES[..3]);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let r = doctor(&f.config, &opts()).await;
    let id = "tokens.nav:aareg/v1/arbeidsforhold/otp";
    assert_eq!(status(&r, id), CheckStatus::Fail);
    let t = text_of(&r, id);
    assert!(t.contains("MP-200") && t.contains("B-6"), "{t}");
    assert_eq!(r.get(id).unwrap().who, Some(Who::Bits));
    assert_eq!(status(&r, "tokens.skatteetaten:inntekt"), CheckStatus::Pass);
    assert_eq!(status(&r, "apis.aareg"), CheckStatus::Skip);
    assert_eq!(r.exit_code(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_delegation_names_b7() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, VENDOR);
    register(&h, VENDOR, &ca, &SCOPES);
    let f = write_files(
        &h,
        cert.key_pem.expose(),
        &chain_pem(&cert),
        Some("consumer_org"),
        None,
    );
    let r = doctor(&f.config, &opts()).await;
    assert_eq!(status(&r, "certificate.orgnr"), CheckStatus::Pass);
    for s in SCOPES {
        let id = format!("tokens.{s}");
        assert_eq!(status(&r, &id), CheckStatus::Fail);
        let t = text_of(&r, &id);
        assert!(
            t.contains("MP-251") && t.contains("B-7 delegation missing"),
            "{t}"
        );
        assert_eq!(r.get(&id).unwrap().who, Some(Who::Altinn));
    }
    assert_eq!(r.exit_code(), 1);

    // Once the institution has delegated every scope, the vendor's tokens name both parties.
    for s in SCOPES {
        h.register_delegation(INSTITUTION, VENDOR, s);
    }
    let r = doctor(&f.config, &opts()).await;
    let t = text_of(&r, "tokens.skatteetaten:inntekt");
    assert!(
        t.contains(&format!("consumer {INSTITUTION}")) && t.contains(&format!("supplier {VENDOR}")),
        "{t}"
    );
    assert_eq!(r.exit_code(), 0, "{}", r.render_table(Default::default()));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_system_user_names_b7() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, VENDOR);
    register(&h, VENDOR, &ca, &SCOPES);
    let f = write_files(
        &h,
        cert.key_pem.expose(),
        &chain_pem(&cert),
        Some("system_user"),
        None,
    );
    let mut o = opts();
    o.groups = vec![Group::Tokens];
    let r = doctor(&f.config, &o).await;
    let t = text_of(&r, "tokens.skatteetaten:inntekt");
    assert!(t.contains("B-7 system user missing"), "{t}");
    h.register_system_user(INSTITUTION, VENDOR);
    let r = doctor(&f.config, &o).await;
    assert_eq!(r.exit_code(), 0, "{}", r.render_table(Default::default()));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_invalid_config_is_a_failed_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts();
    o.groups = vec![Group::Config, Group::Certificate];
    let r = doctor::run_from_path(Some(&dir.path().join("nope.toml")), Env::Test, &o).await;
    assert_eq!(status(&r, "config.present"), CheckStatus::Fail);
    assert_eq!(r.exit_code(), 1);

    // The template written by init is not filled in yet.
    doctor::init(dir.path(), false).unwrap();
    let r = doctor::run_from_path(Some(&dir.path().join("dsop-harness.toml")), Env::Test, &o).await;
    assert_eq!(status(&r, "config.present"), CheckStatus::Pass);
    assert_eq!(status(&r, "config.valid"), CheckStatus::Fail);
    let t = text_of(&r, "config.valid");
    assert!(t.contains("9xxxxxxxx") && t.contains("client_id"), "{t}");
    assert_eq!(status(&r, "certificate.load"), CheckStatus::Fail);
    assert_eq!(r.exit_code(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sim_environment_passes() {
    let r = doctor::run(&dsop_harness::config::Config::default(), Env::Sim, &opts()).await;
    assert_eq!(r.exit_code(), 0, "{}", r.render_table(Default::default()));
    assert!(r.checks.iter().any(|c| c.group == Group::Apis));
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_is_the_fast_subset() {
    let h = start_sim().await;
    let ca = TestCa::generate(TEST_ISSUER).unwrap();
    let cert = valid_cert(&ca, INSTITUTION);
    register(&h, INSTITUTION, &ca, &SCOPES);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let cfg = dsop_harness::config::Config::load(Some(&f.config)).unwrap();
    let r = doctor::preflight(&cfg, Env::Test, &opts()).await;
    assert_eq!(r.exit_code(), 0, "{}", r.render_table(Default::default()));
    assert!(r.checks.iter().all(|c| Group::PREFLIGHT.contains(&c.group)));
    assert!(r.get("tokens.skatteetaten:inntekt").is_some());
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let files = doctor::init(dir.path(), false).unwrap();
    assert_eq!(files.len(), 2);
    let wb = dir.path().join(doctor::init::WORKBOOK_FILE);
    let bundled = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testcases/integrasjonstest-ajourhold-otp.xlsx"
    );
    assert!(
        std::fs::read(&wb).unwrap() == std::fs::read(bundled).unwrap(),
        "the copy differs from the bundled workbook"
    );
    std::fs::write(dir.path().join("dsop-harness.toml"), "# mine\n").unwrap();
    let e = doctor::init(dir.path(), false).unwrap_err();
    assert!(e.contains("--force"), "{e}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dsop-harness.toml")).unwrap(),
        "# mine\n"
    );
    doctor::init(dir.path(), true).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dsop-harness.toml")).unwrap(),
        dsop_harness::config::TEMPLATE
    );
    // The workbook copy is a workbook the harness reads.
    assert!(dsop_harness::workbook::read(&wb).is_ok());
}

/// `doctor --env prod` sends nothing that could write: no POST to avtaleforhold, and the table says why.
#[tokio::test(flavor = "multi_thread")]
async fn prod_sends_nothing_that_could_write() {
    let h = start_sim().await;
    let ca = TestCa::generate("Buypass Class 3 CA G2 ST Business").unwrap();
    register(&h, INSTITUTION, &ca, &dsop_harness::model::SCOPES);
    let cert = valid_cert(&ca, INSTITUTION);
    let f = write_files(&h, cert.key_pem.expose(), &chain_pem(&cert), None, None);
    let prod = std::fs::read_to_string(&f.config)
        .unwrap()
        .replace("[profile.test]", "[profile.prod]");
    std::fs::write(&f.config, prod).unwrap();
    let o = DoctorOptions {
        groups: vec![doctor::Group::Apis],
        ..opts()
    };
    let r = doctor::run_from_path(Some(&f.config), Env::Prod, &o).await;
    let table = r.render_table(Default::default());
    assert_eq!(
        status(&r, "apis.tjenestepensjonsavtale"),
        CheckStatus::Skip,
        "{table}"
    );
    assert!(
        text_of(&r, "apis.tjenestepensjonsavtale").contains("not called in prod"),
        "{table}"
    );
    // The read-only calls are still made.
    assert_eq!(status(&r, "apis.inntekt"), CheckStatus::Pass, "{table}");
    let writes: Vec<_> = h
        .request_log()
        .into_iter()
        .filter(|l| l.path.contains("tjenestepensjonsavtale") || l.path.contains("avtaleforhold"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    // In test the call is still made (it fails validation on purpose).
    let test = std::fs::read_to_string(&f.config)
        .unwrap()
        .replace("[profile.prod]", "[profile.test]");
    std::fs::write(&f.config, test).unwrap();
    let r = doctor::run_from_path(Some(&f.config), Env::Test, &o).await;
    assert_ne!(status(&r, "apis.tjenestepensjonsavtale"), CheckStatus::Skip);
    assert!(h
        .request_log()
        .iter()
        .any(|l| l.method == "POST" && l.path.contains("avtaleforhold")));
}
