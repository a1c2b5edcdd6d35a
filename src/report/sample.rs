//! A realistic, fixed `RunReport` for tests (reporters, CLI, snapshot tests): a simulated run on 2026-11-26
//! with nine cases, one of them multi-step, one deviation, one environment error and one not run.

use crate::model::{
    Api, CaseResult, CertificateInfo, Delegation, MaskinportenInfo, Party, RunContext, RunReport,
    Status, StepResult, Summary, TestDataSummary, Verdict, WorkbookRef,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;

fn at(sec: i64) -> DateTime<Utc> {
    // 2026-11-26 09:00:00 UTC = 10:00:00 in Oslo.
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::seconds(sec)
}

fn corr(n: u32) -> String {
    format!("3f1c9a2e-7b4d-4e8a-9c1f-{n:012}")
}

struct C<'a> {
    id: &'a str,
    api: Api,
    operation: &'a str,
    description: &'a str,
    mandatory: bool,
    status: Status,
    expected: &'a str,
    http: Option<u16>,
    code: Option<&'a str>,
    note: Option<&'a str>,
    t: i64,
}

fn case(c: C<'_>, n: u32) -> CaseResult {
    let sent = (c.api != Api::Maskinporten && c.status != Status::NotRun).then(|| corr(n));
    let returned = match (c.api, c.status) {
        (Api::Maskinporten, _) | (_, Status::NotRun) => None,
        (Api::AaregOtp, _) => sent.clone(),
        _ => Some(format!("se-{n:04}-a1b2c3")),
    };
    let (started, finished, duration_ms, attempts) = if c.status == Status::NotRun {
        (None, None, 0, 0)
    } else {
        (Some(at(c.t)), Some(at(c.t + 1)), 180 + u64::from(n) * 37, 1)
    };
    let (expected_http, expected_code) = match c.expected.split_once(':') {
        Some((h, code)) => (Some(h.to_string()), Some(code.to_string())),
        None => (Some(c.expected.to_string()), None),
    };
    let step = StepResult {
        step: 1,
        operation: c.operation.to_string(),
        api: c.api,
        expected: c.expected.to_string(),
        status: c.status,
        actual_http: c.http,
        actual_code: c.code.map(str::to_string),
        correlation_id: sent.clone(),
        correlation_id_returned: returned.clone(),
        duration_ms,
        attempts,
        note: c.note.map(str::to_string),
        notes: Vec::new(),
        summary: None,
        started,
    };
    CaseResult {
        id: c.id.to_string(),
        api: c.api,
        operation: c.operation.to_string(),
        description: c.description.to_string(),
        mandatory: c.mandatory,
        status: c.status,
        expected: c.expected.to_string(),
        expected_http,
        actual_http: c.http,
        expected_code,
        actual_code: c.code.map(str::to_string),
        correlation_id: sent,
        correlation_id_returned: returned,
        duration_ms,
        attempts,
        note: c.note.map(str::to_string),
        notes: Vec::new(),
        reason: None,
        started,
        finished,
        steps: if c.status == Status::NotRun {
            Vec::new()
        } else {
            vec![step]
        },
    }
}

