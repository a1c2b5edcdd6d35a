//! `--template FILE.docx`: fill the user's own docx (e.g. the official Bits template) where they typed
//! `{{ placeholder }}` markers. The placeholders are listed in `docs/reports.md`.
//!
//! How it works: every WordprocessingML part (body, headers, footers, foot- and endnotes) is parsed into a small
//! tree that keeps the original markup byte for byte, so untouched parts of the document stay exactly as the
//! user made them. Word often splits a marker over several runs (`{{ inst` + `itusjon }}`, after a spelling
//! mark or an edit); the consecutive plain-text runs of a paragraph that carry a marker are merged into one run
//! with the first run's formatting before the markers are replaced. A table row with a block marker
//! (`{{ case.id }}`, `{{ avvik.tiltak }}`, `{{ api.navn }}`) is repeated once per case, deviation or API.
//! An unknown placeholder is left visible and listed as a warning.
//!
//! A simulated run stays marked: when the template has no `{{ simulert_banner }}` marker, the banner is put at
//! the top of the body and of every header (a header is added to sections that have none).

use super::text::{self, escape_xml, DASH};
use super::view::ReportView;
use super::{ReportError, ReportOptions};
use crate::model::{RunReport, Status};
use quick_xml::events::Event;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::sync::OnceLock;
use zip::write::SimpleFileOptions;

/// Templates larger than this (uncompressed, all parts together) are refused.
const MAX_TEMPLATE_BYTES: u64 = 200 * 1024 * 1024;
/// The header part added to sections without one, for the simulator banner.
const SIM_HEADER_PART: &str = "word/header_dsop_sim.xml";
const SIM_HEADER_RID: &str = "rIdDsopSimHeader";

/// Fill `template` from `report` (prepared as every other format: credentials scrubbed, ids masked with
/// `opts.mask_ids`). Unknown placeholders are left visible and logged as warnings.
pub fn fill_template(
    template: &Path,
    report: &RunReport,
    opts: &ReportOptions,
) -> Result<Vec<u8>, ReportError> {
    let (bytes, warnings) = fill_template_with_warnings(template, report, opts)?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    Ok(bytes)
}

/// [`fill_template`], also returning the warnings (one per unknown placeholder and part).
pub fn fill_template_with_warnings(
    template: &Path,
    report: &RunReport,
    opts: &ReportOptions,
) -> Result<(Vec<u8>, Vec<String>), ReportError> {
    let prepared = text::prepare(report, opts.mask_ids);
    let view = ReportView::build(&prepared, opts.lang, opts.mask_ids);
    fill_view(template, &prepared, &view)
}

fn input_err(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Fill a template from an already prepared report and its view.
pub(crate) fn fill_view(
    template: &Path,
    report: &RunReport,
    view: &ReportView,
) -> Result<(Vec<u8>, Vec<String>), ReportError> {
    let bytes = std::fs::read(template).map_err(|e| {
        input_err(
            template,
            format!("cannot read the template: {e} (check the path given with --template)"),
        )
    })?;
    fill_bytes(&bytes, template, report, view)
}

/// The values a template can use.
struct Values {
    scalars: BTreeMap<String, String>,
    /// Block name (`case`, `avvik`, `api`) -> one map per repeated row.
    blocks: BTreeMap<&'static str, Vec<BTreeMap<String, String>>>,
}

/// Block prefixes as written in templates -> the canonical block name.
fn block_of(prefix: &str) -> Option<&'static str> {
    match prefix {
        "case" | "testcase" => Some("case"),
        "avvik" | "deviation" => Some("avvik"),
        "api" => Some("api"),
        _ => None,
    }
}

fn put(map: &mut BTreeMap<String, String>, names: &[&str], value: impl Into<String>) {
    let v = value.into();
    for n in names {
        map.insert((*n).to_string(), v.clone());
    }
}

