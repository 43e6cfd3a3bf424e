//! The order list's filters, sorts and keyset pages (`GET /api/v1/orders`, the query behind the
//! console's 受注一覧), and its search index following every change of the order.

use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};
use std::collections::BTreeSet;

struct Shop {
    t: TestApp,
    op: String,
    sf: String,
}

async fn shop(b: Backend) -> Shop {
    let t = TestApp::spawn(b).await;
    let op = t.api.key(&t.admin, "operator").await;
    let wh = t.api.key(&t.admin, "warehouse").await;
    let sf = t.api.key(&t.admin, "storefront").await;
    t.api.warehouse(&op, "TKY", 1).await;
    t.api.warehouse(&op, "OSK", 2).await;
    t.api.sku(&op, "TOWEL", 10).await;
    t.api.sku(&op, "TEA", 8).await;
    assert_eq!(t.api.stock(&wh, "TKY", "TOWEL", 100).await.status, 201);
    assert_eq!(t.api.stock(&wh, "OSK", "TEA", 100).await.status, 201);
    Shop { t, op, sf }
}

/// Places an order and returns its number.
async fn place(s: &Shop, body: &Value) -> i64 {
    let r = s.t.api.post("/api/v1/orders", &s.sf, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["number"].as_i64().unwrap()
}

fn numbers(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|o| o["number"].as_i64().unwrap())
        .collect()
}

/// The numbers `GET /api/v1/orders?{query}` finds (one page of up to 500), as a set.
async fn find(s: &Shop, query: &str) -> BTreeSet<i64> {
    let r =
        s.t.api
            .get(&format!("/api/v1/orders?limit=500&{query}"), &s.op)
            .await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    numbers(&r.body).into_iter().collect()
}

fn set(n: &[i64]) -> BTreeSet<i64> {
    n.iter().copied().collect()
}

