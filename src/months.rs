//! Calendar months (`YYYY-MM`) and the arithmetic the period rules need.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

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

    /// This month plus `n` months (negative goes back).
    pub fn plus(self, n: i64) -> YearMonth {
        YearMonth::from_index(self.index() + n)
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
}
