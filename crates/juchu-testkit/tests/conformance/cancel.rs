//! Cancellation after shipping instruction waits for the warehouse: the cancel is a request
//! (202, shipment `cancel_requested`, stock and payment untouched), the warehouse confirms (the
//! order is cancelled, exactly its stock released) or refuses (the order ships); shipping anyway
//! refuses the request by itself; the warehouse polls the requests and sees them in its files.

use crate::carriers::{Shop, export, import, instructed, rows_of, shop, shop_on, tracking};
use juchu_domain::policy::Policies;
use juchu_testkit::Backend;
use juchu_testkit::TestApp;
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    request_then_confirm_releases_exactly_the_orders_stock,
    request_then_refuse_and_the_order_ships,
    shipping_while_requested_refuses_the_request,
    customer_cancel_after_instruction_is_refused_and_changes_nothing,
    combined_parcel_cancel_covers_only_that_order,
);

async fn cancel(s: &Shop, token: &str, id: &str, reason: &str) -> juchu_testkit::Resp {
    s.t.api
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            token,
            &json!({ "reason": reason }),
        )
        .await
}

async fn event_kinds(s: &Shop, id: &str) -> Vec<String> {
    let r =
        s.t.api
            .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn requested(s: &Shop) -> Vec<Value> {
    let r =
        s.t.api
            .get("/api/v1/shipments?status=cancel_requested", &s.warehouse)
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut rd = csv::Reader::from_reader(bytes);
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
    let mut out = vec![header];
    for r in rd.records() {
        out.push(r.unwrap().iter().map(str::to_owned).collect());
    }
    out
}

async fn request_then_confirm_releases_exactly_the_orders_stock(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (batch, pairs) = instructed(&s, &[("X-1", "credit_card"), ("X-2", "credit_card")]).await;
    let (id, shipment) = pairs[0].clone();
    let (other, other_shipment) = pairs[1].clone();
    // Each order holds TOWEL 2 and TEA 1.
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (50, 4));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (50, 2));

    let r = cancel(&s, &s.operator, &id, "お客様都合（電話）").await;
    assert_eq!(
        r.status, 202,
        "a request, not yet a cancellation: {}",
        r.text
    );
    assert_eq!(r.body["status"], "shipping_instructed");
    assert_eq!(r.body["cancel_request"]["reason"], "お客様都合（電話）");
    assert_eq!(r.body["cancel_request"]["requested_by"]["role"], "operator");
    assert!(r.body["cancel_request"]["requested_at"].is_string());
    assert_eq!(r.body["shipments"][0]["status"], "cancel_requested");
    assert_eq!(
        r.body["shipments"][0]["cancel_request"]["reason"],
        "お客様都合（電話）"
    );
    assert_eq!(
        r.body["payment"]["status"], "authorized",
        "payment untouched"
    );
    assert_eq!(r.body["allocations"].as_array().unwrap().len(), 2);
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (50, 4));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (50, 2));
    assert!(
        event_kinds(&s, &id)
            .await
            .contains(&"order.cancel_requested".to_owned())
    );

    // Asking again is refused while the warehouse has not answered.
    let before = api.order(&s.operator, &id).await;
    let r = cancel(&s, &s.operator, &id, "again").await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("waiting for the warehouse"),
        "{}",
        r.text
    );
    assert_eq!(api.order(&s.operator, &id).await, before);

    // The warehouse polls the requests …
    let items = requested(&s).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], shipment.as_str());
    assert_eq!(items[0]["order_id"], id.as_str());
    assert_eq!(items[0]["order_status"], "shipping_instructed");
    assert_eq!(items[0]["status"], "cancel_requested");
    assert_eq!(items[0]["cancel_request"]["reason"], "お客様都合（電話）");
    let r = api
        .get("/api/v1/shipments?status=instructed&limit=1", &s.warehouse)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], other_shipment.as_str());
    assert!(r.body["next_cursor"].is_null());
    for bad in [
        "/api/v1/shipments",
        "/api/v1/shipments?status=lost",
        "/api/v1/shipments?status=shipped&limit=0",
        "/api/v1/shipments?status=shipped&cursor=x",
    ] {
        let r = api.get(bad, &s.warehouse).await;
        assert_eq!(
            (r.status, r.code()),
            (422, "validation_failed"),
            "{bad}: {}",
            r.text
        );
    }

    // … and sees them in a re-export of its files, with every earlier column kept.
    let (bytes, _) = export(&s, &batch, "csv").await;
    let rows = csv_rows(&bytes);
    let header = &rows[0];
    assert_eq!(
        header[..20],
        [
            "batch_id",
            "warehouse",
            "shipment_id",
            "order_number",
            "external_id",
            "ship_to_name",
            "postal_code",
            "prefecture",
            "city",
            "line1",
            "line2",
            "phone",
            "delivery_date",
            "time_slot",
            "payment_method",
            "cod_amount",
            "sku",
            "name",
            "quantity",
            "parcel_id"
        ]
    );
    assert_eq!(header[20..], ["status", "cancel_reason"]);
    assert_eq!(rows.len(), 5, "two lines per order");
    for row in &rows[1..] {
        if row[2] == shipment {
            assert_eq!(
                (row[20].as_str(), row[21].as_str()),
                ("cancel_requested", "お客様都合（電話）")
            );
        } else {
            assert_eq!(row[2], other_shipment);
            assert_eq!((row[20].as_str(), row[21].as_str()), ("instructed", ""));
        }
    }
    let (bytes, _) = export(&s, &batch, "json").await;
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let mine = doc["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["shipment_id"] == shipment.as_str())
        .unwrap();
    assert_eq!(mine["status"], "cancel_requested");
    assert_eq!(mine["cancel_reason"], "お客様都合（電話）");
    assert_eq!(mine["parcel_id"], shipment.as_str());

    // A storefront key may not answer for the warehouse.
    let confirm = format!("/api/v1/shipments/{shipment}/cancel/confirm");
    let r = api.post(&confirm, &s.storefront, &json!({})).await;
    assert_eq!(r.status, 403, "{}", r.text);

    let r = api.post(&confirm, &s.warehouse, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["shipments"][0]["status"], "cancelled");
    assert_eq!(r.body["payment"]["status"], "voided");
    assert!(r.body["cancel_request"].is_null());
    assert_eq!(r.body["allocations"], json!([]));
    // Exactly this order's stock is released; the other order keeps its own.
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (50, 2));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (50, 1));
    let o = api.order(&s.operator, &other).await;
    assert_eq!(o["status"], "shipping_instructed");
    assert_eq!(o["shipments"][0]["status"], "instructed");
    let kinds = event_kinds(&s, &id).await;
    for k in [
        "shipment.cancel_confirmed",
        "allocation.released",
        "payment.voided",
        "order.cancelled",
    ] {
        assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
    }

    // Answering again is refused with the reason, and changes nothing.
    let after = api.order(&s.operator, &id).await;
    let r = api.post(&confirm, &s.warehouse, &json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("confirmed already"),
        "{}",
        r.text
    );
    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/cancel/refuse"),
            &s.warehouse,
            &json!({"reason": "出荷済み"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    assert_eq!(api.order(&s.operator, &id).await, after);
    assert!(requested(&s).await.is_empty());
    let (bytes, _) = export(&s, &batch, "csv").await;
    assert_eq!(
        csv_rows(&bytes).len(),
        3,
        "a cancelled shipment leaves the file"
    );
    let r = api
        .post(
            "/api/v1/shipments/01900000-0000-7000-8000-000000000000/cancel/confirm",
            &s.warehouse,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    api.wait_idle(&s.t.admin).await;
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn request_then_refuse_and_the_order_ships(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (_, pairs) = instructed(&s, &[("R-1", "credit_card")]).await;
    let (id, shipment) = pairs[0].clone();
    let r = cancel(&s, &s.operator, &id, "住所誤り").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let refuse = format!("/api/v1/shipments/{shipment}/cancel/refuse");
    let before = api.order(&s.operator, &id).await;
    for body in [json!({}), json!({"reason": "  "})] {
        let r = api.post(&refuse, &s.warehouse, &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
    }
    assert_eq!(api.order(&s.operator, &id).await, before);
    let r = api
        .post(
            &refuse,
            &s.warehouse,
            &json!({"reason": "集荷済みのため止められません"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipping_instructed");
    assert_eq!(r.body["shipments"][0]["status"], "instructed");
    assert!(r.body["cancel_request"].is_null());
    assert!(r.body["shipments"][0].get("cancel_request").is_none());
    let events = api
        .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
        .await;
    let refused = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "order.cancel_refused")
        .unwrap()
        .clone();
    assert_eq!(refused["data"]["reason"], "集荷済みのため止められません");
    assert_eq!(refused["data"]["automatic"], false);
    assert_eq!(refused["data"]["request"]["reason"], "住所誤り");
    assert!(requested(&s).await.is_empty());
    // Refusing twice is refused.
    let r = api
        .post(&refuse, &s.warehouse, &json!({"reason": "again"}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );

    let r = api
        .post(
            &format!("/api/v1/shipments/{shipment}/ship"),
            &s.warehouse,
            &json!({"carrier": "yamato", "tracking_number": tracking(22233344455)}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    assert_eq!(r.body["payment"]["status"], "captured");
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (48, 0));
    // After shipping the cancel is refused outright (a return is the way).
    let r = cancel(&s, &s.operator, &id, "too late").await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    api.wait_idle(&s.t.admin).await;
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn shipping_while_requested_refuses_the_request(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (_, mut pairs) = instructed(&s, &[("W-1", "credit_card"), ("W-2", "credit_card")]).await;
    for (id, _) in &pairs {
        let r = cancel(&s, &s.operator, id, "キャンセル希望").await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    assert_eq!(requested(&s).await.len(), 2);
    // Oldest shipment first (ids are time-ordered; one instruction call makes both).
    pairs.sort_by(|a, b| a.1.cmp(&b.1));
    // Paged, oldest first.
    let r = api
        .get(
            "/api/v1/shipments?status=cancel_requested&limit=1",
            &s.warehouse,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], pairs[0].1.as_str());
    let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = api
        .get(
            &format!("/api/v1/shipments?status=cancel_requested&limit=1&cursor={cursor}"),
            &s.warehouse,
        )
        .await;
    assert_eq!(r.body["items"][0]["id"], pairs[1].1.as_str(), "{}", r.text);
    assert!(r.body["next_cursor"].is_null(), "{}", r.text);
    // The warehouse shipped the first anyway and says so through the ship call …
    let r = api
        .post(
            &format!("/api/v1/shipments/{}/ship", pairs[0].1),
            &s.warehouse,
            &json!({"carrier": "yamato", "tracking_number": tracking(33344455566)}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    assert!(r.body["cancel_request"].is_null());
    // … and the second through a tracking file.
    let csv = format!(
        "shipment_id,carrier,tracking_number,shipped_at\n{},yamato,{}\n",
        pairs[1].1,
        tracking(44455566677)
    );
    let r = import(&s, "csv", csv.into_bytes()).await;
    assert_eq!(r["rows"][0]["result"], "shipped", "{r}");
    for (id, _) in &pairs {
        let o = api.order(&s.operator, id).await;
        assert_eq!(o["status"], "shipped", "{o}");
        assert_eq!(o["payment"]["status"], "captured");
        let events = api
            .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
            .await;
        let refused = events
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "order.cancel_refused")
            .unwrap()
            .clone();
        assert_eq!(refused["data"]["automatic"], true);
    }
    assert!(requested(&s).await.is_empty());
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (46, 0));
    api.wait_idle(&s.t.admin).await;
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn customer_cancel_after_instruction_is_refused_and_changes_nothing(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (_, pairs) = instructed(&s, &[("K-1", "credit_card")]).await;
    let id = &pairs[0].0;
    let before = api.order(&s.operator, id).await;
    let r = cancel(&s, &s.storefront, id, "やっぱり不要").await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );
    assert_eq!(r.body["current_status"], "shipping_instructed");
    assert!(
        r.body["detail"].as_str().unwrap().contains("customers"),
        "{}",
        r.text
    );
    assert_eq!(api.order(&s.operator, id).await, before);
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (50, 2));
    assert!(requested(&s).await.is_empty());
    s.t.stop().await;
}

async fn confirm(s: &Shop, shipment: &str) -> Value {
    let r =
        s.t.api
            .post(
                &format!("/api/v1/shipments/{shipment}/cancel/confirm"),
                &s.warehouse,
                &json!({}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// 同梱: a request covers the order's own shipment in the parcel; on confirmation it leaves the
/// parcel, and when it held the parcel, the shipments packed into it ship on their own.
async fn combined_parcel_cancel_covers_only_that_order(b: Backend) {
    let policies = Policies {
        combine_shipments: true,
        ..Policies::default()
    };
    let s = shop_on(TestApp::spawn_with(b, policies).await).await;
    let api = &s.t.api;
    let (batch, pairs) = instructed(
        &s,
        &[
            ("P-1", "credit_card"),
            ("P-2", "credit_card"),
            ("P-3", "credit_card"),
        ],
    )
    .await;
    let lead = pairs[0].1.clone();
    for (id, _) in &pairs[1..] {
        let o = api.order(&s.operator, id).await;
        assert_eq!(o["shipments"][0]["combined_into"], lead.as_str(), "{o}");
    }
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (50, 6));

    // A packed order is cancelled: only its shipment is requested, and it leaves the parcel.
    let r = cancel(&s, &s.operator, &pairs[2].0, "重複注文").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let (bytes, _) = export(&s, &batch, "csv").await;
    for row in &csv_rows(&bytes)[1..] {
        assert_eq!(row[19], lead, "all still in one parcel");
        let want = if row[2] == pairs[2].1 {
            "cancel_requested"
        } else {
            "instructed"
        };
        assert_eq!(row[20], want, "{row:?}");
    }
    let o = confirm(&s, &pairs[2].1).await;
    assert_eq!(o["status"], "cancelled");
    let o = api.order(&s.operator, &pairs[0].0).await;
    assert_eq!(o["status"], "shipping_instructed");
    assert_eq!(
        o["shipments"][0]["combined_with"],
        json!([pairs[1].1]),
        "{o}"
    );

    // The parcel's own order is cancelled: the other order ships on its own label.
    let r = cancel(&s, &s.operator, &pairs[0].0, "住所違い").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let o = confirm(&s, &lead).await;
    assert_eq!(o["status"], "cancelled");
    let o = api.order(&s.operator, &pairs[1].0).await;
    assert!(o["shipments"][0].get("combined_into").is_none(), "{o}");
    assert_eq!(o["shipments"][0]["status"], "instructed");
    let r = api
        .get(
            &format!("/api/v1/orders/{}/events", pairs[1].0),
            &s.operator,
        )
        .await;
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "shipment.uncombined"),
        "{}",
        r.text
    );
    let (bytes, _) = export(&s, &batch, "yamato-b2").await;
    let rows = rows_of(&bytes);
    assert_eq!(rows.len(), 2, "header and the one label left: {rows:?}");
    assert_eq!(rows[1][0], pairs[1].1.replace('-', ""));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (50, 2));

    let r = api
        .post(
            &format!("/api/v1/shipments/{}/ship", pairs[1].1),
            &s.warehouse,
            &json!({"carrier": "yamato", "tracking_number": tracking(55566677788)}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (48, 0));
    api.wait_idle(&s.t.admin).await;
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
