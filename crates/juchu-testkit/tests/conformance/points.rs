//! Loyalty points (docs/points.md) over HTTP: granted on delivery (1% of the items less points
//! used, rounded down) and revoked in proportion on a partial return — no further than the balance,
//! the shortfall in the event; used at order time and restored on cancellation; more than the
//! balance refused with nothing created; granted on shipment N days later and expired with a
//! clock the test moves; and twenty concurrent orders spending one balance of 1,000.

use crate::carriers::{Shop, shop, shop_on, tracking};
use crate::purchasing::wait_for;
use jiff::{SignedDuration, Timestamp};
use juchu_app::FakeClock;
use juchu_domain::points::PointsGrantOn;
use juchu_domain::policy::Policies;
use juchu_testkit::{Backend, Resp, TestApp, order_body};
use serde_json::{Value, json};
use std::sync::Arc;

juchu_testkit::on_both_backends!(
    granted_on_delivery_and_revoked_on_a_partial_return,
    used_at_order_time_restored_on_cancel_and_never_beyond_the_balance,
    granted_on_shipment_after_the_delay_and_expired_by_the_clock,
    concurrent_orders_spend_one_balance_exactly_once,
);

/// An order of two towels (1,980) and a tea (540) — items 4,500 — for `customer`.
fn body(ext: &str, customer: Option<&str>, points_used: i64) -> Value {
    let mut b = order_body(ext, &[("TOWEL", 2, 1980), ("TEA", 1, 540)], "credit_card");
    if let Some(c) = customer {
        b["customer"]["id"] = json!(c);
    }
    if points_used > 0 {
        b["points_used"] = json!(points_used);
    }
    b
}

async fn place(s: &Shop, b: &Value) -> Resp {
    s.t.api.post("/api/v1/orders", &s.storefront, b).await
}

