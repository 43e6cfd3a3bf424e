//! Amazon Pay v2 over HTTP: charge permission, authorise → capture → refund, captureNow, declines,
//! cancel, amount limits, expiry on the sandbox clock, the idempotency header.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

fn jpy(v: &str) -> serde_json::Value {
    json!({"amount": v, "currencyCode": "JPY"})
}

#[tokio::test]
async fn authorise_capture_refund() {
    let sb = start_default().await;
    let (s, p) = post_json(
        &sb,
        "/_sandbox/amazon/charge-permissions",
        &json!({"chargePermissionId": "S03-0001", "amountLimit": jpy("12000")}),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let p = get_json(&sb, "/amazonpay/v2/chargePermissions/S03-0001").await;
    assert_eq!(p["statusDetails"]["state"], "Chargeable");
    assert_eq!(p["limits"]["amountLimit"]["amount"], "12000");

    let (s, c) = post_json(&sb, "/amazonpay/v2/charges", &json!({"chargePermissionId": "S03-0001", "chargeAmount": jpy("10000"), "captureNow": false})).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["statusDetails"]["state"], "Authorized");
    let id = c["chargeId"].as_str().expect("id").to_owned();
    // Over the permission's limit.
    let (s, e) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-0001", "chargeAmount": jpy("2001")}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(e["reasonCode"], "TransactionAmountExceeded");

    let cap = json!({"captureAmount": jpy("10000")});
    let (s, c) = post_json(&sb, &format!("/amazonpay/v2/charges/{id}/capture"), &cap).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["statusDetails"]["state"], "Captured");
    assert_eq!(c["captureAmount"]["amount"], "10000");
    let (s, e) = post_json(&sb, &format!("/amazonpay/v2/charges/{id}/capture"), &cap).await;
    assert_eq!(s, 422);
    assert_eq!(e["reasonCode"], "InvalidChargeStatus");
    let (s, e) = send_json(
        &sb,
        Method::DELETE,
        &format!("/amazonpay/v2/charges/{id}/cancel"),
        None,
        &[],
    )
    .await;
    assert_eq!(s, 422, "{e}");

    let refund = json!({"chargeId": id, "refundAmount": jpy("4000")});
    let key = [("x-amz-pay-idempotency-key", "rf-1")];
    let (s, r1) = send_json(
        &sb,
        Method::POST,
        "/amazonpay/v2/refunds",
        Some(&refund),
        &key,
    )
    .await;
    assert_eq!(s, 201, "{r1}");
    assert_eq!(r1["statusDetails"]["state"], "Refunded");
    let (s, r2) = send_json(
        &sb,
        Method::POST,
        "/amazonpay/v2/refunds",
        Some(&refund),
        &key,
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(r1, r2, "a retried refund is the same refund");
    let (s, e) = post_json(
        &sb,
        "/amazonpay/v2/refunds",
        &json!({"chargeId": id, "refundAmount": jpy("6001")}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(e["reasonCode"], "TransactionAmountExceeded");
    let got = get_json(
        &sb,
        &format!(
            "/amazonpay/v2/refunds/{}",
            r1["refundId"].as_str().expect("rid")
        ),
    )
    .await;
    assert_eq!(got["refundAmount"]["amount"], "4000");
    assert_eq!(
        get_json(&sb, &format!("/amazonpay/v2/charges/{id}")).await["refundedAmount"]["amount"],
        "4000"
    );

    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "amazon_pay", &id, 10000),
            mv("capture", "amazon_pay", &id, 10000),
            mv("refund", "amazon_pay", &id, 4000),
        ]
    );
}

#[tokio::test]
async fn capture_now_decline_cancel_and_expiry() {
    let sb = start_default().await;
    let (s, c) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-now", "chargeAmount": jpy("500"), "captureNow": true}),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(c["statusDetails"]["state"], "Captured");
    let now_id = c["chargeId"].as_str().expect("id").to_owned();

    let (s, c) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-declined-1", "chargeAmount": jpy("500")}),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(c["statusDetails"]["state"], "Declined");
    assert_eq!(c["statusDetails"]["reasonCode"], "HardDeclined");

    let (s, e) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-closed", "chargeAmount": jpy("500")}),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(e["reasonCode"], "InvalidChargePermissionStatus");
    let (s, e) = post_json(&sb, "/amazonpay/v2/charges", &json!({"chargePermissionId": "S03-x", "chargeAmount": {"amount": "5", "currencyCode": "USD"}})).await;
    assert_eq!(s, 400);
    assert!(e["message"].as_str().unwrap_or("").contains("JPY"), "{e}");

    let (_, c) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-c", "chargeAmount": jpy("700")}),
    )
    .await;
    let cancel_id = c["chargeId"].as_str().expect("id").to_owned();
    for _ in 0..2 {
        let (s, c) = send_json(
            &sb,
            Method::DELETE,
            &format!("/amazonpay/v2/charges/{cancel_id}/cancel"),
            Some(&json!({"cancellationReason": "buyer"})),
            &[],
        )
        .await;
        assert_eq!(s, 200, "{c}");
        assert_eq!(c["statusDetails"]["state"], "Canceled");
    }

    let (_, c) = post_json(
        &sb,
        "/amazonpay/v2/charges",
        &json!({"chargePermissionId": "S03-e", "chargeAmount": jpy("900")}),
    )
    .await;
    let exp_id = c["chargeId"].as_str().expect("id").to_owned();
    post_json(&sb, "/_sandbox/clock", &json!({"advance_days": 31})).await;
    let c = get_json(&sb, &format!("/amazonpay/v2/charges/{exp_id}")).await;
    assert_eq!(c["statusDetails"]["state"], "Canceled");
    assert_eq!(c["statusDetails"]["reasonCode"], "ExpiredUnused");
    let (s, _) = post_json(
        &sb,
        &format!("/amazonpay/v2/charges/{exp_id}/capture"),
        &json!({"captureAmount": jpy("900")}),
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = send_json(&sb, Method::GET, "/amazonpay/v2/charges/nope", None, &[]).await;
    assert_eq!(s, 404);

    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "amazon_pay", &now_id, 500),
            mv("capture", "amazon_pay", &now_id, 500),
            mv("authorise", "amazon_pay", &cancel_id, 700),
            mv("void", "amazon_pay", &cancel_id, 700),
            mv("authorise", "amazon_pay", &exp_id, 900),
            mv("void", "amazon_pay", &exp_id, 900),
        ]
    );
}
