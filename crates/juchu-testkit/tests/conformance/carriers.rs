//! Carrier files and events: B2 / e飛伝 export → the carrier's file back → tracking import → shipped;
//! re-imports change nothing; delivery webhooks de-duplicated and tolerant of out-of-order events.

use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    b2_export_then_issued_data_import_ships_and_reimport_changes_nothing,
    ehiden_export_then_reexport_import_ships,
    generic_csv_bad_rows_are_errors_while_others_ship,
    webhook_duplicates_and_out_of_order_events,
);

pub(crate) struct Shop {
    pub t: TestApp,
    pub operator: String,
    pub warehouse: String,
    pub storefront: String,
}

pub(crate) async fn shop(b: Backend) -> Shop {
    shop_on(TestApp::spawn(b).await).await
}

/// The shop's keys, warehouse and stock on an app already started (e.g. with a clock).
pub(crate) async fn shop_on(t: TestApp) -> Shop {
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    let storefront = t.api.key(&t.admin, "storefront").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    t.api.sku(&operator, "TEA", 8).await;
    assert_eq!(
        t.api.stock(&warehouse, "TKY", "TOWEL", 50).await.status,
        201
    );
    assert_eq!(t.api.stock(&warehouse, "TKY", "TEA", 50).await.status, 201);
    Shop {
        t,
        operator,
        warehouse,
        storefront,
    }
}

/// A 12-digit number whose last digit is the mod-7 check digit of the first eleven.
pub(crate) fn tracking(body: u64) -> String {
    format!("{body:011}{}", body % 7)
}

