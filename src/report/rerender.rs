//! `dsop-harness report DIR [DIR2 …]`: render every report again from a run folder's `journal.jsonl`, without
//! calling any API. `results.json` (when present) gives the context the journal does not hold; a filled
//! workbook (`--workbook`) gives the human parts: the Info sheet (test lead, contacts, Bits case number,
//! signatures) and the `Avvik` sheet (Tiltak and Ansvarlig per deviation).
//!
//! Several folders (a run and its `--rerun-failed` runs) are merged into one final report: per case the later
//! run's result wins (a case a later run did not run keeps its earlier result), and the earlier attempts are
//! listed per case.

use super::view::{DeviationHuman, HumanFields};
use super::{ReportError, ReportOptions};
use crate::events::journal::JOURNAL;
use crate::events::Aggregator;
use crate::model::{
    CaseResult, Lang, RunContext, RunReport, Status, Summary, Verdict, WorkbookRef,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Options of `report DIR`.
#[derive(Clone, Debug, Default)]
pub struct RerenderOptions {
    pub lang: Lang,
    pub mask_ids: bool,
    /// `--template FILE.docx`.
    pub template: Option<PathBuf>,
    /// `--workbook FILE`: the workbook (ideally the team's filled copy) for the human parts.
    pub workbook: Option<PathBuf>,
    /// Later run folders (`--rerun-failed` runs) merged into `dir`, oldest first.
    pub merge: Vec<PathBuf>,
    /// Where to write. Default: `dir` for one folder, `<last folder>/merged` when merging.
    pub out: Option<PathBuf>,
}

fn input_err(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Rebuild the `RunReport` of one run folder from its journal, through the same aggregator as the live
/// run (so the cases, notes and context are the live run's, worded in `lang`). A folder without a journal
/// falls back to its `results.json`.
pub fn load_run(dir: &Path, lang: Lang) -> Result<RunReport, ReportError> {
    let journal = dir.join(JOURNAL);
    let results = dir.join(super::RESULTS_JSON);
    if !journal.is_file() {
        if !results.is_file() {
            return Err(input_err(
                dir,
                "neither journal.jsonl nor results.json is here: give the folder of a run (reports/<timestamp>-<env>)",
            ));
        }
        return read_results(&results);
    }
    let events =
        crate::events::journal::read(&journal).map_err(|e| input_err(&journal, e.to_string()))?;
    let mut report = Aggregator::replay_owned(events.events)
        .into_report(lang)
        .ok_or_else(|| {
            input_err(
                &journal,
                "the journal has no run_started event: it cannot be rendered",
            )
        })?;
    // A journal from before run_started carried the run's context: take it from results.json.
    if report.context == RunContext::default() && results.is_file() {
        report.context = read_results(&results)?.context;
    }
    Ok(report)
}

fn read_results(path: &Path) -> Result<RunReport, ReportError> {
    let bytes = std::fs::read(path).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        input_err(
            path,
            format!("not a results.json of dsop-harness ({e}); remove it to render from the journal alone"),
        )
    })
}

/// Did this result come from really running the case (not "not selected" in a `--rerun-failed` run)?
fn attempted(c: &CaseResult) -> bool {
    c.started.is_some() || c.status != Status::NotRun
}

fn history_line(run: &RunReport, c: &CaseResult, lang: Lang) -> String {
    let when = c
        .started
        .as_ref()
        .map(super::text::oslo_datetime)
        .unwrap_or_else(|| super::text::oslo_datetime(&run.started));
    let mut s = format!(
        "{when} · {} {} · {} · {}",
        super::i18n::Labels::for_lang(lang).run_word,
        run.run_id,
        c.status.label(lang),
        super::text::actual(c.actual_http, c.actual_code.as_deref())
    );
    if let Some(n) = c.note.as_deref().filter(|n| !n.trim().is_empty()) {
        s.push_str(" · ");
        s.push_str(n);
    }
    s
}

