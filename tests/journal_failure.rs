//! The journal line that must precede a write: when it cannot be written, the write is not sent and the
//! run stops (the executor against the embedded simulator, with a journal that fails for writes).

use dsop_harness::apis::retry::RetryPolicy;
use dsop_harness::bootstrap::{self, SIM_INSTITUTION_NAME, SIM_INSTITUTION_ORGNR};
use dsop_harness::events::{Event, EventSink};
use dsop_harness::model::Status;
use dsop_harness::note::Note;
use dsop_harness::run::exec::{Executor, ENVIRONMENT_CODES};
use dsop_harness::run::plan::{self, PlanOptions};
use std::sync::Arc;
use std::time::Duration;

/// A journal whose disk is full the moment a write is about to be journalled.
struct FullDisk;

impl EventSink for FullDisk {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        match e {
            Event::AttemptStarted { write: true, .. } => Err(std::io::Error::other("disk full")),
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn a_failed_journal_write_stops_the_write_and_the_run() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let id = bootstrap::sim_identity(today, SIM_INSTITUTION_ORGNR, SIM_INSTITUTION_NAME).unwrap();
    let sim = bootstrap::start_embedded(dsop_harness::sim::SimConfig::new(today), &id)
        .await
        .unwrap();
    let urls = sim.urls().clone();
    let http = dsop_harness::apis::http_client(Duration::from_secs(5)).unwrap();
    let mp = bootstrap::sim_maskinporten(http.clone(), &urls, id.cert);
    mp.set_clock_offset(sim.now() - chrono::Utc::now().timestamp());
    let wb_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testcases/integrasjonstest-ajourhold-otp.xlsx");
    let wb = dsop_harness::workbook::read(&wb_path).unwrap();
    let plan = plan::build(
        &wb,
        &PlanOptions {
            today: Some(today),
            ..Default::default()
        },
    )
    .unwrap();
    let tpa01 = plan.cases.iter().find(|c| c.id == "TPA-01").unwrap();
    let ex = Executor {
        api: dsop_harness::apis::ApiClient::new(http, urls.endpoints(), None),
        mp: Arc::new(mp),
        consumer: SIM_INSTITUTION_ORGNR.into(),
        clock: None,
        step_timeout: Duration::from_secs(10),
        retry: RetryPolicy::default(),
        halt: Default::default(),
        env_codes: ENVIRONMENT_CODES.iter().map(|s| s.to_string()).collect(),
        travelled: Default::default(),
        resent_before: Default::default(),
        waits: Default::default(),
        background: Default::default(),
    };
    let r = ex.run_case(tpa01, &mut FullDisk).await;
    assert_eq!(r.status, Status::NotRun, "{r:?}");
    assert!(
        matches!(r.steps[0].notes.first(), Some(Note::JournalFailed { .. })),
        "{r:?}"
    );
    // The run stops: the scheduler reads the halt and leaves every remaining case not run.
    assert!(ex.halt.lock().unwrap().is_some());
    // Nothing was sent to Tjenestepensjonsavtale.
    assert!(
        !sim.request_log()
            .iter()
            .any(|l| l.path.contains("avtaleforhold")),
        "{:?}",
        sim.request_log()
    );
}
