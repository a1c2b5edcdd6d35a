//! `docs/config.md` is generated from the configuration types (`config::reference_page`): this test fails when
//! the committed page is stale, so also when a key is added to the types without documenting it.
//! Regenerate with `DSOP_UPDATE_DOCS=1 cargo test --test config_reference`.

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
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.md");
    let page = config::reference_page();
    assert!(!page.contains("NOT DOCUMENTED"), "{page}");
    if std::env::var_os("DSOP_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert!(
        committed == page,
        "docs/config.md is stale: regenerate it with `DSOP_UPDATE_DOCS=1 cargo test --test config_reference` \
         and commit it"
    );
}
