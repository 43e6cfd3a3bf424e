//! Issue 4's reliability run: 200 orders over card, Amazon Pay, deferred payment and bank transfer
//! while the provider sandbox fails 30% of calls (and applies some calls, then times out), and the
//! bank delivers its signed deposit webhooks twice and out of order. Some orders are cancelled
//! before shipping and some partly returned after it. Afterwards every order is consistent, and the
//! sandbox's own ledger shows each order's authorisation, capture (the deferred shipment report),
//! void and refund exactly once,
//! with nothing else.

use crate::carriers::{Shop, shop_on, tracking};
use juchu_domain::policy::Policies;
use juchu_sandbox::{BankConfig, FaultConfig, MovementKind, Sandbox, SandboxConfig};
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

juchu_testkit::on_both_backends!(two_hundred_orders_through_faulty_providers_move_money_once);

const SECRET: &str = "reliability-bank-secret";
const N: usize = 200;

fn method(i: usize) -> &'static str {
    ["credit_card", "amazon_pay", "deferred", "bank_transfer"][i % 4]
}

/// The provider's reference for an order's payment, as the ledger names it.
fn reference(o: &Value) -> String {
    let auth = o["payment"]["authorization_id"].as_str().unwrap_or("");
    match auth.strip_prefix("gmo:") {
        Some(rest) => rest.split(':').next().unwrap().to_owned(),
        None => auth.to_owned(),
    }
}

async fn wait_until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(240);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn events(s: &Shop, id: &str) -> String {
    s.t.api
        .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
        .await
        .text
}

