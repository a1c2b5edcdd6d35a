//! `run --mask-ids` leaves no full personal id in any file of the run folder, nor inside any archive
//! (bundle.zip, the xlsx files, the docx), for every personal id of the data set.

mod common;

use dsop_harness::sim::data;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Every personal id of the data set: the simulator's persons and every 11-digit number in the bundled
/// workbook's source (which includes a deliberately invalid id).
fn personal_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        data::P_INC,
        data::P_NOINC,
        data::P_SKJ,
        data::P_PERM,
        data::P_END,
        data::P_06,
        data::P_07,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/source.toml"),
    )
    .unwrap();
    let re = regex::Regex::new(r"\b\d{11}\b").unwrap();
    ids.extend(re.find_iter(&src).map(|m| m.as_str().to_string()));
    ids.sort();
    ids.dedup();
    assert!(ids.len() >= 8, "{ids:?}");
    ids
}

/// Every place (`file` or `file!member!member`) where a full id occurs, recursing into zip archives.
fn leaks(name: &str, data: &[u8], ids: &[String], out: &mut Vec<String>) {
    if data.starts_with(b"PK\x03\x04") {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(data))
            .unwrap_or_else(|e| panic!("{name} is not a readable zip: {e}"));
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let mut v = Vec::new();
            e.read_to_end(&mut v).unwrap();
            leaks(&format!("{name}!{}", e.name()), &v, ids, out);
        }
        return;
    }
    for id in ids {
        if data.windows(id.len()).any(|w| w == id.as_bytes()) {
            out.push(format!("{name}: {id}"));
        }
    }
}

fn masked_run() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let (code, text) = common::code_and_text(
        common::harness()
            .args(["run", "--today", "2026-11-26", "--mask-ids", "--reports"])
            .arg(&reports),
    );
    assert_eq!(code, 0, "{text}");
    let dir = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().is_some_and(|n| n != "latest") && p.is_dir())
        .expect("a run folder");
    (tmp, dir)
}

/// Leaks in every file of the run folder, by file name (a run's folder has at least 8 files, a rehearsal's,
/// without the simulator's log, 7).
fn scan_run_folder(dir: &Path, min_files: usize) -> Vec<String> {
    let ids = personal_ids();
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= min_files, "{files:?}");
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        leaks(&name, &std::fs::read(&f).unwrap(), &ids, &mut out);
    }
    out
}

/// Files of the run folder written by other parts (checked by `every_file_of_a_masked_run_is_masked`, left
/// out here): the filled-in workbook (`*_utfylt.xlsx`, the workbook writer) and `journal.jsonl` (the run's
/// journal sink, which can mask each line with `dsop_harness::ids::mask_person_ids_in`). Their copies inside
/// bundle.zip are checked here.
fn written_elsewhere(leak: &str) -> bool {
    leak.split([':', '!'])
        .next()
        .is_some_and(|f| f.ends_with("_utfylt.xlsx") || f == "journal.jsonl")
}

#[test]
fn a_masked_run_leaks_no_id_in_the_bundle_the_simulator_log_and_the_reports() {
    let (_tmp, dir) = masked_run();
    let leaks: Vec<String> = scan_run_folder(&dir, 8)
        .into_iter()
        .filter(|l| !written_elsewhere(l))
        .collect();
    assert!(leaks.is_empty(), "full personal ids in: {leaks:#?}");
    // The bundle holds the input workbook as a masked copy and names the original's SHA-256.
    let mut z = zip::ZipArchive::new(std::fs::File::open(dir.join("bundle.zip")).unwrap()).unwrap();
    let mut manifest = String::new();
    z.by_name("MANIFEST.txt")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let original = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testcases/integrasjonstest-ajourhold-otp.xlsx"),
    )
    .unwrap();
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&original));
    assert!(
        manifest.contains(&format!(
            "# original input/integrasjonstest-ajourhold-otp.xlsx sha256 {sha}"
        )),
        "{manifest}"
    );
    // Still a bundle that verifies (the comment line is not a member).
    let check = dsop_harness::report::verify_bundle(&dir.join("bundle.zip")).unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

#[test]
fn every_file_of_a_masked_run_is_masked() {
    let (_tmp, dir) = masked_run();
    let leaks = scan_run_folder(&dir, 8);
    assert!(leaks.is_empty(), "full personal ids in: {leaks:#?}");
}

/// `rehearse --mask-ids` means what `run --mask-ids` means: no full personal id in any file of the rehearsal's
/// folder (3 s tokens, 1 s tolerance, a throw-away key: no configuration of a key needed).
#[test]
fn every_file_of_a_masked_rehearsal_is_masked() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("dsop-harness.toml");
    std::fs::write(&cfg, "[profile.test]\nexpiry_tolerance_secs = 1\n").unwrap();
    let reports = tmp.path().join("reports");
    let mut cmd = common::harness();
    for v in [
        "DSOP_PKCS12",
        "DSOP_KEY_PEM",
        "DSOP_CHAIN_PEM",
        "DSOP_CLIENT_ID",
        "DSOP_ENV",
    ] {
        cmd.env_remove(v);
    }
    let (code, text) = common::code_and_text(
        cmd.args(["rehearse", "--today", "2026-11-26", "--mask-ids"])
            .args(["--token-lifetime", "3", "--tolerance", "1", "--config"])
            .arg(&cfg)
            .arg("--reports")
            .arg(&reports),
    );
    assert_eq!(code, 0, "{text}");
    let dir = reports.join(std::fs::read_link(reports.join("latest")).unwrap());
    let results = std::fs::read_to_string(dir.join("results.json")).unwrap();
    assert!(results.contains("\"rehearsal\": true"), "{results}");
    let leaks = scan_run_folder(&dir, 7);
    assert!(leaks.is_empty(), "full personal ids in: {leaks:#?}");
}

/// A numeric cell holding an id becomes an inline string, so the masked xlsx still opens.
#[test]
fn masking_an_xlsx_keeps_it_readable() {
    use calamine::{Data, Reader};
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Testdata").unwrap();
    ws.write_string(0, 0, "12838510068").unwrap();
    ws.write_number(1, 0, 4879010069.0).unwrap();
    ws.write_number(2, 0, 23917810060.0).unwrap();
    ws.write_string(3, 0, "310000108").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let masked = dsop_harness::ids::mask_person_ids_in_file(&bytes).unwrap();
    let mut found = Vec::new();
    leaks("xlsx", &masked, &personal_ids(), &mut found);
    assert!(found.is_empty(), "{found:?}");
    let mut x: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(masked)).unwrap();
    let range = x.worksheet_range("Testdata").unwrap();
    let cell = |r: u32| range.get_value((r, 0)).cloned();
    assert_eq!(cell(0), Some(Data::String("128385*****".into())));
    // 04879010069 as a number has 10 digits: not an 11-digit id, left alone.
    assert_eq!(cell(1), Some(Data::Float(4879010069.0)));
    assert_eq!(cell(2), Some(Data::String("239178*****".into())));
    assert_eq!(cell(3), Some(Data::String("310000108".into())));
}
