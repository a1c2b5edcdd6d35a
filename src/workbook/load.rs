//! Opening an xlsx file safely: size and format checks before calamine sees it, then every sheet's cells
//! (cached values of formulas, hidden sheets included) with merged regions. Shared by the reader and the writer.

use super::package::{self, SharedBytes};
use super::{Problem, Severity};
use calamine::{Data, DataRef, Dimensions, Reader, SheetVisible, Xlsx};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;

/// Files larger than this are refused before being read.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// A sheet with more non-empty cells than this is refused.
pub const MAX_SHEET_CELLS: u64 = 10_000_000;
/// A non-empty cell separated from its table's last row by at least this many empty rows is outside the table.
pub const TABLE_GAP_ROWS: u32 = 100;
/// The uncompressed size of all zip entries together may not exceed this (zip bombs).
pub const MAX_UNCOMPRESSED_BYTES: u64 = 1024 * 1024 * 1024;

/// A non-empty cell as read: text, or another value (number, date, boolean, error). The text of a shared
/// string is held once per sheet and shared by every cell that uses it (most cells of a generated or
/// copied-down workbook repeat a few values).
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A string as written (untrimmed).
    Text(Arc<str>),
    Value(Data),
}

impl Cell {
    /// The cell's text (see [`cell_text`]), borrowed when it needs no change.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) if s.contains('\r') => {
                Cow::Owned(s.replace("\r\n", "\n").trim().to_string())
            }
            Cell::Text(s) => Cow::Borrowed(s.trim()),
            Cell::Value(d) => match d {
                Data::Empty | Data::Error(_) => Cow::Borrowed(""),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s)
                    if !s.contains('\r') =>
                {
                    Cow::Borrowed(s.trim())
                }
                d => Cow::Owned(cell_text(d)),
            },
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Cell::Text(s) => s.trim().is_empty(),
            Cell::Value(d) => is_blank(d),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Cell::Value(Data::Empty))
    }
}

impl From<Data> for Cell {
    fn from(d: Data) -> Cell {
        match d {
            Data::String(s) => Cell::Text(s.into()),
            d => Cell::Value(d),
        }
    }
}

/// One sheet as read: its non-empty cells only, by row (memory grows with the cells, not with the rectangle a
/// stray cell spans).
#[derive(Clone, Debug, Default)]
pub struct LoadedSheet {
    pub name: String,
    pub hidden: bool,
    /// Rows with at least one non-empty cell, ascending; each row's cells by column, ascending.
    rows: Vec<(u32, Vec<(u32, Cell)>)>,
    /// Merged regions of this sheet (absolute 0-based rows/columns).
    pub merged: Vec<Dimensions>,
}

impl LoadedSheet {
    /// A sheet from its non-empty cells in any order.
    pub fn from_cells(
        name: &str,
        hidden: bool,
        mut cells: Vec<((u32, u32), Cell)>,
        merged: Vec<Dimensions>,
    ) -> LoadedSheet {
        if !cells.is_sorted_by(|a, b| a.0 < b.0) {
            cells.sort_by_key(|c| c.0);
            cells.dedup_by(|b, a| a.0 == b.0);
        }
        let mut rows: Vec<(u32, Vec<(u32, Cell)>)> = Vec::new();
        let mut cells = cells.into_iter().peekable();
        while let Some(((r, c), v)) = cells.next() {
            let mut cs = vec![(c, v)];
            while let Some(((_, c), v)) = cells.next_if(|((nr, _), _)| *nr == r) {
                cs.push((c, v));
            }
            cs.shrink_to_fit();
            rows.push((r, cs));
        }
        LoadedSheet {
            name: name.to_string(),
            hidden,
            rows,
            merged,
        }
    }

    fn row(&self, row: u32) -> Option<&[(u32, Cell)]> {
        let i = self.rows.binary_search_by_key(&row, |(r, _)| *r).ok()?;
        Some(&self.rows[i].1)
    }

    /// The raw cell at an absolute position.
    pub fn get(&self, row: u32, col: u32) -> Option<&Cell> {
        let cells = self.row(row)?;
        let i = cells.binary_search_by_key(&col, |(c, _)| *c).ok()?;
        Some(&cells[i].1)
    }

