//! Delivery beyond the carrier's event: みなし着荷 N days after shipping (policy, on a clock the test
//! moves), and operator corrections with a reason — a missing delivery recorded, a wrong date moved,
//! a delivery that did not happen undone (COD collection taken back), refused after recognition.

use crate::carriers::{instructed, shop_on, tracking};
use crate::purchasing::wait_for;
use jiff::{SignedDuration, Timestamp};
use juchu_app::FakeClock;
use juchu_domain::policy::Policies;
use juchu_testkit::{Backend, TestApp};
use serde_json::{Value, json};
use std::sync::Arc;

juchu_testkit::on_both_backends!(
    shipments_without_an_event_are_deemed_delivered_after_the_policy_days,
    operators_correct_delivery_records_with_a_reason,
);

async fn ship(s: &crate::carriers::Shop, shipment: &str, n: u64, shipped_at: &str) -> Value {
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{shipment}/ship"),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(44441375870 + n),
                        "shipped_at": shipped_at}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn correct(s: &crate::carriers::Shop, shipment: &str, body: Value) -> juchu_testkit::Resp {
    s.t.api
        .post(
            &format!("/api/v1/shipments/{shipment}/delivery-correction"),
            &s.operator,
            &body,
        )
        .await
}

async fn events(s: &crate::carriers::Shop, order: &str) -> String {
    s.t.api
        .get(&format!("/api/v1/orders/{order}/events"), &s.operator)
        .await
        .text
}

