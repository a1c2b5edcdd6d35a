//! The clap front end: parse, build the options, call the library, map the outcome to an exit code.
//! No logic lives here.

/// Write to stdout like `print!`, without the panic of a closed pipe (`dsop-harness validate | head -1`).
macro_rules! out {
    ($($t:tt)*) => {
        $crate::cli::stdout::write(format_args!($($t)*))
    };
}

/// Write a line to stdout like `println!`, without the panic of a closed pipe.
macro_rules! outln {
    () => {
        $crate::cli::stdout::write(format_args!("\n"))
    };
    ($($t:tt)*) => {
        $crate::cli::stdout::write(format_args!("{}\n", format_args!($($t)*)))
    };
}

pub(crate) mod stdout;
mod terminal;

use clap::{Args, Parser, Subcommand};
use dsop_harness::config::{Config, Env};
use dsop_harness::model::Lang;
use dsop_harness::run::{self, exit, RunOptions, SimOptions};
use std::path::PathBuf;

const TOP_HELP: &str = "Examples:
  dsop-harness init                 a config template and the workbook to fill in
  dsop-harness doctor               check the set-up and say what to fix
  dsop-harness run                  the integration test against the embedded simulator
  dsop-harness run --env test       ... and against the agencies' test environments
  dsop-harness <command> --help     each command's options and examples

Exit codes of run:
  0    every selected case ok
  1    at least one selected case deviated (Avvik)
  2    usage, configuration or input error (nothing was run)
  3    no deviation, but a selected case ended environment_error (Miljøfeil) or not_run
  130  interrupted (Ctrl-C); finished cases are journalled and reported";

/// The bundled workbook in a clone of the repository, relative to the working folder.
pub const BUNDLED_WORKBOOK: &str = "testcases/integrasjonstest-ajourhold-otp.xlsx";

/// `--version`: the version and the commit it was built from (`build.rs`; "unknown" without git).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DSOP_GIT_COMMIT"),
    ")"
);

const RUN_HELP: &str = "Examples:
  dsop-harness run                                  the bundled workbook against the embedded simulator
  dsop-harness run --env test -w arbeidsbok.xlsx    your workbook against the agencies' test environments
  dsop-harness run --only MP-01,INN-04 --lang en    two cases, reports in English
  dsop-harness run --rerun-failed reports/latest    the deviations and environment errors again, in a new folder
  dsop-harness run --dry-run                        show the plan with every input resolved, call nothing
  dsop-harness run --env test --capture             also capture.jsonl, for `dsop-harness fidelity reports/latest`

Exit codes:
  0    every selected case ok
  1    at least one selected case deviated (Avvik)
  2    usage, configuration or input error (nothing was run)
  3    no deviation, but a selected case ended environment_error (Miljøfeil) or not_run
  130  interrupted (Ctrl-C); finished cases are journalled and reported";

const REHEARSE_HELP: &str = "Examples:
  dsop-harness rehearse                             your dsop-harness.toml, every URL at a local simulator
  dsop-harness rehearse --config dsop-harness.toml --ca buypass-test-ca.pem
  dsop-harness rehearse --no-delegation             the vendor's run without the institution's delegation
  dsop-harness rehearse --token-lifetime 3 --tolerance 1 --only SEC-01,MP-02

Exit codes: as run (0, 1, 2, 3, 130); 2 also when the preflight fails. A rehearsal is never evidence: its
reports say so on every page, and verify refuses its bundle without --allow-simulated.";

const VALIDATE_HELP: &str = "Examples:
  dsop-harness validate                             the bundled workbook
  dsop-harness validate -w arbeidsbok.xlsx          your filled-in workbook
  dsop-harness validate -w bits.xlsx --mapping mapping.toml --format json

Exit codes: 0 no error found (warnings allowed), 2 the workbook has errors";

const SIMULATE_HELP: &str = "Examples:
  dsop-harness simulate --port 8099                 a simulator on http://127.0.0.1:8099 until Ctrl-C
  dsop-harness simulate --today 2026-11-26 --faults seed=42,5xx=0.2@inntekt
  dsop-harness simulate --data datasett.toml --state sim-state.json --clients clients.toml

