//! Each exit code of `run` (0 and 2 are also covered by e2e_run.rs): 1 deviation, 3 environment error or
//! not run, 130 interrupted. Workbooks are built from the bundled source with one change each.

mod certs;
mod common;

use common::case;
use dsop_harness::workbook::source::{load_source, Source};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn source() -> Source {
    load_source(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/source.toml")).unwrap()
}

fn write_workbook(src: &Source, dir: &Path) -> PathBuf {
    let p = dir.join("wb.xlsx");
    std::fs::write(
        &p,
        dsop_harness::workbook::generate::build_bytes(src).unwrap(),
    )
    .unwrap();
    p
}

fn run(args: &[&str], wb: &Path, reports: &Path) -> (i32, serde_json::Value, String) {
    let (code, text) = common::code_and_text(
        common::harness()
            .args(["run", "--today", "2026-11-26", "--workbook"])
            .arg(wb)
            .arg("--reports")
            .arg(reports)
            .args(args),
    );
    let results = std::fs::read(reports.join("latest/results.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (code, results, text)
}

#[test]
fn a_deviation_exits_1_and_fails_the_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let mut src = source();
    let ims = src.cases.iter_mut().find(|c| c.id == "IMS-01").unwrap();
    ims.steps[0].http = "404".into();
    let wb = write_workbook(&src, tmp.path());
    let (code, r, text) = run(&["--only", "IMS-01"], &wb, &tmp.path().join("reports"));
    assert_eq!(code, 1, "{text}");
    assert_eq!(case(&r, "IMS-01")["status"], "deviation");
    assert_eq!(r["verdict"], "failed");
    // Cases left out are listed as not run, "ikke valgt" (not selected, in the report language), and do not
    // count for the exit code.
    assert_eq!(case(&r, "INN-01")["status"], "not_run");
    assert_eq!(case(&r, "INN-01")["note"], "ikke valgt");
}

#[test]
fn an_agency_failure_is_an_environment_error_and_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let wb = write_workbook(&source(), tmp.path());
    let (code, r, text) = run(
        &[
            "--only",
            "IMS-01",
            "--faults",
            "trigger=DAS-003@inntektsmottakere",
        ],
        &wb,
        &tmp.path().join("reports"),
    );
    assert_eq!(code, 3, "{text}");
    let ims = case(&r, "IMS-01");
    assert_eq!(ims["status"], "environment_error", "{ims}");
    // A read answered 500 DAS-003 ("try again later") is retried, and every attempt is counted.
    assert_eq!(ims["attempts"], 3, "{ims}");
    assert_eq!(ims["actual_code"], "DAS-003");
    assert_eq!(r["verdict"], "incomplete");
}

#[test]
fn an_unreachable_test_environment_exits_3_without_blaming_the_institution() {
    let tmp = tempfile::tempdir().unwrap();
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ca = dsop_harness::auth::TestCa::generate("Test CA").unwrap();
    let cert = ca
        .issue(
            "987654309",
            "Eksempel Pensjon AS",
            certs::valid_window().0,
            certs::valid_window().1,
        )
        .unwrap();
    std::fs::write(tmp.path().join("key.pem"), cert.key_pem.expose()).unwrap();
    std::fs::write(tmp.path().join("chain.pem"), cert.chain_pem()).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let config = format!(
        "[institution]\norgnr = \"987654309\"\n[maskinporten]\nclient_id = \"c\"\nkey_pem = \"{k}\"\nchain_pem = \"{c}\"\n\
         [profile.test]\nmaskinporten_issuer = \"{base}/\"\ninntekt = \"{base}/v1\"\ninntektsmottakere = \"{base}/v1\"\n\
         tjenestepensjonsavtale = \"{base}/v1\"\naareg = \"{base}/graphql\"\ntimeout_secs = 2\n",
        k = tmp.path().join("key.pem").display(),
        c = tmp.path().join("chain.pem").display()
    );
    std::fs::write(tmp.path().join("dsop-harness.toml"), config).unwrap();
    let wb = write_workbook(&source(), tmp.path());
    let cfg = tmp.path().join("dsop-harness.toml");
    // Without --skip-doctor the preflight names the problem and nothing runs (exit 2).
    let (code, _, text) = run(
        &[
            "--env",
            "test",
            "--only",
            "MP-01,IMS-01",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &wb,
        &tmp.path().join("refused"),
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("preflight"), "{text}");
    assert!(
        !tmp.path().join("refused").exists(),
        "no run folder when the preflight fails"
    );
    let (code, r, text) = run(
        &[
            "--env",
            "test",
            "--skip-doctor",
            "--only",
            "MP-01,IMS-01",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &wb,
        &tmp.path().join("reports"),
    );
    assert_eq!(code, 3, "{text}");
    assert_eq!(r["simulated"], false);
    assert_eq!(
        case(&r, "MP-01")["status"],
        "environment_error",
        "{}",
        case(&r, "MP-01")
    );
    assert_ne!(case(&r, "IMS-01")["status"], "deviation");
    assert_eq!(r["summary"]["deviation"], 0);
}

#[cfg(unix)]
#[test]
fn ctrl_c_finishes_the_call_in_flight_reports_and_exits_130() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let wb = write_workbook(&source(), tmp.path());
    let reports = tmp.path().join("reports");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dsop-harness"))
        .args([
            "run",
            "--today",
            "2026-11-26",
            "--faults",
            "latency=300ms",
            "--workbook",
        ])
        .arg(&wb)
        .arg("--reports")
        .arg(&reports)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait until the first case has finished, then interrupt.
    for line in lines.by_ref() {
        if line.unwrap().starts_with("TPA-01") {
            break;
        }
    }
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    for _ in lines {}
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("latest/results.json")).unwrap())
            .unwrap();
    assert_eq!(case(&r, "TPA-01")["status"], "ok");
    let not_run = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "not_run")
        .count();
    assert!(not_run >= 1, "cases after the interrupt are not run: {r}");
    let journal = std::fs::read_to_string(reports.join("latest/journal.jsonl")).unwrap();
    assert!(journal
        .lines()
        .last()
        .unwrap()
        .contains("\"interrupted\":true"));
}

#[test]
fn rerun_failed_runs_only_the_failures_into_a_new_linked_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let wb = write_workbook(&source(), tmp.path());
    let reports = tmp.path().join("reports");
    let (code, first, text) = run(
        &[
            "--only",
            "IMS-01,INN-01",
            "--faults",
            "trigger=DAS-003@inntektsmottakere",
        ],
        &wb,
        &reports,
    );
    assert_eq!(code, 3, "{text}");
    let first_dir = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    assert_eq!(case(&first, "IMS-01")["status"], "environment_error");
    // The re-run (simulator healthy again) runs IMS-01 only, into a new folder that names the old one.
    let out = Command::new(env!("CARGO_BIN_EXE_dsop-harness"))
        .args(["run", "--rerun-failed"])
        .arg(&first_dir)
        .arg("--reports")
        .arg(&reports)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let second_dir = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    assert_ne!(first_dir, second_dir);
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(second_dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(case(&r, "IMS-01")["status"], "ok");
    assert_eq!(case(&r, "INN-01")["note"], "ikke valgt");
    assert!(
        r["notes"]
            .to_string()
            .contains(first["run_id"].as_str().unwrap()),
        "{}",
        r["notes"]
    );
    assert_eq!(r["today"], "2026-11-26");
}
