//! `dsop-harness rehearse` in real time (3 s tokens, 1 s tolerance, no clock knob), from configuration files on
//! disk: the bundled suite ends Bestått with each way of holding the key (PKCS#12 with and without its CA, PEM
//! plus chain, kid) and each vendor mechanism; the preflight stops a vendor without its delegation; the
//! waiting cases pass, an API with a longer tolerance gives a note (no Avvik), a cut case keeps its steps; plain
//! http to another host is refused. Certificates come from the project's own helpers (no openssl needed).

mod tools;

use dsop_harness::auth::{BusinessCert, TestCa};
use dsop_harness::bootstrap::SIM_INSTITUTION_ORGNR;
use dsop_harness::secret::Secret;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VENDOR: &str = "912345602";
const PASSWORD: &str = "øvelse-passord";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dsop-harness"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env("NO_COLOR", "1");
    c.env("DSOP_P12_PASSWORD", PASSWORD);
    for v in [
        "DSOP_PKCS12",
        "DSOP_KEY_PEM",
        "DSOP_CHAIN_PEM",
        "DSOP_CLIENT_ID",
        "DSOP_INSTITUTION_ORGNR",
        "DSOP_ENV",
    ] {
        c.env_remove(v);
    }
    c
}

fn cert(owner: &str) -> (TestCa, BusinessCert) {
    let ca = TestCa::generate("Simulert Buypass Class 3 Test4 CA").unwrap();
    let c = ca
        .issue(owner, "Øvelse AS", (2020, 1, 1), (2040, 1, 1))
        .unwrap();
    (ca, c)
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

fn p12(dir: &Path, c: &BusinessCert) -> PathBuf {
    let data = dsop_harness::run::rehearse::pkcs12(c, &Secret::new(PASSWORD.to_string())).unwrap();
    write(dir, "virksomhet.p12", data)
}

/// A config file: the institution, the client, `key` (the [maskinporten] key lines), `extra` tables, and the
/// harness's expiry tolerance of 1 s.
fn config(dir: &Path, key: &str, extra: &str) -> PathBuf {
    let text = format!(
        "[institution]\norgnr = \"{SIM_INSTITUTION_ORGNR}\"\nname = \"Øvelse Pensjon\"\n\n{extra}\n\
         [maskinporten]\nclient_id = \"min-klient\"\n{key}\n\n[profile.test]\nexpiry_tolerance_secs = 1\n\
         inntektsmottakere_path = \"/otp/{{rettighetspakke}}/mottakere/{{opplysningspliktig}}\"\n"
    );
    write(dir, "dsop-harness.toml", text)
}

/// `rehearse` with 3 s tokens and the simulated APIs' tolerance `tolerance` (seconds).
fn rehearse_with(cfg: &Path, reports: &Path, tolerance: &str, extra: &[&str]) -> Output {
    bin()
        .args([
            "rehearse",
            "--token-lifetime",
            "3",
            "--tolerance",
            tolerance,
        ])
        .arg("--config")
        .arg(cfg)
        .arg("--reports")
        .arg(reports)
        .args(extra)
        .output()
        .unwrap()
}

fn rehearse(cfg: &Path, reports: &Path, extra: &[&str]) -> Output {
    let mut all = vec!["--today", "2026-11-26"];
    all.extend_from_slice(extra);
    rehearse_with(cfg, reports, "1", &all)
}

fn results(reports: &Path) -> Value {
    let dir = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap()
}

fn case<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The whole bundled suite ends Bestått, marked as a rehearsal; SEC-01 and MP-02 passed in real time.
fn passes(cfg: &Path, tmp: &Path) -> Value {
    let reports = tmp.join("reports");
    let o = rehearse(cfg, &reports, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = results(&reports);
    assert_eq!(r["verdict"], "passed", "{}", stderr(&o));
    assert_eq!(r["simulated"], true);
    assert_eq!(r["rehearsal"], true);
    assert_eq!(r["env"], "test");
    for id in ["SEC-01", "MP-02"] {
        assert_eq!(case(&r, id)["status"], "ok", "{id}: {}", case(&r, id));
    }
    r
}

#[test]
fn own_client_pkcs12_with_its_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, c) = cert(SIM_INSTITUTION_ORGNR);
    let f = p12(tmp.path(), &c);
    let key = format!("pkcs12 = {:?}\npassword_env = \"DSOP_P12_PASSWORD\"", f);
    let r = passes(&config(tmp.path(), &key, ""), tmp.path());
    let notes = r["notes"].to_string();
    assert!(!notes.contains("issuer trust not rehearsed"), "{notes}");
}