async fn points(s: &Shop, customer: &str) -> Value {
    let r =
        s.t.api
            .get(&format!("/api/v1/customers/{customer}/points"), &s.operator)
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn balance(s: &Shop, customer: &str) -> i64 {
    points(s, customer).await["balance"].as_i64().unwrap()
}

async fn adjust(s: &Shop, customer: &str, amount: i64, reason: &str) -> Resp {
    s.t.api
        .post(
            &format!("/api/v1/customers/{customer}/points/adjust"),
            &s.operator,
            &json!({"amount": amount, "reason": reason}),
        )
        .await
}

/// (kind, amount) of the ledger rows, oldest first.
async fn ledger(s: &Shop, customer: &str) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = points(s, customer).await["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.reverse();
    rows
}

/// Instructs one allocated order; returns its shipment.
async fn instruct(s: &Shop, order: &str) -> String {
    s.t.api.wait_status(&s.operator, order, "allocated").await;
    let r =
        s.t.api
            .post(
                "/api/v1/shipping-instructions",
                &s.warehouse,
                &json!({"order_ids": [order]}),
            )
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["batches"][0]["shipments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ship(s: &Shop, shipment: &str, n: u64) {
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{shipment}/ship"),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(77771375870 + n)}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn events(s: &Shop, order: &str) -> Vec<Value> {
    let r =
        s.t.api
            .get(&format!("/api/v1/orders/{order}/events"), &s.operator)
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
        .as_array()
        .or_else(|| r.body["events"].as_array())
        .unwrap()
        .clone()
}

async fn granted_on_delivery_and_revoked_on_a_partial_return(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let r = place(&s, &body("P-1", Some("C-1"), 0)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let order = r.body["id"].as_str().unwrap().to_owned();
    let shipment = instruct(&s, &order).await;
    ship(&s, &shipment, 1).await;
    api.wait_idle(&s.t.admin).await;
    // Shipped is not enough under the default policy (granted on delivery).
    assert_eq!(balance(&s, "C-1").await, 0);
    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/deliver"),
            &s.warehouse,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // 1% of 4,500.
    let o = wait_for("the grant", || async {
        let o = api.order(&s.operator, &order).await;
        (o["points"]["granted"] == 45).then_some(o)
    })
    .await;
    assert_eq!(o["points"]["revoked"], 0);
    assert_eq!(balance(&s, "C-1").await, 45);
    assert_eq!(ledger(&s, "C-1").await, [("grant".to_owned(), 45)]);
    let entry = &points(&s, "C-1").await["entries"][0];
    assert_eq!(entry["order_id"], order.as_str());
    assert!(
        events(&s, &order)
            .await
            .iter()
            .any(|e| e["kind"] == "points.granted")
    );

    // The customer spends 40 of them on a new order (which earns nothing yet).
    let r = place(&s, &body("P-2", Some("C-1"), 40)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["totals"]["points_used"], 40);
    assert_eq!(balance(&s, "C-1").await, 5);

    // One towel (1,980 of 4,500) comes back: ⌊45 × 1,980 / 4,500⌋ = 19 points revoked, but only
    // 5 are left — the balance stops at zero and the event records the shortfall of 14.
    let towel = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "TOWEL")
        .unwrap()["id"]
        .clone();
    let r = api
        .post(
            &format!("/api/v1/orders/{order}/returns"),
            &s.warehouse,
            &json!({"lines": [{"line_id": towel, "quantity": 1, "restock": true}], "reason": "ほつれ", "received": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["order"]["points"]["revoked"], 19);
    assert_eq!(r.body["order"]["returns"][0]["points_revoked"], 19);
    assert_eq!(balance(&s, "C-1").await, 0);
    assert_eq!(
        ledger(&s, "C-1").await,
        [
            ("grant".to_owned(), 45),
            ("use".to_owned(), -40),
            ("revoke".to_owned(), -5)
        ]
    );
    let received = events(&s, &order)
        .await
        .into_iter()
        .find(|e| e["kind"] == "return.received")
        .unwrap();
    let data = if received["data"].is_object() {
        &received["data"]
    } else {
        &received
    };
    assert_eq!(data["points_revoked"], 19, "{received}");
    assert_eq!(data["points_shortfall"], 14, "{received}");
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn used_at_order_time_restored_on_cancel_and_never_beyond_the_balance(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    // Unknown customers have nothing, and are not an error.
    let p = points(&s, "nobody").await;
    assert_eq!(p["balance"], 0);
    assert_eq!(p["entries"], json!([]));

    let r = adjust(&s, "C-2", 300, "お詫びポイント").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["balance"], 300);
    assert_eq!(r.body["entries"][0]["kind"], "adjust");
    assert_eq!(r.body["entries"][0]["note"], "お詫びポイント");

    // More than the balance: refused, naming the field and the balance; nothing is created.
    let r = place(&s, &body("U-1", Some("C-2"), 500)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "points_used", "{}", r.text);
    assert!(r.text.contains("300"), "{}", r.text);
    let list = api.get("/api/v1/orders?channel=web", &s.operator).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(!list.text.contains("U-1"), "{}", list.text);
    assert_eq!(balance(&s, "C-2").await, 300);
    // The same external id works once the amount fits.
    let r = place(&s, &body("U-1", Some("C-2"), 200)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let order = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["totals"]["total"], 4500 - 200);
    assert_eq!(balance(&s, "C-2").await, 100);
    let entries = points(&s, "C-2").await["entries"].clone();
    assert_eq!(entries[0]["kind"], "use");
    assert_eq!(entries[0]["amount"], -200);
    assert_eq!(entries[0]["order_id"], order.as_str());

    // Cancellation gives them back.
    api.wait_status(&s.operator, &order, "allocated").await;
    let r = api
        .post(
            &format!("/api/v1/orders/{order}/cancel"),
            &s.operator,
            &json!({"reason": "お客様都合"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(balance(&s, "C-2").await, 300);
    assert_eq!(
        ledger(&s, "C-2").await,
        [
            ("adjust".to_owned(), 300),
            ("use".to_owned(), -200),
            ("restore".to_owned(), 200)
        ]
    );

    // Adjustments: never below zero, a reason, a non-zero amount, an operator.
    let r = adjust(&s, "C-2", -301, "誤付与").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "amount", "{}", r.text);
    assert!(r.text.contains("300"), "{}", r.text);
    let r = adjust(&s, "C-2", 0, "x").await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = adjust(&s, "C-2", 10, "  ").await;
    assert_eq!(r.body["errors"][0]["field"], "reason", "{}", r.text);
    let r = api
        .post(
            "/api/v1/customers/C-2/points/adjust",
            &s.storefront,
            &json!({"amount": 1000, "reason": "free points"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = adjust(&s, "C-2", -300, "誤付与").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["balance"], 0);

    // An order without a customer id takes its points as given (the channel's, not ours).
    let r = place(&s, &body("U-2", None, 100)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn granted_on_shipment_after_the_delay_and_expired_by_the_clock(b: Backend) {
    let start: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let clock = Arc::new(FakeClock::new(start));
    let policies = Policies {
        points_rate_percent: 2,
        points_grant_on: PointsGrantOn::Shipment,
        points_grant_delay_days: 3,
        points_expiry_days: 30,
        ..Policies::default()
    };
    let s = shop_on(TestApp::spawn_with_clock(b, policies, clock.clone()).await).await;
    let api = &s.t.api;
    let r = place(&s, &body("E-1", Some("C-3"), 0)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let order = r.body["id"].as_str().unwrap().to_owned();
    let shipment = instruct(&s, &order).await;
    ship(&s, &shipment, 2).await;
    api.wait_idle(&s.t.admin).await;
    clock.advance(SignedDuration::from_hours(24 * 3 - 1));
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(balance(&s, "C-3").await, 0);
    clock.advance(SignedDuration::from_hours(2));
    wait_for("the grant", || async {
        let p = points(&s, "C-3").await;
        (p["balance"] == 90).then_some(p)
    })
    .await;
    let grant = points(&s, "C-3").await["entries"][0].clone();
    assert_eq!(grant["kind"], "grant");
    assert_eq!(grant["expires_at"], "2026-07-04T01:00:00Z");

    // 40 are spent (from the grant, the soonest to expire), 10 more never expire.
    let r = place(&s, &body("E-2", Some("C-3"), 40)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(adjust(&s, "C-3", 10, "キャンペーン").await.status, 200);
    assert_eq!(balance(&s, "C-3").await, 60);

    clock.advance(SignedDuration::from_hours(24 * 30 - 2));
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(balance(&s, "C-3").await, 60);
    clock.advance(SignedDuration::from_hours(2));
    // What is left of the grant (50) expires; the adjustment stays.
    wait_for("the expiry", || async {
        let p = points(&s, "C-3").await;
        (p["balance"] == 10).then_some(p)
    })
    .await;
    assert_eq!(
        ledger(&s, "C-3").await,
        [
            ("grant".to_owned(), 90),
            ("use".to_owned(), -40),
            ("adjust".to_owned(), 10),
            ("expire".to_owned(), -50)
        ]
    );
    assert!(
        events(&s, &order)
            .await
            .iter()
            .any(|e| e["kind"] == "points.expired")
    );
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn concurrent_orders_spend_one_balance_exactly_once(b: Backend) {
    let s = shop(b).await;
    assert_eq!(adjust(&s, "C-4", 1000, "開店記念").await.status, 200);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let api = s.t.api.clone();
        let key = s.storefront.clone();
        let mut b = order_body(&format!("X-{i}"), &[("TEA", 1, 540)], "credit_card");
        b["customer"]["id"] = json!("C-4");
        b["points_used"] = json!(100);
        tasks.push(tokio::spawn(async move {
            api.post("/api/v1/orders", &key, &b).await
        }));
    }
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => created += 1,
            422 => {
                assert_eq!(r.body["errors"][0]["field"], "points_used", "{}", r.text);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((created, refused), (10, 10));
    assert_eq!(balance(&s, "C-4").await, 0);
    let uses = ledger(&s, "C-4")
        .await
        .into_iter()
        .filter(|(k, a)| k == "use" && *a == -100)
        .count();
    assert_eq!(uses, 10);
    s.t.api.wait_idle(&s.t.admin).await;
    s.t.api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