async fn shipments_without_an_event_are_deemed_delivered_after_the_policy_days(b: Backend) {
    let start: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
    let clock = Arc::new(FakeClock::new(start));
    let policies = Policies {
        deemed_delivery_days: 14,
        recognition_delay_days: 3,
        ..Policies::default()
    };
    let s = shop_on(TestApp::spawn_with_clock(b, policies, clock.clone()).await).await;
    let api = &s.t.api;
    let (_, pairs) = instructed(&s, &[("D-1", "credit_card"), ("D-2", "cod")]).await;
    for (i, (_, shipment)) in pairs.iter().enumerate() {
        ship(&s, shipment, i as u64, "2026-03-02T00:00:00Z").await;
    }
    // The carrier reports the second parcel; the first never gets an event.
    let r = api
        .post(
            &format!("/api/v1/shipments/{}/deliver", pairs[1].1),
            &s.warehouse,
            &json!({"delivered_at": "2026-03-04T03:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.wait_idle(&s.t.admin).await;
    clock.advance(SignedDuration::from_hours(24 * 14 - 1));
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        api.order(&s.operator, &pairs[0].0).await["status"],
        "shipped"
    );

    clock.advance(SignedDuration::from_hours(2));
    let first = wait_for("the deemed delivery", || async {
        let o = api.order(&s.operator, &pairs[0].0).await;
        (o["status"] == "delivered").then_some(o)
    })
    .await;
    assert_eq!(
        first["shipments"][0]["delivered_at"],
        "2026-03-16T01:00:00Z"
    );
    assert!(
        events(&s, &pairs[0].0)
            .await
            .contains("shipment.deemed_delivered")
    );
    // The parcel the carrier reported keeps its own record.
    let second = api.order(&s.operator, &pairs[1].0).await;
    assert_eq!(
        second["shipments"][0]["delivered_at"],
        "2026-03-04T03:00:00Z"
    );
    assert!(!events(&s, &pairs[1].0).await.contains("deemed"));
    // Recognition follows the deemed delivery after its own delay.
    clock.advance(SignedDuration::from_hours(24 * 3));
    wait_for("recognition", || async {
        let o = api.order(&s.operator, &pairs[0].0).await;
        (o["status"] == "recognized").then_some(o)
    })
    .await;
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn operators_correct_delivery_records_with_a_reason(b: Backend) {
    // Recognition waits three days, so corrections happen while the orders are delivered.
    let clock = Arc::new(FakeClock::new("2026-11-22T12:00:00Z".parse().unwrap()));
    let policies = Policies {
        recognition_delay_days: 3,
        ..Policies::default()
    };
    let s = shop_on(TestApp::spawn_with_clock(b, policies, clock.clone()).await).await;
    let api = &s.t.api;
    let (_, pairs) = instructed(&s, &[("K-1", "credit_card"), ("K-2", "cod")]).await;
    for (i, (_, shipment)) in pairs.iter().enumerate() {
        ship(&s, shipment, 10 + i as u64, "2026-11-20T01:00:00Z").await;
    }
    // A reason is required, and a warehouse key may not correct.
    let r = correct(
        &s,
        &pairs[0].1,
        json!({"delivered_at": "2026-11-21T01:00:00Z", "reason": " "}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = api
        .post(
            &format!("/api/v1/shipments/{}/delivery-correction", pairs[0].1),
            &s.warehouse,
            &json!({"delivered_at": "2026-11-21T01:00:00Z", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = correct(&s, &pairs[0].1, json!({"reason": "neither"})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    // Before it shipped, or in the future: not a delivery.
    for when in ["2026-11-19T01:00:00Z", "2099-01-01T00:00:00Z"] {
        let r = correct(
            &s,
            &pairs[0].1,
            json!({"delivered_at": when, "reason": "x"}),
        )
        .await;
        assert_eq!(r.status, 422, "{when}: {}", r.text);
    }

    // A missing delivery recorded by hand.
    let r = correct(
        &s,
        &pairs[1].1,
        json!({"delivered_at": "2026-11-21T01:00:00Z", "reason": "customer confirmed by phone"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "delivered");
    assert_eq!(r.body["payment"]["status"], "paid", "COD collected");
    let collected = r.body["payment"]["captured_amount"].clone();
    assert!(collected.as_i64().unwrap() > 0);
    // The date was wrong: moved, with the old and new record in the event.
    let r = correct(
        &s,
        &pairs[1].1,
        json!({"delivered_at": "2026-11-22T02:00:00Z", "reason": "carrier date was a day early"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["shipments"][0]["delivered_at"],
        "2026-11-22T02:00:00Z"
    );
    let ev = events(&s, &pairs[1].0).await;
    assert!(ev.contains("carrier date was a day early"), "{ev}");
    assert!(
        ev.contains("2026-11-21T01:00:00Z"),
        "the old record is kept: {ev}"
    );
    // It had not arrived after all: back to shipped, the COD collection taken back.
    let r = correct(
        &s,
        &pairs[1].1,
        json!({"delivered": false, "reason": "delivered to the wrong house"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    assert_eq!(r.body["shipments"][0]["status"], "shipped");
    assert_eq!(r.body["shipments"][0]["delivered_at"], Value::Null);
    assert_eq!(r.body["payment"]["status"], "on_delivery");
    assert_eq!(r.body["payment"]["captured_amount"], 0);
    // Undoing a delivery that is not recorded is refused and changes nothing.
    let before = api.order(&s.operator, &pairs[0].0).await;
    let r = correct(&s, &pairs[0].1, json!({"delivered": false, "reason": "no"})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(
        api.order(&s.operator, &pairs[0].0).await["version"],
        before["version"]
    );

    // Once revenue is recognised, a correction is refused: that needs a reversal.
    let r = correct(
        &s,
        &pairs[0].1,
        json!({"delivered_at": "2026-11-21T01:00:00Z", "reason": "confirmed"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    clock.advance(SignedDuration::from_hours(24 * 3));
    wait_for("recognition", || async {
        let o = api.order(&s.operator, &pairs[0].0).await;
        (o["status"] == "recognized").then_some(o)
    })
    .await;
    let r = correct(
        &s,
        &pairs[0].1,
        json!({"delivered": false, "reason": "too late"}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("recognised"), "{}", r.text);
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