async fn filters_by_payment_hold_warehouse_and_order_date(b: Backend) {
    let s = shop(b).await;
    let mut a = order_body("F-1", &[("TOWEL", 1, 1980)], "credit_card");
    // 00:30 on 10 January in Japan is still 9 January in UTC: days are Japanese days.
    a["ordered_at"] = json!("2025-01-09T15:30:00Z");
    let a = place(&s, &a).await;
    let mut bank = order_body("F-2", &[("TEA", 1, 540)], "bank_transfer");
    bank["ordered_at"] = json!("2025-01-11T03:00:00Z");
    let bank = place(&s, &bank).await;
    let mut held = order_body("F-3", &[("TOWEL", 1, 1980)], "cod");
    held["notes"] = json!("ギフト包装希望");
    held["ordered_at"] = json!("2025-01-12T03:00:00Z");
    let held = place(&s, &held).await;
    let mut tea = order_body("F-4", &[("TEA", 2, 540)], "credit_card");
    tea["ordered_at"] = json!("2025-01-12T04:00:00Z");
    let tea = place(&s, &tea).await;
    s.t.api.wait_idle(&s.t.admin).await;

    assert_eq!(find(&s, "payment_method=bank_transfer").await, set(&[bank]));
    assert_eq!(find(&s, "payment_method=credit_card").await, set(&[a, tea]));
    assert_eq!(
        find(&s, "payment_status=awaiting_payment").await,
        set(&[bank])
    );
    assert_eq!(find(&s, "hold=notes").await, set(&[held]));
    assert_eq!(find(&s, "hold=any").await, set(&[held]));
    assert_eq!(find(&s, "hold=none").await, set(&[a, bank, tea]));
    assert!(find(&s, "hold=high_amount").await.is_empty());
    assert_eq!(find(&s, "warehouse=TKY").await, set(&[a]));
    assert_eq!(find(&s, "warehouse=OSK").await, set(&[bank, tea]));
    assert_eq!(
        find(&s, "ordered_from=2025-01-10&ordered_to=2025-01-10").await,
        set(&[a])
    );
    assert_eq!(find(&s, "ordered_to=2025-01-09").await, set(&[]));
    assert_eq!(find(&s, "ordered_from=2025-01-12").await, set(&[held, tea]));
    // Filters combine.
    assert_eq!(
        find(
            &s,
            "payment_method=credit_card&warehouse=OSK&ordered_from=2025-01-12"
        )
        .await,
        set(&[tea])
    );

    // The columns follow changes: release the hold, change the payment method.
    let r =
        s.t.api
            .post(
                &format!(
                    "/api/v1/orders/{}/holds/notes/release",
                    order_id(&s, held).await
                ),
                &s.op,
                &json!({"note": "確認済み"}),
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(find(&s, "hold=notes").await.is_empty());
    assert_eq!(find(&s, "hold=none").await.len(), 4);

    // Bad values are refused with the field named.
    for (q, field) in [
        ("payment_method=cash", "payment_method"),
        ("payment_status=maybe", "payment_status"),
        ("hold=sleepy", "hold"),
        ("ordered_from=2025-13-01", "ordered_from"),
        (
            "ordered_from=2025-01-10&ordered_to=2025-01-09",
            "ordered_to",
        ),
        ("sort=price", "sort"),
        ("direction=up", "direction"),
    ] {
        let r = s.t.api.get(&format!("/api/v1/orders?{q}"), &s.op).await;
        assert_eq!(r.status, 422, "{q}: {}", r.text);
        assert!(r.text.contains(field), "{q}: {}", r.text);
    }
    s.t.stop().await;
}

async fn order_id(s: &Shop, number: i64) -> String {
    let r =
        s.t.api
            .get(&format!("/api/v1/orders?q={number}"), &s.op)
            .await;
    let items = r.body["items"].as_array().unwrap();
    let o = items.iter().find(|o| o["number"] == number).unwrap();
    o["id"].as_str().unwrap().to_owned()
}

/// Every page of a sort, following `next_cursor`.
async fn all_pages(s: &Shop, query: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let path = match &cursor {
            None => format!("/api/v1/orders?limit=2&{query}"),
            Some(c) => format!("/api/v1/orders?limit=2&{query}&cursor={c}"),
        };
        let r = s.t.api.get(&path, &s.op).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        out.extend(numbers(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("paging does not end: {out:?}");
}

async fn sorts_page_through_every_order_once(b: Backend) {
    let s = shop(b).await;
    // Totals with a tie (1980 twice) and order dates out of number order.
    let specs = [
        ("S-1", 3, "2025-02-03T00:00:00Z"),
        ("S-2", 1, "2025-02-01T00:00:00Z"),
        ("S-3", 2, "2025-02-05T00:00:00Z"),
        ("S-4", 1, "2025-02-02T00:00:00Z"),
        ("S-5", 5, "2025-02-04T00:00:00Z"),
    ];
    let mut placed = Vec::new();
    for (ext, qty, at) in specs {
        let mut body = order_body(ext, &[("TOWEL", qty, 1980)], "cod");
        body["ordered_at"] = json!(at);
        placed.push((place(&s, &body).await, qty, at));
    }
    type Row<'a> = (i64, i64, &'a str);
    let by = |f: &dyn Fn(&Row, &Row) -> std::cmp::Ordering| {
        let mut v = placed.clone();
        v.sort_by(|x, y| f(x, y));
        v.into_iter().map(|p| p.0).collect::<Vec<_>>()
    };
    let numbers_asc = by(&|x, y| x.0.cmp(&y.0));
    let mut numbers_desc = numbers_asc.clone();
    numbers_desc.reverse();
    assert_eq!(
        all_pages(&s, "sort=number&direction=asc").await,
        numbers_asc
    );
    assert_eq!(all_pages(&s, "sort=number").await, numbers_desc);
    assert_eq!(
        all_pages(&s, "").await,
        numbers_desc,
        "default: newest intake first"
    );
    assert_eq!(
        all_pages(&s, "sort=created&direction=asc").await,
        numbers_asc
    );
    assert_eq!(
        all_pages(&s, "sort=ordered_at&direction=asc").await,
        by(&|x, y| x.2.cmp(y.2))
    );
    assert_eq!(
        all_pages(&s, "sort=ordered_at&direction=desc").await,
        by(&|x, y| y.2.cmp(x.2))
    );
    // Equal totals keep a stable order across the page boundary (ties broken by id).
    let by_total = all_pages(&s, "sort=total&direction=asc").await;
    assert_eq!(set(&by_total), set(&numbers_asc));
    assert_eq!(by_total.len(), 5);
    let qty_of = |n: i64| placed.iter().find(|p| p.0 == n).unwrap().1;
    let qtys: Vec<i64> = by_total.iter().map(|n| qty_of(*n)).collect();
    assert_eq!(qtys, [1, 1, 2, 3, 5]);

    // A cursor belongs to its sort.
    let r =
        s.t.api
            .get("/api/v1/orders?limit=2&sort=total", &s.op)
            .await;
    let c = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r =
        s.t.api
            .get(
                &format!("/api/v1/orders?limit=2&sort=number&cursor={c}"),
                &s.op,
            )
            .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("cursor"));
    s.t.stop().await;
}

/// `q` finds substrings of three characters and more through the index and shorter ones without
/// it, and the index follows a changed address.
async fn search_follows_changes_of_the_order(b: Backend) {
    let s = shop(b).await;
    let mut body = order_body("Q-1", &[("TOWEL", 1, 1980)], "cod");
    body["shipping_address"]["name"] = json!("渡辺 五郎");
    let n = place(&s, &body).await;
    let other = place(&s, &order_body("Q-2", &[("TOWEL", 1, 1980)], "cod")).await;
    assert_eq!(
        find(&s, &format!("q={}", enc("渡辺 五郎"))).await,
        set(&[n])
    );
    assert_eq!(find(&s, &format!("q={}", enc("渡辺"))).await, set(&[n]));
    assert_eq!(find(&s, "q=Q-1").await, set(&[n]));
    assert_eq!(
        find(&s, "q=q1").await,
        set(&[n]),
        "hyphens and case do not matter"
    );
    assert_eq!(
        find(&s, &format!("q={}", enc("タロウ"))).await,
        set(&[n, other])
    );
    // `%` and `_` are letters, not wildcards, through the index too.
    assert!(find(&s, &format!("q={}", enc("渡_五"))).await.is_empty());
    assert!(find(&s, &format!("q={}", enc("%%%"))).await.is_empty());

    // Modifiable once received (the worker moves it on).
    s.t.api.wait_idle(&s.t.admin).await;
    let id = order_id(&s, n).await;
    let mut address = body["shipping_address"].clone();
    address["name"] = json!("木村 六郎");
    let r =
        s.t.api
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/orders/{id}"),
                Some(&s.op),
                Some(&json!({"shipping_address": address})),
                &[],
            )
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(find(&s, &format!("q={}", enc("木村六郎"))).await, set(&[n]));
    assert!(find(&s, &format!("q={}", enc("渡辺五郎"))).await.is_empty());
    s.t.stop().await;
}

