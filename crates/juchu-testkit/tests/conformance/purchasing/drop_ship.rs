//! Drop-shipping (直送) end to end: lines of a drop-ship SKU are allocated to the supplier without
//! touching stock, a drop-ship purchase order carries the customer's address, goes out with the
//! shipping instruction, and the supplier's shipment report ships that part like a warehouse would.

use super::{pos, wait_for};
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    drop_ship_order_end_to_end,
    drop_ship_purchase_order_follows_cancel_and_plain_shipment_reports,
);

struct Shop {
    t: TestApp,
    operator: String,
    warehouse: String,
}

/// TKY stocks TOWEL; VASE is drop-shipped by KYOTO.
async fn shop(b: Backend) -> Shop {
    let t = TestApp::spawn(b).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    let r = t
        .api
        .put(
            "/api/v1/skus/VASE",
            &operator,
            &json!({"name": "有田焼 花瓶", "tax_rate": 10, "supplier": "KYOTO", "drop_ship": true, "lead_time_days": 5}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // A drop-ship SKU needs its supplier.
    let r = t
        .api
        .put(
            "/api/v1/skus/BAD",
            &operator,
            &json!({"name": "x", "tax_rate": 10, "drop_ship": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (422, Some("drop_ship"))
    );
    assert_eq!(
        t.api.stock(&warehouse, "TKY", "TOWEL", 10).await.status,
        201
    );
    Shop {
        t,
        operator,
        warehouse,
    }
}

async fn drop_ship_po(s: &Shop, order: &str, status: &str) -> Value {
    wait_for(
        &format!("the drop-ship purchase order of {order} {status}"),
        || async {
            let items = pos(&s.t.api, &s.operator, &format!("order_id={order}")).await;
            items.into_iter().find(|p| p["status"] == status)
        },
    )
    .await
}

fn shipment_of<'a>(order: &'a Value, warehouse: &str) -> &'a Value {
    order["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["warehouse"] == warehouse)
        .unwrap_or_else(|| panic!("no shipment from {warehouse}: {order}"))
}

async fn drop_ship_order_end_to_end(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let body = order_body(
        "D-1",
        &[("VASE", 1, 8800), ("TOWEL", 2, 1980)],
        "credit_card",
    );
    let r = api.post("/api/v1/orders", &s.operator, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = api.wait_status(&s.operator, &id, "allocated").await;
    let vase = o["lines"][0]["id"].clone();
    let allocs = o["allocations"].as_array().unwrap();
    let to_supplier = allocs.iter().find(|a| a["line_id"] == vase).unwrap();
    assert_eq!(to_supplier["warehouse"], "supplier:KYOTO");
    assert_eq!(to_supplier["reason"], "drop-ship from KYOTO");
    // No stock row for the supplier; TKY reserves only the towels.
    let stock = api.get("/api/v1/stock?sku=VASE", &s.operator).await;
    assert_eq!(stock.body["items"], json!([]));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (10, 2));

    // The drop-ship purchase order: a draft with the customer's address.
    let po = drop_ship_po(&s, &id, "draft").await;
    let po_id = po["id"].as_str().unwrap().to_owned();
    assert_eq!(po["drop_ship"], true);
    assert_eq!(po["origin"], "drop_ship");
    assert_eq!(po["supplier"], "KYOTO");
    assert_eq!(po["warehouse"], "supplier:KYOTO");
    assert_eq!(po["ship_to"], o["shipping_address"]);
    assert_eq!(po["order_number"], o["number"]);
    assert_eq!(po["lines"][0]["sku"], "VASE");
    assert_eq!(po["lines"][0]["quantity"], 1);
    assert_eq!(po["lines"][0]["line_id"], vase);
    // It goes out with the shipping instruction, and ships only once sent.
    let r = api
        .post(
            &format!("/api/v1/purchase-orders/{po_id}/send"),
            &s.operator,
            &json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    let report = json!({"carrier": "sagawa", "tracking_number": "123456789013"});
    let r = api
        .post(
            &format!("/api/v1/purchase-orders/{po_id}/ship"),
            &s.operator,
            &report,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );

    // Shipping instruction: one shipment per warehouse, the supplier being one.
    let r = api
        .post("/api/v1/shipping-instructions", &s.warehouse, &json!({}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut batches: Vec<&str> = r.body["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["warehouse"].as_str().unwrap())
        .collect();
    batches.sort_unstable();
    assert_eq!(batches, ["TKY", "supplier:KYOTO"]);
    let o = api.order(&s.operator, &id).await;
    let from_supplier = shipment_of(&o, "supplier:KYOTO")["id"].clone();
    let from_tky = shipment_of(&o, "TKY")["id"].as_str().unwrap().to_owned();
    let po = drop_ship_po(&s, &id, "sent").await;
    assert_eq!(po["shipment_id"], from_supplier);
    assert_eq!(
        po["lines"][0]["expected_date"].as_str().map(str::len),
        Some(10)
    );

    // The EDI file for the supplier names the customer.
    let csv = api
        .get(
            &format!("/api/v1/purchase-orders/{po_id}/export?format=csv"),
            &s.operator,
        )
        .await;
    assert_eq!(csv.status, 200);
    let header: Vec<&str> = csv.text.lines().next().unwrap().split(',').collect();
    assert_eq!(header[0], "H");
    assert_eq!(header[5], "drop_ship");
    assert_eq!(header[7], o["number"].to_string());
    assert_eq!(header[8], "山田 太郎");
    assert_eq!(header[9], "1000001");

    // The supplier reports its shipment: that part ships and its share is captured.
    let r = api
        .post(
            &format!("/api/v1/purchase-orders/{po_id}/ship"),
            &s.operator,
            &report,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    assert_eq!(r.body["carrier"], "sagawa");
    assert_eq!(r.body["tracking_number"], "123456789013");
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "shipping_instructed");
    let part = shipment_of(&o, "supplier:KYOTO");
    assert_eq!(part["status"], "shipped");
    assert_eq!(o["payment"]["captured_amount"], part["amount"]);
    assert_eq!(o["lines"][0]["shipped_quantity"], 1);
    // Reporting again changes nothing.
    let r = api
        .post(
            &format!("/api/v1/purchase-orders/{po_id}/ship"),
            &s.operator,
            &report,
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // The warehouse ships the rest: the order is shipped and fully captured.
    let r = api
        .post(
            &format!("/api/v1/shipments/{from_tky}/ship"),
            &s.warehouse,
            &json!({"carrier": "yamato", "tracking_number": "4444-1375-8703"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    assert_eq!(r.body["payment"]["status"], "captured");
    assert_eq!(
        r.body["payment"]["captured_amount"],
        r.body["totals"]["total"]
    );
    for sh in r.body["shipments"].as_array().unwrap() {
        let r = api
            .post(
                &format!("/api/v1/shipments/{}/deliver", sh["id"].as_str().unwrap()),
                &s.warehouse,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    api.wait_status(&s.operator, &id, "recognized").await;
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (8, 0));
    let m = api
        .get("/api/v1/stock/movements?sku=VASE", &s.operator)
        .await;
    assert_eq!(m.body["items"], json!([]), "drop-ship moves no stock");
    let events = api
        .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
        .await;
    let kinds: Vec<&str> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in [
        "purchase_order.created",
        "purchase_order.sent",
        "purchase_order.shipped",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn drop_ship_purchase_order_follows_cancel_and_plain_shipment_reports(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    // Cancelling the order cancels its purchase order.
    let r = api
        .post(
            "/api/v1/orders",
            &s.operator,
            &order_body("D-2", &[("VASE", 2, 8800)], "credit_card"),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &id, "allocated").await;
    let po = drop_ship_po(&s, &id, "draft").await;
    let r = api
        .post(
            &format!(
                "/api/v1/purchase-orders/{}/cancel",
                po["id"].as_str().unwrap()
            ),
            &s.operator,
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 409, "it follows the order: {}", r.text);
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            &s.operator,
            &json!({"reason": "顧客都合"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["allocations"], json!([]));
    drop_ship_po(&s, &id, "cancelled").await;

    // The supplier may also report through the ordinary shipment endpoint.
    let r = api
        .post(
            "/api/v1/orders",
            &s.operator,
            &order_body("D-3", &[("VASE", 1, 8800)], "credit_card"),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &id, "allocated").await;
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.operator,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shipment = r.body["batches"][0]["shipments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    drop_ship_po(&s, &id, "sent").await;
    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/ship"),
            &s.operator,
            &json!({"carrier": "japanpost", "tracking_number": "12345678901"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    let po = drop_ship_po(&s, &id, "shipped").await;
    assert_eq!(po["tracking_number"], "12345678901");
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
