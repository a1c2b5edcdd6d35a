//! The simulator's switches: every behaviour the agencies' documentation leaves open, by name, with its
//! default and the alternatives a run can be checked against (`docs/simulator.md` §15).
//!
//! A switch is set with `name=value` from `SimConfig::set_switch`, `dsop-harness simulate --switch name=value`,
//! or as an item of a `--faults` spec (`run --faults nav_window=avtaleforhold`).

use std::collections::BTreeMap;

/// One switch: its name, default, documented alternatives and what it decides.
#[derive(Clone, Copy, Debug)]
pub struct SwitchDef {
    pub name: &'static str,
    pub default: &'static str,
    /// The alternatives the robustness matrix runs (a numeric switch takes any number; these are the ones tried).
    pub alternatives: &'static [&'static str],
    /// Whether any non-negative whole number is a value (seconds, milliseconds, a count).
    pub numeric: bool,
    pub what: &'static str,
}

/// Every switch, in the order of `docs/simulator.md` §15.
pub const SWITCHES: &[SwitchDef] = &[
    SwitchDef {
        name: "expiry_tolerance_skatteetaten",
        default: "60",
        alternatives: &["0"],
        numeric: true,
        what: "seconds past `exp` a Skatteetaten API still accepts a token",
    },
    SwitchDef {
        name: "expiry_tolerance_nav",
        default: "60",
        alternatives: &["0"],
        numeric: true,
        what: "seconds past `exp` Aa-registeret OTP still accepts a token",
    },
    SwitchDef {
        name: "token_lifetime",
        default: "120",
        alternatives: &["60", "3600"],
        numeric: true,
        what: "access-token lifetime (`expires_in`), seconds",
    },
    SwitchDef {
        name: "latency_ms",
        default: "0",
        alternatives: &["50"],
        numeric: true,
        what: "extra delay of every API answer, milliseconds",
    },
    SwitchDef {
        name: "outside_agreement",
        default: "403:IM-005",
        alternatives: &["403:DAS-008"],
        numeric: false,
        what: "Inntekt / Inntektsmottakere: months outside the virkningsperiode / avtaleforhold, or no agreement",
    },
    SwitchDef {
        name: "before_floor",
        default: "outside_virkningsperiode",
        alternatives: &["400:IM-006"],
        numeric: false,
        what: "Inntekt: a month before 2020-01 (the documented floor): refused like any month outside the virkningsperiode, or 400 IM-006",
    },
    SwitchDef {
        name: "empty_list",
        default: "404:IM-007",
        alternatives: &["200"],
        numeric: false,
        what: "Inntektsmottakere: nobody reported in the queried months (404 IM-007, or 200 with an empty list)",
    },
    SwitchDef {
        name: "second_delete",
        default: "404:OTP-007",
        alternatives: &["200"],
        numeric: false,
        what: "Tjenestepensjonsavtale: DELETE of an agreement that is not registered (404 OTP-007, or 200 as if done)",
    },
    SwitchDef {
        name: "wrong_package",
        default: "403:OTP-005",
        alternatives: &["403:DAS-008"],
        numeric: false,
        what: "Tjenestepensjonsavtale: `otp` calling a `nav`-only endpoint, or another package on an `otp` endpoint",
    },
    SwitchDef {
        name: "shielded_inntekt",
        default: "element",
        alternatives: &["top_level"],
        numeric: false,
        what: "Inntekt for a shielded person: elements with `skjermet: true`, or only a top-level `skjermet: true`",
    },
    SwitchDef {
        name: "shielded_list",
        default: "omitted",
        alternatives: &["flagged"],
        numeric: false,
        what: "Inntektsmottakere with a shielded person: left out, or left out and the answer marked `skjermet: true`",
    },
    SwitchDef {
        name: "employer_side",
        default: "last_reported",
        alternatives: &["current_month"],
        numeric: false,
        what: "where the employer's side of an open avtaleforhold ends: the last reported month, or the current month",
    },
    SwitchDef {
        name: "nav_window",
        default: "virkningsperiode",
        alternatives: &["avtaleforhold"],
        numeric: false,
        what: "Aa-registeret OTP: the months the queried window is checked against (AA-101)",
    },
    SwitchDef {
        name: "nav_missing_scope",
        default: "403",
        alternatives: &["401"],
        numeric: false,
        what: "Aa-registeret OTP: a valid token without the scope",
    },
    SwitchDef {
        name: "aareg_error_data",
        default: "null",
        alternatives: &["removed"],
        numeric: false,
        what: "Aa-registeret OTP error answers: `data: {query: null}`, or no `data` member",
    },
    SwitchDef {
        name: "no_income_code",
        default: "404:IM-008",
        alternatives: &["403:IM-010"],
        numeric: false,
        what: "Inntekt: a listed person without income",
    },
    SwitchDef {
        name: "maskinporten_codes",
        default: "present",
        alternatives: &["absent"],
        numeric: false,
        what: "Maskinporten `forbidden` refusals: the description starts with its MP code, or carries none",
    },
    SwitchDef {
        name: "page_size",
        default: "1000",
        alternatives: &["2"],
        numeric: true,
        what: "Inntektsmottakere: persons per page (`sidenummer`, 1-based, default 1)",
    },
];

