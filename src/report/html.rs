//! `rapport.html`: one self-contained file (inline CSS, no external assets, print CSS), rendered with tera
//! from `templates/rapport.html.tera`, with the same content as the docx.

use super::view::ReportView;
use super::ReportError;
use std::path::Path;

const TEMPLATE: &str = include_str!("../../templates/rapport.html.tera");
const NAME: &str = "rapport.html.tera";

fn render_err(e: tera::Error) -> ReportError {
    // tera nests the useful message in `source()`.
    let mut message = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    ReportError::Render {
        what: super::HTML.to_string(),
        message,
    }
}

/// Render the HTML report.
pub fn render(view: &ReportView) -> Result<String, ReportError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html.tera"]);
    tera.set_escape_fn(super::text::escape_xml);
    tera.add_raw_template(NAME, TEMPLATE).map_err(render_err)?;
    let ctx = tera::Context::from_serialize(view).map_err(render_err)?;
    tera.render(NAME, &ctx).map_err(render_err)
}

pub fn write(view: &ReportView, path: &Path) -> Result<(), ReportError> {
    let s = render(view)?;
    super::write_file(path, s.as_bytes())
}
