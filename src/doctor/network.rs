//! DNS, TCP and TLS to each host of the environment (Maskinporten, the three Skatteetaten hosts, the NAV
//! gateway). Hosts are resolved by DNS; no IP address is hard-coded. A blocked connection names the firewall
//! opening to order; the proxy in use is reported, and a TLS-inspecting proxy is named when the server
//! certificate is not issued by a public CA.

use super::{Check, CheckStatus, DoctorOptions, Group, Target, Who};
use std::net::SocketAddr;

/// One host the harness talks to.
#[derive(Clone, Debug)]
pub struct Host {
    /// `maskinporten`, `inntekt`, `inntektsmottakere`, `tjenestepensjonsavtale`, `aareg`.
    pub role: &'static str,
    pub label: &'static str,
    pub url: String,
}

/// The hosts of the target environment, from configuration.
pub fn hosts(t: &Target) -> Vec<Host> {
    let e = &t.endpoints;
    vec![
        Host {
            role: "maskinporten",
            label: "Maskinporten",
            url: t.token_endpoint.clone(),
        },
        Host {
            role: "inntekt",
            label: "Skatteetaten Inntekt",
            url: e.inntekt.clone(),
        },
        Host {
            role: "inntektsmottakere",
            label: "Skatteetaten Inntektsmottakere",
            url: e.inntektsmottakere.clone(),
        },
        Host {
            role: "tjenestepensjonsavtale",
            label: "Skatteetaten Tjenestepensjonsavtale",
            url: e.tjenestepensjonsavtale.clone(),
        },
        Host {
            role: "aareg",
            label: "NAV Aa-registeret (gateway)",
            url: e.aareg.clone(),
        },
    ]
}

/// Issuer names of TLS-inspecting proxies, and the product to name.
const INSPECTORS: [(&str, &str); 16] = [
    ("zscaler", "Zscaler"),
    ("fortinet", "Fortinet FortiGate"),
    ("fortigate", "Fortinet FortiGate"),
    ("palo alto", "Palo Alto Networks"),
    ("netskope", "Netskope"),
    ("cisco umbrella", "Cisco Umbrella"),
    ("sophos", "Sophos"),
    ("check point", "Check Point"),
    ("checkpoint", "Check Point"),
    ("forcepoint", "Forcepoint"),
    ("blue coat", "Blue Coat / Symantec ProxySG"),
    ("proxysg", "Blue Coat / Symantec ProxySG"),
    ("barracuda", "Barracuda"),
    ("skyhigh", "Skyhigh / McAfee Web Gateway"),
    ("mcafee", "Skyhigh / McAfee Web Gateway"),
    ("kaspersky", "Kaspersky"),
];

/// Public CAs the agencies' hosts are expected to chain to (matched in the leaf's issuer DN).
const PUBLIC_CAS: [&str; 18] = [
    "digicert",
    "globalsign",
    "let's encrypt",
    "isrg",
    "sectigo",
    "comodo",
    "usertrust",
    "buypass",
    "commfides",
    "microsoft",
    "amazon",
    "google trust services",
    "godaddy",
    "entrust",
    "baltimore",
    "geotrust",
    "thawte",
    "harica",
];

/// What the issuer of the server certificate says about the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainVerdict {
    PublicCa,
    /// A known TLS-inspecting product.
    Inspector(&'static str),
    Unknown,
}

pub fn classify_issuer(issuer_dn: &str) -> ChainVerdict {
    let dn = issuer_dn.to_lowercase();
    if let Some((_, name)) = INSPECTORS.iter().find(|(k, _)| dn.contains(k)) {
        return ChainVerdict::Inspector(name);
    }
    if PUBLIC_CAS.iter().any(|k| dn.contains(k)) {
        ChainVerdict::PublicCa
    } else {
        ChainVerdict::Unknown
    }
}

/// The proxy configured for `url` by the environment (what reqwest uses), with credentials hidden.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyUse {
    /// The proxy URL without user info.
    pub url: String,
    /// The variable it came from.
    pub var: String,
    pub host: String,
    pub port: u16,
}

fn env_var(names: &[&str]) -> Option<(String, String)> {
    names.iter().find_map(|n| {
        std::env::var(n)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (n.to_string(), v))
    })
}

