//! The accounting journal over HTTP: a month of mixed orders (both tax rates, shipping, points,
//! card and COD) recognised on delivery, with a full and a partial return after recognition;
//! the month's sales and tax per rate equal the recognised orders' totals minus the returns, every
//! entry balances, and the 弥生 / freee / マネーフォワード files carry the same amounts.

use crate::carriers::{Shop, shop, tracking};
use juchu_testkit::{Backend, order_body};
use serde_json::{Value, json};
use std::collections::BTreeMap;

juchu_testkit::on_both_backends!(
    month_of_mixed_orders_reconciles_with_the_journal,
    journal_requests_are_checked_and_the_cli_writes_the_same_bytes,
);

/// Places, instructs, ships and delivers the orders; waits until each is recognised.
async fn recognised_orders(s: &Shop, bodies: Vec<Value>) -> Vec<Value> {
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
    let shipments: Vec<String> = r.body["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["shipments"].as_array().unwrap().clone())
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shipments.len(), ids.len());
    for (n, sh) in shipments.iter().enumerate() {
        let r = api
            .post(
                &format!("/api/v1/shipments/{sh}/ship"),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(55551375870 + n as u64)}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = api
            .post(
                &format!("/api/v1/shipments/{sh}/deliver"),
                &s.warehouse,
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let mut out = Vec::new();
    for id in &ids {
        out.push(api.wait_status(&s.operator, id, "recognized").await);
    }
    out
}

fn mixed_bodies(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut lines = vec![("TOWEL", 1 + (i as i64 % 3), 1980 + 110 * i as i64)];
            if i % 2 == 1 {
                lines.push(("TEA", 1 + (i as i64 % 2), 540));
            }
            let method = if i % 3 == 2 { "cod" } else { "credit_card" };
            let mut b = order_body(&format!("{prefix}-{i}"), &lines, method);
            if i % 2 == 0 {
                b["shipping_fee"] = json!(550);
            }
            if i % 4 == 1 {
                b["points_used"] = json!(100 * i);
            }
            b
        })
        .collect()
}

fn line_of(o: &Value, sku: &str) -> Value {
    o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == sku)
        .unwrap()
        .clone()
}

/// Tax inside a tax-inclusive amount, rounded down (the default policy).
fn included(amount: i64, rate: i64) -> i64 {
    amount * rate / (100 + rate)
}

fn this_month() -> String {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap());
    format!("{:04}-{:02}", now.year(), now.month())
}

fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .date()
        .to_string()
}

