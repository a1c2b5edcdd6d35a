//! The filled-in workbook: a copy of the run's input workbook with the Testcaser result columns filled, and the
//! sheets `Avvik`, `Sammendrag` and `Endringslogg` added.
//!
//! The copy is made by editing the xlsx package in place: every part is copied byte for byte (its compressed
//! data, even) except the Testcaser sheet's XML, where only the result cells are replaced or inserted, and the
//! few parts that list the added sheets (`xl/workbook.xml`, its relationships, `[Content_Types].xml`) and
//! styles (`xl/styles.xml`, appended to). Styles, widths, merged cells, formulas, data validations, conditional
//! formats, comments, pictures, defined names and hidden sheets stay as they were, in their original cells.
//!
//! A simulated run's banner goes into every original sheet's page header and into row 1 of the added sheets:
//! no row or column of the user's sheets moves. With `mask_ids`, every personal id (11 digits that validate
//! as a fødselsnummer or d-nummer) in every part is masked as the other reports do (first 6 digits kept),
//! including cells copied from the input and ids stored as numbers.
//!
//! The input file is never written; the output is written atomically.

use crate::model::{CaseResult, Lang, RunReport, Status, StepResult};
use crate::workbook::headers::{self, HeaderMap};
use crate::workbook::package::{self, SharedBytes};
use crate::workbook::{col_letters, normalise, Problem, Severity, Workbook, WorkbookError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

const SHEET_DEVIATIONS: &str = "Avvik";
const SHEET_SUMMARY: &str = "Sammendrag";
const SHEET_CHANGELOG: &str = "Endringslogg";

const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL_WORKSHEET: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet";
const CT_WORKSHEET: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";

fn tr(lang: Lang, nb: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Nb => nb,
        Lang::En => en,
    }
}

fn one_problem(file: &str, message: String, hint: &str) -> WorkbookError {
    WorkbookError {
        file: file.to_string(),
        problems: vec![Problem {
            severity: Severity::Error,
            file: file.to_string(),
            location: String::new(),
            message,
            hint: hint.to_string(),
        }],
    }
}

fn write_error(out: &Path, e: impl std::fmt::Display) -> WorkbookError {
    one_problem(
        &out.display().to_string(),
        format!("cannot write the workbook: {e}"),
        "check that the folder exists and is writable, and that the file is not open in Excel",
    )
}

fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn oslo_iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Oslo)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn correlation_text(sent: Option<&str>, returned: Option<&str>, lang: Lang) -> String {
    let got = tr(lang, "mottatt", "received");
    match (sent, returned) {
        (Some(s), Some(r)) => format!("{s} / {got}: {r}"),
        (Some(s), None) => s.to_string(),
        (None, Some(r)) => format!("{got}: {r}"),
        (None, None) => String::new(),
    }
}

/// Write a copy of `wb`'s original file with the run's results to `out` (never the input file).
pub fn write_filled(
    wb: &Workbook,
    report: &RunReport,
    out: &Path,
    lang: Lang,
    mask_ids: bool,
) -> Result<(), WorkbookError> {
    let file = wb.path.display().to_string();
    if same_file(&wb.path, out) {
        return Err(one_problem(
            &out.display().to_string(),
            "the filled-in workbook would overwrite the input workbook".into(),
            "write it to another file, e.g. in the run's report folder",
        ));
    }
    let bytes = read_input(&wb.path)?;
    if !wb.sha256.is_empty() {
        use sha2::{Digest, Sha256};
        if hex::encode(Sha256::digest(&bytes)) != wb.sha256 {
            return Err(one_problem(
                &file,
                "the workbook changed on disk after it was read for the run".into(),
                "run again, or restore the workbook the run used",
            ));
        }
    }
    // Free text of the results: credentials scrubbed, personal ids masked when asked (as every report).
    let report = crate::report::text::prepare(report, mask_ids);
    // The copy is written into its temporary file as it is made (not built in memory first).
    let mut unreadable = None;
    let written = crate::fsutil::replace_with(out, |f| {
        fill(wb, &report, bytes, lang, mask_ids, f).map_err(|e| match e {
            Filled::Package(e) => {
                unreadable = Some(e);
                std::io::Error::other("the workbook's package cannot be edited")
            }
            Filled::Io(e) => e,
        })
    });
    if let Some(e) = unreadable {
        return Err(one_problem(
            &file,
            format!("the workbook's package cannot be edited: {e}"),
            "open it in Excel, save it again as .xlsx, and run again",
        ));
    }
    written.map_err(|e| write_error(out, e))
}

/// Why the filled-in copy could not be made: the input's package, or writing the copy.
enum Filled {
    Package(String),
    Io(std::io::Error),
}

impl From<String> for Filled {
    fn from(e: String) -> Self {
        Filled::Package(e)
    }
}

impl From<&str> for Filled {
    fn from(e: &str) -> Self {
        Filled::Package(e.to_string())
    }
}

/// A failed write of the copy (the zip writer's own errors carry the I/O error when there is one).
fn io_err(e: impl Into<zip::result::ZipError>) -> Filled {
    match e.into() {
        zip::result::ZipError::Io(e) => Filled::Io(e),
        other => Filled::Package(other.to_string()),
    }
}

fn read_input(path: &Path) -> Result<Vec<u8>, WorkbookError> {
    let file = path.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(crate::workbook::load::MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(|e| {
            one_problem(
                &file,
                format!("cannot read the workbook: {e}"),
                "check that the run's input workbook is still there and readable",
            )
        })?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------------------
// Cells and styles written by the harness.

/// A value written into a cell.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Num(f64),
    Str(String),
}

/// Which style a written cell gets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    /// The replaced cell's own style; for a new cell the row's or column's style, else the fallback.
    Keep(Option<u32>),
    /// One of the harness's styles.
    Fixed(Option<u32>),
}

#[derive(Clone, Debug, PartialEq)]
struct NewCell {
    col: u32,
    value: Value,
    style: Style,
}

/// The cell formats the harness appends to `xl/styles.xml` (indexes into `cellXfs`), None when the styles
/// part could not be extended.
#[derive(Clone, Copy, Debug, Default)]
struct Xfs {
    header: Option<u32>,
    header_result: Option<u32>,
    bold: Option<u32>,
    wrap: Option<u32>,
    banner: Option<u32>,
    status: [Option<u32>; 4],
}

