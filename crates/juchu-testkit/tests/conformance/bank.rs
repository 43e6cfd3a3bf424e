//! Bank transfer (issue 4 §4): virtual accounts from the pool, deposits by signed webhook and by
//! Zengin statement files (01 and 03), under- and over-payment, duplicates, the deadline.

use jiff::{SignedDuration, Timestamp};
use juchu_app::FakeClock;
use juchu_app::zengin_write::Layout;
use juchu_domain::policy::Policies;
use juchu_testkit::zengin_statement as statement;
use juchu_testkit::{Backend, TestApp, on_both_backends, order_body};
use serde_json::{Value, json};
use std::sync::Arc;

on_both_backends!(
    webhook_exact_payment_pays_and_frees_the_account,
    webhook_underpayment_then_the_rest,
    webhook_overpayment_is_held,
    webhook_duplicates_and_bad_signatures,
    unmatched_deposits_are_listed,
    zengin_03_sjis_crlf_imported_once,
    zengin_01_utf8_without_separators,
    unpaid_orders_are_reminded_then_cancelled,
    concurrent_orders_never_share_an_account,
    accounts_are_reused_only_after_the_cooloff,
    concurrent_redeliveries_and_deposits_count_once,
);

const SECRET: &str = "test-webhook-secret";

pub(crate) struct Bank {
    pub t: TestApp,
    pub op: String,
    clock: Arc<FakeClock>,
}

pub(crate) async fn bank(b: Backend) -> Bank {
    let mut p = Policies::default();
    p.bank.webhook_secret = Some(SECRET.into());
    p.bank.virtual_account_cooloff_days = 30;
    let clock = Arc::new(FakeClock::new(Timestamp::now()));
    let t = TestApp::spawn_with_clock(b, p, clock.clone()).await;
    let op = t.api.key(&t.admin, "operator").await;
    t.api.warehouse(&op, "TKY", 1).await;
    t.api.sku(&op, "TEA", 8).await;
    assert_eq!(t.api.stock(&op, "TKY", "TEA", 1000).await.status, 201);
    Bank { t, op, clock }
}

/// A bank-transfer order of `n` × ¥1,080 (total n × 1080), once it awaits payment.
pub(crate) async fn order(s: &Bank, ext: &str, n: i64) -> Value {
    let r =
        s.t.api
            .post(
                "/api/v1/orders",
                &s.op,
                &order_body(ext, &[("TEA", n, 1080)], "bank_transfer"),
            )
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    s.t.api.wait_status(&s.op, &id, "allocated").await
}

fn account(o: &Value) -> String {
    o["payment"]["virtual_account"].as_str().unwrap().to_owned()
}

pub(crate) fn number(o: &Value) -> i64 {
    account(o).rsplit('-').next().unwrap().parse().unwrap()
}

/// A deposit webhook signed with `secret` (none: unsigned), sent now with a new delivery id.
async fn webhook(s: &Bank, body: &Value, secret: Option<&str>) -> juchu_testkit::Resp {
    let raw = body.to_string();
    match secret {
        Some(secret) => {
            s.t.api
                .signed("/webhooks/bank/deposits", secret, &raw)
                .await
        }
        None => s.t.api.post_raw("/webhooks/bank/deposits", &raw, &[]).await,
    }
}

async fn deposit(s: &Bank, event: &str, acc: &str, amount: i64) -> Value {
    let body = json!({"event_id": event, "account_number": acc, "amount": amount,
        "deposited_at": "2025-04-01T10:00:00+09:00", "payer_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"});
    let r = webhook(s, &body, Some(SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

pub(crate) async fn get(s: &Bank, id: &str) -> Value {
    s.t.api.order(&s.op, id).await
}

fn holds(o: &Value) -> Vec<(String, String)> {
    o["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["code"].as_str().unwrap().into(),
                h["reason"].as_str().unwrap().into(),
            )
        })
        .collect()
}

async fn webhook_exact_payment_pays_and_frees_the_account(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "E-1", 2).await;
    let id = o["id"].as_str().unwrap();
    assert_eq!(number(&o), 1_000_001, "first account of the pool");
    let r = deposit(&s, "ev-1", &account(&o), 2160).await;
    assert_eq!(r["order_id"], id);
    assert_eq!(r["payment_status"], "paid");
    let o = get(&s, id).await;
    assert_eq!(o["payment"]["status"], "paid");
    assert_eq!(o["payment"]["captured_amount"], 2160);
    assert!(holds(&o).is_empty());
    // Paid: now it can be instructed.
    let r =
        s.t.api
            .post(
                "/api/v1/shipping-instructions",
                &s.op,
                &json!({"order_ids": [id]}),
            )
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["batches"].as_array().unwrap().len(), 1, "{}", r.text);
    // The account is free again (cooling off): a later deposit on it is not this order's.
    let r = deposit(&s, "ev-2", &account(&o), 100).await;
    assert!(r["order_id"].is_null(), "{r}");
    s.t.api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn webhook_underpayment_then_the_rest(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "U-1", 3).await;
    let id = o["id"].as_str().unwrap();
    // The bare 7-digit number works too (the configured pool's bank and branch).
    let n = number(&o).to_string();
    let r = deposit(&s, "u-1", &n, 2000).await;
    assert_eq!(r["payment_status"], "awaiting_payment");
    let o = get(&s, id).await;
    let h = holds(&o);
    assert_eq!(h.len(), 1, "{o}");
    assert_eq!(h[0].0, "payment_mismatch");
    assert!(h[0].1.contains("underpaid by ¥1240"), "{}", h[0].1);
    let r = deposit(&s, "u-2", &n, 1240).await;
    assert_eq!(r["payment_status"], "paid");
    let o = get(&s, id).await;
    assert_eq!(o["payment"]["status"], "paid");
    assert!(holds(&o).is_empty(), "released by itself: {o}");
    let ev =
        s.t.api
            .get(&format!("/api/v1/orders/{id}/events"), &s.op)
            .await;
    assert!(ev.text.contains("payment.deposit_received"), "{}", ev.text);
    assert!(ev.text.contains("hold.released"), "{}", ev.text);
    s.t.stop().await;
}

