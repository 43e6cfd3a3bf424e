//! A kill in the worst moment for money: the provider has captured, its answer is still on the way,
//! and `juchu serve` dies. After the restart the capture job runs again; it must find the capture
//! it made (the same idempotency key replays it), not take the money a second time. Amazon Pay
//! is the case that charged twice: a charge found captured was taken for an earlier parcel's, and
//! a new charge was made.

use crate::common::ADMIN;
use crate::load::{fetch, wait_idle};
use crate::shop::{Node, World, order, reference, set_up, tracking};
use juchu_sandbox::MovementKind;
use juchu_testkit::{Backend, TestDb};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_capture_whose_answer_died_with_the_server_is_not_made_twice() {
    let db = TestDb::create(Backend::Sqlite).await;
    let world = World::start().await;
    let mut node = Node::start("serve", &db.url, &world).await;
    let c = world.client(&node);
    let storefront = set_up(&c, &["TOWEL"], &[("TKY", 10)]).await;
    // Order 0 pays by card, order 2 with Amazon Pay (`shop::order`).
    let mut ids = vec![];
    for i in [0, 2] {
        let r = c
            .post(
                "/api/v1/orders",
                &storefront,
                &order("LA", i, &[("TOWEL", 1, 3000)]),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    wait_idle(&c).await;
    let r = c
        .post(
            "/api/v1/shipping-instructions",
            ADMIN,
            &json!({"order_ids": ids}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shipments = r.body["batches"][0]["shipments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(shipments.len(), 2, "{}", r.text);

    // From now on the providers apply each call at once and answer 4 s later.
    let faults = |body| {
        let url = format!("{}/_sandbox/faults", world.sandbox.url());
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    faults(json!({"timeout_rate": 1.0, "timeout_ms": 4000})).await;
    for (n, s) in shipments.iter().enumerate() {
        let path = format!("/api/v1/shipments/{}/ship", s["id"].as_str().unwrap());
        let r = c
            .post(
                &path,
                ADMIN,
                &json!({"carrier": "yamato", "tracking_number": tracking(n)}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // Both captured at the providers; the second answer has not arrived: kill.
    let deadline = Instant::now() + Duration::from_secs(30);
    let captures = || {
        world
            .sandbox
            .ledger()
            .iter()
            .filter(|e| e.kind == MovementKind::Capture)
            .count()
    };
    while captures() < 2 {
        assert!(
            Instant::now() < deadline,
            "not captured: {:?}",
            world.sandbox.ledger()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    faults(json!({"timeout_rate": 0.0})).await;
    node.kill_and_restart().await;

    // The restarted worker takes the job over when its lease has run out, and records the capture.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let orders = fetch(&c, &ids).await;
        if orders.iter().all(|o| o["payment"]["status"] == "captured") {
            break;
        }
        assert!(Instant::now() < deadline, "not recorded: {orders:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_idle(&c).await;
    let orders = fetch(&c, &ids).await;
    let ledger = world.sandbox.ledger();
    for o in &orders {
        let r = reference(o);
        let moves: Vec<_> = ledger
            .iter()
            .filter(|e| e.reference == r)
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            moves,
            [MovementKind::Authorise, MovementKind::Capture],
            "{r}: {ledger:?}"
        );
    }
    assert_eq!(ledger.len(), 4, "nothing else moved: {ledger:?}");
    node.stop().await;
    db.drop_now().await;
}
