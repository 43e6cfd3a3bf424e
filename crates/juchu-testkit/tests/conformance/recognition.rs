//! 計上 per shipment: under 出荷基準 each parcel's revenue is booked N days after it ships (the
//! order may not be delivered yet); under 着荷基準 each parcel's on its delivery. The parcels'
//! entries add up to the order's own totals and tax per rate, and the order is `recognized` once it
//! is delivered and every parcel is booked.

use crate::carriers::{Shop, shop_on, tracking};
use jiff::{SignedDuration, Timestamp};
use juchu_app::FakeClock;
use juchu_domain::policy::Policies;
use juchu_domain::recognition::RecognitionOn;
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

juchu_testkit::on_both_backends!(
    shipment_basis_books_each_parcel_days_after_it_ships,
    delivery_basis_books_each_parcel_on_its_delivery,
    months_close_on_the_policy_day_with_their_summary,
);

/// An order of towels (10%, Tokyo) and tea (8%, only in Osaka): two parcels. Returns the order and
/// its shipments (Tokyo's first).
async fn two_parcel_order(s: &Shop, ext: &str) -> (String, Vec<String>) {
    let api = &s.t.api;
    api.warehouse(&s.operator, "OSK", 2).await;
    let (tea, _) = api.stock_level(&s.operator, "TKY", "TEA").await;
    if tea > 0 {
        assert_eq!(
            api.stock(&s.warehouse, "TKY", "TEA", -tea).await.status,
            201
        );
        assert_eq!(api.stock(&s.warehouse, "OSK", "TEA", 20).await.status, 201);
    }
    let mut body = order_body(ext, &[("TOWEL", 2, 1980), ("TEA", 3, 540)], "credit_card");
    body["shipping_fee"] = json!(770);
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &id, "allocated").await;
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let o = api.order(&s.operator, &id).await;
    let mut shipments: Vec<(String, String)> = o["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["warehouse"].as_str().unwrap().to_owned(),
                x["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    shipments.sort_by(|a, b| b.0.cmp(&a.0)); // TKY before OSK
    assert_eq!(shipments.len(), 2);
    (id, shipments.into_iter().map(|(_, s)| s).collect())
}

async fn ship(s: &Shop, shipment: &str, n: u64) {
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{shipment}/ship"),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(31311375870 + n)}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn deliver(s: &Shop, shipment: &str) {
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{shipment}/deliver"),
                &s.warehouse,
                &json!({}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The journal's entries for `order_number`, from the JSON export of a wide period.
async fn entries(s: &Shop, number: &Value) -> Vec<Value> {
    let r =
        s.t.api
            .get(
                "/api/v1/accounting/journal?from=2000-01-01&to=2100-12-31",
                &s.operator,
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| &e["order_number"] == number)
        .cloned()
        .collect()
}

/// Sales and tax per rate over the entries.
fn by_rate(entries: &[Value]) -> BTreeMap<i64, (i64, i64)> {
    let mut out = BTreeMap::new();
    for e in entries {
        assert_eq!(e["debits"], e["credits"], "{e}");
        for l in e["lines"].as_array().unwrap() {
            if let Some(rate) = l["rate"].as_i64() {
                let sign = if l["side"] == "credit" { 1 } else { -1 };
                let t = out.entry(rate).or_insert((0, 0));
                t.0 += sign * l["amount"].as_i64().unwrap();
                t.1 += sign * l["tax"].as_i64().unwrap();
            }
        }
    }
    out
}

fn order_rates(o: &Value) -> BTreeMap<i64, (i64, i64)> {
    o["totals"]["tax"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["rate"].as_i64().unwrap(),
                (t["base"].as_i64().unwrap(), t["tax"].as_i64().unwrap()),
            )
        })
        .collect()
}

async fn settle(s: &Shop) {
    s.t.api.wait_idle(&s.t.admin).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    s.t.api.wait_idle(&s.t.admin).await;
}

async fn shipment_basis_books_each_parcel_days_after_it_ships(b: Backend) {
    let clock = Arc::new(FakeClock::new(
        "2026-10-05T00:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let policies = Policies {
        recognition_on: RecognitionOn::Shipment,
        recognition_delay_days: 3,
        ..Policies::default()
    };
    let s = shop_on(TestApp::spawn_with_clock(b, policies, clock.clone()).await).await;
    let api = &s.t.api;
    let (id, parcels) = two_parcel_order(&s, "RS-1").await;
    let number = api.order(&s.operator, &id).await["number"].clone();
    ship(&s, &parcels[0], 1).await;
    clock.advance(SignedDuration::from_hours(24 * 3 - 1));
    settle(&s).await;
    assert!(
        entries(&s, &number).await.is_empty(),
        "not before the days have passed"
    );
    clock.advance(SignedDuration::from_hours(1));
    settle(&s).await;
    let first = entries(&s, &number).await;
    assert_eq!(first.len(), 1, "the Tokyo parcel is booked: {first:?}");
    // Its goods only: 2 towels at 10%.
    assert_eq!(by_rate(&first), BTreeMap::from([(10, (3960, 360))]));
    let o = api.order(&s.operator, &id).await;
    assert_eq!(
        o["status"], "shipping_instructed",
        "booked while the rest waits"
    );
    // The second parcel ships and is booked 3 days later with the rest of the order.
    ship(&s, &parcels[1], 2).await;
    clock.advance(SignedDuration::from_hours(24 * 3));
    settle(&s).await;
    let all = entries(&s, &number).await;
    assert_eq!(all.len(), 2);
    let o = api.order(&s.operator, &id).await;
    assert_eq!(
        by_rate(&all),
        order_rates(&o),
        "the parcels add up to the order"
    );
    assert_eq!(o["status"], "shipped", "booked, not yet delivered");
    // Delivered: the order is recognised, with no further entry.
    deliver(&s, &parcels[0]).await;
    deliver(&s, &parcels[1]).await;
    settle(&s).await;
    assert_eq!(api.order(&s.operator, &id).await["status"], "recognized");
    assert_eq!(entries(&s, &number).await.len(), 2);
    api.invariants_ok(&s.t.admin).await;
}

async fn delivery_basis_books_each_parcel_on_its_delivery(b: Backend) {
    let s = shop_on(TestApp::spawn(b).await).await;
    let api = &s.t.api;
    let (id, parcels) = two_parcel_order(&s, "RD-1").await;
    let number = api.order(&s.operator, &id).await["number"].clone();
    ship(&s, &parcels[0], 3).await;
    ship(&s, &parcels[1], 4).await;
    settle(&s).await;
    assert!(
        entries(&s, &number).await.is_empty(),
        "shipped is not booked under 着荷基準"
    );
    // The Osaka parcel arrives first: its tea is booked.
    deliver(&s, &parcels[1]).await;
    settle(&s).await;
    let first = entries(&s, &number).await;
    assert_eq!(by_rate(&first), BTreeMap::from([(8, (1620, 120))]));
    assert_eq!(api.order(&s.operator, &id).await["status"], "shipped");
    deliver(&s, &parcels[0]).await;
    settle(&s).await;
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "recognized");
    let all = entries(&s, &number).await;
    assert_eq!(all.len(), 2);
    assert_eq!(
        by_rate(&all),
        order_rates(&o),
        "the parcels add up to the order"
    );
    // Shipping is on the last parcel's entry, at 10%.
    assert!(
        all[1]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["sub_account"] == "送料・手数料" && l["amount"] == 770),
        "{:?}",
        all[1]
    );
    api.invariants_ok(&s.t.admin).await;
}