Then, in another terminal: dsop-harness run --sim-url http://127.0.0.1:8099";

const DOCTOR_HELP: &str = "Examples:
  dsop-harness doctor                               every check against the test environments
  dsop-harness doctor --only config,certificate     only the local checks (no network)
  dsop-harness doctor --env sim --format json       the whole chain against the embedded simulator

Exit codes:
  0  every check passed (warnings allowed)
  1  a check failed (a missing or invalid config too)
  2  usage error";

const REPORT_HELP: &str = "Examples:
  dsop-harness report reports/latest                render a run's reports again from its journal
  dsop-harness report reports/latest --lang en --mask-ids
  dsop-harness report reports/20261126T101500Z-test reports/latest -w arbeidsbok.xlsx
                                                    a run and its --rerun-failed run, merged into one report

Exit codes: 0 written, 2 not a run folder or unreadable input";

const VERIFY_HELP: &str = "Examples:
  dsop-harness verify reports/latest/bundle.zip
  dsop-harness verify bundle.zip --format json

Exit codes: 0 the bundle is intact, 1 it is not (a hash, a file or the signature), 2 unreadable";

const INIT_HELP: &str = "Examples:
  dsop-harness init                                 dsop-harness.toml and the workbook in this folder
  dsop-harness init --dir otp-test                  the same in a new folder otp-test
  dsop-harness init --force                         overwrite both

Exit codes: 0 written, 2 a file exists (nothing written) or the folder cannot be written";

#[derive(Parser, Debug)]
#[command(name = "dsop-harness", version = VERSION, about = "Integration test for DSOP «Data for ajourhold av OTP i privat sektor» (onboarding C-4)", after_help = TOP_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the workbook's cases and write every report into a new folder under reports/.
    #[command(after_help = RUN_HELP)]
    Run(Box<RunArgs>),
    /// The --env test run, in real time, with your own configuration, against a local simulator standing in
    /// for the agencies' test environment (docs/rehearse.md).
    #[command(after_help = REHEARSE_HELP)]
    Rehearse(Box<RehearseArgs>),
    /// Read and check a workbook: list its cases and test data and every problem found.
    #[command(after_help = VALIDATE_HELP)]
    Validate(ValidateArgs),
    /// Run the embedded simulator standalone and print its base URLs.
    #[command(after_help = SIMULATE_HELP)]
    Simulate(SimulateArgs),
    /// Check the set-up (config, certificate, network, clock, scopes, API access) and say what to fix.
    #[command(after_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),
    /// Render the reports of run folders again from their journals (no API is called); several folders
    /// (a run and its --rerun-failed runs) are merged into one final report.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// Check an evidence bundle (bundle.zip): every hash, missing or extra files, and the signature.
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Write a commented config template and a copy of the bundled workbook.
    #[command(after_help = INIT_HELP)]
    Init(InitArgs),
    /// Replay a run made with --capture against the bundled simulator (with switches set) and print where
    /// status, error code or body shape differ: the table to send to the maintainers.
    #[command(after_help = FIDELITY_HELP)]
    Fidelity(FidelityArgs),
}

const FIDELITY_HELP: &str = "Examples:
  dsop-harness run --env test --capture
  dsop-harness fidelity reports/latest
  dsop-harness fidelity reports/latest --switch empty_list=200 --format json

Needs only the run folder's capture.jsonl and the bundled simulator (docs/simulator.md, \
\"Fidelity loop: capture and compare\"). Exit codes: 0 no differences, 1 differences, 2 usage or input error.";

