//! The committed bundled workbook matches its source, and its data set is valid.

use dsop_harness::workbook::{self, generate, source};
use std::path::PathBuf;

fn testcases() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testcases")
}

fn committed() -> workbook::Workbook {
    let path = testcases().join(generate::BUNDLED_FILE);
    match workbook::read(&path) {
        Ok(wb) => wb,
        Err(e) => panic!("{e}: {:#?}", e.problems),
    }
}

#[test]
fn committed_file_matches_a_fresh_build_of_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let fresh_path = dir.path().join("fresh.xlsx");
    workbook::build_from_source(&testcases().join(generate::SOURCE_FILE), &fresh_path).unwrap();
    let fresh = workbook::read(&fresh_path).unwrap();
    let old = committed();
    assert_eq!(
        old.info, fresh.info,
        "Info differs: run `cargo run --example build_workbook`"
    );
    assert_eq!(
        old.testdata, fresh.testdata,
        "Testdata differs: run `cargo run --example build_workbook`"
    );
    assert_eq!(
        old.cases, fresh.cases,
        "Testcaser differs: run `cargo run --example build_workbook`"
    );
    assert!(old.warnings.is_empty(), "{:#?}", old.warnings);
}

#[test]
fn committed_file_matches_the_source() {
    let src = source::load_source(&testcases().join(generate::SOURCE_FILE)).unwrap();
    let wb = committed();
    // Info.
    let info: Vec<(String, String)> = wb
        .info
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    let want: Vec<(String, String)> = src
        .info
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    assert_eq!(info, want);
    assert_eq!(wb.info_value("Organisasjonsnummer"), Some("987654309"));
    assert_eq!(
        wb.info_value("Maskinporten klient-ID"),
        Some("5d6f0c1e-3b2a-4c8d-9e7f-00000000c001")
    );
    // Testdata.
    assert_eq!(wb.testdata.len(), src.testdata.len());
    for (t, s) in wb.testdata.iter().zip(&src.testdata) {
        assert_eq!(t.r#ref, s.r#ref);
        assert_eq!(t.kind, s.kind);
        assert_eq!(t.identifikator, s.identifikator);
        assert_eq!(t.navn, s.navn);
        assert_eq!(
            t.opplysningspliktig_ref.clone().unwrap_or_default(),
            s.opplysningspliktig_ref
        );
        assert_eq!(
            t.avtalereferanse.clone().unwrap_or_default(),
            s.avtalereferanse
        );
        assert_eq!(
            t.avtale_fra.map(|m| m.to_string()).unwrap_or_default(),
            s.avtale_fra
        );
        assert_eq!(
            t.avtale_til.map(|m| m.to_string()).unwrap_or_default(),
            s.avtale_til
        );
        assert_eq!(t.egenskaper, s.egenskaper);
        assert_eq!(t.kilde, s.kilde);
        assert_eq!(t.kommentar, s.kommentar);
    }
    // Cases: exactly the bundled ones, in order, with their steps.
    let bundled: Vec<&source::SourceCase> = src.cases.iter().filter(|c| c.bundled).collect();
    assert_eq!(wb.cases.len(), bundled.len());
    for (c, s) in wb.cases.iter().zip(bundled) {
        assert_eq!(c.id, s.id);
        assert_eq!(c.api_text, s.api);
        assert!(c.api.is_some(), "{}", c.id);
        assert_eq!(c.mandatory, s.obligatorisk, "{}", c.id);
        assert_eq!(c.beskrivelse, s.beskrivelse);
        assert_eq!(c.forutsetninger, s.forutsetninger);
        assert_eq!(c.forventet_resultat, s.forventet_resultat);
        assert_eq!(c.testdata_refs.join(", "), s.testdata_ref);
        assert_eq!(c.steps.len(), s.steps.len(), "{}", c.id);
        for (i, (st, ss)) in c.steps.iter().zip(&s.steps).enumerate() {
            assert_eq!(st.step as usize, i + 1);
            assert_eq!(st.operation, ss.operasjon);
            assert_eq!(st.inputs, ss.inndata.trim());
            assert_eq!(st.expected_http, ss.http);
            assert_eq!(st.expected_code, ss.feilkode);
            assert_eq!(st.assertions, ss.nokkelfelt.trim());
        }
    }
}

#[test]
fn bundled_cases_follow_the_source_flags() {
    let wb = committed();
    let src = source::load_source(&testcases().join(generate::SOURCE_FILE)).unwrap();
    let ids: Vec<&str> = wb.cases.iter().map(|c| c.id.as_str()).collect();
    let want: Vec<&str> = src
        .cases
        .iter()
        .filter(|c| c.bundled)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, want);
    // The agreed first eight are always there and mandatory.
    for id in [
        "MP-01", "TPA-01", "IMS-01", "INN-01", "INN-04", "AAR-01", "AAR-05", "SEC-01",
    ] {
        let c = wb.cases.iter().find(|c| c.id == id).unwrap();
        assert!(c.mandatory, "{id}");
    }
    let mp = wb.cases.iter().find(|c| c.id == "MP-01").unwrap();
    assert_eq!(mp.steps.len(), 4);
    assert_eq!(mp.steps[3].inputs, "scope=nav:aareg/v1/arbeidsforhold/otp");
    let sec = wb.cases.iter().find(|c| c.id == "SEC-01").unwrap();
    assert_eq!(sec.steps.len(), 8);
    assert!(sec.steps.iter().all(|s| s.expected_http == "401"));
    let inn04 = wb.cases.iter().find(|c| c.id == "INN-04").unwrap();
    assert_eq!(inn04.steps[0].expected_http, "");
    assert_eq!(inn04.steps[0].expected_code, "404:IM-008 | 4xx:IM-010");
}

