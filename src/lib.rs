//! dsop-harness: the DSOP "Data for ajourhold av OTP i privat sektor" integration test (onboarding C-4),
//! run against the agencies' test environments or the embedded simulator, with the Bits report as output.
//!
//! Data flows one way, each stage in its own module (docs/architecture.md has the layering):
//! `workbook` (xlsx) -> `run::plan` (Case -> Plan) -> `apis` (Request -> Response) -> `run::exec` (Verdict)
//! -> `events` (Event stream, aggregated into a `RunReport`) -> `report` (results.json, junit.xml, html, docx,
//! the filled-in workbook).

pub mod apis;
pub mod auth;
pub mod bootstrap;
pub mod codes;
pub mod config;
pub mod doctor;
pub mod events;
pub mod fidelity;
pub mod fsutil;
pub mod ids;
pub mod lang;
pub mod model;
pub mod months;
pub mod note;
pub mod report;
pub mod run;
pub mod secret;
pub mod sim;
pub mod workbook;

/// The harness version, as written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
