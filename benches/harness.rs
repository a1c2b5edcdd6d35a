//! What the harness adds to the calls it makes (issue 17). `cargo bench --bench harness` builds the binary
//! with the release profile, runs it as a user would and prints one table; the same figures go to
//! `target/bench/harness.json` (or `$DSOP_BENCH_OUT`) so commits can be compared.
//!
//! 1. The bundled suite with every report (embedded simulator): wall, and the start-up share (process start
//!    to the first `case_started`). When `hurl` is on PATH: the same requests (a Hurl file generated from
//!    the plan by `run::hurl`) sent by Hurl against a `simulate` process, and our wall / Hurl's wall.
//! 2. 1,000 and 10,000 generated read cases (IMS-01 copies) against a `simulate` process: the whole run, its
//!    cases phase (first `case_started` to the last event before `run_finished`), peak RSS, and a bare
//!    reqwest loop (the same requests taken from the simulator's log, the same concurrency, no checks, no
//!    journal) as the floor.
//! 3. The bundled suite plus 10 copies of a read case per Skatteetaten API, with 200 ms latency on every API
//!    answer (`--switch latency_ms=200`), `--jobs 16`: the peak of concurrent calls per API
//!    (`GET /_sim/in-flight`) and the wall next to W_ideal = max(longest chain of calls the schedule must
//!    keep in sequence × latency, max over Skatteetaten APIs of calls × latency / 5); the bundled suite alone
//!    as an info line.
//! 4. The rehearsal in real time (`dsop-harness rehearse`, the bundled suite with 120 s tokens, 60 s expiry
//!    tolerance and 200 ms latency; 3 s and 1 s with `--quick`): its wall next to the physical minimum
//!    T_min = token lifetime + tolerance + the harness's 2 s margin + 3 × latency.
//!
//! Optional arguments: `--quick` (100 and 1,000 cases, for a smoke run); `--rows 1,3` (only these rows; the
//! JSON's other parts are `null`).

use dsop_harness::bootstrap;
use dsop_harness::events::journal;
use dsop_harness::events::Event;
use dsop_harness::model::Api;
use dsop_harness::run::plan::{self, PlanOptions};
use dsop_harness::run::schedule::Footprint;
use dsop_harness::workbook::{self, generate, source};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dsop-harness");
const LATENCY_MS: u64 = 200;
const JOBS: usize = 4;
const BUNDLED_ROUNDS: usize = 3;
/// `cargo bench` measures the release build; `cargo test --bench harness` runs the same code on the debug
/// build (a smoke run: its figures are not the ones to compare).
const PROFILE: &str = if cfg!(debug_assertions) {
    "debug build: a smoke run, not comparable"
} else {
    "release build"
};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bundled_workbook() -> PathBuf {
    manifest()
        .join("testcases")
        .join("integrasjonstest-ajourhold-otp.xlsx")
}

/// A workbook of `n` read cases: IMS-01 (its prerequisite dropped, so every copy runs) with the bundled
/// test data.
fn generated_workbook(dir: &Path, n: usize) -> PathBuf {
    let mut src = source::load_source(&manifest().join("testcases").join(generate::SOURCE_FILE))
        .expect("the bundled source reads");
    let template = src
        .cases
        .iter()
        .find(|c| c.id == "IMS-01")
        .cloned()
        .expect("IMS-01 in the source");
    src.cases = (1..=n)
        .map(|i| {
            let mut c = template.clone();
            c.id = format!("GEN-{i:05}");
            c.bundled = true;
            c.forutsetninger = String::new();
            c
        })
        .collect();
    let path = dir.join(format!("generated-{n}.xlsx"));
    std::fs::write(
        &path,
        generate::build_bytes(&src).expect("the workbook builds"),
    )
    .expect("the temp dir is writable");
    path
}

/// Peak resident set of a running process, polled from /proc (Linux; 0 elsewhere).
fn watch_rss(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut peak = 0u64;
        loop {
            let Ok(s) = std::fs::read_to_string(&path) else {
                return peak;
            };
            let kb = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok());
            match kb {
                Some(kb) => peak = peak.max(kb),
                // A zombie has no memory lines any more: the process has ended.
                None => return peak,
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    })
}

