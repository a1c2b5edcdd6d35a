//! Carrying the original cell styles into the filled copy: `xl/styles.xml` (fonts, fills, borders, number
//! formats, alignment), the theme colours, and per sheet each cell's `s` attribute, the column widths and the
//! row heights, mapped to rust_xlsxwriter `Format`s.
//!
//! Best effort: a part that cannot be parsed gives no styles (the values are still copied). Conditional
//! formats, data validations and pictures are not carried.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, FormatPattern, FormatUnderline};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Styles of one sheet.
#[derive(Clone, Debug, Default)]
pub(crate) struct SheetStyles {
    /// (row, col) -> index into [`PackageStyles::formats`], for cells with a non-default style.
    pub cells: HashMap<(u32, u32), usize>,
    /// Column ranges (0-based, inclusive) with a custom width in characters and/or hidden.
    pub cols: Vec<ColStyle>,
    /// 0-based row -> custom height in points, and hidden.
    pub rows: Vec<(u32, Option<f64>, bool)>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ColStyle {
    pub first: u16,
    pub last: u16,
    pub width: Option<f64>,
    pub hidden: bool,
    /// The column's default style (index into [`PackageStyles::formats`]), e.g. a whole green column.
    pub style: Option<usize>,
}

/// The styles of a package.
#[derive(Clone, Debug, Default)]
pub(crate) struct PackageStyles {
    /// One format per `cellXfs` entry.
    pub formats: Vec<Format>,
    /// Sheet name -> styles.
    pub sheets: HashMap<String, SheetStyles>,
}

impl PackageStyles {
    pub fn sheet(&self, name: &str) -> Option<&SheetStyles> {
        self.sheets.get(name)
    }

    /// The format of a cell, if it has a non-default style.
    pub fn format(&self, sheet: Option<&SheetStyles>, row: u32, col: u32) -> Option<&Format> {
        let i = *sheet?.cells.get(&(row, col))?;
        self.formats.get(i)
    }
}

/// At most this many styled cells are carried per sheet.
const MAX_STYLED_CELLS: usize = 2_000_000;

/// Upper bound on a part read for styles (uncompressed), so a damaged file cannot exhaust memory.
const MAX_PART_BYTES: u64 = 256 * 1024 * 1024;

fn part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let f = zip.by_name(name).ok()?;
    let mut out = Vec::new();
    f.take(MAX_PART_BYTES).read_to_end(&mut out).ok()?;
    Some(out)
}

fn attrs(e: &BytesStart) -> Vec<(Vec<u8>, String)> {
    e.attributes()
        .flatten()
        .map(|a| {
            (
                a.key.local_name().as_ref().to_vec(),
                a.unescape_value()
                    .map(|v| v.into_owned())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn attr<'a>(a: &'a [(Vec<u8>, String)], name: &str) -> Option<&'a str> {
    a.iter()
        .find(|(k, _)| k.as_slice() == name.as_bytes())
        .map(|(_, v)| v.as_str())
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("1") | Some("true"))
}

/// Read the styles of an xlsx package held in memory. Never fails: unreadable parts give no styles.
pub(crate) fn read(bytes: &[u8]) -> PackageStyles {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return PackageStyles::default();
    };
    let theme = part(&mut zip, "xl/theme/theme1.xml")
        .map(|b| theme_colors(&b))
        .unwrap_or_default();
    let formats = part(&mut zip, "xl/styles.xml")
        .map(|b| cell_formats(&b, &theme))
        .unwrap_or_default();
    let mut sheets = HashMap::new();
    let rels = part(&mut zip, "xl/_rels/workbook.xml.rels")
        .map(|b| relationships(&b))
        .unwrap_or_default();
    if let Some(wbx) = part(&mut zip, "xl/workbook.xml") {
        for (name, rid) in sheet_ids(&wbx) {
            let Some(target) = rels.iter().find(|(id, _)| *id == rid).map(|(_, t)| t) else {
                continue;
            };
            let path = match target.strip_prefix('/') {
                Some(abs) => abs.to_string(),
                None => format!("xl/{target}"),
            };
            if let Some(x) = part(&mut zip, &path) {
                sheets.insert(name, sheet_styles(&x, formats.len()));
            }
        }
    }
    PackageStyles { formats, sheets }
}

