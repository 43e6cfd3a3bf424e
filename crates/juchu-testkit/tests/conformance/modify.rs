//! 注文変更: PATCH /api/v1/orders/{id} — totals, allocation and payment follow, or nothing changes.

use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    quantities_and_lines_change_with_allocation_and_payment,
    a_declined_card_is_replaced_and_the_order_moves_on,
    policy_and_payment_refusals_change_nothing,
);

async fn setup(b: Backend) -> (TestApp, String, String) {
    let t = TestApp::spawn(b).await;
    let op = t.api.key(&t.admin, "operator").await;
    let sf = t.api.key(&t.admin, "storefront").await;
    t.api.warehouse(&op, "TKY", 1).await;
    t.api.sku(&op, "A", 10).await;
    t.api.sku(&op, "B", 8).await;
    t.api.stock(&op, "TKY", "A", 5).await;
    t.api.stock(&op, "TKY", "B", 5).await;
    (t, op, sf)
}

async fn patch(
    t: &TestApp,
    token: &str,
    id: &str,
    body: &Value,
    version: Option<i64>,
) -> juchu_testkit::Resp {
    let v = version.map(|v| v.to_string());
    let headers: Vec<(&str, &str)> = v
        .as_deref()
        .map(|v| vec![("If-Match", v)])
        .unwrap_or_default();
    t.api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/orders/{id}"),
            Some(token),
            Some(body),
            &headers,
        )
        .await
}

async fn quantities_and_lines_change_with_allocation_and_payment(b: Backend) {
    let (t, op, _) = setup(b).await;
    let api = &t.api;
    let r = api
        .post(
            "/api/v1/orders",
            &op,
            &order_body("M-1", &[("A", 4, 1000), ("B", 1, 540)], "credit_card"),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = api.wait_status(&op, &id, "allocated").await;
    let (a, bl) = (
        o["lines"][0]["id"].as_str().unwrap().to_owned(),
        o["lines"][1]["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(api.stock_level(&op, "TKY", "A").await, (5, 4));

    // Fewer A: exactly the excess goes back to stock; the card authorisation shrinks with the total.
    let r = patch(
        &t,
        &op,
        &id,
        &json!({"lines": [{"line_id": a, "quantity": 1}, {"line_id": bl, "quantity": 1}]}),
        Some(o["version"].as_i64().unwrap()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["totals"]["total"], 1540);
    assert_eq!(r.body["payment"]["authorized_amount"], 1540);
    assert_eq!(r.body["status"], "allocated");
    assert_eq!(api.stock_level(&op, "TKY", "A").await, (5, 1));
    let auth_before = r.body["payment"]["authorization_id"].clone();

    // More than there is, plus a new line, B removed: the card is authorised again for the higher
    // total, B's stock is released, and the order waits for the rest of A.
    let r = patch(&t, &op, &id, &json!({"lines": [{"line_id": a, "quantity": 7}, {"sku": "B", "quantity": 2, "unit_price": 500}]}), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["totals"]["items"], 8000);
    assert_eq!(r.body["payment"]["authorized_amount"], 8000);
    assert_ne!(r.body["payment"]["authorization_id"], auth_before);
    assert_ne!(
        r.body["lines"][1]["id"],
        bl.as_str(),
        "a new line has a new id"
    );
    api.wait_idle(&t.admin).await;
    let o = api.order(&op, &id).await;
    assert_eq!(o["status"], "partially_allocated");
    assert_eq!(o["lines"][0]["allocated_quantity"], 5);
    assert_eq!(o["lines"][1]["allocated_quantity"], 2);
    assert_eq!(api.stock_level(&op, "TKY", "B").await, (5, 2));
    let events = api.get(&format!("/api/v1/orders/{id}/events"), &op).await;
    let modified: Vec<&Value> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "order.modified")
        .collect();
    assert_eq!(modified.len(), 2);
    assert_eq!(
        modified[1]["data"]["total"],
        json!({"before": 1540, "after": 8000})
    );
    api.invariants_ok(&t.admin).await;
    t.stop().await;
}

async fn a_declined_card_is_replaced_and_the_order_moves_on(b: Backend) {
    let (t, op, sf) = setup(b).await;
    let api = &t.api;
    let mut body = order_body("M-2", &[("A", 1, 1000)], "credit_card");
    body["payment"]["card_token"] = json!("tok_declined");
    let r = api.post("/api/v1/orders", &sf, &body).await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = api.wait_status(&sf, &id, "unallocated").await;
    assert_eq!(o["holds"][0]["code"], "payment_declined");
    // The customer enters another card.
    let r = patch(
        &t,
        &sf,
        &id,
        &json!({"payment": {"method": "credit_card", "card_token": "tok_visa_2"}}),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "authorized");
    assert!(r.body["holds"].as_array().unwrap().is_empty());
    api.wait_status(&op, &id, "allocated").await;
    t.stop().await;
}

async fn policy_and_payment_refusals_change_nothing(b: Backend) {
    let (t, op, sf) = setup(b).await;
    let api = &t.api;
    let r = api
        .post(
            "/api/v1/orders",
            &sf,
            &order_body("M-3", &[("A", 1, 1000)], "cod"),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = api.wait_status(&op, &id, "allocated").await;
    let line = o["lines"][0]["id"].as_str().unwrap().to_owned();
    // Customers modify only before allocation (the default policy).
    let r = patch(&t, &sf, &id, &json!({"notes": "置き配希望"}), None).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    let r = patch(
        &t,
        &op,
        &id,
        &json!({"payment": {"method": "bank_transfer"}}),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    let r = patch(&t, &op, &id, &json!({"lines": []}), None).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    let r = patch(
        &t,
        &op,
        &id,
        &json!({"lines": [{"line_id": line, "quantity": 0}]}),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    let r = patch(&t, &op, &id, &json!({"colour": "red"}), None).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    let r = patch(
        &t,
        &op,
        &id,
        &json!({"notes": "x"}),
        Some(o["version"].as_i64().unwrap() - 1),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (412, "version_conflict"),
        "{}",
        r.text
    );
    assert_eq!(api.order(&op, &id).await, o);
    // Operators may change the address until shipping is instructed, then not.
    let addr = json!({"name": "山田 花子", "postal_code": "530-0001", "prefecture": "大阪府", "city": "大阪市北区", "line1": "梅田1-1"});
    let r = patch(&t, &op, &id, &json!({"shipping_address": addr}), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["shipping_address"]["postal_code"], "5300001");
    api.post(
        "/api/v1/shipping-instructions",
        &op,
        &json!({"order_ids": [id]}),
    )
    .await;
    let before = api.order(&op, &id).await;
    let r = patch(&t, &op, &id, &json!({"notes": "too late"}), None).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    assert_eq!(api.order(&op, &id).await, before);
    assert_eq!(api.stock_level(&op, "TKY", "A").await, (5, 1));
    t.stop().await;
}
