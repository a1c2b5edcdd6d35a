//! Calendar months (`YYYY-MM`) and the arithmetic the period rules need.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The years a `YYYY-MM` month can have.
pub const MIN_YEAR: i32 = 1;
pub const MAX_YEAR: i32 = 9999;

/// A calendar month, e.g. `2026-10`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    /// 1..=12
    pub month: u32,
}

impl YearMonth {
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        (1..=12)
            .contains(&month)
            .then_some(YearMonth { year, month })
    }

    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Months since year 0, for arithmetic.
    fn index(self) -> i64 {
        self.year as i64 * 12 + (self.month as i64 - 1)
    }

    fn from_index(i: i64) -> YearMonth {
        YearMonth {
            year: i.div_euclid(12) as i32,
            month: (i.rem_euclid(12) + 1) as u32,
        }
    }

    /// This month plus `n` months (negative goes back). For the small offsets of the code itself; an offset
    /// from a workbook goes through [`YearMonth::plus_offset`], which refuses what is out of range.
    pub fn plus(self, n: i64) -> YearMonth {
        YearMonth::from_index(self.index().saturating_add(n))
    }

    /// This month plus `n` months, or `None` when the result is not a month of the years 0001 to 9999 (what
    /// `YYYY-MM` can write).
    pub fn checked_plus(self, n: i64) -> Option<YearMonth> {
        let i = self.index().checked_add(n)?;
        (MIN_YEAR as i64..=MAX_YEAR as i64)
            .contains(&i.div_euclid(12))
            .then(|| YearMonth::from_index(i))
    }

    /// This month plus the offset written in a placeholder, e.g. `+3`, `- 16` or `` (none): `{M+3}`.
    /// An offset that is not a number, or that leaves the years 0001 to 9999, is an error saying so.
    pub fn plus_offset(self, offset: &str) -> Result<YearMonth, MonthError> {
        let t: String = offset.chars().filter(|c| !c.is_whitespace()).collect();
        if t.is_empty() {
            return Ok(self);
        }
        let out_of_range = || {
            MonthError(format!(
                "{self} {t} months is out of range: a month must be in the years {MIN_YEAR:04} to \
                 {MAX_YEAR}; write a smaller offset"
            ))
        };
        let digits = t.trim_start_matches(['+', '-']);
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || t.len() - digits.len() != 1
        {
            return Err(MonthError(format!(
                "{t:?} is not a month offset: write + or - and a number of months, e.g. M-3"
            )));
        }
        let n: i64 = t.parse().map_err(|_| out_of_range())?;
        self.checked_plus(n).ok_or_else(out_of_range)
    }

    /// Number of months from `self` to `other` (positive when `other` is later).
    pub fn months_until(self, other: YearMonth) -> i64 {
        other.index() - self.index()
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.plus(1).first_day().pred_opt().expect("valid date")
    }

    /// Inclusive range of months.
    pub fn range(from: YearMonth, to: YearMonth) -> impl Iterator<Item = YearMonth> {
        let (a, b) = (from.index(), to.index());
        (a..=b).map(YearMonth::from_index)
    }

    /// The most recent complete month as DSOP defines it: the 10th of the following month has passed.
    /// On 2026-11-26 that is 2026-10; on 2026-11-05 it is 2026-09.
    pub fn recent_complete(today: NaiveDate) -> YearMonth {
        let this = YearMonth::of(today);
        if today.day() >= 10 {
            this.plus(-1)
        } else {
            this.plus(-2)
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Why a `YYYY-MM` string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthError(pub String);

impl fmt::Display for MonthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for YearMonth {
    type Err = MonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let err = || {
            MonthError(format!(
                "{t:?} is not a month: write it as YYYY-MM, e.g. 2026-10"
            ))
        };
        let (y, m) = t.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        YearMonth::new(year, month)
            .ok_or_else(|| MonthError(format!("{t:?} has month {month}: it must be 01 to 12")))
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let m: YearMonth = "2021-01".parse().unwrap();
        assert_eq!(m.plus(-1).to_string(), "2020-12");
        assert_eq!(m.plus(-16).to_string(), "2019-09");
        assert_eq!(m.plus(12).to_string(), "2022-01");
        assert_eq!(m.months_until("2022-03".parse().unwrap()), 14);
        assert!("2021-13".parse::<YearMonth>().is_err());
        assert!("202101".parse::<YearMonth>().is_err());
        assert!("2021/01".parse::<YearMonth>().is_err());
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(YearMonth::recent_complete(d).to_string(), "2026-10");
        let d = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
        assert_eq!(YearMonth::recent_complete(d).to_string(), "2026-09");
        assert_eq!(
            YearMonth::new(2024, 2).unwrap().last_day().to_string(),
            "2024-02-29"
        );
    }

    #[test]
    fn offsets_out_of_range_are_errors() {
        let m: YearMonth = "2026-10".parse().unwrap();
        assert_eq!(m.plus_offset("").unwrap(), m);
        assert_eq!(m.plus_offset("+3").unwrap().to_string(), "2027-01");
        assert_eq!(m.plus_offset("- 16").unwrap().to_string(), "2025-06");
        assert_eq!(m.plus_offset("+95678").unwrap().to_string(), "9999-12");
        assert_eq!(m.plus_offset("-24309").unwrap().to_string(), "0001-01");
        for bad in [
            "+99999999999",
            "-99999999999",
            "+99999999999999999999",
            "-24310",
            "+95679",
            "+9223372036854775807",
        ] {
            let e = m.plus_offset(bad).unwrap_err().0;
            assert!(e.contains("out of range"), "{bad}: {e}");
        }
        for bad in ["+", "3", "++3", "+3a"] {
            let e = m.plus_offset(bad).unwrap_err().0;
            assert!(e.contains("not a month offset"), "{bad}: {e}");
        }
        assert_eq!(m.checked_plus(i64::MAX), None);
    }
}
