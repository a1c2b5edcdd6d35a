//! The view-model: everything the HTML and docx templates show, already formatted (Oslo times, labels in the
//! report language, status colours). Built once from a prepared `RunReport`.

use super::i18n::{self, Labels};
use super::text::{self, actual, or_dash, DASH};
use crate::model::{CaseResult, Lang, RunReport, Status, Summary, Verdict, VerdictReason};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

fn kv(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: value.into(),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SummaryRow {
    pub api: String,
    pub total: usize,
    /// Counts in the order of `ReportView::status_cols`.
    pub counts: Vec<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepRow {
    pub label: String,
    pub operation: String,
    pub expected: String,
    pub actual: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub status_fill: &'static str,
    pub corr_sent: String,
    pub corr_returned: String,
    pub date: String,
    pub note: String,
    /// The note with its codes linked (HTML).
    pub note_parts: Vec<NotePart>,
    /// " (se docs/troubleshooting.md#im-005)" when the note names a code (docx), else empty.
    pub note_ref: String,
}

/// A piece of a note: plain text, or a code (`anchor` set) that links to its explanation.
#[derive(Clone, Debug, Serialize)]
pub struct NotePart {
    pub text: String,
    pub anchor: String,
}

/// One entry of the code table (`codes`) for a code the report mentions.
#[derive(Clone, Debug, Serialize)]
pub struct CodeHelp {
    pub code: String,
    /// Set on the code's first row only (the link target).
    pub anchor: String,
    pub source: &'static str,
    pub status: u16,
    pub text: &'static str,
    pub meaning: &'static str,
    pub fix: String,
    /// `docs/troubleshooting.md#im-005`.
    pub page_ref: String,
}

/// `text` split at the codes it names.
fn note_parts(text: &str) -> Vec<NotePart> {
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, code) in crate::codes::find(text) {
        if start > at {
            out.push(NotePart {
                text: text[at..start].to_string(),
                anchor: String::new(),
            });
        }
        out.push(NotePart {
            text: text[start..end].to_string(),
            anchor: crate::codes::anchor(code),
        });
        at = end;
    }
    if at < text.len() {
        out.push(NotePart {
            text: text[at..].to_string(),
            anchor: String::new(),
        });
    }
    out
}

/// For the docx: where the codes `text` names are explained.
fn note_ref(text: &str, lang: Lang) -> String {
    let codes = crate::codes::mentioned(text);
    if codes.is_empty() {
        return String::new();
    }
    let see = match lang {
        Lang::Nb => "se",
        Lang::En => "see",
    };
    let refs: Vec<String> = codes.iter().map(|c| crate::codes::page_ref(c)).collect();
    format!(" ({see} {})", refs.join(", "))
}

/// The code table's rows for every code the texts name, in order of first mention.
fn code_help<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<CodeHelp> {
    let mut codes: Vec<&'static str> = Vec::new();
    for t in texts {
        for c in crate::codes::mentioned(t) {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
    }
    let mut out = Vec::new();
    for code in codes {
        for (i, e) in crate::codes::entries(code).enumerate() {
            out.push(CodeHelp {
                code: code.to_string(),
                anchor: if i == 0 {
                    crate::codes::anchor(code)
                } else {
                    String::new()
                },
                source: e.source.label(),
                status: e.status,
                text: e.text,
                meaning: e.meaning,
                fix: e.fix.replace("{scope}", "the scope"),
                page_ref: crate::codes::page_ref(code),
            });
        }
    }
    out
}

#[derive(Clone, Debug, Serialize)]
pub struct CaseRow {
    pub id: String,
    /// The id with the mandatory mark (`MP-01 *`).
    pub id_label: String,
    pub mandatory: bool,
    pub api: String,
    pub description: String,
    pub expected: String,
    pub actual: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub status_fill: &'static str,
    pub corr_sent: String,
    pub corr_returned: String,
    pub date: String,
    pub note: String,
    pub note_parts: Vec<NotePart>,
    pub note_ref: String,
    /// Only for multi-step cases; single-step cases show their one step in the case row.
    pub steps: Vec<StepRow>,
    /// Earlier attempts of this case in merged runs (oldest first); empty for a single run.
    pub history: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeviationRow {
    pub id: String,
    pub api: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub status_fill: &'static str,
    pub detail: String,
    pub detail_parts: Vec<NotePart>,
    pub detail_ref: String,
    /// `Avvik-ID` from the team's filled workbook (empty when not given).
    pub deviation_id: String,
    /// `Tiltak` and `Ansvarlig` from the team's filled workbook (empty when not given).
    pub measure: String,
    pub responsible: String,
    /// `Meldt Bits (saksnr)` from the team's filled workbook.
    pub bits_case: String,
}

/// One row of the signature table: the role, and the name/role/date when the workbook gives them.
#[derive(Clone, Debug, Serialize)]
pub struct SignerRow {
    pub label: String,
    pub name: String,
    pub role: String,
    pub date: String,
}

/// What people add to a report that no run can know: per-deviation measures and owners (the `Avvik` sheet of
/// the team's filled workbook) and, when several runs are merged, the earlier attempts of each case.
/// Lives in the view-model only; `RunReport` (the results.json contract) does not carry it.
#[derive(Clone, Debug, Default)]
pub struct HumanFields {
    /// Case id -> what the team wrote about its deviation.
    pub deviations: std::collections::BTreeMap<String, DeviationHuman>,
    /// Case id -> earlier attempts (oldest first), already formatted.
    pub history: std::collections::BTreeMap<String, Vec<String>>,
}

/// One row of the `Avvik` sheet of a filled workbook.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviationHuman {
    pub deviation_id: String,
    pub measure: String,
    pub responsible: String,
    pub status: String,
    pub bits_case: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct LogRow {
    pub case_step: String,
    pub time: String,
    pub operation: String,
    pub http: String,
    pub code: String,
    pub corr_sent: String,
    pub corr_returned: String,
    pub attempts: String,
    pub duration: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Paragraph {
    pub text: String,
    pub bold: bool,
}

/// Everything a template needs.
#[derive(Clone, Debug, Serialize)]
pub struct ReportView {
    pub t: Labels,
    pub headings: Vec<&'static str>,
    pub simulated: bool,
    pub banner_title: &'static str,
    pub banner_text: &'static str,
    pub subtitle: String,
    pub header_text: String,
    pub notes: Vec<String>,
    pub masked: bool,

    pub doc_info: Vec<KeyValue>,
    pub workbook_info: Vec<KeyValue>,
    pub organisation: Vec<KeyValue>,
    pub environment: Vec<KeyValue>,
    /// How the calls are authorised, in words (the `delegering` placeholder).
    pub delegation_text: &'static str,
    /// The environment, in words (the `miljo` placeholder).
    pub env_label: String,
    /// From the Info sheet, or "to be filled in".
    pub business_contact: String,
    pub technical_contact: String,
    pub test_lead: String,
    pub scopes: Vec<String>,
    pub base_urls: Vec<KeyValue>,
    pub testdata_info: Vec<KeyValue>,
    pub months: Vec<KeyValue>,
    pub testdata: Vec<Vec<String>>,
    pub execution: Vec<KeyValue>,

    pub status_cols: Vec<&'static str>,
    /// The summary table's header: API, cases, then the status columns.
    pub summary_head: Vec<&'static str>,
    pub summary_rows: Vec<SummaryRow>,
    pub summary_total: SummaryRow,

    pub cases: Vec<CaseRow>,
    pub deviations: Vec<DeviationRow>,
    pub im010_paragraph: Option<&'static str>,
    /// The codes the notes name, explained (the HTML links to them; docs/troubleshooting.md has them all).
    pub code_help: Vec<CodeHelp>,
    pub code_help_title: &'static str,
    pub code_help_intro: &'static str,

    pub verdict_label: &'static str,
    pub verdict_class: &'static str,
    pub verdict_fill: &'static str,
    pub conclusion: Vec<Paragraph>,
    pub signers: Vec<SignerRow>,
    /// The Bits case number from the Info sheet (`Bits saksnr`), or empty.
    pub bits_case: String,

    pub log: Vec<LogRow>,

    /// `docProps/core.xml` times (UTC, W3CDTF).
    pub created_utc: String,
    pub modified_utc: String,
    pub run_id: String,
    pub harness_version: String,
}

fn info_get(report: &RunReport, needles: &[&str]) -> Option<String> {
    report
        .context
        .info
        .iter()
        .find(|(k, v)| {
            let k = k.to_lowercase();
            !v.trim().is_empty() && needles.iter().any(|n| k.contains(n))
        })
        .map(|(_, v)| v.clone())
}

/// The signature table: the test lead and the institution's responsible person, with the names the Info sheet
/// gives (`Testansvarlig`, `Ansvarlig pensjonsinnretning`; `… rolle`, `… dato` when present).
fn signer_rows(report: &RunReport, l: &Labels) -> Vec<SignerRow> {
    let lead = info_get(report, &["testansvarlig", "test lead"]).unwrap_or_default();
    let inst = info_get(
        report,
        &[
            "ansvarlig pensjonsinnretning",
            "ansvarlig hos pensjonsinnretning",
            "institution responsible",
            "godkjent av",
            "approved by",
        ],
    )
    .unwrap_or_default();
    let get = |needles: &[&str]| info_get(report, needles).unwrap_or_default();
    vec![
        SignerRow {
            label: l.sign_test_lead.to_string(),
            name: lead,
            role: get(&["testansvarlig rolle", "test lead role"]),
            date: get(&["testansvarlig dato", "test lead date"]),
        },
        SignerRow {
            label: l.sign_institution.to_string(),
            name: inst,
            role: get(&[
                "ansvarlig pensjonsinnretning rolle",
                "institution responsible role",
            ]),
            date: get(&[
                "ansvarlig pensjonsinnretning dato",
                "institution responsible date",
            ]),
        },
    ]
}

fn counts(s: &Summary) -> Vec<usize> {
    Status::ALL.iter().map(|st| s.count(*st)).collect()
}

fn step_rows(c: &CaseResult, lang: Lang, l: &Labels) -> Vec<StepRow> {
    if c.steps.len() < 2 {
        return Vec::new();
    }
    c.steps
        .iter()
        .map(|s| StepRow {
            label: format!("{} {}", l.steps_of, s.step),
            operation: s.operation.clone(),
            expected: s.expected.clone(),
            actual: actual(s.actual_http, s.actual_code.as_deref()),
            status_label: s.status.label(lang).to_string(),
            status_class: text::status_class(s.status),
            status_fill: text::status_fill(s.status),
            corr_sent: or_dash(s.correlation_id.as_deref()),
            corr_returned: or_dash(s.correlation_id_returned.as_deref()),
            date: s
                .started
                .as_ref()
                .map(text::oslo_time)
                .unwrap_or_else(|| DASH.to_string()),
            note: join_note(s.note.as_deref(), s.summary.as_deref()),
            note_parts: note_parts(&join_note(s.note.as_deref(), s.summary.as_deref())),
            note_ref: note_ref(&join_note(s.note.as_deref(), s.summary.as_deref()), lang),
        })
        .collect()
}

fn join_note(note: Option<&str>, summary: Option<&str>) -> String {
    [note, summary]
        .iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("; ")
}

fn conclusion(report: &RunReport, lang: Lang) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mandatory: Vec<&CaseResult> = report.cases.iter().filter(|c| c.mandatory).collect();
    let ok = mandatory.iter().filter(|c| c.status == Status::Ok).count();
    out.push(Paragraph {
        text: i18n::verdict_sentence(
            report.verdict.label(lang),
            (ok, mandatory.len()),
            (report.summary.ok, report.summary.total),
            lang,
        ),
        bold: false,
    });
    let reason = report.verdict_reason();
    if matches!(
        reason,
        VerdictReason::NoMandatoryCase { .. } | VerdictReason::AllMandatoryOk { .. }
    ) {
        // The readiness claim only when every mandatory case is OK and no case deviated; never a vacuous pass.
        out.push(Paragraph {
            text: reason.sentence(lang),
            bold: true,
        });
    } else if report.verdict != Verdict::Passed {
        let missing: Vec<String> = mandatory
            .iter()
            .filter(|c| c.status != Status::Ok)
            .map(|c| format!("{} ({})", c.id, c.status.label(lang)))
            .collect();
        out.push(Paragraph {
            text: i18n::mandatory_not_ok(&missing.join(", "), lang),
            bold: true,
        });
    }
    let optional_bad: Vec<String> = report
        .cases
        .iter()
        .filter(|c| {
            !c.mandatory && matches!(c.status, Status::Deviation | Status::EnvironmentError)
        })
        .map(|c| format!("{} ({})", c.id, c.status.label(lang)))
        .collect();
    if !optional_bad.is_empty() {
        out.push(Paragraph {
            text: i18n::optional_not_ok(&optional_bad.join(", "), lang),
            bold: false,
        });
    }
    if report.simulated {
        out.push(Paragraph {
            text: Labels::for_lang(lang).conclusion_simulated.to_string(),
            bold: true,
        });
    }
    out
}

/// Human free text goes through the same last-line scrub (and masking) as the report's own texts.
/// What a log row shows of a case decided without a call, or of one step.
struct LogFacts<'a> {
    started: Option<&'a chrono::DateTime<chrono::Utc>>,
    http: Option<u16>,
    code: Option<&'a str>,
    corr_sent: Option<&'a str>,
    corr_returned: Option<&'a str>,
    attempts: u32,
    duration_ms: u64,
}

impl<'a> LogFacts<'a> {
    fn of_case(c: &'a CaseResult) -> LogFacts<'a> {
        LogFacts {
            started: c.started.as_ref(),
            http: c.actual_http,
            code: c.actual_code.as_deref(),
            corr_sent: c.correlation_id.as_deref(),
            corr_returned: c.correlation_id_returned.as_deref(),
            attempts: c.attempts,
            duration_ms: c.duration_ms,
        }
    }

    fn of_step(s: &'a crate::model::StepResult) -> LogFacts<'a> {
        LogFacts {
            started: s.started.as_ref(),
            http: s.actual_http,
            code: s.actual_code.as_deref(),
            corr_sent: s.correlation_id.as_deref(),
            corr_returned: s.correlation_id_returned.as_deref(),
            attempts: s.attempts,
            duration_ms: s.duration_ms,
        }
    }
}

impl LogRow {
    fn of(case_step: String, operation: &str, f: LogFacts) -> LogRow {
        LogRow {
            case_step,
            time: f
                .started
                .map(text::oslo_datetime)
                .unwrap_or_else(|| DASH.to_string()),
            operation: operation.to_string(),
            http: f
                .http
                .map(|h| h.to_string())
                .unwrap_or_else(|| DASH.to_string()),
            code: or_dash(f.code),
            corr_sent: or_dash(f.corr_sent),
            corr_returned: or_dash(f.corr_returned),
            attempts: f.attempts.to_string(),
            duration: text::duration(f.duration_ms),
        }
    }
}

fn human_text(s: &str, masked: bool) -> String {
    let s = text::scrub(s.trim());
    if masked {
        crate::ids::mask_person_ids_in(&s)
    } else {
        s
    }
}

fn context_err(e: tera::Error) -> super::ReportError {
    super::ReportError::Render {
        what: "the report view".to_string(),
        message: e.to_string(),
    }
}

/// The template context of a view (the HTML and the docx are rendered from it).
pub fn context(view: &ReportView) -> Result<tera::Context, super::ReportError> {
    tera::Context::from_serialize(view).map_err(context_err)
}

/// [`context`] of a view that is no longer needed: its large tables (cases, log, deviations) are converted
/// one at a time and each dropped once converted, so the view and its context are never both whole in memory.
pub fn into_context(mut view: ReportView) -> Result<tera::Context, super::ReportError> {
    let cases = std::mem::take(&mut view.cases);
    let log = std::mem::take(&mut view.log);
    let deviations = std::mem::take(&mut view.deviations);
    let mut ctx = context(&view)?;
    drop(view);
    ctx.try_insert("cases", &cases).map_err(context_err)?;
    drop(cases);
    ctx.try_insert("log", &log).map_err(context_err)?;
    drop(log);
    ctx.try_insert("deviations", &deviations)
        .map_err(context_err)?;
    Ok(ctx)
}

impl ReportView {
    /// Build the view of an already prepared (scrubbed, optionally masked) report.
    pub fn build(report: &RunReport, lang: Lang, masked: bool) -> ReportView {
        Self::build_with(report, lang, masked, &HumanFields::default())
    }

    /// Build the view with the human fields of a filled workbook and the history of merged runs.
    pub fn build_with(
        report: &RunReport,
        lang: Lang,
        masked: bool,
        human: &HumanFields,
    ) -> ReportView {
        let l = Labels::for_lang(lang);
        let ctx = &report.context;
        let mp = &ctx.maskinporten;
        let not_given = Labels::for_lang(lang).not_given;
        let to_fill = "";

        let env_label = if report.simulated {
            format!(
                "{} ({})",
                report.env,
                Labels::for_lang(lang).embedded_simulator
            )
        } else {
            report.env.clone()
        };

        let doc_info = vec![
            kv(Labels::for_lang(lang).kv_document, l.title),
            kv(Labels::for_lang(lang).kv_template_version, "V.1.0"),
            kv(Labels::for_lang(lang).kv_report_version, "1.0"),
            kv(
                Labels::for_lang(lang).kv_report_date,
                text::oslo_date(&report.finished),
            ),
            kv(
                Labels::for_lang(lang).kv_test_case_file,
                format!(
                    "{} ({})",
                    report.workbook.path,
                    info_get(report, &["versjon"]).unwrap_or_else(|| "V.1".to_string())
                ),
            ),
            kv(
                Labels::for_lang(lang).kv_workbook_sha256,
                &report.workbook.sha256,
            ),
            kv(Labels::for_lang(lang).kv_run_id, &report.run_id),
            kv(Labels::for_lang(lang).kv_environment, &env_label),
        ];
        let mut doc_info = doc_info;
        if let Some(b) = info_get(report, &["saksnr", "saksnummer", "bits sak", "bits case"]) {
            doc_info.push(kv(l.bits_case, b));
        }
        let workbook_info = ctx.info.iter().map(|(k, v)| kv(k, v)).collect();

        let party = |p: &crate::model::Party| {
            format!("{} ({} {})", p.name, Labels::for_lang(lang).org_no, p.orgnr)
        };
        let info_or_fill =
            |needles: &[&str]| info_get(report, needles).unwrap_or_else(|| to_fill.to_string());
        let business_contact = info_or_fill(&["forretning", "business"]);
        let technical_contact = info_or_fill(&["teknisk", "technical"]);
        let test_lead = info_or_fill(&["testansvarlig", "test lead"]);
        let organisation = vec![
            kv(
                Labels::for_lang(lang).kv_pension_institution,
                party(&ctx.institution),
            ),
            kv(
                Labels::for_lang(lang).kv_third_party_vendor,
                ctx.vendor
                    .as_ref()
                    .map(party)
                    .unwrap_or_else(|| l.none.to_string()),
            ),
            kv(
                Labels::for_lang(lang).kv_delegation,
                i18n::delegation_text(ctx.delegation, lang),
            ),
            kv(
                Labels::for_lang(lang).kv_business_contact,
                &business_contact,
            ),
            kv(
                Labels::for_lang(lang).kv_technical_contact,
                &technical_contact,
            ),
            kv(Labels::for_lang(lang).kv_test_lead, &test_lead),
        ];

        let mut environment = vec![
            kv(Labels::for_lang(lang).kv_environment, &env_label),
            kv(
                Labels::for_lang(lang).kv_maskinporten_issuer,
                or_dash(Some(&mp.issuer)),
            ),
            kv(
                Labels::for_lang(lang).kv_token_endpoint,
                or_dash(Some(&mp.token_endpoint)),
            ),
            kv(
                Labels::for_lang(lang).kv_maskinporten_client_id,
                or_dash(Some(&mp.client_id)),
            ),
            kv(
                Labels::for_lang(lang).kv_key_mode,
                or_dash(Some(&mp.key_mode)),
            ),
        ];
        match &mp.certificate {
            Some(c) => {
                let validity = format!(
                    "{} – {}",
                    c.not_before
                        .as_ref()
                        .map(text::oslo_date)
                        .unwrap_or_else(|| DASH.to_string()),
                    c.not_after
                        .as_ref()
                        .map(text::oslo_date)
                        .unwrap_or_else(|| DASH.to_string())
                );
                environment.push(kv(Labels::for_lang(lang).kv_cert_subject, &c.subject));
                environment.push(kv(Labels::for_lang(lang).kv_cert_issuer, &c.issuer));
                environment.push(kv(
                    Labels::for_lang(lang).kv_serial_number,
                    or_dash(Some(&c.serial)),
                ));
                environment.push(kv(Labels::for_lang(lang).kv_cert_validity, validity));
                environment.push(kv(
                    Labels::for_lang(lang).kv_cert_orgnr,
                    or_dash(c.orgnr.as_deref()),
                ));
            }
            None => environment.push(kv(
                Labels::for_lang(lang).kv_business_certificate,
                not_given,
            )),
        }
        environment.push(kv(
            Labels::for_lang(lang).kv_harness_version,
            format!("dsop-harness {}", report.harness_version),
        ));

        let mut testdata_info = Vec::new();
        if let Some(v) = info_get(report, &["testdatasett", "test data set"]) {
            testdata_info.push(kv(Labels::for_lang(lang).kv_testdata_set, v));
        }
        let persons = ctx
            .testdata
            .iter()
            .filter(|t| {
                crate::ids::is_valid_person_id(&t.identifikator)
                    || t.kind.to_lowercase().contains("mottaker")
            })
            .count();
        testdata_info.push(kv(
            Labels::for_lang(lang).kv_number_of_test_persons,
            persons.to_string(),
        ));
        testdata_info.push(kv(
            Labels::for_lang(lang).kv_number_of_organisations,
            (ctx.testdata.len() - persons).to_string(),
        ));
        testdata_info.push(kv(
            Labels::for_lang(lang).kv_months_date,
            report.today.to_string(),
        ));
        let months = ctx.months.iter().map(|(k, v)| kv(k, v)).collect();
        let testdata = ctx
            .testdata
            .iter()
            .map(|t| {
                vec![
                    t.r#ref.clone(),
                    t.kind.clone(),
                    t.identifikator.clone(),
                    t.navn.clone(),
                    super::tags::tags_words(&t.egenskaper, lang),
                    t.kilde.clone(),
                ]
            })
            .collect();

        let mandatory = report.cases.iter().filter(|c| c.mandatory).count();
        let execution = vec![
            kv(
                Labels::for_lang(lang).kv_test_period,
                format!(
                    "{} – {}",
                    text::oslo_datetime(&report.started),
                    text::oslo_datetime(&report.finished)
                ),
            ),
            kv(
                Labels::for_lang(lang).kv_run_by,
                info_get(report, &["testansvarlig", "test lead", "gjennomført av"])
                    .unwrap_or_else(|| to_fill.to_string()),
            ),
            kv(
                Labels::for_lang(lang).kv_tool,
                format!("dsop-harness {}", report.harness_version),
            ),
            kv(Labels::for_lang(lang).kv_run_id, &report.run_id),
            kv(
                Labels::for_lang(lang).kv_test_cases,
                i18n::cases_with_mandatory(report.cases.len(), mandatory, lang),
            ),
        ];

        let summary_rows = report
            .summary_per_api()
            .iter()
            .map(|(api, s)| SummaryRow {
                api: api.label(lang).to_string(),
                total: s.total,
                counts: counts(s),
            })
            .collect();
        let summary_total = SummaryRow {
            api: l.col_total.to_string(),
            total: report.summary.total,
            counts: counts(&Summary::of(report.cases.iter().map(|c| &c.status))),
        };

        let cases: Vec<CaseRow> = report
            .cases
            .iter()
            .map(|c| CaseRow {
                id: c.id.clone(),
                id_label: if c.mandatory {
                    format!("{} {}", c.id, l.mandatory_mark)
                } else {
                    c.id.clone()
                },
                mandatory: c.mandatory,
                api: c.api.label(lang).to_string(),
                description: c.description.clone(),
                expected: c.expected.clone(),
                actual: actual(c.actual_http, c.actual_code.as_deref()),
                status_label: c.status.label(lang).to_string(),
                status_class: text::status_class(c.status),
                status_fill: text::status_fill(c.status),
                corr_sent: or_dash(c.correlation_id.as_deref()),
                corr_returned: or_dash(c.correlation_id_returned.as_deref()),
                date: c
                    .started
                    .as_ref()
                    .map(text::oslo_date)
                    .unwrap_or_else(|| DASH.to_string()),
                note: c.note.clone().unwrap_or_default(),
                note_parts: note_parts(c.note.as_deref().unwrap_or_default()),
                note_ref: note_ref(c.note.as_deref().unwrap_or_default(), lang),
                steps: step_rows(c, lang, &l),
                history: human
                    .history
                    .get(&c.id)
                    .map(|h| h.iter().map(|s| human_text(s, masked)).collect())
                    .unwrap_or_default(),
            })
            .collect();

        let deviations: Vec<DeviationRow> = report
            .cases
            .iter()
            .filter(|c| matches!(c.status, Status::Deviation | Status::EnvironmentError))
            .map(|c| {
                let got = actual(c.actual_http, c.actual_code.as_deref());
                let mut detail = i18n::expected_got(&c.expected, &got, lang);
                if let Some(n) = c.note.as_deref().filter(|n| !n.trim().is_empty()) {
                    detail.push(' ');
                    detail.push_str(n);
                }
                let h = human.deviations.get(&c.id).cloned().unwrap_or_default();
                DeviationRow {
                    id: c.id.clone(),
                    api: c.api.label(lang).to_string(),
                    status_label: c.status.label(lang).to_string(),
                    status_class: text::status_class(c.status),
                    status_fill: text::status_fill(c.status),
                    detail_parts: note_parts(&detail),
                    detail_ref: note_ref(&detail, lang),
                    detail,
                    deviation_id: human_text(&h.deviation_id, masked),
                    measure: human_text(&h.measure, masked),
                    responsible: human_text(&h.responsible, masked),
                    bits_case: human_text(&h.bits_case, masked),
                }
            })
            .collect();
        let code_help = code_help(
            cases
                .iter()
                .flat_map(|c: &CaseRow| {
                    std::iter::once(c.note.as_str()).chain(c.steps.iter().map(|s| s.note.as_str()))
                })
                .chain(deviations.iter().map(|d: &DeviationRow| d.detail.as_str())),
        );
        let mentions_im =
            |s: Option<&str>| s.is_some_and(|n| n.contains("IM-010") || n.contains("IM-008"));
        let im010 = report.cases.iter().any(|c| {
            mentions_im(c.note.as_deref()) || c.steps.iter().any(|s| mentions_im(s.note.as_deref()))
        });

        let (verdict_class, verdict_fill) = match report.verdict {
            Verdict::Passed => ("ok", text::status_fill(Status::Ok)),
            Verdict::Failed => ("deviation", text::status_fill(Status::Deviation)),
            Verdict::Incomplete => ("envfail", text::status_fill(Status::EnvironmentError)),
        };

        let mut log = Vec::new();
        for c in &report.cases {
            if c.steps.is_empty() {
                log.push(LogRow::of(c.id.clone(), &c.operation, LogFacts::of_case(c)));
            }
            for st in &c.steps {
                let id = format!("{} / {}", c.id, st.step);
                log.push(LogRow::of(id, &st.operation, LogFacts::of_step(st)));
            }
        }

        let subtitle = format!(
            "{} · {} {} · {}",
            ctx.institution.name,
            Labels::for_lang(lang).org_no,
            ctx.institution.orgnr,
            text::oslo_date(&report.finished)
        );
        let mut header_text = format!("{} · {}", l.title, ctx.institution.name);
        // A system-user run is labelled on every page until the agencies' acceptance is verified.
        if ctx.delegation == crate::model::Delegation::SystemUser {
            header_text.push_str(Labels::for_lang(lang).header_system_user);
        }

        ReportView {
            headings: l.headings().to_vec(),
            simulated: report.simulated,
            banner_title: match report.rehearsal {
                true => i18n::rehearsal_banner_title(lang),
                false => i18n::sim_banner_title(lang),
            },
            banner_text: i18n::sim_banner_text(lang),
            subtitle,
            header_text,
            notes: report.notes.clone(),
            masked,
            doc_info,
            workbook_info,
            organisation,
            environment,
            delegation_text: i18n::delegation_text(ctx.delegation, lang),
            env_label,
            business_contact,
            technical_contact,
            test_lead,
            scopes: mp.scopes.clone(),
            base_urls: ctx.base_urls.iter().map(|(k, v)| kv(k, v)).collect(),
            testdata_info,
            months,
            testdata,
            execution,
            status_cols: Status::ALL.iter().map(|s| s.label(lang)).collect(),
            summary_head: [l.col_api, l.col_cases]
                .into_iter()
                .chain(Status::ALL.iter().map(|s| s.label(lang)))
                .collect(),
            summary_rows,
            summary_total,
            cases,
            deviations,
            im010_paragraph: im010.then(|| i18n::im010_paragraph(lang)),
            code_help,
            code_help_title: match lang {
                Lang::Nb => "Koder i rapporten",
                Lang::En => "Codes in this report",
            },
            code_help_intro: match lang {
                Lang::Nb => "Hva kodene i merknadene betyr og hva som trolig må rettes (fra harnessets kodetabell, \
                    på engelsk; alle koder står i docs/troubleshooting.md).",
                Lang::En => "What the codes in the notes mean and the likely fix (from the harness's code table; \
                    every code is in docs/troubleshooting.md).",
            },
            verdict_label: report.verdict.label(lang),
            verdict_class,
            verdict_fill,
            conclusion: conclusion(report, lang),
            signers: signer_rows(report, &l),
            bits_case: info_get(report, &["saksnr", "saksnummer", "bits sak", "bits case"])
                .unwrap_or_default(),
            log,
            created_utc: report.started.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            modified_utc: report.finished.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            run_id: report.run_id.clone(),
            harness_version: report.harness_version.clone(),
            t: l,
        }
    }
}
