//! `cargo install --path .` into a temporary root, then the installed binary, run from another (empty) folder,
//! completes the main job: `dsop-harness run` against the embedded simulator, with the bundled workbook embedded
//! in the binary. Builds into the test's own target directory (`CARGO_TARGET_DIR` or `target/`), so the
//! dependencies already built for the tests are reused.

use std::path::{Path, PathBuf};
use std::process::Command;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Whether cargo set `name` for the running test (not the user): handed on to `cargo install` these would make it
/// rebuild crates whose build scripts watch them (ring watches `CARGO_MANIFEST_DIR` and `OUT_DIR`), and the next `cargo test`
/// rebuild them again.
fn set_for_the_test(name: &str) -> bool {
    [
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
        "CARGO_PRIMARY_",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
        "DSOP_",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

#[test]
fn installed_binary_runs_the_main_job_from_another_folder() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let root = tempfile::tempdir().unwrap();
    let mut install = Command::new(&cargo);
    for (k, _) in std::env::vars_os() {
        if set_for_the_test(&k.to_string_lossy()) {
            install.env_remove(k);
        }
    }
    let out = install
        .args(["install", "--path"])
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(["--debug", "--locked", "--offline", "--quiet", "--root"])
        .arg(root.path())
        .arg("--target-dir")
        .arg(target_dir())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo install failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = root
        .path()
        .join("bin")
        .join(format!("dsop-harness{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.is_file(), "{} was not installed", bin.display());

    // --version names the version and the commit.
    let v = Command::new(&bin).arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&v.stdout).to_string();
    assert!(
        v.contains(env!("CARGO_PKG_VERSION")) && v.contains("commit "),
        "{v}"
    );

    // The main job, from a folder with nothing in it.
    let work = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(&bin);
    cmd.arg("run").current_dir(work.path()).env("NO_COLOR", "1");
    for (k, _) in std::env::vars_os() {
        if set_for_the_test(&k.to_string_lossy()) {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "run failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let reports = work.path().join("reports");
    let runs: Vec<PathBuf> = std::fs::read_dir(&reports)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.to_string_lossy().ends_with("-sim"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    for f in [
        "results.json",
        "junit.xml",
        "rapport.html",
        "Ajourhold_av_OTP_Integrasjonstest_rapport.docx",
        "bundle.zip",
        "journal.jsonl",
        "integrasjonstest-ajourhold-otp_utfylt.xlsx",
    ] {
        assert!(run.join(f).is_file(), "{f} missing in {}", run.display());
    }
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["verdict"], "passed", "{results:#}");
    // The results name the workbook the run read: the embedded one, written beside the reports.
    let wb = results["workbook"]["path"]
        .as_str()
        .unwrap()
        .replace('\\', "/");
    assert_eq!(wb, "reports/bundled/integrasjonstest-ajourhold-otp.xlsx");
    assert!(work.path().join(&wb).is_file());
}
