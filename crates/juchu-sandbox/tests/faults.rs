//! Fault injection over HTTP: seeded failure-rate statistics, failures never applied,
//! apply-then-timeout recovered through the idempotency key, timeouts that do not apply.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::*;
use juchu_sandbox::{FaultConfig, SandboxConfig};
use serde_json::json;
use std::time::Duration;

fn jpy(v: &str) -> serde_json::Value {
    json!({"amount": v, "currencyCode": "JPY"})
}

async fn outcomes(seed: u64, n: usize) -> Vec<bool> {
    let sb = start(SandboxConfig {
        faults: FaultConfig {
            failure_rate: 0.3,
            seed: Some(seed),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let c = client();
    let mut out = vec![];
    for _ in 0..n {
        let r = c
            .post(format!("{}/payment/SearchTrade.idPass", sb.url()))
            .form(&[("OrderID", "none")])
            .send()
            .await
            .expect("request");
        let failed = r.status() == 503;
        if failed {
            assert_eq!(
                r.text().await.expect("body"),
                "ErrCode=E90&ErrInfo=E90000001"
            );
        }
        out.push(failed);
    }
    sb.stop().await;
    out
}

#[tokio::test]
async fn failure_rate_with_a_seed_is_reproducible_and_near_the_rate() {
    let a = outcomes(7, 1000).await;
    let failed = a.iter().filter(|f| **f).count();
    assert!(
        (250..=350).contains(&failed),
        "{failed} of 1000 failed at rate 0.3"
    );
    let b = outcomes(7, 1000).await;
    assert_eq!(a, b, "the same seed gives the same faults");
    let c = outcomes(8, 1000).await;
    assert_ne!(a, c);
}

#[tokio::test]
async fn a_failed_call_applies_nothing() {
    let sb = start_default().await;
    let (s, _) = post_json(&sb, "/_sandbox/faults", &json!({"failure_rate": 1.0})).await;
    assert_eq!(s, 200);
    let (s, e) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-f", "chargeAmount": jpy("100")}),
    )
    .await;
    assert_eq!(s, 503);
    assert_eq!(e["reasonCode"], "ServiceUnavailable");
    let (s, e) = post_json(&sb, "/np/v1/transactions", &json!({"transactions": []})).await;
    assert_eq!(s, 503);
    assert_eq!(e["errors"][0]["codes"][0], "SANDBOX_FAULT");
    // Control endpoints are never faulted.
    assert_eq!(get_json(&sb, "/_sandbox/faults").await["failure_rate"], 1.0);
    assert!(ledger(&sb).await.is_empty());

    let (s, e) = post_json(&sb, "/_sandbox/faults", &json!({"failure_rate": 1.5})).await;
    assert_eq!(s, 422);
    assert_eq!(e["error"], "invalid_faults");
    let (s, _) = post_json(&sb, "/_sandbox/faults", &json!({"nonsense": 1})).await;
    assert_eq!(s, 422);
    let (s, e) = post_json(&sb, "/_sandbox/nowhere", &json!({})).await;
    assert_eq!(s, 404);
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("/_sandbox/nowhere"),
        "{e}"
    );
}

#[tokio::test]
async fn a_timed_out_capture_is_applied_and_the_retry_replays_it() {
    let sb = start_default().await;
    post_json(&sb, "/_sandbox/faults", &json!({"timeout_ms": 1500})).await;
    let (_, c) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-t", "chargeAmount": jpy("1200")}),
    )
    .await;
    let id = c["chargeId"].as_str().expect("id").to_owned();
    let url = format!("{}/amazonpay/v2/charges/{id}/capture", sb.url());
    let body = json!({"captureAmount": jpy("1200")});
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let r = impatient
        .post(&url)
        .header("x-amz-pay-idempotency-key", "cap-1")
        .header("X-Sandbox-Fault", "timeout")
        .json(&body)
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()), "the client gave up");
    // The capture happened although the client never heard of it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        get_json(&sb, &format!("/amazonpay/v2/charges/{id}")).await["statusDetails"]["state"],
        "Captured"
    );
    // The retry with the same key gets the original answer; nothing is captured twice.
    let r = client()
        .post(&url)
        .header("x-amz-pay-idempotency-key", "cap-1")
        .json(&body)
        .send()
        .await
        .expect("retry");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["statusDetails"]["state"], "Captured");
    // The key with another body is refused.
    let (s, e) = send_json(
        &sb,
        reqwest::Method::POST,
        &format!("/amazonpay/v2/charges/{id}/capture"),
        Some(&json!({"captureAmount": jpy("1")})),
        &[("x-amz-pay-idempotency-key", "cap-1")],
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(e["error"], "idempotency_key_reused");
    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "amazon_pay", &id, 1200),
            mv("capture", "amazon_pay", &id, 1200)
        ]
    );
}

#[tokio::test]
async fn a_timeout_that_does_not_apply_answers_504() {
    let sb = start_default().await;
    post_json(
        &sb,
        "/_sandbox/faults",
        &json!({"timeout_ms": 50, "timeout_applies": false, "timeout_rate": 1.0}),
    )
    .await;
    let (s, _) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-n", "chargeAmount": jpy("100")}),
    )
    .await;
    assert_eq!(s, 504);
    assert!(ledger(&sb).await.is_empty());
}