fn values(report: &RunReport, view: &ReportView) -> Values {
    let ctx = &report.context;
    let mp = &ctx.maskinporten;
    let mut s = BTreeMap::new();
    put(
        &mut s,
        &["institusjon", "institution"],
        &ctx.institution.name,
    );
    put(
        &mut s,
        &["institusjon_orgnr", "institution_orgnr"],
        &ctx.institution.orgnr,
    );
    put(
        &mut s,
        &["leverandor", "vendor"],
        ctx.vendor
            .as_ref()
            .map(|v| v.name.clone())
            .unwrap_or_else(|| view.t.none.to_string()),
    );
    put(
        &mut s,
        &["leverandor_orgnr", "vendor_orgnr"],
        ctx.vendor
            .as_ref()
            .map(|v| v.orgnr.clone())
            .unwrap_or_default(),
    );
    put(&mut s, &["delegering", "delegation"], view.delegation_text);
    put(&mut s, &["miljo", "env", "environment"], &view.env_label);
    put(
        &mut s,
        &["simulert_banner", "simulated_banner"],
        if report.simulated {
            view.banner_title
        } else {
            ""
        },
    );
    put(
        &mut s,
        &["simulert_banner_tekst", "simulated_banner_text"],
        if report.simulated {
            view.banner_text
        } else {
            ""
        },
    );
    put(&mut s, &["klient_id", "client_id"], &mp.client_id);
    put(&mut s, &["maskinporten_issuer"], &mp.issuer);
    put(
        &mut s,
        &["token_endepunkt", "token_endpoint"],
        &mp.token_endpoint,
    );
    put(&mut s, &["nokkelmodus", "key_mode"], &mp.key_mode);
    let cert = mp.certificate.clone().unwrap_or_default();
    let date = |d: &Option<chrono::DateTime<chrono::Utc>>| {
        d.as_ref()
            .map(text::oslo_date)
            .unwrap_or_else(|| DASH.to_string())
    };
    put(
        &mut s,
        &["sertifikat_emne", "certificate_subject"],
        &cert.subject,
    );
    put(
        &mut s,
        &["sertifikat_utsteder", "certificate_issuer"],
        &cert.issuer,
    );
    put(
        &mut s,
        &["sertifikat_serienummer", "certificate_serial"],
        &cert.serial,
    );
    put(
        &mut s,
        &["sertifikat_gyldig_fra", "certificate_not_before"],
        date(&cert.not_before),
    );
    put(
        &mut s,
        &["sertifikat_utloper", "certificate_expiry"],
        date(&cert.not_after),
    );
    put(
        &mut s,
        &["sertifikat_orgnr", "certificate_orgnr"],
        cert.orgnr.clone().unwrap_or_default(),
    );
    put(&mut s, &["scopes"], mp.scopes.join("\n"));
    put(
        &mut s,
        &["base_urls"],
        ctx.base_urls
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    for (k, v) in &ctx.base_urls {
        s.insert(
            format!("base_url.{}", crate::workbook::normalise(k)),
            v.clone(),
        );
    }
    put(
        &mut s,
        &["harness_versjon", "harness_version"],
        format!("dsop-harness {}", report.harness_version),
    );
    put(
        &mut s,
        &["startet", "started"],
        text::oslo_datetime(&report.started),
    );
    put(
        &mut s,
        &["avsluttet", "finished"],
        text::oslo_datetime(&report.finished),
    );
    put(
        &mut s,
        &["testperiode", "test_period"],
        format!(
            "{} – {}",
            text::oslo_datetime(&report.started),
            text::oslo_datetime(&report.finished)
        ),
    );
    put(
        &mut s,
        &["rapportdato", "report_date"],
        text::oslo_date(&report.finished),
    );
    put(&mut s, &["kjorings_id", "run_id"], &report.run_id);
    put(&mut s, &["verdikt", "verdict"], view.verdict_label);
    put(
        &mut s,
        &["c7_setning", "c7_sentence"],
        view.conclusion
            .iter()
            .find(|p| p.bold)
            .map(|p| p.text.clone())
            .unwrap_or_default(),
    );
    put(
        &mut s,
        &["konklusjon", "conclusion"],
        view.conclusion
            .iter()
            .map(|p| p.text.clone())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let sm = &report.summary;
    put(
        &mut s,
        &["antall_testcaser", "count_total"],
        sm.total.to_string(),
    );
    put(&mut s, &["antall_ok", "count_ok"], sm.ok.to_string());
    put(
        &mut s,
        &["antall_avvik", "count_deviation"],
        sm.deviation.to_string(),
    );
    put(
        &mut s,
        &["antall_miljofeil", "count_environment_error"],
        sm.environment_error.to_string(),
    );
    put(
        &mut s,
        &["antall_ikke_kjort", "count_not_run"],
        sm.not_run.to_string(),
    );
    put(
        &mut s,
        &["antall_ikke_relevant", "count_not_applicable"],
        sm.not_applicable.to_string(),
    );
    let mandatory: Vec<_> = report.cases.iter().filter(|c| c.mandatory).collect();
    put(
        &mut s,
        &["antall_obligatoriske", "count_mandatory"],
        mandatory.len().to_string(),
    );
    put(
        &mut s,
        &["antall_obligatoriske_ok", "count_mandatory_ok"],
        mandatory
            .iter()
            .filter(|c| c.status == Status::Ok)
            .count()
            .to_string(),
    );
    for (k, v) in &ctx.months {
        s.insert(k.clone(), v.clone());
    }
    put(
        &mut s,
        &["dato_beregnet", "today"],
        report.today.to_string(),
    );
    put(&mut s, &["testcasefil", "workbook"], &report.workbook.path);
    put(
        &mut s,
        &["testcasefil_sha256", "workbook_sha256"],
        &report.workbook.sha256,
    );
    put(
        &mut s,
        &["kontakt_forretning", "business_contact"],
        &view.business_contact,
    );
    put(
        &mut s,
        &["kontakt_teknisk", "technical_contact"],
        &view.technical_contact,
    );
    put(&mut s, &["testansvarlig", "test_lead"], &view.test_lead);
    put(&mut s, &["bits_saksnr", "bits_case"], &view.bits_case);
    for (i, sg) in view.signers.iter().enumerate() {
        let n = i + 1;
        s.insert(format!("signatur{n}.rolle"), sg.label.clone());
        s.insert(format!("signatur{n}.navn"), sg.name.clone());
        s.insert(format!("signatur{n}.stilling"), sg.role.clone());
        s.insert(format!("signatur{n}.dato"), sg.date.clone());
    }
    for (k, v) in &ctx.info {
        s.insert(format!("info.{}", crate::workbook::normalise(k)), v.clone());
    }

    let yes_no = |b: bool| if b { view.t.yes } else { view.t.no };
    let cases = report
        .cases
        .iter()
        .zip(&view.cases)
        .map(|(c, row)| {
            let mut m = BTreeMap::new();
            put(&mut m, &["id"], &row.id);
            put(&mut m, &["id_merket", "label"], &row.id_label);
            put(&mut m, &["api"], &row.api);
            put(&mut m, &["operasjon", "operation"], &c.operation);
            put(&mut m, &["beskrivelse", "description"], &row.description);
            put(&mut m, &["forventet", "expected"], &row.expected);
            put(&mut m, &["faktisk", "actual"], &row.actual);
            put(&mut m, &["status"], &row.status_label);
            put(
                &mut m,
                &["korrelasjon_sendt", "correlation_sent"],
                &row.corr_sent,
            );
            put(
                &mut m,
                &["korrelasjon_mottatt", "correlation_returned"],
                &row.corr_returned,
            );
            put(
                &mut m,
                &["korrelasjon", "correlation"],
                format!(
                    "{}: {}\n{}: {}",
                    view.t.sent, row.corr_sent, view.t.returned, row.corr_returned
                ),
            );
            put(&mut m, &["dato", "date"], &row.date);
            put(&mut m, &["merknad", "note"], &row.note);
            put(&mut m, &["obligatorisk", "mandatory"], yes_no(c.mandatory));
            put(&mut m, &["historikk", "history"], row.history.join("\n"));
            m
        })
        .collect();
    let deviations = view
        .deviations
        .iter()
        .map(|d| {
            let mut m = BTreeMap::new();
            put(&mut m, &["id"], &d.id);
            put(&mut m, &["avvik_id", "deviation_id"], &d.deviation_id);
            put(&mut m, &["api"], &d.api);
            put(&mut m, &["status"], &d.status_label);
            put(&mut m, &["beskrivelse", "detail", "description"], &d.detail);
            put(&mut m, &["tiltak", "measure"], &d.measure);
            put(&mut m, &["ansvarlig", "responsible"], &d.responsible);
            put(&mut m, &["bits_saksnr", "bits_case"], &d.bits_case);
            m
        })
        .collect();
    let apis = view
        .summary_rows
        .iter()
        .map(|r| {
            let mut m = BTreeMap::new();
            put(&mut m, &["navn", "name"], &r.api);
            put(&mut m, &["antall", "total"], r.total.to_string());
            // counts are in Status::ALL order: Ok, Deviation, EnvironmentError, NotRun, NotApplicable.
            let names: [&[&str]; 5] = [
                &["ok"],
                &["avvik", "deviation"],
                &["miljofeil", "environment_error"],
                &["ikke_kjort", "not_run"],
                &["ikke_relevant", "not_applicable"],
            ];
            for (n, c) in names.iter().zip(&r.counts) {
                put(&mut m, n, c.to_string());
            }
            m
        })
        .collect();
    let mut blocks = BTreeMap::new();
    blocks.insert("case", cases);
    blocks.insert("avvik", deviations);
    blocks.insert("api", apis);
    Values { scalars: s, blocks }
}

// ---------------------------------------------------------------------------------------------------------
// A minimal XML tree that keeps the original markup.

#[derive(Clone, Debug)]
enum Node {
    Elem {
        /// Everything between `<` and `>` (or `/>`): name and attributes, as written.
        raw: String,
        name: String,
        children: Vec<Node>,
        /// Written as `<x/>`.
        empty: bool,
    },
    /// Character data, still escaped as in the file.
    Text(String),
    /// Declaration, comment, processing instruction, CDATA, doctype: copied as written.
    Raw(String),
}

impl Node {
    fn elem(name: &str, raw: &str, children: Vec<Node>) -> Node {
        Node::Elem {
            raw: raw.to_string(),
            name: name.to_string(),
            empty: children.is_empty(),
            children,
        }
    }

    fn name(&self) -> &str {
        match self {
            Node::Elem { name, .. } => name,
            _ => "",
        }
    }

    fn children(&self) -> &[Node] {
        match self {
            Node::Elem { children, .. } => children,
            _ => &[],
        }
    }

    fn children_mut(&mut self) -> Option<&mut Vec<Node>> {
        match self {
            Node::Elem { children, .. } => Some(children),
            _ => None,
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Node::Elem {
                raw,
                name,
                children,
                empty,
            } => {
                if *empty && children.is_empty() {
                    out.push('<');
                    out.push_str(raw);
                    out.push_str("/>");
                } else {
                    out.push('<');
                    out.push_str(raw);
                    out.push('>');
                    for c in children {
                        c.write(out);
                    }
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
            }
            Node::Text(t) | Node::Raw(t) => out.push_str(t),
        }
    }

    /// The visible text: `w:t` content, `w:tab` as a tab, `w:br`/`w:cr` as a line break.
    fn text(&self, out: &mut String) {
        if let Node::Elem { name, children, .. } = self {
            match name.as_str() {
                "w:t" => {
                    for c in children {
                        if let Node::Text(t) = c {
                            out.push_str(&unescape(t));
                        }
                    }
                }
                "w:tab" => out.push('\t'),
                "w:br" | "w:cr" => out.push('\n'),
                _ => {
                    for c in children {
                        c.text(out);
                    }
                }
            }
        }
    }
}

fn unescape(raw: &str) -> String {
    quick_xml::escape::unescape(raw)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| raw.to_string())
}

/// Parse one XML part. Returns the top-level nodes (declaration, root element).
fn parse(xml: &str) -> Result<Vec<Node>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let utf8 = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    fn push(stack: &mut [Node], top: &mut Vec<Node>, n: Node) {
        match stack.last_mut().and_then(|p| p.children_mut()) {
            Some(c) => c.push(n),
            None => top.push(n),
        }
    }
    loop {
        let ev = reader.read_event().map_err(|e| {
            format!(
                "not well-formed XML at byte {}: {e}",
                reader.buffer_position()
            )
        })?;
        match ev {
            Event::Eof => break,
            Event::Start(e) => {
                let name = utf8(e.name().as_ref());
                stack.push(Node::Elem {
                    raw: utf8(&e),
                    name,
                    children: Vec::new(),
                    empty: false,
                });
            }
            Event::End(_) => {
                let n = stack
                    .pop()
                    .ok_or_else(|| "an end tag without a start tag".to_string())?;
                push(&mut stack, &mut top, n);
            }
            Event::Empty(e) => {
                let n = Node::Elem {
                    raw: utf8(&e),
                    name: utf8(e.name().as_ref()),
                    children: Vec::new(),
                    empty: true,
                };
                push(&mut stack, &mut top, n);
            }
            Event::Text(t) => push(&mut stack, &mut top, Node::Text(utf8(&t))),
            Event::CData(c) => push(
                &mut stack,
                &mut top,
                Node::Raw(format!("<![CDATA[{}]]>", utf8(&c))),
            ),
            Event::Comment(c) => push(
                &mut stack,
                &mut top,
                Node::Raw(format!("<!--{}-->", utf8(&c))),
            ),
            Event::Decl(d) => push(&mut stack, &mut top, Node::Raw(format!("<?{}?>", utf8(&d)))),
            Event::PI(p) => push(&mut stack, &mut top, Node::Raw(format!("<?{}?>", utf8(&p)))),
            Event::DocType(d) => push(
                &mut stack,
                &mut top,
                Node::Raw(format!("<!DOCTYPE {}>", utf8(&d))),
            ),
        }
    }
    if !stack.is_empty() {
        return Err("the XML ends inside an element".into());
    }
    Ok(top)
}

fn serialise(nodes: &[Node]) -> String {
    let mut out = String::new();
    for n in nodes {
        n.write(&mut out);
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Markers.

fn marker_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}").expect("static regex"))
}

/// Looks a placeholder name up: first in the block row's values, then in the scalars.
struct Scope<'a> {
    scalars: &'a BTreeMap<String, String>,
    item: Option<(&'static str, &'a BTreeMap<String, String>)>,
}

