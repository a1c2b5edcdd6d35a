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

/// Every member of a zip package (xlsx, docx, bundle), in the package's order: name and bytes.
pub fn zip_members<R: std::io::Read + std::io::Seek>(r: R) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(r).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut v = Vec::new();
            e.read_to_end(&mut v).unwrap();
            (e.name().to_string(), v)
        })
        .collect()
}

/// [`zip_members`] of the file at `path`.
pub fn zip_file_members(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    zip_members(std::fs::File::open(path).unwrap())
}

/// A generated page (`rel`, from the repository root) must be committed as `page` is now; with
/// `DSOP_UPDATE_DOCS` set it is written first. `test` is the `cargo test --test` name that regenerates it.
pub fn assert_page_current(rel: &str, page: &str, test: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("DSOP_UPDATE_DOCS").is_some() {
        std::fs::write(&path, page).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert!(
        committed == page,
        "{rel} is stale: regenerate it with `DSOP_UPDATE_DOCS=1 cargo test --test {test}` and commit it"
    );
}
