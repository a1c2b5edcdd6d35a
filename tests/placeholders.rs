//! Placeholder arithmetic out of range (`{M+99999999999}`) is a workbook error located at its cell (file,
//! sheet, cell), never a silent overflow into a wrong month.

mod common;

use dsop_harness::workbook::source::load_source;
use std::path::Path;

fn run_with_inndata(inndata: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut src =
        load_source(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/source.toml")).unwrap();
    let inn = src.cases.iter_mut().find(|c| c.id == "INN-01").unwrap();
    inn.steps[0].inndata = inndata.to_string();
    let wb = tmp.path().join("wb.xlsx");
    std::fs::write(
        &wb,
        dsop_harness::workbook::generate::build_bytes(&src).unwrap(),
    )
    .unwrap();
    let (code, text) = common::code_and_text(
        common::harness()
            .args([
                "run",
                "--today",
                "2026-11-26",
                "--only",
                "INN-01",
                "--workbook",
            ])
            .arg(&wb)
            .arg("--reports")
            .arg(tmp.path().join("reports")),
    );
    assert!(!text.contains("panicked"), "{text}");
    (code, text)
}

#[test]
fn month_offset_out_of_range_is_a_located_workbook_error() {
    for (placeholder, why) in [
        ("{M+99999999999}", "out of range"),
        ("{M-99999999999999999999}", "out of range"),
        ("{TD-ORG-01.S+99999999999}", "out of range"),
    ] {
        let inndata = format!(
            "personidentifikator={{TD-P-01.Identifikator}}; opplysningspliktig={{TD-ORG-01.Identifikator}}; \
             fraOgMed={placeholder}; tilOgMed={{M}}"
        );
        let (code, text) = run_with_inndata(&inndata);
        assert_eq!(code, 2, "{placeholder}: {text}");
        assert!(text.contains("wb.xlsx"), "names the file: {text}");
        assert!(
            text.contains("Testcaser!"),
            "names the sheet and cell: {text}"
        );
        assert!(text.contains("INN-01"), "names the case: {text}");
        assert!(text.contains(why), "{placeholder}: {text}");
    }
}

#[test]
fn an_offset_in_range_still_runs() {
    let (code, text) = run_with_inndata(
        "personidentifikator={TD-P-01.Identifikator}; opplysningspliktig={TD-ORG-01.Identifikator}; \
         fraOgMed={M-1}; tilOgMed={M}",
    );
    assert_ne!(code, 2, "{text}");
}
