//! A closed stdout (`dsop-harness validate | head -1`) is no panic: the command drops the rest of its output
//! quietly and ends with its own exit code; `run` still writes its reports. The pipe's reading end is closed
//! before the command starts, so every write to stdout fails with EPIPE (Unix).

#![cfg(unix)]

mod common;

use std::process::{Command, Output};

/// `cmd` with stdout a pipe nobody reads: the writing end of `true`'s stdin, taken after `true` has ended
/// (so the reading end is closed everywhere before `cmd` starts).
fn with_closed_stdout(cmd: &mut Command) -> Output {
    let mut reader = Command::new("true")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let writer = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    cmd.stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

fn assert_quiet(what: &str, o: &Output, code: i32) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(!err.contains("Broken pipe"), "{what}: {err}");
    assert_eq!(o.status.code(), Some(code), "{what}: {err}");
}

#[test]
fn validate_doctor_and_init_end_quietly() {
    let o = with_closed_stdout(common::harness().args(["validate", "--today", "2026-11-26"]));
    assert_quiet("validate", &o, 0);
    let o = with_closed_stdout(common::harness().args([
        "validate",
        "--today",
        "2026-11-26",
        "--format",
        "json",
    ]));
    assert_quiet("validate --format json", &o, 0);
    let tmp = tempfile::tempdir().unwrap();
    let o = with_closed_stdout(common::harness().arg("init").arg("--dir").arg(tmp.path()));
    assert_quiet("init", &o, 0);
    assert!(tmp.path().join("dsop-harness.toml").is_file());
    let o = with_closed_stdout(common::harness().args(["doctor", "--env", "sim"]));
    assert_quiet("doctor --env sim", &o, 0);
    let o = with_closed_stdout(common::harness().arg("--help"));
    assert_quiet("--help", &o, 0);
}

#[test]
fn a_run_with_closed_stdout_still_writes_its_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    for format in ["human", "json"] {
        let o = with_closed_stdout(
            common::harness()
                .args(["run", "--today", "2026-11-26", "--only", "MP-01,TPA-01"])
                .args(["--format", format, "--reports"])
                .arg(&reports),
        );
        // Exit 0, as with a readable stdout.
        assert_quiet(&format!("run --format {format}"), &o, 0);
        let results = std::fs::read_to_string(reports.join("latest/results.json")).unwrap();
        assert!(results.contains("\"MP-01\""), "{results}");
    }
}
