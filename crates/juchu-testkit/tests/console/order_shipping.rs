//! The detail page's shipment and return forms over plain HTTP (the browser tests click the
//! order-level ones): a cancel request the warehouse refuses, then the warehouse records the
//! shipment and the delivery, and a return is received and refunded.

use juchu_domain::Role;
use juchu_testkit::{ConsoleHttp, TestApp, order_body};

/// Signs in a new console user of `role`; returns the client and the CSRF token of its session.
async fn signed_in(t: &TestApp, role: Role, order: &str) -> (ConsoleHttp, String) {
    let (email, password) = t.console_user(role).await;
    let mut c = ConsoleHttp::new(&t.url());
    assert_eq!(c.login(&email, &password).await.status, 303);
    let page = c.get(&format!("/orders/{order}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").expect("token");
    (c, csrf)
}

/// Posts an action form and follows its redirect back to the order: the page after it.
async fn act(c: &mut ConsoleHttp, path: &str, form: &[(&str, &str)]) -> String {
    let r = c.post(path, form).await;
    assert_eq!(r.status, 303, "{path}: {}", r.body);
    let page = c.get(r.location.as_deref().expect("location")).await;
    assert_eq!(page.status, 200);
    page.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn warehouse_answers_a_cancel_request_ships_delivers_and_takes_a_return() {
    let t = TestApp::spawn(juchu_testkit::Backend::Sqlite).await;
    t.api.warehouse(&t.admin, "TKY", 1).await;
    t.api.sku(&t.admin, "TEA", 8).await;
    assert_eq!(t.api.stock(&t.admin, "TKY", "TEA", 10).await.status, 201);
    let body = order_body("SHIP-1", &[("TEA", 2, 1080)], "credit_card");
    let r = t.api.post("/api/v1/orders", &t.admin, &body).await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    t.api.wait_status(&t.admin, &id, "allocated").await;

    // The operator instructs shipping from the page, then asks for a cancellation.
    let (mut op, op_csrf) = signed_in(&t, Role::Operator, &id).await;
    let page = act(
        &mut op,
        &format!("/orders/{id}/instruct"),
        &[("csrf", &op_csrf)],
    )
    .await;
    assert!(page.contains("出荷指示しました"), "{page}");
    let page = act(
        &mut op,
        &format!("/orders/{id}/cancel"),
        &[("csrf", &op_csrf), ("reason", "住所間違い")],
    )
    .await;
    assert!(page.contains("倉庫にキャンセルを依頼しました"), "{page}");
    assert!(page.contains("id=\"cancel-request\""), "{page}");
    let o = t.api.order(&t.admin, &id).await;
    assert_eq!(o["status"], "shipping_instructed");
    let sid = o["shipments"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(o["shipments"][0]["status"], "cancel_requested");

    // The warehouse refuses: the parcel is packed already.
    let (mut wh, wh_csrf) = signed_in(&t, Role::Warehouse, &id).await;
    let base = format!("/orders/{id}/shipments/{sid}");
    let page = act(
        &mut wh,
        &format!("{base}/cancel/refuse"),
        &[("csrf", &wh_csrf), ("reason", "梱包済み")],
    )
    .await;
    assert!(page.contains("キャンセルを拒否しました"), "{page}");
    assert!(t.api.order(&t.admin, &id).await["cancel_request"].is_null());

    // A bad tracking number is refused on the page (422), then the right one ships it.
    let r = wh
        .post(
            &format!("{base}/ship"),
            &[
                ("csrf", &wh_csrf),
                ("carrier", "yamato"),
                ("tracking_number", "123456789012"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("出荷を記録できません") && r.body.contains("check digit"),
        "{}",
        r.body
    );
    let page = act(
        &mut wh,
        &format!("{base}/ship"),
        &[
            ("csrf", &wh_csrf),
            ("carrier", "yamato"),
            ("tracking_number", "1234-5678-9013"),
            ("shipped_at", "2030-01-05T10:30"),
        ],
    )
    .await;
    assert!(
        page.contains("出荷を記録しました") && page.contains("kuronekoyamato"),
        "{page}"
    );
    let o = t.api.order(&t.admin, &id).await;
    assert_eq!(o["status"], "shipped");
    assert_eq!(
        o["shipments"][0]["shipped_at"], "2030-01-05T01:30:00Z",
        "JST as entered"
    );

    let page = act(&mut wh, &format!("{base}/deliver"), &[("csrf", &wh_csrf)]).await;
    assert!(page.contains("着荷を記録しました"), "{page}");
    t.api.wait_idle(&t.admin).await;

    // One tea comes back, received at once by the warehouse: restocked and refunded.
    let (on_hand, _) = t.api.stock_level(&t.admin, "TKY", "TEA").await;
    let line = o["lines"][0]["id"].as_str().unwrap().to_owned();
    let (ret, restock) = (format!("ret_{line}"), format!("restock_{line}"));
    let page = act(
        &mut wh,
        &format!("/orders/{id}/returns"),
        &[
            ("csrf", &wh_csrf),
            (&ret, "1"),
            (&restock, "1"),
            ("reason", "破損"),
            ("received", "1"),
        ],
    )
    .await;
    assert!(page.contains("返品を受領しました"), "{page}");
    let o = t.api.order(&t.admin, &id).await;
    assert_eq!(o["lines"][0]["returned_quantity"], 1);
    assert_eq!(o["payment"]["refunded_amount"], 1080);
    assert_eq!(
        t.api.stock_level(&t.admin, "TKY", "TEA").await.0,
        on_hand + 1
    );
    t.api.invariants_ok(&t.admin).await;
    t.stop().await;
}