async fn webhook_overpayment_is_held(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "O-1", 1).await;
    let id = o["id"].as_str().unwrap();
    deposit(&s, "o-1", &account(&o), 2000).await;
    let o = get(&s, id).await;
    let h = holds(&o);
    assert_eq!(h[0].0, "payment_mismatch");
    assert!(h[0].1.contains("overpaid by ¥920"), "{}", h[0].1);
    assert_eq!(o["payment"]["captured_amount"], 2000);
    s.t.stop().await;
}

async fn webhook_duplicates_and_bad_signatures(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "D-1", 1).await;
    let id = o["id"].as_str().unwrap();
    let body = json!({"event_id": "dup-1", "account_number": account(&o), "amount": 500,
        "deposited_at": "2025-04-01"});
    assert_eq!(webhook(&s, &body, None).await.status, 401);
    assert_eq!(webhook(&s, &body, Some("wrong")).await.status, 401);
    let r = webhook(&s, &body, Some(SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duplicate"], false);
    let r = webhook(&s, &body, Some(SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duplicate"], true);
    assert_eq!(get(&s, id).await["payment"]["captured_amount"], 500);
    s.t.stop().await;
}

async fn unmatched_deposits_are_listed(b: Backend) {
    let s = bank(b).await;
    let r = deposit(&s, "x-1", "0310-101-1099999", 3000).await;
    assert!(r["order_id"].is_null());
    let l =
        s.t.api
            .get("/api/v1/bank/deposits?matched=false", &s.op)
            .await;
    assert_eq!(l.status, 200, "{}", l.text);
    let items = l.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", l.text);
    assert_eq!(items[0]["account"], "0310-101-1099999");
    assert_eq!(items[0]["amount"], 3000);
    s.t.stop().await;
}

async fn import(s: &Bank, file: Vec<u8>) -> Value {
    let r =
        s.t.api
            .http
            .post(format!("{}/api/v1/bank/statements", s.t.url()))
            .bearer_auth(&s.op)
            .header("content-type", "application/octet-stream")
            .body(file)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

async fn zengin_03_sjis_crlf_imported_once(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "Z-1", 2).await;
    let id = o["id"].as_str().unwrap();
    let file = statement(
        Layout::Statement03,
        number(&o),
        &[(1, 2160, "ﾔﾏﾀﾞ ﾀﾛｳ")],
        true,
        true,
    );
    assert_eq!(file.len(), 4 * 202, "four 200-byte records with CRLF");
    let other = statement(
        Layout::Statement03,
        1_099_998,
        &[(7, 999, "ｽｽﾞｷ ﾊﾅｺ")],
        true,
        true,
    );
    let r = import(&s, [file.clone(), other].concat()).await;
    assert_eq!(r["matched"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["matched"][0]["order_id"], id);
    assert_eq!(r["matched"][0]["payer_kana"], "ﾔﾏﾀﾞ ﾀﾛｳ");
    assert_eq!(r["unmatched"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["duplicates"], 0);
    assert_eq!(get(&s, id).await["payment"]["status"], "paid");
    // The same deposits again, under any file name: nothing counted twice.
    let r = import(&s, file).await;
    assert_eq!(r["matched"].as_array().unwrap().len(), 0, "{r}");
    assert_eq!(r["duplicates"], 1);
    assert_eq!(get(&s, id).await["payment"]["captured_amount"], 2160);
    s.t.stop().await;
}

async fn zengin_01_utf8_without_separators(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "Z-2", 2).await;
    let id = o["id"].as_str().unwrap();
    let file = statement(
        Layout::Transfers01,
        number(&o),
        &[(1, 1000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (2, 1160, "ﾔﾏﾀﾞ ﾀﾛｳ")],
        false,
        false,
    );
    let r = import(&s, file.clone()).await;
    assert_eq!(r["matched"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(r["matched"][1]["payment_status"], "paid");
    assert_eq!(get(&s, id).await["payment"]["status"], "paid");
    let sjis = statement(
        Layout::Transfers01,
        number(&o),
        &[(1, 1000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (2, 1160, "ﾔﾏﾀﾞ ﾀﾛｳ")],
        true,
        true,
    );
    let r = import(&s, sjis).await;
    assert_eq!(
        r["duplicates"], 2,
        "the same deposits in another encoding: {r}"
    );
    let bad =
        s.t.api
            .raw(
                reqwest::Method::POST,
                "/api/v1/bank/statements",
                &s.op,
                "1XX",
            )
            .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    s.t.stop().await;
}

async fn unpaid_orders_are_reminded_then_cancelled(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "L-1", 2).await;
    let id = o["id"].as_str().unwrap().to_owned();
    assert_eq!(s.t.api.stock_level(&s.op, "TKY", "TEA").await, (1000, 2));
    s.clock.advance(SignedDuration::from_hours(24 * 6));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let ev =
            s.t.api
                .get(&format!("/api/v1/orders/{id}/events"), &s.op)
                .await;
        if ev.text.contains("payment.reminder") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no reminder: {}",
            ev.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(get(&s, &id).await["status"], "allocated");
    s.clock.advance(SignedDuration::from_hours(24 * 3));
    let o = s.t.api.wait_status(&s.op, &id, "cancelled").await;
    assert_eq!(o["payment"]["status"], "voided");
    s.t.api.wait_idle(&s.t.admin).await;
    assert_eq!(s.t.api.stock_level(&s.op, "TKY", "TEA").await, (1000, 0));
    // The account is released: a deposit on it no longer finds the order.
    let r = deposit(&s, "late-1", &account(&o), 2160).await;
    assert!(r["order_id"].is_null(), "{r}");
    s.t.api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn concurrent_orders_never_share_an_account(b: Backend) {
    let s = bank(b).await;
    let futs = (0..16).map(|i| {
        let api = s.t.api.clone();
        let op = s.op.clone();
        async move {
            let r = api
                .post(
                    "/api/v1/orders",
                    &op,
                    &order_body(&format!("C-{i}"), &[("TEA", 1, 1080)], "bank_transfer"),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            let id = r.body["id"].as_str().unwrap().to_owned();
            api.wait_status(&op, &id, "allocated").await
        }
    });
    let orders = futures::future::join_all(futs).await;
    let mut accounts: Vec<String> = orders.iter().map(account).collect();
    accounts.sort();
    accounts.dedup();
    assert_eq!(accounts.len(), 16, "{accounts:?}");
    s.t.stop().await;
}

async fn accounts_are_reused_only_after_the_cooloff(b: Backend) {
    let s = bank(b).await;
    let a = order(&s, "R-1", 1).await;
    assert_eq!(number(&a), 1_000_001);
    deposit(&s, "r-1", &account(&a), 1080).await;
    let b2 = order(&s, "R-2", 1).await;
    assert_eq!(number(&b2), 1_000_002, "still cooling off");
    s.clock.advance(SignedDuration::from_hours(24 * 31));
    let c = order(&s, "R-3", 1).await;
    assert_eq!(number(&c), 1_000_001, "reused after 30 days");
    s.t.stop().await;
}

/// The bank retries a webhook while the first delivery is still being handled, and a second
/// deposit for the same order arrives at the same moment: each deposit counts exactly once.
async fn concurrent_redeliveries_and_deposits_count_once(b: Backend) {
    let s = bank(b).await;
    let o = order(&s, "CR-1", 1).await;
    let id = o["id"].as_str().unwrap().to_owned();
    let acc = account(&o);
    let total = o["totals"]["total"].as_i64().unwrap();
    let first = json!({"event_id": "cr-a", "account_number": acc, "amount": 300, "deposited_at": "2025-04-01"});
    let second = json!({"event_id": "cr-b", "account_number": acc, "amount": total - 300, "deposited_at": "2025-04-01"});
    let sends = (0..12).map(|i| {
        let body = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let s = &s;
        async move { webhook(s, &body, Some(SECRET)).await }
    });
    let results = futures::future::join_all(sends).await;
    for r in &results {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let fresh = results
        .iter()
        .filter(|r| r.body["duplicate"] == false)
        .count();
    assert_eq!(fresh, 2, "one delivery of each deposit counted");
    let after = get(&s, &id).await;
    assert_eq!(after["payment"]["captured_amount"], total, "{after}");
    assert_eq!(after["payment"]["status"], "paid");
    let l = s.t.api.get("/api/v1/bank/deposits", &s.op).await;
    assert_eq!(l.body["items"].as_array().unwrap().len(), 2, "{}", l.text);
    s.t.api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
