//! Payments through the providers over HTTP (juchu-sandbox on port 0): card authorised at receipt
//! and captured at shipment, declined and fraud-flagged cards held, voided on cancel, refunded on a
//! return; deferred payment approved then reported at shipment, declined and held; Amazon Pay
//! authorised and captured; and with the sandbox failing and timing out calls, every order's money
//! moves exactly once — checked on the sandbox's own ledger.

use crate::carriers::{Shop, shop_on, tracking};
use juchu_domain::policy::Policies;
use juchu_sandbox::{FaultConfig, LedgerEntry, MovementKind, SandboxConfig};
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    card_is_authorised_captured_voided_and_refunded_at_the_gateway,
    deferred_and_amazon_pay_go_through_their_providers,
    faulty_providers_move_each_orders_money_exactly_once,
    pending_credit_check_holds_until_the_provider_answers,
    orders_shipped_from_two_warehouses_are_captured_per_shipment,
    modified_amounts_reach_the_providers,
    split_parts_are_authorised_on_their_own,
    bank_transfer_refunds_become_payouts_to_send_and_confirm,
    partial_refunds_after_shipping_reach_deferred_and_amazon_pay,
    an_expired_card_authorisation_is_renewed_before_capture,
);

async fn sandboxed(b: Backend, faults: FaultConfig) -> Shop {
    sandboxed_with(b, faults, Policies::default()).await
}

async fn sandboxed_with(b: Backend, faults: FaultConfig, policies: Policies) -> Shop {
    let cfg = SandboxConfig {
        faults,
        ..SandboxConfig::default()
    };
    shop_on(TestApp::spawn_with_sandbox(b, policies, cfg).await).await
}

fn ledger(s: &Shop) -> Vec<LedgerEntry> {
    s.t.sandbox.as_ref().unwrap().ledger()
}

/// Ledger rows of one kind for one provider reference.
fn moves(s: &Shop, kind: MovementKind, reference: &str) -> Vec<i64> {
    ledger(s)
        .into_iter()
        .filter(|e| e.kind == kind && e.reference == reference)
        .map(|e| e.amount)
        .collect()
}

/// The gateway's order id inside `gmo:{OrderID}:{AccessID}:{AccessPass}`.
fn gmo_order_id(o: &Value) -> String {
    let auth = o["payment"]["authorization_id"].as_str().unwrap();
    assert!(auth.starts_with("gmo:"), "{auth}");
    auth.split(':').nth(1).unwrap().to_owned()
}

