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

/// Per part of `PARTS`: the template that renders it, or (`None`) its static content in `STATIC_OF`.
const TEMPLATE_OF: [Option<&str>; 10] = [
    None,
    None,
    Some("core.xml.tera"),
    Some("app.xml.tera"),
    Some("document.xml.tera"),
    None,
    None,
    Some("header1.xml.tera"),
    Some("footer1.xml.tera"),
    None,
];
const STATIC_OF: [&str; 10] = [
    CONTENT_TYPES,
    RELS,
    "",
    "",
    "",
    STYLES,
    SETTINGS,
    "",
    "",
    DOCUMENT_RELS,
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

/// The docx bytes.
pub fn render(view: &ReportView) -> Result<Vec<u8>, ReportError> {
    let ctx = super::view::context(view)?;
    let mut out = Cursor::new(Vec::new());
    write_zip(&templates()?, &ctx, &mut out)?;
    Ok(out.into_inner())
}

/// The package into `out`: each part rendered straight into its zip member, in `PARTS` order.
fn write_zip(
    tera: &tera::Tera,
    ctx: &tera::Context,
    out: impl Write + std::io::Seek,
) -> Result<(), ReportError> {
    let mut zip = zip::ZipWriter::new(out);
    // Deflate level 1: a large run's document.xml is tens of MB of repetitive XML; the fastest level still
    // packs it about tenfold, at a fraction of the default level's time.
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for (i, name) in PARTS.iter().enumerate() {
        zip.start_file(*name, options)
            .map_err(|e| render_err(name, e))?;
        match TEMPLATE_OF[i] {
            Some(t) => {
                // Tera writes in small pieces; buffered, the deflater gets them in large blocks.
                let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut zip);
                tera.render_to(t, ctx, &mut w)
                    .map_err(|e| render_err(t, e))?;
                w.flush().map_err(|e| render_err(t, e))?;
            }
            None => zip
                .write_all(STATIC_OF[i].as_bytes())
                .map_err(|e| render_err(name, e))?,
        }
    }
    zip.finish().map_err(|e| render_err("zip", e))?;
    Ok(())
}

pub fn write(view: &ReportView, path: &Path) -> Result<(), ReportError> {
    write_context(&super::view::context(view)?, path)
}

/// Write the docx from the view's template context (`view::context`): each part is rendered straight into
/// its zip member, and the zip straight into the file (the document is never whole in memory).
pub fn write_context(ctx: &tera::Context, path: &Path) -> Result<(), ReportError> {
    let tera = templates()?;
    super::write_streamed(path, |w| write_zip(&tera, ctx, w))
}
