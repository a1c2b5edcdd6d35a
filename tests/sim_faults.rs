//! Fault injection on the wire (docs/simulator.md §11), against the real simulator over HTTP: each fault kind
//! looks to a client as it would from a real server, and a seed gives the same faults to the same requests
//! whatever the order they arrive in.

use chrono::NaiveDate;
use dsop_harness::sim::{start, SimConfig, SimHandle};
use std::time::Duration;

async fn sim(faults: &str) -> SimHandle {
    let mut cfg = SimConfig::new(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    cfg.faults = Some(faults.into());
    start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// What a client sees: the status and whether the body arrived whole, or the transport error's kind.
async fn outcome(c: &reqwest::Client, url: &str) -> String {
    match c.get(url).send().await {
        Err(e) if e.is_timeout() => "timeout".into(),
        Err(_) => "transport error".into(),
        Ok(r) => {
            let status = r.status().as_u16();
            let retry = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(|v| {
                    if v.parse::<u64>().is_ok() {
                        " retry-after seconds"
                    } else if chrono::DateTime::parse_from_rfc2822(v).is_ok() {
                        " retry-after date"
                    } else {
                        " retry-after ?"
                    }
                })
                .unwrap_or("");
            match r.bytes().await {
                Ok(_) => format!("{status}{retry}"),
                Err(e) if e.is_timeout() => format!("{status} body timeout"),
                Err(_) => format!("{status} body broken"),
            }
        }
    }
}

fn url(h: &SimHandle, i: usize) -> String {
    format!(
        "{}/otp/1283851006{}/inntekter?fraOgMed=2026-10",
        h.urls().inntekt,
        i % 10
    ) + &format!("&n={i}")
}

#[tokio::test]
async fn each_kind_on_the_wire() {
    let c = client();
    let h = sim("reset=1@inntekt").await;
    assert_eq!(outcome(&c, &url(&h, 1)).await, "transport error");
    let h = sim("cut=1@inntekt").await;
    assert_eq!(outcome(&c, &url(&h, 1)).await, "200 body broken");
    let h = sim("body_timeout=1@inntekt").await;
    assert_eq!(outcome(&c, &url(&h, 1)).await, "200 body timeout");
    let h = sim("429=1@inntekt,retry_after=seconds").await;
    assert_eq!(outcome(&c, &url(&h, 1)).await, "429 retry-after seconds");
    let h = sim("429=1@inntekt,retry_after=date").await;
    assert_eq!(outcome(&c, &url(&h, 1)).await, "429 retry-after date");
    let h = sim("5xx=1@inntekt").await;
    assert_eq!(outcome(&c, &url(&h, 1)).await, "500");
    // No fault: the API's own answer (no token: 401).
    let h = sim("5xx=1@aareg").await;
    assert_eq!(outcome(&c, &url(&h, 1)).await, "401");
}

#[tokio::test]
async fn a_seed_gives_the_same_faults_whatever_the_order() {
    let spec = "seed=11,5xx=0.2,reset=0.1,cut=0.1,429=0.15,storm=2";
    let c = client();
    let (a, b) = (sim(spec).await, sim(spec).await);
    let n = 30;
    // a: in order, one at a time, each request twice in a row.
    let mut xa = Vec::new();
    for i in 0..n {
        for _ in 0..2 {
            xa.push((i, outcome(&c, &url(&a, i)).await));
        }
    }
    // b: reversed, all first occurrences concurrently, then all second occurrences concurrently.
    let mut xb = Vec::new();
    for _ in 0..2 {
        let round = futures_util::future::join_all((0..n).rev().map(|i| {
            let (c, u) = (c.clone(), url(&b, i));
            async move { (i, outcome(&c, &u).await) }
        }))
        .await;
        xb.extend(round);
    }
    xa.sort();
    xb.sort();
    assert_eq!(xa, xb);
    let faulted = xa.iter().filter(|(_, o)| o != "401").count();
    assert!(faulted > 0 && faulted < xa.len(), "{xa:?}");
}
