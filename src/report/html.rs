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

fn templates() -> Result<tera::Tera, ReportError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html.tera"]);
    tera.set_escape_fn(super::text::escape_xml);
    tera.add_raw_template(NAME, TEMPLATE).map_err(render_err)?;
    Ok(tera)
}

/// Render the HTML report.
pub fn render(view: &ReportView) -> Result<String, ReportError> {
    let ctx = tera::Context::from_serialize(view).map_err(render_err)?;
    templates()?.render(NAME, &ctx).map_err(render_err)
}

pub fn write(view: &ReportView, path: &Path) -> Result<(), ReportError> {
    write_context(&super::view::context(view)?, path)
}

/// Write the HTML report from the view's template context (`view::context`), rendered straight into the file.
pub fn write_context(ctx: &tera::Context, path: &Path) -> Result<(), ReportError> {
    let tera = templates()?;
    super::write_streamed(path, |w| tera.render_to(NAME, ctx, w).map_err(render_err))
}
