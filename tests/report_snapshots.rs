//! insta snapshots of the sample report's docx body, HTML and JUnit. Run-specific text (the harness version)
//! is normalised; the sample's times are fixed. Update with `INSTA_UPDATE=always cargo test --test
//! report_snapshots` and review the diff of `tests/snapshots/`.

use dsop_harness::report::{self, sample::sample_report, ReportOptions};
use std::io::Read;

fn normalise(s: &str) -> String {
    s.replace(
        &format!("dsop-harness {}", dsop_harness::VERSION),
        "dsop-harness [VERSION]",
    )
    .replace(&format!("\"{}\"", dsop_harness::VERSION), "\"[VERSION]\"")
}

/// One line per paragraph, table row and table start, so a change shows as a readable diff.
fn lines(xml: &str) -> String {
    xml.replace("</w:p>", "</w:p>\n")
        .replace("</w:tr>", "</w:tr>\n")
        .replace("<w:tbl>", "\n<w:tbl>")
}

fn render() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    report::write_all(&sample_report(), d.path(), &ReportOptions::default()).unwrap();
    d
}

#[test]
fn docx_document_xml() {
    let d = render();
    let mut z =
        zip::ZipArchive::new(std::fs::File::open(d.path().join(report::DOCX)).unwrap()).unwrap();
    let mut doc = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut doc)
        .unwrap();
    insta::assert_snapshot!("document_xml", lines(&normalise(&doc)));
}

#[test]
fn html() {
    let d = render();
    let html = std::fs::read_to_string(d.path().join(report::HTML)).unwrap();
    insta::assert_snapshot!("rapport_html", normalise(&html));
}

#[test]
fn junit() {
    let d = render();
    let xml = std::fs::read_to_string(d.path().join(report::JUNIT_XML)).unwrap();
    insta::assert_snapshot!("junit_xml", normalise(&xml));
}
