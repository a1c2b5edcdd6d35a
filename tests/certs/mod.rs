//! Validity windows for the certificates the tests generate, computed from today, so that no test starts
//! failing in a later year. (Deliberately expired certificates keep fixed past dates: they stay expired.)

#![allow(dead_code)]

use chrono::Datelike;

/// A (year, month, day) date as `TestCa::issue` takes it.
pub type Ymd = (i32, u8, u8);

/// From 1 January last year to 1 January three years from now: valid today, whatever today is.
pub fn valid_window() -> (Ymd, Ymd) {
    let y = chrono::Utc::now().year();
    ((y - 1, 1, 1), (y + 3, 1, 1))
}
