//! Workbooks of 1,000 / 10,000 / 100,000 generated cases: calamine's bare read of every sheet, our read
//! (`workbook::read`: load and validate; `(load)` is its `load::load` part), validate-and-plan
//! (`workbook::read` + `run::plan::build`), and a full run against the embedded simulator (the
//! `dsop-harness run` binary), each with its peak RSS. Also: the 10,000-case workbook with a stray value at
//! XFD1048576.
//!
//! `cargo bench --bench workbook_read [-- SIZES…]` (default 1000 10000 100000; `run` in the list adds the
//! simulator runs, e.g. `-- 1000 10000 run`; `--keep DIR` writes the generated workbooks into DIR and keeps them). Each measurement runs in its own process (this binary with
//! `--phase`) so that its peak RSS is its own; times are the median of several processes. Peak RSS comes from
//! `/usr/bin/time -f %M` when it is installed ("n/a" otherwise).

use calamine::Reader;
use dsop_harness::run::plan::{self, PlanOptions};
use dsop_harness::workbook::{self, generate, source};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn generate_file(dir: &Path, n: usize, stray: bool) -> PathBuf {
    let src_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testcases")
        .join(generate::SOURCE_FILE);
    let mut src = source::load_source(&src_path).expect("the bundled source reads");
    let template = src
        .cases
        .iter()
        .find(|c| c.id == "IMS-01")
        .cloned()
        .expect("IMS-01 in the source");
    let registration = src
        .cases
        .iter()
        .find(|c| c.id == "TPA-01")
        .cloned()
        .expect("TPA-01 in the source");
    let mut cases = vec![registration];
    cases[0].bundled = true;
    cases.extend((1..n).map(|i| {
        let mut c = template.clone();
        c.id = format!("GEN-{i:06}");
        c.bundled = true;
        c.beskrivelse = format!("Generert testcase nummer {i} for ytelsesmåling av innlesingen");
        c
    }));
    src.cases = cases;
    let bytes = generate::build_bytes(&src).expect("the workbook builds");
    let path = dir.join(format!(
        "generated-{n}{}.xlsx",
        if stray { "-stray" } else { "" }
    ));
    std::fs::write(&path, bytes).expect("the temp dir is writable");
    if stray {
        add_stray_cell(&path);
    }
    path
}

/// Put a value at Testcaser!XFD1048576 (as a paste far away would), editing the sheet XML.
fn add_stray_cell(path: &Path) {
    use std::io::{Read, Write};
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet3.xml" {
            let s = String::from_utf8(data).unwrap().replace(
                "</sheetData>",
                "<row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>limt inn</t></is></c></row></sheetData>",
            );
            data = s.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

fn bare_calamine(path: &Path) -> usize {
    let mut x: calamine::Xlsx<_> = calamine::open_workbook(path).expect("calamine opens it");
    let names = x.sheet_names();
    let mut cells = 0;
    for n in names {
        let r = x.worksheet_range(&n).expect("calamine reads the sheet");
        cells += r.used_cells().count();
    }
    cells
}

/// One measurement in this process: prints the elapsed milliseconds.
fn phase(name: &str, path: &Path) {
    let t = Instant::now();
    match name {
        "calamine" => {
            std::hint::black_box(bare_calamine(path));
        }
        "load" => {
            std::hint::black_box(workbook::load::load(path).expect("loads"));
        }
        "read" => {
            std::hint::black_box(workbook::read(path).expect("reads"));
        }
        "plan" => {
            let wb = workbook::read(path).expect("reads");
            std::hint::black_box(plan::build(&wb, &PlanOptions::default()).expect("plans"));
        }
        other => panic!("unknown phase {other}"),
    }
    println!("ms={}", t.elapsed().as_secs_f64() * 1e3);
}

/// Run a command, under `/usr/bin/time -f %M` when it exists: (elapsed, peak RSS in MB, stdout).
fn measure(cmd: &mut Command, must_succeed: bool) -> (Duration, Option<f64>, String) {
    let time = Path::new("/usr/bin/time");
    let mut c = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("maxrss_kb=%M").arg(cmd.get_program());
        c.args(cmd.get_args());
        c
    } else {
        let mut c = Command::new(cmd.get_program());
        c.args(cmd.get_args());
        c
    };
    let t = Instant::now();
    let o = c.output().expect("the child runs");
    let elapsed = t.elapsed();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() || !must_succeed, "{stdout}\n{stderr}");
    let rss = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("maxrss_kb="))
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .next_back()
        .map(|kb| kb / 1024.0);
    (elapsed, rss, stdout)
}