#[derive(Args, Debug)]
pub struct FidelityArgs {
    /// A run folder made with `run --capture` (holds capture.jsonl).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Set a simulator switch for the replay, NAME=VALUE (repeatable); docs/simulator.md §15 lists them.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    pub switches: Vec<String>,
    /// Output: human (a table) or json (one object).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// test, prod or sim (the embedded simulator).
    #[arg(long, value_enum, default_value = "test", env = "DSOP_ENV")]
    pub env: Env,
    /// Configuration file (default: dsop-harness.toml when present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// human (a table) or json.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Language of the table: en (the CLI's language) or nb.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,
    /// Run only these groups: config, certificate, network, clock, tokens, apis.
    #[arg(long, value_delimiter = ',', value_parser = parse_group)]
    pub only: Vec<dsop_harness::doctor::Group>,
    /// TOML file with the test and prod certificate issuers (see docs/doctor.md).
    #[arg(long)]
    pub issuers: Option<PathBuf>,
    /// The issuer's CA certificate (PEM or DER), when neither the PKCS#12 nor the chain file holds it (as for
    /// rehearse).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The folder to write into.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

fn parse_group(s: &str) -> Result<dsop_harness::doctor::Group, String> {
    dsop_harness::doctor::Group::parse(s).ok_or_else(|| {
        format!(
            "{s:?} is not a check group: use config, certificate, network, clock, tokens or apis"
        )
    })
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run folders (reports/<timestamp>-<env>); with several, each case's latest result wins.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The team's filled workbook: Info sheet (test lead, contacts, Bits case number) and Avvik sheet (Tiltak, Ansvarlig).
    #[arg(long, short = 'w')]
    pub workbook: Option<PathBuf>,
    /// Report language: nb (Norwegian bokmål) or en.
    #[arg(long, default_value = "nb", value_parser = parse_lang)]
    pub lang: Lang,
    #[command(flatten)]
    pub style: ReportStyle,
    /// Where to write (default: the folder itself; with several folders, <last folder>/merged).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The bundle.zip of a run.
    pub bundle: PathBuf,
    /// Output: human (lines) or json (one object).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Accept a bundle without MANIFEST.jws (the hashes are still checked).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Accept a run against the embedded simulator, or a rehearsal.
    #[arg(long)]
    pub allow_simulated: bool,
}

/// Which of the workbook's cases `run` and `rehearse` run.
#[derive(Args, Debug, Clone, Default)]
pub struct CaseSelection {
    /// Run only these cases (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Leave out these cases.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Run only the mandatory cases.
    #[arg(long)]
    pub mandatory_only: bool,
}

/// How the reports of `run`, `rehearse` and `report` are written: masked ids, a docx template.
#[derive(Args, Debug, Clone, Default)]
pub struct ReportStyle {
    /// Mask personal ids in the reports (keep the first 6 digits).
    #[arg(long)]
    pub mask_ids: bool,
    /// Fill this docx (e.g. the official Bits report template) where it has `{{ placeholder }}` markers
    /// (docs/reports.md) instead of the built-in layout.
    #[arg(long, value_name = "FILE.docx")]
    pub template: Option<PathBuf>,
}

/// The options `run` and `rehearse` share: the workbook and its cases, where the reports go and how they look,
/// the output format, and the limits.
#[derive(Args, Debug)]
pub struct RunInput {
    /// The workbook (xlsx). Default: the bundled one.
    #[arg(long, short = 'w')]
    pub workbook: Option<PathBuf>,
    /// The date the run's months are computed from (YYYY-MM-DD), for reproducible reports.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<chrono::NaiveDate>,
    /// Where run folders are written.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// Report language: nb (Norwegian bokmål) or en.
    #[arg(long, default_value = "nb", value_parser = parse_lang)]
    pub lang: Lang,
    #[command(flatten)]
    pub style: ReportStyle,
    #[command(flatten)]
    pub select: CaseSelection,
    /// human (one line per case) or json (the events as JSON lines).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Cases in flight at once (the Skatteetaten limit of 5 calls per API still applies).
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Time limit per case, in seconds (a case's planned waits in real time come on top).
    #[arg(long, default_value_t = 300)]
    pub case_timeout: u64,
}

impl RunInput {
    /// The run's options from these and the command's own: nothing else of a run is set (no resume, no
    /// rerun, no capture, the simulator's defaults); each command sets what it adds.
    fn into_options(self, config: Config, env: Env, timeout: Option<u64>) -> RunOptions {
        RunOptions {
            workbook_is_default: self.workbook.is_none(),
            workbook: workbook_path(self.workbook, &self.reports),
            mapping: None,
            resume: None,
            template: self.style.template,
            jobs: self.jobs,
            case_timeout: std::time::Duration::from_secs(self.case_timeout),
            request_timeout: timeout.map(std::time::Duration::from_secs),
            rerun_failed: None,
            strict_writes: false,
            capture: false,
            env,
            today: self.today,
            reports_dir: self.reports,
            lang: self.lang,
            mask_ids: self.style.mask_ids,
            plan: run::plan::PlanOptions {
                today: self.today,
                only: self.select.only,
                skip: self.select.skip,
                mandatory_only: self.select.mandatory_only,
            },
            allow_prod: false,
            dry_run: false,
            config,
            sim: SimOptions::default(),
        }
    }
}

/// The configuration file, or the error printed and the usage exit code.
fn load_config(path: Option<&std::path::Path>) -> Result<Config, i32> {
    Config::load(path).map_err(|e| {
        eprintln!("error: {e}");
        exit::USAGE
    })
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: RunInput,
    /// sim (the embedded simulator), test (the agencies' test environments) or prod.
    #[arg(long, value_enum, default_value = "sim", env = "DSOP_ENV")]
    pub env: Env,
    /// Print the plan with every input resolved, and call nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Allow --env prod (cases that write are never run there).
    #[arg(long)]
    pub allow_prod: bool,
    /// Configuration file (default: dsop-harness.toml when present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Simulator fault injection and switches (sim only): comma-separated key=value[@api], e.g.
    /// seed=1,5xx=0.1@inntekt,nav_window=avtaleforhold (docs/simulator.md §11 and §15).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Simulator: answer «no income» with IM-010 (the DSOP FAQ) instead of IM-008.
    #[arg(long)]
    pub sim_im010: bool,
    /// Time limit per request, in seconds (default: 10 against the simulator, the profile's timeout_secs
    /// or 30 otherwise).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Run the deviations and environment errors of an earlier run folder again, into a new folder.
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub rerun_failed: Option<PathBuf>,
    /// Never re-send a write (Tjenestepensjonsavtale POST or DELETE) whose outcome is unknown; by default it
    /// is re-sent once with the identical body, in the run and on --resume.
    #[arg(long)]
    pub strict_writes: bool,
    /// Do not run doctor's fast checks before a test or prod run.
    #[arg(long)]
    pub skip_doctor: bool,
    /// Use a simulator already running as its own process (`dsop-harness simulate`) instead of starting one.
    #[arg(long, value_name = "URL")]
    pub sim_url: Option<String>,
    /// Continue an interrupted run in its folder: finished cases are not repeated, and a POST or DELETE
    /// whose outcome is unknown is never sent again.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Mapping file tying a Bits file's case ids to the bundled cases (see docs/workbook.md).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Store every exchange (status, code, the body's shape, the inputs as placeholders; no values) in
    /// capture.jsonl in the run folder, for `dsop-harness fidelity`.
    #[arg(long)]
    pub capture: bool,
}

#[derive(Args, Debug)]
pub struct RehearseArgs {
    /// Configuration file (default: dsop-harness.toml when present; without one, a throw-away key is made).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The certificate's issuer (CA certificate, PEM or DER), when the PKCS#12 or chain file does not hold it.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Leave out the institution's delegation (or system user) to the vendor: the preflight then stops with
    /// MP-251 and onboarding task B-7, as the test environment would.
    #[arg(long)]
    pub no_delegation: bool,
    /// The simulated Maskinporten's token lifetime (expires_in), in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub token_lifetime: u64,
    /// Seconds past exp the simulated APIs still accept a token (the harness waits by its own
    /// expiry_tolerance_secs of [profile.test]; rehearse says so when that is longer).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub tolerance: u64,
    /// Extra delay of every simulated API answer, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    #[command(flatten)]
    pub input: RunInput,
    /// Time limit per request, in seconds (default: the profile's timeout_secs or 30).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The workbook (xlsx). Default: testcases/integrasjonstest-ajourhold-otp.xlsx here, else the bundled one.
    #[arg(long, short = 'w')]
    pub workbook: Option<PathBuf>,
    /// Output: human (a list of cases, test data and problems) or json (one object).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// The date the cases' months are computed from (YYYY-MM-DD); default: today.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<chrono::NaiveDate>,
    /// Mapping file tying a Bits file's case ids to the bundled cases (see docs/workbook.md).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The simulator's data set: a TOML (or JSON) file of institution, employers, persons and agreements
    /// (docs/simulator.md §10.1). Default: the built-in data set that the bundled workbook's cases use.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Fault injection, comma-separated key=value[@api], e.g. seed=42,5xx=0.2@inntekt,trigger=IM-002@inntekt*1
    /// (docs/simulator.md §11).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// The simulator's date (YYYY-MM-DD): its months, agreements and token times follow it. Default: today.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<chrono::NaiveDate>,
    /// Keep the data set's changes and the request log in this file, so a restarted simulator continues
    /// where it was (docs/simulator.md §14).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Maskinporten clients (kid + public key, or trusted CA) to register at start (docs/simulator.md §13).
    #[arg(long, value_name = "FILE")]
    pub clients: Option<PathBuf>,
    /// Set a simulator switch, NAME=VALUE (repeatable), e.g. nav_window=avtaleforhold; see
    /// docs/simulator.md §15 for every switch, its default and its alternatives.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    pub switches: Vec<String>,
    /// Access-token lifetime in seconds (the switch token_lifetime; default 120).
    #[arg(long, value_name = "SECS")]
    pub token_lifetime: Option<u64>,
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date: write YYYY-MM-DD, e.g. 2026-11-26"))
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?} is not a language: use nb or en"))
}

/// The workbook: `--workbook`; else `testcases/…` in the working folder (a clone of the repository); else the
/// copy embedded in the binary, written to `<reports>/bundled/` so that it works from any folder.
fn workbook_path(w: Option<PathBuf>, reports: &std::path::Path) -> PathBuf {
    w.unwrap_or_else(|| {
        let local = PathBuf::from(BUNDLED_WORKBOOK);
        if local.exists() {
            return local;
        }
        dsop_harness::doctor::init::bundled_workbook_copy(reports).unwrap_or_else(|e| {
            eprintln!("warning: {e}");
            local
        })
    })
}

fn color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Logs go to stderr, filtered by `DSOP_LOG` (or `RUST_LOG`), e.g. `DSOP_LOG=trace`. Off by default.
/// Nothing that holds a token, key or password is ever logged (they live inside `Secret`).
fn init_logging() {
    let filter = std::env::var("DSOP_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "off".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Run the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::USAGE;
        }
    };
    rt.block_on(dispatch(cli.command))
}