/// A name shared by more orders than the SQLite store looks up one by one (1,000): the list then
/// walks its sort order with the index's matches as a filter. Every match is found once and in
/// order, page after page, and no other order is.
async fn a_common_name_pages_through_every_match_once(b: Backend) {
    const COMMON: usize = 1_030;
    let s = shop(b).await;
    let bodies: Vec<Value> = (0..COMMON + 20)
        .map(|i| {
            let mut body = order_body(&format!("C-{i}"), &[("TOWEL", 1, 1980)], "cod");
            if i < COMMON {
                body["shipping_address"]["name"] = json!("佐藤 花子");
            }
            body
        })
        .collect();
    let mut numbers_placed = Vec::new();
    for chunk in bodies.chunks(64) {
        numbers_placed.extend(futures::future::join_all(chunk.iter().map(|b| place(&s, b))).await);
    }
    let common: BTreeSet<i64> = numbers_placed[..COMMON].iter().copied().collect();
    for sort in ["", "&sort=ordered_at", "&sort=number&direction=asc"] {
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/orders?limit=200&q={}{sort}", enc("佐藤花子"));
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let r = s.t.api.get(&path, &s.op).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            found.extend(numbers(&r.body));
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(found.len(), COMMON, "{sort}: each match once");
        assert_eq!(
            found.iter().copied().collect::<BTreeSet<_>>(),
            common,
            "{sort}"
        );
        if sort.ends_with("asc") {
            assert!(found.windows(2).all(|w| w[0] < w[1]), "{sort}: in order");
        }
    }
    s.t.stop().await;
}

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

juchu_testkit::on_both_backends!(
    filters_by_payment_hold_warehouse_and_order_date,
    sorts_page_through_every_order_once,
    search_follows_changes_of_the_order,
    a_common_name_pages_through_every_match_once,
);