/// Merge runs (oldest first): per case the latest attempted result wins; earlier attempts become history.
pub fn merge_runs(runs: &[RunReport], lang: Lang) -> (RunReport, BTreeMap<String, Vec<String>>) {
    let mut history: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Some(last) = runs.last() else {
        return (empty_report(), history);
    };
    if runs.len() == 1 {
        return (last.clone(), history);
    }
    let mut cases: Vec<CaseResult> = Vec::new();
    // Case id -> (its index in `cases`, the run it was taken from): a lookup per case, not a scan.
    let mut from: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (ri, run) in runs.iter().enumerate() {
        for c in &run.cases {
            match from.get_mut(&c.id) {
                None => {
                    from.insert(c.id.clone(), (cases.len(), ri));
                    cases.push(c.clone());
                }
                Some((ci, pi)) if attempted(c) => {
                    let prev = &mut cases[*ci];
                    if attempted(prev) {
                        history
                            .entry(c.id.clone())
                            .or_default()
                            .push(history_line(&runs[*pi], prev, lang));
                    }
                    *prev = c.clone();
                    *pi = ri;
                }
                Some(_) => {}
            }
        }
    }
    let mut notes: Vec<String> = Vec::new();
    for r in runs {
        for n in &r.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
    }
    let ids: Vec<String> = runs
        .iter()
        .map(|r| format!("{} ({})", r.run_id, super::text::oslo_datetime(&r.started)))
        .collect();
    notes.push(super::i18n::merged_note(runs.len(), &ids.join(", "), lang));
    let mut envs: Vec<&str> = runs.iter().map(|r| r.env.as_str()).collect();
    envs.dedup();
    let summary = Summary::of(cases.iter().map(|c| &c.status));
    let verdict = Verdict::of(&cases);
    let merged = RunReport {
        harness_version: last.harness_version.clone(),
        run_id: last.run_id.clone(),
        env: envs.join("+"),
        simulated: runs.iter().any(|r| r.simulated),
        rehearsal: runs.iter().any(|r| r.rehearsal),
        observed_expiry_tolerance_secs: last.observed_expiry_tolerance_secs.clone(),
        started: runs.iter().map(|r| r.started).min().unwrap_or(last.started),
        finished: runs
            .iter()
            .map(|r| r.finished)
            .max()
            .unwrap_or(last.finished),
        today: last.today,
        workbook: last.workbook.clone(),
        summary,
        verdict,
        context: last.context.clone(),
        cases,
        notes,
    };
    (merged, history)
}

fn empty_report() -> RunReport {
    RunReport {
        harness_version: crate::VERSION.to_string(),
        run_id: String::new(),
        env: String::new(),
        simulated: false,
        rehearsal: false,
        observed_expiry_tolerance_secs: Default::default(),
        started: chrono::DateTime::default(),
        finished: chrono::DateTime::default(),
        today: chrono::NaiveDate::default(),
        workbook: WorkbookRef {
            path: String::new(),
            sha256: String::new(),
        },
        summary: Summary::default(),
        verdict: Verdict::Incomplete,
        context: RunContext::default(),
        cases: Vec::new(),
        notes: Vec::new(),
    }
}

/// What a filled workbook adds: the Info sheet's pairs and the `Avvik` sheet's rows (by Testcase-ID).
#[derive(Clone, Debug, Default)]
pub struct WorkbookHuman {
    pub info: Vec<(String, String)>,
    pub deviations: BTreeMap<String, DeviationHuman>,
}