    /// The text of a cell (see [`cell_text`]), or empty.
    pub fn text(&self, row: u32, col: u32) -> String {
        self.text_ref(row, col).into_owned()
    }

    /// The text of a cell, or empty, borrowed when the cell's text needs no change.
    pub fn text_ref(&self, row: u32, col: u32) -> Cow<'_, str> {
        self.get(row, col).map(Cell::text).unwrap_or_default()
    }

    /// First and last row with a cell, or None for an empty sheet.
    pub fn row_bounds(&self) -> Option<(u32, u32)> {
        Some((self.rows.first()?.0, self.rows.last()?.0))
    }

    /// First and last column with a cell, or None for an empty sheet.
    pub fn col_bounds(&self) -> Option<(u32, u32)> {
        let mut it = self
            .rows
            .iter()
            .filter_map(|(_, cs)| Some((cs.first()?.0, cs.last()?.0)));
        let first = it.next()?;
        Some(it.fold(first, |(a, b), (c, d)| (a.min(c), b.max(d))))
    }

    /// The rows that have cells, ascending.
    pub fn row_indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.iter().map(|(r, _)| *r)
    }

    /// The number of non-empty cells.
    pub fn cell_count(&self) -> usize {
        self.rows.iter().map(|(_, cs)| cs.len()).sum()
    }

    /// All non-empty cells of a row: (column, text).
    pub fn row_texts(&self, row: u32) -> Vec<(u32, String)> {
        self.row(row)
            .unwrap_or_default()
            .iter()
            .filter_map(|(c, v)| {
                let t = v.text();
                (!t.is_empty()).then(|| (*c, t.into_owned()))
            })
            .collect()
    }

    /// Whether a row has no cell with text (without building the texts).
    pub fn row_is_empty(&self, row: u32) -> bool {
        self.row(row)
            .unwrap_or_default()
            .iter()
            .all(|(_, v)| v.is_blank())
    }

    /// Drop the cells outside the table whose header row is `header_row`: right of `last_col` (when given),
    /// and every row separated from the table's last row by at least `gap` empty rows. Rows above the header
    /// row keep their cells up to `last_col`. Returns the positions of the dropped cells (blank cells are
    /// dropped silently).
    pub fn restrict_to_table(
        &mut self,
        header_row: u32,
        last_col: Option<u32>,
        gap: u32,
    ) -> Vec<(u32, u32)> {
        let mut dropped = Vec::new();
        if let Some(lc) = last_col {
            for (r, cs) in &mut self.rows {
                if cs.last().is_some_and(|(c, _)| *c > lc) {
                    let keep = cs.partition_point(|(c, _)| *c <= lc);
                    dropped.extend(
                        cs[keep..]
                            .iter()
                            .filter(|(_, v)| !v.is_blank())
                            .map(|(c, _)| (*r, *c)),
                    );
                    cs.truncate(keep);
                }
            }
        }
        let mut last = header_row;
        let mut cut = None;
        for (i, (r, cs)) in self.rows.iter().enumerate() {
            if *r <= header_row || cs.iter().all(|(_, v)| v.is_blank()) {
                continue;
            }
            if r - last > gap {
                cut = Some(i);
                break;
            }
            last = *r;
        }
        if let Some(i) = cut {
            for (r, cs) in self.rows.drain(i..) {
                dropped.extend(
                    cs.iter()
                        .filter(|(_, v)| !v.is_blank())
                        .map(|(c, _)| (r, *c)),
                );
            }
        }
        self.rows.retain(|(_, cs)| !cs.is_empty());
        dropped.sort_unstable();
        dropped
    }

    /// Give every cell of a merged region the value of its top-left cell (for reading only), within the
    /// cells the sheet has (a region over a whole column is not expanded beyond the last row).
    pub fn expand_merged(&mut self) {
        let Some((_, last_row)) = self.row_bounds() else {
            return;
        };
        let Some((_, last_col)) = self.col_bounds() else {
            return;
        };
        for m in self.merged.clone() {
            let Some(v) = self.get(m.start.0, m.start.1).cloned() else {
                continue;
            };
            if v.is_blank() {
                continue;
            }
            for r in m.start.0..=m.end.0.min(last_row) {
                for c in m.start.1..=m.end.1.min(last_col) {
                    if (r, c) != m.start {
                        self.set_if_blank(r, c, &v);
                    }
                }
            }
        }
    }

    fn set_if_blank(&mut self, row: u32, col: u32, v: &Cell) {
        let ri = match self.rows.binary_search_by_key(&row, |(r, _)| *r) {
            Ok(i) => i,
            Err(i) => {
                self.rows.insert(i, (row, Vec::new()));
                i
            }
        };
        let cs = &mut self.rows[ri].1;
        match cs.binary_search_by_key(&col, |(c, _)| *c) {
            Ok(i) if cs[i].1.is_empty() => cs[i].1 = v.clone(),
            Ok(_) => {}
            Err(i) => cs.insert(i, (col, v.clone())),
        }
    }
}

