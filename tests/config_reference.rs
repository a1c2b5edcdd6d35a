//! `docs/config.md` is generated from the configuration types (`config::reference_page`): this test fails when
//! the committed page is stale, so also when a key is added to the types without documenting it.
//! Regenerate with `DSOP_UPDATE_DOCS=1 cargo test --test config_reference`.

mod common;

use dsop_harness::config::{self, KEYS};
use std::path::Path;

#[test]
fn every_key_of_the_types_is_documented_and_no_other() {
    let mut fields = Vec::new();
    for (section, names) in config::sections() {
        assert!(!names.is_empty(), "no fields read for [{section}]");
        for n in names {
            fields.push((section, *n));
        }
    }
    assert!(
        fields.len() >= 20,
        "only {} keys found: {fields:?}",
        fields.len()
    );
    for (s, k) in &fields {
        assert!(
            KEYS.iter().any(|d| d.section == *s && d.key == *k),
            "[{s}] {k} has no entry in config::KEYS"
        );
    }
    for d in KEYS {
        assert!(
            fields.contains(&(d.section, d.key)),
            "config::KEYS documents [{}] {}, which the types do not have",
            d.section,
            d.key
        );
    }
    // A key the reader accepts is one the page lists: every key parses in a file.
    let toml_text = "[institution]\norgnr = \"987654309\"\n[maskinporten]\npassword_env = \"X\"\n\
                     [profile.test]\ntimeout_secs = 5\nnav_max_in_flight = 2\n";
    let c: config::Config = toml::from_str(toml_text).unwrap();
    assert_eq!(c.profile["test"].nav_max_in_flight, Some(2));
}

#[test]
fn committed_page_is_current() {
    let page = config::reference_page();
    assert!(!page.contains("NOT DOCUMENTED"), "{page}");
    common::assert_page_current("docs/config.md", &page, "config_reference");
}

/// The PKCS#12 password's variable is named as the code reads it (`DSOP_PKCS12_PASSWORD`) everywhere in the
/// sources and the docs: no other `DSOP_…PASSWORD` name (the rehearsal's in-process variable aside).
#[test]
fn the_password_variable_is_named_as_the_code_reads_it() {
    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else if p
                .extension()
                .is_some_and(|x| x == "rs" || x == "md" || x == "toml" || x == "tera")
            {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec![root.join("README.md")];
    for d in ["src", "docs", "templates", "examples"] {
        if root.join(d).is_dir() {
            files(&root.join(d), &mut all);
        }
    }
    let re = regex::Regex::new(r"DSOP_[A-Z0-9_]*PASSWORD[A-Z0-9_]*").unwrap();
    let mut wrong = Vec::new();
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            for m in re.find_iter(line) {
                let name = m.as_str();
                if name != dsop_harness::config::DEFAULT_PASSWORD_ENV
                    && name != "DSOP_REHEARSAL_PASSWORD_"
                {
                    wrong.push(format!("{}:{}: {name}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the password variable is {}:\n{}",
        dsop_harness::config::DEFAULT_PASSWORD_ENV,
        wrong.join("\n")
    );
}
