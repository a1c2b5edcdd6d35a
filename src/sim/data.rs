//! The simulator's default synthetic data set (the table in the project brief), built for `today`.
//!
//! Everything is computed from `today`: `M` = `YearMonth::recent_complete(today)`, `R` = the last month with
//! a-melding data (the month before today's month), `current` = today's month.

use crate::months::YearMonth;
use chrono::NaiveDate;

/// The institution (TD-PI-01), the Maskinporten consumer.
pub const INSTITUTION_ORGNR: &str = "987654309";
pub const INSTITUTION_NAME: &str = "Eksempel Pensjon AS";
/// The optional vendor (TD-LEV-01).
pub const VENDOR_ORGNR: &str = "912345602";
/// The institution's Maskinporten client id in the simulator.
pub const INSTITUTION_CLIENT_ID: &str = "5d6f0c1e-3b2a-4c8d-9e7f-00000000c001";
/// ORG-A (TD-ORG-01).
pub const ORG_A: &str = "310000108";
/// ORG-A's underenhet (virksomhetId / arbeidssted).
pub const ORG_A_VIRKSOMHET: &str = "310000418";
/// ORG-B (TD-ORG-02).
pub const ORG_B: &str = "310000205";
/// ORG-X (TD-ORG-03): no agreement.
pub const ORG_X: &str = "310000302";
pub const REF_A: &str = "OTP-SIM-0001";
pub const REF_TMP: &str = "OTP-SIM-TMP-0002";
/// The other payer of P-INC's `sykepenger` (NAV's organisation number).
pub const NAV_ORGNR: &str = "889640782";

pub const P_INC: &str = "12838510068";
pub const P_NOINC: &str = "04879010069";
pub const P_SKJ: &str = "23917810060";
pub const P_PERM: &str = "01828810010";
pub const P_END: &str = "17899210069";
pub const P_06: &str = "08858010188";
pub const P_07: &str = "30819510160";

/// An opplysningspliktig (employer).
#[derive(Clone, Debug)]
pub struct Org {
    pub orgnr: String,
    pub navn: String,
    /// The underenhet used as `virksomhetId` / `arbeidssted`.
    pub virksomhet: String,
}

/// The employer's side of an agreement: its a-meldinger name the institution in these months.
#[derive(Clone, Debug)]
pub struct EmployerReport {
    pub opplysningspliktig: String,
    pub institution: String,
    pub fra: YearMonth,
    /// `None` = still naming it (up to the current month).
    pub til: Option<YearMonth>,
}

/// The institution's side: an agreement registered through Tjenestepensjonsavtale.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Agreement {
    pub institution: String,
    pub opplysningspliktig: String,
    pub avtalereferanse: String,
    pub fra: YearMonth,
    pub til: Option<YearMonth>,
}

#[derive(Clone, Debug)]
pub struct Permisjon {
    pub id: String,
    pub kode: &'static str,
    pub beskrivelse: &'static str,
    pub startdato: NaiveDate,
    pub sluttdato: Option<NaiveDate>,
    pub prosent: f64,
}

/// One `ansettelsesdetaljer` element.
#[derive(Clone, Debug)]
pub struct Detaljer {
    pub fra: YearMonth,
    pub til: Option<YearMonth>,
    pub stillingsprosent: f64,
    pub timer_pr_uke: f64,
    pub yrke_kode: &'static str,
    pub yrke_beskrivelse: &'static str,
    pub ansettelsesform: &'static str,
}

/// The person's arbeidsforhold in Aa-registeret.
#[derive(Clone, Debug)]
pub struct Employment {
    pub id: String,
    pub uuid: String,
    pub startdato: NaiveDate,
    pub sluttdato: Option<NaiveDate>,
    pub sluttaarsak: Option<(&'static str, &'static str)>,
    pub detaljer: Vec<Detaljer>,
    pub permisjoner: Vec<Permisjon>,
    pub opprettet: String,
    pub sist_bekreftet: String,
    pub sist_endret: String,
}

/// One income item of one month.
#[derive(Clone, Debug, PartialEq)]
pub struct IncomeItem {
    /// The payer (opplysningspliktig) and its virksomhet.
    pub payer: String,
    pub virksomhet: String,
    /// `loennsinntekt` or `ytelseFraOffentlige`.
    pub kind: &'static str,
    pub beskrivelse: &'static str,
    pub beloep: f64,
    pub antall: Option<f64>,
    pub utloeser_aga: bool,
}

