//! Shared by the black-box tests that drive the binary: the command, a simulator started as its own
//! process, and a small JSON GET.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The binary, run from the repository root with colours off.
pub fn harness() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dsop-harness"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

/// Run `cmd` to its end: its exit code (-1 when killed by a signal) and its stdout and stderr as one text.
pub fn code_and_text(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Kills the process when dropped (a simulator must not outlive a failed test).
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `dsop-harness simulate --port 0 --today 2026-11-26 <extra>` and return it with its base URL.
/// Its output is drained for as long as it runs (a closed pipe would end it).
pub fn start_simulator(extra: &[&str]) -> (KillOnDrop, String) {
    let mut sim = harness()
        .args(["simulate", "--port", "0", "--today", "2026-11-26"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = sim.stdout.take().unwrap();
    let sim = KillOnDrop(sim);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("maskinporten issuer") {
                let base = url
                    .trim()
                    .trim_end_matches('/')
                    .trim_end_matches("/maskinporten");
                let _ = tx.send(base.to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the simulator printed its URLs");
    (sim, base)
}

/// GET a JSON document (one request on a fresh runtime).
pub fn get_json(url: &str) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = dsop_harness::apis::http_client(Duration::from_secs(5)).unwrap();
        c.get(url).send().await.unwrap().json().await.unwrap()
    })
}

/// The case `id` in a results.json.
pub fn case<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in results.json"))
}

/// Assert the exit code of a finished command, showing its stderr otherwise.
pub fn expect_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
