//! Opening an xlsx file safely: size and format checks before calamine sees it, then every sheet's cells
//! (cached values of formulas, hidden sheets included) with merged regions. Shared by the reader and the writer.

use super::{Problem, Severity};
use calamine::{Data, Dimensions, Reader, SheetVisible, Xlsx};
use std::io::{Cursor, Read};
use std::path::Path;

/// Files larger than this are refused before being read.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// Workbooks with more cells than this (all sheets together) are refused.
pub const MAX_CELLS: u64 = 1_000_000;
/// The uncompressed size of all zip entries together may not exceed this (zip bombs).
pub const MAX_UNCOMPRESSED_BYTES: u64 = 1024 * 1024 * 1024;

/// One sheet as read.
#[derive(Clone, Debug)]
pub struct LoadedSheet {
    pub name: String,
    pub hidden: bool,
    pub range: calamine::Range<Data>,
    /// Merged regions of this sheet (absolute 0-based rows/columns).
    pub merged: Vec<Dimensions>,
}

impl LoadedSheet {
    /// The raw cell at an absolute position.
    pub fn get(&self, row: u32, col: u32) -> Option<&Data> {
        self.range.get_value((row, col))
    }

    /// The text of a cell (see [`cell_text`]), or empty.
    pub fn text(&self, row: u32, col: u32) -> String {
        self.get(row, col).map(cell_text).unwrap_or_default()
    }

    /// First and last used row (absolute), or None for an empty sheet.
    pub fn row_bounds(&self) -> Option<(u32, u32)> {
        Some((self.range.start()?.0, self.range.end()?.0))
    }

    pub fn col_bounds(&self) -> Option<(u32, u32)> {
        Some((self.range.start()?.1, self.range.end()?.1))
    }

    /// All non-empty cells of a row: (column, text).
    pub fn row_texts(&self, row: u32) -> Vec<(u32, String)> {
        let Some((c0, c1)) = self.col_bounds() else {
            return Vec::new();
        };
        (c0..=c1)
            .filter_map(|c| {
                let t = self.text(row, c);
                (!t.is_empty()).then_some((c, t))
            })
            .collect()
    }

    /// Whether a row has no cell with text (without building the texts).
    pub fn row_is_empty(&self, row: u32) -> bool {
        let Some((c0, c1)) = self.col_bounds() else {
            return true;
        };
        (c0..=c1).all(|c| match self.get(row, c) {
            None | Some(Data::Empty) | Some(Data::Error(_)) => true,
            Some(Data::String(s)) | Some(Data::DateTimeIso(s)) | Some(Data::DurationIso(s)) => {
                s.trim().is_empty()
            }
            Some(_) => false,
        })
    }

    /// Give every cell of a merged region the value of its top-left cell (for reading only).
    pub fn expand_merged(&mut self) {
        for m in self.merged.clone() {
            let Some(v) = self.get(m.start.0, m.start.1).cloned() else {
                continue;
            };
            if v == Data::Empty {
                continue;
            }
            // Cap the work: a merged region over a whole column is not expanded beyond the used range.
            let Some((r_end, c_end)) = self.range.end() else {
                continue;
            };
            for r in m.start.0..=m.end.0.min(r_end) {
                for c in m.start.1..=m.end.1.min(c_end) {
                    if (r, c) != m.start && matches!(self.get(r, c), Some(Data::Empty) | None) {
                        self.range.set_value((r, c), v.clone());
                    }
                }
            }
        }
    }
}

/// A loaded file.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub sha256: String,
    pub sheets: Vec<LoadedSheet>,
}

fn problem(file: &str, message: String, hint: &str) -> Problem {
    Problem {
        severity: Severity::Error,
        file: file.to_string(),
        location: String::new(),
        message,
        hint: hint.to_string(),
    }
}

/// Excel's representation of a cell as text: strings trimmed (CRLF -> LF), whole numbers without `.0`,
/// dates as ISO 8601, booleans `true`/`false`, error values empty.
pub fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) if s.contains('\r') => s.replace("\r\n", "\n").trim().to_string(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, mo, da, h, mi, s, _) = dt.to_ymd_hms_milli();
                if h == 0 && mi == 0 && s == 0 {
                    format!("{y:04}-{mo:02}-{da:02}")
                } else {
                    format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}")
                }
            } else {
                float_text(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
    }
}