fn child_phase(name: &str, path: &Path, runs: usize) -> (f64, Option<f64>) {
    let exe = std::env::current_exe().expect("this binary");
    let mut times = Vec::new();
    let mut rss = None;
    for _ in 0..runs {
        let (_, r, out) = measure(Command::new(&exe).arg("--phase").arg(name).arg(path), true);
        let ms: f64 = out
            .lines()
            .find_map(|l| l.strip_prefix("ms="))
            .and_then(|v| v.parse().ok())
            .expect("the phase prints ms=");
        times.push(ms);
        rss = r.map(|r| rss.map_or(r, |x: f64| x.max(r)));
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[times.len() / 2], rss)
}

fn fmt_rss(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.0} MB"))
        .unwrap_or_else(|| "n/a".into())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        phase(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000, 100_000];
    }
    let with_run = args.iter().any(|a| a == "run");
    // `--keep DIR`: write the generated workbooks into DIR and keep them (to profile or run them by hand).
    let tmp = tempfile::tempdir().expect("a temp dir");
    let kept = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    if let Some(k) = &kept {
        std::fs::create_dir_all(k).expect("the --keep folder can be made");
    }
    let dir_path = kept.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let dir = &dir_path;
    println!(
        "workbook_read: median of process runs (5 below 100,000 cases, else 3); peak RSS per process"
    );
    println!(
        "{:>8} {:>9} {:>8} | {:>10} {:>8} | {:>10} | {:>10} {:>8} {:>6} | {:>10} {:>8} {:>6}",
        "cases",
        "cells",
        "MB",
        "calamine",
        "RSS",
        "(load)",
        "read",
        "RSS",
        "ratio",
        "read+plan",
        "RSS",
        "ratio"
    );
    for n in &sizes {
        let path = generate_file(dir, *n, false);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let wb = workbook::read(&path).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
        assert_eq!(wb.cases.len(), *n);
        let cells = bare_calamine(&path);
        let runs = if *n >= 100_000 { 3 } else { 5 };
        let (cal, cal_rss) = child_phase("calamine", &path, runs);
        let (load, _) = child_phase("load", &path, runs);
        let (read, read_rss) = child_phase("read", &path, runs);
        let (plan, plan_rss) = child_phase("plan", &path, runs);
        println!(
            "{:>8} {:>9} {:>8.1} | {:>7.1} ms {:>8} | {:>7.1} ms | {:>7.1} ms {:>8} {:>5.2}x | {:>7.1} ms {:>8} {:>5.2}x",
            n,
            cells,
            size as f64 / 1_048_576.0,
            cal,
            fmt_rss(cal_rss),
            load,
            read,
            fmt_rss(read_rss),
            read / cal,
            plan,
            fmt_rss(plan_rss),
            plan / cal
        );
    }
    println!("goals at 10,000 cases: read <= 1.50x calamine, read+plan <= 4.00x calamine");

    // A stray value at XFD1048576: validates, with a warning naming the cell.
    let stray = generate_file(dir, 10_000, true);
    let t = Instant::now();
    let wb = workbook::read(&stray).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
    let elapsed = t.elapsed();
    let warning = wb
        .warnings
        .iter()
        .find(|w| w.message.contains("XFD1048576"))
        .map(|w| w.to_string())
        .unwrap_or_else(|| "NO WARNING NAMING THE CELL".into());
    println!(
        "stray cell: 10,000 cases + XFD1048576 read in {:.1} ms: {warning}",
        elapsed.as_secs_f64() * 1e3
    );

    if with_run {
        let exe = PathBuf::from(env!("CARGO_BIN_EXE_dsop-harness"));
        for n in &sizes {
            let path = generate_file(dir, *n, false);
            let reports = dir.join(format!("reports-{n}"));
            let (elapsed, rss, _) = measure(
                Command::new(&exe)
                    .arg("run")
                    .arg("--workbook")
                    .arg(&path)
                    .arg("--reports")
                    .arg(&reports),
                false,
            );
            println!(
                "full run against the simulator: {n} cases in {:.1} s, peak RSS {}",
                elapsed.as_secs_f64(),
                fmt_rss(rss)
            );
        }
    }
}
