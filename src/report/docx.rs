//! The Bits report "Ajourhold av OTP – Integrasjonstest rapport" as a docx, built by hand with `zip`:
//! the package parts are static files or tera templates under `templates/docx/` (compiled into the binary),
//! rendered with an XML escape function on every printed value.

use super::view::ReportView;
use super::ReportError;
use std::io::{Cursor, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;

const MACROS: &str = include_str!("../../templates/docx/macros.xml.tera");
const DOCUMENT: &str = include_str!("../../templates/docx/document.xml.tera");
const HEADER: &str = include_str!("../../templates/docx/header1.xml.tera");
const FOOTER: &str = include_str!("../../templates/docx/footer1.xml.tera");
const CORE: &str = include_str!("../../templates/docx/core.xml.tera");
const APP: &str = include_str!("../../templates/docx/app.xml.tera");
const STYLES: &str = include_str!("../../templates/docx/styles.xml");
const SETTINGS: &str = include_str!("../../templates/docx/settings.xml");
const CONTENT_TYPES: &str = include_str!("../../templates/docx/content_types.xml");
const RELS: &str = include_str!("../../templates/docx/rels.xml");
const DOCUMENT_RELS: &str = include_str!("../../templates/docx/document.xml.rels");

/// The package parts in the order they are written (`[Content_Types].xml` first, as Word writes it).
pub const PARTS: [&str; 10] = [
    "[Content_Types].xml",
    "_rels/.rels",
    "docProps/core.xml",
    "docProps/app.xml",
    "word/document.xml",
    "word/styles.xml",
    "word/settings.xml",
    "word/header1.xml",
    "word/footer1.xml",
    "word/_rels/document.xml.rels",
];

fn render_err(what: &str, e: impl std::error::Error) -> ReportError {
    let mut message = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    ReportError::Render {
        what: format!("{} ({what})", super::DOCX),
        message,
    }
}

fn templates() -> Result<tera::Tera, ReportError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".xml.tera"]);
    tera.set_escape_fn(super::text::escape_xml);
    tera.add_raw_templates(vec![
        ("macros.xml.tera", MACROS),
        ("document.xml.tera", DOCUMENT),
        ("header1.xml.tera", HEADER),
        ("footer1.xml.tera", FOOTER),
        ("core.xml.tera", CORE),
        ("app.xml.tera", APP),
    ])
    .map_err(|e| render_err("templates", e))?;
    Ok(tera)
}

/// Render every part: `(part name, bytes)` in `PARTS` order.
pub fn render_parts(view: &ReportView) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    let tera = templates()?;
    let ctx = tera::Context::from_serialize(view).map_err(|e| render_err("context", e))?;
    let r = |name: &str| -> Result<Vec<u8>, ReportError> {
        tera.render(name, &ctx)
            .map(String::into_bytes)
            .map_err(|e| render_err(name, e))
    };
    Ok(vec![
        (PARTS[0], CONTENT_TYPES.as_bytes().to_vec()),
        (PARTS[1], RELS.as_bytes().to_vec()),
        (PARTS[2], r("core.xml.tera")?),
        (PARTS[3], r("app.xml.tera")?),
        (PARTS[4], r("document.xml.tera")?),
        (PARTS[5], STYLES.as_bytes().to_vec()),
        (PARTS[6], SETTINGS.as_bytes().to_vec()),
        (PARTS[7], r("header1.xml.tera")?),
        (PARTS[8], r("footer1.xml.tera")?),
        (PARTS[9], DOCUMENT_RELS.as_bytes().to_vec()),
    ])
}

/// The docx bytes.
pub fn render(view: &ReportView) -> Result<Vec<u8>, ReportError> {
    let parts = render_parts(view)?;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        zip.start_file(name, options)
            .map_err(|e| render_err(name, e))?;
        zip.write_all(&bytes).map_err(|e| render_err(name, e))?;
    }
    let cursor = zip.finish().map_err(|e| render_err("zip", e))?;
    Ok(cursor.into_inner())
}

pub fn write(view: &ReportView, path: &Path) -> Result<(), ReportError> {
    let bytes = render(view)?;
    super::write_file(path, &bytes)
}