#[derive(Clone, Debug)]
pub struct Person {
    pub id: String,
    pub ref_: &'static str,
    pub employer: String,
    pub tags: Vec<&'static str>,
    pub shielded: bool,
    /// Months the employer reported the person in its a-meldinger (inclusive).
    pub reported: (YearMonth, YearMonth),
    /// Months with income from the employer (inclusive); `None` = never any income.
    pub income: Option<(YearMonth, YearMonth)>,
    /// Base monthly fixed salary.
    pub fastloenn: f64,
    /// Gets `timeloenn` in months whose number is divisible by 3.
    pub timeloenn: bool,
    /// Gets `sykepenger` from NAV in some months.
    pub sykepenger: bool,
    pub employment: Employment,
}

/// The whole data set.
#[derive(Clone, Debug)]
pub struct DataSet {
    pub today: NaiveDate,
    /// `M`: the most recent complete month.
    pub m: YearMonth,
    /// The last month with a-melding data.
    pub last_reported: YearMonth,
    pub institution: String,
    pub orgs: Vec<Org>,
    pub persons: Vec<Person>,
    pub employer_reports: Vec<EmployerReport>,
    /// Agreements registered at start (Skatteetaten set up REF-A for the test data set).
    pub initial_agreements: Vec<Agreement>,
}

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth { year: y, month: m }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn uuid_for(n: u32) -> String {
    format!("5e1d0000-0000-4000-8000-{n:012}")
}

fn ordinary(fra: YearMonth, pct: f64, yrke: (&'static str, &'static str)) -> Detaljer {
    Detaljer {
        fra,
        til: None,
        stillingsprosent: pct,
        timer_pr_uke: 37.5 * pct / 100.0,
        yrke_kode: yrke.0,
        yrke_beskrivelse: yrke.1,
        ansettelsesform: "fast",
    }
}

const SNEKKER: (&str, &str) = ("7115101", "SNEKKER");
const SELGER: (&str, &str) = ("5223102", "BUTIKKSELGER");
const KONSULENT: (&str, &str) = ("3313101", "REGNSKAPSKONSULENT");

