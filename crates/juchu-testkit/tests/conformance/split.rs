//! 注文分割: split by lines and quantities, and split off the allocated part so it ships now.

use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    split_off_the_allocated_part_ships_now,
    split_by_lines_divides_fees_and_adds_up,
    refused_splits_change_nothing,
);

async fn setup(b: Backend) -> (TestApp, String) {
    let t = TestApp::spawn(b).await;
    let op = t.api.key(&t.admin, "operator").await;
    t.api.warehouse(&op, "TKY", 1).await;
    t.api.sku(&op, "A", 10).await;
    t.api.sku(&op, "B", 8).await;
    (t, op)
}

fn total(o: &Value, key: &str) -> i64 {
    o["totals"][key].as_i64().unwrap()
}

async fn split_off_the_allocated_part_ships_now(b: Backend) {
    let (t, op) = setup(b).await;
    let api = &t.api;
    api.stock(&op, "TKY", "A", 2).await;
    api.stock(&op, "TKY", "B", 1).await;
    let mut body = order_body("SP-1", &[("A", 2, 1100), ("B", 3, 540)], "credit_card");
    body["shipping_fee"] = json!(550);
    let r = api.post("/api/v1/orders", &op, &body).await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let before = api.wait_status(&op, &id, "partially_allocated").await;

    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split-allocated"),
            &op,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (orig, new) = (&r.body["original"], &r.body["split"]);
    assert_eq!(new["parent_id"], id.as_str());
    assert_eq!(new["status"], "allocated");
    assert_eq!(orig["status"], "unallocated");
    let new_lines: Vec<(String, i64)> = new["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(new_lines, [("A".to_owned(), 2), ("B".to_owned(), 1)]);
    assert_eq!(orig["lines"].as_array().unwrap().len(), 1);
    assert_eq!(orig["lines"][0]["quantity"], 2);
    for key in [
        "items",
        "shipping_fee",
        "fees",
        "discount",
        "points_used",
        "total",
    ] {
        assert_eq!(
            total(orig, key) + total(new, key),
            total(&before, key),
            "{key} adds up"
        );
    }
    // The card part got its own authorisation for its own amount.
    assert_eq!(new["payment"]["status"], "authorized");
    assert_eq!(new["payment"]["authorized_amount"], new["totals"]["total"]);
    assert_eq!(
        orig["payment"]["authorized_amount"],
        orig["totals"]["total"]
    );
    assert_ne!(
        new["payment"]["authorization_id"],
        orig["payment"]["authorization_id"]
    );
    // Stock did not move; the allocations did.
    assert_eq!(api.stock_level(&op, "TKY", "A").await, (2, 2));
    assert_eq!(api.stock_level(&op, "TKY", "B").await, (1, 1));
    api.invariants_ok(&t.admin).await;
    let events = api.get(&format!("/api/v1/orders/{id}/events"), &op).await;
    assert!(
        events
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "order.split")
    );

    // The split part ships now; the original waits and completes when stock arrives.
    let new_id = new["id"].as_str().unwrap().to_owned();
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &op,
            &json!({"order_ids": [new_id]}),
        )
        .await;
    assert_eq!(
        r.body["batches"][0]["shipments"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    api.stock(&op, "TKY", "B", 2).await;
    api.wait_status(&op, &id, "allocated").await;
    api.invariants_ok(&t.admin).await;
    t.stop().await;
}

async fn split_by_lines_divides_fees_and_adds_up(b: Backend) {
    let (t, op) = setup(b).await;
    let api = &t.api;
    api.stock(&op, "TKY", "A", 5).await;
    api.stock(&op, "TKY", "B", 5).await;
    let mut body = order_body("SP-2", &[("A", 1, 1000), ("B", 2, 1000)], "cod");
    body["shipping_fee"] = json!(550);
    body["discount"] = json!(100);
    body["fees"] = json!([{"kind": "cod", "amount": 330}]);
    let r = api.post("/api/v1/orders", &op, &body).await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let before = api.wait_status(&op, &id, "allocated").await;
    let b_line = before["lines"][1]["id"].as_str().unwrap().to_owned();
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split"),
            &op,
            &json!({"lines": [{"line_id": b_line, "quantity": 2}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (orig, new) = (&r.body["original"], &r.body["split"]);
    // B is 2/3 of the items: the new part takes floor(2/3 of each), the remainder stays.
    assert_eq!(
        new["lines"][0]["id"],
        b_line.as_str(),
        "a whole line keeps its id"
    );
    assert_eq!(total(new, "shipping_fee"), 366);
    assert_eq!(total(orig, "shipping_fee"), 184);
    assert_eq!(total(new, "discount"), 66);
    assert_eq!(total(new, "fees"), 220);
    for key in ["items", "shipping_fee", "fees", "discount", "total"] {
        assert_eq!(
            total(orig, key) + total(new, key),
            total(&before, key),
            "{key} adds up"
        );
    }
    assert_eq!(new["status"], "allocated");
    assert_eq!(orig["status"], "allocated");
    assert_eq!(new["payment"]["status"], "on_delivery");
    api.invariants_ok(&t.admin).await;
    t.stop().await;
}

async fn refused_splits_change_nothing(b: Backend) {
    let (t, op) = setup(b).await;
    let api = &t.api;
    api.stock(&op, "TKY", "A", 5).await;
    let r = api
        .post(
            "/api/v1/orders",
            &op,
            &order_body("SP-3", &[("A", 2, 1000)], "cod"),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = api.wait_status(&op, &id, "allocated").await;
    let line = o["lines"][0]["id"].as_str().unwrap().to_owned();
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split"),
            &op,
            &json!({"lines": [{"line_id": line, "quantity": 2}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "moving everything: {}",
        r.text
    );
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split"),
            &op,
            &json!({"lines": [{"line_id": "01890000-0000-7000-8000-000000000000", "quantity": 1}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split-allocated"),
            &op,
            &json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split"),
            &t.admin,
            &json!({"lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let w = api.key(&t.admin, "warehouse").await;
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split"),
            &w,
            &json!({"lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await;
    assert_eq!(r.status, 403);
    api.post(
        "/api/v1/shipping-instructions",
        &op,
        &json!({"order_ids": [id]}),
    )
    .await;
    let before = api.order(&op, &id).await;
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/split"),
            &op,
            &json!({"lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    assert_eq!(api.order(&op, &id).await, before);
    let counts = api.get("/api/v1/orders/counts", &op).await;
    assert_eq!(counts.body["shipping_instructed"], 1);
    assert_eq!(counts.body["allocated"], 1);
    t.stop().await;
}