fn for_each_start(xml: &[u8], mut f: impl FnMut(&[String], &BytesStart, bool)) {
    let mut r = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                f(&stack, &e, false);
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::Empty(e)) => f(&stack, &e, true),
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
}

pub(crate) fn relationships(xml: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for_each_start(xml, |_, e, _| {
        if e.local_name().as_ref() == b"Relationship" {
            let a = attrs(e);
            if let (Some(id), Some(t)) = (attr(&a, "Id"), attr(&a, "Target")) {
                out.push((id.to_string(), t.to_string()));
            }
        }
    });
    out
}

pub(crate) fn sheet_ids(xml: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for_each_start(xml, |_, e, _| {
        if e.local_name().as_ref() == b"sheet" {
            let a = attrs(e);
            if let (Some(n), Some(id)) = (attr(&a, "name"), attr(&a, "id")) {
                out.push((n.to_string(), id.to_string()));
            }
        }
    });
    out
}

/// The theme palette in Excel's index order: lt1, dk1, lt2, dk2, accent1..6, hlink, folHlink.
fn theme_colors(xml: &[u8]) -> Vec<u32> {
    let mut scheme: Vec<(String, u32)> = Vec::new();
    for_each_start(xml, |stack, e, _| {
        let n = e.local_name();
        let n = n.as_ref();
        if (n == b"srgbClr" || n == b"sysClr") && stack.iter().any(|s| s == "clrScheme") {
            let a = attrs(e);
            let v = if n == b"srgbClr" {
                attr(&a, "val")
            } else {
                attr(&a, "lastClr")
            };
            if let (Some(slot), Some(v)) = (
                stack.last(),
                v.and_then(|v| u32::from_str_radix(v, 16).ok()),
            ) {
                scheme.push((slot.clone(), v));
            }
        }
    });
    let get = |k: &str| scheme.iter().find(|(s, _)| s == k).map(|(_, v)| *v);
    [
        ("lt1", 0xFFFFFF),
        ("dk1", 0x000000),
        ("lt2", 0xE7E6E6),
        ("dk2", 0x44546A),
        ("accent1", 0x4472C4),
        ("accent2", 0xED7D31),
        ("accent3", 0xA5A5A5),
        ("accent4", 0xFFC000),
        ("accent5", 0x5B9BD5),
        ("accent6", 0x70AD47),
        ("hlink", 0x0563C1),
        ("folHlink", 0x954F72),
    ]
    .iter()
    .map(|(k, d)| get(k).unwrap_or(*d))
    .collect()
}

/// The legacy indexed palette (0–63), plus 64 = system foreground and 65 = system background.
const INDEXED: [u32; 66] = [
    0x000000, 0xFFFFFF, 0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00, 0xFF00FF, 0x00FFFF, 0x000000,
    0xFFFFFF, 0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00, 0xFF00FF, 0x00FFFF, 0x800000, 0x008000,
    0x000080, 0x808000, 0x800080, 0x008080, 0xC0C0C0, 0x808080, 0x9999FF, 0x993366, 0xFFFFCC,
    0xCCFFFF, 0x660066, 0xFF8080, 0x0066CC, 0xCCCCFF, 0x000080, 0xFF00FF, 0xFFFF00, 0x00FFFF,
    0x800080, 0x800000, 0x008080, 0x0000FF, 0x00CCFF, 0xCCFFFF, 0xCCFFCC, 0xFFFF99, 0x99CCFF,
    0xFF99CC, 0xCC99FF, 0xFFCC99, 0x3366FF, 0x33CCCC, 0x99CC00, 0xFFCC00, 0xFF9900, 0xFF6600,
    0x666699, 0x969696, 0x003366, 0x339966, 0x003300, 0x333300, 0x993300, 0x993366, 0x333399,
    0x333333, 0x000000, 0xFFFFFF,
];

