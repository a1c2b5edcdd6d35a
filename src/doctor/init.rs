//! `dsop-harness init`: write a commented `dsop-harness.toml` (from `config::TEMPLATE`) and a copy of the bundled
//! workbook for the team to fill in. Nothing is overwritten without `--force`.

use crate::config::{DEFAULT_FILE, TEMPLATE};
use std::path::{Path, PathBuf};

/// The bundled workbook, embedded so an installed binary has it.
pub const WORKBOOK: &[u8] = include_bytes!("../../testcases/integrasjonstest-ajourhold-otp.xlsx");
/// The name the copy gets.
pub const WORKBOOK_FILE: &str = "integrasjonstest-ajourhold-otp.xlsx";

/// Write the config template and the workbook into `dir` (created if missing). Returns the files written.
/// Refuses, writing nothing, when either file exists and `force` is false.
pub fn init(dir: &Path, force: bool) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let files: [(PathBuf, &[u8]); 2] = [
        (dir.join(DEFAULT_FILE), TEMPLATE.as_bytes()),
        (dir.join(WORKBOOK_FILE), WORKBOOK),
    ];
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(p, _)| p.exists())
            .map(|(p, _)| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} already exist(s); nothing was written. Give --force to overwrite",
                existing.join(" and ")
            ));
        }
    }
    let mut written = Vec::new();
    for (p, bytes) in files {
        crate::fsutil::write_atomic(&p, bytes)
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        written.push(p);
    }
    Ok(written)
}