async fn place(s: &Shop, body: &Value) -> String {
    let r = s.t.api.post("/api/v1/orders", &s.storefront, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn events(s: &Shop, id: &str) -> String {
    s.t.api
        .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
        .await
        .text
}

/// Instructs and ships the orders (one parcel each); waits until the worker is idle.
async fn ship_all(s: &Shop, ids: &[String], first_tracking: u64) {
    let api = &s.t.api;
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
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shipments.len(), ids.len(), "{}", r.text);
    for (n, sh) in shipments.iter().enumerate() {
        let r = api
            .post(
                &format!("/api/v1/shipments/{sh}/ship"),
                &s.warehouse,
                &json!({"carrier": "yamato", "tracking_number": tracking(first_tracking + n as u64)}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    api.wait_idle(&s.t.admin).await;
}

fn hold_codes(o: &Value) -> Vec<String> {
    o["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn card_is_authorised_captured_voided_and_refunded_at_the_gateway(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    let shipped = place(
        &s,
        &order_body("PC-1", &[("TOWEL", 2, 1980)], "credit_card"),
    )
    .await;
    let cancelled = place(&s, &order_body("PC-2", &[("TEA", 1, 540)], "credit_card")).await;
    let mut declined = order_body("PC-3", &[("TOWEL", 1, 1980)], "credit_card");
    declined["payment"]["card_token"] = json!("tok_declined");
    let declined = place(&s, &declined).await;
    let mut fraud = order_body("PC-4", &[("TOWEL", 1, 1980)], "credit_card");
    fraud["payment"]["card_token"] = json!("tok_fraud");
    let fraud = place(&s, &fraud).await;

    let o = api.wait_status(&s.operator, &shipped, "allocated").await;
    let gmo = gmo_order_id(&o);
    assert_eq!(moves(&s, MovementKind::Authorise, &gmo), vec![3960]);
    assert!(
        moves(&s, MovementKind::Capture, &gmo).is_empty(),
        "not before shipping"
    );

    // A declined card is held; the gateway authorised nothing for it.
    api.wait_idle(&s.t.admin).await;
    let d = api.order(&s.operator, &declined).await;
    assert_eq!(hold_codes(&d), vec!["payment_declined"], "{d}");
    assert!(
        d["holds"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("declined"),
        "{d}"
    );
    let f = api.order(&s.operator, &fraud).await;
    assert!(hold_codes(&f).contains(&"fraud_review".to_owned()), "{f}");
    assert_eq!(
        moves(&s, MovementKind::Authorise, &gmo_order_id(&f)),
        vec![1980]
    );

    // Shipping captures the shipment's amount at the gateway, once.
    ship_all(&s, std::slice::from_ref(&shipped), 66661375870).await;
    assert_eq!(moves(&s, MovementKind::Capture, &gmo), vec![3960]);
    assert!(
        events(&s, &shipped)
            .await
            .contains("payment.captured.confirmed")
    );

    // Cancelling an authorised order voids the authorisation at the gateway.
    let c = api.wait_status(&s.operator, &cancelled, "allocated").await;
    let r = api
        .post(
            &format!("/api/v1/orders/{cancelled}/cancel"),
            &s.operator,
            &json!({"reason": "お客様都合"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.wait_idle(&s.t.admin).await;
    assert_eq!(moves(&s, MovementKind::Void, &gmo_order_id(&c)).len(), 1);
    assert!(
        events(&s, &cancelled)
            .await
            .contains("payment.voided.confirmed")
    );

    // A return refunds through the gateway.
    let o = api.order(&s.operator, &shipped).await;
    let line = o["lines"][0]["id"].clone();
    let r = api
        .post(
            &format!("/api/v1/orders/{shipped}/returns"),
            &s.warehouse,
            &json!({"lines": [{"line_id": line, "quantity": 1, "restock": true}], "reason": "サイズ違い", "received": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    api.wait_idle(&s.t.admin).await;
    assert_eq!(moves(&s, MovementKind::Refund, &gmo), vec![1980]);
    api.invariants_ok(&s.t.admin).await;
}

async fn deferred_and_amazon_pay_go_through_their_providers(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    let np = place(&s, &order_body("PD-1", &[("TOWEL", 1, 1980)], "deferred")).await;
    let mut no = order_body("PD-2", &[("TOWEL", 1, 1980)], "deferred");
    no["customer"]["email"] = json!("hanako+decline@example.jp");
    let no = place(&s, &no).await;
    let amazon = place(&s, &order_body("PD-3", &[("TEA", 2, 540)], "amazon_pay")).await;

    let o = api.wait_status(&s.operator, &np, "allocated").await;
    let np_id = o["payment"]["authorization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(np_id.len(), 11, "NP's transaction id: {np_id}");
    api.wait_idle(&s.t.admin).await;
    let d = api.order(&s.operator, &no).await;
    assert_eq!(hold_codes(&d), vec!["payment_declined"], "{d}");
    assert!(
        d["holds"][0]["reason"].as_str().unwrap().contains("NG"),
        "{d}"
    );

    let a = api.wait_status(&s.operator, &amazon, "allocated").await;
    let charge = a["payment"]["authorization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(moves(&s, MovementKind::Authorise, &charge), vec![1080]);

    ship_all(&s, &[np.clone(), amazon.clone()], 77771375870).await;
    // Deferred: the shipment report with Yamato's NP code; Amazon Pay: the capture.
    let ev = events(&s, &np).await;
    assert!(
        ev.contains("payment.captured.confirmed") && ev.contains("59010"),
        "{ev}"
    );
    assert_eq!(moves(&s, MovementKind::Capture, &charge), vec![1080]);
    api.invariants_ok(&s.t.admin).await;
}

async fn faulty_providers_move_each_orders_money_exactly_once(b: Backend) {
    let faults = FaultConfig {
        failure_rate: 0.3,
        timeout_rate: 0.05,
        timeout_ms: 2_500,
        seed: Some(7),
        ..FaultConfig::default()
    };
    let s = sandboxed(b, faults).await;
    let api = &s.t.api;
    let mut ids = Vec::new();
    for i in 0..24 {
        let method = if i % 3 == 2 {
            "amazon_pay"
        } else {
            "credit_card"
        };
        let mut body = order_body(&format!("PF-{i}"), &[("TOWEL", 1, 1980)], method);
        if method == "amazon_pay" {
            body["payment"]["charge_permission_id"] = json!(format!("S01-PF-{i}"));
        }
        ids.push(place(&s, &body).await);
    }
    let mut ready = Vec::new();
    for id in &ids {
        ready.push(api.wait_status(&s.operator, id, "allocated").await);
    }
    ship_all(&s, &ids, 88881375870).await;
    // A job whose provider call failed every attempt is retried later: wait for all confirmations.
    for _ in 0..120 {
        let mut done = 0;
        for id in &ids {
            if events(&s, id).await.contains("payment.captured.confirmed") {
                done += 1;
            }
        }
        if done == ids.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    for o in &ready {
        let auth = o["payment"]["authorization_id"].as_str().unwrap();
        let reference = auth
            .strip_prefix("gmo:")
            .map(|r| r.split(':').next().unwrap().to_owned())
            .unwrap_or_else(|| auth.to_owned());
        assert_eq!(
            moves(&s, MovementKind::Authorise, &reference),
            vec![1980],
            "authorised once: {o}"
        );
        assert_eq!(
            moves(&s, MovementKind::Capture, &reference),
            vec![1980],
            "captured once: {o}"
        );
        let after = api.order(&s.operator, o["id"].as_str().unwrap()).await;
        assert_eq!(after["status"], "shipped");
        assert_eq!(after["payment"]["captured_amount"], 1980);
    }
    let total: usize = ledger(&s).len();
    assert_eq!(total, 48, "24 authorisations and 24 captures, nothing else");
    api.invariants_ok(&s.t.admin).await;
}

async fn pending_credit_check_holds_until_the_provider_answers(b: Backend) {
    let policies = Policies {
        deferred_poll_seconds: 1,
        ..Policies::default()
    };
    let s = sandboxed_with(b, FaultConfig::default(), policies).await;
    let api = &s.t.api;
    let mut ids = Vec::new();
    for (ext, email) in [
        ("PP-1", "ichiro+review@example.jp"),
        ("PP-2", "jiro+review@example.jp"),
    ] {
        let mut body = order_body(ext, &[("TOWEL", 1, 1980)], "deferred");
        body["customer"]["email"] = json!(email);
        ids.push(place(&s, &body).await);
    }
    let mut np = Vec::new();
    for id in &ids {
        let o = api.wait_status(&s.operator, id, "unallocated").await;
        assert_eq!(hold_codes(&o), vec!["payment_pending"], "{o}");
        assert_eq!(o["payment"]["status"], "pending");
        np.push(
            o["payment"]["authorization_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Polling while the check is still running changes nothing.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        api.order(&s.operator, &ids[0]).await["status"],
        "unallocated"
    );
    // The provider decides: the first is approved, the second declined.
    let sandbox = s.t.sandbox.as_ref().unwrap().url();
    let http = reqwest::Client::new();
    for (reference, result) in [(&np[0], "00"), (&np[1], "20")] {
        let r = http
            .post(format!("{sandbox}/_sandbox/deferred/{reference}/resolve"))
            .json(&json!({"result": result}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let approved = api.wait_status(&s.operator, &ids[0], "allocated").await;
    assert_eq!(approved["payment"]["status"], "authorized");
    assert!(approved["holds"].as_array().unwrap().is_empty());
    let mut declined = api.order(&s.operator, &ids[1]).await;
    for _ in 0..40 {
        if hold_codes(&declined) == vec!["payment_declined"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        declined = api.order(&s.operator, &ids[1]).await;
    }
    assert_eq!(
        hold_codes(&declined),
        vec!["payment_declined"],
        "{declined}"
    );
    assert_eq!(declined["status"], "unallocated");
    api.invariants_ok(&s.t.admin).await;
}

async fn orders_shipped_from_two_warehouses_are_captured_per_shipment(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    // Tea is only in Osaka: every order below ships in two parcels (配送分割).
    api.warehouse(&s.operator, "OSK", 2).await;
    let (tea, _) = api.stock_level(&s.operator, "TKY", "TEA").await;
    assert_eq!(
        api.stock(&s.warehouse, "TKY", "TEA", -tea).await.status,
        201
    );
    assert_eq!(api.stock(&s.warehouse, "OSK", "TEA", 20).await.status, 201);
    let mut ids = Vec::new();
    for (ext, method) in [
        ("PS-1", "credit_card"),
        ("PS-2", "amazon_pay"),
        ("PS-3", "deferred"),
    ] {
        let mut body = order_body(ext, &[("TOWEL", 2, 1980), ("TEA", 1, 540)], method);
        if method == "amazon_pay" {
            body["payment"]["charge_permission_id"] = json!("S01-PS-2");
        }
        ids.push(place(&s, &body).await);
    }
    let mut before = Vec::new();
    for id in &ids {
        before.push(api.wait_status(&s.operator, id, "allocated").await);
    }
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": ids}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut n = 0;
    for batch in r.body["batches"].as_array().unwrap() {
        for sh in batch["shipments"].as_array().unwrap() {
            n += 1;
            let r = api
                .post(
                    &format!("/api/v1/shipments/{}/ship", sh["id"].as_str().unwrap()),
                    &s.warehouse,
                    &json!({"carrier": "yamato", "tracking_number": tracking(12121375870 + n)}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
    assert_eq!(n, 6, "two parcels per order");
    for id in &ids {
        for _ in 0..80 {
            let ev = events(&s, id).await;
            if ev.matches("payment.captured.").count() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
    api.wait_idle(&s.t.admin).await;
    for (id, o) in ids.iter().zip(&before) {
        let after = api.order(&s.operator, id).await;
        assert_eq!(after["status"], "shipped");
        assert_eq!(after["payment"]["captured_amount"], 4500, "{after}");
        assert!(after["holds"].as_array().unwrap().is_empty(), "{after}");
        let ev = events(&s, id).await;
        assert!(!ev.contains(".refused"), "{ev}");
        let method = o["payment"]["method"].as_str().unwrap();
        // What the providers captured for this order adds up to its total, never more.
        let captured: i64 = ledger(&s)
            .iter()
            .filter(|e| e.kind == MovementKind::Capture)
            .filter(|e| match method {
                "credit_card" => e.reference.starts_with(&gmo_order_id(o)[..25]),
                "amazon_pay" => e.provider == "amazon_pay",
                _ => e.reference == o["payment"]["authorization_id"].as_str().unwrap(),
            })
            .map(|e| e.amount)
            .sum();
        assert_eq!(captured, 4500, "{method}: {:?}", ledger(&s));
    }
    api.invariants_ok(&s.t.admin).await;
}

async fn patch_lines(s: &Shop, id: &str, lines: Value) -> juchu_testkit::Resp {
    s.t.api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/orders/{id}"),
            Some(&s.operator),
            Some(&json!({"lines": lines})),
            &[],
        )
        .await
}

async fn modified_amounts_reach_the_providers(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    let up = place(
        &s,
        &order_body("PM-1", &[("TOWEL", 1, 1980)], "credit_card"),
    )
    .await;
    let down = place(
        &s,
        &order_body("PM-2", &[("TOWEL", 3, 1980)], "credit_card"),
    )
    .await;
    let np = place(&s, &order_body("PM-3", &[("TOWEL", 3, 1980)], "deferred")).await;
    let mut first = Vec::new();
    for id in [&up, &down, &np] {
        first.push(api.wait_status(&s.operator, id, "allocated").await);
    }
    let line = |o: &Value| o["lines"][0]["id"].clone();
    // More: a new authorisation at the gateway for the new total; the old one is voided.
    let r = patch_lines(
        &s,
        &up,
        json!([{"line_id": line(&first[0]), "quantity": 2}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["payment"]["authorized_amount"], 3960);
    let new_ref = gmo_order_id(&r.body);
    assert_ne!(new_ref, gmo_order_id(&first[0]));
    // Less: the same authorisation changed at the gateway (card) or updated (deferred).
    for (id, o) in [(&down, &first[1]), (&np, &first[2])] {
        let r = patch_lines(&s, id, json!([{"line_id": line(o), "quantity": 1}])).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["payment"]["authorized_amount"], 1980);
    }
    api.wait_idle(&s.t.admin).await;
    assert_eq!(moves(&s, MovementKind::Authorise, &new_ref), vec![3960]);
    assert_eq!(
        moves(&s, MovementKind::Void, &gmo_order_id(&first[0])).len(),
        1
    );
    // ChangeTran and NP's update each void the old amount and authorise the new one.
    assert_eq!(
        moves(&s, MovementKind::Authorise, &gmo_order_id(&first[1])),
        vec![5940, 1980]
    );
    let np_id = first[2]["payment"]["authorization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(moves(&s, MovementKind::Authorise, &np_id), vec![5940, 1980]);
    // Shipping captures the new amounts.
    ship_all(&s, &[up.clone(), down.clone(), np.clone()], 34341375870).await;
    for _ in 0..40 {
        if moves(&s, MovementKind::Capture, &new_ref).len() == 1
            && moves(&s, MovementKind::Capture, &np_id).len() == 1
            && moves(&s, MovementKind::Capture, &gmo_order_id(&first[1])).len() == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(moves(&s, MovementKind::Capture, &new_ref), vec![3960]);
    assert_eq!(
        moves(&s, MovementKind::Capture, &gmo_order_id(&first[1])),
        vec![1980]
    );
    assert_eq!(moves(&s, MovementKind::Capture, &np_id), vec![1980]);
    for id in [&up, &down, &np] {
        let ev = events(&s, id).await;
        assert!(!ev.contains(".refused"), "{ev}");
    }
    api.invariants_ok(&s.t.admin).await;
}

async fn split_parts_are_authorised_on_their_own(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    let mut ids = Vec::new();
    for (ext, method) in [("PX-1", "credit_card"), ("PX-2", "deferred")] {
        ids.push(
            place(
                &s,
                &order_body(ext, &[("TOWEL", 2, 1980), ("TEA", 1, 540)], method),
            )
            .await,
        );
    }
    let mut parts = Vec::new();
    for id in &ids {
        let o = api.wait_status(&s.operator, id, "allocated").await;
        let tea = o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == "TEA")
            .unwrap()["id"]
            .clone();
        let r = api
            .post(
                &format!("/api/v1/orders/{id}/split"),
                &s.operator,
                &json!({"lines": [{"line_id": tea, "quantity": 1}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["original"]["payment"]["authorized_amount"], 3960);
        assert_eq!(r.body["split"]["payment"]["authorized_amount"], 540);
        let (orig_ref, part_ref) = (
            r.body["original"]["payment"]["authorization_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            r.body["split"]["payment"]["authorization_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        assert_ne!(orig_ref, part_ref, "the part has its own authorisation");
        parts.push((o, r.body["split"].clone()));
    }
    api.wait_idle(&s.t.admin).await;
    let (card, card_part) = &parts[0];
    let (np, np_part) = &parts[1];
    // The part: its own authorisation; the original: lowered to what is left.
    assert_eq!(
        moves(&s, MovementKind::Authorise, &gmo_order_id(card_part)),
        vec![540]
    );
    assert_eq!(
        moves(&s, MovementKind::Authorise, &gmo_order_id(card)),
        vec![4500, 3960]
    );
    let np_ref = np["payment"]["authorization_id"].as_str().unwrap();
    let np_part_ref = np_part["payment"]["authorization_id"].as_str().unwrap();
    assert_eq!(moves(&s, MovementKind::Authorise, np_ref), vec![4500, 3960]);
    assert_eq!(moves(&s, MovementKind::Authorise, np_part_ref), vec![540]);
    // Each ships and is captured for its own amount.
    let all: Vec<String> = parts
        .iter()
        .flat_map(|(o, p)| {
            [
                o["id"].as_str().unwrap().to_owned(),
                p["id"].as_str().unwrap().to_owned(),
            ]
        })
        .collect();
    for id in &all {
        api.wait_status(&s.operator, id, "allocated").await;
    }
    ship_all(&s, &all, 45451375870).await;
    for _ in 0..40 {
        if moves(&s, MovementKind::Capture, np_part_ref).len() == 1
            && moves(&s, MovementKind::Capture, &gmo_order_id(card_part)).len() == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        moves(&s, MovementKind::Capture, &gmo_order_id(card)),
        vec![3960]
    );
    assert_eq!(
        moves(&s, MovementKind::Capture, &gmo_order_id(card_part)),
        vec![540]
    );
    assert_eq!(moves(&s, MovementKind::Capture, np_ref), vec![3960]);
    assert_eq!(moves(&s, MovementKind::Capture, np_part_ref), vec![540]);
    api.invariants_ok(&s.t.admin).await;
}

async fn bank_transfer_refunds_become_payouts_to_send_and_confirm(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    let accountant = api.key(&s.t.admin, "accounting").await;
    let mut ids = Vec::new();
    for ext in ["PB-1", "PB-2"] {
        let id = place(&s, &order_body(ext, &[("TEA", 2, 540)], "bank_transfer")).await;
        api.wait_status(&s.operator, &id, "allocated").await;
        let r = api
            .post(
                &format!("/api/v1/orders/{id}/payments/confirm"),
                &accountant,
                &json!({"amount": 1080, "note": "通帳で確認"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        // Paid, then cancelled: the money must go back.
        let r = api
            .post(
                &format!("/api/v1/orders/{id}/cancel"),
                &s.operator,
                &json!({"reason": "在庫の都合"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body["payment"]["payouts"][0]["status"], "requested",
            "{}",
            r.text
        );
        assert_eq!(r.body["payment"]["payouts"][0]["amount"], 1080);
        ids.push(id);
    }
    let r = api
        .get("/api/v1/payouts?status=requested", &accountant)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{}", r.text);
    let payout = |id: &str| {
        items.iter().find(|x| x["order_id"] == id).unwrap()["payout"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (p1, p2) = (payout(&ids[0]), payout(&ids[1]));
    // One goes through the bank provider…
    let execute = format!("/api/v1/orders/{}/payouts/{p1}/execute", ids[0]);
    let account = json!({"bank_code": "0005", "branch_code": "123", "account_number": "7654321", "account_name": "ﾔﾏﾀﾞ ﾀﾛｳ"});
    let mut bad = account.clone();
    bad["account_number"] = json!("76543");
    let r = api.post(&execute, &accountant, &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("account_number"), "{}", r.text);
    assert_eq!(
        api.post(&execute, &s.storefront, &account).await.status,
        403
    );
    let r = api.post(&execute, &accountant, &account).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let po = &r.body["payment"]["payouts"][0];
    assert_eq!(po["status"], "paid");
    assert!(
        po["bank_reference"].as_str().is_some_and(|x| !x.is_empty()),
        "{po}"
    );
    let r = api.post(&execute, &accountant, &account).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let paid_out: Vec<i64> = ledger(&s)
        .into_iter()
        .filter(|e| e.kind == MovementKind::Payout)
        .map(|e| e.amount)
        .collect();
    assert_eq!(paid_out, vec![1080], "sent once");
    // …the other was sent at the bank by hand and is confirmed.
    let confirm = format!("/api/v1/orders/{}/payouts/{p2}/confirm", ids[1]);
    let r = api
        .post(
            &confirm,
            &accountant,
            &json!({"bank_reference": "振込受付 0042", "note": "窓口"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["payment"]["payouts"][0]["status"], "paid");
    assert_eq!(
        api.post(&confirm, &accountant, &json!({})).await.status,
        409
    );
    let r = api
        .get("/api/v1/payouts?status=requested", &accountant)
        .await;
    assert!(r.body["items"].as_array().unwrap().is_empty(), "{}", r.text);
    let r = api.get("/api/v1/payouts?status=paid", &accountant).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        api.get("/api/v1/payouts?status=lost", &accountant)
            .await
            .status,
        422
    );
    assert!(events(&s, &ids[1]).await.contains("payout.paid"));
    api.invariants_ok(&s.t.admin).await;
}

async fn partial_refunds_after_shipping_reach_deferred_and_amazon_pay(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    // Tea is only in Osaka, so the Amazon Pay order ships in two parcels (two charges).
    api.warehouse(&s.operator, "OSK", 2).await;
    let (tea, _) = api.stock_level(&s.operator, "TKY", "TEA").await;
    assert_eq!(
        api.stock(&s.warehouse, "TKY", "TEA", -tea).await.status,
        201
    );
    assert_eq!(api.stock(&s.warehouse, "OSK", "TEA", 20).await.status, 201);
    let np = place(&s, &order_body("PR-1", &[("TOWEL", 2, 1980)], "deferred")).await;
    let mut amazon = order_body("PR-2", &[("TOWEL", 1, 1980), ("TEA", 1, 540)], "amazon_pay");
    amazon["payment"]["charge_permission_id"] = json!("S01-PR-2");
    let amazon = place(&s, &amazon).await;
    let np_first = api.wait_status(&s.operator, &np, "allocated").await;
    api.wait_status(&s.operator, &amazon, "allocated").await;
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [np, amazon]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The Osaka parcel (the tea) ships last, so its charge is the newest when the tea comes back.
    let mut parcels: Vec<(bool, String)> = vec![];
    for batch in r.body["batches"].as_array().unwrap() {
        for sh in batch["shipments"].as_array().unwrap() {
            let id = sh["id"].as_str().unwrap().to_owned();
            parcels.push((batch["warehouse"] == "OSK", id));
        }
    }
    parcels.sort_by_key(|(osaka, _)| *osaka);
    for (n, (_, sh)) in (1..).zip(&parcels) {
        let r = api
            .post(
                &format!("/api/v1/shipments/{sh}/ship"),
                &s.warehouse,
                &json!({"carrier": "sagawa", "tracking_number": tracking(56561375870 + n)}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    api.wait_idle(&s.t.admin).await;
    for _ in 0..40 {
        if events(&s, &amazon)
            .await
            .matches("payment.captured.confirmed")
            .count()
            == 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // One towel and the tea come back.
    for (id, sku) in [(&np, "TOWEL"), (&amazon, "TEA")] {
        let o = api.order(&s.operator, id).await;
        let line = o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == sku)
            .unwrap()["id"]
            .clone();
        let r = api
            .post(
                &format!("/api/v1/orders/{id}/returns"),
                &s.warehouse,
                &json!({"lines": [{"line_id": line, "quantity": 1, "restock": true}], "reason": "返品", "received": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    for id in [&np, &amazon] {
        for _ in 0..40 {
            if events(&s, id).await.contains("payment.refunded.") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        let ev = events(&s, id).await;
        assert!(ev.contains("payment.refunded.confirmed"), "{ev}");
    }
    // 後払い: the reported bill is cancelled and what is still owed billed and reported anew.
    let old = np_first["payment"]["authorization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = api.order(&s.operator, &np).await;
    let new = now["payment"]["authorization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(old, new);
    assert_eq!(moves(&s, MovementKind::Refund, &old), vec![3960]);
    assert_eq!(moves(&s, MovementKind::Authorise, &new), vec![1980]);
    assert_eq!(moves(&s, MovementKind::Capture, &new), vec![1980]);
    // Amazon Pay: the tea's own charge gives the 540 back.
    let refunds: Vec<LedgerEntry> = ledger(&s)
        .into_iter()
        .filter(|e| e.provider == "amazon_pay" && e.kind == MovementKind::Refund)
        .collect();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].amount, 540);
    assert_eq!(
        moves(&s, MovementKind::Capture, &refunds[0].reference),
        vec![540]
    );
    api.invariants_ok(&s.t.admin).await;
}

async fn an_expired_card_authorisation_is_renewed_before_capture(b: Backend) {
    let s = sandboxed(b, FaultConfig::default()).await;
    let api = &s.t.api;
    let id = place(
        &s,
        &order_body("PE-1", &[("TOWEL", 1, 1980)], "credit_card"),
    )
    .await;
    let first = api.wait_status(&s.operator, &id, "allocated").await;
    let old = gmo_order_id(&first);
    // 61 days pass at the gateway: the authorisation (60 days) has run out.
    let sandbox = s.t.sandbox.as_ref().unwrap().url();
    let r = reqwest::Client::new()
        .post(format!("{sandbox}/_sandbox/clock"))
        .json(&json!({"advance_days": 61}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    ship_all(&s, std::slice::from_ref(&id), 67671375870).await;
    for _ in 0..40 {
        if events(&s, &id).await.contains("payment.captured.") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let after = api.order(&s.operator, &id).await;
    let new = gmo_order_id(&after);
    assert_ne!(old, new, "a new authorisation with the stored token");
    assert!(moves(&s, MovementKind::Capture, &old).is_empty());
    assert_eq!(moves(&s, MovementKind::Authorise, &new), vec![1980]);
    assert_eq!(moves(&s, MovementKind::Capture, &new), vec![1980]);
    assert!(after["holds"].as_array().unwrap().is_empty(), "{after}");
    api.invariants_ok(&s.t.admin).await;
}
