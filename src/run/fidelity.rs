//! The run's side of the fidelity loop (`crate::fidelity`, docs/simulator.md §16): the capture sink of a
//! `run --capture`, and `dsop-harness fidelity RUN_DIR`, which replays a capture's cases against the bundled
//! simulator with switches set and compares.

use super::setup::Folder;
use super::{plan, RunError, RunOptions, SimOptions, Spec};
use crate::config::{Config, Env};
use crate::events::{Event, EventSink};
use crate::fidelity::capture::{self, Capture, Captured, Cleaner, RunInfo, StepInputs};
use crate::fidelity::compare::{compare, Comparison};
use crate::model::Lang;
use crate::workbook::{Case, CaseStep, Workbook};
use std::path::Path;

/// The capture sink of a run (`run --capture`): its selected cases, into the run folder.
pub fn capture_sink(spec: &Spec, folder: &Folder) -> Result<Capture, RunError> {
    let cleaner = Cleaner::new(&spec.wb.testdata);
    let selected = |c: &&Case| spec.plan.cases.iter().any(|p| p.selected && p.id == c.id);
    let cases: Vec<&Case> = spec.wb.cases.iter().filter(selected).collect();
    let mut inputs = StepInputs::new();
    for c in &cases {
        for s in &c.steps {
            let text = cleaner.clean(&s.inputs);
            let parsed = plan::parse_inputs(&text).unwrap_or_else(|_| vec![(String::new(), text)]);
            inputs.insert((c.id.clone(), s.step), parsed);
        }
    }
    let lines: Vec<capture::Line> = cases
        .iter()
        .map(|c| capture::case_line(c, &cleaner))
        .collect();
    let info = RunInfo {
        run_id: &folder.run_id,
        env: spec.opts.env.as_str(),
        today: spec.today,
    };
    Capture::create(&folder.dir, &info, &lines, inputs).map_err(|source| RunError::Io {
        what: format!(
            "cannot write {} in {}",
            capture::CAPTURE_FILE,
            folder.dir.display()
        ),
        source,
    })
}

/// Compare the capture in `run_dir` with the bundled simulator under `switches` (`name=value` each).
pub async fn fidelity(run_dir: &Path, switches: &[String]) -> Result<Comparison, String> {
    let mut check = crate::sim::Switches::default();
    for s in switches {
        check
            .set_item(s)
            .map_err(|e| format!("--switch {s}: {e}"))?;
    }
    let captured = capture::read(&run_dir.join(capture::CAPTURE_FILE))?;
    let replayed = replay(&captured, switches).await?;
    let (steps, differences) = compare(&captured, &replayed);
    Ok(Comparison {
        run_id: captured.run_id,
        env: captured.env,
        today: captured.today,
        switches: switches.to_vec(),
        steps,
        differences,
    })
}

/// Discards the replay's events.
struct Quiet;

impl EventSink for Quiet {
    fn event(&mut self, _: &Event) -> std::io::Result<()> {
        Ok(())
    }
}

/// The capture's cases as a workbook over the bundled data set.
fn workbook(c: &Captured) -> Result<Workbook, String> {
    let mut wb = crate::workbook::mapping::bundled().map_err(|e| e.to_string())?;
    wb.cases = c
        .cases
        .iter()
        .map(|(id, mandatory, steps)| Case {
            id: id.clone(),
            mandatory: *mandatory,
            sheet: "capture".into(),
            steps: steps
                .iter()
                .map(|s| CaseStep {
                    step: s.step,
                    operation: s.operation.clone(),
                    inputs: s.inputs.clone(),
                    expected_http: s.expected_http.clone(),
                    expected_code: s.expected_code.clone(),
                    ..CaseStep::default()
                })
                .collect(),
            ..Case::default()
        })
        .collect();
    Ok(wb)
}

/// The options of a replay: the embedded simulator with `switches`, into the folder `reports`.
fn replay_options(
    wb: &Workbook,
    today: chrono::NaiveDate,
    switches: &[String],
    reports: &Path,
) -> RunOptions {
    RunOptions {
        workbook: wb.path.clone(),
        env: Env::Sim,
        today: Some(today),
        reports_dir: reports.to_path_buf(),
        lang: Lang::En,
        mask_ids: false,
        plan: plan::PlanOptions {
            today: Some(today),
            ..Default::default()
        },
        allow_prod: false,
        dry_run: false,
        config: Config::default(),
        sim: SimOptions {
            faults: (!switches.is_empty()).then(|| switches.join(",")),
            ..Default::default()
        },
        resume: None,
        workbook_is_default: false,
        mapping: None,
        template: None,
        jobs: 4,
        case_timeout: std::time::Duration::from_secs(300),
        request_timeout: None,
        rerun_failed: None,
        strict_writes: false,
        capture: true,
    }
}

/// Run the capture's cases against a fresh embedded simulator, capturing into a temporary folder.
async fn replay(c: &Captured, switches: &[String]) -> Result<Captured, String> {
    let wb = workbook(c)?;
    let today = c.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let tmp = std::env::temp_dir().join(format!("dsop-fidelity-{}", uuid::Uuid::new_v4()));
    let opts = replay_options(&wb, today, switches, &tmp);
    let plan = plan::build(&wb, &opts.plan).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        format!(
            "the captured cases cannot be planned over the bundled data set:\n{}",
            lines.join("\n")
        )
    })?;
    let spec = Spec {
        opts,
        wb,
        plan,
        today,
        resume: None,
        rerun_of: None,
        warnings: Vec::new(),
    };
    let result = match super::execute(&spec, Box::new(Quiet)).await {
        Ok(o) => match o.dir {
            Some(d) => capture::read(&d.join(capture::CAPTURE_FILE)),
            None => Err("the simulator run wrote no folder".into()),
        },
        Err(e) => Err(format!("the simulator run failed: {e}")),
    };
    let _ = std::fs::remove_dir_all(&tmp);
    result
}
