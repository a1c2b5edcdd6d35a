//! Reading a generated 10,000-case workbook: `workbook::read` (load + validate) next to calamine's bare read
//! of the same file (every sheet's cells), in the same run. Goal: at most 1.5×.
//!
//! `cargo bench --bench workbook_read` (optional argument: the number of cases, default 10000).

use calamine::Reader;
use dsop_harness::workbook::{self, generate, source};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ITERATIONS: usize = 7;

fn generate_file(dir: &Path, n: usize) -> PathBuf {
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
    src.cases = (1..=n)
        .map(|i| {
            let mut c = template.clone();
            c.id = format!("GEN-{i:05}");
            c.bundled = true;
            c.beskrivelse =
                format!("Generert testcase nummer {i} for ytelsesmåling av innlesingen");
            c
        })
        .collect();
    let bytes = generate::build_bytes(&src).expect("the workbook builds");
    let path = dir.join(format!("generated-{n}.xlsx"));
    std::fs::write(&path, bytes).expect("the temp dir is writable");
    path
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
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

fn main() {
    // `cargo bench` passes `--bench`; a bare number is the case count.
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = generate_file(dir.path(), n);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    // Warm up (file cache), and check that both reads see the workbook.
    let wb = workbook::read(&path).unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems));
    assert_eq!(wb.cases.len(), n);
    let cells = bare_calamine(&path);

    let mut ours = Vec::new();
    let mut bare = Vec::new();
    let mut load = Vec::new();
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        std::hint::black_box(workbook::load::load(&path).expect("loads"));
        load.push(t.elapsed());
        let t = Instant::now();
        let wb = workbook::read(&path).expect("reads");
        ours.push(t.elapsed());
        std::hint::black_box(wb);
        let t = Instant::now();
        std::hint::black_box(bare_calamine(&path));
        bare.push(t.elapsed());
    }
    let (o, b) = (median(ours), median(bare));
    let ratio = o.as_secs_f64() / b.as_secs_f64();
    println!(
        "workbook_read: {n} cases, {cells} cells, {:.1} MB, median of {ITERATIONS}",
        size as f64 / 1_048_576.0
    );
    println!("  calamine bare read  {:>9.1} ms", b.as_secs_f64() * 1e3);
    println!("  workbook::read      {:>9.1} ms", o.as_secs_f64() * 1e3);
    println!(
        "    of which load     {:>9.1} ms  (safety checks, calamine, merged regions)",
        median(load).as_secs_f64() * 1e3
    );
    println!(
        "  ratio               {ratio:>9.2}x  (goal <= 1.50x){}",
        if ratio > 1.5 { "  OVER GOAL" } else { "" }
    );
}