/// One `dsop-harness run`: its wall, peak RSS (kB) and run folder.
struct RunOut {
    wall: Duration,
    spawned: chrono::DateTime<chrono::Utc>,
    rss_kb: u64,
    dir: PathBuf,
}

fn run_harness(reports: &Path, args: &[&str]) -> RunOut {
    let _ = std::fs::remove_dir_all(reports);
    let spawned = chrono::Utc::now();
    let t = Instant::now();
    let child = Command::new(BIN)
        .arg("run")
        .arg("--reports")
        .arg(reports)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness binary starts");
    let rss = watch_rss(child.id());
    let out = child.wait_with_output().expect("the harness ends");
    let wall = t.elapsed();
    let rss_kb = rss.join().unwrap_or(0);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1) | Some(3)),
        "dsop-harness run {args:?} failed ({code:?}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = std::fs::read_dir(reports)
        .expect("the reports folder exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.is_dir() && p.join(journal::JOURNAL).exists())
        .expect("a run folder with a journal");
    RunOut {
        wall,
        spawned,
        rss_kb,
        dir,
    }
}

fn events(dir: &Path) -> Vec<Event> {
    journal::read(&dir.join(journal::JOURNAL))
        .expect("the journal reads")
        .events
}

fn at(e: &Event) -> Option<chrono::DateTime<chrono::Utc>> {
    match e {
        Event::RunStarted { at, .. }
        | Event::RunResumed { at, .. }
        | Event::CaseStarted { at, .. }
        | Event::AttemptStarted { at, .. }
        | Event::AttemptFinished { at, .. }
        | Event::RunFinished { at, .. } => Some(*at),
        Event::CaseFinished { result } => result.finished,
    }
}

/// Where a run's wall went, from the journal's timestamps and the process's start and end.
#[derive(Clone, Copy)]
struct Phases {
    /// Process start to the first case: `read` (to the run folder: reading the workbook, the plan) and
    /// `setup` (the run folder to the first case: keys, certificate, simulator, HTTP client).
    startup: Duration,
    read: Duration,
    setup: Duration,
    /// The first `case_started` to the last case's end.
    cases: Duration,
    /// The last case's end to the process's end: the reports.
    reports: Duration,
}

fn phases(out: &RunOut) -> Phases {
    let ev = events(&out.dir);
    let started = ev
        .iter()
        .find_map(|e| match e {
            Event::RunStarted { at, .. } => Some(*at),
            _ => None,
        })
        .expect("the run started");
    let first = ev
        .iter()
        .find_map(|e| match e {
            Event::CaseStarted { at, .. } => Some(*at),
            _ => None,
        })
        .expect("a case started");
    let last = ev
        .iter()
        .filter(|e| !matches!(e, Event::RunFinished { .. }))
        .filter_map(at)
        .max()
        .expect("events");
    let d = |a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>| {
        (b - a).to_std().unwrap_or_default()
    };
    Phases {
        startup: d(out.spawned, first),
        read: d(out.spawned, started),
        setup: d(started, first),
        cases: d(first, last),
        reports: out.wall.saturating_sub(d(out.spawned, last)),
    }
}

fn split(p: &Phases) -> String {
    format!(
        "read {:.3} s, set-up {:.3} s, cases {:.3} s, reports {:.3} s",
        p.read.as_secs_f64(),
        p.setup.as_secs_f64(),
        p.cases.as_secs_f64(),
        p.reports.as_secs_f64()
    )
}

fn phases_json(p: &Phases) -> Value {
    json!({
        "read_s": secs(p.read),
        "setup_s": secs(p.setup),
        "cases_s": secs(p.cases),
        "reports_s": secs(p.reports),
    })
}

