//! The agreement rules as data (`skatteetaten-apis.md` §5).
//!
//! - avtaleforhold = ⋃ over the institution's registered agreements a of
//!   (months(a) ∩ months the employer's a-meldinger name the institution), never before 2021-01;
//!   an open agreement (no `tilOgMed`) runs to the current month; the employer's side ends at `employer_end`:
//!   the last month with an a-melding (the default), or the current month (switch `employer_side`).
//! - virkningsperiode = ⋃ over avtaleforhold months m of [m−15, m+1], never before 2020-01.

use super::data::{Agreement, EmployerReport};
use crate::months::YearMonth;
use std::collections::BTreeSet;

pub const EARLIEST_AVTALEFORHOLD: YearMonth = YearMonth {
    year: 2021,
    month: 1,
};
pub const EARLIEST_VIRKNING: YearMonth = YearMonth {
    year: 2020,
    month: 1,
};

/// Months of the avtaleforhold between `institution` and `opplysningspliktig`.
pub fn avtaleforhold(
    agreements: &[Agreement],
    reports: &[EmployerReport],
    institution: &str,
    opplysningspliktig: &str,
    current: YearMonth,
    employer_end: YearMonth,
) -> BTreeSet<YearMonth> {
    let mut employer = BTreeSet::new();
    for r in reports
        .iter()
        .filter(|r| r.institution == institution && r.opplysningspliktig == opplysningspliktig)
    {
        let til = r.til.unwrap_or(employer_end).min(employer_end);
        if r.fra <= til {
            employer.extend(YearMonth::range(r.fra, til));
        }
    }
    let mut out = BTreeSet::new();
    for a in agreements
        .iter()
        .filter(|a| a.institution == institution && a.opplysningspliktig == opplysningspliktig)
    {
        let fra = a.fra.max(EARLIEST_AVTALEFORHOLD);
        let til = a.til.unwrap_or(current).min(current);
        if fra <= til {
            out.extend(YearMonth::range(fra, til).filter(|m| employer.contains(m)));
        }
    }
    out
}

/// The virkningsperiode of an avtaleforhold.
pub fn virkningsperiode(avtaleforhold: &BTreeSet<YearMonth>) -> BTreeSet<YearMonth> {
    let mut out = BTreeSet::new();
    for m in avtaleforhold {
        let fra = m.plus(-15).max(EARLIEST_VIRKNING);
        out.extend(YearMonth::range(fra, m.plus(1)));
    }
    out
}

/// The months of `fra..=til` that are not in `allowed`.
pub fn missing(allowed: &BTreeSet<YearMonth>, fra: YearMonth, til: YearMonth) -> Vec<YearMonth> {
    if fra > til {
        return Vec::new();
    }
    YearMonth::range(fra, til)
        .filter(|m| !allowed.contains(m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn windows() {
        let reports = vec![EmployerReport {
            opplysningspliktig: "310000108".into(),
            institution: "987654309".into(),
            fra: ym("2021-01"),
            til: None,
        }];
        let agreements = vec![Agreement {
            institution: "987654309".into(),
            opplysningspliktig: "310000108".into(),
            avtalereferanse: "R".into(),
            fra: ym("2020-06"),
            til: None,
        }];
        let a = avtaleforhold(
            &agreements,
            &reports,
            "987654309",
            "310000108",
            ym("2026-11"),
            ym("2026-11"),
        );
        assert_eq!(a.first(), Some(&ym("2021-01")));
        assert_eq!(a.last(), Some(&ym("2026-11")));
        let v = virkningsperiode(&a);
        assert_eq!(v.first(), Some(&ym("2020-01")));
        assert_eq!(v.last(), Some(&ym("2026-12")));
        assert!(!v.contains(&ym("2019-12")));
        // The employer's side ends at the last reported month.
        let last = avtaleforhold(
            &agreements,
            &reports,
            "987654309",
            "310000108",
            ym("2026-11"),
            ym("2026-10"),
        );
        assert_eq!(last.last(), Some(&ym("2026-10")));
        assert_eq!(
            missing(&a, ym("2020-11"), ym("2021-01")),
            vec![ym("2020-11"), ym("2020-12")]
        );
        assert!(avtaleforhold(
            &agreements,
            &reports,
            "987654309",
            "310000205",
            ym("2026-11"),
            ym("2026-10")
        )
        .is_empty());
    }
}