impl Scope<'_> {
    fn get(&self, name: &str) -> Option<String> {
        if let Some((prefix, rest)) = name.split_once('.') {
            if let (Some(block), Some((item_block, item))) = (block_of(prefix), self.item) {
                if block == item_block {
                    return item.get(rest).cloned();
                }
            }
        }
        self.scalars
            .get(name)
            .or_else(|| self.scalars.get(&name.to_lowercase()))
            .cloned()
    }
}

/// Replace the markers in `s`; unknown ones stay and are added to `unknown`.
fn replace_markers(s: &str, scope: &Scope<'_>, unknown: &mut BTreeSet<String>) -> String {
    marker_re()
        .replace_all(s, |c: &regex::Captures<'_>| {
            let name = &c[1];
            match scope.get(name) {
                Some(v) => v,
                None => {
                    unknown.insert(name.to_string());
                    c[0].to_string()
                }
            }
        })
        .into_owned()
}

/// A run that holds nothing but formatting and text (`w:t`, `w:tab`, `w:br` without a type).
fn is_plain_run(n: &Node) -> bool {
    n.name() == "w:r"
        && n.children().iter().all(|c| match c {
            Node::Elem { name, raw, .. } => match name.as_str() {
                "w:rPr" | "w:t" | "w:tab" | "w:lastRenderedPageBreak" => true,
                "w:br" => !raw.contains("w:type="),
                _ => false,
            },
            Node::Text(t) => t.trim().is_empty(),
            Node::Raw(_) => false,
        })
}