impl DataSet {
    /// The default data set for `today`.
    pub fn default_for(today: NaiveDate) -> DataSet {
        let m = YearMonth::recent_complete(today);
        let current = YearMonth::of(today);
        let r = current.plus(-1);
        let y2020 = ym(2020, 1);
        let stamp = |d: NaiveDate, t: &str| format!("{d}T{t}");
        let employment = |n: u32, start: NaiveDate, slutt: Option<NaiveDate>| Employment {
            id: format!("AF-{n:04}"),
            uuid: uuid_for(n),
            startdato: start,
            sluttdato: slutt,
            sluttaarsak: None,
            detaljer: Vec::new(),
            permisjoner: Vec::new(),
            opprettet: stamp(start.succ_opt().unwrap_or(start), "09:14:02.118"),
            sist_bekreftet: stamp(r.plus(1).first_day().with_day_5(), "21:40"),
            sist_endret: stamp(r.plus(1).first_day().with_day_5(), "21:40:13"),
        };

        let mut p01 = employment(1, date(2019, 3, 1), None);
        p01.detaljer = vec![
            Detaljer {
                til: Some(ym(2023, 12)),
                ..ordinary(ym(2019, 3), 80.0, SNEKKER)
            },
            ordinary(ym(2024, 1), 100.0, SNEKKER),
        ];
        let mut p02 = employment(2, date(2020, 1, 1), None);
        p02.detaljer = vec![Detaljer {
            ansettelsesform: "midlertidig",
            ..ordinary(y2020, 20.0, SNEKKER)
        }];
        let mut p03 = employment(3, date(2019, 9, 1), None);
        p03.detaljer = vec![ordinary(ym(2019, 9), 100.0, KONSULENT)];
        let mut p04 = employment(4, date(2018, 6, 1), None);
        p04.detaljer = vec![ordinary(ym(2018, 6), 100.0, SNEKKER)];
        p04.permisjoner = vec![
            Permisjon {
                id: "P1".into(),
                kode: "andreLovfestedePermisjoner",
                beskrivelse: "Andre lovfestede permisjoner",
                startdato: m.plus(-2).first_day(),
                sluttdato: Some(m.plus(1).last_day()),
                prosent: 50.0,
            },
            Permisjon {
                id: "P2".into(),
                kode: "permisjonMedForeldrepenger",
                beskrivelse: "Permisjon med foreldrepenger",
                startdato: m.first_day(),
                sluttdato: Some(m.plus(2).last_day()),
                prosent: 50.0,
            },
        ];
        let end5 = m.plus(-1);
        let mut p05 = employment(5, date(2018, 8, 1), Some(end5.last_day()));
        p05.sluttaarsak = Some((
            "arbeidstakerHarSagtOppSelv",
            "Arbeidstaker har sagt opp selv",
        ));
        p05.detaljer = vec![Detaljer {
            til: Some(end5),
            ..ordinary(ym(2018, 8), 100.0, SELGER)
        }];
        let end6 = m.plus(-8);
        let mut p06 = employment(6, date(2022, 2, 1), Some(end6.last_day()));
        p06.sluttaarsak = Some((
            "kontraktEngasjementEllerVikariatErUtloept",
            "Kontrakt, engasjement eller vikariat er utløpt",
        ));
        p06.detaljer = vec![Detaljer {
            til: Some(end6),
            ansettelsesform: "midlertidig",
            ..ordinary(ym(2022, 2), 60.0, SELGER)
        }];
        let mut p07 = employment(7, date(2023, 1, 1), None);
        p07.detaljer = vec![ordinary(ym(2023, 1), 100.0, SELGER)];

        let person =
            |id: &str, ref_, employer: &str, tags: Vec<&'static str>, e: Employment| Person {
                id: id.to_string(),
                ref_,
                employer: employer.to_string(),
                tags,
                shielded: false,
                reported: (y2020, r),
                income: Some((y2020, r)),
                fastloenn: 45_000.0,
                timeloenn: false,
                sykepenger: false,
                employment: e,
            };
        let persons = vec![
            Person {
                timeloenn: true,
                sykepenger: true,
                fastloenn: 48_500.0,
                ..person(P_INC, "TD-P-01", ORG_A, vec!["har_inntekt"], p01)
            },
            Person {
                income: None,
                ..person(P_NOINC, "TD-P-02", ORG_A, vec!["ingen_inntekt_IM010"], p02)
            },
            Person {
                shielded: true,
                fastloenn: 52_000.0,
                ..person(
                    P_SKJ,
                    "TD-P-03",
                    ORG_A,
                    vec!["skjermet_strengt_fortrolig"],
                    p03,
                )
            },
            Person {
                fastloenn: 51_250.0,
                ..person(
                    P_PERM,
                    "TD-P-04",
                    ORG_A,
                    vec!["flere_permisjoner", "har_inntekt"],
                    p04,
                )
            },
            Person {
                reported: (y2020, end5),
                income: Some((y2020, end5)),
                fastloenn: 39_900.0,
                ..person(
                    P_END,
                    "TD-P-05",
                    ORG_A,
                    vec![
                        "avsluttet_arbeidsforhold",
                        "sluttaarsak:arbeidstakerHarSagtOppSelv",
                        "har_inntekt",
                    ],
                    p05,
                )
            },
            Person {
                reported: (ym(2022, 2), end6),
                income: Some((ym(2022, 2), end6)),
                fastloenn: 31_000.0,
                ..person(
                    P_06,
                    "TD-P-06",
                    ORG_A,
                    vec![
                        "avsluttet_arbeidsforhold",
                        "sluttaarsak:kontraktEngasjementEllerVikariatErUtloept",
                        "har_inntekt",
                    ],
                    p06,
                )
            },
            Person {
                reported: (ym(2023, 1), r),
                income: Some((ym(2023, 1), r)),
                fastloenn: 42_000.0,
                ..person(P_07, "TD-P-07", ORG_B, vec!["har_inntekt"], p07)
            },
        ];