/// A cell without text: empty, an error value, or only spaces.
fn is_blank(v: &Data) -> bool {
    match v {
        Data::Empty | Data::Error(_) => true,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().is_empty(),
        _ => false,
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
    check_container(&file, &bytes)?;
    let shared = SharedBytes(std::sync::Arc::new(bytes));
    // The checksum and the merged regions (a second pass over the sheets' XML) in a second thread, while
    // calamine reads the cells.
    let (sha256, merges, sheets) = std::thread::scope(|scope| {
        let side = scope.spawn(|| {
            use sha2::{Digest, Sha256};
            (
                hex::encode(Sha256::digest(shared.as_ref())),
                merged_regions(&shared),
            )
        });
        // calamine can panic on some damaged packages (e.g. a shared-string index out of range): that is a
        // damaged file, not a crash.
        let sheets = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_sheets(&file, shared.clone(), MAX_SHEET_CELLS)
        }))
        .unwrap_or_else(|_| {
            Err(vec![problem(
                &file,
                "the workbook is damaged: its contents could not be parsed".into(),
                "open it in Excel or LibreOffice, let it repair the file, and save it again as .xlsx",
            )])
        });
        let (sha256, merges) = side.join().unwrap_or_default();
        (sha256, merges, sheets)
    });
    let mut sheets = sheets?;
    let mut merges = merges;
    for s in &mut sheets {
        s.merged = merges.remove(&s.name).unwrap_or_default();
    }
    Ok(Loaded { sha256, sheets })
}