/// Apply an Excel tint (-1..1) to an RGB colour, in HSL lightness as Excel does.
fn tinted(rgb: u32, tint: f64) -> u32 {
    if tint == 0.0 {
        return rgb;
    }
    let (r, g, b) = (
        ((rgb >> 16) & 0xFF) as f64 / 255.0,
        ((rgb >> 8) & 0xFF) as f64 / 255.0,
        (rgb & 0xFF) as f64 / 255.0,
    );
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let mut l = (max + min) / 2.0;
    let d = max - min;
    let (h, s) = if d == 0.0 {
        (0.0, 0.0)
    } else {
        let s = if l > 0.5 {
            d / (2.0 - max - min)
        } else {
            d / (max + min)
        };
        let h = if max == r {
            ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            (b - r) / d + 2.0
        } else {
            (r - g) / d + 4.0
        } / 6.0;
        (h, s)
    };
    l = if tint < 0.0 {
        l * (1.0 + tint)
    } else {
        l * (1.0 - tint) + tint
    };
    let q = if l < 0.5 {
        l * (1.0 + s)
    } else {
        l + s - l * s
    };
    let p = 2.0 * l - q;
    let hue = |mut t: f64| {
        t = t.rem_euclid(1.0);
        if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        }
    };
    let (r, g, b) = if s == 0.0 {
        (l, l, l)
    } else {
        (hue(h + 1.0 / 3.0), hue(h), hue(h - 1.0 / 3.0))
    };
    let c = |x: f64| ((x * 255.0).round().clamp(0.0, 255.0)) as u32;
    (c(r) << 16) | (c(g) << 8) | c(b)
}

/// A `<color>`-like element (`rgb`, `theme` + `tint`, `indexed`) as RGB; `auto` gives None.
fn color_of(e: &BytesStart, theme: &[u32]) -> Option<u32> {
    let a = attrs(e);
    let tint = attr(&a, "tint")
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(0.0);
    let base = if let Some(rgb) = attr(&a, "rgb") {
        let hex = if rgb.len() == 8 { &rgb[2..] } else { rgb };
        u32::from_str_radix(hex, 16).ok()?
    } else if let Some(t) = attr(&a, "theme") {
        *theme.get(t.parse::<usize>().ok()?)?
    } else if let Some(i) = attr(&a, "indexed") {
        *INDEXED.get(i.parse::<usize>().ok()?)?
    } else {
        return None;
    };
    Some(tinted(base, tint))
}

#[derive(Clone, Debug, Default)]
struct Font {
    bold: bool,
    italic: bool,
    underline: Option<FormatUnderline>,
    strike: bool,
    size: Option<f64>,
    name: Option<String>,
    color: Option<u32>,
}

#[derive(Clone, Debug, Default)]
struct Fill {
    pattern: Option<FormatPattern>,
    fg: Option<u32>,
    bg: Option<u32>,
}

#[derive(Clone, Debug, Default)]
struct Border {
    /// left, right, top, bottom: style and colour.
    sides: [(Option<FormatBorder>, Option<u32>); 4],
}

fn pattern_of(s: &str) -> Option<FormatPattern> {
    Some(match s {
        "solid" => FormatPattern::Solid,
        "mediumGray" => FormatPattern::MediumGray,
        "darkGray" => FormatPattern::DarkGray,
        "lightGray" => FormatPattern::LightGray,
        "darkHorizontal" => FormatPattern::DarkHorizontal,
        "darkVertical" => FormatPattern::DarkVertical,
        "darkDown" => FormatPattern::DarkDown,
        "darkUp" => FormatPattern::DarkUp,
        "darkGrid" => FormatPattern::DarkGrid,
        "darkTrellis" => FormatPattern::DarkTrellis,
        "lightHorizontal" => FormatPattern::LightHorizontal,
        "lightVertical" => FormatPattern::LightVertical,
        "lightDown" => FormatPattern::LightDown,
        "lightUp" => FormatPattern::LightUp,
        "lightGrid" => FormatPattern::LightGrid,
        "lightTrellis" => FormatPattern::LightTrellis,
        "gray125" => FormatPattern::Gray125,
        "gray0625" => FormatPattern::Gray0625,
        _ => return None,
    })
}