async fn two_hundred_orders_through_faulty_providers_move_money_once(b: Backend) {
    let mut policies = Policies::default();
    policies.bank.webhook_secret = Some(SECRET.into());
    let faults = FaultConfig {
        failure_rate: 0.3,
        timeout_rate: 0.02,
        timeout_ms: 2_100,
        seed: Some(11),
        ..FaultConfig::default()
    };
    let t = TestApp::spawn_with_sandbox(
        b,
        policies,
        SandboxConfig {
            faults,
            ..SandboxConfig::default()
        },
    )
    .await;
    let s = shop_on(t).await;
    let api = &s.t.api;
    assert_eq!(
        api.stock(&s.warehouse, "TKY", "TOWEL", 1000).await.status,
        201
    );
    // The bank: deposits arrive as signed webhooks, half of them twice, half held back.
    let bank = Sandbox::start(SandboxConfig {
        bank: BankConfig {
            webhook_url: Some(format!("{}/webhooks/bank/deposits", s.t.url())),
            webhook_secret: SECRET.into(),
            ..BankConfig::default()
        },
        faults: FaultConfig {
            duplicate_webhook_rate: 0.5,
            out_of_order_webhook_rate: 0.5,
            out_of_order_hold_ms: 300,
            seed: Some(5),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();

    let mut ids = Vec::new();
    for i in 0..N {
        let mut body = order_body(&format!("RL-{i}"), &[("TOWEL", 2, 1980)], method(i));
        if method(i) == "amazon_pay" {
            body["payment"]["charge_permission_id"] = json!(format!("S01-RL-{i}"));
        }
        body["customer"]["email"] = json!(format!("c{i}@example.jp"));
        let r = api.post("/api/v1/orders", &s.storefront, &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let mut orders = Vec::new();
    for id in &ids {
        orders.push(api.wait_status(&s.operator, id, "allocated").await);
    }

    // Bank transfers: every fourth one pays in two parts (the later part completes it).
    let http = reqwest::Client::new();
    for (i, o) in orders
        .iter()
        .enumerate()
        .filter(|(i, _)| method(*i) == "bank_transfer")
    {
        let account = o["payment"]["virtual_account"].as_str().unwrap();
        let parts: &[i64] = if i % 16 == 3 { &[1000, 2960] } else { &[3960] };
        for amount in parts {
            let r = http
                .post(format!("{}/_sandbox/bank/deposits", bank.url()))
                .json(&json!({"account": account, "amount": amount, "name": "ﾃｽﾄ ﾀﾛｳ"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
    }
    for (i, id) in ids
        .iter()
        .enumerate()
        .filter(|(i, _)| method(*i) == "bank_transfer")
    {
        wait_until(&format!("bank order {i} paid"), || async {
            api.order(&s.operator, id).await["payment"]["status"] == "paid"
        })
        .await;
    }

    // One in ten is cancelled before shipping; the rest ship.
    let cancelled: Vec<usize> = (0..N).filter(|i| i % 10 == 7).collect();
    for &i in &cancelled {
        let r = api
            .post(
                &format!("/api/v1/orders/{}/cancel", ids[i]),
                &s.operator,
                &json!({"reason": "お客様都合"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let shipping: Vec<String> = (0..N)
        .filter(|i| !cancelled.contains(i))
        .map(|i| ids[i].clone())
        .collect();
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": shipping}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shipments: Vec<String> = r.body["batches"][0]["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shipments.len(), shipping.len(), "{}", r.text);
    for (n, sh) in shipments.iter().enumerate() {
        let r = api
            .post(
                &format!("/api/v1/shipments/{sh}/ship"),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(99991375870 + n as u64)}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // One card order in five sends one towel back.
    let returned: Vec<usize> = (0..N)
        .filter(|i| method(*i) == "credit_card" && !cancelled.contains(i) && i % 20 == 0)
        .collect();
    for &i in &returned {
        let o = api.order(&s.operator, &ids[i]).await;
        let r = api
            .post(
                &format!("/api/v1/orders/{}/returns", ids[i]),
                &s.warehouse,
                &json!({"lines": [{"line_id": o["lines"][0]["id"], "quantity": 1, "restock": true}],
                        "reason": "サイズ違い", "received": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    // Wait for every provider call to be confirmed (retried jobs included).
    for (i, id) in ids.iter().enumerate() {
        if method(i) == "bank_transfer" {
            continue;
        }
        let want: &[&str] = if cancelled.contains(&i) {
            &["payment.voided.confirmed"]
        } else if returned.contains(&i) {
            &["payment.captured.confirmed", "payment.refunded.confirmed"]
        } else {
            &["payment.captured.confirmed"]
        };
        wait_until(&format!("order {i} confirmed"), || async {
            let ev = events(&s, id).await;
            want.iter().all(|w| ev.contains(w))
        })
        .await;
    }

    // The sandbox's ledger: exactly the movements each order needed, once.
    let ledger = s.t.sandbox.as_ref().unwrap().ledger();
    let mut by_ref: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for e in &ledger {
        by_ref
            .entry((e.reference.clone(), format!("{:?}", e.kind)))
            .or_default()
            .push(e.amount);
    }
    let mut expected_rows = 0;
    for (i, id) in ids.iter().enumerate() {
        let o = api.order(&s.operator, id).await;
        let m = method(i);
        if cancelled.contains(&i) {
            assert_eq!(o["status"], "cancelled");
        } else {
            assert_eq!(o["status"], "shipped", "{o}");
            let refunded = if returned.contains(&i) { 1980 } else { 0 };
            assert_eq!(o["payment"]["captured_amount"], 3960, "{o}");
            assert_eq!(o["payment"]["refunded_amount"], refunded, "{o}");
        }
        if m == "bank_transfer" {
            continue;
        }
        let r = reference(&o);
        let get = |k: MovementKind| {
            by_ref
                .get(&(r.clone(), format!("{k:?}")))
                .cloned()
                .unwrap_or_default()
        };
        let (auth, cap, void, refund) = (
            get(MovementKind::Authorise),
            get(MovementKind::Capture),
            get(MovementKind::Void),
            get(MovementKind::Refund),
        );
        assert_eq!(auth, vec![3960], "order {i} ({m}) authorised once");
        expected_rows += 1;
        if cancelled.contains(&i) {
            assert_eq!(void.len(), 1, "order {i} ({m}) voided once");
            assert!(cap.is_empty(), "order {i}: nothing captured after a cancel");
            expected_rows += 1;
        } else {
            assert_eq!(cap, vec![3960], "order {i} ({m}) captured once");
            assert!(void.is_empty());
            expected_rows += 1;
            if returned.contains(&i) {
                assert_eq!(refund, vec![1980], "order {i} refunded once");
                expected_rows += 1;
            } else {
                assert!(refund.is_empty(), "order {i}: no refund");
            }
        }
    }
    let provider_rows = ledger.iter().filter(|e| e.provider != "bank").count();
    assert_eq!(
        provider_rows, expected_rows,
        "nothing moved that no order asked for"
    );
    api.invariants_ok(&s.t.admin).await;
    bank.stop().await;
}
