//! The `doctor` and `init` subcommands through the binary: exit codes 0 / 1 / 2. Nothing reaches the internet
//! (`--env sim`, or only the config and certificate groups).

use std::process::Command;

fn run(args: &[&str], cwd: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dsop-harness"))
        .args(args)
        .current_dir(cwd)
        .env_remove("DSOP_ENV")
        .output()
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn doctor_sim_passes_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["doctor", "--env", "sim", "--lang", "en"], dir.path());
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Check") && out.contains("What to do") && out.contains("passed"),
        "{out}"
    );
    let (code, out, _) = run(&["doctor", "--env", "sim", "--format", "json"], dir.path());
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["checks"].as_array().unwrap().len() > 10);
}

#[test]
fn doctor_missing_config_fails_with_1() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        &[
            "doctor",
            "--env",
            "test",
            "--config",
            "nope.toml",
            "--only",
            "config,certificate",
        ],
        dir.path(),
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("nope.toml"), "{out}");
}

#[test]
fn doctor_usage_error_is_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(&["doctor", "--bogus"], dir.path()).0, 2);
    assert_eq!(run(&["doctor", "--only", "everything"], dir.path()).0, 2);
    assert_eq!(run(&["doctor", "--env", "staging"], dir.path()).0, 2);
}

#[test]
fn init_writes_then_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["init"], dir.path());
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(dir.path().join("dsop-harness.toml").exists());
    assert!(dir
        .path()
        .join("integrasjonstest-ajourhold-otp.xlsx")
        .exists());
    let (code, _, err) = run(&["init"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(run(&["init", "--force"], dir.path()).0, 0);
}