/// A number as text: whole numbers without a decimal point (so `200.0` is `200`).
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Open and read every sheet of an xlsx file, after the safety checks. Errors are whole-file problems.
pub fn load(path: &Path) -> Result<Loaded, Vec<Problem>> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        vec![problem(
            &file,
            format!("cannot open the file: {e}"),
            "check the path and that the file is readable",
        )]
    })?;
    if meta.is_dir() {
        return Err(vec![problem(
            &file,
            "is a folder, not a workbook".into(),
            "give the path of an .xlsx file",
        )]);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(vec![problem(
            &file,
            format!(
                "the file is {} MB; workbooks larger than {} MB are refused",
                meta.len() / 1_048_576,
                MAX_FILE_BYTES / 1_048_576
            ),
            "remove pictures and unused sheets, or split the workbook",
        )]);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|mut f| f.by_ref().take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            vec![problem(
                &file,
                format!("cannot read the file: {e}"),
                "check that the file is readable",
            )]
        })?;
    load_bytes(&file, bytes)
}

/// Read every sheet of an xlsx held in memory (`file` names it in problems), after the safety checks.
pub fn load_bytes(file: &str, bytes: Vec<u8>) -> Result<Loaded, Vec<Problem>> {
    let file = file.to_string();
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(vec![problem(
            &file,
            format!(
                "the file is {} MB; workbooks larger than {} MB are refused",
                bytes.len() / 1_048_576,
                MAX_FILE_BYTES / 1_048_576
            ),
            "remove pictures and unused sheets, or split the workbook",
        )]);
    }
    let sha256 = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&bytes))
    };
    check_container(&file, &bytes)?;
    // calamine can panic on some damaged packages (e.g. a shared-string index out of range): that is a
    // damaged file, not a crash.
    let sheets =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheets(&file, bytes)))
            .unwrap_or_else(|_| {
                Err(vec![problem(
            &file,
            "the workbook is damaged: its contents could not be parsed".into(),
            "open it in Excel or LibreOffice, let it repair the file, and save it again as .xlsx",
        )])
            })?;
    Ok(Loaded { sha256, sheets })
}

fn read_sheets(file: &str, bytes: Vec<u8>) -> Result<Vec<LoadedSheet>, Vec<Problem>> {
    let file = file.to_string();
    let bytes_for_merges = std::sync::Arc::new(bytes);
    let bytes = Cursor::new(SharedBytes(bytes_for_merges.clone()));
    let mut xlsx: Xlsx<Cursor<SharedBytes>> =
        calamine::open_workbook_from_rs(bytes).map_err(|e| {
            vec![problem(
                &file,
                format!("not a readable xlsx workbook ({e})"),
                "open it in Excel or LibreOffice and save it again as an Excel workbook (.xlsx)",
            )]
        })?;
    let metas: Vec<(String, bool, bool)> = xlsx
        .sheets_metadata()
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.visible != SheetVisible::Visible,
                s.typ == calamine::SheetType::WorkSheet,
            )
        })
        .collect();
    // Cell count guard, from each sheet's declared dimensions, before reading the cells.
    let mut declared: u64 = 0;
    for (name, _, is_ws) in &metas {
        if !is_ws {
            continue;
        }
        if let Ok(r) = xlsx.worksheet_cells_reader(name) {
            declared = declared.saturating_add(r.dimensions().len());
        }
    }
    if declared > MAX_CELLS {
        return Err(vec![too_many_cells(&file, declared)]);
    }
    let merges = merged_regions(&bytes_for_merges);
    let mut sheets = Vec::new();
    let mut total: u64 = 0;
    for (name, hidden, is_ws) in metas {
        if !is_ws {
            continue;
        }
        let range = xlsx.worksheet_range(&name).map_err(|e| {
            vec![problem(
                &file,
                format!("sheet {name:?} cannot be read ({e})"),
                "open the workbook in Excel, check the sheet, and save it again as .xlsx",
            )]
        })?;
        let (h, w) = range.get_size();
        total = total.saturating_add(h as u64 * w as u64);
        if total > MAX_CELLS {
            return Err(vec![too_many_cells(&file, total)]);
        }
        let merged = merges.get(&name).cloned().unwrap_or_default();
        sheets.push(LoadedSheet {
            name,
            hidden,
            range,
            merged,
        });
    }
    Ok(sheets)
}

fn too_many_cells(file: &str, n: u64) -> Problem {
    problem(
        file,
        format!("the workbook spans {n} cells; more than {MAX_CELLS} are refused"),
        "delete unused rows and columns (a stray value far down or right makes Excel count the whole area)",
    )
}

