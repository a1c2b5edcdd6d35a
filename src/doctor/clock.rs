//! Clock skew against Maskinporten: its `Date` header (fails past 10 s), then one grant, because Maskinporten
//! itself refuses a grant whose `iat` is more than 10 s off its clock ("Issue time is after now", MP-130).

use super::{Check, DoctorOptions, Group, Target, Who};
use crate::auth::{explain_error, MaskinportenClient};

const NTP: &str =
    "synchronise this machine's clock with NTP (e.g. `timedatectl set-ntp true`, or Windows time \
                   service); Maskinporten accepts grants only within 10 s of its clock";

/// True when a Maskinporten error is about time.
pub fn is_time_error(error_description: &str) -> bool {
    error_description.contains("MP-130") || error_description.contains("Issue time is after now")
}

pub async fn checks(
    t: &Target,
    mp: Option<&MaskinportenClient>,
    opts: &DoctorOptions,
) -> Vec<Check> {
    let c = Check::new(Group::Clock, "clock.skew", "Clock vs Maskinporten");
    let url = format!(
        "{}/.well-known/oauth-authorization-server",
        t.issuer.trim_end_matches('/')
    );
    let before = chrono::Utc::now();
    let resp = t.http.get(&url).timeout(opts.timeout).send().await;
    let after = chrono::Utc::now();
    let header_note = match resp {
        Err(e) => {
            return vec![c.skip(format!(
                "Maskinporten could not be reached ({}); see the network checks",
                crate::apis::describe_reqwest_error(&e)
            ))]
        }
        Ok(r) => {
            let date = r
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| chrono::DateTime::parse_from_rfc2822(s).ok());
            match date {
                None => "no Date header in Maskinporten's answer".to_string(),
                Some(d) => {
                    let mid = before + (after - before) / 2;
                    // Date has whole seconds: the server's clock lies in [d, d + 1 s).
                    let skew = mid.timestamp() - d.timestamp();
                    if skew.abs() > opts.max_clock_skew_secs {
                        return vec![c.fail(
                            format!(
                                "this machine's clock is {} s {} Maskinporten's (Date header {})",
                                skew.abs(),
                                if skew > 0 { "ahead of" } else { "behind" },
                                d.to_rfc2822()
                            ),
                            NTP,
                            Some(Who::OwnIt),
                        )];
                    }
                    format!(
                        "within {} s of Maskinporten's Date header",
                        skew.abs().max(1)
                    )
                }
            }
        }
    };
    // Maskinporten's own judgement: one grant.
    let Some(mp) = mp else {
        return vec![c.pass(header_note)];
    };
    match mp.request(crate::model::SCOPES[0]).await {
        Ok(r) if r.status != 200 => {
            let desc = r
                .body
                .as_ref()
                .and_then(|b| b.get("error_description"))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            if is_time_error(&desc) {
                let err = r
                    .body
                    .as_ref()
                    .and_then(|b| b.get("error"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                vec![c.fail(
                    format!(
                        "Maskinporten refuses the grant's time: {} ({header_note})",
                        explain_error(err, &desc)
                    ),
                    NTP,
                    Some(Who::OwnIt),
                )]
            } else {
                vec![c.pass(format!(
                    "{header_note} (the probe grant was refused for another reason: see the token checks)"
                ))]
            }
        }
        Ok(_) => vec![c.pass(format!(
            "{header_note}; Maskinporten accepted the grant's time"
        ))],
        Err(_) => vec![c.pass(header_note)],
    }
}
