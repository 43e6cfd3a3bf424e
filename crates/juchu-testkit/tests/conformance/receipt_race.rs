//! An order cancelled while the worker's receipt-time authorisation for it is on its way to the
//! provider: the authorisation the provider made must not stay on the customer's card.

use crate::carriers::shop_on;
use juchu_domain::policy::Policies;
use juchu_sandbox::{FaultConfig, MovementKind, SandboxConfig};
use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::json;
use std::time::{Duration, Instant};

juchu_testkit::on_both_backends!(an_authorisation_made_for_an_order_cancelled_meanwhile_is_voided);

async fn an_authorisation_made_for_an_order_cancelled_meanwhile_is_voided(b: Backend) {
    // Every provider call is applied at once and answered 800 ms later.
    let faults = FaultConfig {
        timeout_rate: 1.0,
        timeout_ms: 800,
        seed: Some(1),
        ..FaultConfig::default()
    };
    let sandbox = SandboxConfig {
        faults,
        ..SandboxConfig::default()
    };
    let s = shop_on(TestApp::spawn_with_sandbox(b, Policies::default(), sandbox).await).await;
    let api = &s.t.api;
    let body = order_body("RACE-1", &[("TOWEL", 1, 1980)], "credit_card");
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let ledger = || s.t.sandbox.as_ref().unwrap().ledger();
    // The gateway has authorised; its answer has not reached the worker yet.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ledger().iter().any(|e| e.kind == MovementKind::Authorise) {
        assert!(
            Instant::now() < deadline,
            "never authorised: {:?}",
            ledger()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            &s.operator,
            &json!({"reason": "お客様都合"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    api.wait_idle(&s.t.admin).await;

    let entries = ledger();
    let reference = &entries[0].reference;
    let count = |k: MovementKind| {
        entries
            .iter()
            .filter(|e| e.kind == k && &e.reference == reference)
            .count()
    };
    assert_eq!(count(MovementKind::Authorise), 1, "{entries:?}");
    assert_eq!(
        count(MovementKind::Void),
        1,
        "the hold is released: {entries:?}"
    );
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["payment"]["status"], "voided", "{o}");
    let h = api
        .get(&format!("/api/v1/orders/{id}/events"), &s.operator)
        .await;
    assert!(h.text.contains("payment.voided.confirmed"), "{}", h.text);
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}