/// The definition of switch `name`.
pub fn def(name: &str) -> Option<&'static SwitchDef> {
    SWITCHES.iter().find(|d| d.name == name)
}

/// The switches' current values (every switch has one: its default until set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switches {
    values: BTreeMap<&'static str, String>,
}

impl Default for Switches {
    fn default() -> Switches {
        Switches {
            values: SWITCHES
                .iter()
                .map(|d| (d.name, d.default.to_string()))
                .collect(),
        }
    }
}

impl Switches {
    /// Set `name` to `value`; an unknown name or value is an error naming what is allowed.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let name = name.trim();
        let value = value.trim();
        let d = def(name).ok_or_else(|| {
            format!(
                "unknown simulator switch {name:?}; use one of {}",
                SWITCHES
                    .iter()
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let ok = if d.numeric {
            value.parse::<u64>().is_ok()
        } else {
            value == d.default || d.alternatives.contains(&value)
        };
        if !ok {
            return Err(if d.numeric {
                format!(
                    "simulator switch {name}={value}: write a whole number, e.g. {name}={}",
                    d.default
                )
            } else {
                format!(
                    "simulator switch {name}={value}: use {} (default) or {}",
                    d.default,
                    d.alternatives.join(", ")
                )
            });
        }
        self.values.insert(d.name, value.to_string());
        Ok(())
    }

    /// Set from `name=value`.
    pub fn set_item(&mut self, item: &str) -> Result<(), String> {
        let (n, v) = item.split_once('=').ok_or_else(|| {
            format!("simulator switch {item:?} is not name=value (e.g. nav_window=avtaleforhold)")
        })?;
        self.set(n, v)
    }

    /// The value of `name` (its default when never set; "" for an unknown name).
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether `name` has the value `value`.
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name) == value
    }

    /// A numeric switch's value.
    pub fn number(&self, name: &str) -> u64 {
        self.get(name)
            .parse()
            .ok()
            .or_else(|| def(name).and_then(|d| d.default.parse().ok()))
            .unwrap_or(0)
    }

    /// A `status:CODE` switch's value as (status, code); a bare status gives no code.
    pub fn refusal(&self, name: &str) -> (u16, Option<&str>) {
        let v = self.get(name);
        match v.split_once(':') {
            Some((s, c)) => (s.parse().unwrap_or(500), Some(c)),
            None => (v.parse().unwrap_or(200), None),
        }
    }

    /// The switches that differ from their default, as `name=value` (for the log and the banner).
    pub fn changed(&self) -> Vec<String> {
        SWITCHES
            .iter()
            .filter(|d| self.get(d.name) != d.default)
            .map(|d| format!("{}={}", d.name, self.get(d.name)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_alternatives_are_valid_values() {
        let mut s = Switches::default();
        for d in SWITCHES {
            assert_eq!(s.get(d.name), d.default);
            for a in d.alternatives {
                s.set(d.name, a).unwrap();
                assert_ne!(
                    *a, d.default,
                    "{}: an alternative equal to the default",
                    d.name
                );
            }
            s.set(d.name, d.default).unwrap();
        }
        assert!(s.set("nav_window", "bogus").is_err());
        assert!(s.set("bogus", "1").is_err());
        assert!(s.set("latency", "fast").is_err());
        s.set_item("before_floor=400:IM-006").unwrap();
        assert_eq!(s.refusal("before_floor"), (400, Some("IM-006")));
        assert_eq!(s.changed(), vec!["before_floor=400:IM-006".to_string()]);
        assert_eq!(s.number("token_lifetime"), 120);
    }
}