async fn months_close_on_the_policy_day_with_their_summary(b: Backend) {
    // 2026-10-20 09:00 in Tokyo.
    let clock = Arc::new(FakeClock::new(
        "2026-10-20T00:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let s = shop_on(TestApp::spawn_with_clock(b, Policies::default(), clock.clone()).await).await;
    let api = &s.t.api;
    let accountant = api.key(&s.t.admin, "accounting").await;
    let (id, parcels) = two_parcel_order(&s, "MC-1").await;
    for (n, p) in parcels.iter().enumerate() {
        ship(&s, p, 10 + n as u64).await;
        deliver(&s, p).await;
    }
    settle(&s).await;
    assert_eq!(api.order(&s.operator, &id).await["status"], "recognized");
    let october = api
        .get("/api/v1/accounting/summary?month=2026-10", &accountant)
        .await;
    assert_eq!(october.body["sale_entries"], 2, "{}", october.text);
    let closes = api.get("/api/v1/accounting/closes", &accountant).await;
    assert_eq!(closes.status, 200, "{}", closes.text);
    assert!(closes.body["items"].as_array().unwrap().is_empty());
    // October is not over: it cannot be closed by hand yet.
    let r = api
        .post(
            "/api/v1/accounting/closes",
            &accountant,
            &json!({"month": "2026-10"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    // 2026-11-05 00:00 in Tokyo: the worker closes October.
    clock.set("2026-11-04T15:00:00Z".parse().unwrap());
    let mut items = Vec::new();
    for _ in 0..40 {
        settle(&s).await;
        items = api.get("/api/v1/accounting/closes", &accountant).await.body["items"]
            .as_array()
            .unwrap()
            .clone();
        if !items.is_empty() {
            break;
        }
    }
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["month"], "2026-10");
    assert_eq!(items[0]["closed_by"], "system:accounting.close");
    assert_eq!(items[0]["summary"], october.body, "the summary as it stood");
    // Closing again is refused; a month not ended, a bad month and other roles too.
    for (body, status) in [
        (json!({"month": "2026-10"}), 409),
        (json!({"month": "2026-11"}), 422),
        (json!({"month": "2026-13"}), 422),
        (json!({"month": "2026-09", "colour": "red"}), 422),
    ] {
        let r = api
            .post("/api/v1/accounting/closes", &accountant, &body)
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
    }
    let r = api
        .post(
            "/api/v1/accounting/closes",
            &s.storefront,
            &json!({"month": "2026-09"}),
        )
        .await;
    assert_eq!(r.status, 403);
    // An operator closes September by hand; the next close (December 5th) takes November.
    let r = api
        .post(
            "/api/v1/accounting/closes",
            &accountant,
            &json!({"month": "2026-09"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["summary"]["sale_entries"], 0);
    clock.set("2026-12-04T15:00:00Z".parse().unwrap());
    let mut months = Vec::new();
    for _ in 0..40 {
        settle(&s).await;
        months = api.get("/api/v1/accounting/closes", &accountant).await.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["month"].as_str().unwrap().to_owned())
            .collect();
        if months.len() == 3 {
            break;
        }
    }
    assert_eq!(months, vec!["2026-11", "2026-10", "2026-09"]);
    api.invariants_ok(&s.t.admin).await;
}
