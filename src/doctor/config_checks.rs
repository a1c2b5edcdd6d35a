//! The configuration is present and valid: file found and parsed, organisation numbers valid, a client id and a
//! key configured, the vendor mechanism known.

use super::{Check, Group, Target, Who};
use crate::config::{ConfigError, DEFAULT_FILE};
use crate::ids::is_valid_orgnr;

const INIT_HINT: &str = "`dsop-harness init` writes a commented template";

/// The check for a configuration that could not be loaded.
pub fn load_failed(e: &ConfigError) -> Check {
    Check::new(Group::Config, "config.present", "Configuration").fail(
        format!("the configuration could not be loaded: {e}"),
        format!("fix the file (or remove it and run {INIT_HINT})"),
        Some(Who::OwnIt),
    )
}

pub fn checks(t: &Target) -> Vec<Check> {
    let cfg = &t.cfg;
    let env = t.env.as_str();
    let mut out = Vec::new();
    let source = match &cfg.source {
        Some(p) => p.display().to_string(),
        None => "environment variables (no file)".to_string(),
    };
    let mut problems: Vec<String> = Vec::new();
    match cfg.institution.orgnr.as_deref() {
        None => problems.push("[institution] orgnr is missing".into()),
        Some(o) if !is_valid_orgnr(o) => problems.push(format!(
            "[institution] orgnr = {o:?} is not a valid organisation number (9 digits, mod-11 check digit)"
        )),
        Some(_) => {}
    }
    if let Some(v) = &cfg.vendor {
        match v.orgnr.as_deref() {
            None => problems.push("[vendor] orgnr is missing".into()),
            Some(o) if !is_valid_orgnr(o) => problems.push(format!(
                "[vendor] orgnr = {o:?} is not a valid organisation number"
            )),
            Some(o) if Some(o) == cfg.institution.orgnr.as_deref() => problems.push(
                "[vendor] orgnr equals [institution] orgnr: drop [vendor] when the institution runs the test itself"
                    .into(),
            ),
            Some(_) => {}
        }
        if let Err(e) = cfg.delegation() {
            problems.push(e.to_string());
        }
    }
    let mp = &cfg.maskinporten;
    match mp.client_id.as_deref() {
        None => problems.push("[maskinporten] client_id is missing (or DSOP_CLIENT_ID)".into()),
        Some(c) if c.trim().is_empty() || c.contains('…') => problems.push(format!(
            "[maskinporten] client_id = {c:?} is a placeholder: copy the client id from Samarbeidsportalen ({env})"
        )),
        Some(_) => {}
    }
    let has_pem = mp.key_pem.is_some();
    let has_p12 = mp.pkcs12.is_some();
    if !has_pem && !has_p12 {
        problems.push(
            "no key configured: set [maskinporten] pkcs12, or key_pem and chain_pem (or kid)"
                .into(),
        );
    }
    if has_pem && mp.chain_pem.is_none() && mp.kid.is_none() {
        problems.push("[maskinporten] key_pem is set but neither chain_pem nor kid".into());
    }
    let present = if cfg.source.is_none() && problems.len() >= 3 {
        Check::new(Group::Config, "config.present", "Configuration").fail(
            format!("no {DEFAULT_FILE} found and no DSOP_* variables set"),
            format!("create {DEFAULT_FILE}: {INIT_HINT}; or give --config FILE"),
            Some(Who::OwnIt),
        )
    } else {
        Check::new(Group::Config, "config.present", "Configuration")
            .pass(format!("read from {source}"))
    };
    let missing_file = present.status == super::CheckStatus::Fail;
    out.push(present);
    let valid = Check::new(Group::Config, "config.valid", "Configuration values");
    out.push(if missing_file {
        valid.skip("no configuration")
    } else if problems.is_empty() {
        let who = match &cfg.vendor {
            Some(v) => format!(
                "vendor {} for institution {} ({})",
                v.orgnr.as_deref().unwrap_or("?"),
                cfg.institution.orgnr.as_deref().unwrap_or("?"),
                v.mechanism.as_deref().unwrap_or("consumer_org")
            ),
            None => format!(
                "institution {}",
                cfg.institution.orgnr.as_deref().unwrap_or("?")
            ),
        };
        valid.pass(format!("{who}; Maskinporten {}", t.issuer))
    } else {
        valid.fail(
            problems.join("; "),
            format!("fix {source}; {INIT_HINT}"),
            Some(Who::OwnIt),
        )
    });
    // Which vendor mechanism the run will use; a system user is not verified against the agencies.
    if !missing_file {
        if let Ok(d) = cfg.delegation() {
            let m = Check::new(Group::Config, "config.mechanism", "Delegation mechanism");
            out.push(if crate::auth::verified_against_agencies(d) {
                m.pass(crate::auth::mechanism_text(d))
            } else {
                m.warn(
                    format!("{}; {}", crate::auth::mechanism_text(d), crate::auth::SYSTEM_USER_CAVEAT),
                    "reports of this run are labelled accordingly; API delegation (consumer_org) is the mechanism the DSOP pages describe",
                    Some(Who::Altinn),
                )
            });
        }
    }
    out
}