/// Elements Word puts between the runs of a word that carry no text: kept (spelling marks dropped) when runs
/// are merged.
fn is_transparent(n: &Node) -> bool {
    matches!(
        n.name(),
        "w:proofErr" | "w:bookmarkStart" | "w:bookmarkEnd" | "w:permStart" | "w:permEnd"
    )
}

/// Text as run content: `w:t` pieces with `w:tab` and `w:br` for tabs and line breaks.
fn run_content(text: &str) -> Vec<Node> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push(Node::elem("w:br", "w:br", Vec::new()));
        }
        for (j, piece) in line.split('\t').enumerate() {
            if j > 0 {
                out.push(Node::elem("w:tab", "w:tab", Vec::new()));
            }
            if !piece.is_empty() {
                out.push(Node::elem(
                    "w:t",
                    "w:t xml:space=\"preserve\"",
                    vec![Node::Text(escape_xml(piece))],
                ));
            }
        }
    }
    out
}

/// Merge and fill the runs of one paragraph's children (recursing into hyperlinks, smart tags, fields).
fn fill_runs(children: &mut Vec<Node>, scope: &Scope<'_>, unknown: &mut BTreeSet<String>) {
    // Containers that hold runs inside a paragraph.
    for c in children.iter_mut() {
        if matches!(
            c.name(),
            "w:hyperlink" | "w:smartTag" | "w:fldSimple" | "w:ins" | "w:sdtContent" | "w:customXml"
        ) {
            if let Some(cc) = c.children_mut() {
                fill_runs(cc, scope, unknown);
            }
        }
    }
    let old = std::mem::take(children);
    let mut out = Vec::with_capacity(old.len());
    let mut i = 0;
    while i < old.len() {
        if !is_plain_run(&old[i]) {
            out.push(old[i].clone());
            i += 1;
            continue;
        }
        // A group: plain runs, with transparent elements between them.
        let mut j = i;
        let mut last_run = i;
        while j < old.len() && (is_plain_run(&old[j]) || is_transparent(&old[j])) {
            if is_plain_run(&old[j]) {
                last_run = j;
            }
            j += 1;
        }
        let group = &old[i..=last_run];
        let mut text = String::new();
        for n in group.iter().filter(|n| is_plain_run(n)) {
            n.text(&mut text);
        }
        if marker_re().is_match(&text) {
            let filled = replace_markers(&text, scope, unknown);
            let first = &group[0];
            let (raw, rpr) = match first {
                Node::Elem { raw, children, .. } => (
                    raw.clone(),
                    children.iter().find(|c| c.name() == "w:rPr").cloned(),
                ),
                _ => ("w:r".to_string(), None),
            };
            let mut content: Vec<Node> = rpr.into_iter().collect();
            content.extend(run_content(&filled));
            out.push(Node::elem("w:r", &raw, content));
            // Keep bookmarks and permissions (after the merged run); drop spelling marks.
            out.extend(
                group
                    .iter()
                    .filter(|n| is_transparent(n) && n.name() != "w:proofErr")
                    .cloned(),
            );
        } else {
            out.extend(group.iter().cloned());
        }
        i = last_run + 1;
    }
    *children = out;
}