/// Read the Info and `Avvik` sheets of a (filled) workbook.
pub fn read_workbook_human(path: &Path) -> Result<WorkbookHuman, ReportError> {
    use crate::workbook::normalise;
    let loaded = crate::workbook::load::load(path).map_err(|problems| {
        input_err(
            path,
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let mut out = WorkbookHuman::default();
    for sheet in &loaded.sheets {
        let Some((r0, r1)) = sheet.row_bounds() else {
            continue;
        };
        let name = normalise(&sheet.name);
        // The harness adds its `Avvik` as `Avvik (2)`, … when the workbook already has one: read them all.
        let deviations = matches!(
            name.trim_end_matches(|c: char| c.is_ascii_digit()),
            "avvik" | "deviations"
        );
        match if deviations { "avvik" } else { name.as_str() } {
            "info" => {
                for r in r0..=r1 {
                    let cells = sheet.row_texts(r);
                    if let [(_, k), (_, v), ..] = cells.as_slice() {
                        let nk = normalise(k);
                        if nk == "nokkel" || nk == "key" {
                            continue;
                        }
                        out.info.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
            }
            "avvik" | "deviations" => {
                // The header row: the first row with a Testcase-ID column (a banner row may come first).
                let mut header: Option<(u32, BTreeMap<String, u32>)> = None;
                for r in r0..=r1 {
                    let cols: BTreeMap<String, u32> = sheet
                        .row_texts(r)
                        .into_iter()
                        .map(|(c, t)| (normalise(&t), c))
                        .collect();
                    if cols.contains_key("testcaseid") {
                        header = Some((r, cols));
                        break;
                    }
                }
                let Some((hr, cols)) = header else {
                    continue;
                };
                let col = |names: &[&str]| names.iter().find_map(|n| cols.get(*n).copied());
                let c_case = col(&["testcaseid"]);
                let c_id = col(&["avvikid", "deviationid"]);
                let c_measure = col(&["tiltak", "action", "measure"]);
                let c_resp = col(&["ansvarlig", "owner", "responsible"]);
                let c_status = col(&["status"]);
                let c_bits = col(&["meldtbitssaksnr", "reportedtobitscaseno", "bitssaksnr"]);
                let get = |r: u32, c: Option<u32>| c.map(|c| sheet.text(r, c)).unwrap_or_default();
                for r in hr + 1..=r1 {
                    let case = get(r, c_case);
                    if case.trim().is_empty() {
                        continue;
                    }
                    // Several Avvik sheets: a field filled in on any of them is kept (the first wins).
                    let e = out.deviations.entry(case.trim().to_string()).or_default();
                    for (field, value) in [
                        (&mut e.deviation_id, get(r, c_id)),
                        (&mut e.measure, get(r, c_measure)),
                        (&mut e.responsible, get(r, c_resp)),
                        (&mut e.status, get(r, c_status)),
                        (&mut e.bits_case, get(r, c_bits)),
                    ] {
                        if field.trim().is_empty() {
                            *field = value;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Where `report DIR` writes: never into a run's own folder. By default a new folder beside the (last)
/// source that names it: `<run>.report-<timestamp>`, or `<last run>.merged-<timestamp>` when merging.
fn out_dir(dir: &Path, opts: &RerenderOptions) -> Result<PathBuf, ReportError> {
    let out = match &opts.out {
        Some(o) => o.clone(),
        None => {
            let src = opts.merge.last().map(PathBuf::as_path).unwrap_or(dir);
            let name = src
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "run".into());
            let kind = if opts.merge.is_empty() {
                "report"
            } else {
                "merged"
            };
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            src.with_file_name(format!("{name}.{kind}-{stamp}"))
        }
    };
    if out.join(JOURNAL).exists() {
        return Err(input_err(
            &out,
            "is a run folder: report DIR never overwrites a run's files; give another --out",
        ));
    }
    std::fs::create_dir_all(&out).map_err(|e| ReportError::Io {
        path: out.clone(),
        source: e,
    })?;
    Ok(out)
}

/// Render every report of run folder `dir` again (merged with `opts.merge`); returns the files written.
pub fn rerender(dir: &Path, opts: &RerenderOptions) -> Result<Vec<PathBuf>, ReportError> {
    rerender_with_warnings(dir, opts).map(|(files, _)| files)
}

/// [`rerender`], also returning the template warnings (unknown placeholders).
pub fn rerender_with_warnings(
    dir: &Path,
    opts: &RerenderOptions,
) -> Result<(Vec<PathBuf>, Vec<String>), ReportError> {
    let mut runs = vec![load_run(dir, opts.lang)?];
    for d in &opts.merge {
        let r = load_run(d, opts.lang)?;
        if r.rehearsal != runs[0].rehearsal {
            return Err(input_err(
                d,
                "a rehearsal and a test run are never merged into one report: render them separately",
            ));
        }
        runs.push(r);
    }
    // Oldest first, whatever order the folders were given in.
    runs.sort_by_key(|r| r.started);
    let (mut report, history) = merge_runs(&runs, opts.lang);
    let mut human = HumanFields {
        history,
        ..Default::default()
    };
    if let Some(wb) = &opts.workbook {
        let h = read_workbook_human(wb)?;
        // The workbook's Info sheet wins over what the run saw (the team may have filled it in since).
        for (k, v) in h.info {
            if v.is_empty() {
                continue;
            }
            match report.context.info.iter_mut().find(|(ek, _)| *ek == k) {
                Some(e) => e.1 = v,
                None => report.context.info.push((k, v)),
            }
        }
        human.deviations = h.deviations;
    }
    let out = out_dir(dir, opts)?;
    let ropts = ReportOptions {
        lang: opts.lang,
        mask_ids: opts.mask_ids,
        template: opts.template.clone(),
    };
    let (mut files, mut warnings) = super::write_all_with(&report, &out, &ropts, &human)?;
    // The filled-in workbook again, from the run's own input workbook when it is unchanged.
    let input = PathBuf::from(&report.workbook.path);
    match crate::workbook::read(&input) {
        Ok(wb) if wb.sha256 == report.workbook.sha256 => {
            match super::write_filled_workbook(&wb, &report, &out, opts.lang, opts.mask_ids) {
                Ok(filled) => files.push(filled),
                Err(e) => warnings.push(format!("the filled-in workbook was not written: {e}")),
            }
        }
        Ok(_) => warnings.push(format!(
            "{} has changed since the run (SHA-256 differs): the filled-in workbook was not written again",
            input.display()
        )),
        Err(_) => warnings.push(format!(
            "the run's workbook {} was not found from here: the filled-in workbook was not written again",
            input.display()
        )),
    }
    Ok((files, warnings))
}
