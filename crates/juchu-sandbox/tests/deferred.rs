//! NP後払い-style deferred payment over HTTP: approve → update → shipment report, decline,
//! pending resolved later and polled, refusals after the report, cancel, whole-batch validation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn tx(id: &str, email: &str, amount: i64) -> Value {
    json!({
        "shop_transaction_id": id,
        "shop_order_date": "2026-11-27",
        "settlement_type": "02",
        "billed_amount": amount,
        "customer": {"customer_name": "山田太郎", "zip_code": "1000001", "address": "東京都千代田区千代田1-1",
                     "tel": "0312345678", "email": email},
        "goods": [{"goods_name": "りんご", "goods_price": amount, "quantity": 1}]
    })
}

#[tokio::test]
async fn approve_update_report_and_refuse_update_after_the_report() {
    let sb = start_default().await;
    let (s, r) = post_json(
        &sb,
        "/np/v1/transactions",
        &json!({"transactions": [tx("o-1", "taro@example.jp", 3300)]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let res = &r["results"][0];
    assert_eq!(res["authori_result"], "00");
    assert_eq!(res["shop_transaction_id"], "o-1");
    let id = res["np_transaction_id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 11);

    let (s, r) = send_json(
        &sb,
        Method::PATCH,
        "/np/v1/transactions/update",
        Some(&json!({"transactions": [{"np_transaction_id": id, "billed_amount": 2800}]})),
        &[],
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["results"][0]["billed_amount"], 2800);

    // An unknown carrier code refuses the report, nothing applied.
    let (s, r) = post_json(&sb, "/np/v1/shipments", &json!({"transactions": [{"np_transaction_id": id, "pd_company_code": "12345", "slip_no": "1234-5678-9012"}]})).await;
    assert_eq!(s, 400);
    assert_eq!(r["errors"][0]["codes"][0], "INVALID_PD_COMPANY_CODE");
    let ship = json!({"transactions": [{"np_transaction_id": id, "pd_company_code": "59010", "slip_no": "1234-5678-9012"}]});
    let (s, r) = post_json(&sb, "/np/v1/shipments", &ship).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["results"][0]["np_transaction_id"], id.as_str());
    // The same report again is acknowledged, not invoiced twice.
    let (s, _) = post_json(&sb, "/np/v1/shipments", &ship).await;
    assert_eq!(s, 200);

    let (s, r) = send_json(
        &sb,
        Method::PATCH,
        "/np/v1/transactions/update",
        Some(&json!({"transactions": [{"np_transaction_id": id, "billed_amount": 1000}]})),
        &[],
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(r["errors"][0]["codes"][0], "ALREADY_REPORTED");
    assert_eq!(r["errors"][0]["id"], id.as_str());

    let got = get_json(&sb, &format!("/np/v1/transactions/{id}")).await;
    assert_eq!(got["status"], "reported");
    assert_eq!(got["pd_company_code"], "59010");

    // Cancel after the report refunds.
    let (s, _) = send_json(
        &sb,
        Method::PATCH,
        "/np/v1/transactions/cancel",
        Some(&json!({"transactions": [{"np_transaction_id": id}]})),
        &[],
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "deferred", &id, 3300),
            mv("void", "deferred", &id, 3300),
            mv("authorise", "deferred", &id, 2800),
            mv("capture", "deferred", &id, 2800),
            mv("refund", "deferred", &id, 2800),
        ]
    );
}

#[tokio::test]
async fn decline_pending_resolved_and_cancel_before_report() {
    let sb = start_default().await;
    let (s, r) = post_json(
        &sb,
        "/np/v1/transactions",
        &json!({"transactions": [
            tx("o-dec", "hanako+decline@example.jp", 5000),
            tx("o-pend", "jiro+pending@example.jp", 7000),
            tx("o-ok", "saburo@example.jp", 1000),
        ]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let res = r["results"].as_array().expect("results");
    assert_eq!(res[0]["authori_result"], "20");
    assert_eq!(res[0]["authori_ng"], "RE003");
    assert_eq!(res[1]["authori_result"], "10");
    assert_eq!(res[1]["authori_hold"], json!(["RE014"]));
    assert_eq!(res[2]["authori_result"], "00");
    let dec = res[0]["np_transaction_id"].as_str().expect("id").to_owned();
    let pend = res[1]["np_transaction_id"].as_str().expect("id").to_owned();
    let ok = res[2]["np_transaction_id"].as_str().expect("id").to_owned();

    // Registering o-ok again returns its first result (a retried registration).
    let (_, again) = post_json(
        &sb,
        "/np/v1/transactions",
        &json!({"transactions": [tx("o-ok", "saburo@example.jp", 1000)]}),
    )
    .await;
    assert_eq!(again["results"][0]["np_transaction_id"], ok.as_str());

    // A pending transaction cannot be reported yet; a declined one cannot be reported or updated.
    let (s, r) = post_json(
        &sb,
        "/np/v1/shipments",
        &json!({"transactions": [
        {"np_transaction_id": pend, "pd_company_code": "50000", "slip_no": "400000000001"},
        {"np_transaction_id": dec, "pd_company_code": "50000", "slip_no": "400000000002"}]}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(r["errors"][0]["codes"][0], "NOT_AUTHORIZED");
    assert_eq!(r["errors"][1]["codes"][0], "DECLINED");

    // The client polls; the provider decides later.
    let (_, polled) = post_json(
        &sb,
        "/np/v1/authorizations/find",
        &json!({"transactions": [{"np_transaction_id": pend}]}),
    )
    .await;
    assert_eq!(polled["results"][0]["authori_result"], "10");
    let (s, r) = post_json(
        &sb,
        &format!("/_sandbox/deferred/{pend}/resolve"),
        &json!({"result": "00"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (_, polled) = post_json(
        &sb,
        "/np/v1/authorizations/find",
        &json!({"transactions": [{"np_transaction_id": pend}]}),
    )
    .await;
    assert_eq!(polled["results"][0]["authori_result"], "00");
    assert!(polled["results"][0].get("authori_hold").is_none());
    let (s, _) = post_json(
        &sb,
        &format!("/_sandbox/deferred/{pend}/resolve"),
        &json!({"result": "20"}),
    )
    .await;
    assert_eq!(s, 409);
    let (s, _) = post_json(
        &sb,
        &format!("/_sandbox/deferred/{pend}/resolve"),
        &json!({"result": "99"}),
    )
    .await;
    assert_eq!(s, 422);

    // Cancel before the report voids; cancelling again changes nothing.
    for _ in 0..2 {
        let (s, _) = send_json(
            &sb,
            Method::PATCH,
            "/np/v1/transactions/cancel",
            Some(&json!({"transactions": [{"np_transaction_id": ok}]})),
            &[],
        )
        .await;
        assert_eq!(s, 200);
    }
    let (s, r) = post_json(
        &sb,
        "/np/v1/authorizations/find",
        &json!({"transactions": [{"np_transaction_id": "NP999999999"}]}),
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(r["errors"][0]["codes"][0], "NOT_FOUND");

    assert_eq!(
        ledger(&sb).await,
        vec![
            mv("authorise", "deferred", &ok, 1000),
            mv("authorise", "deferred", &pend, 7000),
            mv("void", "deferred", &ok, 1000),
        ]
    );
}

#[tokio::test]
async fn one_bad_transaction_refuses_the_whole_batch() {
    let sb = start_default().await;
    let mut bad = tx("o-bad", "no-at-sign", 0);
    bad["settlement_type"] = json!("03");
    let (s, r) = post_json(
        &sb,
        "/np/v1/transactions",
        &json!({"transactions": [tx("o-good", "a@example.jp", 100), bad]}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(r["errors"][0]["id"], "o-bad");
    assert_eq!(
        r["errors"][0]["codes"],
        json!([
            "INVALID_BILLED_AMOUNT",
            "INVALID_SETTLEMENT_TYPE",
            "INVALID_CUSTOMER_EMAIL"
        ])
    );
    let (s, r) = post_json(&sb, "/np/v1/transactions", &json!({"nope": 1})).await;
    assert_eq!(s, 400);
    assert_eq!(r["errors"][0]["codes"][0], "INVALID_BODY");
    assert!(ledger(&sb).await.is_empty());
}
