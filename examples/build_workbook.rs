//! Regenerate the bundled workbook from its source:
//! `cargo run --example build_workbook [source.toml] [out.xlsx]`
//! (defaults: testcases/source.toml -> testcases/integrasjonstest-ajourhold-otp.xlsx).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testcases");
    let mut args = std::env::args_os().skip(1);
    let src = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(dsop_harness::workbook::generate::SOURCE_FILE));
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(dsop_harness::workbook::generate::BUNDLED_FILE));
    match dsop_harness::workbook::build_from_source(&src, &out) {
        Ok(()) => {
            println!("wrote {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            for p in &e.problems {
                eprintln!("  {p}");
            }
            ExitCode::FAILURE
        }
    }
}