/// The sample report. Deterministic: the same value on every call.
#[doc(hidden)]
pub fn sample_report() -> RunReport {
    let mut cases = Vec::new();

    // MP-01: four token requests, one per scope.
    let mp_steps: Vec<StepResult> = crate::model::SCOPES
        .iter()
        .enumerate()
        .map(|(i, scope)| StepResult {
            step: i as u32 + 1,
            operation: format!("token {scope}"),
            api: Api::Maskinporten,
            expected: "200".into(),
            status: Status::Ok,
            actual_http: Some(200),
            actual_code: None,
            correlation_id: None,
            correlation_id_returned: None,
            duration_ms: 95 + i as u64 * 4,
            attempts: 1,
            note: None,
            notes: Vec::new(),
            summary: Some(format!(
                "scope={scope}; expires_in=120; consumer=0192:987654309"
            )),
            started: Some(at(i as i64)),
        })
        .collect();
    cases.push(CaseResult {
        id: "MP-01".into(),
        api: Api::Maskinporten,
        operation: "token".into(),
        description: "JWT-grant token request, one scope at a time".into(),
        mandatory: true,
        status: Status::Ok,
        expected: "200".into(),
        expected_http: Some("200".into()),
        actual_http: Some(200),
        expected_code: None,
        actual_code: None,
        correlation_id: None,
        correlation_id_returned: None,
        duration_ms: mp_steps.iter().map(|s| s.duration_ms).sum(),
        attempts: 4,
        note: None,
        notes: Vec::new(),
        reason: None,
        started: Some(at(0)),
        finished: Some(at(4)),
        steps: mp_steps,
    });

    let simple = [
        C {
            id: "TPA-01",
            api: Api::Tjenestepensjonsavtale,
            operation: "POST avtaleforhold",
            description: "Register the agreement OTP-SIM-0001 with Fjordsyn Bygg AS (310000108) from 2021-01",
            mandatory: true,
            status: Status::Ok,
            expected: "2xx",
            http: Some(201),
            code: None,
            note: None,
            t: 10,
        },
        C {
            id: "IMS-01",
            api: Api::Inntektsmottakere,
            operation: "GET inntektsmottakere",
            description: "List income recipients for 310000108, month 2026-10",
            mandatory: true,
            status: Status::Ok,
            expected: "200",
            http: Some(200),
            code: None,
            note: Some("6 inntektsmottakere listed; 12838510068 among them"),
            t: 20,
        },
        C {
            id: "IMS-02",
            api: Api::Inntektsmottakere,
            operation: "GET inntektsmottakere",
            description: "Period inside the virkningsperiode but before the avtaleforhold (2020-10..2020-12)",
            mandatory: false,
            status: Status::Deviation,
            expected: "403:IM-005 | 403:DAS-008",
            http: Some(404),
            code: Some("IM-007"),
            note: Some("inconclusive: 404 IM-007 does not prove the rejection <avtaleforhold> & period rule"),
            t: 30,
        },
        C {
            id: "INN-01",
            api: Api::Inntekt,
            operation: "GET inntekter",
            description: "Income for 12838510068 at 310000108, month 2026-10",
            mandatory: true,
            status: Status::Ok,
            expected: "200",
            http: Some(200),
            code: None,
            note: None,
            t: 40,
        },
        C {
            id: "INN-04",
            api: Api::Inntekt,
            operation: "GET inntekter",
            description: "Person listed by Inntektsmottakere but without income (IM-010 case)",
            mandatory: true,
            status: Status::Ok,
            expected: "404:IM-008 | 4xx:IM-010",
            http: Some(404),
            code: Some("IM-008"),
            note: Some("IM-008 appeared (not IM-010); treated as no income"),
            t: 50,
        },
        C {
            id: "AAR-02",
            api: Api::AaregOtp,
            operation: "finnArbeidsforholdPrArbeidstaker",
            description: "Arbeidsforhold for 12838510068 at 310000108, month 2026-10",
            mandatory: true,
            status: Status::EnvironmentError,
            expected: "200",
            http: Some(503),
            code: None,
            note: Some("503 Service Unavailable after 3 attempts (retry table §5)"),
            t: 60,
        },
        C {
            id: "SEC-02",
            api: Api::Tverrgaaende,
            operation: "wrong scope",
            description: "A token with the wrong scope is refused by every API",
            mandatory: false,
            status: Status::NotRun,
            expected: "401 | 403",
            http: None,
            code: None,
            note: Some("not selected (--only)"),
            t: 0,
        },
    ];
    for (i, c) in simple.into_iter().enumerate() {
        cases.push(case(c, i as u32 + 1));
    }
    // AAR-02 needed three attempts.
    if let Some(c) = cases.iter_mut().find(|c| c.id == "AAR-02") {
        c.attempts = 3;
        c.steps.iter_mut().for_each(|s| s.attempts = 3);
    }

    // TPA-03: delete twice (multi-step), inserted after TPA-01.
    let tpa03_steps = vec![
        StepResult {
            step: 1,
            operation: "DELETE avtaleforhold".into(),
            api: Api::Tjenestepensjonsavtale,
            expected: "2xx".into(),
            status: Status::Ok,
            actual_http: Some(204),
            actual_code: None,
            correlation_id: Some(corr(101)),
            correlation_id_returned: Some("se-0101-d3e4f5".into()),
            duration_ms: 212,
            attempts: 1,
            note: None,
            notes: Vec::new(),
            summary: None,
            started: Some(at(14)),
        },
        StepResult {
            step: 2,
            operation: "DELETE avtaleforhold".into(),
            api: Api::Tjenestepensjonsavtale,
            expected: "404:OTP-007".into(),
            status: Status::Ok,
            actual_http: Some(404),
            actual_code: Some("OTP-007".into()),
            correlation_id: Some(corr(102)),
            correlation_id_returned: Some("se-0102-d3e4f5".into()),
            duration_ms: 187,
            attempts: 1,
            note: None,
            notes: Vec::new(),
            summary: None,
            started: Some(at(15)),
        },
    ];
    cases.insert(
        2,
        CaseResult {
            id: "TPA-03".into(),
            api: Api::Tjenestepensjonsavtale,
            operation: "DELETE avtaleforhold".into(),
            description: "Delete the throw-away agreement OTP-SIM-TMP-0002, then delete it again"
                .into(),
            mandatory: false,
            status: Status::Ok,
            expected: "404:OTP-007".into(),
            expected_http: Some("404".into()),
            actual_http: Some(404),
            expected_code: Some("OTP-007".into()),
            actual_code: Some("OTP-007".into()),
            correlation_id: Some(corr(102)),
            correlation_id_returned: Some("se-0102-d3e4f5".into()),
            duration_ms: 399,
            attempts: 2,
            note: None,
            notes: Vec::new(),
            reason: None,
            started: Some(at(14)),
            finished: Some(at(16)),
            steps: tpa03_steps,
        },
    );

    let mut base_urls = BTreeMap::new();
    for (api, url) in [
        ("Inntekt", "http://127.0.0.1:38080/inntekt/v1"),
        (
            "Inntektsmottakere",
            "http://127.0.0.1:38080/inntektsmottakere/v1",
        ),
        (
            "Tjenestepensjonsavtale",
            "http://127.0.0.1:38080/tjenestepensjonsavtale/v1",
        ),
        ("Aa-reg OTP", "http://127.0.0.1:38080/aareg/graphql"),
    ] {
        base_urls.insert(api.to_string(), url.to_string());
    }
    let mut months = BTreeMap::new();
    months.insert("M".to_string(), "2026-10".to_string());
    months.insert("S".to_string(), "2021-01".to_string());

    let td = |r: &str, kind: &str, id: &str, navn: &str, tags: &[&str]| TestDataSummary {
        r#ref: r.into(),
        kind: kind.into(),
        identifikator: id.into(),
        navn: navn.into(),
        egenskaper: tags.iter().map(|s| s.to_string()).collect(),
        kilde: "Skatteetaten testdatasett (simulator)".into(),
    };
    let testdata = vec![
        td(
            "TD-PI-01",
            "Pensjonsinnretning",
            "987654309",
            "Eksempel Pensjon AS",
            &[],
        ),
        td(
            "TD-ORG-01",
            "Opplysningspliktig",
            "310000108",
            "Fjordsyn Bygg AS",
            &["avtale OTP-SIM-0001"],
        ),
        td(
            "TD-ORG-02",
            "Opplysningspliktig",
            "310000205",
            "Nordlys Handel AS",
            &["avtale OTP-SIM-TMP-0002"],
        ),
        td(
            "TD-ORG-03",
            "Opplysningspliktig",
            "310000302",
            "Vestkant Service AS",
            &["ingen avtale"],
        ),
        td(
            "TD-P-01",
            "Inntektsmottaker",
            "12838510068",
            "",
            &["har_inntekt"],
        ),
        td(
            "TD-P-02",
            "Inntektsmottaker",
            "04879010069",
            "",
            &["ingen_inntekt_IM010"],
        ),
        td(
            "TD-P-03",
            "Inntektsmottaker",
            "23917810060",
            "",
            &["skjermet_strengt_fortrolig"],
        ),
    ];

    let context = RunContext {
        institution: Party { orgnr: "987654309".into(), name: "Eksempel Pensjon AS".into() },
        vendor: Some(Party { orgnr: "912345602".into(), name: "Eksempel Drift AS".into() }),
        delegation: Delegation::SystemUser,
        maskinporten: MaskinportenInfo {
            issuer: "http://127.0.0.1:38080/maskinporten/".into(),
            token_endpoint: "http://127.0.0.1:38080/maskinporten/token".into(),
            client_id: "5d6f0c1e-3b2a-4c8d-9e7f-00000000c001".into(),
            scopes: crate::model::SCOPES.iter().map(|s| s.to_string()).collect(),
            certificate: Some(CertificateInfo {
                subject: "CN=Eksempel Drift AS, O=Eksempel Drift AS, organizationIdentifier=NTRNO-912345602, C=NO"
                    .into(),
                issuer: "CN=dsop-harness simulator test CA, O=dsop-harness, C=NO".into(),
                serial: "5a:17:03:9c:44:e1".into(),
                not_before: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default()),
                not_after: Some(Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).single().unwrap_or_default()),
                orgnr: Some("912345602".into()),
            }),
            key_mode: "x5c".into(),
        },
        base_urls,
        info: vec![
            ("Dokument".into(), "Integrasjonstest – Data for ajourhold av OTP i privat sektor".into()),
            ("Versjon mal".into(), "V.1".into()),
            ("Miljø".into(), "TEST".into()),
            ("Testansvarlig".into(), "Kari Testleder".into()),
            ("Testdatasett mottatt fra Skatteetaten (dato/versjon)".into(), "2026-11-02 / v3".into()),
        ],
        months,
        testdata,
        ..Default::default()
    };

    let statuses: Vec<Status> = cases.iter().map(|c| c.status).collect();
    let verdict = Verdict::of(&cases);
    RunReport {
        harness_version: crate::VERSION.to_string(),
        run_id: "20261126T090000Z-sim-4f2a".into(),
        env: "sim".into(),
        simulated: true,
        rehearsal: false,
        observed_expiry_tolerance_secs: Default::default(),
        started: at(0),
        finished: at(75),
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(),
        workbook: WorkbookRef {
            path: "testcases/ajourhold-otp-integrasjonstest.xlsx".into(),
            sha256: "9f2b5c0d7a1e4b3c8d6f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d".into(),
        },
        summary: Summary::of(statuses.iter()),
        verdict,
        context,
        cases,
        notes: vec![
            "Systembruker-oppsettet er ikke verifisert mot etatene: simulatoren godtar det slik det er beskrevet."
                .into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_consistent() {
        let r = sample_report();
        assert_eq!(r.cases.len(), 9);
        assert_eq!(r.summary.total, 9);
        assert_eq!(r.summary.deviation, 1);
        assert_eq!(r.summary.environment_error, 1);
        assert_eq!(r.verdict, Verdict::Incomplete);
        assert!(r.cases.iter().any(|c| c.steps.len() > 1));
        assert_eq!(r, sample_report());
    }
}