        DataSet {
            today,
            m,
            last_reported: r,
            institution: INSTITUTION_ORGNR.to_string(),
            orgs: vec![
                Org {
                    orgnr: ORG_A.into(),
                    navn: "Fjordsyn Bygg AS".into(),
                    virksomhet: ORG_A_VIRKSOMHET.into(),
                },
                Org {
                    orgnr: ORG_B.into(),
                    navn: "Nordlys Handel AS".into(),
                    virksomhet: "310000515".into(),
                },
                Org {
                    orgnr: ORG_X.into(),
                    navn: "Vestkant Service AS".into(),
                    virksomhet: "310000612".into(),
                },
            ],
            persons,
            employer_reports: vec![
                EmployerReport {
                    opplysningspliktig: ORG_A.into(),
                    institution: INSTITUTION_ORGNR.into(),
                    fra: ym(2021, 1),
                    til: None,
                },
                EmployerReport {
                    opplysningspliktig: ORG_B.into(),
                    institution: INSTITUTION_ORGNR.into(),
                    fra: ym(2023, 1),
                    til: None,
                },
            ],
            initial_agreements: vec![Agreement {
                institution: INSTITUTION_ORGNR.into(),
                opplysningspliktig: ORG_A.into(),
                avtalereferanse: REF_A.into(),
                fra: ym(2021, 1),
                til: None,
            }],
        }
    }

    pub fn current_month(&self) -> YearMonth {
        YearMonth::of(self.today)
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.persons.iter().find(|p| p.id == id)
    }

    pub fn org(&self, orgnr: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.orgnr == orgnr)
    }

    pub fn virksomhet_of(&self, orgnr: &str) -> String {
        self.org(orgnr)
            .map(|o| o.virksomhet.clone())
            .unwrap_or_else(|| orgnr.to_string())
    }

    /// The income items of `person` in `month`, from its employer and (X* kinds) from other payers.
    pub fn income(&self, person: &Person, month: YearMonth) -> Vec<IncomeItem> {
        let mut out = Vec::new();
        let Some((fra, til)) = person.income else {
            return out;
        };
        if month < fra || month > til {
            return out;
        }
        let virksomhet = self.virksomhet_of(&person.employer);
        let item = |beskrivelse, beloep, antall| IncomeItem {
            payer: person.employer.clone(),
            virksomhet: virksomhet.clone(),
            kind: "loennsinntekt",
            beskrivelse,
            beloep,
            antall,
            utloeser_aga: true,
        };
        out.push(item("fastloenn", person.fastloenn, None));
        if person.timeloenn && month.month % 3 == 0 {
            out.push(item("timeloenn", 3_125.0, Some(12.5)));
        }
        if month.month == 6 {
            out.push(item("feriepenger", (person.fastloenn * 1.2).round(), None));
        }
        if person.sykepenger && sick_month(month) {
            out.push(IncomeItem {
                payer: NAV_ORGNR.into(),
                virksomhet: NAV_ORGNR.into(),
                kind: "ytelseFraOffentlige",
                beskrivelse: "sykepenger",
                beloep: 8_400.0,
                antall: None,
                utloeser_aga: false,
            });
        }
        out
    }

    /// Whether the employer reported the person in `month` (with or without income).
    pub fn reported_in(&self, person: &Person, month: YearMonth) -> bool {
        month >= person.reported.0 && month <= person.reported.1
    }
}

/// The months in which P-INC has `sykepenger` from NAV (also at the harness side: every 5th month).
pub fn sick_month(month: YearMonth) -> bool {
    (month.year as i64 * 12 + month.month as i64) % 5 == 0
}

trait Day5 {
    fn with_day_5(self) -> NaiveDate;
}

impl Day5 for NaiveDate {
    fn with_day_5(self) -> NaiveDate {
        self.checked_add_days(chrono::Days::new(4)).unwrap_or(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{is_valid_orgnr, is_valid_person_id};

    #[test]
    fn ids_are_valid() {
        let d = DataSet::default_for(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        for p in &d.persons {
            assert!(is_valid_person_id(&p.id), "{}", p.id);
        }
        for o in &d.orgs {
            assert!(is_valid_orgnr(&o.orgnr), "{}", o.orgnr);
            assert!(is_valid_orgnr(&o.virksomhet), "{}", o.virksomhet);
        }
        assert!(is_valid_orgnr(INSTITUTION_ORGNR) && is_valid_orgnr(VENDOR_ORGNR));
        assert_eq!(d.m.to_string(), "2026-10");
        let pend = d.person(P_END).unwrap();
        assert_eq!(pend.employment.sluttdato.unwrap().to_string(), "2026-09-30");
    }
}