/// Fill every paragraph below `node`.
fn fill_paragraphs(node: &mut Node, scope: &Scope<'_>, unknown: &mut BTreeSet<String>) {
    if node.name() == "w:p" {
        let mut t = String::new();
        node.text(&mut t);
        // Nested paragraphs (text boxes) are handled by the recursion below.
        if let Some(children) = node.children_mut() {
            for c in children.iter_mut() {
                fill_paragraphs(c, scope, unknown);
            }
            if t.contains("{{") {
                fill_runs(children, scope, unknown);
            }
        }
        return;
    }
    if let Some(children) = node.children_mut() {
        for c in children.iter_mut() {
            fill_paragraphs(c, scope, unknown);
        }
    }
}

/// The block a table row repeats for, from its first block marker.
fn row_block(row: &Node) -> Option<&'static str> {
    let mut paras = Vec::new();
    collect_paragraph_texts(row, &mut paras);
    for t in paras {
        for c in marker_re().captures_iter(&t) {
            if let Some((prefix, _)) = c[1].split_once('.') {
                if let Some(b) = block_of(prefix) {
                    return Some(b);
                }
            }
        }
    }
    None
}

fn collect_paragraph_texts(n: &Node, out: &mut Vec<String>) {
    if n.name() == "w:p" {
        let mut t = String::new();
        n.text(&mut t);
        out.push(t);
        return;
    }
    for c in n.children() {
        collect_paragraph_texts(c, out);
    }
}