/// The non-empty cells of every worksheet (merged regions are added by the caller).
fn read_sheets(
    file: &str,
    shared: SharedBytes,
    limit: u64,
) -> Result<Vec<LoadedSheet>, Vec<Problem>> {
    let file = file.to_string();
    let mut xlsx: Xlsx<Cursor<SharedBytes>> =
        calamine::open_workbook_from_rs(Cursor::new(shared.clone())).map_err(|e| {
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
    let mut sheets = Vec::new();
    for (name, hidden, is_ws) in metas {
        if !is_ws {
            continue;
        }
        let unreadable = |e: calamine::XlsxError| {
            vec![problem(
                &file,
                format!("sheet {name:?} cannot be read ({e})"),
                "open the workbook in Excel, check the sheet, and save it again as .xlsx",
            )]
        };
        // Only the non-empty cells, streamed: a stray value at XFD1048576 costs one cell, not the rectangle.
        let mut reader = xlsx.worksheet_cells_reader(&name).map_err(unreadable)?;
        let mut cells: Vec<((u32, u32), Cell)> = Vec::new();
        // A shared string's text, once per sheet: keyed by where calamine holds it (its shared-strings
        // table lives as long as the reader), so a repeated value costs no allocation.
        let mut shared: HashMap<(usize, usize), Arc<str>> = HashMap::new();
        let mut count: u64 = 0;
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            let v = match cell.get_value() {
                DataRef::Empty => continue,
                DataRef::SharedString(s) => Cell::Text(
                    shared
                        .entry((s.as_ptr() as usize, s.len()))
                        .or_insert_with(|| Arc::from(*s))
                        .clone(),
                ),
                DataRef::String(s) => Cell::Text(Arc::from(s.as_str())),
                other => Cell::Value(Data::from(other.clone())),
            };
            count += 1;
            if count <= limit {
                cells.push((cell.get_position(), v));
            } else if count == limit + 1 {
                // Keep counting for the message, without keeping the cells.
                cells = Vec::new();
            }
        }
        if count > limit {
            return Err(vec![Problem {
                severity: Severity::Error,
                file: file.clone(),
                location: name.clone(),
                message: format!(
                    "sheet {name:?} has {count} non-empty cells; more than {limit} are refused"
                ),
                hint: "split the workbook or delete unused rows and columns".into(),
            }]);
        }
        drop(shared);
        sheets.push(LoadedSheet::from_cells(&name, hidden, cells, Vec::new()));
    }
    Ok(sheets)
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

/// The merged regions of every worksheet, by sheet name. A byte search for `<mergeCell ref=…>` in each
/// sheet's XML: several times faster than calamine's full XML pass (the regions follow the cells). Best
/// effort: an unreadable part gives no regions.
fn merged_regions(bytes: &SharedBytes) -> std::collections::HashMap<String, Vec<Dimensions>> {
    static RE: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        // A literal prefix: the regex engine searches it with memchr, at memory speed.
        regex::bytes::Regex::new(r#"mergeCell\s+ref\s*=\s*["']([A-Za-z0-9$:]+)["']"#)
            .expect("static regex")
    });
    let mut out = std::collections::HashMap::new();
    let Some(mut zip) = package::open(bytes) else {
        return out;
    };
    for sheet in package::sheets(&mut zip) {
        let Some(xml) = package::part(&mut zip, &sheet.part) else {
            continue;
        };
        let regions = RE
            .captures_iter(&xml)
            .filter_map(|c| std::str::from_utf8(&c[1]).ok().and_then(dimensions_of))
            .collect();
        out.insert(sheet.name, regions);
    }
    out
}

/// `A1:B2` (or `A1`) as 0-based dimensions.
fn dimensions_of(r: &str) -> Option<Dimensions> {
    let (a, b) = r.split_once(':').unwrap_or((r, r));
    let start = package::parse_a1(a)?;
    let end = package::parse_a1(b)?;
    Some(Dimensions { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Testcaser").unwrap();
        for (r, c, v) in cells {
            ws.write_string(*r, *c, *v).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_sheet_over_the_cell_limit_is_refused_with_the_count_and_the_limit() {
        let bytes = xlsx(&[
            (0, 0, "a"),
            (0, 1, "b"),
            (1, 0, "c"),
            (5, 3, "d"),
            (9, 9, "e"),
        ]);
        let shared = SharedBytes(std::sync::Arc::new(bytes));
        let e = read_sheets("x.xlsx", shared.clone(), 3).unwrap_err();
        assert_eq!(e[0].location, "Testcaser");
        assert!(
            e[0].message
                .contains("has 5 non-empty cells; more than 3 are refused"),
            "{}",
            e[0].message
        );
        let sheets = read_sheets("x.xlsx", shared, 5).unwrap();
        assert_eq!(sheets[0].cell_count(), 5);
    }

    #[test]
    fn only_the_cells_are_kept_and_the_table_bounds_drop_the_far_ones() {
        let bytes = xlsx(&[
            (0, 0, "Testcase-ID"),
            (0, 1, "Operasjon"),
            (1, 0, "MP-01"),
            (1, 5, "note"),
            (150, 0, "far below"),
            (1_048_575, 16_383, "stray"),
        ]);
        let mut s = read_sheets(
            "x.xlsx",
            SharedBytes(std::sync::Arc::new(bytes)),
            MAX_SHEET_CELLS,
        )
        .unwrap()
        .remove(0);
        assert_eq!(s.cell_count(), 6);
        assert_eq!(s.row_bounds(), Some((0, 1_048_575)));
        assert_eq!(s.text(1_048_575, 16_383), "stray");
        let dropped = s.restrict_to_table(0, Some(1), TABLE_GAP_ROWS);
        assert_eq!(dropped, vec![(1, 5), (150, 0), (1_048_575, 16_383)]);
        assert_eq!(s.row_bounds(), Some((0, 1)));
        assert_eq!(s.col_bounds(), Some((0, 1)));
        assert_eq!(s.row_texts(1), vec![(0, "MP-01".to_string())]);
    }
}
