//! `dsop-harness init`: write a commented `dsop-harness.toml` (from `config::TEMPLATE`) and a copy of the bundled
//! workbook for the team to fill in. Nothing is overwritten without `--force`.

use crate::config::{DEFAULT_FILE, TEMPLATE};
use std::path::{Path, PathBuf};

/// The bundled workbook, embedded so an installed binary has it.
pub const WORKBOOK: &[u8] = include_bytes!("../../testcases/integrasjonstest-ajourhold-otp.xlsx");
/// The name the copy gets.
pub const WORKBOOK_FILE: &str = "integrasjonstest-ajourhold-otp.xlsx";

/// The folder below the reports folder where a run without `--workbook`, started outside a clone of the
/// repository, gets its copy of the bundled workbook.
pub const BUNDLED_DIR: &str = "bundled";

/// Write the embedded bundled workbook to `<reports>/bundled/integrasjonstest-ajourhold-otp.xlsx`, unless an
/// identical copy is already there, and return its path. A run needs a file (it hashes it, puts it in the
/// evidence bundle and names it in the results), and this one works from any folder, with an installed binary.
pub fn bundled_workbook_copy(reports: &Path) -> Result<PathBuf, String> {
    let dir = reports.join(BUNDLED_DIR);
    let path = dir.join(WORKBOOK_FILE);
    if std::fs::read(&path).is_ok_and(|b| b == WORKBOOK) {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    crate::fsutil::write_atomic(&path, WORKBOOK).map_err(|e| {
        format!(
            "cannot write the bundled workbook to {}: {e}",
            path.display()
        )
    })?;
    Ok(path)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_copy_is_written_once_and_repaired() {
        let d = tempfile::tempdir().unwrap();
        let p = bundled_workbook_copy(d.path()).unwrap();
        assert_eq!(p, d.path().join("bundled").join(WORKBOOK_FILE));
        assert_eq!(std::fs::read(&p).unwrap(), WORKBOOK);
        std::fs::write(&p, b"changed").unwrap();
        assert_eq!(bundled_workbook_copy(d.path()).unwrap(), p);
        assert_eq!(std::fs::read(&p).unwrap(), WORKBOOK);
    }
}