async fn file(s: &Shop, token: &str, query: &str) -> (u16, String, Vec<u8>) {
    let r =
        s.t.api
            .http
            .get(format!(
                "{}/api/v1/accounting/journal?{query}",
                s.t.api.base
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

async fn month_of_mixed_orders_reconciles_with_the_journal(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let accountant = api.key(&s.t.admin, "accounting").await;
    let orders = recognised_orders(&s, mixed_bodies("AC", 8)).await;

    // Expected per rate: the recognised orders' own tax lines…
    let mut want: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for o in &orders {
        for t in o["totals"]["tax"].as_array().unwrap() {
            let e = want.entry(t["rate"].as_i64().unwrap()).or_default();
            e.0 += t["base"].as_i64().unwrap();
            e.1 += t["tax"].as_i64().unwrap();
        }
    }
    // …minus two returns after recognition: all of order 1 (towels and tea), one towel of order 2.
    let full = &orders[1];
    let (towel, tea) = (line_of(full, "TOWEL"), line_of(full, "TEA"));
    let r = api
        .post(
            &format!("/api/v1/orders/{}/returns", full["id"].as_str().unwrap()),
            &s.warehouse,
            &json!({"lines": [
                {"line_id": towel["id"], "quantity": towel["quantity"], "restock": true},
                {"line_id": tea["id"], "quantity": tea["quantity"], "restock": true}],
                "reason": "キャンセル", "received": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for l in [&towel, &tea] {
        let amount = l["quantity"].as_i64().unwrap() * l["unit_price"].as_i64().unwrap();
        let rate = l["tax_rate"].as_i64().unwrap();
        let e = want.get_mut(&rate).unwrap();
        e.0 -= amount;
        e.1 -= included(amount, rate);
    }
    let part = &orders[2];
    let towel = line_of(part, "TOWEL");
    let r = api
        .post(
            &format!("/api/v1/orders/{}/returns", part["id"].as_str().unwrap()),
            &s.warehouse,
            &json!({"lines": [{"line_id": towel["id"], "quantity": 1, "restock": false}],
                    "reason": "破損", "received": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let price = towel["unit_price"].as_i64().unwrap();
    let e = want.get_mut(&10).unwrap();
    e.0 -= price;
    e.1 -= included(price, 10);

    // The month's summary is exactly that.
    let r = api
        .get(
            &format!("/api/v1/accounting/summary?month={}", this_month()),
            &accountant,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["sale_entries"], 8);
    assert_eq!(r.body["reversal_entries"], 2);
    assert_eq!(r.body["debits"], r.body["credits"], "{}", r.text);
    let got: BTreeMap<i64, (i64, i64)> = r.body["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let (sales, tax) = (x["sales"].as_i64().unwrap(), x["tax"].as_i64().unwrap());
            assert_eq!(x["net"].as_i64().unwrap(), sales - tax);
            (x["rate"].as_i64().unwrap(), (sales, tax))
        })
        .collect();
    assert_eq!(got, want, "{}", r.text);

    // Every entry balances, and the journal names the shop's accounts.
    let day = today();
    let (status, ct, bytes) = file(&s, &accountant, &format!("from={day}&to={day}")).await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 10);
    for e in entries {
        assert_eq!(e["debits"], e["credits"], "{e}");
        let names: Vec<&str> = e["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["account"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"売掛金") && names.contains(&"売上高"),
            "{e}"
        );
    }
    let points = entries
        .iter()
        .find(|e| e["order_number"] == orders[1]["number"] && e["kind"] == "sale")
        .unwrap();
    assert!(
        points["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["account"] == "ポイント引当金" && l["amount"] == 100),
        "points used are their own line: {points}"
    );

    // 弥生: Shift_JIS, 25 columns, one 伝票 per entry, debits equal credits over the file.
    let (status, ct, bytes) = file(
        &s,
        &accountant,
        &format!("from={day}&to={day}&format=yayoi"),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=Shift_JIS"));
    let text = juchu_formats::decode_text(&bytes).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "Shift_JIS");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 25));
    assert_eq!(
        rows.iter()
            .filter(|r| r[0] == "2000" || r[0] == "2110")
            .count(),
        10
    );
    let sum = |col: usize| -> i64 {
        rows.iter()
            .map(|r| r[col].parse::<i64>().unwrap_or(0))
            .sum()
    };
    assert_eq!(sum(8), sum(14), "借方金額 = 貸方金額");
    // freee and マネーフォワード: their headers, the same entries.
    let (_, _, bytes) = file(
        &s,
        &accountant,
        &format!("from={day}&to={day}&format=freee"),
    )
    .await;
    let text = juchu_formats::decode_text(&bytes).unwrap();
    assert!(text.starts_with("収支区分,管理番号,発生日"));
    assert_eq!(text.lines().filter(|l| l.starts_with("収入,")).count(), 10);
    let (_, _, bytes) = file(
        &s,
        &accountant,
        &format!("from={day}&to={day}&format=moneyforward"),
    )
    .await;
    let text = juchu_formats::decode_text(&bytes).unwrap();
    assert!(text.starts_with("取引No,取引日"));
    assert!(text.lines().any(|l| l.starts_with("10,")));
    api.invariants_ok(&s.t.admin).await;
}

async fn journal_requests_are_checked_and_the_cli_writes_the_same_bytes(b: Backend) {
    let s = shop(b).await;
    let accountant = s.t.api.key(&s.t.admin, "accounting").await;
    recognised_orders(&s, mixed_bodies("CL", 2)).await;
    let day = today();
    for (query, field) in [
        (format!("to={day}"), "from"),
        (format!("from=2026-13-01&to={day}"), "from"),
        (format!("from={day}&to=2020-01-01"), "to"),
        (format!("from={day}&to={day}&format=pdf"), "format"),
    ] {
        let (status, _, bytes) = file(&s, &accountant, &query).await;
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    let r =
        s.t.api
            .get("/api/v1/accounting/summary?month=2026-1", &accountant)
            .await;
    assert_eq!(r.status, 422, "{}", r.text);
    // The storefront and the warehouse do not read the books.
    for token in [&s.storefront, &s.warehouse] {
        let (status, _, _) = file(&s, token, &format!("from={day}&to={day}")).await;
        assert_eq!(status, 403);
    }
    // `juchu export journal` writes what the API serves.
    let store = juchu::open_store(&s.t.db.url).await.unwrap();
    let app = juchu_app::App::new(
        store,
        std::sync::Arc::new(juchu_app::SystemClock),
        juchu_domain::policy::Policies::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    for format in ["yayoi", "freee", "moneyforward"] {
        let out = dir.path().join(format);
        juchu::accounting::export_journal(&app, &day, &day, format, Some(&out))
            .await
            .unwrap();
        let (_, _, http) = file(
            &s,
            &accountant,
            &format!("from={day}&to={day}&format={format}"),
        )
        .await;
        assert_eq!(std::fs::read(&out).unwrap(), http, "{format}");
        assert!(!http.is_empty());
    }
    let err = juchu::accounting::export_journal(&app, &day, &day, "pdf", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pdf"), "{err}");
}
