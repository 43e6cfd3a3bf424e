//! 返品: request → receive → restock into a chosen warehouse (which lets a waiting order allocate)
//! or dispose → refund → the order's return record; partial and full returns; a return after
//! recognition records the reversal per tax rate; bad requests change nothing.

use crate::carriers::{instructed, shop, tracking};
use juchu_testkit::{Backend, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    partial_return_restocked_elsewhere_refunds_and_feeds_a_waiting_order,
    full_return_after_recognition_disposed_and_refused_requests,
);

fn line_id(o: &Value, sku: &str) -> String {
    o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == sku)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ship(s: &crate::carriers::Shop, shipment: &str, n: u64) {
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{shipment}/ship"),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(44441375870 + n)}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn partial_return_restocked_elsewhere_refunds_and_feeds_a_waiting_order(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    api.warehouse(&s.operator, "OSK", 2).await;
    let (_, pairs) = instructed(&s, &[("R-1", "credit_card")]).await;
    let (order, shipment) = pairs[0].clone();
    ship(&s, &shipment, 1).await;
    // Tokyo runs out of towels: the next order waits.
    let (on_hand, _) = api.stock_level(&s.operator, "TKY", "TOWEL").await;
    assert_eq!(
        api.stock(&s.warehouse, "TKY", "TOWEL", -on_hand)
            .await
            .status,
        201
    );
    let r = api
        .post(
            "/api/v1/orders",
            &s.storefront,
            &order_body("R-2", &[("TOWEL", 1, 1980)], "credit_card"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let waiting = r.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &waiting, "unallocated").await;

    // The customer sends one towel back; it goes to Osaka.
    let o = api.order(&s.operator, &order).await;
    let towel = line_id(&o, "TOWEL");
    let r = api
        .post(
            &format!("/api/v1/orders/{order}/returns"),
            &s.storefront,
            &json!({"lines": [{"line_id": towel, "quantity": 1, "restock": true, "warehouse": "OSK"}], "reason": "サイズ違い"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rid = r.body["return_id"].as_str().unwrap().to_owned();
    let ret = &r.body["order"]["returns"][0];
    assert_eq!(ret["status"], "requested");
    assert_eq!(ret["refund_amount"], 1980);
    assert_eq!(
        r.body["order"]["payment"]["refunded_amount"], 0,
        "nothing refunded before the goods are back"
    );
    // Announced quantities cannot be announced twice.
    let r = api
        .post(
            &format!("/api/v1/orders/{order}/returns"),
            &s.operator,
            &json!({"lines": [{"line_id": towel, "quantity": 2, "restock": true}], "reason": "again"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    // The storefront may announce, not receive.
    let receive = format!("/api/v1/orders/{order}/returns/{rid}/receive");
    assert_eq!(
        api.post(&receive, &s.storefront, &json!({})).await.status,
        403
    );
    let r = api.post(&receive, &s.warehouse, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["returns"][0]["status"], "received");
    assert_eq!(r.body["payment"]["status"], "partially_refunded");
    assert_eq!(r.body["payment"]["refunded_amount"], 1980);
    assert_eq!(r.body["payment"]["captured_amount"], 4500);
    let line = r.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "TOWEL")
        .unwrap()
        .clone();
    assert_eq!(line["returned_quantity"], 1);
    assert_eq!(
        r.body["status"], "shipped",
        "a return does not move the order back"
    );
    assert_eq!(api.stock_level(&s.operator, "OSK", "TOWEL").await.0, 1);
    // The restocked towel goes to the waiting order.
    let w = api.wait_status(&s.operator, &waiting, "allocated").await;
    assert_eq!(w["allocations"][0]["warehouse"], "OSK");
    // Receiving twice is refused.
    let r = api.post(&receive, &s.warehouse, &json!({})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let ev = api
        .get(&format!("/api/v1/orders/{order}/events"), &s.operator)
        .await
        .text;
    assert!(
        ev.contains("return.requested")
            && ev.contains("return.received")
            && ev.contains("payment.refunded"),
        "{ev}"
    );
    assert!(!ev.contains("revenue.reversed"), "not recognised yet: {ev}");
    api.invariants_ok(&s.t.admin).await;
}

async fn full_return_after_recognition_disposed_and_refused_requests(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (_, pairs) = instructed(&s, &[("R-3", "credit_card")]).await;
    let (order, shipment) = pairs[0].clone();
    // Before shipping nothing can come back.
    let o = api.order(&s.operator, &order).await;
    let (towel, tea) = (line_id(&o, "TOWEL"), line_id(&o, "TEA"));
    let all = json!([{"line_id": towel, "quantity": 2, "restock": false}, {"line_id": tea, "quantity": 1, "restock": false}]);
    let url = format!("/api/v1/orders/{order}/returns");
    let r = api
        .post(&url, &s.operator, &json!({"lines": all, "reason": "x"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    ship(&s, &shipment, 2).await;
    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/deliver"),
            &s.warehouse,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.wait_status(&s.operator, &order, "recognized").await;
    let (tky_towels, _) = api.stock_level(&s.operator, "TKY", "TOWEL").await;

    let before = api.order(&s.operator, &order).await;
    for (body, status) in [
        (
            json!({"lines": [{"line_id": towel, "quantity": 3, "restock": false}], "reason": "x"}),
            422,
        ),
        (
            json!({"lines": all, "reason": "x", "refund_amount": 4501}),
            422,
        ),
        (json!({"lines": all, "reason": " "}), 422),
        (json!({"lines": [], "reason": "x"}), 422),
        (
            json!({"lines": [{"line_id": towel, "quantity": 1, "restock": true, "warehouse": "NOPE"}], "reason": "x"}),
            422,
        ),
        (json!({"lines": all, "reason": "x", "colour": "red"}), 422),
    ] {
        let r = api.post(&url, &s.operator, &body).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
    }
    let r = api
        .post(
            &url,
            &s.storefront,
            &json!({"lines": all, "reason": "x", "received": true}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        api.order(&s.operator, &order).await["version"],
        before["version"],
        "refusals change nothing"
    );

    // Everything comes back damaged: disposed, refunded in full, received at once.
    let r = api
        .post(
            &url,
            &s.warehouse,
            &json!({"lines": all, "reason": "破損", "received": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let o = &r.body["order"];
    assert_eq!(o["returns"][0]["status"], "received");
    assert_eq!(o["payment"]["status"], "refunded");
    assert_eq!(o["payment"]["refunded_amount"], 4500);
    assert_eq!(
        api.stock_level(&s.operator, "TKY", "TOWEL").await.0,
        tky_towels,
        "disposed, not restocked"
    );
    let ev = api
        .get(&format!("/api/v1/orders/{order}/events"), &s.operator)
        .await
        .body;
    let reversal = ev["items"]
        .as_array()
        .or_else(|| ev.as_array())
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "revenue.reversed")
        .cloned()
        .expect("a reversal for the accounting journal");
    let rates: Vec<(i64, i64)> = reversal["data"]["items_by_rate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rate"].as_i64().unwrap(), r["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(rates, [(8, 540), (10, 3960)]);
    // Nothing is left to return.
    let r = api
        .post(
            &url,
            &s.operator,
            &json!({"lines": [{"line_id": tea, "quantity": 1, "restock": false}], "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    api.invariants_ok(&s.t.admin).await;
}
