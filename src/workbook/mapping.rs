//! Reading a Bits file without machine columns through a mapping file that ties its case ids to the
//! bundled cases (`docs/workbook.md`, "Mapping a Bits file").
//!
//! ```toml
//! # source = "my-cases.xlsx"    # optional: take the cases from this workbook instead of the bundled one
//! [cases]
//! "1" = "MP-01"
//! "Case 2a" = "TPA-01"
//! "17" = ""                    # not run by the harness (its result is filled in by hand)
//!
//! [testdata]                   # optional: the Bits file's Testdata refs -> the refs the cases use
//! "Person 1" = "TD-P-01"
//! ```
//!
//! A mapped case keeps the Bits file's id, description, sheet and row (so the filled copy writes its result
//! into the Bits file's row) and takes API, Operasjon, Inndata, expectations, assertions and steps from the
//! case it maps to.

use super::headers;
use super::load;
use super::reader::{read_loaded, read_with, Problems, ReadOptions};
use super::{CaseStep, Severity, Workbook, WorkbookError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The bundled workbook, compiled in (the same file as `testcases/integrasjonstest-ajourhold-otp.xlsx`).
const BUNDLED_XLSX: &[u8] = include_bytes!("../../testcases/integrasjonstest-ajourhold-otp.xlsx");

/// The parsed mapping file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// A workbook with machine columns to take the cases from, relative to the mapping file.
    /// Default: the bundled workbook.
    #[serde(default)]
    pub source: Option<PathBuf>,
    /// The Bits file's case id -> the source case id (empty: not run by the harness).
    #[serde(default)]
    pub cases: BTreeMap<String, String>,
    /// The Bits file's Testdata ref -> the ref the source cases' placeholders use.
    #[serde(default)]
    pub testdata: BTreeMap<String, String>,
}

/// Read and check a mapping file.
pub fn load_mapping(path: &Path) -> Result<Mapping, WorkbookError> {
    let file = path.display().to_string();
    let mut p = Problems::new(&file);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            p.error(
                "",
                format!("cannot read the mapping file: {e}"),
                "check the path given with --mapping",
            );
            return Err(WorkbookError {
                file,
                problems: p.list,
            });
        }
    };
    let m: Mapping = match toml::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            let at = e
                .span()
                .map(|s| {
                    format!(
                        "line {}",
                        text[..s.start.min(text.len())].lines().count().max(1)
                    )
                })
                .unwrap_or_default();
            p.error(
                &at,
                format!("invalid mapping TOML: {}", e.message()),
                "write a [cases] table of \"Bits id\" = \"bundled id\" lines, e.g. \"1\" = \"MP-01\" (see docs/workbook.md)",
            );
            return Err(WorkbookError {
                file,
                problems: p.list,
            });
        }
    };
    if m.cases.is_empty() {
        p.error(
            "[cases]",
            "the mapping file maps no cases",
            "add a [cases] table with one \"Bits id\" = \"bundled id\" line per case, e.g. \"1\" = \"MP-01\"",
        );
        return Err(WorkbookError {
            file,
            problems: p.list,
        });
    }
    Ok(m)
}

/// The bundled workbook, read from the copy compiled into the harness.
pub fn bundled() -> Result<Workbook, WorkbookError> {
    let name = format!("(bundled) {}", super::generate::BUNDLED_FILE);
    let loaded =
        load::load_bytes(&name, BUNDLED_XLSX.to_vec()).map_err(|problems| WorkbookError {
            file: name.clone(),
            problems,
        })?;
    read_loaded(Path::new(&name), loaded, &ReadOptions::default())
}

/// Read a Bits file and apply a mapping file to it (see the module docs).
pub fn read_mapped(path: &Path, mapping: &Path) -> Result<Workbook, WorkbookError> {
    let map = load_mapping(mapping)?;
    let source = match &map.source {
        Some(s) => {
            let s = if s.is_relative() {
                mapping.parent().unwrap_or(Path::new(".")).join(s)
            } else {
                s.clone()
            };
            super::read(&s)?
        }
        None => bundled()?,
    };
    let opts = ReadOptions {
        require_machine_columns: false,
        require_testdata: false,
    };
    let wb = read_with(path, &opts)?;
    apply(wb, &map, mapping, &source)
}

/// Read a workbook, through a mapping file when one is given.
pub fn read_maybe_mapped(path: &Path, mapping: Option<&Path>) -> Result<Workbook, WorkbookError> {
    match mapping {
        Some(m) => read_mapped(path, m),
        None => super::read(path),
    }
}

fn find<'a>(map: &'a BTreeMap<String, String>, id: &str) -> Option<(&'a String, &'a String)> {
    map.iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(id.trim()))
}

