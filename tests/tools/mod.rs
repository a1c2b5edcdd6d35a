//! The external tools some tests need: LibreOffice (`soffice`), poppler (`pdftotext`), `openssl`, and
//! `python3` with the `cryptography` package. A test that lacks one says so and skips, except under `CI=true`,
//! where a missing tool fails the test (`.ci/run` and the release workflow install them).

#![allow(dead_code)]

use std::path::PathBuf;

/// True in CI (`CI=true`, as GitHub Actions and `.ci/run` set it): a missing tool is then a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether `cmd args` runs here and succeeds.
pub fn have(cmd: &str, args: &[&str]) -> bool {
    std::process::Command::new(cmd)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The program `cmd` on the PATH (with `.exe` on Windows), without running it.
pub fn on_path(cmd: &str) -> Option<PathBuf> {
    let names = [cmd.to_string(), format!("{cmd}.exe")];
    std::env::split_paths(&std::env::var_os("PATH")?)
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
}

fn missing(what: &str, tool: &str) -> bool {
    let msg = format!("{what} needs {tool}, which is not available here (.ci/run installs it)");
    assert!(!in_ci(), "CI=true: {msg}");
    println!("SKIPPED: {msg}");
    eprintln!("SKIPPED: {msg}");
    false
}

/// `cmd` is on the PATH: true; otherwise say why `what` is skipped and return false (fail under `CI=true`).
pub fn require_cmd(cmd: &str, what: &str) -> bool {
    on_path(cmd).is_some() || missing(what, &format!("the `{cmd}` command"))
}

/// `cmd args` runs and succeeds (e.g. `python3 -c "import cryptography"`): true; otherwise say why `what` is
/// skipped and return false (fail under `CI=true`).
pub fn require_run(cmd: &str, args: &[&str], tool: &str, what: &str) -> bool {
    have(cmd, args) || missing(what, tool)
}
