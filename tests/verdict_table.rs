//! The decision ok / Avvik / Miljøfeil (`run::verdict::judge`), one row per rule.

use dsop_harness::apis::{Exchange, TransportError};
use dsop_harness::model::{Api, Status};
use dsop_harness::note::Note;
use dsop_harness::run::assert::Assertion;
use dsop_harness::run::expect::Expectation;
use dsop_harness::run::verdict::{judge, Called, Outcome};

fn answer(status: u16, code: Option<&str>, body: Option<serde_json::Value>) -> Exchange {
    Exchange {
        status: Some(status),
        error_code: code.map(str::to_string),
        body,
        ..Exchange::default()
    }
}

fn broken(status: Option<u16>, kind: &str, maybe_sent: bool) -> Exchange {
    Exchange {
        status,
        transport: Some(TransportError {
            kind: kind.into(),
            maybe_sent,
            message: kind.into(),
        }),
        ..Exchange::default()
    }
}

/// One row per rule of the decision.
#[test]
fn the_decision_table() {
    let read = |api| Called { api, write: false };
    let write = Called {
        api: Api::Tjenestepensjonsavtale,
        write: true,
    };
    let exp = |http: &str, code: &str| Expectation::parse(http, code).unwrap();
    let field = vec![Assertion::parse("$.x == 1").unwrap()];
    let none: Vec<Assertion> = Vec::new();
    let env = vec!["DAS-001".to_string()];
    let inn = read(Api::Inntekt);
    let body_x = |x: i64| Some(serde_json::json!({ "x": x }));
    let unknown = |o: &Outcome| matches!(o.notes.first(), Some(Note::OutcomeUnknown { .. }));
    type Row<'a> = (
        &'a str,
        Called,
        Expectation,
        &'a [Assertion],
        Exchange,
        Status,
    );
    let rows: Vec<Row> = vec![
        (
            "match -> ok",
            inn,
            exp("200", ""),
            &none,
            answer(200, None, None),
            Status::Ok,
        ),
        (
            "match, fields ok -> ok",
            inn,
            exp("200", ""),
            &field,
            answer(200, None, body_x(1)),
            Status::Ok,
        ),
        (
            "match, field fails -> Avvik",
            inn,
            exp("200", ""),
            &field,
            answer(200, None, body_x(2)),
            Status::Deviation,
        ),
        (
            "fields but no body -> Avvik",
            inn,
            exp("200", ""),
            &field,
            answer(200, None, None),
            Status::Deviation,
        ),
        (
            "other 4xx -> Avvik",
            inn,
            exp("200", ""),
            &none,
            answer(403, Some("IM-005"), None),
            Status::Deviation,
        ),
        (
            "5xx on a read -> Miljøfeil",
            inn,
            exp("200", ""),
            &none,
            answer(503, None, None),
            Status::EnvironmentError,
        ),
        (
            "429 -> Miljøfeil",
            inn,
            exp("200", ""),
            &none,
            answer(429, None, None),
            Status::EnvironmentError,
        ),
        (
            "agency's own code -> Miljøfeil",
            inn,
            exp("200", ""),
            &none,
            answer(500, Some("DAS-001"), None),
            Status::EnvironmentError,
        ),
        (
            "bare 404 at Skatteetaten -> Miljøfeil",
            inn,
            exp("200", ""),
            &none,
            answer(404, None, None),
            Status::EnvironmentError,
        ),
        (
            "no answer (timeout) on a read -> Miljøfeil",
            inn,
            exp("200", ""),
            &none,
            broken(None, "timeout", true),
            Status::EnvironmentError,
        ),
        (
            "body cut off after 200 -> Miljøfeil, never matched",
            inn,
            exp("200", ""),
            &none,
            broken(Some(200), "reset", true),
            Status::EnvironmentError,
        ),
        (
            "body not JSON as declared -> Miljøfeil",
            inn,
            exp("200", ""),
            &none,
            broken(Some(200), "unparsable", true),
            Status::EnvironmentError,
        ),
        (
            "write: 5xx -> Miljøfeil outcome_unknown",
            write,
            exp("2xx", ""),
            &none,
            answer(500, Some("DAS-001"), None),
            Status::EnvironmentError,
        ),
        (
            "write: timeout after sending -> Miljøfeil outcome_unknown",
            write,
            exp("2xx", ""),
            &none,
            broken(None, "timeout", true),
            Status::EnvironmentError,
        ),
        (
            "write: never sent -> Miljøfeil",
            write,
            exp("2xx", ""),
            &none,
            broken(None, "connect", false),
            Status::EnvironmentError,
        ),
        (
            "write: 2xx -> ok",
            write,
            exp("2xx", ""),
            &none,
            answer(201, None, None),
            Status::Ok,
        ),
        (
            "NAV 200 with AA-201 -> Miljøfeil",
            read(Api::AaregOtp),
            exp("200", ""),
            &none,
            Exchange {
                graphql_errors: true,
                error_codes: vec!["AA-201".into()],
                ..answer(200, None, None)
            },
            Status::EnvironmentError,
        ),
        (
            "NAV 200 with other errors -> Avvik",
            read(Api::AaregOtp),
            exp("200", ""),
            &none,
            Exchange {
                graphql_errors: true,
                error_codes: vec!["AA-102".into()],
                ..answer(200, None, None)
            },
            Status::Deviation,
        ),
    ];
    for (rule, called, e, a, ex, want) in rows {
        let o = judge(called, &e, a, &ex, &env);
        assert_eq!(o.status, want, "{rule}: {o:?}");
        let expect_unknown = rule.contains("outcome_unknown");
        assert_eq!(unknown(&o), expect_unknown, "{rule}: {o:?}");
    }
}
