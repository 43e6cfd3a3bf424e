//! 同梱: with `combine_shipments`, orders of one customer to one address instructed together go in
//! one parcel — one label, one tracking number — while each order keeps its own payment and status;
//! cash-on-delivery orders and other addresses stay apart. Off by default.

use crate::carriers::{
    export, import, results, rows_of, shop, shop_on, sjis_file, tracking, webhook,
};
use juchu_domain::policy::Policies;
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    same_customer_and_address_share_one_parcel,
    orders_stay_apart_by_default,
);

/// Places the orders, waits until they are allocated, instructs them; returns the order ids and
/// the instruction's shipments.
async fn place_and_instruct(
    s: &crate::carriers::Shop,
    bodies: Vec<Value>,
) -> (Vec<String>, Vec<Value>) {
    let api = &s.t.api;
    let mut ids = Vec::new();
    for body in bodies {
        let r = api.post("/api/v1/orders", &s.storefront, &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        api.wait_status(&s.operator, &id, "allocated").await;
        ids.push(id);
    }
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": ids}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shipments = r.body["batches"][0]["shipments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(shipments.len(), ids.len(), "{}", r.text);
    (ids, shipments)
}

fn body(ext: &str, method: &str) -> Value {
    order_body(ext, &[("TOWEL", 2, 1980), ("TEA", 1, 540)], method)
}

async fn same_customer_and_address_share_one_parcel(b: Backend) {
    let policies = Policies {
        combine_shipments: true,
        ..Policies::default()
    };
    let s = shop_on(TestApp::spawn_with(b, policies).await).await;
    let api = &s.t.api;
    let mut elsewhere = body("M-4", "credit_card");
    elsewhere["shipping_address"]["line1"] = json!("2-2");
    let (ids, shipments) = place_and_instruct(
        &s,
        vec![
            body("M-1", "credit_card"),
            body("M-2", "credit_card"),
            body("M-3", "cod"),
            elsewhere,
        ],
    )
    .await;
    let of = |order: &str| {
        shipments
            .iter()
            .find(|x| x["order_id"] == order)
            .unwrap()
            .clone()
    };
    let lead = of(&ids[0])["id"].as_str().unwrap().to_owned();
    assert_eq!(of(&ids[0])["parcel_id"], lead.as_str());
    assert_eq!(
        of(&ids[1])["parcel_id"],
        lead.as_str(),
        "the second order joins the first parcel"
    );
    assert_eq!(
        of(&ids[2])["parcel_id"],
        of(&ids[2])["id"],
        "COD ships alone"
    );
    assert_eq!(
        of(&ids[3])["parcel_id"],
        of(&ids[3])["id"],
        "another address ships alone"
    );

    // One label per parcel: the first order's row names the items of both.
    let batch = api.order(&s.operator, &ids[0]).await["shipments"][0]["batch_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (bytes, _) = export(&s, &batch, "yamato-b2").await;
    let mut rows = rows_of(&bytes);
    assert_eq!(rows.len(), 4, "header and three labels");
    let lead_row = rows
        .iter()
        .position(|r| r[0] == lead.replace('-', ""))
        .unwrap();
    assert_eq!(rows[lead_row][27], "TOWEL 商品 他3点");
    let (json_bytes, _) = export(&s, &batch, "json").await;
    let wms: Value = serde_json::from_slice(&json_bytes).unwrap();
    let member = of(&ids[1])["id"].as_str().unwrap().to_owned();
    let packed = wms["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["shipment_id"] == member.as_str())
        .unwrap();
    assert_eq!(
        packed["parcel_id"],
        lead.as_str(),
        "the WMS file says what goes in which parcel"
    );

    // The carrier's issued data: one number per label ships every order in the parcel.
    for (i, row) in rows.iter_mut().skip(1).enumerate() {
        row[3] = tracking(44441375870 + i as u64);
    }
    let lead_number = rows[lead_row][3].clone();
    let r = import(&s, "yamato-b2", sjis_file(&rows)).await;
    assert_eq!(results(&r), ["shipped", "shipped", "shipped"], "{r}");
    for id in &ids {
        let o = api.order(&s.operator, id).await;
        assert_eq!(o["status"], "shipped", "{o}");
        // Each card order captures its own amount; COD is collected on delivery.
        let want = if o["payment"]["method"] == "cod" {
            json!(0)
        } else {
            o["totals"]["total"].clone()
        };
        assert_eq!(o["payment"]["captured_amount"], want, "{o}");
    }
    let second = api.order(&s.operator, &ids[1]).await;
    assert_eq!(
        second["shipments"][0]["tracking_number"],
        lead_number.as_str()
    );

    // The carrier's delivery event for the parcel delivers both orders.
    let (status, out) = webhook(
        &s,
        &s.warehouse,
        json!({"event_id": "ev-parcel", "tracking_number": lead_number, "status": "delivered", "at": "2026-11-27T05:00:00+09:00"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    api.wait_idle(&s.t.admin).await;
    for id in &ids[..2] {
        let o = api.order(&s.operator, id).await;
        assert!(
            o["status"] == "delivered" || o["status"] == "recognized",
            "{o}"
        );
    }
    assert_eq!(api.order(&s.operator, &ids[3]).await["status"], "shipped");
    api.invariants_ok(&s.t.admin).await;
}

async fn orders_stay_apart_by_default(b: Backend) {
    let s = shop(b).await;
    let (_, shipments) = place_and_instruct(
        &s,
        vec![body("N-1", "credit_card"), body("N-2", "credit_card")],
    )
    .await;
    for x in &shipments {
        assert_eq!(x["parcel_id"], x["id"]);
    }
}
