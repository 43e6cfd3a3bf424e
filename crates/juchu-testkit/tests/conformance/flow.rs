//! An order travels the whole flow; cancellation releases exactly its stock.

use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    whole_flow_received_to_recognized,
    cancel_before_shipped_releases_exactly_its_stock,
    cancel_after_shipped_is_refused_and_changes_nothing,
    tax_is_computed_once_per_rate,
    short_stock_waits_then_allocates_on_arrival,
);

struct Shop {
    t: TestApp,
    operator: String,
    warehouse: String,
    storefront: String,
}

async fn shop(b: Backend) -> Shop {
    let t = TestApp::spawn(b).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    let storefront = t.api.key(&t.admin, "storefront").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    t.api.sku(&operator, "TEA", 8).await;
    assert_eq!(
        t.api.stock(&warehouse, "TKY", "TOWEL", 10).await.status,
        201
    );
    assert_eq!(t.api.stock(&warehouse, "TKY", "TEA", 5).await.status, 201);
    Shop {
        t,
        operator,
        warehouse,
        storefront,
    }
}

fn statuses_in_history(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "order.status_changed")
        .map(|e| e["data"]["to"].as_str().unwrap().to_owned())
        .collect()
}

async fn whole_flow_received_to_recognized(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let body = order_body(
        "W-1001",
        &[("TOWEL", 2, 1980), ("TEA", 1, 540)],
        "credit_card",
    );
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "received");
    assert_eq!(r.body["totals"]["total"], 4500);
    let id = r.body["id"].as_str().unwrap().to_owned();

    let o = api.wait_status(&s.operator, &id, "allocated").await;
    assert_eq!(o["payment"]["status"], "authorized");
    assert_eq!(o["payment"]["authorized_amount"], 4500);
    assert_eq!(o["allocations"].as_array().unwrap().len(), 2);
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (10, 2));

    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"warehouse": "TKY"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let batch = &r.body["batches"][0];
    assert_eq!(batch["warehouse"], "TKY");
    assert_eq!(batch["shipments"].as_array().unwrap().len(), 1);
    let shipment = batch["shipments"][0]["id"].as_str().unwrap().to_owned();
    let batch_id = batch["id"].as_str().unwrap().to_owned();
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "shipping_instructed");

    let csv = api
        .get(
            &format!("/api/v1/shipping-instructions/{batch_id}/export?format=csv"),
            &s.warehouse,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(
        csv.text.lines().count(),
        3,
        "header + two lines:\n{}",
        csv.text
    );
    assert!(csv.text.contains(&o["number"].to_string()));
    let js = api
        .get(
            &format!("/api/v1/shipping-instructions/{batch_id}/export?format=json"),
            &s.warehouse,
        )
        .await;
    assert_eq!(js.body["shipments"][0]["ship_to"]["postal_code"], "1000001");

    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/ship"),
            &s.warehouse,
            &json!({"carrier": "yamato", "tracking_number": "4444-1375-8703"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    assert_eq!(r.body["payment"]["status"], "captured");
    assert_eq!(r.body["payment"]["captured_amount"], 4500);
    let sh = &r.body["shipments"][0];
    assert_eq!(sh["tracking_number"], "444413758703");
    assert_eq!(
        sh["tracking_url"],
        "https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=444413758703"
    );
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (8, 0));
    // Found by its tracking number.
    let found = api.get("/api/v1/orders?q=444413758703", &s.operator).await;
    assert_eq!(found.body["items"][0]["id"], id.as_str());

    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/deliver"),
            &s.warehouse,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "delivered");
    api.wait_status(&s.operator, &id, "recognized").await;

    let events = api
        .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
        .await;
    assert_eq!(
        statuses_in_history(&events.body),
        [
            "unallocated",
            "allocated",
            "shipping_instructed",
            "shipped",
            "delivered",
            "recognized"
        ]
    );
    assert_eq!(events.body[0]["kind"], "order.received");
    let counts = api.get("/api/v1/orders/counts", &s.operator).await;
    assert_eq!(counts.body["recognized"], 1);
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn cancel_before_shipped_releases_exactly_its_stock(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let keep = api
        .post(
            "/api/v1/orders",
            &s.storefront,
            &order_body("K-1", &[("TOWEL", 3, 1000)], "cod"),
        )
        .await;
    let gone = api
        .post(
            "/api/v1/orders",
            &s.storefront,
            &order_body("G-1", &[("TOWEL", 4, 1000), ("TEA", 2, 500)], "credit_card"),
        )
        .await;
    let (keep, gone) = (
        keep.body["id"].as_str().unwrap().to_owned(),
        gone.body["id"].as_str().unwrap().to_owned(),
    );
    api.wait_status(&s.operator, &keep, "allocated").await;
    let o = api.wait_status(&s.operator, &gone, "allocated").await;
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (10, 7));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (5, 2));

    let v = o["version"].to_string();
    let r = api
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{gone}/cancel"),
            Some(&s.operator),
            Some(&json!({"reason": "お客様都合"})),
            &[("If-Match", &v)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["payment"]["status"], "voided");
    assert!(r.body["allocations"].as_array().unwrap().is_empty());
    assert_eq!(
        api.stock_level(&s.operator, "TKY", "TOWEL").await,
        (10, 3),
        "only the cancelled order's 4 are released"
    );
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (5, 0));
    assert_eq!(api.order(&s.operator, &keep).await["status"], "allocated");
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn cancel_after_shipped_is_refused_and_changes_nothing(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let r = api
        .post(
            "/api/v1/orders",
            &s.storefront,
            &order_body("S-1", &[("TEA", 2, 540)], "cod"),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &id, "allocated").await;
    // A customer may not cancel once stock is allocated (the default policy).
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            &s.storefront,
            &json!({"reason": "やっぱり不要"}),
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
            "/api/v1/shipping-instructions",
            &s.operator,
            &json!({"order_ids": [id]}),
        )
        .await;
    let shipment = r.body["batches"][0]["shipments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/ship"),
            &s.warehouse,
            &json!({"carrier": "sagawa", "tracking_number": "512547514334"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = api.order(&s.operator, &id).await;
    let stock_before = api.stock_level(&s.operator, "TKY", "TEA").await;
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            &s.operator,
            &json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["current_status"], "shipped");
    assert_eq!(api.order(&s.operator, &id).await, before);
    assert_eq!(
        api.stock_level(&s.operator, "TKY", "TEA").await,
        stock_before
    );
    s.t.stop().await;
}