/// Repeat the table rows that carry block markers, filling each copy from its item.
fn expand_rows(node: &mut Node, values: &Values, unknown: &mut BTreeSet<String>) {
    let Some(children) = node.children_mut() else {
        return;
    };
    let old = std::mem::take(children);
    for mut c in old {
        if c.name() == "w:tr" {
            if let Some(block) = row_block(&c) {
                let items = values.blocks.get(block).map(Vec::as_slice).unwrap_or(&[]);
                for item in items {
                    let mut row = c.clone();
                    let scope = Scope {
                        scalars: &values.scalars,
                        item: Some((block, item)),
                    };
                    fill_paragraphs(&mut row, &scope, unknown);
                    children.push(row);
                }
                continue;
            }
        }
        expand_rows(&mut c, values, unknown);
        children.push(c);
    }
}

fn contains_marker(nodes: &[Node], name: &str) -> bool {
    let mut texts = Vec::new();
    for n in nodes {
        collect_paragraph_texts(n, &mut texts);
    }
    texts.iter().any(|t| {
        marker_re()
            .captures_iter(t)
            .any(|c| matches!(&c[1], x if x == name || x == "simulated_banner"))
    })
}

/// The banner paragraphs: a red, framed title (and the explanation in the body).
fn banner_paragraphs(view: &ReportView, with_text: bool) -> Vec<Node> {
    let ppr = "<w:pPr><w:pBdr><w:top w:val=\"single\" w:sz=\"12\" w:space=\"2\" w:color=\"C00000\"/><w:left w:val=\"single\" w:sz=\"12\" w:space=\"4\" w:color=\"C00000\"/><w:bottom w:val=\"single\" w:sz=\"12\" w:space=\"2\" w:color=\"C00000\"/><w:right w:val=\"single\" w:sz=\"12\" w:space=\"4\" w:color=\"C00000\"/></w:pBdr><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"FDE9E9\"/><w:spacing w:before=\"0\" w:after=\"60\"/><w:jc w:val=\"center\"/></w:pPr>";
    let mut xml = format!(
        "<w:p>{ppr}<w:r><w:rPr><w:b/><w:bCs/><w:color w:val=\"C00000\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
        escape_xml(view.banner_title)
    );
    if with_text {
        xml.push_str(&format!(
            "<w:p>{}<w:r><w:rPr><w:color w:val=\"C00000\"/><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            ppr.replace("<w:jc w:val=\"center\"/>", "<w:jc w:val=\"left\"/>"),
            escape_xml(view.banner_text)
        ));
    }
    // Static markup plus escaped text: parses by construction; an empty result would only drop the banner.
    let wrapped = format!(
        "<x xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">{xml}</x>"
    );
    parse(&wrapped)
        .ok()
        .and_then(|mut top| top.pop())
        .map(|x| x.children().to_vec())
        .unwrap_or_default()
}

/// The root element of a part (skipping the declaration).
fn root_mut(top: &mut [Node]) -> Option<&mut Node> {
    top.iter_mut().find(|n| matches!(n, Node::Elem { .. }))
}

fn find_child_mut<'a>(n: &'a mut Node, name: &str) -> Option<&'a mut Node> {
    n.children_mut()?.iter_mut().find(|c| c.name() == name)
}