fn border_of(s: &str) -> Option<FormatBorder> {
    Some(match s {
        "thin" => FormatBorder::Thin,
        "medium" => FormatBorder::Medium,
        "dashed" => FormatBorder::Dashed,
        "dotted" => FormatBorder::Dotted,
        "thick" => FormatBorder::Thick,
        "double" => FormatBorder::Double,
        "hair" => FormatBorder::Hair,
        "mediumDashed" => FormatBorder::MediumDashed,
        "dashDot" => FormatBorder::DashDot,
        "mediumDashDot" => FormatBorder::MediumDashDot,
        "dashDotDot" => FormatBorder::DashDotDot,
        "mediumDashDotDot" => FormatBorder::MediumDashDotDot,
        "slantDashDot" => FormatBorder::SlantDashDot,
        _ => return None,
    })
}

fn side_index(name: &[u8]) -> Option<usize> {
    match name {
        b"left" | b"start" => Some(0),
        b"right" | b"end" => Some(1),
        b"top" => Some(2),
        b"bottom" => Some(3),
        _ => None,
    }
}

/// One `Format` per `cellXfs/xf` of `styles.xml`.
fn cell_formats(xml: &[u8], theme: &[u32]) -> Vec<Format> {
    let mut num_fmts: HashMap<u32, String> = HashMap::new();
    let mut fonts: Vec<Font> = Vec::new();
    let mut fills: Vec<Fill> = Vec::new();
    let mut borders: Vec<Border> = Vec::new();
    // (numFmtId, fontId, fillId, borderId, alignment attributes)
    type Xf = (u32, usize, usize, usize, Vec<(Vec<u8>, String)>);
    let mut xfs: Vec<Xf> = Vec::new();
    for_each_start(xml, |stack, e, _| {
        let name = e.local_name();
        let name = name.as_ref();
        let parent = stack.last().map(String::as_str).unwrap_or("");
        let grand = stack
            .len()
            .checked_sub(2)
            .and_then(|i| stack.get(i))
            .map(String::as_str)
            .unwrap_or("");
        let ggrand = stack
            .len()
            .checked_sub(3)
            .and_then(|i| stack.get(i))
            .map(String::as_str)
            .unwrap_or("");
        // Fonts, fills and borders of `dxfs` (conditional formats) have other ancestors and are skipped.
        match (grand, parent, name) {
            (_, "numFmts", b"numFmt") => {
                let a = attrs(e);
                if let (Some(id), Some(code)) = (
                    attr(&a, "numFmtId").and_then(|i| i.parse().ok()),
                    attr(&a, "formatCode"),
                ) {
                    num_fmts.insert(id, code.to_string());
                }
            }
            (_, "fonts", b"font") => fonts.push(Font::default()),
            ("fonts", "font", _) => {
                let Some(f) = fonts.last_mut() else { return };
                let a = attrs(e);
                let on = !matches!(attr(&a, "val"), Some("0") | Some("false"));
                match name {
                    b"b" => f.bold = on,
                    b"i" => f.italic = on,
                    b"strike" => f.strike = on,
                    b"u" => {
                        f.underline = Some(match attr(&a, "val") {
                            Some("double") => FormatUnderline::Double,
                            Some("singleAccounting") => FormatUnderline::SingleAccounting,
                            Some("doubleAccounting") => FormatUnderline::DoubleAccounting,
                            Some("none") => FormatUnderline::None,
                            _ => FormatUnderline::Single,
                        })
                    }
                    b"sz" => f.size = attr(&a, "val").and_then(|v| v.parse().ok()),
                    b"name" => f.name = attr(&a, "val").map(str::to_string),
                    b"color" => f.color = color_of(e, theme),
                    _ => {}
                }
            }
            (_, "fills", b"fill") => fills.push(Fill::default()),
            ("fills", "fill", b"patternFill") => {
                if let Some(f) = fills.last_mut() {
                    f.pattern = attr(&attrs(e), "patternType").and_then(pattern_of);
                }
            }
            ("fill", "patternFill", b"fgColor") if ggrand == "fills" => {
                if let Some(f) = fills.last_mut() {
                    f.fg = color_of(e, theme);
                }
            }
            ("fill", "patternFill", b"bgColor") if ggrand == "fills" => {
                if let Some(f) = fills.last_mut() {
                    f.bg = color_of(e, theme);
                }
            }
            (_, "borders", b"border") => borders.push(Border::default()),
            ("borders", "border", side) => {
                if let (Some(b), Some(i)) = (borders.last_mut(), side_index(side)) {
                    b.sides[i].0 = attr(&attrs(e), "style").and_then(border_of);
                }
            }
            ("border", side, b"color") if ggrand == "borders" => {
                if let (Some(b), Some(i)) = (borders.last_mut(), side_index(side.as_bytes())) {
                    b.sides[i].1 = color_of(e, theme);
                }
            }
            (_, "cellXfs", b"xf") => {
                let a = attrs(e);
                let n = |k: &str| {
                    attr(&a, k)
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0)
                };
                xfs.push((
                    n("numFmtId") as u32,
                    n("fontId"),
                    n("fillId"),
                    n("borderId"),
                    Vec::new(),
                ));
            }
            ("cellXfs", "xf", b"alignment") => {
                if let Some(x) = xfs.last_mut() {
                    x.4 = attrs(e);
                }
            }
            _ => {}
        }
    });
    xfs.into_iter()
        .map(|(num, font, fill, border, align)| {
            let mut f = Format::new();
            if num != 0 {
                f = match num_fmts.get(&num) {
                    Some(code) => f.set_num_format(code.as_str()),
                    None if num < 164 => f.set_num_format_index(num as u8),
                    None => f,
                };
            }
            if let Some(ft) = fonts.get(font) {
                if ft.bold {
                    f = f.set_bold();
                }
                if ft.italic {
                    f = f.set_italic();
                }
                if ft.strike {
                    f = f.set_font_strikethrough();
                }
                if let Some(u) = ft.underline {
                    f = f.set_underline(u);
                }
                if let Some(s) = ft.size {
                    f = f.set_font_size(s);
                }
                if let Some(n) = &ft.name {
                    f = f.set_font_name(n.as_str());
                }
                if let Some(c) = ft.color {
                    f = f.set_font_color(Color::RGB(c));
                }
            }
            if let Some(fl) = fills.get(fill) {
                match fl.pattern {
                    Some(FormatPattern::Solid) => {
                        if let Some(c) = fl.fg.or(fl.bg) {
                            f = f.set_background_color(Color::RGB(c));
                        }
                    }
                    // gray125 at fill 1 is Excel's reserved default; other patterns are kept.
                    Some(p) if fill > 1 => {
                        f = f.set_pattern(p);
                        if let Some(c) = fl.fg {
                            f = f.set_foreground_color(Color::RGB(c));
                        }
                        if let Some(c) = fl.bg {
                            f = f.set_background_color(Color::RGB(c));
                        }
                    }
                    _ => {}
                }
            }
            if let Some(b) = borders.get(border) {
                for (i, (style, color)) in b.sides.iter().enumerate() {
                    let Some(s) = style else { continue };
                    f = match i {
                        0 => f.set_border_left(*s),
                        1 => f.set_border_right(*s),
                        2 => f.set_border_top(*s),
                        _ => f.set_border_bottom(*s),
                    };
                    if let Some(c) = color {
                        let c = Color::RGB(*c);
                        f = match i {
                            0 => f.set_border_left_color(c),
                            1 => f.set_border_right_color(c),
                            2 => f.set_border_top_color(c),
                            _ => f.set_border_bottom_color(c),
                        };
                    }
                }
            }
            if let Some(h) = attr(&align, "horizontal") {
                let a = match h {
                    "left" => Some(FormatAlign::Left),
                    "center" => Some(FormatAlign::Center),
                    "right" => Some(FormatAlign::Right),
                    "fill" => Some(FormatAlign::Fill),
                    "justify" => Some(FormatAlign::Justify),
                    "centerContinuous" => Some(FormatAlign::CenterAcross),
                    "distributed" => Some(FormatAlign::Distributed),
                    _ => None,
                };
                if let Some(a) = a {
                    f = f.set_align(a);
                }
            }
            if let Some(v) = attr(&align, "vertical") {
                let a = match v {
                    "top" => Some(FormatAlign::Top),
                    "center" => Some(FormatAlign::VerticalCenter),
                    "bottom" => Some(FormatAlign::Bottom),
                    "justify" => Some(FormatAlign::VerticalJustify),
                    "distributed" => Some(FormatAlign::VerticalDistributed),
                    _ => None,
                };
                if let Some(a) = a {
                    f = f.set_align(a);
                }
            }
            if truthy(attr(&align, "wrapText")) {
                f = f.set_text_wrap();
            }
            if let Some(i) = attr(&align, "indent").and_then(|v| v.parse::<u8>().ok()) {
                if i > 0 {
                    f = f.set_indent(i);
                }
            }
            if let Some(r) = attr(&align, "textRotation").and_then(|v| v.parse::<i16>().ok()) {
                // Excel stores -90..-1 as 91..180 and vertical text as 255.
                let r = match r {
                    91..=180 => 90 - r,
                    r => r,
                };
                if r != 0 {
                    f = f.set_rotation(r);
                }
            }
            f
        })
        .collect()
}

