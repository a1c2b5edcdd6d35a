//! The OOXML package of an xlsx (a zip): reading parts, the workbook's sheets and their part names, and cell
//! references. Shared by the reader (merged regions) and the filled-in writer (`report::xlsx`).

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::io::{Cursor, Read};

/// Upper bound on one part read (uncompressed), so a damaged file cannot exhaust memory.
pub const MAX_PART_BYTES: u64 = 1024 * 1024 * 1024;

/// Read one part of a package; None when it is absent or unreadable.
pub fn part<R: Read + std::io::Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Option<Vec<u8>> {
    let f = zip.by_name(name).ok()?;
    let mut out = Vec::with_capacity(f.size().min(MAX_PART_BYTES) as usize);
    f.take(MAX_PART_BYTES).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The value of an attribute (by local name), unescaped.
pub fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| {
            a.unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned())
        })
}

fn for_each_start(xml: &[u8], mut f: impl FnMut(&BytesStart)) {
    let mut r = Reader::from_reader(xml);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => f(&e),
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
}

/// `Relationship` elements of a `.rels` part: (Id, Target).
pub fn relationships(xml: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for_each_start(xml, |e| {
        if e.local_name().as_ref() == b"Relationship" {
            if let (Some(id), Some(t)) = (attr(e, b"Id"), attr(e, b"Target")) {
                out.push((id, t));
            }
        }
    });
    out
}

/// A sheet of `xl/workbook.xml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetEntry {
    pub name: String,
    pub rel_id: String,
    pub sheet_id: u32,
    pub hidden: bool,
    /// The part name, e.g. `xl/worksheets/sheet1.xml` (empty when the relationship is missing).
    pub part: String,
}

/// The sheets of a package in workbook order, with their part names.
pub fn sheets<R: Read + std::io::Seek>(zip: &mut zip::ZipArchive<R>) -> Vec<SheetEntry> {
    let rels = part(zip, "xl/_rels/workbook.xml.rels")
        .map(|b| relationships(&b))
        .unwrap_or_default();
    let Some(wbx) = part(zip, "xl/workbook.xml") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for_each_start(&wbx, |e| {
        if e.local_name().as_ref() != b"sheet" {
            return;
        }
        let (Some(name), Some(rel_id)) = (attr(e, b"name"), attr(e, b"id")) else {
            return;
        };
        let part = rels
            .iter()
            .find(|(id, _)| *id == rel_id)
            .map(|(_, t)| resolve_target("xl", t))
            .unwrap_or_default();
        out.push(SheetEntry {
            name,
            rel_id,
            sheet_id: attr(e, b"sheetId")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            hidden: attr(e, b"state").is_some_and(|s| s != "visible"),
            part,
        });
    });
    out
}

/// A relationship target relative to the folder of its source part (`xl`), or absolute (`/xl/…`).
pub fn resolve_target(base: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// `A1` -> (row 0, col 0); `$` signs allowed.
pub fn parse_a1(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let b = s.as_bytes();
    let mut i = 0;
    let mut col: u32 = 0;
    if b.first() == Some(&b'$') {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_alphabetic() {
        col = col
            .checked_mul(26)?
            .checked_add(u32::from(b[i].to_ascii_uppercase() - b'A') + 1)?;
        i += 1;
    }
    if i == start {
        return None;
    }
    if b.get(i) == Some(&b'$') {
        i += 1;
    }
    let row: u32 = s.get(i..)?.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

/// The row of a row reference (`r="12"` of a `<row>`), 0-based.
pub fn parse_row(s: &str) -> Option<u32> {
    s.trim().parse::<u32>().ok()?.checked_sub(1)
}

/// The bytes of a package, shared between readers.
#[derive(Clone)]
pub struct SharedBytes(pub std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// A zip archive over shared bytes.
pub fn open(bytes: &SharedBytes) -> Option<zip::ZipArchive<Cursor<SharedBytes>>> {
    zip::ZipArchive::new(Cursor::new(bytes.clone())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_and_targets() {
        assert_eq!(parse_a1("A1"), Some((0, 0)));
        assert_eq!(parse_a1("$AB$12"), Some((11, 27)));
        assert_eq!(parse_a1("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_a1("A0"), None);
        assert_eq!(parse_a1("12"), None);
        assert_eq!(
            resolve_target("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve_target("xl", "/xl/worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve_target("xl/worksheets", "../comments1.xml"),
            "xl/comments1.xml"
        );
    }
}
