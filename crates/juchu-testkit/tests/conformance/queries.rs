//! Reading the order book (paging, filters, search, counts), review holds and payments that decide
//! whether an order moves on, and the documents the server serves about itself.

use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};
use std::collections::HashSet;

juchu_testkit::on_both_backends!(
    list_pages_with_a_cursor_without_duplicates,
    list_filters_by_status_and_channel,
    search_finds_orders_by_kana_email_phone_number_and_external_id,
    counts_name_every_status,
    fraud_review_hold_keeps_an_order_unallocated_until_released,
    manual_hold_keeps_an_allocated_order_from_shipping,
    declined_payments_are_held,
    bank_transfer_reserves_stock_but_ships_only_when_paid,
    openapi_docs_health_and_metrics,
);

const STATUSES: [&str; 9] = [
    "received",
    "unallocated",
    "partially_allocated",
    "allocated",
    "shipping_instructed",
    "shipped",
    "delivered",
    "recognized",
    "cancelled",
];

struct Shop {
    t: TestApp,
    operator: String,
    warehouse: String,
    storefront: String,
    accounting: String,
}

async fn shop(b: Backend) -> Shop {
    let t = TestApp::spawn(b).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    let storefront = t.api.key(&t.admin, "storefront").await;
    let accounting = t.api.key(&t.admin, "accounting").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    t.api.sku(&operator, "TEA", 8).await;
    assert_eq!(
        t.api.stock(&warehouse, "TKY", "TOWEL", 100).await.status,
        201
    );
    assert_eq!(t.api.stock(&warehouse, "TKY", "TEA", 100).await.status, 201);
    Shop {
        t,
        operator,
        warehouse,
        storefront,
        accounting,
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn create(s: &Shop, body: &Value) -> Value {
    let r = s.t.api.post("/api/v1/orders", &s.storefront, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn id_of(o: &Value) -> String {
    o["id"].as_str().unwrap().to_owned()
}

/// The ids of a list response's items.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(id_of)
        .collect()
}

/// The ids found by `GET /api/v1/orders?{query}`, one page of up to 500.
async fn find(s: &Shop, query: &str) -> HashSet<String> {
    let r =
        s.t.api
            .get(&format!("/api/v1/orders?limit=500&{query}"), &s.operator)
            .await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    assert!(r.body["next_cursor"].is_null());
    ids(&r.body).into_iter().collect()
}

fn set(ids: &[&String]) -> HashSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

async fn events(s: &Shop, id: &str) -> Vec<String> {
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

fn card(external_id: &str, token: &str) -> Value {
    let mut b = order_body(external_id, &[("TOWEL", 1, 1980)], "credit_card");
    b["payment"]["card_token"] = json!(token);
    b
}

async fn list_pages_with_a_cursor_without_duplicates(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let mut created = Vec::new();
    for i in 0..7 {
        let o = create(
            &s,
            &order_body(&format!("P-{i}"), &[("TEA", 1, 540)], "cod"),
        )
        .await;
        created.push(id_of(&o));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut sizes = Vec::new();
    let mut numbers = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/v1/orders?limit=3".to_owned(),
            Some(c) => format!("/api/v1/orders?limit=3&cursor={}", enc(c)),
        };
        let r = api.get(&path, &s.operator).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        sizes.push(items.len());
        numbers.extend(items.iter().map(|o| o["number"].as_i64().unwrap()));
        seen.extend(ids(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert!(
                    r.body.get("next_cursor").is_some(),
                    "next_cursor is present (null) on the last page: {}",
                    r.text
                );
                break;
            }
        }
        assert!(sizes.len() < 10, "paging does not end: {sizes:?}");
    }
    assert_eq!(sizes, [3, 3, 1]);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 7, "no duplicates across pages: {seen:?}");
    assert_eq!(unique, created.iter().collect::<HashSet<_>>());
    let mut newest_first = numbers.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(numbers, newest_first, "newest first");

    // Exactly a page's worth: the last full page says there is no more.
    let r = api.get("/api/v1/orders?limit=7", &s.operator).await;
    assert_eq!(ids(&r.body).len(), 7);
    assert!(r.body["next_cursor"].is_null(), "{}", r.text);
    // Paging composes with a filter.
    let r = api
        .get("/api/v1/orders?limit=5&channel=web", &s.operator)
        .await;
    assert_eq!(ids(&r.body).len(), 5);
    let c = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = api
        .get(
            &format!("/api/v1/orders?limit=5&channel=web&cursor={}", enc(&c)),
            &s.operator,
        )
        .await;
    assert_eq!(ids(&r.body).len(), 2);
    assert!(r.body["next_cursor"].is_null());

    // Out-of-range limits and foreign cursors are invalid values.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-3", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("status=lost", "status"),
    ] {
        let r = api
            .get(&format!("/api/v1/orders?{query}"), &s.operator)
            .await;
        assert_eq!(
            (r.status, r.code()),
            (422, "validation_failed"),
            "{query}: {}",
            r.text
        );
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    // Not even a number: still a field problem in problem+json, not a plain-text 400.
    for query in ["limit=abc", "limit=99999999999999999999", "limit=1.5"] {
        let r = api
            .get(&format!("/api/v1/orders?{query}"), &s.operator)
            .await;
        assert_eq!(
            (r.status, r.code()),
            (422, "validation_failed"),
            "{query}: {}",
            r.text
        );
        assert_eq!(
            r.content_type, "application/problem+json",
            "{query}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "limit", "{}", r.text);
    }
    let r = api
        .get("/api/v1/stock/movements?limit=many", &s.operator)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    assert_eq!(r.body["errors"][0]["field"], "limit", "{}", r.text);
    s.t.stop().await;
}

async fn list_filters_by_status_and_channel(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let web1 = id_of(&create(&s, &order_body("W-1", &[("TEA", 1, 540)], "cod")).await);
    let web2 = id_of(&create(&s, &order_body("W-2", &[("TEA", 1, 540)], "cod")).await);
    let mut rk = order_body("R-1", &[("TOWEL", 1, 1980)], "cod");
    rk["channel"] = json!("rakuten");
    let rk1 = id_of(&create(&s, &rk).await);
    rk["external_id"] = json!("R-2");
    let rk2 = id_of(&create(&s, &rk).await);
    let mut held = card("R-3", "tok_fraud");
    held["channel"] = json!("rakuten");
    let rk3 = id_of(&create(&s, &held).await);
    for id in [&web1, &web2, &rk1, &rk2] {
        api.wait_status(&s.operator, id, "allocated").await;
    }
    api.wait_status(&s.operator, &rk3, "unallocated").await;
    for id in [&web2, &rk2] {
        let r = api
            .post(
                &format!("/api/v1/orders/{id}/cancel"),
                &s.operator,
                &json!({"reason": "お客様都合"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    api.wait_idle(&s.t.admin).await;

    assert_eq!(find(&s, "status=allocated").await, set(&[&web1, &rk1]));
    assert_eq!(find(&s, "status=cancelled").await, set(&[&web2, &rk2]));
    assert_eq!(find(&s, "status=unallocated").await, set(&[&rk3]));
    assert_eq!(find(&s, "status=shipped").await, set(&[]));
    assert_eq!(find(&s, "channel=web").await, set(&[&web1, &web2]));
    assert_eq!(find(&s, "channel=rakuten").await, set(&[&rk1, &rk2, &rk3]));
    assert_eq!(find(&s, "channel=amazon").await, set(&[]));
    assert_eq!(
        find(&s, "channel=rakuten&status=cancelled").await,
        set(&[&rk2])
    );
    assert_eq!(find(&s, "status=&channel=").await.len(), 5, "empty = any");
    // Every listed order has the filtered status.
    let r = api
        .get("/api/v1/orders?status=allocated", &s.operator)
        .await;
    for o in r.body["items"].as_array().unwrap() {
        assert_eq!(o["status"], "allocated");
        assert!(o["version"].as_i64().unwrap() >= 1);
    }
    // Every role that reads may list.
    for key in [&s.warehouse, &s.storefront, &s.accounting] {
        let r = api.get("/api/v1/orders?channel=web", key).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    s.t.stop().await;
}

async fn search_finds_orders_by_kana_email_phone_number_and_external_id(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    // order_body's customer: 山田 太郎 / ヤマダ タロウ / taro@example.jp / 090-1111-2222.
    let yamada = create(&s, &order_body("YAM-0001", &[("TEA", 1, 540)], "cod")).await;
    let mut b = order_body("SZK-0002", &[("TEA", 1, 540)], "cod");
    b["customer"] = json!({"name": "鈴木 花子", "kana": "スズキ ハナコ", "email": "Hanako.Suzuki@Example.co.jp", "phone": "03-5555-6666"});
    b["shipping_address"]["name"] = json!("鈴木 花子");
    let suzuki = create(&s, &b).await;
    let mut b = order_body("RK-2024-0777", &[("TEA", 1, 540)], "cod");
    b["channel"] = json!("rakuten");
    b["customer"] = json!({"name": "山田 花子", "kana": "ヤマダ ハナコ", "email": "yamada.h@example.net", "phone": "08077778888"});
    b["shipping_address"]["name"] = json!("山田 花子");
    let hanako = create(&s, &b).await;
    let (y, sz, h) = (id_of(&yamada), id_of(&suzuki), id_of(&hanako));
    api.wait_idle(&s.t.admin).await;

    let cases: Vec<(&str, HashSet<String>)> = vec![
        // Kana, with and without the space; names in kanji.
        ("ヤマダ", set(&[&y, &h])),
        ("ヤマダ タロウ", set(&[&y])),
        ("ヤマダタロウ", set(&[&y])),
        ("ハナコ", set(&[&sz, &h])),
        ("スズキ", set(&[&sz])),
        ("山田", set(&[&y, &h])),
        ("鈴木 花子", set(&[&sz])),
        // E-mail, whole or in part, any case.
        ("taro@example.jp", set(&[&y])),
        ("hanako.suzuki@example.co.jp", set(&[&sz])),
        ("HANAKO.SUZUKI@EXAMPLE.CO.JP", set(&[&sz])),
        ("example.net", set(&[&h])),
        // Phone with or without hyphens, either way round.
        ("090-1111-2222", set(&[&y])),
        ("09011112222", set(&[&y])),
        ("0355556666", set(&[&sz])),
        ("03-5555-6666", set(&[&sz])),
        ("080-7777-8888", set(&[&h])),
        ("08077778888", set(&[&h])),
        // External id.
        ("YAM-0001", set(&[&y])),
        ("RK-2024-0777", set(&[&h])),
        ("rk-2024-0777", set(&[&h])),
        // Nothing.
        ("佐藤", set(&[])),
        ("nobody@example.jp", set(&[])),
        ("%", set(&[])),
        ("_", set(&[])),
    ];
    for (q, want) in &cases {
        assert_eq!(
            &find(&s, &format!("q={}", enc(q))).await,
            want,
            "q={q} found the wrong orders"
        );
    }
    // Order number.
    for o in [&yamada, &suzuki, &hanako] {
        let n = o["number"].as_i64().unwrap().to_string();
        assert_eq!(
            find(&s, &format!("q={n}")).await,
            set(&[&id_of(o)]),
            "q={n}"
        );
    }
    // Search composes with the other filters.
    assert_eq!(
        find(&s, &format!("q={}&channel=rakuten", enc("ヤマダ"))).await,
        set(&[&h])
    );
    assert_eq!(
        find(&s, &format!("q={}&status=cancelled", enc("ヤマダ"))).await,
        set(&[])
    );
    // A blank q is no filter.
    assert_eq!(find(&s, "q=%20").await.len(), 3);
    s.t.stop().await;
}

async fn counts_name_every_status(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let r = api.get("/api/v1/orders/counts", &s.operator).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let keys: HashSet<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, STATUSES.into_iter().collect(), "{}", r.text);
    for st in STATUSES {
        assert_eq!(r.body[st], 0, "{st} on an empty book");
    }

    let a = id_of(&create(&s, &order_body("C-1", &[("TEA", 1, 540)], "cod")).await);
    let c = id_of(&create(&s, &order_body("C-2", &[("TEA", 1, 540)], "cod")).await);
    let h = id_of(&create(&s, &card("C-3", "tok_fraud")).await);
    api.wait_status(&s.operator, &a, "allocated").await;
    api.wait_status(&s.operator, &c, "allocated").await;
    api.wait_status(&s.operator, &h, "unallocated").await;
    let r = api
        .post(
            &format!("/api/v1/orders/{c}/cancel"),
            &s.operator,
            &json!({"reason": "重複注文"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.wait_idle(&s.t.admin).await;
    for key in [&s.operator, &s.warehouse, &s.accounting, &s.storefront] {
        let r = api.get("/api/v1/orders/counts", key).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body.as_object().unwrap().len(), STATUSES.len());
        let want = json!({"received": 0, "unallocated": 1, "partially_allocated": 0, "allocated": 1,
            "shipping_instructed": 0, "shipped": 0, "delivered": 0, "recognized": 0, "cancelled": 1});
        assert_eq!(r.body, want);
    }
    // The counts agree with the list.
    for st in STATUSES {
        let n = find(&s, &format!("status={st}")).await.len() as i64;
        let counts = api.get("/api/v1/orders/counts", &s.operator).await;
        assert_eq!(counts.body[st], n, "{st}");
    }
    s.t.stop().await;
}

async fn fraud_review_hold_keeps_an_order_unallocated_until_released(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let id = id_of(&create(&s, &card("H-1", "tok_fraud")).await);
    api.wait_status(&s.operator, &id, "unallocated").await;
    api.wait_idle(&s.t.admin).await;
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "unallocated", "held, so never allocated");
    assert_eq!(o["payment"]["status"], "authorized");
    assert_eq!(o["payment"]["authorized_amount"], 1980);
    let holds = o["holds"].as_array().unwrap();
    assert_eq!(holds.len(), 1, "{o}");
    assert_eq!(holds[0]["code"], "fraud_review");
    assert!(holds[0]["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(holds[0]["placed_at"].is_string());
    assert!(o["allocations"].as_array().unwrap().is_empty());
    assert_eq!(o["lines"][0]["allocated_quantity"], 0);
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (100, 0));
    assert_eq!(find(&s, "status=unallocated").await, set(&[&id]));

    // Stock arriving does not move a held order either.
    assert_eq!(api.stock(&s.warehouse, "TKY", "TOWEL", 1).await.status, 201);
    api.wait_idle(&s.t.admin).await;
    assert_eq!(api.order(&s.operator, &id).await["status"], "unallocated");
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (101, 0));
    // Nor is it instructed.
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["batches"].as_array().unwrap().is_empty());
    assert_eq!(r.body["skipped"][0]["order_id"], id.as_str());

    // Releasing the hold lets it move on.
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/holds/fraud_review/release"),
            &s.operator,
            &json!({"note": "本人確認済み"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["holds"].as_array().unwrap().is_empty());
    let o = api.wait_status(&s.operator, &id, "allocated").await;
    assert_eq!(o["lines"][0]["allocated_quantity"], 1);
    assert_eq!(o["allocations"][0]["warehouse"], "TKY");
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (101, 1));

    let kinds = events(&s, &id).await;
    let placed = kinds.iter().position(|k| k == "hold.placed");
    let released = kinds.iter().position(|k| k == "hold.released");
    let reserved = kinds.iter().position(|k| k == "allocation.reserved");
    assert!(
        placed.is_some() && placed < released && released < reserved,
        "hold placed, released, then stock reserved: {kinds:?}"
    );
    let r = api
        .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
        .await;
    let ev = r.body.as_array().unwrap();
    let placed = ev.iter().find(|e| e["kind"] == "hold.placed").unwrap();
    assert_eq!(placed["data"]["code"], "fraud_review");
    let released = ev.iter().find(|e| e["kind"] == "hold.released").unwrap();
    assert_eq!(released["data"]["code"], "fraud_review");
    assert_eq!(released["data"]["note"], "本人確認済み");
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn manual_hold_keeps_an_allocated_order_from_shipping(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let id = id_of(&create(&s, &order_body("MH-1", &[("TOWEL", 2, 1980)], "cod")).await);
    api.wait_status(&s.operator, &id, "allocated").await;
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/holds"),
            &s.operator,
            &json!({"code": "manual", "reason": "お客様に住所確認中"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["holds"][0]["code"], "manual");
    assert_eq!(r.body["holds"][0]["reason"], "お客様に住所確認中");
    assert_eq!(r.body["status"], "allocated", "a hold keeps the stock");

    // Neither instructed by id nor swept up by a warehouse-wide instruction.
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["batches"].as_array().unwrap().is_empty());
    assert_eq!(r.body["skipped"][0]["order_id"], id.as_str());
    assert!(
        r.body["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|x| x.contains("manual")),
        "{}",
        r.text
    );
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"warehouse": "TKY"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        r.body["batches"].as_array().unwrap().is_empty(),
        "{}",
        r.text
    );
    assert_eq!(api.order(&s.operator, &id).await["status"], "allocated");

    let r = api
        .post(
            &format!("/api/v1/orders/{id}/holds/manual/release"),
            &s.operator,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["batches"][0]["shipments"][0]["order_id"],
        id.as_str()
    );
    assert_eq!(
        api.order(&s.operator, &id).await["status"],
        "shipping_instructed"
    );
    let kinds = events(&s, &id).await;
    assert!(kinds.contains(&"hold.placed".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"hold.released".to_owned()), "{kinds:?}");
    s.t.stop().await;
}

async fn declined_payments_are_held(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let card_declined = id_of(&create(&s, &card("D-1", "tok_declined")).await);
    let mut deferred = order_body("D-2", &[("TEA", 2, 540)], "deferred");
    deferred["customer"]["email"] = json!("taro+decline@example.jp");
    let deferred_declined = id_of(&create(&s, &deferred).await);
    // The same method with an ordinary address is approved.
    let deferred_ok = id_of(&create(&s, &order_body("D-3", &[("TEA", 1, 540)], "deferred")).await);
    let card_ok = id_of(&create(&s, &card("D-4", "tok_visa")).await);

    for id in [&card_declined, &deferred_declined] {
        api.wait_status(&s.operator, id, "unallocated").await;
    }
    api.wait_status(&s.operator, &deferred_ok, "allocated")
        .await;
    api.wait_status(&s.operator, &card_ok, "allocated").await;
    api.wait_idle(&s.t.admin).await;
    for id in [&card_declined, &deferred_declined] {
        let o = api.order(&s.operator, id).await;
        assert_eq!(o["status"], "unallocated", "{o}");
        assert_eq!(o["payment"]["status"], "declined", "{o}");
        assert_eq!(o["payment"]["authorized_amount"], 0);
        let codes: Vec<&str> = o["holds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["payment_declined"], "{o}");
        assert!(o["allocations"].as_array().unwrap().is_empty());
        let kinds = events(&s, id).await;
        assert!(kinds.contains(&"payment.declined".to_owned()), "{kinds:?}");
        assert!(kinds.contains(&"hold.placed".to_owned()), "{kinds:?}");
    }
    let o = api.order(&s.operator, &deferred_ok).await;
    assert_eq!(o["payment"]["status"], "authorized");
    assert!(o["holds"].as_array().unwrap().is_empty());
    // Only the approved orders hold stock.
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (100, 1));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (100, 1));
    s.t.stop().await;
}

/// Today in Japan, as the server computes due dates.
fn today_in_tokyo() -> jiff::civil::Date {
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now().to_zoned(tz).date()
}

async fn bank_transfer_reserves_stock_but_ships_only_when_paid(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let day_before = today_in_tokyo();
    let o = create(
        &s,
        &order_body(
            "B-1",
            &[("TOWEL", 2, 1980), ("TEA", 1, 540)],
            "bank_transfer",
        ),
    )
    .await;
    let id = id_of(&o);
    let total = o["totals"]["total"].as_i64().unwrap();
    assert_eq!(total, 4500);
    let o = api.wait_status(&s.operator, &id, "allocated").await;
    let day_after = today_in_tokyo();
    assert_eq!(o["payment"]["method"], "bank_transfer");
    assert_eq!(o["payment"]["status"], "awaiting_payment");
    let account = o["payment"]["virtual_account"].as_str().unwrap_or("");
    assert!(account.contains("0310"), "bank 0310: {account}");
    assert!(account.contains("101"), "branch 101: {account}");
    let number: i64 = account
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        (1_000_001..=1_099_999).contains(&number),
        "account from the default pool: {account}"
    );
    let due: jiff::civil::Date = o["payment"]["due_date"]
        .as_str()
        .unwrap_or_else(|| panic!("due_date: {o}"))
        .parse()
        .unwrap();
    let week = jiff::ToSpan::days(7);
    assert!(
        due == day_before.checked_add(week).unwrap() || due == day_after.checked_add(week).unwrap(),
        "due in 7 days: {due}"
    );
    assert!(o["holds"].as_array().unwrap().is_empty());
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (100, 2));
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (100, 1));

    // Not paid: listed, but skipped with a reason.
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        r.body["batches"].as_array().unwrap().is_empty(),
        "{}",
        r.text
    );
    let skipped = r.body["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{}", r.text);
    assert_eq!(skipped[0]["order_id"], id.as_str());
    assert!(
        skipped[0]["reason"].as_str().is_some_and(|x| !x.is_empty()),
        "{}",
        r.text
    );
    // Nor swept up by an instruction for the whole warehouse.
    let r = api
        .post("/api/v1/shipping-instructions", &s.warehouse, &json!({}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        r.body["batches"].as_array().unwrap().is_empty(),
        "{}",
        r.text
    );
    let before = api.order(&s.operator, &id).await;
    assert_eq!(before["status"], "allocated");

    // Only operators and accounting confirm money; a non-positive amount is invalid.
    let confirm = format!("/api/v1/orders/{id}/payments/confirm");
    for key in [&s.warehouse, &s.storefront] {
        let r = api.post(&confirm, key, &json!({"amount": total})).await;
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{}", r.text);
    }
    for amount in [0, -1] {
        let r = api
            .post(&confirm, &s.operator, &json!({"amount": amount}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (422, "validation_failed"),
            "{}",
            r.text
        );
    }
    assert_eq!(api.order(&s.operator, &id).await, before);

    let r = api
        .post(
            &confirm,
            &s.operator,
            &json!({"amount": total, "note": "通帳で確認"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "paid");
    assert_eq!(r.body["payment"]["captured_amount"], total);
    assert_eq!(r.body["status"], "allocated");
    assert!(r.body["version"].as_i64() > before["version"].as_i64());
    // Paid once: confirming again is refused.
    let r = api
        .post(&confirm, &s.operator, &json!({"amount": total}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "invalid_transition"),
        "{}",
        r.text
    );

    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        r.body["skipped"].as_array().unwrap().is_empty(),
        "{}",
        r.text
    );
    let batch = &r.body["batches"][0];
    assert_eq!(batch["warehouse"], "TKY");
    assert_eq!(batch["shipments"][0]["order_id"], id.as_str());
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "shipping_instructed");
    let kinds = events(&s, &id).await;
    assert!(kinds.contains(&"payment.awaiting".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"payment.confirmed".to_owned()), "{kinds:?}");
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn openapi_docs_health_and_metrics(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let get = |path: &'static str| {
        let api = api.clone();
        async move { api.send(reqwest::Method::GET, path, None, None, &[]).await }
    };

    let r = get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    let version = r.body["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1"), "OpenAPI 3.1, got {version:?}");
    let paths = r.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/orders",
        "/api/v1/orders/{id}",
        "/api/v1/orders/counts",
        "/api/v1/orders/{id}/cancel",
        "/api/v1/shipping-instructions",
        "/api/v1/shipments/{id}/ship",
        "/api/v1/shipments/{id}/deliver",
        "/api/v1/stock/adjustments",
    ] {
        assert!(paths.contains_key(p), "{p} is described");
    }
    assert!(paths["/api/v1/orders"].get("post").is_some());
    assert!(paths["/api/v1/orders"].get("get").is_some());
    assert!(paths["/api/v1/shipments/{id}/ship"].get("post").is_some());
    assert!(
        r.body["components"]["securitySchemes"]
            .as_object()
            .is_some_and(|m| !m.is_empty()),
        "bearer auth is described"
    );

    let r = get("/api/docs/").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    assert!(r.text.to_lowercase().contains("swagger"), "{}", r.text);

    let r = get("/healthz").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "ok");

    // At least one request has been counted by now.
    let r = get("/metrics").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    assert!(
        r.text.contains("juchu_http_requests_total"),
        "metrics:\n{}",
        r.text
    );
    s.t.stop().await;
}