/// Places orders (external id, payment method), waits until allocated, instructs them in one batch.
/// Returns the batch id and, per order, (order id, shipment id).
pub(crate) async fn instructed(
    s: &Shop,
    orders: &[(&str, &str)],
) -> (String, Vec<(String, String)>) {
    let api = &s.t.api;
    let mut ids = Vec::new();
    for (ext, method) in orders {
        let body = order_body(ext, &[("TOWEL", 2, 1980), ("TEA", 1, 540)], method);
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
    let batch = &r.body["batches"][0];
    let shipments = batch["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), orders.len(), "{}", r.text);
    let pairs = ids
        .iter()
        .map(|o| {
            let s = shipments
                .iter()
                .find(|s| s["order_id"] == o.as_str())
                .unwrap();
            (o.clone(), s["id"].as_str().unwrap().to_owned())
        })
        .collect();
    (batch["id"].as_str().unwrap().to_owned(), pairs)
}

/// The bytes of an export and its content type.
pub(crate) async fn export(s: &Shop, batch: &str, format: &str) -> (Vec<u8>, String) {
    let r =
        s.t.api
            .http
            .get(format!(
                "{}/api/v1/shipping-instructions/{batch}/export?format={format}",
                s.t.api.base
            ))
            .bearer_auth(&s.warehouse)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    (r.bytes().await.unwrap().to_vec(), ct)
}

/// Rows of a file we wrote (every field quoted, no quotes inside), header included.
pub(crate) fn rows_of(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = juchu_formats::decode_text(bytes).unwrap();
    assert!(text.ends_with("\r\n"));
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap()
                .split("\",\"")
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// A file as a carrier writes it: quoted fields, CRLF, Shift_JIS.
pub(crate) fn sjis_file(rows: &[Vec<String>]) -> Vec<u8> {
    let text: String = rows
        .iter()
        .map(|r| format!("\"{}\"\r\n", r.join("\",\"")))
        .collect();
    juchu_formats::encode_cp932(&text).unwrap()
}

pub(crate) async fn import(s: &Shop, format: &str, body: Vec<u8>) -> Value {
    let r =
        s.t.api
            .http
            .post(format!(
                "{}/api/v1/shipments/tracking-import?format={format}",
                s.t.api.base
            ))
            .bearer_auth(&s.warehouse)
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub(crate) fn results(v: &Value) -> Vec<String> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap().to_owned())
        .collect()
}

async fn b2_export_then_issued_data_import_ships_and_reimport_changes_nothing(b: Backend) {
    let s = shop(b).await;
    let (batch, pairs) = instructed(&s, &[("B-1", "credit_card"), ("B-2", "cod")]).await;
    let (bytes, ct) = export(&s, &batch, "yamato-b2").await;
    assert_eq!(ct, "text/csv; charset=Shift_JIS");
    let mut rows = rows_of(&bytes);
    assert_eq!(rows.len(), 3, "header and two labels");
    assert_eq!(rows[0][3], "伝票番号");
    for (i, row) in rows.iter_mut().skip(1).enumerate() {
        assert_eq!(row.len(), 95);
        let (order, shipment) = pairs
            .iter()
            .find(|(_, sh)| sh.replace('-', "") == row[0])
            .unwrap();
        let cod = order == &pairs[1].0;
        assert_eq!(row[1], if cod { "2" } else { "0" }, "送り状種類");
        assert_eq!(row[10], "100-0001");
        assert_eq!(row[15], "山田 太郎");
        if cod {
            assert!(
                row[33].parse::<i64>().unwrap() >= 4500,
                "ｺﾚｸﾄ代金引換額 {}",
                row[33]
            );
            assert!(row[34].parse::<i64>().unwrap() > 0, "内消費税額等");
        }
        // B2 fills 伝票番号 on its issued-data file.
        row[3] = tracking(44441375870 + i as u64);
        assert!(!shipment.is_empty());
    }
    let file = sjis_file(&rows);
    let r = import(&s, "yamato-b2", file.clone()).await;
    assert_eq!(results(&r), ["shipped", "shipped"], "{r}");
    assert_eq!(r["summary"]["shipped"], 2);
    let card = s.t.api.order(&s.operator, &pairs[0].0).await;
    assert_eq!(card["status"], "shipped");
    assert_eq!(card["payment"]["status"], "captured");
    assert_eq!(card["shipments"][0]["carrier"], "yamato");
    let version = card["version"].clone();

    let again = import(&s, "yamato-b2", file).await;
    assert_eq!(
        results(&again),
        ["already_shipped", "already_shipped"],
        "{again}"
    );
    assert_eq!(again["summary"]["shipped"], 0);
    let card = s.t.api.order(&s.operator, &pairs[0].0).await;
    assert_eq!(card["version"], version, "a re-import changes nothing");
    s.t.api.invariants_ok(&s.t.admin).await;
}

async fn ehiden_export_then_reexport_import_ships(b: Backend) {
    let s = shop(b).await;
    let (batch, pairs) = instructed(&s, &[("E-1", "credit_card")]).await;
    let (bytes, _) = export(&s, &batch, "sagawa-ehiden").await;
    let mut rows = rows_of(&bytes);
    assert_eq!(rows[0].len(), 74);
    assert_eq!(rows[1][9], pairs[0].1.replace('-', ""), "お客様管理番号");
    assert_eq!(rows[1][4], "東京都千代田区千代田1-1");
    rows[1][61] = "5125-4751-4334".into();
    let r = import(&s, "sagawa-ehiden", sjis_file(&rows)).await;
    assert_eq!(results(&r), ["shipped"], "{r}");
    let o = s.t.api.order(&s.operator, &pairs[0].0).await;
    assert_eq!(o["shipments"][0]["tracking_number"], "512547514334");
    assert_eq!(o["shipments"][0]["carrier"], "sagawa");
}

async fn generic_csv_bad_rows_are_errors_while_others_ship(b: Backend) {
    let s = shop(b).await;
    let (_, pairs) = instructed(&s, &[("G-1", "credit_card"), ("G-2", "credit_card")]).await;
    let good = tracking(12345678901);
    let mut bad = tracking(12345678902);
    bad.replace_range(11.., if bad.ends_with('0') { "1" } else { "0" });
    let csv = format!(
        "shipment_id,carrier,tracking_number,shipped_at\n{},yamato,{good},2026-11-26T01:00:00Z\n{},yamato,{bad}\n01900000-0000-7000-8000-000000000000,yamato,{good}\n{},pigeon,{good}\n",
        pairs[0].1, pairs[1].1, pairs[1].1
    );
    let r = import(&s, "csv", csv.into_bytes()).await;
    assert_eq!(results(&r), ["shipped", "error", "error", "error"], "{r}");
    assert_eq!(r["rows"][0]["row"], 2);
    assert!(
        r["rows"][1]["message"]
            .as_str()
            .unwrap()
            .contains("check digit"),
        "{r}"
    );
    assert_eq!(r["summary"]["errors"], 3);
    let o = s.t.api.order(&s.operator, &pairs[0].0).await;
    assert_eq!(o["status"], "shipped");
    assert_eq!(o["shipments"][0]["shipped_at"], "2026-11-26T01:00:00Z");
    let o = s.t.api.order(&s.operator, &pairs[1].0).await;
    assert_eq!(o["status"], "shipping_instructed");
}

pub(crate) async fn webhook(s: &Shop, token: &str, body: Value) -> (u16, Value) {
    let r =
        s.t.api
            .post("/webhooks/carriers/yamato", token, &body)
            .await;
    (r.status, r.body)
}

async fn webhook_duplicates_and_out_of_order_events(b: Backend) {
    let s = shop(b).await;
    let (_, pairs) = instructed(&s, &[("D-1", "credit_card"), ("D-2", "credit_card")]).await;
    let numbers = [tracking(22222222222), tracking(33333333333)];
    for ((_, shipment), n) in pairs.iter().zip(&numbers) {
        let r =
            s.t.api
                .post(
                    &format!("/api/v1/shipments/{shipment}/ship"),
                    &s.warehouse,
                    &json!({"carrier": "yamato", "tracking_number": n}),
                )
                .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let ev = |id: &str, n: &str, status: &str, at: &str| json!({"event_id": id, "tracking_number": n, "status": status, "at": at});
    let w = &s.warehouse;
    let (st, r) = webhook(
        &s,
        w,
        ev("e1", &numbers[0], "in_transit", "2026-11-27T01:00:00Z"),
    )
    .await;
    assert_eq!(
        (st, r["outcome"].as_str()),
        (200, Some("ignored: in transit"))
    );
    let (st, r) = webhook(
        &s,
        w,
        ev("e2", &numbers[0], "delivered", "2026-11-27T05:00:00Z"),
    )
    .await;
    assert_eq!((st, r["outcome"].as_str()), (200, Some("delivered")), "{r}");
    // Delivered, or already 計上済: the worker recognises revenue on delivery.
    let delivered_or_later =
        |o: &Value| matches!(o["status"].as_str(), Some("delivered" | "recognized"));
    let delivered = s.t.api.order(&s.operator, &pairs[0].0).await;
    assert!(delivered_or_later(&delivered), "{delivered}");
    // The carrier retries: nothing changes.
    let (st, r) = webhook(
        &s,
        w,
        ev("e2", &numbers[0], "delivered", "2026-11-27T05:00:00Z"),
    )
    .await;
    assert_eq!((st, r["duplicate"].as_bool()), (200, Some(true)));
    // Older news after the delivery leaves it delivered.
    for (id, status) in [("e3", "in_transit"), ("e4", "failed")] {
        let (st, r) = webhook(&s, w, ev(id, &numbers[0], status, "2026-11-27T03:00:00Z")).await;
        assert_eq!(st, 200, "{r}");
        assert!(r["outcome"].as_str().unwrap().starts_with("ignored"), "{r}");
    }
    let after = s.t.api.order(&s.operator, &pairs[0].0).await;
    assert!(delivered_or_later(&after), "{after}");
    assert_eq!(after["shipments"][0]["status"], "delivered", "{after}");
    assert!(after["holds"].as_array().unwrap().is_empty(), "{after}");

    // A failed delivery holds the order for an operator, once.
    let (_, r) = webhook(
        &s,
        w,
        ev("f1", &numbers[1], "failed", "2026-11-27T06:00:00Z"),
    )
    .await;
    assert_eq!(r["outcome"], "held", "{r}");
    let (_, r) = webhook(
        &s,
        w,
        ev("f2", &numbers[1], "failed", "2026-11-27T07:00:00Z"),
    )
    .await;
    assert!(r["outcome"].as_str().unwrap().starts_with("ignored"), "{r}");
    let o = s.t.api.order(&s.operator, &pairs[1].0).await;
    let holds: Vec<&str> = o["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert_eq!(holds, ["delivery_failed"]);

    // Unknown tracking number, wrong role, wrong secret.
    let (st, _) = webhook(
        &s,
        w,
        ev(
            "x1",
            &tracking(44444444444),
            "delivered",
            "2026-11-27T06:00:00Z",
        ),
    )
    .await;
    assert_eq!(st, 404);
    let (st, _) = webhook(
        &s,
        &s.storefront,
        ev("x2", &numbers[1], "delivered", "2026-11-27T06:00:00Z"),
    )
    .await;
    assert_eq!(st, 403);
    let r =
        s.t.api
            .send(
                reqwest::Method::POST,
                "/webhooks/carriers/yamato",
                None,
                Some(&ev("x3", &numbers[1], "delivered", "2026-11-27T06:00:00Z")),
                &[("x-juchu-webhook-secret", "guess")],
            )
            .await;
    assert_eq!(r.status, 401);
    s.t.api.invariants_ok(&s.t.admin).await;
}
