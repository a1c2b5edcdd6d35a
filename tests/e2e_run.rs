//! End to end: the binary runs the bundled workbook against the embedded simulator (in-process, on a
//! random 127.0.0.1 port) and writes every report; we assert on what it wrote.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dsop-harness"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env("NO_COLOR", "1");
    c
}

fn run_dir(reports: &Path) -> PathBuf {
    let latest = reports.join("latest");
    let target = std::fs::read_link(&latest).expect("reports/latest is a symlink");
    reports.join(target)
}

/// Every file, and every member of every zip (docx, xlsx): no token, key or Authorization header.
fn scan_for_secrets(name: &str, data: &[u8]) {
    let jwt =
        regex::bytes::Regex::new(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
            .unwrap();
    assert!(!jwt.is_match(data), "a JWT appears in {name}");
    let text = String::from_utf8_lossy(data);
    assert!(
        !text.contains("PRIVATE KEY"),
        "a private key appears in {name}"
    );
    assert!(
        !text.to_ascii_lowercase().contains("bearer ey"),
        "an Authorization header appears in {name}"
    );
    if data.starts_with(b"PK") {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(data)).unwrap();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            scan_for_secrets(&format!("{name}!{}", f.name()), &buf);
        }
    }
}

#[test]
fn bundled_workbook_against_the_simulator() {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let out = bin()
        .args(["run", "--today", "2026-11-26", "--reports"])
        .arg(&reports)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("SIMULERT KJØRING"), "{stdout}");

    let dir = run_dir(&reports);
    let name = dir.file_name().unwrap().to_str().unwrap();
    assert!(
        regex::Regex::new(r"^\d{8}T\d{6}Z-sim$")
            .unwrap()
            .is_match(name),
        "{name}"
    );

    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["simulated"], true);
    assert_eq!(r["env"], "sim");
    assert_eq!(r["verdict"], "passed");
    let cases = r["cases"].as_array().unwrap();
    let ok: Vec<&str> = cases
        .iter()
        .filter(|c| c["status"] == "ok")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [
        "MP-01", "TPA-01", "IMS-01", "INN-01", "INN-04", "AAR-01", "AAR-05", "SEC-01",
    ] {
        assert!(
            ok.contains(&id),
            "{id} is not ok: {}",
            serde_json::to_string_pretty(&r["cases"]).unwrap()
        );
    }
    assert_eq!(
        r["summary"]["total"].as_u64().unwrap() as usize,
        cases.len()
    );
    // The multi-step cases keep every call.
    let mp01 = cases.iter().find(|c| c["id"] == "MP-01").unwrap();
    assert_eq!(mp01["steps"].as_array().unwrap().len(), 4);
    assert!(
        mp01["steps"][0]["correlation_id"].is_null(),
        "Maskinporten has no correlation id"
    );
    let sec01 = cases.iter().find(|c| c["id"] == "SEC-01").unwrap();
    let sec_steps = sec01["steps"].as_array().unwrap();
    assert_eq!(sec_steps.len(), 8);
    assert!(
        sec_steps
            .iter()
            .all(|s| s["actual_http"] == 401 && s["attempts"] == 1),
        "{sec01}"
    );
    let inn04 = cases.iter().find(|c| c["id"] == "INN-04").unwrap();
    assert!(inn04["note"].as_str().unwrap().contains("IM-008"));
    let ims01 = cases.iter().find(|c| c["id"] == "IMS-01").unwrap();
    assert!(ims01["correlation_id"]
        .as_str()
        .is_some_and(|c| c.len() == 36));

    // Every output of the contract is there.
    for f in ["results.json", "junit.xml", "rapport.html", "journal.jsonl"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let docx = files.iter().find(|f| f.ends_with(".docx")).expect("a docx");
    assert!(
        files.iter().any(|f| f.ends_with(".xlsx")),
        "a filled-in xlsx: {files:?}"
    );

    // The docx unzips, its document.xml parses, and it says the run used the simulator.
    let mut z = zip::ZipArchive::new(std::fs::File::open(dir.join(docx)).unwrap()).unwrap();
    let mut xml = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("document.xml does not parse: {e}"),
        }
    }
    assert!(
        xml.contains("SIMULERT KJØRING"),
        "the first page must say it is a simulator run"
    );
    assert!(xml.contains("IKKE BEVIS FOR BITS"));

    // The journal has every event, one JSON object per line.
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    let events: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.first().unwrap()["event"], "run_started");
    assert_eq!(events.last().unwrap()["event"], "run_finished");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "case_finished")
            .count(),
        cases.len()
    );

    // No secret anywhere, inside the zips included.
    for f in &files {
        scan_for_secrets(f, &std::fs::read(dir.join(f)).unwrap());
    }

    // The input workbook was not touched.
    let input =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/integrasjonstest-ajourhold-otp.xlsx");
    let sha = dsop_harness::fsutil::sha256_file(&input).unwrap();
    assert_eq!(r["workbook"]["sha256"], sha);
}

#[test]
fn validate_lists_the_cases() {
    let out = bin().args(["validate"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in [
        "MP-01", "TPA-01", "IMS-01", "INN-01", "INN-04", "AAR-01", "AAR-05", "SEC-01",
    ] {
        assert!(stdout.contains(id), "{id} not listed:\n{stdout}");
    }
}

#[test]
fn a_file_that_is_not_an_xlsx_is_a_one_line_error() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("notes.xlsx");
    std::fs::write(&f, "this is not a spreadsheet\n").unwrap();
    let out = bin()
        .args(["validate", "--workbook"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("notes.xlsx"), "{stderr}");
    // `run` refuses it the same way, before calling anything.
    let out = bin()
        .args(["run", "--reports"])
        .arg(tmp.path().join("r"))
        .arg("--workbook")
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !tmp.path().join("r").exists(),
        "no run folder for a refused input"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = bin().args(["run", "--env", "tt02"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["run", "--today", "26.11.2026"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["run", "--only", "NO-SUCH-CASE"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NO-SUCH-CASE"));
    let out = bin().args(["run", "--env", "prod"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn report_renders_every_report_again_from_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let out = bin()
        .args([
            "run",
            "--today",
            "2026-11-26",
            "--only",
            "TPA-01,IMS-01,INN-04",
            "--reports",
        ])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dir = run_dir(&reports);
    let before: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    for f in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".docx") || name.ends_with(".xlsx") || name.ends_with(".html") {
            std::fs::remove_file(f).unwrap();
        }
    }
    let out = bin()
        .args(["report"])
        .arg(&dir)
        .args(["--lang", "en"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The reports go to a new folder that names the run; the run's own files are never overwritten.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = PathBuf::from(
        stdout
            .lines()
            .next()
            .expect("report prints the files it wrote"),
    );
    let rendered = first.parent().unwrap().to_path_buf();
    assert_ne!(rendered, dir);
    let run_name = dir.file_name().unwrap().to_str().unwrap();
    assert!(
        rendered
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(run_name),
        "{rendered:?}"
    );
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(kept, before, "the run's results.json is untouched");
    let files: Vec<String> = std::fs::read_dir(&rendered)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(files.iter().any(|f| f.ends_with(".docx")), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("_utfylt.xlsx")),
        "{files:?}"
    );
    assert!(files.iter().any(|f| f == "rapport.html"), "{files:?}");
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rendered.join("results.json")).unwrap()).unwrap();
    let statuses = |r: &serde_json::Value| -> Vec<(String, String)> {
        r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        statuses(&before),
        statuses(&after),
        "the verdicts come back from the journal unchanged"
    );
}