#[test]
fn own_client_pkcs12_without_its_ca_with_and_without_ca_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, mut c) = cert(SIM_INSTITUTION_ORGNR);
    c.chain_der.truncate(1);
    let f = p12(tmp.path(), &c);
    let key = format!("pkcs12 = {:?}\npassword_env = \"DSOP_P12_PASSWORD\"", f);
    let cfg = config(tmp.path(), &key, "");
    let r = passes(&cfg, tmp.path());
    assert!(
        r["notes"]
            .to_string()
            .contains("issuer trust not rehearsed"),
        "{}",
        r["notes"]
    );
    // With --ca the issuer is trusted, as Maskinporten trusts it (two cases suffice to show it).
    let ca_file = write(tmp.path(), "ca.pem", &ca.cert_pem);
    let reports = tmp.path().join("reports-ca");
    let o = rehearse(
        &cfg,
        &reports,
        &["--ca", ca_file.to_str().unwrap(), "--only", "MP-01,TPA-01"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!results(&reports)["notes"]
        .to_string()
        .contains("issuer trust not rehearsed"));
    // Doctor says it in the same cases: without --ca, and not with it.
    let doctor = |extra: &[&str]| {
        let o = bin()
            .args(["doctor", "--only", "certificate", "--config"])
            .arg(&cfg)
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let table = doctor(&[]);
    assert!(table.contains("issuer trust not rehearsed"), "{table}");
    let table = doctor(&["--ca", ca_file.to_str().unwrap()]);
    assert!(!table.contains("issuer trust not rehearsed"), "{table}");
}

#[test]
fn own_client_pem_and_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, c) = cert(SIM_INSTITUTION_ORGNR);
    let k = write(tmp.path(), "key.pem", c.key_pem.expose());
    let ch = write(tmp.path(), "chain.pem", c.chain_pem());
    let key = format!("key_pem = {k:?}\nchain_pem = {ch:?}");
    passes(&config(tmp.path(), &key, ""), tmp.path());
}

#[test]
fn vendor_consumer_org_and_without_delegation() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, c) = cert(VENDOR);
    let f = p12(tmp.path(), &c);
    let key = format!("pkcs12 = {:?}\npassword_env = \"DSOP_P12_PASSWORD\"", f);
    let vendor = format!(
        "[vendor]\norgnr = \"{VENDOR}\"\nname = \"Leverandør AS\"\nmechanism = \"consumer_org\"\n"
    );
    let cfg = config(tmp.path(), &key, &vendor);
    let r = passes(&cfg, tmp.path());
    assert_eq!(r["context"]["vendor"]["orgnr"], VENDOR);
    // Without the institution's delegation the preflight stops, as the test environment would refuse it.
    let o = rehearse(&cfg, &tmp.path().join("reports-nd"), &["--no-delegation"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("MP-251") && err.contains("B-7"), "{err}");
}

#[test]
fn vendor_system_user_keeps_its_label() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, c) = cert(VENDOR);
    let f = p12(tmp.path(), &c);
    let key = format!("pkcs12 = {:?}\npassword_env = \"DSOP_P12_PASSWORD\"", f);
    let vendor = format!("[vendor]\norgnr = \"{VENDOR}\"\nmechanism = \"system_user\"\n");
    let r = passes(&config(tmp.path(), &key, &vendor), tmp.path());
    let notes = r["notes"].to_string();
    assert!(notes.contains("Systembruker"), "{notes}");
}

#[test]
fn kid_client() {
    let tmp = tempfile::tempdir().unwrap();
    let pem = dsop_harness::sim::testkit::rsa_key_pem().unwrap();
    let k = write(tmp.path(), "key.pem", pem);
    let key = format!("key_pem = {k:?}\nkid = \"min-nokkel-1\"");
    passes(&config(tmp.path(), &key, ""), tmp.path());
}

