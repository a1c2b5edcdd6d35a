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
    pub kode: String,
    pub beskrivelse: String,
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
    pub yrke_kode: String,
    pub yrke_beskrivelse: String,
    /// `fast` or `midlertidig`.
    pub ansettelsesform: String,
}

/// The person's arbeidsforhold in Aa-registeret.
#[derive(Clone, Debug)]
pub struct Employment {
    pub id: String,
    pub uuid: String,
    pub startdato: NaiveDate,
    pub sluttdato: Option<NaiveDate>,
    /// (kode, beskrivelse)
    pub sluttaarsak: Option<(String, String)>,
    /// Arbeidsforhold type (`ordinaertArbeidsforhold`, `maritimtArbeidsforhold`,
    /// `frilanserOppdragstakerHonorarPersonerMm`, `forenkletOppgjoersordning`); decides the concrete
    /// `Ansettelsesdetaljer` type.
    pub kind: String,
    pub detaljer: Vec<Detaljer>,
    pub permisjoner: Vec<Permisjon>,
    /// Same shape as permisjoner (`permittering`).
    pub permitteringer: Vec<Permisjon>,
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
    pub ref_: String,
    pub employer: String,
    pub tags: Vec<String>,
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

/// Two overlapping 50 % permisjoner covering month `m` (P-PERM, tag `flere_permisjoner`).
fn two_permisjoner(m: YearMonth) -> Vec<Permisjon> {
    vec![
        Permisjon {
            id: "P1".into(),
            kode: "andreLovfestedePermisjoner".into(),
            beskrivelse: "Andre lovfestede permisjoner".into(),
            startdato: m.plus(-2).first_day(),
            sluttdato: Some(m.plus(1).last_day()),
            prosent: 50.0,
        },
        Permisjon {
            id: "P2".into(),
            kode: "permisjonMedForeldrepenger".into(),
            beskrivelse: "Permisjon med foreldrepenger".into(),
            startdato: m.first_day(),
            sluttdato: Some(m.plus(2).last_day()),
            prosent: 50.0,
        },
    ]
}

fn ordinary(fra: YearMonth, pct: f64, yrke: (&'static str, &'static str)) -> Detaljer {
    Detaljer {
        fra,
        til: None,
        stillingsprosent: pct,
        timer_pr_uke: 37.5 * pct / 100.0,
        yrke_kode: yrke.0.into(),
        yrke_beskrivelse: yrke.1.into(),
        ansettelsesform: "fast".into(),
    }
}

pub const ORDINAERT: &str = "ordinaertArbeidsforhold";
pub const MARITIMT: &str = "maritimtArbeidsforhold";
pub const FRILANSER: &str = "frilanserOppdragstakerHonorarPersonerMm";
pub const FORENKLET: &str = "forenkletOppgjoersordning";

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
            kind: ORDINAERT.into(),
            detaljer: Vec::new(),
            permisjoner: Vec::new(),
            permitteringer: Vec::new(),
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
            ansettelsesform: "midlertidig".into(),
            ..ordinary(y2020, 20.0, SNEKKER)
        }];
        let mut p03 = employment(3, date(2019, 9, 1), None);
        p03.detaljer = vec![ordinary(ym(2019, 9), 100.0, KONSULENT)];
        let mut p04 = employment(4, date(2018, 6, 1), None);
        p04.detaljer = vec![ordinary(ym(2018, 6), 100.0, SNEKKER)];
        p04.permisjoner = two_permisjoner(m);
        let end5 = m.plus(-1);
        let mut p05 = employment(5, date(2018, 8, 1), Some(end5.last_day()));
        p05.sluttaarsak = Some((
            "arbeidstakerHarSagtOppSelv".into(),
            "Arbeidstaker har sagt opp selv".into(),
        ));
        p05.detaljer = vec![Detaljer {
            til: Some(end5),
            ..ordinary(ym(2018, 8), 100.0, SELGER)
        }];
        let end6 = m.plus(-8);
        let mut p06 = employment(6, date(2022, 2, 1), Some(end6.last_day()));
        p06.sluttaarsak = Some((
            "kontraktEngasjementEllerVikariatErUtloept".into(),
            "Kontrakt, engasjement eller vikariat er utløpt".into(),
        ));
        p06.detaljer = vec![Detaljer {
            til: Some(end6),
            ansettelsesform: "midlertidig".into(),
            ..ordinary(ym(2022, 2), 60.0, SELGER)
        }];
        let mut p07 = employment(7, date(2023, 1, 1), None);
        p07.detaljer = vec![ordinary(ym(2023, 1), 100.0, SELGER)];

        let person =
            |id: &str, ref_: &str, employer: &str, tags: Vec<&str>, e: Employment| Person {
                id: id.to_string(),
                ref_: ref_.to_string(),
                employer: employer.to_string(),
                tags: tags.into_iter().map(str::to_string).collect(),
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

    /// A data set generated from a workbook's Testdata rows (`run --env sim` with the user's own workbook).
    ///
    /// - `Pensjonsinnretning` → the institution.
    /// - `Opplysningspliktig` → an employer; `underenhet:<orgnr>` names its underenhet (else one is derived).
    ///   With an `Avtalereferanse` (and `Avtale fra`, default 2021-01, `Avtale til`) its a-meldinger name the
    ///   institution in those months; the agreement is pre-registered unless the row has `ikke_registrert`
    ///   (or `ingen_avtale`, which also means the employer names nobody).
    /// - `Inntektsmottaker` → a person at the employer of `Opplysningspliktig-ref`, generated from its tags
    ///   ([`PersonSpec::from_tags`]).
    ///
    /// Rows equal to the built-in data set (same id, employer and tags) keep the built-in details, so the bundled
    /// workbook gives exactly [`DataSet::default_for`].
    pub fn from_testdata(rows: &[crate::workbook::TestData], today: NaiveDate) -> DataSet {
        let builtin = DataSet::default_for(today);
        let norm = |s: &str| crate::workbook::normalise(s);
        let mut d = DataSet {
            orgs: Vec::new(),
            persons: Vec::new(),
            employer_reports: Vec::new(),
            initial_agreements: Vec::new(),
            ..builtin.clone()
        };
        if let Some(pi) = rows.iter().find(|r| norm(&r.kind) == "pensjonsinnretning") {
            d.institution = pi.identifikator.trim().to_string();
        }
        let mut refs: Vec<(String, String)> = Vec::new();
        for r in rows
            .iter()
            .filter(|r| norm(&r.kind) == "opplysningspliktig")
        {
            let orgnr = r.identifikator.trim().to_string();
            refs.push((r.r#ref.clone(), orgnr.clone()));
            let tagged = r
                .egenskaper
                .iter()
                .find_map(|t| t.strip_prefix("underenhet:"))
                .map(|u| u.trim().to_string());
            let virksomhet = tagged
                .or_else(|| builtin.org(&orgnr).map(|o| o.virksomhet.clone()))
                .unwrap_or_else(|| derive_underenhet(&orgnr));
            d.orgs.push(Org {
                orgnr: orgnr.clone(),
                navn: r.navn.clone(),
                virksomhet,
            });
            let has = |t: &str| r.egenskaper.iter().any(|x| x == t);
            if has("ingen_avtale") {
                continue;
            }
            if let Some(reference) = r.avtalereferanse.as_ref().filter(|a| !a.trim().is_empty()) {
                let fra = r.avtale_fra.unwrap_or(ym(2021, 1));
                d.employer_reports.push(EmployerReport {
                    opplysningspliktig: orgnr.clone(),
                    institution: d.institution.clone(),
                    fra,
                    til: r.avtale_til,
                });
                if !has("ikke_registrert") {
                    d.initial_agreements.push(Agreement {
                        institution: d.institution.clone(),
                        opplysningspliktig: orgnr.clone(),
                        avtalereferanse: reference.trim().to_string(),
                        fra,
                        til: r.avtale_til,
                    });
                }
            }
        }
        let mut n = 100;
        for r in rows.iter().filter(|r| norm(&r.kind) == "inntektsmottaker") {
            let id = r.identifikator.trim().to_string();
            let employer = r
                .opplysningspliktig_ref
                .as_ref()
                .and_then(|er| refs.iter().find(|(rf, _)| rf == er))
                .map(|(_, o)| o.clone())
                .or_else(|| d.orgs.first().map(|o| o.orgnr.clone()))
                .unwrap_or_default();
            n += 1;
            let same = builtin
                .person(&id)
                .filter(|p| p.employer == employer && p.tags == r.egenskaper);
            let person = match same {
                Some(p) => p.clone(),
                None => PersonSpec::from_tags(&id, &r.r#ref, &employer, &r.egenskaper).build(&d, n),
            };
            d.persons.push(person);
        }
        d
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

/// A valid organisation number for an employer's underenhet: the employer's first six digits, then 41, 42, …
/// plus the check digit (the built-in employers use the same scheme with 41/51/61).
pub fn derive_underenhet(orgnr: &str) -> String {
    let head: String = orgnr.chars().take(6).collect();
    for k in 41..100 {
        for c in 0..10 {
            let cand = format!("{head}{k}{c}");
            if cand != orgnr && crate::ids::is_valid_orgnr(&cand) {
                return cand;
            }
        }
    }
    orgnr.to_string()
}

/// How to generate one person, from the data file or from Testdata tags.
///
/// Tags: `har_inntekt` (income every reported month; the default), `ingen_inntekt_IM010` (reported, never any
/// income), `skjermet_fortrolig` / `skjermet_strengt_fortrolig` (shielded), `flere_permisjoner` (two overlapping
/// 50 % permisjoner covering M), `permittert` (a 100 % permittering M−1 … M+1), `avsluttet_arbeidsforhold`
/// (sluttdato = last day of M−1, reported and paid until then), `sluttaarsak:<kode>`, `frilanser` (arbeidsforhold
/// type `frilanserOppdragstakerHonorarPersonerMm`), `maritim` (`maritimtArbeidsforhold`), `dnr` (informative: the
/// id is a d-number).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonSpec {
    pub id: String,
    #[serde(default, rename = "ref")]
    pub ref_: Option<String>,
    pub employer: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// First month the employer reported the person (default 2020-01, or the start month if later).
    pub reported_from: Option<YearMonth>,
    /// Last reported month (default: the month before today's, or the month of `sluttdato`).
    pub reported_to: Option<YearMonth>,
    /// Monthly fixed salary (default 45 000).
    pub fastloenn: Option<f64>,
    /// `timeloenn` 3 125 (12.5 hours) in March, June, September, December.
    #[serde(default)]
    pub timeloenn: bool,
    /// `sykepenger` 8 400 from NAV in every fifth month.
    #[serde(default)]
    pub sykepenger: bool,
    /// Arbeidsforhold start (default 2019-01-01).
    pub startdato: Option<NaiveDate>,
    /// Arbeidsforhold end (default: none; last day of M−1 with `avsluttet_arbeidsforhold`).
    pub sluttdato: Option<NaiveDate>,
    /// Default 100.
    pub stillingsprosent: Option<f64>,
}

fn sluttaarsak_text(kode: &str) -> String {
    match kode {
        "arbeidstakerHarSagtOppSelv" => "Arbeidstaker har sagt opp selv",
        "kontraktEngasjementEllerVikariatErUtloept" => {
            "Kontrakt, engasjement eller vikariat er utløpt"
        }
        "arbeidsgiverHarSagtOppArbeidstaker" => "Arbeidsgiver har sagt opp arbeidstaker",
        "arbeidstakerHarOppnaaddAldersgrense" => "Arbeidstaker har oppnådd aldersgrense",
        "arbeidsforholdetVarFeilaktigRegistrert" => "Arbeidsforholdet var feilaktig registrert",
        "dodsfall" => "Dødsfall",
        _ => kode,
    }
    .to_string()
}

impl PersonSpec {
    /// A spec from a Testdata row's tags (everything else defaulted).
    pub fn from_tags(id: &str, ref_: &str, employer: &str, tags: &[String]) -> PersonSpec {
        PersonSpec {
            id: id.into(),
            ref_: Some(ref_.into()),
            employer: employer.into(),
            tags: tags.to_vec(),
            ..PersonSpec::default()
        }
    }

    fn has(&self, t: &str) -> bool {
        self.tags.iter().any(|x| x == t)
    }

    /// The person, for the data set `d` (its `today`, `m`, `last_reported`); `n` numbers the arbeidsforhold.
    pub fn build(&self, d: &DataSet, n: u32) -> Person {
        let m = d.m;
        let start = self.startdato.unwrap_or(date(2019, 1, 1));
        let ended = self.has("avsluttet_arbeidsforhold");
        let slutt = self
            .sluttdato
            .or_else(|| ended.then(|| m.plus(-1).last_day()));
        let last = slutt
            .map(YearMonth::of)
            .unwrap_or(d.last_reported)
            .min(d.last_reported);
        let first = YearMonth::of(start).max(ym(2020, 1));
        let reported = (
            self.reported_from.unwrap_or(first),
            self.reported_to.unwrap_or(last),
        );
        let income = (!self.has("ingen_inntekt_IM010")).then_some(reported);
        let kind = if self.has("frilanser") {
            FRILANSER
        } else if self.has("maritim") {
            MARITIMT
        } else {
            ORDINAERT
        };
        let pct = self.stillingsprosent.unwrap_or(100.0);
        let stamp = |x: NaiveDate, t: &str| format!("{x}T{t}");
        let confirmed = d.last_reported.plus(1).first_day().with_day_5();
        let mut e = Employment {
            id: format!("AF-{n:04}"),
            uuid: uuid_for(n),
            startdato: start,
            sluttdato: slutt,
            sluttaarsak: self
                .tags
                .iter()
                .find_map(|t| t.strip_prefix("sluttaarsak:"))
                .map(|k| (k.trim().to_string(), sluttaarsak_text(k.trim()))),
            kind: kind.into(),
            detaljer: vec![Detaljer {
                til: slutt.map(YearMonth::of),
                ansettelsesform: if kind == FRILANSER {
                    "midlertidig".into()
                } else {
                    "fast".into()
                },
                ..ordinary(YearMonth::of(start), pct, SNEKKER)
            }],
            permisjoner: Vec::new(),
            permitteringer: Vec::new(),
            opprettet: stamp(start.succ_opt().unwrap_or(start), "09:14:02.118"),
            sist_bekreftet: stamp(confirmed, "21:40"),
            sist_endret: stamp(confirmed, "21:40:13"),
        };
        if self.has("flere_permisjoner") {
            e.permisjoner = two_permisjoner(m);
        }
        if self.has("permittert") {
            e.permitteringer = vec![Permisjon {
                id: "PT1".into(),
                kode: "permittering".into(),
                beskrivelse: "Permittering".into(),
                startdato: m.plus(-1).first_day(),
                sluttdato: Some(m.plus(1).last_day()),
                prosent: 100.0,
            }];
        }
        Person {
            id: self.id.clone(),
            ref_: self.ref_.clone().unwrap_or_default(),
            employer: self.employer.clone(),
            tags: self.tags.clone(),
            shielded: self.has("skjermet_fortrolig") || self.has("skjermet_strengt_fortrolig"),
            reported,
            income,
            fastloenn: self.fastloenn.unwrap_or(45_000.0),
            timeloenn: self.timeloenn,
            sykepenger: self.sykepenger,
            employment: e,
        }
    }
}