async fn tax_is_computed_once_per_rate(b: Backend) {
    let s = shop(b).await;
    let body = order_body(
        "T-1",
        &[
            ("TOWEL", 1, 105),
            ("TOWEL", 1, 105),
            ("TOWEL", 1, 105),
            ("TEA", 2, 1080),
        ],
        "cod",
    );
    let r = s.t.api.post("/api/v1/orders", &s.storefront, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let tax = &r.body["totals"]["tax"];
    assert_eq!(
        tax[0],
        json!({"rate": 10, "base": 315, "tax": 28}),
        "three lines of ¥105 carry ¥28, not ¥27"
    );
    assert_eq!(tax[1], json!({"rate": 8, "base": 2160, "tax": 160}));
    s.t.stop().await;
}

async fn short_stock_waits_then_allocates_on_arrival(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let first = api
        .post(
            "/api/v1/orders",
            &s.storefront,
            &order_body("P-1", &[("TEA", 8, 540)], "cod"),
        )
        .await;
    let first = first.body["id"].as_str().unwrap().to_owned();
    let o = api
        .wait_status(&s.operator, &first, "partially_allocated")
        .await;
    assert_eq!(o["lines"][0]["allocated_quantity"], 5);
    let second = api
        .post(
            "/api/v1/orders",
            &s.storefront,
            &order_body("P-2", &[("TEA", 2, 540)], "cod"),
        )
        .await;
    let second = second.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &second, "unallocated").await;
    api.wait_idle(&s.t.admin).await;
    // 3 arrive: the first order (earlier) completes; the second still waits for 2.
    assert_eq!(api.stock(&s.warehouse, "TKY", "TEA", 3).await.status, 201);
    api.wait_status(&s.operator, &first, "allocated").await;
    api.wait_idle(&s.t.admin).await;
    assert_eq!(
        api.order(&s.operator, &second).await["status"],
        "unallocated"
    );
    assert_eq!(api.stock(&s.warehouse, "TKY", "TEA", 2).await.status, 201);
    api.wait_status(&s.operator, &second, "allocated").await;
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (10, 10));
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