/// Add a default header reference to every `w:sectPr` below `n` that has none. Returns how many.
fn add_header_refs(n: &mut Node) -> usize {
    let mut added = 0;
    if n.name() == "w:sectPr" {
        let has_default = n.children().iter().any(|c| {
            c.name() == "w:headerReference"
                && match c {
                    Node::Elem { raw, .. } => {
                        raw.contains("w:type=\"default\"") || !raw.contains("w:type=")
                    }
                    _ => false,
                }
        });
        if !has_default {
            if let Some(ch) = n.children_mut() {
                ch.insert(
                    0,
                    Node::elem(
                        "w:headerReference",
                        &format!("w:headerReference w:type=\"default\" r:id=\"{SIM_HEADER_RID}\""),
                        Vec::new(),
                    ),
                );
                added += 1;
            }
        }
        return added;
    }
    if let Some(ch) = n.children_mut() {
        for c in ch.iter_mut() {
            added += add_header_refs(c);
        }
    }
    added
}

const WORD_ROOTS: [&str; 5] = ["w:document", "w:hdr", "w:ftr", "w:footnotes", "w:endnotes"];

fn fill_bytes(
    bytes: &[u8],
    path: &Path,
    report: &RunReport,
    view: &ReportView,
) -> Result<(Vec<u8>, Vec<String>), ReportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        input_err(
            path,
            format!(
                "not a docx (zip) file ({e}): save the template in Word as «Word-dokument (.docx)»"
            ),
        )
    })?;
    let mut total = 0u64;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| input_err(path, format!("a part of the docx cannot be read: {e}")))?;
        let name = f.name().to_string();
        let mut buf = Vec::new();
        (&mut f)
            .take(MAX_TEMPLATE_BYTES + 1 - total)
            .read_to_end(&mut buf)
            .map_err(|e| input_err(path, format!("{name} cannot be read: {e}")))?;
        total += buf.len() as u64;
        if total > MAX_TEMPLATE_BYTES {
            return Err(input_err(
                path,
                format!(
                    "the template unpacks to more than {} MB and is refused",
                    MAX_TEMPLATE_BYTES / 1_048_576
                ),
            ));
        }
        entries.push((name, buf));
    }
    if !entries.iter().any(|(n, _)| n == "word/document.xml") {
        return Err(input_err(
            path,
            "the file has no word/document.xml: it is not a Word document; save it as .docx",
        ));
    }

    let values = values(report, view);
    let scalars_scope = Scope {
        scalars: &values.scalars,
        item: None,
    };
    let mut warnings = BTreeSet::new();
    let mut need_new_header = false;
    for (name, data) in entries.iter_mut() {
        let is_xml_part =
            name.starts_with("word/") && name.ends_with(".xml") && !name[5..].contains('/');
        if !is_xml_part {
            continue;
        }
        let Ok(xml) = std::str::from_utf8(data) else {
            continue;
        };
        let mut top = parse(xml).map_err(|e| input_err(path, format!("{name}: {e}")))?;
        let Some(root) = root_mut(&mut top) else {
            continue;
        };
        let root_name = root.name().to_string();
        if !WORD_ROOTS.contains(&root_name.as_str()) {
            continue;
        }
        let has_banner_marker = contains_marker(root.children(), "simulert_banner");
        let mut unknown = BTreeSet::new();
        expand_rows(root, &values, &mut unknown);
        fill_paragraphs(root, &scalars_scope, &mut unknown);
        for u in unknown {
            warnings.insert(format!(
                "{}: {name}: unknown placeholder {{{{ {u} }}}} left as it is (see docs/reports.md for the list)",
                path.display()
            ));
        }
        if report.simulated && !has_banner_marker {
            match root_name.as_str() {
                "w:document" => {
                    if let Some(body) = find_child_mut(root, "w:body") {
                        if let Some(ch) = body.children_mut() {
                            for (k, p) in banner_paragraphs(view, true).into_iter().enumerate() {
                                ch.insert(k, p);
                            }
                        }
                        if add_header_refs(body) > 0 {
                            need_new_header = true;
                            if let Node::Elem { raw, .. } = root {
                                if !raw.contains("xmlns:r=") {
                                    raw.push_str(" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"");
                                }
                            }
                        }
                    }
                }
                "w:hdr" => {
                    if let Some(ch) = root.children_mut() {
                        for (k, p) in banner_paragraphs(view, false).into_iter().enumerate() {
                            ch.insert(k, p);
                        }
                    }
                }
                _ => {}
            }
        }
        *data = serialise(&top).into_bytes();
    }

    if need_new_header {
        let hdr = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:hdr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">{}</w:hdr>",
            serialise(&banner_paragraphs(view, false))
        );
        entries.push((SIM_HEADER_PART.to_string(), hdr.into_bytes()));
        let rel = format!(
            "<Relationship Id=\"{SIM_HEADER_RID}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/header\" Target=\"header_dsop_sim.xml\"/>"
        );
        let ct = "<Override PartName=\"/word/header_dsop_sim.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/>";
        let mut rels_found = false;
        for (name, data) in entries.iter_mut() {
            if name == "word/_rels/document.xml.rels" {
                rels_found = true;
                insert_before_close(data, "</Relationships>", &rel);
            } else if name == "[Content_Types].xml" {
                insert_before_close(data, "</Types>", ct);
            }
        }
        if !rels_found {
            entries.push((
                "word/_rels/document.xml.rels".to_string(),
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rel}</Relationships>").into_bytes(),
            ));
        }
    }
    // A Word template (.dotx) becomes a document.
    for (name, data) in entries.iter_mut() {
        if name == "[Content_Types].xml" {
            let s = String::from_utf8_lossy(data).replace(
                "wordprocessingml.template.main+xml",
                "wordprocessingml.document.main+xml",
            );
            *data = s.into_bytes();
        }
    }

    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let werr = |e: &dyn std::fmt::Display| ReportError::Render {
        what: format!("{} (template)", super::DOCX),
        message: e.to_string(),
    };
    for (name, data) in &entries {
        out.start_file(name.as_str(), options)
            .map_err(|e| werr(&e))?;
        out.write_all(data).map_err(|e| werr(&e))?;
    }
    let cursor = out.finish().map_err(|e| werr(&e))?;
    Ok((cursor.into_inner(), warnings.into_iter().collect()))
}

