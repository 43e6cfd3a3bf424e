//! 分納: with `partial_shipments`, instructing ships the allocated part of a partially allocated
//! order as its own order (totals add up, the rest waits for stock); without it, nothing ships.

use crate::carriers::shop_on;
use juchu_domain::policy::Policies;
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::json;

juchu_testkit::on_both_backends!(
    allocated_part_ships_when_policy_allows,
    nothing_ships_early_by_default,
);

/// A shop with one towel in stock and an order for two towels and a tea.
async fn short_of_towels(policies: Policies, b: Backend) -> (crate::carriers::Shop, String) {
    let s = shop_on(TestApp::spawn_with(b, policies).await).await;
    let api = &s.t.api;
    assert_eq!(
        api.stock(&s.warehouse, "TKY", "TOWEL", -49).await.status,
        201
    );
    let r = api
        .post(
            "/api/v1/orders",
            &s.storefront,
            &order_body("P-1", &[("TOWEL", 2, 1980), ("TEA", 1, 540)], "credit_card"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &id, "partially_allocated")
        .await;
    (s, id)
}

async fn allocated_part_ships_when_policy_allows(b: Backend) {
    let policies = Policies {
        partial_shipments: true,
        ..Policies::default()
    };
    let (s, id) = short_of_towels(policies, b).await;
    let api = &s.t.api;
    let r = api
        .post("/api/v1/shipping-instructions", &s.warehouse, &json!({}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shipments = r.body["batches"][0]["shipments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(shipments.len(), 1, "{}", r.text);
    let part_id = shipments[0]["order_id"].as_str().unwrap().to_owned();
    assert_ne!(part_id, id, "the allocated part ships as its own order");
    let part = api.order(&s.operator, &part_id).await;
    assert_eq!(part["parent_id"], id.as_str());
    assert_eq!(part["status"], "shipping_instructed");
    let qty = |o: &serde_json::Value, sku: &str| {
        o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["sku"] == sku)
            .map(|l| l["quantity"].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!((qty(&part, "TOWEL"), qty(&part, "TEA")), (1, 1));
    let rest = api.order(&s.operator, &id).await;
    assert_eq!((qty(&rest, "TOWEL"), qty(&rest, "TEA")), (1, 0));
    assert_eq!(rest["status"], "unallocated", "the rest waits for stock");
    let total = |o: &serde_json::Value| o["totals"]["total"].as_i64().unwrap();
    assert_eq!(total(&part) + total(&rest), 4500, "the parts add up");
    assert_eq!(part["payment"]["status"], "authorized");
    // When the towel arrives the rest is allocated and instructed as usual.
    assert_eq!(api.stock(&s.warehouse, "TKY", "TOWEL", 1).await.status, 201);
    api.wait_status(&s.operator, &id, "allocated").await;
    let r = api
        .post("/api/v1/shipping-instructions", &s.warehouse, &json!({}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["batches"][0]["shipments"][0]["order_id"],
        id.as_str()
    );
    api.invariants_ok(&s.t.admin).await;
}

async fn nothing_ships_early_by_default(b: Backend) {
    let (s, id) = short_of_towels(Policies::default(), b).await;
    let api = &s.t.api;
    let r = api
        .post("/api/v1/shipping-instructions", &s.warehouse, &json!({}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["batches"], json!([]), "{}", r.text);
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let reason = r.body["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("partially_allocated"), "{reason}");
    assert_eq!(
        api.order(&s.operator, &id).await["status"],
        "partially_allocated"
    );
}