/// `A1` -> (row 0, col 0).
pub(crate) fn parse_a1(s: &str) -> Option<(u32, u32)> {
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() {
        return None;
    }
    let mut col: u32 = 0;
    for c in letters.bytes() {
        if !c.is_ascii_uppercase() {
            return None;
        }
        col = col.checked_mul(26)?.checked_add(u32::from(c - b'A') + 1)?;
    }
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

fn sheet_styles(xml: &[u8], n_formats: usize) -> SheetStyles {
    let mut out = SheetStyles::default();
    let mut row: u32 = 0;
    let mut col: u32 = 0;
    for_each_start(xml, |_, e, _| match e.local_name().as_ref() {
        b"row" => {
            let a = attrs(e);
            if let Some(r) = attr(&a, "r").and_then(|v| v.parse::<u32>().ok()) {
                row = r.saturating_sub(1);
            } else {
                row += 1;
            }
            col = 0;
            let ht = truthy(attr(&a, "customHeight"))
                .then(|| attr(&a, "ht").and_then(|v| v.parse::<f64>().ok()))
                .flatten();
            let hidden = truthy(attr(&a, "hidden"));
            if ht.is_some() || hidden {
                out.rows.push((row, ht, hidden));
            }
        }
        b"c" => {
            let a = attrs(e);
            if let Some((r, c)) = attr(&a, "r").and_then(parse_a1) {
                row = r;
                col = c;
            }
            if let Some(s) = attr(&a, "s").and_then(|v| v.parse::<usize>().ok()) {
                // Bounded: a sheet of millions of styled empty cells keeps the first ones only.
                if s != 0 && s < n_formats && out.cells.len() < MAX_STYLED_CELLS {
                    out.cells.insert((row, col), s);
                }
            }
            col += 1;
        }
        b"col" => {
            let a = attrs(e);
            let (Some(min), Some(max)) = (
                attr(&a, "min").and_then(|v| v.parse::<u32>().ok()),
                attr(&a, "max").and_then(|v| v.parse::<u32>().ok()),
            ) else {
                return;
            };
            if min == 0 || max < min {
                return;
            }
            let width = truthy(attr(&a, "customWidth"))
                .then(|| attr(&a, "width").and_then(|v| v.parse::<f64>().ok()))
                .flatten()
                // The stored width includes Excel's 5-pixel padding (at 7 pixels per character).
                .map(|w| (w - 5.0 / 7.0).max(0.0));
            let hidden = truthy(attr(&a, "hidden"));
            let style = attr(&a, "style")
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|s| *s != 0 && *s < n_formats);
            if width.is_some() || hidden || style.is_some() {
                out.cols.push(ColStyle {
                    first: (min - 1).min(16_383) as u16,
                    last: (max - 1).min(16_383) as u16,
                    width,
                    hidden,
                    style,
                });
            }
        }
        _ => {}
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_and_tint() {
        assert_eq!(parse_a1("A1"), Some((0, 0)));
        assert_eq!(parse_a1("AA10"), Some((9, 26)));
        assert_eq!(parse_a1("1"), None);
        assert_eq!(tinted(0x70AD47, 0.0), 0x70AD47);
        // Lighter 80 % of white stays white; darker 50 % of white is mid grey.
        assert_eq!(tinted(0xFFFFFF, 0.8), 0xFFFFFF);
        assert_eq!(tinted(0xFFFFFF, -0.5), 0x808080);
    }
}