async fn dispatch(cmd: Command) -> i32 {
    match cmd {
        Command::Run(a) => cmd_run(*a).await,
        Command::Rehearse(a) => cmd_rehearse(*a).await,
        Command::Validate(a) => cmd_validate(a),
        Command::Simulate(a) => cmd_simulate(a).await,
        Command::Doctor(a) => cmd_doctor(a).await,
        Command::Init(a) => cmd_init(a),
        Command::Report(a) => cmd_report(a),
        Command::Verify(a) => cmd_verify(a),
        Command::Fidelity(a) => cmd_fidelity(a).await,
    }
}

async fn cmd_fidelity(a: FidelityArgs) -> i32 {
    match run::fidelity::fidelity(&a.run_dir, &a.switches).await {
        Ok(c) => show_outcome(
            a.format == "json",
            c.to_json(),
            c.render(),
            c.differences.is_empty(),
        ),
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}

/// Print a checked outcome as JSON (one object) or text; exit 0 when `ok`, else 1.
fn show_outcome(json: bool, as_json: String, as_text: String, ok: bool) -> i32 {
    if json {
        outln!("{as_json}");
    } else {
        out!("{as_text}");
    }
    if ok {
        exit::OK
    } else {
        exit::DEVIATION
    }
}

fn cmd_report(a: ReportArgs) -> i32 {
    let mut dirs = a.dirs.into_iter();
    let Some(first) = dirs.next() else {
        return exit::USAGE;
    };
    let opts = dsop_harness::report::RerenderOptions {
        lang: a.lang,
        mask_ids: a.style.mask_ids,
        template: a.style.template,
        workbook: a.workbook,
        merge: dirs.collect(),
        out: a.out,
    };
    match dsop_harness::report::rerender_with_warnings(&first, &opts) {
        Ok((files, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            for f in files {
                outln!("{}", f.display());
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}

fn cmd_verify(a: VerifyArgs) -> i32 {
    let policy = dsop_harness::report::VerifyPolicy {
        allow_unsigned: a.allow_unsigned,
        allow_simulated: a.allow_simulated,
    };
    match dsop_harness::report::verify_bundle(&a.bundle) {
        Ok(c) => show_outcome(
            a.format == "json",
            c.to_json(policy).to_string(),
            c.render_text(policy),
            c.accepted(policy),
        ),
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}

async fn cmd_doctor(a: DoctorArgs) -> i32 {
    use dsop_harness::doctor;
    let mut opts = doctor::DoctorOptions {
        ca: a.ca,
        ..Default::default()
    };
    if !a.only.is_empty() {
        opts.groups = a.only;
    }
    if let Some(f) = &a.issuers {
        match doctor::IssuerList::from_file(f) {
            Ok(l) => opts.issuers = l,
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let report = doctor::run_from_path(a.config.as_deref(), a.env, &opts).await;
    if a.format == "json" {
        outln!("{}", report.to_json());
    } else {
        out!("{}", report.render_table(a.lang));
    }
    report.exit_code()
}

fn cmd_init(a: InitArgs) -> i32 {
    match dsop_harness::doctor::init(&a.dir, a.force) {
        Ok(files) => {
            for f in files {
                outln!("wrote {}", f.display());
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}

async fn cmd_run(a: RunArgs) -> i32 {
    let config = match load_config(a.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (skip_doctor, json) = (a.skip_doctor, a.input.format == "json");
    let opts = RunOptions {
        mapping: a.mapping,
        resume: a.resume,
        rerun_failed: a.rerun_failed,
        strict_writes: a.strict_writes,
        capture: a.capture,
        allow_prod: a.allow_prod,
        dry_run: a.dry_run,
        sim: SimOptions {
            url: a.sim_url,
            faults: a.faults,
            no_income_im010: a.sim_im010,
            ..Default::default()
        },
        ..a.input.into_options(config, a.env, a.timeout)
    };
    let spec = match run::spec::resolve(opts) {
        Ok(run::Resolved::Run(spec)) => spec,
        Ok(run::Resolved::DryRun { plan, warnings }) => {
            warnings.iter().for_each(|w| eprintln!("{w}"));
            run::plan_lines(&plan).iter().for_each(|l| outln!("{l}"));
            return exit::OK;
        }
        Ok(other) => return finish_run(Ok(other.outcome())),
        Err(e) => return finish_run(Err(e)),
    };
    spec.warnings.iter().for_each(|w| eprintln!("{w}"));
    // Before a real run: doctor's fast subset, so a set-up mistake is named before any case runs.
    let o = &spec.opts;
    if o.env != Env::Sim && !skip_doctor && o.resume.is_none() {
        let pre = dsop_harness::doctor::preflight(&o.config, o.env, &Default::default()).await;
        if pre.failed() {
            eprintln!("{}", pre.render_table(o.lang));
            eprintln!(
                "error: the preflight checks failed (table above): fix them, or give --skip-doctor to run anyway"
            );
            return exit::USAGE;
        }
    }
    let sink = terminal::Terminal::new(json, color(), terminal::progress_wanted());
    finish_run(run::execute(&spec, Box::new(sink)).await)
}

async fn cmd_rehearse(a: RehearseArgs) -> i32 {
    let config = match load_config(a.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let json = a.input.format == "json";
    let opts = RunOptions {
        sim: SimOptions {
            token_lifetime_secs: Some(a.token_lifetime),
            rehearsal: true,
            ..Default::default()
        },
        ..a.input.into_options(config, Env::Test, a.timeout)
    };
    let mut spec = match run::spec::resolve(opts) {
        Ok(run::Resolved::Run(spec)) => spec,
        Ok(other) => return finish_run(Ok(other.outcome())),
        Err(e) => return finish_run(Err(e)),
    };
    spec.warnings.iter().for_each(|w| eprintln!("{w}"));
    let ro = run::rehearse::RehearseOptions {
        ca: a.ca.clone(),
        no_delegation: a.no_delegation,
        token_lifetime_secs: a.token_lifetime,
        tolerance_secs: a.tolerance,
        latency_ms: a.latency_ms,
    };
    let r = match run::rehearse::prepare(&spec.opts.config, &spec.wb, spec.today, &ro).await {
        Ok(r) => r,
        Err(e) => return finish_run(Err(e)),
    };
    eprintln!(
        "rehearsal: the --env test run against a simulator on {} (token lifetime {} s, tolerance {} s)",
        r.sim.urls().base,
        a.token_lifetime,
        a.tolerance
    );
    if let Some(n) = run::rehearse::wait_notice(&r.config, &spec.plan, &ro) {
        eprintln!("{n}");
    }
    for n in &r.notes {
        let note = dsop_harness::note::RunNote::RehearsalSetup { text: n.clone() };
        eprintln!("{}", dsop_harness::lang::run_note(&note, Lang::En));
    }
    spec.opts.config = r.config.clone();
    spec.opts.sim.rehearsal_notes = r.notes.clone();
    let o = &spec.opts;
    let pre_opts = dsop_harness::doctor::DoctorOptions {
        ca: a.ca,
        ..Default::default()
    };
    let pre = dsop_harness::doctor::preflight(&o.config, Env::Test, &pre_opts).await;
    let code = if pre.failed() {
        eprintln!("{}", pre.render_table(o.lang));
        eprintln!("error: the preflight checks failed (table above): the test environment would refuse this set-up too");
        exit::USAGE
    } else {
        let sink = terminal::Terminal::new(json, color(), terminal::progress_wanted());
        finish_run(run::execute(&spec, Box::new(sink)).await)
    };
    r.shutdown().await;
    code
}

/// Show a run's warnings and errors; the exit code.
fn finish_run(r: Result<run::RunOutcome, run::RunError>) -> i32 {
    match r {
        Ok(o) => {
            o.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
            if let Some(e) = &o.error {
                eprintln!("error: {e}");
            }
            if let Some(d) = &o.dir {
                eprintln!("reports written to {}", d.display());
            }
            o.exit_code
        }
        Err(e) => {
            for l in e.lines() {
                eprintln!("{l}");
            }
            e.exit_code()
        }
    }
}

fn cmd_validate(a: ValidateArgs) -> i32 {
    let path = workbook_path(a.workbook, std::path::Path::new("reports"));
    let json = a.format == "json";
    let wb = match dsop_harness::workbook::read_maybe_mapped(&path, a.mapping.as_deref()) {
        Ok(wb) => wb,
        Err(e) => {
            if json {
                outln!(
                    "{}",
                    serde_json::json!({ "file": e.file, "problems": e.problems })
                );
            } else {
                for p in &e.problems {
                    eprintln!("{p}");
                }
            }
            return exit::USAGE;
        }
    };
    let plan = run::plan::build(
        &wb,
        &run::plan::PlanOptions {
            today: a.today,
            ..Default::default()
        },
    );
    let problems: Vec<_> = wb
        .warnings
        .iter()
        .cloned()
        .chain(plan.as_ref().err().cloned().unwrap_or_default())
        .collect();
    if json {
        let cases: Vec<_> = wb
            .cases
            .iter()
            .map(|c| serde_json::json!({"id": c.id, "api": c.api, "mandatory": c.mandatory, "steps": c.steps.len(), "beskrivelse": c.beskrivelse}))
            .collect();
        let td: Vec<_> = wb
            .testdata
            .iter()
            .map(|t| serde_json::json!({"ref": t.r#ref, "type": t.kind, "identifikator": t.identifikator, "egenskaper": t.egenskaper}))
            .collect();
        outln!(
            "{}",
            serde_json::json!({"file": path.display().to_string(), "sha256": wb.sha256, "cases": cases, "testdata": td, "problems": problems})
        );
    } else {
        outln!(
            "{}: {} cases, {} test data rows",
            path.display(),
            wb.cases.len(),
            wb.testdata.len()
        );
        for c in &wb.cases {
            let api = c
                .api
                .map(|a| a.label(Lang::Nb).to_string())
                .unwrap_or_else(|| c.api_text.clone());
            outln!(
                "  {:<8} {:<22} {}{}{}",
                c.id,
                api,
                if c.mandatory { "[mandatory] " } else { "" },
                c.beskrivelse,
                if c.steps.len() > 1 {
                    format!(" ({} steps)", c.steps.len())
                } else {
                    String::new()
                }
            );
        }
        for t in &wb.testdata {
            outln!(
                "  {:<10} {:<22} {} {}",
                t.r#ref,
                t.kind,
                t.identifikator,
                t.egenskaper.join(",")
            );
        }
        for p in &problems {
            eprintln!("{p}");
        }
    }
    if problems
        .iter()
        .any(|p| p.severity == dsop_harness::workbook::Severity::Error)
    {
        exit::USAGE
    } else {
        exit::OK
    }
}

async fn cmd_simulate(a: SimulateArgs) -> i32 {
    let today = a.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut cfg = dsop_harness::sim::SimConfig::new(today);
    cfg.faults = a.faults;
    cfg.data = a.data;
    cfg.state = a.state;
    cfg.clients = a.clients;
    for item in &a.switches {
        if let Err(e) = cfg.set_switches(item) {
            eprintln!("error: --switch {item}: {e}");
            return exit::USAGE;
        }
    }
    if let Some(secs) = a.token_lifetime {
        if let Err(e) = cfg.set_switch("token_lifetime", &secs.to_string()) {
            eprintln!("error: --token-lifetime {secs}: {e}");
            return exit::USAGE;
        }
    }
    let changed = cfg.switches.changed();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], a.port));
    let h = match dsop_harness::sim::start(cfg, addr).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let u = h.urls();
    outln!("dsop-harness simulator (today {today})");
    outln!("  maskinporten issuer     {}", u.maskinporten_issuer);
    outln!("  maskinporten token      {}", u.token_endpoint);
    outln!("  inntekt                 {}", u.inntekt);
    outln!("  inntektsmottakere       {}", u.inntektsmottakere);
    outln!("  tjenestepensjonsavtale  {}", u.tjenestepensjonsavtale);
    outln!("  aareg otp (graphql)     {}", u.aareg);
    if !changed.is_empty() {
        outln!("  switches                {}", changed.join(", "));
    }
    outln!("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    h.shutdown().await;
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command has an example in its --help, and every option and argument a sentence saying what it does.
    #[test]
    fn every_command_has_an_example_and_every_argument_help() {
        let mut root = Cli::command();
        root.build();
        root.clone().debug_assert();
        let mut problems = Vec::new();
        let mut stack = vec![(String::from("dsop-harness"), root)];
        let mut commands = 0;
        while let Some((path, cmd)) = stack.pop() {
            commands += 1;
            let after = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            if !after.contains("Example") || !after.contains("dsop-harness ") {
                problems.push(format!("{path}: no example in after_help"));
            }
            if cmd
                .get_about()
                .is_none_or(|a| a.to_string().trim().is_empty())
            {
                problems.push(format!("{path}: no description"));
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                if help.split_whitespace().count() < 3 {
                    problems.push(format!("{path} {id}: no help sentence ({help:?})"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    stack.push((format!("{path} {}", sub.get_name()), sub.clone()));
                }
            }
        }
        assert!(commands >= 8, "only {commands} commands walked");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn version_names_the_commit() {
        let v = Cli::command().render_version();
        assert!(
            v.contains(env!("CARGO_PKG_VERSION")) && v.contains("(commit "),
            "{v}"
        );
    }
}
