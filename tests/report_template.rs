//! `--template FILE.docx`: a user's docx with `{{ placeholder }}` markers (some split across runs, as Word
//! does) is filled from the sample report; block rows repeat; the simulator banner is added; LibreOffice can
//! open the result.

use dsop_harness::model::Lang;
use dsop_harness::report::{self, sample::sample_report, ReportOptions};
use std::io::Write;
mod common;
mod tools;

use std::path::Path;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn row(cells: &[&str]) -> String {
    let mut s = String::from("<w:tr>");
    for c in cells {
        s.push_str(&format!(
            "<w:tc><w:tcPr><w:tcW w:w=\"1800\" w:type=\"dxa\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">{c}</w:t></w:r></w:p></w:tc>"
        ));
    }
    s.push_str("</w:tr>");
    s
}

/// A small template as Word would save it: split markers, a spelling mark between the halves, a table with
/// block rows, a footer with a marker, no header and no banner marker.
fn make_template(path: &Path) {
    let body = format!(
        "<w:p><w:pPr><w:pStyle w:val=\"Title\"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">Rapport for {{{{ inst</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:i/></w:rPr><w:t>itusjon }}}}</w:t></w:r><w:proofErr w:type=\"spellEnd\"/><w:r><w:t xml:space=\"preserve\"> (org.nr. {{{{ institusjon_orgnr }}}})</w:t></w:r></w:p>\
<w:p><w:r><w:t>Klient: {{{{ klient_</w:t></w:r><w:r><w:t>id }}}}, M = {{{{M}}}}, S = {{{{ S }}}}</w:t></w:r></w:p>\
<w:p><w:r><w:t>Sertifikat: {{{{ sertifikat_emne }}}} utløper {{{{ sertifikat_utloper }}}}</w:t></w:r></w:p>\
<w:p><w:r><w:t>Verdikt: {{{{ verdikt }}}}. {{{{ c7_setning }}}}</w:t></w:r></w:p>\
<w:p><w:r><w:t>Ukjent: {{{{ finnes_ikke }}}}</w:t></w:r></w:p>\
<w:tbl><w:tblPr><w:tblW w:w=\"9000\" w:type=\"dxa\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/></w:tblGrid>{}{}</w:tbl>\
<w:tbl><w:tblPr><w:tblW w:w=\"9000\" w:type=\"dxa\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/></w:tblGrid>{}{}</w:tbl>\
<w:tbl><w:tblPr><w:tblW w:w=\"9000\" w:type=\"dxa\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/></w:tblGrid>{}</w:tbl>\
<w:p/><w:sectPr><w:footerReference w:type=\"default\" r:id=\"rId9\"/><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" w:header=\"567\" w:footer=\"454\" w:gutter=\"0\"/></w:sectPr>",
        row(&["Testcase", "API", "Status", "Faktisk", "Dato"]),
        "<w:tr><w:tc><w:p><w:r><w:t>{{ case.</w:t></w:r><w:r><w:t>id }}</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>{{ case.api }}</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>{{ case.status }}</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>{{ case.faktisk }}</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>{{ case.dato }}</w:t></w:r></w:p></w:tc></w:tr>",
        row(&["Avvik", "API", "Status", "Tiltak", "Ansvarlig"]),
        row(&["{{ avvik.id }}", "{{ avvik.api }}", "{{ avvik.status }}", "{{ avvik.tiltak }}", "{{ avvik.ansvarlig }}"]),
        row(&["{{ api.navn }}", "{{ api.antall }}", "{{ api.ok }}", "{{ api.avvik }}", "{{ api.miljofeil }}"]),
    );
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"{W}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}</w:body></w:document>"
    );
    let footer = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:ftr xmlns:w=\"{W}\"><w:p><w:r><w:t>{{{{ harness_</w:t></w:r><w:r><w:t>versjon }}}} · {{{{ kjorings_id }}}}</w:t></w:r></w:p></w:ftr>"
    );
    let parts: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/></Types>".into()),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>".into()),
        ("word/_rels/document.xml.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/></Relationships>".into()),
        ("word/document.xml", document),
        ("word/footer1.xml", footer),
    ];
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (n, b) in parts {
        z.start_file(n, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b.as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

fn parts(bytes: &[u8]) -> Vec<(String, String)> {
    common::zip_members(std::io::Cursor::new(bytes))
        .into_iter()
        .map(|(n, v)| (n, String::from_utf8(v).unwrap()))
        .collect()
}

fn text_of(xml: &str) -> String {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    loop {
        match r
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed: {e}"))
        {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Text(t) => out.push_str(&t.unescape().unwrap()),
            quick_xml::events::Event::End(e) if e.name().as_ref() == b"w:p" => out.push('\n'),
            _ => {}
        }
    }
    out
}

fn part<'a>(parts: &'a [(String, String)], name: &str) -> &'a str {
    &parts
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

#[test]
fn fills_split_markers_blocks_and_adds_the_banner() {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("mal.docx");
    make_template(&t);
    let r = sample_report();
    let (bytes, warnings) =
        report::fill_template_with_warnings(&t, &r, &ReportOptions::default()).unwrap();
    let p = parts(&bytes);
    let doc = text_of(part(&p, "word/document.xml"));
    assert!(
        doc.contains("Rapport for Eksempel Pensjon AS (org.nr. 987654309)"),
        "{doc}"
    );
    assert!(
        doc.contains("Klient: 5d6f0c1e-3b2a-4c8d-9e7f-00000000c001, M = 2026-10, S = 2021-01"),
        "{doc}"
    );
    assert!(
        doc.contains(&format!("Verdikt: {}.", r.verdict.label(Lang::Nb))),
        "{doc}"
    );
    // The first run's formatting is kept for the merged run.
    let raw = part(&p, "word/document.xml");
    assert!(raw.contains("<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">Rapport for Eksempel Pensjon AS (org.nr. 987654309)</w:t></w:r>"), "{raw}");
    // One row per case, per deviation, per API.
    for c in &r.cases {
        assert!(doc.contains(&c.id), "case {}", c.id);
    }
    assert_eq!(
        raw.matches("<w:tr>").count(),
        1 + r.cases.len()
            + 1
            + r.summary.deviation
            + r.summary.environment_error
            + r.summary_per_api().len()
    );
    // The unknown marker stays visible and is reported; no other marker remains.
    assert!(doc.contains("{{ finnes_ikke }}"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("finnes_ikke"));
    assert_eq!(doc.matches("{{").count(), 1, "{doc}");
    // Footer filled.
    let footer = text_of(part(&p, "word/footer1.xml"));
    assert!(
        footer.contains(&format!(
            "dsop-harness {} · {}",
            r.harness_version, r.run_id
        )),
        "{footer}"
    );
    // Simulated: banner at the top of the body and in a header added for the section.
    let banner = report::i18n::sim_banner_title(Lang::Nb);
    assert!(doc.trim_start().starts_with(banner), "{doc}");
    assert!(text_of(part(&p, "word/header_dsop_sim.xml")).contains(banner));
    assert!(raw.contains("<w:headerReference w:type=\"default\" r:id=\"rIdDsopSimHeader\"/>"));
    assert!(part(&p, "word/_rels/document.xml.rels").contains("header_dsop_sim.xml"));
    assert!(part(&p, "[Content_Types].xml").contains("/word/header_dsop_sim.xml"));
}

#[test]
fn real_run_has_no_banner_and_write_all_uses_the_template() {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("mal.docx");
    make_template(&t);
    let mut r = sample_report();
    r.simulated = false;
    let out = d.path().join("out");
    let opts = ReportOptions {
        template: Some(t),
        ..Default::default()
    };
    let files = report::write_all(&r, &out, &opts).unwrap();
    assert_eq!(files.len(), 4);
    let p = parts(&std::fs::read(out.join(report::DOCX)).unwrap());
    assert!(!p.iter().any(|(n, _)| n == "word/header_dsop_sim.xml"));
    let doc = text_of(part(&p, "word/document.xml"));
    assert!(!doc.contains("SIMULERT"), "{doc}");
    assert!(
        doc.trim_start()
            .starts_with("Rapport for Eksempel Pensjon AS"),
        "{doc}"
    );
    // The HTML is still the built-in one.
    assert!(std::fs::read_to_string(out.join(report::HTML))
        .unwrap()
        .contains("<html"));
}

#[test]
fn not_a_docx_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("mal.docx");
    std::fs::write(&t, b"not a zip").unwrap();
    let e = report::fill_template(&t, &sample_report(), &ReportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("mal.docx"), "{e}");
    assert!(e.to_string().contains(".docx"), "{e}");
}

#[test]
fn filled_template_converts_with_libreoffice_when_available() {
    if !tools::require_cmd("soffice", "converting the docx to PDF with LibreOffice") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("mal.docx");
    make_template(&t);
    let bytes = report::fill_template(&t, &sample_report(), &ReportOptions::default()).unwrap();
    let filled = d.path().join("utfylt.docx");
    std::fs::write(&filled, bytes).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(d.path())
        .arg(&filled)
        .status()
        .unwrap();
    assert!(status.success());
    let pdf = d.path().join("utfylt.pdf");
    assert!(pdf.is_file(), "no pdf");
    let txt = d.path().join("utfylt.txt");
    if std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg(&txt)
        .status()
        .is_ok_and(|s| s.success())
    {
        let text = std::fs::read_to_string(&txt).unwrap();
        assert!(text.contains("Eksempel Pensjon AS"), "{text}");
        assert!(text.contains("SIMULERT KJØRING"), "{text}");
        assert!(text.contains("MP-01"), "{text}");
    }
}