fn insert_before_close(data: &mut Vec<u8>, close: &str, what: &str) {
    let s = String::from_utf8_lossy(data).into_owned();
    if let Some(pos) = s.rfind(close) {
        let mut n = String::with_capacity(s.len() + what.len());
        n.push_str(&s[..pos]);
        n.push_str(what);
        n.push_str(&s[pos..]);
        *data = n.into_bytes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_xml(xml: &str, scalars: &[(&str, &str)]) -> (String, BTreeSet<String>) {
        let map: BTreeMap<String, String> = scalars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let scope = Scope {
            scalars: &map,
            item: None,
        };
        let mut top = parse(xml).unwrap();
        let mut unknown = BTreeSet::new();
        for n in top.iter_mut() {
            fill_paragraphs(n, &scope, &mut unknown);
        }
        (serialise(&top), unknown)
    }

    #[test]
    fn round_trip_is_byte_exact() {
        let xml = "<?xml version=\"1.0\"?>\n<w:document xmlns:w=\"x\"><w:body><w:p w:rsidR=\"00A1\"><w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">a &amp; b</w:t></w:r><w:r><w:tab/></w:r></w:p><!-- c --><w:sectPr/></w:body></w:document>";
        assert_eq!(serialise(&parse(xml).unwrap()), xml);
    }

    #[test]
    fn merges_split_runs_keeping_first_format() {
        let xml = "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Til {{ inst</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:i/></w:rPr><w:t>itusjon }} &amp; co</w:t></w:r><w:r><w:tab/></w:r></w:p>";
        let (out, unknown) = fill_xml(xml, &[("institusjon", "Eksempel <Pensjon> AS")]);
        assert!(unknown.is_empty());
        assert_eq!(
            out,
            "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">Til Eksempel &lt;Pensjon&gt; AS &amp; co</w:t><w:tab/></w:r></w:p>"
        );
    }

    #[test]
    fn unknown_marker_stays_and_is_reported() {
        let (out, unknown) = fill_xml(
            "<w:p><w:r><w:t>{{ nope }} {{M}}</w:t></w:r></w:p>",
            &[("M", "2026-10")],
        );
        assert!(out.contains("{{ nope }} 2026-10"), "{out}");
        assert_eq!(unknown.into_iter().collect::<Vec<_>>(), ["nope"]);
    }

    #[test]
    fn runs_without_markers_are_untouched() {
        let xml = "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>a</w:t></w:r><w:r><w:t>b</w:t></w:r><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r></w:p>";
        assert_eq!(fill_xml(xml, &[]).0, xml);
    }

    #[test]
    fn multi_line_values_become_breaks() {
        let (out, _) = fill_xml(
            "<w:p><w:r><w:t>{{ scopes }}</w:t></w:r></w:p>",
            &[("scopes", "a\nb")],
        );
        assert_eq!(
            out,
            "<w:p><w:r><w:t xml:space=\"preserve\">a</w:t><w:br/><w:t xml:space=\"preserve\">b</w:t></w:r></w:p>"
        );
    }
}