fn no_proxy_matches(no_proxy: &str, host: &str) -> bool {
    if no_proxy.split(',').any(|s| s.trim() == "*") {
        return true;
    }
    no_proxy
        .split(',')
        .map(|s| s.trim().trim_start_matches('*').to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .any(|e| {
            host == e.trim_start_matches('.')
                || (e.starts_with('.') && host.ends_with(&e))
                || host.ends_with(&format!(".{e}"))
        })
}

/// The proxy for `url`, from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (either case) unless `NO_PROXY` exempts it.
pub fn proxy_for(url: &reqwest::Url) -> Option<ProxyUse> {
    let host = url.host_str()?.to_ascii_lowercase();
    if let Some((_, np)) = env_var(&["NO_PROXY", "no_proxy"]) {
        if no_proxy_matches(&np, &host) {
            return None;
        }
    }
    let names: &[&str] = if url.scheme() == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let (var, raw) = env_var(names)?;
    let with_scheme = if raw.contains("://") {
        raw
    } else {
        format!("http://{raw}")
    };
    let mut p = reqwest::Url::parse(&with_scheme).ok()?;
    let _ = p.set_username("");
    let _ = p.set_password(None);
    let port = p.port_or_known_default().unwrap_or(8080);
    Some(ProxyUse {
        url: p.to_string(),
        var,
        host: p.host_str()?.to_string(),
        port,
    })
}

fn nc(kind: &str, h: &Host, name: &str) -> Check {
    Check::new(
        Group::Network,
        format!("network.{kind}.{}", h.role),
        format!("{name} {}", h.label),
    )
}

fn firewall_action(host: &str, port: u16, addrs: &[SocketAddr], via_proxy: bool) -> String {
    let ips: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    if via_proxy {
        format!(
            "A-7: the proxy must be reachable and allow CONNECT to {host}:{port}; ask your IT to open it"
        )
    } else {
        format!(
            "A-7: ask your IT for a firewall opening for outbound TCP {port} from this machine to {host}{} \
             (Skatteetaten publishes two address pairs with test and prod swapped between two pages: open both; \
             Maskinporten's addresses are on Digdir's pages)",
            if ips.is_empty() {
                String::new()
            } else {
                format!(" (now {})", ips.join(", "))
            }
        )
    }
}

/// The proxy line and DNS/TCP/TLS per host.
pub async fn checks(t: &Target, opts: &DoctorOptions) -> Vec<Check> {
    let hs = hosts(t);
    let mut out = Vec::new();
    let proxies: Vec<(String, Option<ProxyUse>)> = hs
        .iter()
        .filter_map(|h| reqwest::Url::parse(&h.url).ok())
        .map(|u| (u.host_str().unwrap_or("").to_string(), proxy_for(&u)))
        .collect();
    let used: Vec<&ProxyUse> = proxies.iter().filter_map(|(_, p)| p.as_ref()).collect();
    let proxy_check = Check::new(Group::Network, "network.proxy", "Proxy");
    out.push(match used.first() {
        None => proxy_check.pass(
            "no proxy: connections go direct (HTTPS_PROXY/HTTP_PROXY/ALL_PROXY not set, or NO_PROXY exempts the hosts)",
        ),
        Some(p) => proxy_check.pass(format!(
            "{} (from {}), for {} of {} hosts",
            p.url,
            p.var,
            used.len(),
            hs.len()
        )),
    });
    let tls_client = reqwest::Client::builder()
        .connect_timeout(opts.timeout)
        .timeout(opts.timeout)
        .tls_info(true)
        .user_agent(concat!("dsop-harness-doctor/", env!("CARGO_PKG_VERSION")))
        .build();
    for h in &hs {
        out.extend(host_checks(h, opts, tls_client.as_ref().ok()).await);
    }
    out
}

async fn host_checks(h: &Host, opts: &DoctorOptions, tls: Option<&reqwest::Client>) -> Vec<Check> {
    let mut out = Vec::new();
    let url = match reqwest::Url::parse(&h.url) {
        Ok(u) if u.host_str().is_some() => u,
        _ => {
            out.push(nc("dns", h, "DNS").fail(
                format!("{:?} is not a URL", h.url),
                "fix the URL in [profile.<env>]",
                Some(Who::OwnIt),
            ));
            return out;
        }
    };
    let host = url.host_str().unwrap_or("").to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let proxy = proxy_for(&url);
    // DNS
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(
        opts.timeout,
        tokio::net::lookup_host((host.trim_matches(['[', ']']), port)),
    )
    .await
    {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => {
            let c = nc("dns", h, "DNS");
            out.push(match &proxy {
                Some(p) => c.warn(
                    format!("{host} does not resolve here ({e}); the proxy {} resolves it", p.url),
                    "",
                    None,
                ),
                None => c.fail(
                    format!("{host} does not resolve: {e}"),
                    "ask your IT to check DNS on this machine (or the host name in [profile.<env>] is wrong)",
                    Some(Who::OwnIt),
                ),
            });
            Vec::new()
        }
        Err(_) => {
            out.push(nc("dns", h, "DNS").fail(
                format!("resolving {host} timed out"),
                "ask your IT to check DNS on this machine",
                Some(Who::OwnIt),
            ));
            Vec::new()
        }
    };
    if !addrs.is_empty() {
        let ips: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
        out.push(nc("dns", h, "DNS").pass(format!("{host} → {}", ips.join(", "))));
    }
    // TCP (to the proxy when one is used)
    let targets: Vec<SocketAddr> = match &proxy {
        Some(p) => match tokio::net::lookup_host((p.host.as_str(), p.port)).await {
            Ok(a) => a.collect(),
            Err(_) => Vec::new(),
        },
        None => addrs.clone(),
    };
    let tcp = nc("tcp", h, "TCP");
    if targets.is_empty() {
        out.push(match &proxy {
            Some(p) => tcp.fail(
                format!("the proxy {} (from {}) does not resolve", p.url, p.var),
                format!("fix {} or ask your IT for the proxy's address", p.var),
                Some(Who::OwnIt),
            ),
            None => tcp.skip("no address to connect to"),
        });
        out.push(nc("tls", h, "TLS").skip("no TCP connection"));
        return out;
    }
    let mut last_err = String::new();
    let mut connected = None;
    for a in &targets {
        match tokio::time::timeout(opts.timeout, tokio::net::TcpStream::connect(a)).await {
            Ok(Ok(_)) => {
                connected = Some(*a);
                break;
            }
            Ok(Err(e)) => last_err = format!("{a}: {e}"),
            Err(_) => last_err = format!("{a}: no answer within {} s", opts.timeout.as_secs()),
        }
    }
    match connected {
        Some(a) => out.push(tcp.pass(match &proxy {
            Some(p) => format!("proxy {} reached at {a}", p.url),
            None => format!("{host}:{port} reached at {a}"),
        })),
        None => {
            out.push(tcp.fail(
                format!(
                    "{} blocked or closed ({last_err})",
                    match &proxy {
                        Some(p) => format!("the proxy {}", p.url),
                        None => format!("{host}:{port}"),
                    }
                ),
                firewall_action(&host, port, &addrs, proxy.is_some()),
                Some(Who::OwnIt),
            ));
            out.push(nc("tls", h, "TLS").skip("no TCP connection"));
            return out;
        }
    }
    // TLS
    let tls_check = nc("tls", h, "TLS");
    if url.scheme() != "https" {
        out.push(tls_check.skip(format!(
            "{} is plain http (simulator or override): no TLS",
            h.url
        )));
        return out;
    }
    let Some(client) = tls else {
        out.push(tls_check.skip("the TLS probe client could not be built"));
        return out;
    };
    let base = format!("https://{}/", url.authority());
    out.push(match client.get(&base).send().await {
        Ok(resp) => {
            let issuer = resp
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .and_then(|i| i.peer_certificate())
                .and_then(|der| crate::auth::cert::cert_info(der).ok())
                .map(|i| i.issuer);
            match issuer.as_deref().map(|i| (i, classify_issuer(i))) {
                Some((i, ChainVerdict::PublicCa)) => tls_check.pass(format!("verified; issued by {i}")),
                Some((i, ChainVerdict::Inspector(name))) => tls_check.warn(
                    format!("verified, but the certificate is issued by {i}: a TLS-inspecting proxy ({name}) sits in the path"),
                    format!("ask your IT to exempt {host} from TLS inspection ({name}); the agencies' hosts should be reached end to end"),
                    Some(Who::OwnIt),
                ),
                Some((i, ChainVerdict::Unknown)) => tls_check.warn(
                    format!("verified, but issued by {i}, not a public CA: probably a TLS-inspecting proxy"),
                    format!("ask your IT whether {host} goes through TLS inspection and exempt it"),
                    Some(Who::OwnIt),
                ),
                None => tls_check.pass("verified"),
            }
        }
        Err(e) => {
            let msg = crate::apis::describe_reqwest_error(&e);
            let inspect = msg.contains("UnknownIssuer") || msg.contains("unknown issuer");
            tls_check.fail(
                format!("the TLS handshake with {host} failed: {msg}"),
                if inspect {
                    format!(
                        "the server certificate does not lead to a trusted CA: a TLS-inspecting proxy is likely in the \
                         path. Ask your IT to exempt {host} from inspection (or to install its root CA on this machine)"
                    )
                } else {
                    format!("ask your IT to check the route to {host} (proxy, firewall, TLS inspection)")
                },
                Some(Who::OwnIt),
            )
        }
    });
    out
}

/// True when the TCP check of `role` failed (API checks then say "see network").
pub fn blocked(checks: &[Check], role: &str) -> bool {
    checks
        .iter()
        .any(|c| c.id == format!("network.tcp.{role}") && c.status == CheckStatus::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_classified() {
        assert_eq!(
            classify_issuer("CN=Zscaler Intermediate Root CA, O=Zscaler Inc."),
            ChainVerdict::Inspector("Zscaler")
        );
        assert_eq!(
            classify_issuer("CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US"),
            ChainVerdict::PublicCa
        );
        assert_eq!(
            classify_issuer("CN=Corp Root, O=Example AS"),
            ChainVerdict::Unknown
        );
    }

    #[test]
    fn no_proxy_rules() {
        assert!(no_proxy_matches(
            ".skatteetaten-test.no",
            "inntekt.api.skatteetaten-test.no"
        ));
        assert!(no_proxy_matches(
            "skatteetaten-test.no",
            "inntekt.api.skatteetaten-test.no"
        ));
        assert!(no_proxy_matches("*", "maskinporten.no"));
        assert!(!no_proxy_matches("nav.no", "maskinporten.no"));
    }
}