#[test]
fn source_holds_all_29_cases_with_the_mandatory_set() {
    let src = source::load_source(&testcases().join(generate::SOURCE_FILE)).unwrap();
    assert_eq!(src.cases.len(), 29);
    let mandatory: Vec<&str> = src
        .cases
        .iter()
        .filter(|c| c.obligatorisk)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        mandatory,
        [
            "MP-01", "TPA-01", "IMS-01", "INN-01", "INN-04", "AAR-01", "AAR-02", "AAR-03",
            "AAR-05", "SEC-01"
        ]
    );
    for c in &src.cases {
        assert!(
            dsop_harness::model::Api::parse(&c.api).is_some(),
            "{}: API {}",
            c.id,
            c.api
        );
        for s in &c.steps {
            assert!(
                workbook::api_of_operation(&s.operasjon).is_some(),
                "{}: operation {}",
                c.id,
                s.operasjon
            );
        }
    }
}

#[test]
fn every_bundled_identifier_is_checksum_valid() {
    let wb = committed();
    let refs: Vec<&str> = wb.testdata.iter().map(|t| t.r#ref.as_str()).collect();
    for r in [
        "TD-PI-01",
        "TD-LEV-01",
        "TD-ORG-01",
        "TD-ORG-02",
        "TD-ORG-03",
        "TD-P-01",
        "TD-P-07",
    ] {
        assert!(refs.contains(&r), "{r} missing");
    }
    for t in &wb.testdata {
        let ok = match t.identifikator.len() {
            9 => dsop_harness::ids::is_valid_orgnr(&t.identifikator),
            11 => dsop_harness::ids::is_valid_person_id(&t.identifikator),
            _ => false,
        };
        assert!(ok, "{} {}", t.r#ref, t.identifikator);
    }
    let org = wb.testdata("TD-ORG-01").unwrap();
    assert_eq!(
        org.field("Avtalereferanse").as_deref(),
        Some("OTP-SIM-0001")
    );
    assert_eq!(
        org.avtale_fra.map(|m| m.to_string()).as_deref(),
        Some("2021-01")
    );
    assert_eq!(wb.testdata("TD-P-02").unwrap().identifikator, "04879010069");
    assert!(wb
        .testdata("TD-P-05")
        .unwrap()
        .has_tag("sluttaarsak:arbeidstakerHarSagtOppSelv"));
}

#[test]
fn all_29_source_cases_make_a_valid_workbook() {
    let mut src = source::load_source(&testcases().join(generate::SOURCE_FILE)).unwrap();
    for c in &mut src.cases {
        c.bundled = true;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.xlsx");
    std::fs::write(&path, generate::build_bytes(&src).unwrap()).unwrap();
    let wb = match workbook::read(&path) {
        Ok(wb) => wb,
        Err(e) => panic!("{e}: {:#?}", e.problems),
    };
    assert_eq!(wb.cases.len(), 29);
    assert!(wb.warnings.is_empty(), "{:#?}", wb.warnings);
    let mandatory = wb.cases.iter().filter(|c| c.mandatory).count();
    assert_eq!(mandatory, 10);
}
