//! Purchase orders by hand: roles, validation, send, partial receipts, cancel, and the exact columns
//! of the EDI-style CSV export.

use super::{pos, shop};
use juchu_app::{PO_HEADER_COLUMNS, PO_LINE_COLUMNS};
use juchu_testkit::{Backend, TestApp};
use serde_json::json;

juchu_testkit::on_both_backends!(manual_purchase_orders_roles_validation_and_export);

async fn manual_purchase_orders_roles_validation_and_export(b: Backend) {
    let s = shop(TestApp::spawn(b).await).await;
    let api = &s.t.api;
    api.sku(&s.operator, "TEA", 8).await;
    // `supplier:` is the drop-ship namespace, never a warehouse.
    let r = api
        .put(
            "/api/v1/warehouses/supplier:ACME",
            &s.operator,
            &json!({"name": "x", "priority": 9}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (422, Some("code"))
    );
    let storefront = api.key(&s.t.admin, "storefront").await;
    let body = json!({"supplier": "ACME", "warehouse": "TKY",
        "lines": [{"sku": "BEAN", "quantity": 10}, {"sku": "TEA", "quantity": 5}]});
    // Operators write; warehouses receive; everyone reads.
    let r = api
        .post("/api/v1/purchase-orders", &s.warehouse, &body)
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = api
        .post("/api/v1/purchase-orders", &storefront, &body)
        .await;
    assert_eq!(r.status, 403);
    let r = api
        .post(
            "/api/v1/purchase-orders",
            &s.operator,
            &json!({"supplier": "", "warehouse": "NOPE",
                "lines": [{"sku": "GHOST", "quantity": 1}, {"sku": "BEAN", "quantity": 0}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["supplier", "warehouse", "lines[0].sku", "lines[1].quantity"]
    );
    assert!(
        pos(api, &s.operator, "").await.is_empty(),
        "a refused request creates nothing"
    );

    let r = api
        .post("/api/v1/purchase-orders", &s.operator, &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["origin"], "manual");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let receipt = |sku: &str, q: i64| json!({"lines": [{"sku": sku, "quantity": q}]});
    let url = format!("/api/v1/purchase-orders/{id}");
    let r = api
        .post(
            &format!("{url}/receipts"),
            &s.warehouse,
            &receipt("BEAN", 1),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "a draft receives nothing"
    );
    let r = api
        .post(&format!("{url}/send"), &s.warehouse, &json!({}))
        .await;
    assert_eq!(r.status, 403);
    let r = api
        .post(&format!("{url}/send"), &s.operator, &json!({}))
        .await;
    assert_eq!(
        (r.status, &r.body["status"]),
        (200, &json!("sent")),
        "{}",
        r.text
    );
    let r = api
        .post(&format!("{url}/send"), &s.operator, &json!({}))
        .await;
    assert_eq!(r.status, 409);
    let r = api.get(&url, &storefront).await;
    assert_eq!((r.status, &r.body["id"]), (200, &json!(id)));

    // The CSV: H then one L per line, exactly these columns.
    let csv = api
        .get(&format!("{url}/export?format=csv"), &storefront)
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.text.contains("\r\n"), "CRLF line ends");
    let rows: Vec<Vec<&str>> = csv.text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{}", csv.text);
    assert_eq!(rows[0].len(), PO_HEADER_COLUMNS.len());
    assert_eq!(PO_HEADER_COLUMNS.len(), 17);
    let sent_day = r.body["sent_at"].as_str().unwrap().to_owned();
    assert_eq!(
        rows[0][..7],
        ["H", &id, rows[0][2], "ACME", "sent", "warehouse", "TKY"]
    );
    assert_eq!(rows[0][2].len(), 8, "YYYYMMDD: {sent_day}");
    assert_eq!(rows[0][7..], ["", "", "", "", "", "", "", "", "2", "15"]);
    assert_eq!(PO_LINE_COLUMNS.len(), 8);
    assert_eq!(
        rows[1][..7],
        ["L", &id, "1", "BEAN", "珈琲豆 200g", "10", "0"]
    );
    assert_eq!(rows[1][7].len(), 8, "expected date YYYYMMDD");
    assert_eq!(rows[2][..7], ["L", &id, "2", "TEA", "TEA 商品", "5", "0"]);
    assert_eq!(
        rows[2][7], rows[0][2],
        "no lead time: expected the day it was sent"
    );
    let js = api
        .get(&format!("{url}/export?format=json"), &s.operator)
        .await;
    assert_eq!(js.body["lines"][1]["sku"], "TEA");
    let r = api
        .get(&format!("{url}/export?format=xml"), &s.operator)
        .await;
    assert_eq!(r.status, 422);

    // Receipts: partial, over-receipt refused, unknown SKU refused.
    let r = api
        .post(
            &format!("{url}/receipts"),
            &s.warehouse,
            &receipt("BEAN", 4),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["status"]),
        (201, &json!("partially_received")),
        "{}",
        r.text
    );
    let r = api
        .post(
            &format!("{url}/receipts"),
            &s.warehouse,
            &receipt("BEAN", 7),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (422, Some("lines[0].quantity"))
    );
    let r = api
        .post(
            &format!("{url}/receipts"),
            &s.warehouse,
            &receipt("RICE", 1),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (422, Some("lines[0].sku"))
    );
    let r = api
        .post(&format!("{url}/receipts"), &storefront, &receipt("BEAN", 1))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(api.stock_level(&s.operator, "TKY", "BEAN").await, (4, 0));
    let r = api
        .post(
            &format!("{url}/cancel"),
            &s.operator,
            &json!({"reason": "遅延"}),
        )
        .await;
    assert_eq!(r.status, 409, "part has arrived: {}", r.text);

    // Another one, cancelled before anything arrives.
    let r = api.post("/api/v1/purchase-orders", &s.operator, &json!({"supplier": "ACME", "warehouse": "TKY", "lines": [{"sku": "TEA", "quantity": 1}], "send": true})).await;
    assert_eq!(
        (r.status, &r.body["status"]),
        (201, &json!("sent")),
        "{}",
        r.text
    );
    let other = r.body["id"].as_str().unwrap().to_owned();
    let r = api
        .post(
            &format!("/api/v1/purchase-orders/{other}/cancel"),
            &s.operator,
            &json!({"reason": "誤発注"}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["status"]),
        (200, &json!("cancelled")),
        "{}",
        r.text
    );
    let r = api
        .post(
            &format!("/api/v1/purchase-orders/{other}/receipts"),
            &s.warehouse,
            &receipt("TEA", 1),
        )
        .await;
    assert_eq!(r.status, 409);

    // Filters and unknown ids.
    assert_eq!(pos(api, &storefront, "status=cancelled").await.len(), 1);
    assert_eq!(pos(api, &storefront, "supplier=ACME").await.len(), 2);
    assert_eq!(pos(api, &storefront, "supplier=OTHER").await.len(), 0);
    let r = api
        .get("/api/v1/purchase-orders?status=bogus", &s.operator)
        .await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"));
    let r = api
        .get("/api/v1/purchase-orders/not-an-id", &s.operator)
        .await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = api
        .get(
            "/api/v1/purchase-orders/0190c5f2-0000-7000-8000-000000000000",
            &s.operator,
        )
        .await;
    assert_eq!(r.status, 404);
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