/// Recognise what the bytes are before calamine parses them, so each kind of wrong file gets its own message.
fn check_container(file: &str, bytes: &[u8]) -> Result<(), Vec<Problem>> {
    if bytes.is_empty() {
        return Err(vec![problem(
            file,
            "the file is empty (0 bytes)".into(),
            "use the bundled workbook testcases/integrasjonstest-ajourhold-otp.xlsx as a template",
        )]);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(vec![problem(
            file,
            "the file is password-protected (encrypted), or an old Excel 97-2003 .xls file".into(),
            "remove the password (File > Info > Protect Workbook) or save it as an Excel workbook (.xlsx)",
        )]);
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        let hint = if bytes.starts_with(b"%PDF") {
            "this is a PDF; give the .xlsx workbook"
        } else if bytes
            .iter()
            .take(512)
            .all(|b| b.is_ascii() && (*b >= 0x20 || b"\r\n\t".contains(b)))
        {
            "this looks like a text/CSV file; open it in Excel and save it as an Excel workbook (.xlsx)"
        } else {
            "give an Excel workbook (.xlsx)"
        };
        return Err(vec![problem(
            file,
            "not an xlsx file (it is not a zip container)".into(),
            hint,
        )]);
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        vec![problem(
            file,
            format!("the file starts like a zip/xlsx but is damaged ({e})"),
            "open it in Excel to repair it and save it again as .xlsx",
        )]
    })?;
    if zip.index_for_name("xl/workbook.xml").is_none()
        && zip.index_for_name("xl/workbook.bin").is_none()
    {
        let what = if zip.index_for_name("word/document.xml").is_some() {
            "a Word document (.docx)"
        } else if zip.index_for_name("content.xml").is_some() {
            "an OpenDocument file (.ods/.odt)"
        } else {
            "a zip archive"
        };
        return Err(vec![problem(
            file,
            format!("not an xlsx workbook: it is {what} without xl/workbook.xml"),
            "give the Excel workbook (.xlsx); save .ods files as .xlsx first",
        )]);
    }
    if zip.index_for_name("xl/workbook.bin").is_some() {
        return Err(vec![problem(
            file,
            "this is a binary Excel workbook (.xlsb)".into(),
            "save it as an Excel workbook (.xlsx)",
        )]);
    }
    let mut uncompressed: u64 = 0;
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            uncompressed = uncompressed.saturating_add(f.size());
        }
    }
    if uncompressed > MAX_UNCOMPRESSED_BYTES {
        return Err(vec![problem(
            file,
            format!(
                "the workbook unpacks to {} MB; more than {} MB is refused",
                uncompressed / 1_048_576,
                MAX_UNCOMPRESSED_BYTES / 1_048_576
            ),
            "delete unused rows, columns and sheets",
        )]);
    }
    Ok(())
}

/// The file's bytes, shared between calamine and the merged-region scan.
#[derive(Clone)]
struct SharedBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// The merged regions of every worksheet, by sheet name. A byte search for `<mergeCell ref=…>` in each
/// sheet's XML: several times faster than calamine's full XML pass (the regions follow the cells). Best
/// effort: an unreadable part gives no regions.
fn merged_regions(bytes: &[u8]) -> std::collections::HashMap<String, Vec<Dimensions>> {
    let mut out = std::collections::HashMap::new();
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return out;
    };
    let mut part = |name: &str| -> Option<Vec<u8>> {
        let f = zip.by_name(name).ok()?;
        let mut v = Vec::with_capacity(f.size().min(MAX_UNCOMPRESSED_BYTES) as usize);
        f.take(MAX_UNCOMPRESSED_BYTES).read_to_end(&mut v).ok()?;
        Some(v)
    };
    let rels = part("xl/_rels/workbook.xml.rels")
        .map(|b| super::styles::relationships(&b))
        .unwrap_or_default();
    let Some(wbx) = part("xl/workbook.xml") else {
        return out;
    };
    // A literal prefix: the regex engine searches it with memchr, at memory speed.
    let Ok(re) = regex::bytes::Regex::new(r#"mergeCell\s+ref\s*=\s*["']([A-Za-z0-9$:]+)["']"#)
    else {
        return out;
    };
    for (name, rid) in super::styles::sheet_ids(&wbx) {
        let Some((_, target)) = rels.iter().find(|(id, _)| *id == rid) else {
            continue;
        };
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        let Some(xml) = part(&path) else { continue };
        let regions = re
            .captures_iter(&xml)
            .filter_map(|c| std::str::from_utf8(&c[1]).ok().and_then(dimensions_of))
            .collect();
        out.insert(name, regions);
    }
    out
}

/// `A1:B2` (or `A1`) as 0-based dimensions.
fn dimensions_of(r: &str) -> Option<Dimensions> {
    let (a, b) = r.split_once(':').unwrap_or((r, r));
    let start = super::styles::parse_a1(a.trim_matches('$'))?;
    let end = super::styles::parse_a1(b.trim_matches('$'))?;
    Some(Dimensions { start, end })
}
