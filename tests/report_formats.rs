//! The reporters, end to end on the sample report: every file is written, parses, carries the simulator
//! label and every section, and contains no credentials.

use dsop_harness::model::{Lang, RunReport, Status};
use dsop_harness::report::{self, i18n::Labels, sample::sample_report, ReportOptions};
use quick_xml::events::Event;
use quick_xml::Reader;
mod common;
mod tools;

use std::path::{Path, PathBuf};

fn write(report: &RunReport, opts: &ReportOptions) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let files = report::write_all(report, dir.path(), opts).unwrap();
    // Keep a copy for manual inspection when asked to.
    if let Ok(out) = std::env::var("DSOP_REPORT_OUT") {
        let out = Path::new(&out).join(format!(
            "{:?}{}",
            opts.lang,
            if report.simulated { "" } else { "-real" }
        ));
        std::fs::create_dir_all(&out).unwrap();
        for f in &files {
            std::fs::copy(f, out.join(f.file_name().unwrap())).unwrap();
        }
    }
    (dir, files)
}

/// Parse XML to the end; panics with the position on the first error. Returns the text content.
fn parse_xml(name: &str, bytes: &[u8]) -> String {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut text = String::new();
    let mut depth: i64 = 0;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => text.push_str(
                &t.unescape()
                    .unwrap_or_else(|e| panic!("{name}: bad escape {e}")),
            ),
            Ok(_) => {}
            Err(e) => panic!(
                "{name}: not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
        buf.clear();
    }
    assert_eq!(depth, 0, "{name}: unbalanced elements");
    text
}

fn docx_parts(path: &Path) -> Vec<(String, Vec<u8>)> {
    common::zip_file_members(path)
}

fn assert_no_secrets(name: &str, bytes: &[u8]) {
    let s = String::from_utf8_lossy(bytes);
    for bad in ["eyJ", "PRIVATE KEY", "Bearer "] {
        assert!(!s.contains(bad), "{name} contains {bad:?}");
    }
}

#[test]
fn writes_all_four_files() {
    let (_d, files) = write(&sample_report(), &ReportOptions::default());
    let names: Vec<_> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            report::RESULTS_JSON,
            report::JUNIT_XML,
            report::HTML,
            report::DOCX
        ]
    );
    for f in &files {
        assert!(
            std::fs::metadata(f).unwrap().len() > 0,
            "{} is empty",
            f.display()
        );
    }
    // No temp files left behind.
    assert_eq!(std::fs::read_dir(_d.path()).unwrap().count(), 4);
}

#[test]
fn results_json_round_trips() {
    let r = sample_report();
    let (d, _) = write(&r, &ReportOptions::default());
    let back: RunReport =
        serde_json::from_slice(&std::fs::read(d.path().join(report::RESULTS_JSON)).unwrap())
            .unwrap();
    assert_eq!(back, r);
}

#[test]
fn mask_ids_masks_notes_in_every_format() {
    let r = sample_report();
    let opts = ReportOptions {
        mask_ids: true,
        ..Default::default()
    };
    let (d, files) = write(&r, &opts);
    let back: RunReport =
        serde_json::from_slice(&std::fs::read(d.path().join(report::RESULTS_JSON)).unwrap())
            .unwrap();
    let ims01 = back.cases.iter().find(|c| c.id == "IMS-01").unwrap();
    assert_eq!(
        ims01.note.as_deref(),
        Some("6 inntektsmottakere listed; 128385***** among them")
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        assert!(
            !s.contains("12838510068"),
            "{} has an unmasked id",
            f.display()
        );
        if f.extension().is_some_and(|e| e == "docx") {
            for (name, part) in docx_parts(f) {
                assert!(
                    !String::from_utf8_lossy(&part).contains("12838510068"),
                    "{name} has an unmasked id"
                );
            }
        }
    }
    // The caller's report is untouched.
    assert!(r
        .cases
        .iter()
        .any(|c| c.note.as_deref().is_some_and(|n| n.contains("12838510068"))));
}

