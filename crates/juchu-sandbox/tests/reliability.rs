//! A retrying client against a sandbox that fails 30 % of calls and times out 5 % (applied, then
//! slow): 200 card orders authorised and captured concurrently, each exactly once on the ledger.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::*;
use juchu_sandbox::{FaultConfig, SandboxConfig};
use std::collections::HashMap;
use std::time::Duration;

/// POST a GMO call until it answers 200 within the client timeout, always with the same key.
async fn call(
    c: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    key: &str,
) -> HashMap<String, String> {
    for _ in 0..100 {
        let r = c
            .post(url)
            .header("Idempotency-Key", key)
            .form(form)
            .send()
            .await;
        if let Ok(r) = r
            && r.status() == 200
            && let Ok(body) = r.text().await
        {
            return serde_urlencoded::from_str::<Vec<(String, String)>>(&body)
                .unwrap()
                .into_iter()
                .collect();
        }
    }
    panic!("{url} never succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_orders_through_failures_and_timeouts_capture_once_each() {
    let sb = start(SandboxConfig {
        faults: FaultConfig {
            failure_rate: 0.3,
            timeout_rate: 0.05,
            timeout_ms: 300,
            seed: Some(2026),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let c = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let base = sb.url();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..200 {
        let (c, base) = (c.clone(), base.clone());
        set.spawn(async move {
            let order = format!("rel-{i}");
            let amount = (1000 + i).to_string();
            let e = call(
                &c,
                &format!("{base}/payment/EntryTran.idPass"),
                &[("OrderID", &order), ("JobCd", "AUTH"), ("Amount", &amount)],
                &format!("{order}-entry"),
            )
            .await;
            let (id, pass) = (e["AccessID"].clone(), e["AccessPass"].clone());
            let x = call(
                &c,
                &format!("{base}/payment/ExecTran.idPass"),
                &[
                    ("AccessID", &id),
                    ("AccessPass", &pass),
                    ("Token", "tok_ok"),
                ],
                &format!("{order}-exec"),
            )
            .await;
            assert!(!x.contains_key("ErrCode"), "{x:?}");
            let s = call(
                &c,
                &format!("{base}/payment/AlterTran.idPass"),
                &[
                    ("AccessID", &id),
                    ("AccessPass", &pass),
                    ("JobCd", "SALES"),
                    ("Amount", &amount),
                ],
                &format!("{order}-sales"),
            )
            .await;
            assert!(!s.contains_key("ErrCode"), "{s:?}");
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    // Let the slow (timed-out) answers finish before reading the ledger.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let entries = sb.ledger();
    let totals = juchu_sandbox::totals(&entries);
    assert_eq!(totals.len(), 200);
    for t in &totals {
        let i: i64 = t.reference.trim_start_matches("rel-").parse().unwrap();
        assert_eq!(
            (t.authorised, t.captured, t.voided, t.refunded),
            (1000 + i, 1000 + i, 0, 0),
            "{t:?}"
        );
    }
    assert_eq!(
        entries.len(),
        400,
        "one authorise and one capture per order"
    );
}