/// Apply a mapping to a read Bits workbook.
pub fn apply(
    mut wb: Workbook,
    map: &Mapping,
    mapping_path: &Path,
    source: &Workbook,
) -> Result<Workbook, WorkbookError> {
    let file = wb.path.display().to_string();
    let mfile = mapping_path.display().to_string();
    let mut p = Problems::new(&file);
    let mut mp = Problems::new(&mfile);

    // Mapping entries must name a case of the Bits file and a case of the source.
    for (bits, target) in &map.cases {
        let loc = format!("[cases] {bits:?}");
        if !wb
            .cases
            .iter()
            .any(|c| c.id.trim().eq_ignore_ascii_case(bits.trim()))
        {
            mp.error(
                &loc,
                format!("{bits:?} is not a Testcase-ID of {file}"),
                format!(
                    "use one of the file's ids: {}",
                    wb.cases
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if !target.trim().is_empty()
            && !source
                .cases
                .iter()
                .any(|c| c.id.eq_ignore_ascii_case(target.trim()))
        {
            mp.error(
                &loc,
                format!("{target:?} is not a case of {}", source.path.display()),
                format!(
                    "map to one of: {} (or \"\" for a case the harness does not run)",
                    source
                        .cases
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }

    // Test data: the file's own rows (renamed by [testdata]), or the source's when the file has none.
    for (bits, target) in &map.testdata {
        match wb
            .testdata
            .iter_mut()
            .find(|t| t.r#ref.eq_ignore_ascii_case(bits.trim()))
        {
            Some(td) => td.r#ref = target.trim().to_string(),
            None => mp.error(
                &format!("[testdata] {bits:?}"),
                format!("{bits:?} is not a Ref in the Testdata sheet of {file}"),
                "use a Ref of the file's Testdata sheet",
            ),
        }
    }
    if wb.testdata.is_empty() {
        wb.testdata = source.testdata.clone();
        if !wb.testdata.is_empty() {
            p.warn(
                "",
                format!(
                    "the file has no Testdata sheet; using the test data of {} (synthetic, for the simulator)",
                    source.path.display()
                ),
                "add a Testdata sheet with the data set from Skatteetaten before running against TEST",
            );
        }
    }

    let mut cases = Vec::with_capacity(wb.cases.len());
    for mut case in std::mem::take(&mut wb.cases) {
        let id_loc = case
            .steps
            .first()
            .and_then(|s| s.cell(headers::TC_ID))
            .map(|c| c.a1())
            .unwrap_or_else(|| format!("{} row {}", case.sheet, case.row + 1));
        match find(&map.cases, &case.id) {
            Some((_, target)) if target.trim().is_empty() => {
                p.warn(
                    &id_loc,
                    format!("{}: mapped to \"\", not run by the harness", case.id),
                    "fill in its result by hand",
                );
            }
            Some((_, target)) => {
                let Some(src) = source
                    .cases
                    .iter()
                    .find(|c| c.id.eq_ignore_ascii_case(target.trim()))
                else {
                    continue; // reported above
                };
                let has_mandatory = case
                    .steps
                    .first()
                    .is_some_and(|s| s.cell(headers::TC_MANDATORY).is_some());
                let row = case.row;
                let first_cells: Vec<_> = case
                    .steps
                    .first()
                    .map(|s| s.cells.clone())
                    .unwrap_or_default();
                case.api = src.api;
                case.api_text = src.api_text.clone();
                case.testdata_refs = src.testdata_refs.clone();
                if !has_mandatory {
                    case.mandatory = src.mandatory;
                }
                if case.beskrivelse.is_empty() {
                    case.beskrivelse = src.beskrivelse.clone();
                }
                if case.forventet_resultat.is_empty() {
                    case.forventet_resultat = src.forventet_resultat.clone();
                }
                if case.forutsetninger.is_empty() {
                    case.forutsetninger = src.forutsetninger.clone();
                }
                // Every step on the Bits row; problems point at the row (its cells of the machine columns
                // do not exist), results of a multi-step case go on that row as the case's result.
                case.steps = src
                    .steps
                    .iter()
                    .map(|s| CaseStep {
                        sheet: case.sheet.clone(),
                        row,
                        cells: first_cells
                            .iter()
                            .filter(|(k, _)| {
                                !headers::STEP_COLUMNS.contains(k) && *k != headers::TC_API
                            })
                            .cloned()
                            .collect(),
                        ..s.clone()
                    })
                    .collect();
                cases.push(case);
            }
            None => {
                let runnable = !case.steps.is_empty()
                    && case.steps.iter().all(|s| !s.operation.trim().is_empty());
                if runnable {
                    cases.push(case);
                } else {
                    p.error(
                        &id_loc,
                        format!(
                            "{}: the case has no Operasjon and is not in the mapping file {mfile}",
                            case.id
                        ),
                        format!(
                            "add a line \"{}\" = \"<bundled id>\" to [cases] in {mfile} (or \"\" to leave it to be \
                             filled in by hand)",
                            case.id
                        ),
                    );
                }
            }
        }
    }
    wb.cases = cases;

    let mut problems = mp.list;
    problems.append(&mut p.list);
    if problems.iter().any(|x| x.severity == Severity::Error) {
        problems.sort_by_key(|x| x.severity != Severity::Error);
        return Err(WorkbookError { file, problems });
    }
    wb.warnings.append(&mut problems);
    Ok(wb)
}