impl Xfs {
    fn status(&self, s: Status) -> Option<u32> {
        match s {
            Status::Ok => self.status[0],
            Status::Deviation => self.status[1],
            Status::EnvironmentError => self.status[2],
            Status::NotRun | Status::NotApplicable => self.status[3],
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Count the children `<name …>` / `<name/>` between `<section` and `</section>`; returns (insert position
/// of the closing tag, count, start of the opening tag).
fn section(xml: &[u8], section: &str, child: &str) -> Option<(usize, u32, usize)> {
    let open = find(xml, format!("<{section}").as_bytes())?;
    let close = open + find(&xml[open..], format!("</{section}>").as_bytes())?;
    let body = &xml[open..close];
    let pat = format!("<{child}");
    let mut n = 0;
    let mut i = 0;
    while let Some(p) = find(&body[i..], pat.as_bytes()) {
        let after = body.get(i + p + pat.len()).copied();
        if matches!(
            after,
            Some(b' ') | Some(b'>') | Some(b'/') | Some(b'\t') | Some(b'\n') | Some(b'\r')
        ) {
            n += 1;
        }
        i += p + pat.len();
    }
    Some((close, n, open))
}

/// Append the harness's fonts, fills, a border and cell formats to `xl/styles.xml`.
fn extend_styles(xml: &[u8]) -> Option<(Vec<u8>, Xfs)> {
    let (fonts_at, n_fonts, fonts_open) = section(xml, "fonts", "font")?;
    let (fills_at, n_fills, fills_open) = section(xml, "fills", "fill")?;
    let (borders_at, n_borders, borders_open) = section(xml, "borders", "border")?;
    let (xfs_at, n_xfs, xfs_open) = section(xml, "cellXfs", "xf")?;
    let font = |bold: bool, size: u32, rgb: Option<&str>| {
        format!(
            "<font>{}<sz val=\"{size}\"/>{}<name val=\"Calibri\"/><family val=\"2\"/></font>",
            if bold { "<b/>" } else { "" },
            rgb.map(|c| format!("<color rgb=\"FF{c}\"/>"))
                .unwrap_or_default()
        )
    };
    let fill = |rgb: &str| {
        format!(
            "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FF{rgb}\"/><bgColor indexed=\"64\"/></patternFill></fill>"
        )
    };
    // Fonts: bold, banner, then the four status colours.
    let status_colours = [
        ("006100", "C6EFCE"),
        ("9C0006", "FFC7CE"),
        ("833C0B", "F8CBAD"),
        ("404040", "D9D9D9"),
    ];
    let mut fonts = font(true, 11, None) + &font(true, 12, Some("C00000"));
    for (fg, _) in status_colours {
        fonts += &font(true, 11, Some(fg));
    }
    let mut fills = fill("D9E1F2") + &fill("E2EFDA");
    for (_, bg) in status_colours {
        fills += &fill(bg);
    }
    let border = "<border><left style=\"thin\"><color auto=\"1\"/></left><right style=\"thin\"><color auto=\"1\"/></right>\
                  <top style=\"thin\"><color auto=\"1\"/></top><bottom style=\"thin\"><color auto=\"1\"/></bottom><diagonal/></border>";
    let (f_bold, f_banner, f_status) = (n_fonts, n_fonts + 1, n_fonts + 2);
    let (p_head, p_result, p_status) = (n_fills, n_fills + 1, n_fills + 2);
    let b_thin = n_borders;
    let xf = |font: u32, fill: u32, border: u32, align: &str| {
        format!(
            "<xf numFmtId=\"0\" fontId=\"{font}\" fillId=\"{fill}\" borderId=\"{border}\" xfId=\"0\" applyFont=\"1\"{}{}{}>{align}</xf>",
            if fill > 0 { " applyFill=\"1\"" } else { "" },
            if border > 0 { " applyBorder=\"1\"" } else { "" },
            if align.is_empty() { "" } else { " applyAlignment=\"1\"" },
        )
    };
    let wrap_top = "<alignment vertical=\"top\" wrapText=\"1\"/>";
    let mut xfs = xf(f_bold, p_head, b_thin, wrap_top)
        + &xf(f_bold, p_result, b_thin, wrap_top)
        + &xf(f_bold, 0, 0, "")
        + &format!("<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyAlignment=\"1\">{wrap_top}</xf>")
        + &xf(f_banner, 0, 0, "");
    for k in 0..4 {
        xfs += &xf(f_status + k, p_status + k, 0, "");
    }
    let ids = Xfs {
        header: Some(n_xfs),
        header_result: Some(n_xfs + 1),
        bold: Some(n_xfs + 2),
        wrap: Some(n_xfs + 3),
        banner: Some(n_xfs + 4),
        status: [
            Some(n_xfs + 5),
            Some(n_xfs + 6),
            Some(n_xfs + 7),
            Some(n_xfs + 8),
        ],
    };
    // Every change as (start, end, replacement) in the original, applied from the end so that earlier
    // positions stay valid: the new children before each closing tag, and the count attributes.
    let mut ops: Vec<(usize, usize, String)> = vec![
        (fonts_at, fonts_at, fonts),
        (fills_at, fills_at, fills),
        (borders_at, borders_at, border.to_string()),
        (xfs_at, xfs_at, xfs),
    ];
    for (open, name, n) in [
        (fonts_open, "fonts", n_fonts + 6),
        (fills_open, "fills", n_fills + 6),
        (borders_open, "borders", n_borders + 1),
        (xfs_open, "cellXfs", n_xfs + 9),
    ] {
        let tag_end = open + find(&xml[open..], b">")?;
        let tag = String::from_utf8_lossy(&xml[open..tag_end]).into_owned();
        let fixed = match tag.find(" count=\"") {
            Some(i) => {
                let j = i + 8 + tag[i + 8..].find('"')?;
                format!("{} count=\"{n}\"{}", &tag[..i], &tag[j + 1..])
            }
            None if tag.ends_with('/') => return None,
            None => format!("<{name} count=\"{n}\"{}", &tag[name.len() + 1..]),
        };
        ops.push((open, tag_end, fixed));
    }
    ops.sort_by_key(|(p, _, _)| std::cmp::Reverse(*p));
    let mut out = xml.to_vec();
    for (a, b, s) in ops {
        out.splice(a..b, s.into_bytes());
    }
    Some((out, ids))
}

/// Text for an XML text node: escaped, without the control characters XML 1.0 forbids.
fn xml_text(s: &str) -> String {
    quick_xml::escape::escape(crate::report::text::xml_clean(s).as_str()).into_owned()
}

fn cell_xml(out: &mut Vec<u8>, pfx: &str, row: u32, col: u32, value: &Value, s: Option<u32>) {
    let r = format!("{}{}", col_letters(col), row + 1);
    let s = s.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
    let x = match value {
        Value::Num(n) => format!("<{pfx}c r=\"{r}\"{s}><{pfx}v>{n}</{pfx}v></{pfx}c>"),
        Value::Str(t) => format!(
            "<{pfx}c r=\"{r}\"{s} t=\"inlineStr\"><{pfx}is><{pfx}t xml:space=\"preserve\">{}</{pfx}t></{pfx}is></{pfx}c>",
            xml_text(t)
        ),
    };
    out.extend_from_slice(x.as_bytes());
}

// ---------------------------------------------------------------------------------------------------------
// Editing one worksheet's XML in place.

/// What to change in one worksheet.
#[derive(Default)]
struct SheetPatch {
    /// Row -> cells to write, by column.
    edits: BTreeMap<u32, Vec<NewCell>>,
    /// Cells to write in a new row after the last row with cells (an existing change log).
    append: Vec<NewCell>,
    /// Column widths for columns the harness appended: (0-based column, width).
    widths: Vec<(u32, f64)>,
    /// Mask personal ids stored as numbers (text is masked over the whole part afterwards).
    mask: bool,
    /// The page-header banner of a simulated run, already in header syntax.
    banner: Option<String>,
}

impl SheetPatch {
    fn is_empty(&self) -> bool {
        self.edits.is_empty()
            && self.append.is_empty()
            && self.widths.is_empty()
            && !self.mask
            && self.banner.is_none()
    }

    fn put(&mut self, row: u32, cell: NewCell) {
        let cells = self.edits.entry(row).or_default();
        match cells.binary_search_by_key(&cell.col, |c| c.col) {
            Ok(i) => cells[i] = cell,
            Err(i) => cells.insert(i, cell),
        }
    }
}

/// A personal id stored as a number: its masked text. Every 11-digit whole number counts (as in text, see
/// `ids::mask_person_ids_in`), and a 10-digit one that is a valid id with its leading zero restored; also in
/// scientific notation (`1.2838510068E10`).
fn masked_number(v: &str) -> Option<String> {
    let f: f64 = v.trim().parse().ok()?;
    if !(f.fract() == 0.0 && (1e9..1e11).contains(&f)) {
        return None;
    }
    let id = format!("{:011}", f as u64);
    (f >= 1e10 || crate::ids::is_valid_person_id(&id)).then(|| crate::ids::mask_person_id(&id))
}

/// Elements that follow `headerFooter` among a worksheet's children (where a new one is inserted).
const AFTER_HEADER_FOOTER: &[&[u8]] = &[
    b"rowBreaks",
    b"colBreaks",
    b"customProperties",
    b"cellWatches",
    b"ignoredErrors",
    b"smartTags",
    b"drawing",
    b"legacyDrawing",
    b"legacyDrawingHF",
    b"drawingHF",
    b"picture",
    b"oleObjects",
    b"controls",
    b"webPublishItems",
    b"tableParts",
    b"extLst",
];

fn attr_str(e: &BytesStart, name: &[u8]) -> Option<String> {
    package::attr(e, name)
}

/// A start tag without its `spans` attribute (the row gets cells beyond its declared span).
fn without_spans(raw: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(raw);
    match s.find(" spans=\"") {
        Some(i) => match s[i + 8..].find('"') {
            Some(j) => format!("{}{}", &s[..i], &s[i + 8 + j + 1..]).into_bytes(),
            None => raw.to_vec(),
        },
        None => raw.to_vec(),
    }
}

/// The style of a written cell: a fixed one, the replaced cell's own (`own`), else the row's or column's.
fn style_of(
    cell: &NewCell,
    own: Option<Option<u32>>,
    row_style: Option<u32>,
    cols: &[(u32, u32, Option<u32>)],
) -> Option<u32> {
    match cell.style {
        Style::Fixed(s) => s,
        Style::Keep(fallback) => match own {
            Some(s) => s,
            None => row_style
                .or_else(|| {
                    cols.iter()
                        .find(|(a, b, _)| *a <= cell.col && cell.col <= *b)
                        .and_then(|c| c.2)
                })
                .or(fallback),
        },
    }
}

/// New cells of one row, in column order.
fn new_cells(
    out: &mut Vec<u8>,
    pfx: &str,
    row: u32,
    cells: &[NewCell],
    row_style: Option<u32>,
    cols: &[(u32, u32, Option<u32>)],
) {
    for c in cells {
        cell_xml(
            out,
            pfx,
            row,
            c.col,
            &c.value,
            style_of(c, None, row_style, cols),
        );
    }
}

struct Patched {
    xml: Vec<u8>,
    /// A cell that held a formula was replaced (the calculation chain must go).
    replaced_formula: bool,
}

/// Apply a patch to a worksheet's XML: everything not named in the patch is copied byte for byte.
fn patch_sheet(xml: &[u8], patch: &SheetPatch) -> Result<Patched, String> {
    let mut r = Reader::from_reader(xml);
    r.config_mut().check_end_names = false;
    let mut out: Vec<u8> = Vec::with_capacity(xml.len() + 4096);
    let mut copied = 0usize;
    let mut edits = patch.edits.iter().peekable();
    let mut replaced_formula = false;
    let mut pfx = String::new();
    let mut depth = 0usize;
    let mut in_sheet_data = false;
    let mut in_cols = false;
    let mut cols: Vec<(u32, u32, Option<u32>)> = Vec::new();
    let mut saw_cols = false;
    let mut saw_header_footer = false;
    let mut in_header_text = false;
    let mut header_text_done = false;
    let mut next_row: u32 = 0;
    let mut row: Option<(u32, Option<u32>)> = None; // (row, row style)
    let mut row_queue: std::collections::VecDeque<NewCell> = Default::default();
    let mut next_col: u32 = 0;
    let mut last_row_with_cells: Option<u32> = None;
    let has_odd_header = find(xml, b"oddHeader").is_some();
    let banner_header = patch
        .banner
        .as_deref()
        .map(|b| format!("<oddHeader>{}</oddHeader>", xml_text(b)));

    let write_rows_before = |out: &mut Vec<u8>,
                             edits: &mut std::iter::Peekable<
        std::collections::btree_map::Iter<'_, u32, Vec<NewCell>>,
    >,
                             before: Option<u32>,
                             pfx: &str,
                             cols: &[(u32, u32, Option<u32>)]| {
        while let Some((r, cells)) = edits.peek() {
            if before.is_some_and(|b| **r >= b) {
                break;
            }
            out.extend_from_slice(format!("<{pfx}row r=\"{}\">", **r + 1).as_bytes());
            new_cells(out, pfx, **r, cells, None, cols);
            out.extend_from_slice(format!("</{pfx}row>").as_bytes());
            edits.next();
        }
    };

    loop {
        let start = r.buffer_position() as usize;
        let ev = r.read_event().map_err(|e| e.to_string())?;
        let end = r.buffer_position() as usize;
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let local = e.local_name();
                let name = local.as_ref();
                if depth == 0 {
                    // The root element: remember the namespace prefix used for cells.
                    let full = e.name();
                    if let Some(p) = full.as_ref().iter().position(|b| *b == b':') {
                        pfx = format!("{}:", String::from_utf8_lossy(&full.as_ref()[..p]));
                    }
                }
                if in_sheet_data {
                    match name {
                        b"row" => {
                            let rn = attr_str(e, b"r")
                                .and_then(|v| package::parse_row(&v))
                                .unwrap_or(next_row);
                            next_row = rn + 1;
                            next_col = 0;
                            let rs = (attr_str(e, b"customFormat").as_deref() == Some("1"))
                                .then(|| attr_str(e, b"s").and_then(|v| v.parse().ok()))
                                .flatten();
                            out.extend_from_slice(&xml[copied..start]);
                            copied = start;
                            write_rows_before(&mut out, &mut edits, Some(rn), &pfx, &cols);
                            let mine = match edits.peek() {
                                Some((er, _)) if **er == rn => {
                                    edits.next().map(|(_, c)| c.clone()).unwrap_or_default()
                                }
                                _ => Vec::new(),
                            };
                            if !mine.is_empty() {
                                let raw = without_spans(&xml[start..end]);
                                if empty {
                                    // `<row …/>` becomes `<row …>cells</row>`.
                                    let open = &raw[..raw.len() - 2];
                                    out.extend_from_slice(open);
                                    out.push(b'>');
                                    new_cells(&mut out, &pfx, rn, &mine, rs, &cols);
                                    out.extend_from_slice(format!("</{pfx}row>").as_bytes());
                                } else {
                                    out.extend_from_slice(&raw);
                                }
                                copied = end;
                            }
                            if !empty {
                                row = Some((rn, rs));
                                row_queue = mine.into();
                                depth += 1;
                            }
                            continue;
                        }
                        b"c" => {
                            let (rn, rs) = row.unwrap_or((next_row, None));
                            let col = attr_str(e, b"r")
                                .and_then(|v| package::parse_a1(&v))
                                .map(|(_, c)| c)
                                .unwrap_or(next_col);
                            next_col = col + 1;
                            last_row_with_cells = Some(rn);
                            // New cells to the left of this one.
                            let mut before: Vec<NewCell> = Vec::new();
                            while row_queue.front().is_some_and(|c| c.col < col) {
                                before.extend(row_queue.pop_front());
                            }
                            let same = if row_queue.front().is_some_and(|c| c.col == col) {
                                row_queue.pop_front()
                            } else {
                                None
                            };
                            if !before.is_empty() {
                                out.extend_from_slice(&xml[copied..start]);
                                copied = start;
                                new_cells(&mut out, &pfx, rn, &before, rs, &cols);
                            }
                            let own_style = attr_str(e, b"s").and_then(|v| v.parse().ok());
                            let t = attr_str(e, b"t");
                            // The whole cell: its children up to </c>.
                            let (cell_end, v, has_f) = if empty {
                                (end, None, false)
                            } else {
                                let mut v: Option<String> = None;
                                let mut has_f = false;
                                let mut in_v = false;
                                loop {
                                    let ev = r.read_event().map_err(|e| e.to_string())?;
                                    match ev {
                                        Event::Start(ref x) | Event::Empty(ref x) => {
                                            match x.local_name().as_ref() {
                                                b"f" => has_f = true,
                                                b"v" => in_v = matches!(ev, Event::Start(_)),
                                                _ => {}
                                            }
                                        }
                                        Event::Text(ref x) if in_v => {
                                            v = Some(
                                                String::from_utf8_lossy(x.as_ref()).into_owned(),
                                            );
                                        }
                                        Event::End(ref x) => match x.local_name().as_ref() {
                                            b"v" => in_v = false,
                                            b"c" => break,
                                            _ => {}
                                        },
                                        Event::Eof => {
                                            return Err("unexpected end inside a cell".into())
                                        }
                                        _ => {}
                                    }
                                }
                                (r.buffer_position() as usize, v, has_f)
                            };
                            if let Some(c) = same {
                                out.extend_from_slice(&xml[copied..start]);
                                cell_xml(
                                    &mut out,
                                    &pfx,
                                    rn,
                                    col,
                                    &c.value,
                                    style_of(&c, Some(own_style), rs, &cols),
                                );
                                copied = cell_end;
                                replaced_formula |= has_f;
                            } else if patch.mask && matches!(t.as_deref(), None | Some("n")) {
                                if let Some(m) = v.as_deref().and_then(masked_number) {
                                    out.extend_from_slice(&xml[copied..start]);
                                    copied = cell_end;
                                    if has_f {
                                        // Keep the formula; its cached result becomes the masked text.
                                        let raw = String::from_utf8_lossy(&xml[start..cell_end])
                                            .into_owned();
                                        let masked = mask_formula_cell(&raw, &m, &pfx);
                                        out.extend_from_slice(masked.as_bytes());
                                    } else {
                                        cell_xml(
                                            &mut out,
                                            &pfx,
                                            rn,
                                            col,
                                            &Value::Str(m),
                                            own_style,
                                        );
                                    }
                                }
                            }
                            continue;
                        }
                        _ => {}
                    }
                }
                match name {
                    b"dimension"
                        if depth == 1 && (!patch.edits.is_empty() || !patch.append.is_empty()) =>
                    {
                        out.extend_from_slice(&xml[copied..start]);
                        copied = end;
                        let old = attr_str(e, b"ref").unwrap_or_default();
                        out.extend_from_slice(
                            format!("<{pfx}dimension ref=\"{}\"/>", widen_dimension(&old, patch))
                                .as_bytes(),
                        );
                        if !empty {
                            depth += 1;
                        }
                        continue;
                    }
                    b"cols" if depth == 1 => {
                        saw_cols = true;
                        in_cols = !empty;
                    }
                    b"col" if in_cols => {
                        let a = attr_str(e, b"min").and_then(|v| v.parse::<u32>().ok());
                        let b = attr_str(e, b"max").and_then(|v| v.parse::<u32>().ok());
                        if let (Some(a), Some(b)) = (a, b) {
                            cols.push((
                                a.saturating_sub(1),
                                b.saturating_sub(1),
                                attr_str(e, b"style").and_then(|v| v.parse().ok()),
                            ));
                        }
                    }
                    b"sheetData" if depth == 1 => {
                        out.extend_from_slice(&xml[copied..start]);
                        copied = start;
                        if !saw_cols && !patch.widths.is_empty() {
                            out.extend_from_slice(format!("<{pfx}cols>").as_bytes());
                            out.extend_from_slice(
                                col_elements(&patch.widths, &cols, &pfx).as_bytes(),
                            );
                            out.extend_from_slice(format!("</{pfx}cols>").as_bytes());
                        }
                        if empty {
                            copied = end;
                            out.extend_from_slice(format!("<{pfx}sheetData>").as_bytes());
                            write_rows_before(&mut out, &mut edits, None, &pfx, &cols);
                            append_row(&mut out, &pfx, last_row_with_cells, &patch.append, &cols);
                            out.extend_from_slice(format!("</{pfx}sheetData>").as_bytes());
                        } else {
                            in_sheet_data = true;
                        }
                    }
                    b"headerFooter" if depth == 1 => {
                        saw_header_footer = true;
                        if let Some(b) = &banner_header {
                            if empty {
                                out.extend_from_slice(&xml[copied..start]);
                                copied = end;
                                let raw =
                                    String::from_utf8_lossy(&xml[start..end - 2]).into_owned();
                                out.extend_from_slice(
                                    format!("{raw}>{}</{pfx}headerFooter>", prefixed(b, &pfx))
                                        .as_bytes(),
                                );
                            } else if !has_odd_header {
                                out.extend_from_slice(&xml[copied..end]);
                                copied = end;
                                out.extend_from_slice(prefixed(b, &pfx).as_bytes());
                            }
                        }
                    }
                    b"oddHeader" | b"evenHeader" | b"firstHeader"
                        if depth == 2 && patch.banner.is_some() =>
                    {
                        if empty {
                            out.extend_from_slice(&xml[copied..start]);
                            copied = end;
                            let tag = String::from_utf8_lossy(&xml[start..end - 2]).into_owned();
                            let full = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                            out.extend_from_slice(
                                format!(
                                    "{tag}>{}</{full}>",
                                    xml_text(patch.banner.as_deref().unwrap_or_default())
                                )
                                .as_bytes(),
                            );
                        } else {
                            in_header_text = true;
                            header_text_done = false;
                        }
                    }
                    n if depth == 1
                        && !saw_header_footer
                        && banner_header.is_some()
                        && AFTER_HEADER_FOOTER.contains(&n) =>
                    {
                        out.extend_from_slice(&xml[copied..start]);
                        copied = start;
                        if let Some(b) = &banner_header {
                            out.extend_from_slice(header_footer(b, &pfx).as_bytes());
                        }
                        saw_header_footer = true;
                    }
                    _ => {}
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::Text(ref t) if in_header_text && !header_text_done => {
                out.extend_from_slice(&xml[copied..start]);
                copied = end;
                let banner = xml_text(patch.banner.as_deref().unwrap_or_default());
                out.extend_from_slice(banner.as_bytes());
                out.push(b'\n');
                out.extend_from_slice(t.as_ref());
                header_text_done = true;
            }
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                let local = e.local_name();
                match local.as_ref() {
                    b"row" if in_sheet_data => {
                        let (rn, rs) = row.take().unwrap_or((next_row, None));
                        let rest: Vec<NewCell> = row_queue.drain(..).collect();
                        if !rest.is_empty() {
                            out.extend_from_slice(&xml[copied..start]);
                            copied = start;
                            new_cells(&mut out, &pfx, rn, &rest, rs, &cols);
                        }
                    }
                    b"sheetData" if in_sheet_data => {
                        in_sheet_data = false;
                        out.extend_from_slice(&xml[copied..start]);
                        copied = start;
                        write_rows_before(&mut out, &mut edits, None, &pfx, &cols);
                        append_row(&mut out, &pfx, last_row_with_cells, &patch.append, &cols);
                    }
                    b"cols" if in_cols => {
                        in_cols = false;
                        out.extend_from_slice(&xml[copied..start]);
                        copied = start;
                        out.extend_from_slice(col_elements(&patch.widths, &cols, &pfx).as_bytes());
                    }
                    b"oddHeader" | b"evenHeader" | b"firstHeader" if in_header_text => {
                        in_header_text = false;
                        if !header_text_done {
                            // An empty header element: the banner alone.
                            out.extend_from_slice(&xml[copied..start]);
                            copied = start;
                            out.extend_from_slice(
                                xml_text(patch.banner.as_deref().unwrap_or_default()).as_bytes(),
                            );
                        }
                    }
                    b"worksheet" if !saw_header_footer => {
                        if let Some(b) = &banner_header {
                            out.extend_from_slice(&xml[copied..start]);
                            copied = start;
                            out.extend_from_slice(header_footer(b, &pfx).as_bytes());
                            saw_header_footer = true;
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out.extend_from_slice(&xml[copied..]);
    Ok(Patched {
        xml: out,
        replaced_formula,
    })
}

/// A new `<headerFooter>` with the banner's `<oddHeader>`, in the sheet's namespace prefix.
fn header_footer(odd_header: &str, pfx: &str) -> String {
    format!(
        "<{pfx}headerFooter>{}</{pfx}headerFooter>",
        prefixed(odd_header, pfx)
    )
}

/// `<oddHeader>` with the sheet's namespace prefix.
fn prefixed(s: &str, pfx: &str) -> String {
    if pfx.is_empty() {
        s.to_string()
    } else {
        s.replace("<oddHeader>", &format!("<{pfx}oddHeader>"))
            .replace("</oddHeader>", &format!("</{pfx}oddHeader>"))
    }
}

/// A formula cell whose cached numeric result is a personal id: the cached result as masked text.
fn mask_formula_cell(raw: &str, masked: &str, pfx: &str) -> String {
    // Drop a `t` attribute and the old <v>, then add t="str" and the masked value.
    let open_end = raw.find('>').unwrap_or(raw.len());
    let mut open = raw[..open_end].to_string();
    if let Some(i) = open.find(" t=\"") {
        if let Some(j) = open[i + 4..].find('"') {
            open.replace_range(i..i + 4 + j + 1, "");
        }
    }
    open.push_str(" t=\"str\"");
    let body = &raw[open_end..];
    let v_open = format!("<{pfx}v>");
    let v_close = format!("</{pfx}v>");
    let body = match (body.find(&v_open), body.find(&v_close)) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{v_open}{}{v_close}{}",
            &body[..a],
            xml_text(masked),
            &body[b + v_close.len()..]
        ),
        _ => body.to_string(),
    };
    format!("{open}{body}")
}

fn col_elements(widths: &[(u32, f64)], existing: &[(u32, u32, Option<u32>)], pfx: &str) -> String {
    let max = existing.iter().map(|c| c.1 + 1).max().unwrap_or(0);
    widths
        .iter()
        .filter(|(c, _)| *c >= max && !existing.iter().any(|(a, b, _)| a <= c && c <= b))
        .map(|(c, w)| {
            format!(
                "<{pfx}col min=\"{0}\" max=\"{0}\" width=\"{w}\" customWidth=\"1\"/>",
                c + 1
            )
        })
        .collect()
}

fn append_row(
    out: &mut Vec<u8>,
    pfx: &str,
    last: Option<u32>,
    cells: &[NewCell],
    cols: &[(u32, u32, Option<u32>)],
) {
    if cells.is_empty() {
        return;
    }
    let r = last.map(|l| l + 1).unwrap_or(0);
    out.extend_from_slice(format!("<{pfx}row r=\"{}\">", r + 1).as_bytes());
    new_cells(out, pfx, r, cells, None, cols);
    out.extend_from_slice(format!("</{pfx}row>").as_bytes());
}

/// The `<dimension ref>` widened to the cells the patch writes.
fn widen_dimension(old: &str, patch: &SheetPatch) -> String {
    let (a, b) = old.split_once(':').unwrap_or((old, old));
    let (mut r0, mut c0) = package::parse_a1(a).unwrap_or((0, 0));
    let (mut r1, mut c1) = package::parse_a1(b).unwrap_or((r0, c0));
    for (r, cells) in &patch.edits {
        for c in cells {
            r0 = r0.min(*r);
            r1 = r1.max(*r);
            c0 = c0.min(c.col);
            c1 = c1.max(c.col);
        }
    }
    if !patch.append.is_empty() {
        r1 += 1;
        for c in &patch.append {
            c1 = c1.max(c.col);
        }
    }
    format!(
        "{}{}:{}{}",
        col_letters(c0),
        r0 + 1,
        col_letters(c1),
        r1 + 1
    )
}

// ---------------------------------------------------------------------------------------------------------
// The result cells.

struct StepValues {
    http: Option<u16>,
    code: String,
    result: String,
    correlation: String,
    comment: String,
    status: Status,
}

impl StepValues {
    fn of_step(s: &StepResult, lang: Lang) -> StepValues {
        StepValues {
            http: s.actual_http,
            code: s.actual_code.clone().unwrap_or_default(),
            result: s
                .summary
                .clone()
                .or_else(|| s.note.clone())
                .unwrap_or_default(),
            correlation: correlation_text(
                s.correlation_id.as_deref(),
                s.correlation_id_returned.as_deref(),
                lang,
            ),
            comment: s.note.clone().unwrap_or_default(),
            status: s.status,
        }
    }

    fn of_case(c: &CaseResult, lang: Lang) -> StepValues {
        StepValues {
            http: c.actual_http,
            code: c.actual_code.clone().unwrap_or_default(),
            result: c.note.clone().unwrap_or_default(),
            correlation: correlation_text(
                c.correlation_id.as_deref(),
                c.correlation_id_returned.as_deref(),
                lang,
            ),
            comment: c.note.clone().unwrap_or_default(),
            status: c.status,
        }
    }
}

/// Width (characters) of an appended result column.
fn width_of(canonical: &str) -> f64 {
    match canonical {
        headers::TC_ACTUAL_RESULT | headers::TC_COMMENT => 45.0,
        headers::TC_CORRELATION => 36.0,
        headers::TC_DATE => 26.0,
        headers::TC_TESTED_BY => 20.0,
        _ => 16.0,
    }
}

/// The result cells of the Testcaser sheet: headers of the missing result columns after the last header,
/// and per case (or step) row its results.
fn result_patch(
    wb: &Workbook,
    h: &HeaderMap,
    report: &RunReport,
    lang: Lang,
    xfs: &Xfs,
) -> SheetPatch {
    let mut patch = SheetPatch::default();
    let mut next = h.last_col().map(|c| c + 1).unwrap_or(0);
    let mut col_of: Vec<(&str, u32)> = Vec::new();
    for name in headers::RESULT_COLUMNS {
        let c = match h.col(name) {
            Some(c) => c,
            None => {
                let c = next;
                next += 1;
                patch.put(
                    h.row,
                    NewCell {
                        col: c,
                        value: Value::Str(name.to_string()),
                        style: Style::Fixed(xfs.header_result),
                    },
                );
                patch.widths.push((c, width_of(name)));
                c
            }
        };
        col_of.push((name, c));
    }
    let col = |name: &str| {
        col_of
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .unwrap_or(0)
    };
    let tester = format!("dsop-harness {}", report.harness_version);
    let by_id: std::collections::HashMap<String, &crate::workbook::Case> = wb
        .cases
        .iter()
        .map(|c| (c.id.to_ascii_lowercase(), c))
        .collect();
    for cr in &report.cases {
        let Some(case) = by_id.get(&cr.id.to_ascii_lowercase()) else {
            continue;
        };
        let date = oslo_iso(cr.started.unwrap_or(report.started));
        // Several steps on one row (a case mapped from a one-row Bits case): the case's result on that row.
        let one_row = case.steps.len() > 1 && case.steps.iter().all(|s| s.row == case.steps[0].row);
        for (i, step) in case.steps.iter().enumerate() {
            let r = step.row;
            let sr = cr.steps.iter().find(|s| s.step == step.step);
            // Without a step result, the case-level result goes on the case's first row only.
            let vals = match sr {
                Some(s) if !one_row => StepValues::of_step(s, lang),
                _ if i == 0 => StepValues::of_case(cr, lang),
                _ => continue,
            };
            let mut put = |name: &str, value: Value, style: Style| {
                patch.put(
                    r,
                    NewCell {
                        col: col(name),
                        value,
                        style,
                    },
                )
            };
            if let Some(code) = vals.http {
                put(
                    headers::TC_ACTUAL_HTTP,
                    Value::Num(f64::from(code)),
                    Style::Keep(None),
                );
            }
            for (name, v) in [
                (headers::TC_ACTUAL_CODE, &vals.code),
                (headers::TC_ACTUAL_RESULT, &vals.result),
                (headers::TC_CORRELATION, &vals.correlation),
                (headers::TC_COMMENT, &vals.comment),
            ] {
                if !v.is_empty() {
                    put(name, Value::Str(v.clone()), Style::Keep(xfs.wrap));
                }
            }
            put(
                headers::TC_STATUS,
                Value::Str(vals.status.label(lang).to_string()),
                Style::Fixed(xfs.status(vals.status)),
            );
            put(
                headers::TC_DATE,
                Value::Str(date.clone()),
                Style::Keep(None),
            );
            put(
                headers::TC_TESTED_BY,
                Value::Str(tester.clone()),
                Style::Keep(None),
            );
        }
    }
    patch
}

// ---------------------------------------------------------------------------------------------------------
// The added sheets.

/// A sheet written by the harness: rows of cells, widths, a frozen header row.
#[derive(Default)]
struct NewSheet {
    rows: BTreeMap<u32, Vec<(u32, Value, Option<u32>)>>,
    widths: Vec<f64>,
    freeze_below: Option<u32>,
    banner: Option<String>,
}

impl NewSheet {
    fn set(&mut self, row: u32, col: u32, value: Value, style: Option<u32>) {
        if matches!(&value, Value::Str(s) if s.is_empty()) {
            return;
        }
        self.rows.entry(row).or_default().push((col, value, style));
    }

    fn xml(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
                 <worksheet xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\">"
            )
            .as_bytes(),
        );
        match self.freeze_below {
            Some(r) => out.extend_from_slice(
                format!(
                    "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"{r}\" topLeftCell=\"A{}\" \
                     activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>",
                    r + 1
                )
                .as_bytes(),
            ),
            None => out.extend_from_slice(b"<sheetViews><sheetView workbookViewId=\"0\"/></sheetViews>"),
        }
        out.extend_from_slice(b"<sheetFormatPr defaultRowHeight=\"15\"/>");
        if !self.widths.is_empty() {
            out.extend_from_slice(b"<cols>");
            for (i, w) in self.widths.iter().enumerate() {
                out.extend_from_slice(
                    format!(
                        "<col min=\"{0}\" max=\"{0}\" width=\"{w}\" customWidth=\"1\"/>",
                        i + 1
                    )
                    .as_bytes(),
                );
            }
            out.extend_from_slice(b"</cols>");
        }
        out.extend_from_slice(b"<sheetData>");
        for (r, cells) in &self.rows {
            out.extend_from_slice(format!("<row r=\"{}\">", r + 1).as_bytes());
            let mut cells: Vec<&(u32, Value, Option<u32>)> = cells.iter().collect();
            cells.sort_by_key(|c| c.0);
            for (c, v, s) in cells {
                cell_xml(&mut out, "", *r, *c, v, *s);
            }
            out.extend_from_slice(b"</row>");
        }
        out.extend_from_slice(b"</sheetData>");
        out.extend_from_slice(
            b"<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>",
        );
        if let Some(b) = &self.banner {
            out.extend_from_slice(
                format!(
                    "<headerFooter><oddHeader>{}</oddHeader></headerFooter>",
                    xml_text(b)
                )
                .as_bytes(),
            );
        }
        out.extend_from_slice(b"</worksheet>");
        out
    }
}

fn deviations_sheet(report: &RunReport, lang: Lang, xfs: &Xfs, off: u32) -> NewSheet {
    let mut ws = NewSheet::default();
    let cols = [
        tr(lang, "Avvik-ID", "Deviation ID"),
        "Testcase-ID",
        tr(lang, "Beskrivelse", "Description"),
        tr(lang, "Alvorlighet", "Severity"),
        tr(lang, "Årsak", "Cause"),
        tr(lang, "Tiltak", "Action"),
        tr(lang, "Ansvarlig", "Owner"),
        "Status",
        tr(lang, "Meldt Bits (saksnr)", "Reported to Bits (case no.)"),
        tr(lang, "Korrelasjons-ID", "Correlation ID"),
    ];
    ws.widths = vec![12.0, 12.0, 60.0, 12.0, 14.0, 30.0, 16.0, 10.0, 20.0, 50.0];
    for (c, name) in cols.iter().enumerate() {
        ws.set(off, c as u32, Value::Str(name.to_string()), xfs.header);
    }
    ws.freeze_below = Some(off + 1);
    let mut n = 0u32;
    for c in report
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Deviation | Status::EnvironmentError))
    {
        n += 1;
        let r = off + n;
        let desc = match &c.note {
            Some(note) if !note.is_empty() => format!("{}: {note}", c.description),
            _ => c.description.clone(),
        };
        let (severity, cause) = match (c.status, c.mandatory) {
            (Status::EnvironmentError, _) => {
                (tr(lang, "Lav", "Low"), tr(lang, "Miljø", "Environment"))
            }
            (_, true) => (tr(lang, "Høy", "High"), ""),
            _ => (tr(lang, "Middels", "Medium"), ""),
        };
        let corr = correlation_text(
            c.correlation_id.as_deref(),
            c.correlation_id_returned.as_deref(),
            lang,
        );
        let vals = [
            format!("AV-{n:02}"),
            c.id.clone(),
            desc,
            severity.to_string(),
            cause.to_string(),
            String::new(),
            String::new(),
            tr(lang, "Åpen", "Open").to_string(),
            String::new(),
            corr,
        ];
        for (col, v) in vals.into_iter().enumerate() {
            ws.set(r, col as u32, Value::Str(v), xfs.wrap);
        }
    }
    ws
}

fn summary_sheet(report: &RunReport, lang: Lang, xfs: &Xfs, off: u32) -> NewSheet {
    let mut ws = NewSheet::default();
    let statuses = [
        Status::Ok,
        Status::Deviation,
        Status::EnvironmentError,
        Status::NotRun,
        Status::NotApplicable,
    ];
    ws.set(off, 0, Value::Str("API".into()), xfs.header);
    ws.set(
        off,
        1,
        Value::Str(tr(lang, "Testcaser", "Cases").into()),
        xfs.header,
    );
    ws.widths = vec![24.0, 12.0];
    for (k, s) in statuses.iter().enumerate() {
        ws.set(
            off,
            2 + k as u32,
            Value::Str(s.label(lang).into()),
            xfs.header,
        );
        ws.widths.push(14.0);
    }
    let mut r = off + 1;
    for (api, s) in report.summary_per_api() {
        ws.set(r, 0, Value::Str(api.label(lang).into()), None);
        ws.set(r, 1, Value::Num(s.total as f64), None);
        for (k, st) in statuses.iter().enumerate() {
            ws.set(r, 2 + k as u32, Value::Num(s.count(*st) as f64), None);
        }
        r += 1;
    }
    ws.set(
        r,
        0,
        Value::Str(tr(lang, "Totalt", "Total").into()),
        xfs.bold,
    );
    ws.set(r, 1, Value::Num(report.summary.total as f64), xfs.bold);
    for (k, st) in statuses.iter().enumerate() {
        ws.set(
            r,
            2 + k as u32,
            Value::Num(report.summary.count(*st) as f64),
            xfs.bold,
        );
    }
    r += 2;
    ws.set(
        r,
        0,
        Value::Str(tr(lang, "Samlet vurdering", "Overall verdict").into()),
        xfs.bold,
    );
    ws.set(
        r,
        1,
        Value::Str(report.verdict.label(lang).into()),
        xfs.bold,
    );
    ws.set(
        r + 1,
        0,
        Value::Str(
            tr(
                lang,
                "Vurderingen gjelder de obligatoriske testcasene.",
                "The verdict covers the mandatory cases.",
            )
            .into(),
        ),
        None,
    );
    // The run's notes, as on the docx's and the HTML's first page (a rehearsal, an endpoint that is not
    // the agencies' documented test host, …).
    if !report.notes.is_empty() {
        let t = crate::report::i18n::Labels::for_lang(lang);
        ws.set(r + 3, 0, Value::Str(t.run_notes.into()), xfs.bold);
        for (i, n) in report.notes.iter().enumerate() {
            ws.set(r + 4 + i as u32, 0, Value::Str(n.clone()), None);
        }
    }
    ws
}

fn changelog_cells(report: &RunReport, lang: Lang) -> [String; 3] {
    let mut change = format!(
        "{} ({} {}, {} {})",
        tr(lang, "Fylt ut av dsop-harness", "Filled in by dsop-harness"),
        tr(lang, "kjøring", "run"),
        report.run_id,
        tr(lang, "miljø", "environment"),
        report.env
    );
    if report.simulated {
        change.push_str(&format!(
            " – {}",
            crate::report::i18n::sim_banner_title(lang)
        ));
    }
    [
        oslo_iso(report.finished),
        report.harness_version.clone(),
        change,
    ]
}

fn changelog_sheet(report: &RunReport, lang: Lang, xfs: &Xfs, off: u32) -> NewSheet {
    let mut ws = NewSheet::default();
    let cols = [
        tr(lang, "Dato", "Date"),
        tr(lang, "Versjon", "Version"),
        tr(lang, "Endring", "Change"),
    ];
    ws.widths = vec![28.0, 14.0, 80.0];
    for (c, name) in cols.iter().enumerate() {
        ws.set(off, c as u32, Value::Str(name.to_string()), xfs.header);
    }
    for (c, v) in changelog_cells(report, lang).into_iter().enumerate() {
        ws.set(off + 1, c as u32, Value::Str(v), None);
    }
    ws
}

// ---------------------------------------------------------------------------------------------------------
// The package.

/// A sheet name not yet taken (Excel compares names case-insensitively): `Avvik`, `Avvik (2)`, …
fn free_name(base: &str, taken: &[String]) -> String {
    let is_taken = |n: &str| taken.iter().any(|t| t.to_lowercase() == n.to_lowercase());
    if !is_taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|k| format!("{base} ({k})"))
        .find(|n| !is_taken(n))
        .unwrap_or_else(|| base.to_string())
}

/// The package's extended document properties (the sheet list Excel shows in File > Info).
const APP_XML: &str = "docProps/app.xml";

/// Headings Excel (in several languages) and LibreOffice give the worksheets in `HeadingPairs`.
const WORKSHEET_HEADINGS: [&str; 5] = [
    "worksheets",
    "regneark",
    "arbeidsark",
    "arbeitsblätter",
    "feuilles de calcul",
];

/// `docProps/app.xml` with `added` sheet names after the worksheets in `TitlesOfParts`, and the worksheets'
/// count in `HeadingPairs` (and the vectors' sizes) raised to match. `None` (the part left as it is) when the
/// part does not have that shape: no worksheet heading, or counts that do not add up.
fn app_props_with_sheets(xml: &[u8], added: &[String]) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(xml).ok()?;
    let p = r"(?:[A-Za-z0-9_.\-]+:)?";
    let block = |name: &str| {
        regex::Regex::new(&format!(r"(?s)<{p}{name}\b[^>]*>.*?</{p}{name}>"))
            .ok()?
            .find(s)
    };
    let (heads, titles) = (block("HeadingPairs")?, block("TitlesOfParts")?);
    let pair = regex::Regex::new(&format!(
        r"(?s)<{p}variant>\s*<{p}lpstr>([^<]*)</{p}lpstr>\s*</{p}variant>\s*<{p}variant>\s*<{p}i4>(\d+)</{p}i4>"
    ))
    .ok()?;
    let pairs: Vec<(String, usize, std::ops::Range<usize>)> = pair
        .captures_iter(heads.as_str())
        .filter_map(|c| {
            let n = c.get(2)?;
            Some((c[1].to_lowercase(), n.as_str().parse().ok()?, n.range()))
        })
        .collect();
    let k = pairs
        .iter()
        .position(|(name, _, _)| WORKSHEET_HEADINGS.contains(&name.trim()))?;
    let at: usize = pairs[..=k].iter().map(|(_, n, _)| n).sum();
    let item = regex::Regex::new(&format!(r"(?s)<({p})lpstr>.*?</{p}lpstr>")).ok()?;
    let items: Vec<regex::Match> = item.find_iter(titles.as_str()).collect();
    if items.len() != pairs.iter().map(|(_, n, _)| n).sum::<usize>() {
        return None;
    }
    let vt = item
        .captures(titles.as_str())
        .map_or(String::new(), |c| c[1].to_string());
    let insert_at = match items.get(at) {
        Some(m) => titles.start() + m.start(),
        None => titles.start() + titles.as_str().rfind(&format!("</{vt}vector>"))?,
    };
    let new_items: String = added
        .iter()
        .map(|n| format!("<{vt}lpstr>{}</{vt}lpstr>", xml_text(n)))
        .collect();
    let size = regex::Regex::new(r#"\bsize="(\d+)""#).ok()?;
    let bump = |text: &str, by: usize| {
        size.replace(text, |c: &regex::Captures| {
            let n: usize = c[1].parse().unwrap_or(0);
            format!("size=\"{}\"", n + by)
        })
        .into_owned()
    };
    // Rebuild: …heads (count raised)… titles (size raised, names inserted) …, in document order.
    let count = &pairs[k];
    let heads_text = format!(
        "{}{}{}",
        &heads.as_str()[..count.2.start],
        count.1 + added.len(),
        &heads.as_str()[count.2.end..]
    );
    let titles_text = format!(
        "{}{}{}",
        &s[titles.start()..insert_at],
        new_items,
        &s[insert_at..titles.end()]
    );
    let titles_text = bump(&titles_text, added.len());
    let (first, second) = match heads.start() < titles.start() {
        true => ((heads.range(), heads_text), (titles.range(), titles_text)),
        false => ((titles.range(), titles_text), (heads.range(), heads_text)),
    };
    let out = format!(
        "{}{}{}{}{}",
        &s[..first.0.start],
        first.1,
        &s[first.0.end..second.0.start],
        second.1,
        &s[second.0.end..]
    );
    Some(out.into_bytes())
}

/// Insert `text` before the first `</…name>` closing tag (any namespace prefix); None when there is none.
fn insert_before_close(xml: &[u8], name: &str, text: impl Fn(&str) -> String) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(xml).ok()?;
    let re = regex::Regex::new(&format!(r"</([A-Za-z0-9_.\-]+:)?{name}>")).ok()?;
    let m = re.captures(s)?;
    let pfx = m.get(1).map(|p| p.as_str()).unwrap_or("");
    let at = m.get(0)?.start();
    let mut out = String::with_capacity(s.len() + 256);
    out.push_str(&s[..at]);
    out.push_str(&text(pfx));
    out.push_str(&s[at..]);
    Some(out.into_bytes())
}

/// Remove every element `<name …/>` whose text contains `needle` (the calculation chain's entries).
fn remove_entries(xml: &[u8], name: &str, needle: &str) -> Vec<u8> {
    let Ok(s) = std::str::from_utf8(xml) else {
        return xml.to_vec();
    };
    let Ok(re) = regex::Regex::new(&format!(r"<([A-Za-z0-9_.\-]+:)?{name}\b[^>]*/>")) else {
        return xml.to_vec();
    };
    re.replace_all(s, |c: &regex::Captures| {
        if c[0].contains(needle) {
            String::new()
        } else {
            c[0].to_string()
        }
    })
    .into_owned()
    .into_bytes()
}

/// Mask personal ids in a text part (a no-op on parts that are not UTF-8).
fn mask_part(bytes: Vec<u8>) -> Vec<u8> {
    match std::str::from_utf8(&bytes) {
        Ok(s) => {
            let m = crate::ids::mask_person_ids_in(s);
            if m == s {
                bytes
            } else {
                m.into_bytes()
            }
        }
        Err(_) => bytes,
    }
}

fn is_text_part(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".xml") || n.ends_with(".rels") || n.ends_with(".vml")
}