/// A `dsop-harness simulate` process on a free port; killed on drop.
struct Sim {
    child: Child,
    url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn simulate(switches: &[&str]) -> Sim {
    let mut cmd = Command::new(BIN);
    cmd.args(["simulate", "--port", "0"]);
    for s in switches {
        cmd.args(["--switch", s]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("simulate prints its URLs")
            .expect("utf-8");
        if let Some(rest) = line.trim().strip_prefix("maskinporten issuer") {
            let u = rest.trim();
            let host_end = u["http://".len()..]
                .find('/')
                .map(|i| i + "http://".len())
                .unwrap_or(u.len());
            break u[..host_end].to_string();
        }
    };
    // Keep draining its stdout so it never blocks.
    std::thread::spawn(move || for _ in lines {});
    Sim { child, url }
}

/// The floor: the requests the simulator logged for `api_prefix`, sent again by a plain reqwest loop with
/// `jobs` in flight, one token, no checks, no journal.
fn bare_loop(
    rt: &tokio::runtime::Runtime,
    sim: &Sim,
    path_prefix: &str,
    jobs: usize,
) -> (usize, Duration) {
    rt.block_on(async {
        let http = client();
        let log: Vec<Value> = http
            .get(format!("{}/_sim/log", sim.url))
            .send()
            .await
            .expect("the log answers")
            .json()
            .await
            .expect("the log is JSON");
        let paths: Vec<String> = log
            .iter()
            .filter(|r| r["method"] == "GET")
            .filter_map(|r| r["path"].as_str())
            .filter(|p| p.starts_with(path_prefix))
            .map(|p| p.to_string())
            .collect();
        let mp = sim_maskinporten(&http, sim).await;
        let token = mp
            .token(Api::Inntektsmottakere.scope().expect("a scope"))
            .await
            .expect("a token")
            .expose()
            .clone();
        let bearer = format!("Bearer {token}");
        let t = Instant::now();
        let n = paths.len();
        futures_util::stream::iter(paths.into_iter().enumerate())
            .map(|(i, p)| {
                let http = http.clone();
                let url = format!("{}{p}", sim.url);
                let bearer = bearer.clone();
                async move {
                    let r = http
                        .get(url)
                        .header("Authorization", bearer)
                        .header("Korrelasjonsid", format!("bench-{i}"))
                        .header("Accept", "application/json")
                        .send()
                        .await
                        .expect("the simulator answers");
                    let _ = r.bytes().await;
                }
            })
            .buffer_unordered(jobs)
            .collect::<Vec<()>>()
            .await;
        (n, t.elapsed())
    })
}

/// Row 1's comparison: Hurl sending the bundled plan's requests.
struct HurlRounds {
    version: String,
    /// The median wall of `hurl` (process start to end) over `BUNDLED_ROUNDS` rounds.
    wall: Duration,
    entries: usize,
    /// Hurl's exit code of the median round (4: a status differed from the plan's expectation).
    exit: Option<i32>,
}

/// The bundled plan as a Hurl file (`run::hurl`), sent by `hurl --test --continue-on-error` against a
/// fresh `simulate` process per round, with tokens the benchmark gets from that simulator first (not in
/// Hurl's wall). Err with the reason when Hurl cannot be compared.
fn hurl_rounds(rt: &tokio::runtime::Runtime, dir: &Path) -> Result<HurlRounds, String> {
    let version = Command::new("hurl")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .ok_or("hurl is not on PATH")?;
    let version = String::from_utf8_lossy(&version.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap_or("?")
        .to_string();
    let wb = workbook::read(&bundled_workbook()).map_err(|e| e.to_string())?;
    let plan = plan::build(&wb, &PlanOptions::default())
        .map_err(|_| "the bundled plan does not build".to_string())?;
    let mut rounds = Vec::new();
    for round in 0..BUNDLED_ROUNDS {
        let sim = simulate(&[]);
        let ep = dsop_harness::sim::SimUrls::new(&sim.url).endpoints();
        let file = dsop_harness::run::hurl::generate(&plan, &ep)?;
        let path = dir.join(format!("bundled-{round}.hurl"));
        std::fs::write(&path, &file.text).map_err(|e| e.to_string())?;
        let tokens = sim_tokens(rt, &sim, &file.variables);
        let mut cmd = Command::new("hurl");
        cmd.args(["--test", "--continue-on-error"]);
        for (name, value) in &tokens {
            cmd.arg("--variable").arg(format!("{name}={value}"));
        }
        cmd.arg(&path).stdout(Stdio::null()).stderr(Stdio::null());
        let t = Instant::now();
        let status = cmd
            .status()
            .map_err(|e| format!("hurl does not start: {e}"))?;
        let wall = t.elapsed();
        if !matches!(status.code(), Some(0) | Some(4)) {
            return Err(format!(
                "hurl failed (exit {:?}) on {}",
                status.code(),
                path.display()
            ));
        }
        rounds.push((wall, file.entries, status.code()));
    }
    rounds.sort_by_key(|r| r.0);
    let (wall, entries, exit) = rounds[rounds.len() / 2];
    Ok(HurlRounds {
        version,
        wall,
        entries,
        exit,
    })
}

/// A value for each token variable of a Hurl file: a token from the simulator for its scope (the client
/// registered as the bare loop's); a string that is no token for `expired_token` (the simulator answers
/// it 401, as it answers an expired one).
fn sim_tokens(
    rt: &tokio::runtime::Runtime,
    sim: &Sim,
    variables: &BTreeMap<String, Option<String>>,
) -> Vec<(String, String)> {
    rt.block_on(async {
        let mp = sim_maskinporten(&client(), sim).await;
        let mut out = Vec::new();
        for (name, scope) in variables {
            let value = match scope {
                Some(s) => mp.token(s).await.expect("a token").expose().clone(),
                None => "expired".to_string(),
            };
            out.push((name.clone(), value));
        }
        out
    })
}

/// A Maskinporten client of a synthetic institution, registered with the `simulate` process `sim`.
async fn sim_maskinporten(
    http: &reqwest::Client,
    sim: &Sim,
) -> dsop_harness::auth::MaskinportenClient {
    let today = chrono::Utc::now().date_naive();
    let id = bootstrap::sim_identity(today, bootstrap::SIM_INSTITUTION_ORGNR, "Bench")
        .expect("a synthetic identity");
    bootstrap::ExternalSim::new(http, &sim.url)
        .register(&id)
        .await
        .expect("the client registers");
    bootstrap::sim_maskinporten(
        http.clone(),
        &dsop_harness::sim::SimUrls::new(&sim.url),
        id.cert,
    )
}

/// The harness's HTTP client set-up (it installs the TLS crypto provider reqwest needs), nothing else.
fn client() -> reqwest::Client {
    dsop_harness::apis::http_client(Duration::from_secs(10)).expect("an HTTP client")
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

fn api_of(step_api: Api) -> Option<&'static str> {
    match step_api {
        Api::Inntekt => Some("inntekt"),
        Api::Inntektsmottakere => Some("inntektsmottakere"),
        Api::Tjenestepensjonsavtale => Some("tjenestepensjonsavtale"),
        Api::AaregOtp => Some("aareg"),
        _ => None,
    }
}

/// Read cases copied per Skatteetaten API into row 3's workbook, so that each API can have 5 calls in flight
/// (the bundled suite alone cannot: its Tjenestepensjonsavtale calls are mostly writes).
const READS_PER_API: usize = 10;
/// The read cases copied: one per Skatteetaten API.
const READ_TEMPLATES: [&str; 3] = ["INN-01", "IMS-01", "TPA-05"];

/// Row 3's workbook: the bundled cases, then `READS_PER_API` copies of a read case per Skatteetaten API,
/// interleaved (INN, IMS, TPA, INN, ...).
fn latency_workbook(dir: &Path) -> PathBuf {
    let mut src = source::load_source(&manifest().join("testcases").join(generate::SOURCE_FILE))
        .expect("the bundled source reads");
    let templates: Vec<_> = READ_TEMPLATES
        .iter()
        .map(|id| {
            src.cases
                .iter()
                .find(|c| c.id == *id)
                .cloned()
                .expect("the template case is in the source")
        })
        .collect();
    for i in 1..=READS_PER_API {
        for t in &templates {
            let mut c = t.clone();
            c.id = format!("{}-R{i:02}", t.id);
            c.bundled = true;
            src.cases.push(c);
        }
    }
    let path = dir.join("latency-reads.xlsx");
    std::fs::write(
        &path,
        generate::build_bytes(&src).expect("the workbook builds"),
    )
    .expect("the temp dir is writable");
    path
}

/// W_ideal's parts for the plan of `wb`, from the calls the run made (journal attempts answered no faster
/// than the latency, MP-01's token requests among them; calls refused before the latency, and the token
/// cache's own requests, which the journal does not show, left out): the longest chain of calls the schedule must keep in sequence, and the calls per API. The chain: a
/// case's calls one after another, after its prerequisite, and after every earlier case it conflicts with
/// (`Footprint::conflicts`, with the simulator's clock knob: a case that moves the clock after all).
fn ideal(wb: &Path, ev: &[Event]) -> Ideal {
    let wb = workbook::read(wb).expect("the workbook reads");
    let plan = plan::build(&wb, &PlanOptions::default()).expect("the plan builds");
    let mut calls: HashMap<&str, usize> = HashMap::new();
    let mut per_api: BTreeMap<&'static str, usize> = BTreeMap::new();
    for e in ev {
        // An answer faster than the latency did not carry it (a call refused before the latency: no token).
        let Event::AttemptFinished {
            case_id,
            step,
            duration_ms,
            ..
        } = e
        else {
            continue;
        };
        let Some(case) = plan.cases.iter().find(|c| &c.id == case_id) else {
            continue;
        };
        let Some(s) = case.steps.iter().find(|s| s.step == *step) else {
            continue;
        };
        if *duration_ms < LATENCY_MS {
            continue;
        }
        *calls.entry(case.id.as_str()).or_default() += 1;
        if let Some(api) = api_of(s.api) {
            *per_api.entry(api).or_default() += 1;
        }
    }
    let mut own: HashMap<&str, f64> = HashMap::new();
    for e in ev {
        match e {
            Event::CaseStarted { case_id, at } => {
                own.insert(case_id.as_str(), -(at.timestamp_micros() as f64) / 1e6);
            }
            Event::CaseFinished { result } => {
                if let (Some(s), Some(f)) = (own.get_mut(result.id.as_str()), result.finished) {
                    *s += f.timestamp_micros() as f64 / 1e6;
                }
            }
            _ => {}
        }
    }
    let by_calls = |id: &str| calls.get(id).copied().unwrap_or(0) as f64;
    let by_own = |id: &str| own.get(id).copied().unwrap_or(0.0).max(0.0);
    Ideal {
        chain: longest_chain(&plan, by_calls).round() as usize,
        chain_own_s: longest_chain(&plan, by_own),
        per_api,
    }
}

/// W_ideal's parts: the longest chain in calls, the same chain by the cases' own durations (case start to
/// end: their calls plus the token cache's requests and the harness's own time), the calls per API.
struct Ideal {
    chain: usize,
    chain_own_s: f64,
    per_api: BTreeMap<&'static str, usize>,
}

/// The longest chain of `plan` with unlimited slots: each case after its prerequisite and after every
/// earlier case it conflicts with (`Footprint::conflicts`, the simulator's clock knob on), taking `weight`.
fn longest_chain(plan: &plan::Plan, weight: impl Fn(&str) -> f64) -> f64 {
    let feet: Vec<Footprint> = plan.cases.iter().map(|c| Footprint::of(c, true)).collect();
    let mut end: Vec<f64> = Vec::with_capacity(plan.cases.len());
    for (i, c) in plan.cases.iter().enumerate() {
        let dep = c
            .depends_on
            .as_deref()
            .and_then(|d| plan.cases[..i].iter().position(|p| p.id == d))
            .map_or(0.0, |j| end[j]);
        let after = (0..i)
            .filter(|&j| feet[j].conflicts(&feet[i], true))
            .map(|j| end[j])
            .fold(0.0, f64::max);
        end.push(dep.max(after) + weight(c.id.as_str()));
    }
    end.into_iter().fold(0.0, f64::max)
}

/// Row 3 on one workbook: 200 ms latency, `--jobs 16`.
struct Latency {
    wall: Duration,
    peaks: BTreeMap<String, u64>,
    chain: usize,
    chain_own_s: f64,
    per_api: BTreeMap<&'static str, usize>,
    busiest: usize,
    w_ideal: f64,
}

fn latency_run(rt: &tokio::runtime::Runtime, reports: &Path, wb: &Path) -> Latency {
    let sim = simulate(&[&format!("latency_ms={LATENCY_MS}")]);
    let out = run_harness(
        reports,
        &[
            "--workbook",
            wb.to_str().expect("utf-8 path"),
            "--sim-url",
            &sim.url,
            "--jobs",
            "16",
        ],
    );
    let in_flight: Vec<Value> = rt.block_on(async {
        client()
            .get(format!("{}/_sim/in-flight", sim.url))
            .send()
            .await
            .expect("in-flight answers")
            .json()
            .await
            .expect("in-flight is JSON")
    });
    drop(sim);
    let mut peaks: BTreeMap<String, u64> = BTreeMap::new();
    for r in &in_flight {
        let api = r["api"].as_str().unwrap_or("?").to_string();
        let max = r["max"].as_u64().unwrap_or(0);
        let e = peaks.entry(api).or_default();
        *e = (*e).max(max);
    }
    let Ideal {
        chain,
        chain_own_s,
        per_api,
    } = ideal(wb, &events(&out.dir));
    let lat = LATENCY_MS as f64 / 1000.0;
    let busiest = per_api
        .iter()
        .filter(|(a, _)| **a != "aareg")
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    let w_ideal = (chain as f64 * lat).max(busiest as f64 * lat / 5.0);
    Latency {
        wall: out.wall,
        peaks,
        chain,
        chain_own_s,
        per_api,
        busiest,
        w_ideal,
    }
}

impl Latency {
    fn peaks_text(&self) -> String {
        self.peaks
            .iter()
            .map(|(a, m)| format!("{a} {m}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn wall_text(&self) -> String {
        format!(
            "{:.2} s ({:.2}x W_ideal {:.2} s; chain {} calls, by the cases' own durations {:.2} s; \
             busiest API {} calls)",
            self.wall.as_secs_f64(),
            self.wall.as_secs_f64() / self.w_ideal,
            self.w_ideal,
            self.chain,
            self.chain_own_s,
            self.busiest
        )
    }

    fn json(&self) -> Value {
        json!({
            "wall_s": secs(self.wall),
            "peak_in_flight": self.peaks,
            "calls_per_api": self.per_api,
            "longest_chain_calls": self.chain,
            "longest_chain_own_s": (self.chain_own_s * 1000.0).round() / 1000.0,
            "w_ideal_s": (self.w_ideal * 1000.0).round() / 1000.0,
            "wall_over_ideal": ((self.wall.as_secs_f64() / self.w_ideal) * 100.0).round() / 100.0,
        })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<Vec<u8>> = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect());
    let want = |r: u8| only.as_ref().is_none_or(|o| o.contains(&r));
    let sizes: [usize; 2] = if quick { [100, 1_000] } else { [1_000, 10_000] };
    let tmp = tempfile::tempdir().expect("a temp dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut row = |what: &str, value: String, goal: &str| {
        rows.push((what.to_string(), value, goal.to_string()));
    };

    // 1. The bundled suite, every report, embedded simulator.
    let bundled_json = want(1).then(|| {
    let mut rounds = Vec::new();
    for _ in 0..BUNDLED_ROUNDS {
        let out = run_harness(&tmp.path().join("bundled"), &[]);
        rounds.push((out.wall, phases(&out)));
    }
    rounds.sort_by_key(|r| r.0);
    let (b_wall, b_phases) = rounds[rounds.len() / 2];
    let b_start = b_phases.startup;
    row(
        "1 bundled suite, all reports: wall",
        format!("{:.3} s", b_wall.as_secs_f64()),
        "<= 0.3 s",
    );
    row(
        "1 bundled suite: start-up (to first case)",
        format!(
            "{:.3} s ({:.0}%)",
            b_start.as_secs_f64(),
            100.0 * b_start.as_secs_f64() / b_wall.as_secs_f64()
        ),
        "<= 0.1 s",
    );
    row("1 bundled suite: where the wall went", split(&b_phases), "");
    let (hurl_note, hurl_json) = match hurl_rounds(&rt, tmp.path()) {
        Err(why) => (format!("skipped: {why}"), json!({ "skipped": why })),
        Ok(h) => (
            format!(
                "{:.2}x ({:.3} s ours / {:.3} s hurl {}, {} requests, exit {})",
                b_wall.as_secs_f64() / h.wall.as_secs_f64(),
                b_wall.as_secs_f64(),
                h.wall.as_secs_f64(),
                h.version,
                h.entries,
                h.exit.map_or("?".to_string(), |c| c.to_string())
            ),
            json!({
                "version": h.version,
                "wall_s": secs(h.wall),
                "requests": h.entries,
                "exit": h.exit,
                "ours_over_hurl": ((b_wall.as_secs_f64() / h.wall.as_secs_f64()) * 100.0).round() / 100.0,
            }),
        ),
    };
    row("1 bundled suite: ratio to Hurl", hurl_note, "");
    json!({
            "rounds": BUNDLED_ROUNDS,
            "wall_s": secs(b_wall),
            "startup_s": secs(b_start),
            "phases": phases_json(&b_phases),
            "startup_share": ((b_start.as_secs_f64() / b_wall.as_secs_f64()) * 100.0).round() / 100.0,
            "hurl": hurl_json,
    })
    });

    // 2. Generated read cases against a simulate process, and the bare loop against the same process.
    let mut scale = Vec::new();
    let mut growth = None;
    for &n in sizes.iter().filter(|_| want(2)) {
        let wb = generated_workbook(tmp.path(), n);
        let sim = simulate(&[]);
        let jobs = JOBS.to_string();
        let out = run_harness(
            &tmp.path().join(format!("gen-{n}")),
            &[
                "--workbook",
                wb.to_str().expect("utf-8 temp path"),
                "--sim-url",
                &sim.url,
                "--jobs",
                &jobs,
            ],
        );
        let ph = phases(&out);
        let cases = ph.cases;
        let (sent, bare) = bare_loop(&rt, &sim, "/inntektsmottakere", JOBS);
        drop(sim);
        let r_cases = cases.as_secs_f64() / bare.as_secs_f64();
        let r_whole = out.wall.as_secs_f64() / bare.as_secs_f64();
        row(
            &format!("2 {n} cases: whole run"),
            format!("{:.3} s ({r_whole:.2}x bare)", out.wall.as_secs_f64()),
            "<= 2.5x bare",
        );
        row(
            &format!("2 {n} cases: cases phase"),
            format!("{:.3} s ({r_cases:.2}x bare)", cases.as_secs_f64()),
            "<= 1.5x bare",
        );
        row(&format!("2 {n} cases: where the wall went"), split(&ph), "");
        row(
            &format!("2 {n} cases: bare reqwest loop"),
            format!("{:.3} s ({sent} requests)", bare.as_secs_f64()),
            "",
        );
        row(
            &format!("2 {n} cases: peak RSS"),
            format!("{:.0} MB", out.rss_kb as f64 / 1024.0),
            "<= 150 MB",
        );
        scale.push(json!({
            "cases": n,
            "jobs": JOBS,
            "whole_s": secs(out.wall),
            "startup_s": secs(ph.startup),
            "phases": phases_json(&ph),
            "cases_phase_s": secs(cases),
            "bare_s": secs(bare),
            "bare_requests": sent,
            "cases_over_bare": (r_cases * 100.0).round() / 100.0,
            "whole_over_bare": (r_whole * 100.0).round() / 100.0,
            "peak_rss_mb": (out.rss_kb as f64 / 1024.0).round(),
        }));
    }
    if want(2) {
        let t = |i: usize| scale[i]["whole_s"].as_f64().unwrap_or(0.0);
        let g = t(1) / t(0);
        growth = Some((g * 100.0).round() / 100.0);
        row(
            &format!("2 time({}) / time({})", sizes[1], sizes[0]),
            format!("{g:.2}"),
            "<= 10",
        );
    }

    // 3. 200 ms latency, --jobs 16: the bundled suite plus read copies per Skatteetaten API; the bundled
    // suite alone as an info line.
    let latency_json = want(3).then(|| {
        let lat_wb = latency_workbook(tmp.path());
        let lat = latency_run(&rt, &tmp.path().join("latency"), &lat_wb);
        let lat_bundled = latency_run(&rt, &tmp.path().join("latency-b"), &bundled_workbook());
        let with_reads = format!("bundled + {READS_PER_API} reads per API");
        row(
            &format!("3 latency 200 ms ({with_reads}): peak per API"),
            lat.peaks_text(),
            "exactly 5",
        );
        row(
            &format!("3 latency 200 ms ({with_reads}): wall"),
            lat.wall_text(),
            "<= 1.1x W_ideal",
        );
        row(
            "3 latency 200 ms (bundled only): peak per API",
            lat_bundled.peaks_text(),
            "",
        );
        row(
            "3 latency 200 ms (bundled only): wall",
            lat_bundled.wall_text(),
            "",
        );
        json!({
                "latency_ms": LATENCY_MS,
                "jobs": 16,
                "reads_per_api": READS_PER_API,
                "with_reads": lat.json(),
                "bundled_only": lat_bundled.json(),
        })
    });

    // 4. The rehearsal in real time: SEC-01 waits once past exp + tolerance, everything else runs beside it.
    let rehearsal_json = want(4).then(|| {
    let (lifetime, tolerance) = if quick { (3u64, 1u64) } else { (120, 60) };
    let rdir = tmp.path().join("rehearsal");
    std::fs::create_dir_all(&rdir).expect("a rehearsal folder");
    std::fs::write(
        rdir.join("dsop-harness.toml"),
        format!(
            "[profile.test]\nexpiry_tolerance_secs = {tolerance}\nnav_expiry_tolerance_secs = {tolerance}\n"
        ),
    )
    .expect("the rehearsal's configuration");
    let t0 = Instant::now();
    let status = Command::new(BIN)
        .current_dir(&rdir)
        .args(["rehearse", "--token-lifetime", &lifetime.to_string()])
        .args(["--tolerance", &tolerance.to_string()])
        .args(["--latency-ms", &LATENCY_MS.to_string()])
        .arg("--workbook")
        .arg(bundled_workbook())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("rehearse runs");
    let r_wall = t0.elapsed().as_secs_f64();
    let t_min = (lifetime + tolerance) as f64 + 2.0 + 3.0 * LATENCY_MS as f64 / 1000.0;
    row(
        "4 rehearsal: real-time wall vs T_min",
        format!(
            "{r_wall:.1} s ({:.2}x T_min {t_min:.1} s; {lifetime} s tokens, {tolerance} s tolerance, \
             {LATENCY_MS} ms latency; exit {})",
            r_wall / t_min,
            status.code().unwrap_or(-1)
        ),
        "<= 1.1x T_min",
    );
    json!({
            "token_lifetime_s": lifetime,
            "tolerance_s": tolerance,
            "latency_ms": LATENCY_MS,
            "wall_s": (r_wall * 1000.0).round() / 1000.0,
            "t_min_s": t_min,
            "wall_over_t_min": ((r_wall / t_min) * 100.0).round() / 100.0,
            "exit": status.code(),
    })
    });

    // The table.
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    println!(
        "dsop-harness benchmark ({} cores, {PROFILE})",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for (a, b, c) in &rows {
        println!(
            "  {a:<w0$}  {b:<w1$}  {}",
            if c.is_empty() { "" } else { c }
        );
    }

    let report = json!({
        "harness_version": dsop_harness::VERSION,
        "profile": PROFILE,
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "bundled": bundled_json,
        "scale": (!scale.is_empty()).then_some(scale),
        "time_ratio": growth,
        "latency": latency_json,
        "rehearsal": rehearsal_json,
    });
    let out_path = std::env::var_os("DSOP_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| manifest().join("target"));
            target.join("bench").join("harness.json")
        });
    if let Some(p) = out_path.parent() {
        std::fs::create_dir_all(p).expect("the output folder can be made");
    }
    std::fs::write(
        &out_path,
        serde_json::to_string_pretty(&report).expect("JSON") + "\n",
    )
    .expect("the JSON can be written");
    println!("  (figures as JSON: {})", out_path.display());
}
