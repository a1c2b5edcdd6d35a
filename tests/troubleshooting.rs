//! `docs/troubleshooting.md` is generated from the code table the harness uses (`codes::CODES`): this test
//! fails when the committed page is stale. Regenerate with `DSOP_UPDATE_DOCS=1 cargo test --test troubleshooting`.

mod common;

use dsop_harness::codes::{self, CODES};

#[test]
fn committed_page_is_current() {
    let page = codes::troubleshooting_page();
    common::assert_page_current(codes::PAGE, &page, "troubleshooting");
}

#[test]
fn every_code_has_its_anchor_and_every_family_is_there() {
    let page = codes::troubleshooting_page();
    for c in CODES {
        assert!(
            page.contains(&format!("\n### {}\n", c.code)),
            "{} has no heading (anchor #{})",
            c.code,
            codes::anchor(c.code)
        );
        assert!(!c.meaning.is_empty() && !c.fix.is_empty(), "{}", c.code);
    }
    for prefix in ["MP-", "IM-", "OTP-", "DAS-", "AA-"] {
        assert!(CODES.iter().any(|c| c.code.starts_with(prefix)), "{prefix}");
    }
}

/// The Maskinporten sentences come from the table, and a code the simulator can answer is in it.
#[test]
fn the_code_uses_the_table() {
    let mp = codes::lookup("MP-250").unwrap();
    let s = dsop_harness::auth::explain::explain_error(
        "access_denied",
        "MP-250: Consumer has not been granted access to the scope nav:x",
    );
    assert!(
        s.contains(&mp.fix.replace("{scope}", "the scope nav:x")),
        "{s}"
    );
    for c in ["IM-001", "DAS-003", "AA-201", "OTP-003"] {
        assert!(
            dsop_harness::run::exec::ENVIRONMENT_CODES.contains(&c),
            "{c}"
        );
    }
}