#[test]
fn a_longer_api_tolerance_gives_a_note_and_no_deviation() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "", "");
    let reports = tmp.path().join("reports");
    // The simulated APIs accept tokens 30 s past exp; the harness waits 1 s + 2 s past exp.
    let o = rehearse_with(&cfg, &reports, "30", &["--only", "SEC-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = results(&reports);
    let sec = case(&r, "SEC-01");
    assert_eq!(sec["status"], "ok", "{sec}");
    assert!(sec.to_string().contains("exp"), "{sec}");
    let observed = r["observed_expiry_tolerance_secs"].as_object().unwrap();
    assert!(!observed.is_empty(), "{r}");
}

#[test]
fn a_cut_case_keeps_its_steps() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "", "");
    let reports = tmp.path().join("reports");
    // Every API answer takes 1.5 s, and the case limit is 1 s plus MP-02's planned wait (4 s): MP-02 is cut
    // after its first calls.
    let o = rehearse(
        &cfg,
        &reports,
        &[
            "--only",
            "MP-02",
            "--latency-ms",
            "1500",
            "--case-timeout",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = results(&reports);
    let mp02 = case(&r, "MP-02");
    assert_eq!(mp02["status"], "environment_error", "{mp02}");
    let steps = mp02["steps"].as_array().unwrap();
    assert!(!steps.is_empty(), "{mp02}");
    assert!(
        steps.iter().all(|s| s["correlation_id"].is_string()),
        "{mp02}"
    );
    let note = mp02["note"].as_str().unwrap_or_default();
    assert!(note.contains("steg") && note.contains("planlagt"), "{note}");
}

#[test]
fn the_throw_away_key_without_config_and_plain_http_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(
        tmp.path(),
        "tom.toml",
        "[profile.test]\nexpiry_tolerance_secs = 1\n",
    );
    let reports = tmp.path().join("reports");
    let o = rehearse(&cfg, &reports, &["--only", "MP-01,SEC-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(results(&reports)["notes"]
        .to_string()
        .contains("throw-away"));
    // Plain http to a host that is not this machine: refused, naming the key.
    let bad = write(
        tmp.path(),
        "http.toml",
        "[profile.test]\ninntekt = \"http://inntekt.example.org/v1\"\n",
    );
    let o = bin()
        .args(["run", "--env", "test", "--config"])
        .arg(&bad)
        .arg("--reports")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[profile.test] inntekt"),
        "{}",
        stderr(&o)
    );
    let o = bin()
        .args([
            "run",
            "--sim-url",
            "http://sim.example.org:8099",
            "--reports",
        ])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--sim-url"), "{}", stderr(&o));
}

/// Every endpoint of a rehearsal is this machine, and that is stated on the first page of every report:
/// results.json's notes, the HTML before the case table, the filled-in workbook's summary sheet, and page 1 of
/// the docx (rendered to PDF with LibreOffice).
#[test]
fn a_rehearsal_states_its_loopback_endpoints_on_the_first_page() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "", "");
    let reports = tmp.path().join("reports");
    let o = rehearse(&cfg, &reports, &["--only", "MP-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    const LOOPBACK: &str = "er denne maskinen (loopback), ikke etatens dokumenterte testadresse";
    let apis = [
        "Maskinporten",
        "Inntekt",
        "Inntektsmottakere",
        "Tjenestepensjonsavtale",
        "Aa-reg OTP",
    ];
    // results.json: the list, one note per endpoint.
    let r = results(&reports);
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .filter(|n| n.contains(LOOPBACK))
        .collect();
    for api in apis {
        let prefix = format!("{api}: http://127.0.0.1:");
        assert!(notes.iter().any(|n| n.starts_with(&prefix)), "{notes:?}");
    }
    // HTML: before the case table.
    let html = std::fs::read_to_string(dir.join("rapport.html")).unwrap();
    let at = html.find(LOOPBACK).expect("the HTML states it");
    assert!(at < html.find("<section id=\"s7\"").unwrap());
    // The filled-in workbook's summary sheet.
    {
        use calamine::Reader;
        let xlsx = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("_utfylt.xlsx"))
            .unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
        let sheet = wb.worksheet_range("Sammendrag").unwrap();
        let cells: Vec<String> = sheet.cells().map(|(_, _, v)| v.to_string()).collect();
        assert_eq!(
            cells.iter().filter(|c| c.contains(LOOPBACK)).count(),
            apis.len(),
            "{cells:?}"
        );
    }
    // Page 1 of the docx.
    if !tools::require_cmd("soffice", "rendering the docx to PDF with LibreOffice")
        || !tools::require_cmd("pdftotext", "reading the PDF's first page (poppler-utils)")
    {
        return;
    }
    let docx = dir.join(dsop_harness::report::DOCX);
    let out = tmp.path().join("pdf");
    let profile = tmp.path().join("lo-profile");
    let st = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&out)
        .arg(&docx)
        .status()
        .unwrap();
    assert!(st.success(), "soffice failed: {st}");
    let pdf = out.join(dsop_harness::report::DOCX.replace(".docx", ".pdf"));
    let page1 = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(page1.status.success());
    let text = String::from_utf8_lossy(&page1.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for api in apis {
        let line = format!("{api}: http://127.0.0.1:");
        assert!(text.contains(&line), "page 1 lacks {line}: {text}");
    }
    assert_eq!(text.matches(LOOPBACK).count(), apis.len(), "{text}");
}