fn header_banner(lang: Lang) -> String {
    format!(
        "&C&\"-,Bold\"&12&KC00000{}",
        crate::report::i18n::sim_banner_title(lang).replace('&', "&&")
    )
}

fn fill(
    wb: &Workbook,
    report: &RunReport,
    bytes: Vec<u8>,
    lang: Lang,
    mask_ids: bool,
    out: &mut std::fs::File,
) -> Result<(), Filled> {
    let shared = SharedBytes(std::sync::Arc::new(bytes));
    let mut zip = package::open(&shared).ok_or("not a zip package")?;
    let sheets = package::sheets(&mut zip);
    if sheets.is_empty() {
        return Err("xl/workbook.xml lists no sheets".into());
    }
    let mut changed: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut removed: Vec<String> = Vec::new();

    // Styles: the harness's formats appended.
    let mut xfs = Xfs::default();
    if let Some(st) = package::part(&mut zip, "xl/styles.xml") {
        if let Some((x, ids)) = extend_styles(&st) {
            changed.insert("xl/styles.xml".into(), x);
            xfs = ids;
        }
    }
    let banner = report.simulated.then(|| header_banner(lang));

    // The original worksheets: results into the Testcaser sheet, the banner into every page header,
    // numbers that are personal ids masked, a line appended to an existing change log.
    let case_sheet = wb.case_header.as_ref().map(|(s, _)| s.as_str());
    let names: Vec<String> = sheets.iter().map(|s| s.name.clone()).collect();
    let existing_log = sheets
        .iter()
        .find(|s| normalise(&s.name) == normalise(SHEET_CHANGELOG))
        .map(|s| s.name.clone());
    let mut replaced_formula = false;
    for sheet in &sheets {
        if sheet.part.is_empty() || zip.index_for_name(&sheet.part).is_none() {
            continue;
        }
        let mut patch = match (&wb.case_header, case_sheet) {
            (Some((_, h)), Some(n)) if n == sheet.name => result_patch(wb, h, report, lang, &xfs),
            _ => SheetPatch::default(),
        };
        if existing_log.as_deref() == Some(sheet.name.as_str()) {
            patch.append = changelog_cells(report, lang)
                .into_iter()
                .enumerate()
                .map(|(c, v)| NewCell {
                    col: c as u32,
                    value: Value::Str(v),
                    style: Style::Keep(None),
                })
                .collect();
        }
        patch.mask = mask_ids;
        patch.banner = banner.clone();
        if patch.is_empty() {
            continue;
        }
        let xml = package::part(&mut zip, &sheet.part)
            .ok_or_else(|| format!("{} cannot be read", sheet.part))?;
        let p = patch_sheet(&xml, &patch).map_err(|e| format!("{}: {e}", sheet.part))?;
        replaced_formula |= p.replaced_formula;
        changed.insert(sheet.part.clone(), p.xml);
    }

    // The added sheets, after the user's (their index-based references, e.g. localSheetId, stay valid).
    let off = u32::from(report.simulated);
    let mut added: Vec<(String, NewSheet)> = vec![
        (
            free_name(SHEET_DEVIATIONS, &names),
            deviations_sheet(report, lang, &xfs, off),
        ),
        (
            free_name(SHEET_SUMMARY, &names),
            summary_sheet(report, lang, &xfs, off),
        ),
    ];
    if existing_log.is_none() {
        added.push((
            SHEET_CHANGELOG.to_string(),
            changelog_sheet(report, lang, &xfs, off),
        ));
    }
    if let Some(b) = &banner {
        for (_, s) in added.iter_mut() {
            s.set(
                0,
                0,
                Value::Str(crate::report::i18n::sim_banner_title(lang).to_string()),
                xfs.banner,
            );
            s.banner = Some(b.clone());
        }
    }
    let mut wbx = package::part(&mut zip, "xl/workbook.xml").ok_or("xl/workbook.xml is missing")?;
    let mut rels = package::part(&mut zip, "xl/_rels/workbook.xml.rels")
        .ok_or("xl/_rels/workbook.xml.rels is missing")?;
    let mut types =
        package::part(&mut zip, "[Content_Types].xml").ok_or("[Content_Types].xml is missing")?;
    let rel_text = String::from_utf8_lossy(&rels).into_owned();
    let first_sheet_id = sheets.iter().map(|s| s.sheet_id).max().unwrap_or(0) + 1;
    let mut new_parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut k = 1;
    let mut used_rids: Vec<String> = Vec::new();
    for (next_sheet_id, (name, sheet)) in (first_sheet_id..).zip(&added) {
        let part = loop {
            let p = format!("xl/worksheets/sheet_dsop{k}.xml");
            k += 1;
            if zip.index_for_name(&p).is_none() {
                break p;
            }
        };
        let rid = (1..)
            .map(|i| format!("rIdDsop{i}"))
            .find(|r| !rel_text.contains(&format!("\"{r}\"")) && !used_rids.contains(r))
            .unwrap_or_default();
        used_rids.push(rid.clone());
        let target = part.trim_start_matches("xl/").to_string();
        wbx = insert_before_close(&wbx, "sheets", |pfx| {
            format!(
                "<{pfx}sheet xmlns:r=\"{NS_REL}\" name=\"{}\" sheetId=\"{next_sheet_id}\" r:id=\"{rid}\"/>",
                xml_text(name)
            )
        })
        .ok_or("xl/workbook.xml has no <sheets>")?;
        rels = insert_before_close(&rels, "Relationships", |pfx| {
            format!(
                "<{pfx}Relationship Id=\"{rid}\" Type=\"{REL_WORKSHEET}\" Target=\"{target}\"/>"
            )
        })
        .ok_or("the workbook relationships have no <Relationships>")?;
        types = insert_before_close(&types, "Types", |pfx| {
            format!("<{pfx}Override PartName=\"/{part}\" ContentType=\"{CT_WORKSHEET}\"/>")
        })
        .ok_or("[Content_Types].xml has no <Types>")?;
        new_parts.push((part, sheet.xml()));
    }
    // A replaced formula cell would leave the calculation chain pointing at it: Excel rebuilds the chain.
    if replaced_formula && zip.index_for_name("xl/calcChain.xml").is_some() {
        removed.push("xl/calcChain.xml".into());
        rels = remove_entries(&rels, "Relationship", "calcChain.xml");
        types = remove_entries(&types, "Override", "/xl/calcChain.xml");
    }
    changed.insert("xl/workbook.xml".into(), wbx);
    changed.insert("xl/_rels/workbook.xml.rels".into(), rels);
    changed.insert("[Content_Types].xml".into(), types);
    // The document properties list the sheets too (TitlesOfParts, counted in HeadingPairs).
    if let Some(app) = package::part(&mut zip, APP_XML) {
        let names: Vec<String> = added.iter().map(|(n, _)| n.clone()).collect();
        if let Some(x) = app_props_with_sheets(&app, &names) {
            changed.insert(APP_XML.into(), x);
        }
    }

    // Write: unchanged parts copied with their compressed bytes, changed and new parts deflated. With
    // masking, every text part is masked too.
    let mut w = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    for i in 0..zip.len() {
        let name = zip
            .name_for_index(i)
            .ok_or("a zip entry without a name")?
            .to_string();
        if removed.contains(&name) {
            continue;
        }
        let content = match changed.remove(&name) {
            Some(c) => Some(c),
            None if mask_ids && is_text_part(&name) => package::part(&mut zip, &name),
            None => None,
        };
        match content {
            Some(c) => {
                let c = if mask_ids && is_text_part(&name) {
                    mask_part(c)
                } else {
                    c
                };
                w.start_file(name.as_str(), opts).map_err(io_err)?;
                w.write_all(&c).map_err(io_err)?;
            }
            None => {
                let f = zip.by_index_raw(i).map_err(|e| e.to_string())?;
                w.raw_copy_file(f).map_err(io_err)?;
            }
        }
    }
    for (name, c) in new_parts {
        let c = if mask_ids { mask_part(c) } else { c };
        w.start_file(name.as_str(), opts).map_err(io_err)?;
        w.write_all(&c).map_err(io_err)?;
    }
    w.finish().map_err(io_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(col: u32, v: &str) -> NewCell {
        NewCell {
            col,
            value: Value::Str(v.into()),
            style: Style::Keep(None),
        }
    }

    #[test]
    fn a_package_that_cannot_be_edited_is_a_clear_error_and_leaves_no_file() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("in.xlsx");
        std::fs::write(&input, b"not a zip").unwrap();
        let wb = Workbook {
            path: input,
            ..Default::default()
        };
        let out = d.path().join("out").join("filled.xlsx");
        let report = crate::report::sample::sample_report();
        let e = write_filled(&wb, &report, &out, Lang::En, false).unwrap_err();
        let text = format!("{:?}", e.problems);
        assert!(text.contains("cannot be edited"), "{text}");
        assert!(text.contains("save it again as .xlsx"), "{text}");
        let left: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn cells_are_replaced_and_inserted_in_order_and_nothing_else_changes() {
        let xml = r#"<worksheet xmlns="m"><dimension ref="A2:C4"/><cols><col min="2" max="2" width="9" style="7"/></cols><sheetData><row r="2" spans="1:3"><c r="A2" s="3"><f>1+1</f><v>2</v></c><c r="C2" t="s"><v>0</v></c></row><row r="4" s="5" customFormat="1"/><row><c><v>7</v></c><c t="inlineStr"><is><t>x</t></is></c></row></sheetData><conditionalFormatting sqref="A1"><cfRule type="expression" priority="1"><formula>TRUE</formula></cfRule></conditionalFormatting><pageMargins left="1" right="1" top="1" bottom="1" header="0" footer="0"/><tableParts count="0"/></worksheet>"#;
        let mut p = SheetPatch::default();
        p.put(0, s(0, "before"));
        p.put(1, s(0, "replaced"));
        p.put(1, s(1, "between"));
        p.put(1, s(4, "after"));
        p.put(2, s(0, "new row"));
        p.put(3, s(2, "in empty row"));
        p.put(4, s(1, "implicit"));
        p.put(9, s(0, "last"));
        p.banner = Some("BANNER".into());
        let out = String::from_utf8(patch_sheet(xml.as_bytes(), &p).unwrap().xml).unwrap();
        let cell = |r: &str, v: &str, st: &str| {
            format!(r#"<c r="{r}"{st} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>"#)
        };
        let expected = [
            r#"<dimension ref="A1:E10"/>"#.to_string(),
            format!(r#"<row r="1">{}</row>"#, cell("A1", "before", "")),
            format!(r#"<row r="2">{}"#, cell("A2", "replaced", r#" s="3""#)),
            cell("B2", "between", r#" s="7""#),
            r#"<c r="C2" t="s"><v>0</v></c>"#.to_string(),
            format!("{}</row>", cell("E2", "after", "")),
            format!(r#"<row r="3">{}</row>"#, cell("A3", "new row", "")),
            format!(r#"<row r="4" s="5" customFormat="1">{}</row>"#, cell("C4", "in empty row", r#" s="5""#)),
            // The second cell of a row without references is B5: replaced, keeping its own (default) style.
            format!(r#"<row><c><v>7</v></c>{}</row>"#, cell("B5", "implicit", "")),
            format!(r#"<row r="10">{}</row></sheetData>"#, cell("A10", "last", "")),
            r#"<conditionalFormatting sqref="A1"><cfRule type="expression" priority="1"><formula>TRUE</formula></cfRule></conditionalFormatting>"#.to_string(),
            r#"<headerFooter><oddHeader>BANNER</oddHeader></headerFooter><tableParts count="0"/></worksheet>"#.to_string(),
        ];
        let mut at = 0;
        for e in expected {
            let i = out[at..]
                .find(&e)
                .unwrap_or_else(|| panic!("{e}\nnot found after {at} in\n{out}"));
            at += i + e.len();
        }
        assert!(patch_sheet(xml.as_bytes(), &p).unwrap().replaced_formula);
        assert!(!out.contains("spans"));
    }

    #[test]
    fn an_existing_header_gets_the_banner_and_ids_stored_as_numbers_are_masked() {
        let xml = r#"<x:worksheet xmlns:x="m"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1828810010</x:v></x:c><x:c r="B1"><x:f>A1*1</x:f><x:v>1.2838510068E10</x:v></x:c><x:c r="C1"><x:v>12838510069</x:v></x:c></x:row></x:sheetData><x:headerFooter><x:oddHeader>&amp;LLeft</x:oddHeader></x:headerFooter></x:worksheet>"#;
        let p = SheetPatch {
            mask: true,
            banner: Some("B".into()),
            ..SheetPatch::default()
        };
        let out = String::from_utf8(patch_sheet(xml.as_bytes(), &p).unwrap().xml).unwrap();
        assert!(out.contains(r#"<x:c r="A1" t="inlineStr"><x:is><x:t xml:space="preserve">018288*****</x:t></x:is></x:c>"#), "{out}");
        assert!(
            out.contains(r#"<x:c r="B1" t="str"><x:f>A1*1</x:f><x:v>128385*****</x:v></x:c>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<x:c r="C1" t="inlineStr"><x:is><x:t xml:space="preserve">128385*****</x:t></x:is></x:c>"#),
            "an invalid id is masked too: {out}"
        );
        assert!(
            out.contains("<x:oddHeader>B\n&amp;LLeft</x:oddHeader>"),
            "{out}"
        );
    }

    #[test]
    fn styles_are_appended_and_counted() {
        let xml = br#"<styleSheet><fonts count="1"><font><sz val="11"/></font></fonts><fills count="2"><fill/><fill/></fills><borders count="1"><border/></borders><cellXfs count="2"><xf/><xf/></cellXfs></styleSheet>"#;
        let (out, ids) = extend_styles(xml).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(r#"<fonts count="7">"#), "{out}");
        assert!(out.contains(r#"<fills count="8">"#), "{out}");
        assert!(out.contains(r#"<borders count="2">"#), "{out}");
        assert!(out.contains(r#"<cellXfs count="11">"#), "{out}");
        assert_eq!(ids.header, Some(2));
        assert_eq!(ids.status(Status::NotRun), Some(10));
        assert_eq!(out.matches("<xf").count(), 11);
    }
}