#[test]
fn junit_has_one_testcase_per_case() {
    let r = sample_report();
    let (d, _) = write(&r, &ReportOptions::default());
    let xml = std::fs::read(d.path().join(report::JUNIT_XML)).unwrap();
    parse_xml("junit.xml", &xml);
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let (mut cases, mut failures, mut errors, mut skipped, mut suites) = (0, 0, 0, 0, 0);
    let mut root_name = String::new();
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuites" => {
                    root_name = e
                        .try_get_attribute("name")
                        .unwrap()
                        .unwrap()
                        .unescape_value()
                        .unwrap()
                        .into_owned()
                }
                b"testsuite" => suites += 1,
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                b"error" => errors += 1,
                b"skipped" => skipped += 1,
                _ => {}
            },
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(cases, r.cases.len());
    assert_eq!(suites, r.summary_per_api().len());
    assert_eq!(failures, r.summary.deviation);
    assert_eq!(errors, r.summary.environment_error);
    assert_eq!(skipped, r.summary.not_run + r.summary.not_applicable);
    assert!(root_name.ends_with("(SIMULERT)"), "{root_name}");
    let s = String::from_utf8_lossy(&xml);
    assert!(s.contains(r#"name="simulated" value="true""#));
    assert!(s.contains(r#"classname="dsop.tjenestepensjonsavtale""#));
    // The step lines of the multi-step case, and the escaped note of the deviation.
    assert!(s.contains("step 2: DELETE avtaleforhold | expected 404:OTP-007"));
    assert!(s.contains("&lt;avtaleforhold&gt; &amp; period"));
}

#[test]
fn html_has_banner_and_every_section() {
    for lang in [Lang::Nb, Lang::En] {
        let r = sample_report();
        let (d, _) = write(
            &r,
            &ReportOptions {
                lang,
                ..Default::default()
            },
        );
        let html = std::fs::read_to_string(d.path().join(report::HTML)).unwrap();
        let banner = report::i18n::sim_banner_title(lang);
        let pos = html.find(banner).expect("banner");
        assert!(
            pos < html.find(Labels::for_lang(lang).h1).unwrap(),
            "banner must come before section 1"
        );
        for h in Labels::for_lang(lang).headings() {
            assert!(html.contains(h), "{lang:?}: missing heading {h}");
        }
        for c in &r.cases {
            assert!(html.contains(&c.id), "missing case {}", c.id);
        }
        // Self-contained: no external assets.
        assert!(
            !html.contains("<link") && !html.contains("src=\"http"),
            "external asset"
        );
        // Oslo time with offset.
        assert!(html.contains("2026-11-26 10:00:00 (+01:00)"));
        // Escaped.
        assert!(html.contains("&lt;avtaleforhold&gt; &amp; period"));
        assert!(html.contains(
            report::i18n::im010_paragraph(lang)
                .split(':')
                .next()
                .unwrap()
        ));
    }
}

#[test]
fn html_without_simulator_has_no_banner() {
    let mut r = sample_report();
    r.simulated = false;
    r.notes.clear();
    let (d, _) = write(&r, &ReportOptions::default());
    let html = std::fs::read_to_string(d.path().join(report::HTML)).unwrap();
    assert!(!html.contains("SIMULERT"));
}

#[test]
fn docx_parts_are_well_formed_and_complete() {
    for lang in [Lang::Nb, Lang::En] {
        let r = sample_report();
        let (d, _) = write(
            &r,
            &ReportOptions {
                lang,
                ..Default::default()
            },
        );
        let parts = docx_parts(&d.path().join(report::DOCX));
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        for want in report::docx::PARTS {
            assert!(names.contains(&want), "missing part {want}");
        }
        assert_eq!(names[0], "[Content_Types].xml");
        let mut document = String::new();
        for (name, bytes) in &parts {
            let text = parse_xml(name, bytes);
            if name == "word/document.xml" {
                document = text.clone();
            }
            if name == "word/header1.xml" {
                assert!(
                    text.contains(report::i18n::sim_banner_title(lang)),
                    "header lacks the simulator label"
                );
            }
        }
        let l = Labels::for_lang(lang);
        let banner = report::i18n::sim_banner_title(lang);
        assert!(document.contains(banner));
        assert!(document.contains(report::i18n::sim_banner_text(lang)));
        // The banner is on the first page: before the table of contents.
        assert!(document.find(banner).unwrap() < document.find(l.toc_title).unwrap());
        for h in l.headings() {
            assert!(document.contains(h), "{lang:?}: document.xml lacks {h}");
        }
        for c in &r.cases {
            assert!(document.contains(&c.id), "missing case {}", c.id);
        }
        assert!(
            document.contains(&r.notes[0]),
            "run notes on the first page"
        );
        let raw = String::from_utf8_lossy(
            &parts
                .iter()
                .find(|(n, _)| n == "word/document.xml")
                .unwrap()
                .1,
        )
        .into_owned();
        assert!(raw.contains(r#"TOC \o "1-3" \h \z \u"#));
        assert!(raw.contains(r#"w:fill="FFC7CE""#), "deviation shading");
        assert!(raw.contains(r#"w:fill="C6EFCE""#), "ok shading");
        let settings = String::from_utf8_lossy(
            &parts
                .iter()
                .find(|(n, _)| n == "word/settings.xml")
                .unwrap()
                .1,
        )
        .into_owned();
        assert!(settings.contains("updateFields"));
        let footer = String::from_utf8_lossy(
            &parts
                .iter()
                .find(|(n, _)| n == "word/footer1.xml")
                .unwrap()
                .1,
        )
        .into_owned();
        assert!(footer.contains(" PAGE ") && footer.contains(" NUMPAGES "));
    }
}

#[test]
fn docx_passed_real_run_has_c7_sentence() {
    let mut r = sample_report();
    r.simulated = false;
    // Readiness is claimed only when every mandatory case is ok and no case deviated.
    for c in r.cases.iter_mut() {
        if c.mandatory {
            c.status = Status::Ok;
        }
    }
    assert!(r.cases.iter().any(|c| c.status == Status::Deviation));
    r.verdict = dsop_harness::model::Verdict::of(&r.cases);
    // No report claims readiness for production while any case deviated (here an optional one).
    let ready = "Pensjonsinnretningen anser seg klar for produksjon.";
    let (d, _) = write(&r, &ReportOptions::default());
    let html = std::fs::read_to_string(d.path().join(report::HTML)).unwrap();
    assert!(!html.contains(ready));
    for c in r.cases.iter_mut() {
        if c.status == Status::Deviation {
            c.status = Status::Ok;
        }
    }
    let (d, _) = write(&r, &ReportOptions::default());
    let parts = docx_parts(&d.path().join(report::DOCX));
    let doc = parse_xml(
        "document",
        &parts
            .iter()
            .find(|(n, _)| n == "word/document.xml")
            .unwrap()
            .1,
    );
    assert!(doc.contains(
        "Alle obligatoriske testcaser er gjennomført med resultat OK. Pensjonsinnretningen anser seg klar for produksjon."
    ));
    assert!(!doc.contains("SIMULERT"));
    let header = parse_xml(
        "header",
        &parts
            .iter()
            .find(|(n, _)| n == "word/header1.xml")
            .unwrap()
            .1,
    );
    assert!(!header.contains("SIMULERT"));
}

#[test]
fn no_secrets_in_any_file() {
    let mut r = sample_report();
    // A careless note with credentials in it must not reach any report.
    r.cases[1].note = Some(
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln and -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
            .into(),
    );
    r.notes
        .push("token eyJraWQiOiJ4In0.eyJzY29wZSI6InkifQ.sig".into());
    for lang in [Lang::Nb, Lang::En] {
        let (_d, files) = write(
            &r,
            &ReportOptions {
                lang,
                mask_ids: false,
                ..Default::default()
            },
        );
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert_no_secrets(&f.display().to_string(), &bytes);
            if f.extension().is_some_and(|e| e == "docx") {
                for (name, part) in docx_parts(f) {
                    assert_no_secrets(&name, &part);
                }
            }
        }
    }
}

#[test]
fn docx_converts_with_libreoffice_when_available() {
    if !tools::require_cmd("soffice", "converting the docx to PDF with LibreOffice") {
        return;
    }
    let r = sample_report();
    let (d, _) = write(&r, &ReportOptions::default());
    let out = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(out.path())
        .arg(d.path().join(report::DOCX))
        .status()
        .unwrap();
    assert!(status.success(), "soffice failed: {status}");
    let pdf = out.path().join(report::DOCX.replace(".docx", ".pdf"));
    assert!(pdf.is_file(), "no pdf written");
    if !tools::require_cmd("pdftotext", "checking the PDF's headings (poppler-utils)") {
        return;
    }
    let txt = out.path().join("out.txt");
    let st = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg(&txt)
        .status()
        .unwrap();
    assert!(st.success());
    let text = std::fs::read_to_string(&txt).unwrap();
    for h in Labels::for_lang(Lang::Nb).headings() {
        assert!(text.contains(h), "pdf text lacks {h}");
    }
    assert!(text.contains("SIMULERT KJØRING – IKKE BEVIS FOR BITS"));
}
