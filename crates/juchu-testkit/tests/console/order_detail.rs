//! 受注詳細: the order detail page and its actions, clicked through in headless Chromium as an
//! operator would: release a review hold, split an order, cancel (refused and accepted), and a
//! role without rights that sees no action and is refused when it posts one anyway.

use juchu_domain::Role;
use juchu_testkit::{Browser, ConsoleHttp, TestApp, order_body};
use serde_json::{Value, json};

/// A shop with one warehouse, tea (8%) and cups (10%) in stock.
async fn shop(t: &TestApp) {
    t.api.warehouse(&t.admin, "TKY", 1).await;
    t.api.sku(&t.admin, "TEA", 8).await;
    t.api.sku(&t.admin, "CUP", 10).await;
    for sku in ["TEA", "CUP"] {
        let r = t.api.stock(&t.admin, "TKY", sku, 20).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
}

/// Places an order of 3 tea and 2 cups; `extra` is merged into the body (notes, delivery, …).
async fn place(t: &TestApp, external_id: &str, extra: Value) -> String {
    let mut body = order_body(
        external_id,
        &[("TEA", 3, 1080), ("CUP", 2, 2200)],
        "credit_card",
    );
    if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = t.api.post("/api/v1/orders", &t.admin, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

async fn status_on_page(b: &Browser) -> String {
    b.wait_for("#order-status")
        .await
        .attr("data-status")
        .await
        .expect("attribute")
        .unwrap_or_default()
}

/// Clicks a form's submit button and accepts the `data-confirm` dialog it opens.
async fn submit_confirmed(b: &Browser, form: &str) {
    b.click(&format!("{form} button[type=submit]")).await;
    b.accept_confirm().await;
}

/// An order with customer notes is held for review (`notes`). The operator reads it on the
/// detail page, releases the hold with a note, and the order goes on to allocation by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn release_a_review_hold_in_the_detail_page() {
    let t = TestApp::spawn(juchu_testkit::Backend::Sqlite).await;
    shop(&t).await;
    let id = place(
        &t,
        "HOLD-1",
        json!({"notes": "玄関前に置いてください", "delivery": {"date": "2030-01-10", "time_slot": "1416"}}),
    )
    .await;
    let o = t.api.wait_status(&t.admin, &id, "unallocated").await;
    assert_eq!(o["holds"][0]["code"], "notes", "{o}");

    let b = t.browser_as(Role::Operator).await;
    b.goto(&format!("/orders/{id}")).await;
    assert_eq!(status_on_page(&b).await, "unallocated");
    let page = b.page_text().await;
    for shown in [
        "玄関前に置いてください",
        "2030-01-10",
        "14:00–16:00",
        "備考確認",
        "¥3,240", // 3 × ¥1,080
        "¥7,640", // the total
        "8%",
        "10%",
        "与信", // the card authorisation in the payment ledger
        "受注", // the timeline
    ] {
        assert!(page.contains(shown), "{shown} missing:\n{page}");
    }

    b.fill("#note-notes", "お客様に電話で確認済み").await;
    submit_confirmed(&b, "#release-notes").await;
    let flash = b.text("#flash").await;
    assert!(flash.contains("保留を解除しました"), "{flash}");
    assert!(b.all("#release-notes").await.is_empty());

    // Released, the order allocates by itself; the page shows the warehouse and why.
    t.api.wait_status(&t.admin, &id, "allocated").await;
    b.goto(&format!("/orders/{id}")).await;
    assert_eq!(status_on_page(&b).await, "allocated");
    let alloc = b.text("#allocations").await;
    assert!(alloc.contains("TKY") && alloc.contains("TEA"), "{alloc}");
    let timeline = b.text("#timeline").await;
    assert!(
        timeline.contains("保留解除") && timeline.contains("お客様に電話で確認済み"),
        "{timeline}"
    );
    b.screenshot("detail").await;
    b.quit().await;
    t.stop().await;
}

/// The operator moves both cups into a new order: the page of the new order comes up, links back
/// to the original, and the two orders add up to the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn split_an_order_into_two_in_the_detail_page() {
    let t = TestApp::spawn(juchu_testkit::Backend::Sqlite).await;
    shop(&t).await;
    let id = place(&t, "SPLIT-1", json!({})).await;
    let before = t.api.wait_status(&t.admin, &id, "allocated").await;

    let b = t.browser_as(Role::Operator).await;
    b.goto(&format!("/orders/{id}")).await;
    b.click("#split-box summary").await;
    b.fill("#split input[data-sku='CUP']", "2").await;
    submit_confirmed(&b, "#split").await;

    let flash = b.text("#flash").await;
    assert!(flash.contains("注文を分割しました"), "{flash}");
    let path = b.path().await;
    let new_id = path.trim_start_matches("/orders/").to_owned();
    assert_ne!(new_id, id, "the page of the new order comes up");
    let lines = b.text("#lines").await;
    assert!(lines.contains("CUP") && !lines.contains("TEA"), "{lines}");

    // Back to the original through the 分割元 link: the tea stayed there.
    b.click(&format!("a[href='/orders/{id}']")).await;
    b.wait_for("#lines").await;
    assert_eq!(b.path().await, format!("/orders/{id}"));
    let lines = b.text("#lines").await;
    assert!(lines.contains("TEA") && !lines.contains("CUP"), "{lines}");

    let original = t.api.order(&t.admin, &id).await;
    let part = t.api.order(&t.admin, &new_id).await;
    assert_eq!(part["parent_id"], id.as_str());
    let total = |o: &Value| o["totals"]["total"].as_i64().unwrap();
    assert_eq!(total(&original) + total(&part), total(&before));
    b.quit().await;
    t.stop().await;
}

/// Cancel, refused: the page was opened while the order waited for the warehouse, which shipped
/// it meanwhile. The operator's cancel comes back with the reason, in Japanese and English, and
/// the order is unchanged. Cancel, accepted: an allocated order is cancelled and its stock is
/// free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_refused_when_shipped_and_accepted_when_allocated() {
    let t = TestApp::spawn(juchu_testkit::Backend::Sqlite).await;
    shop(&t).await;
    let shipped = place(&t, "CANCEL-1", json!({})).await;
    t.api.wait_status(&t.admin, &shipped, "allocated").await;
    let r = t
        .api
        .post(
            "/api/v1/shipping-instructions",
            &t.admin,
            &json!({"order_ids": [shipped]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let b = t.browser_as(Role::Operator).await;
    b.goto(&format!("/orders/{shipped}")).await;
    assert_eq!(status_on_page(&b).await, "shipping_instructed");
    let button = b.text("#cancel button").await;
    assert!(button.contains("キャンセル依頼"), "{button}");

    // The warehouse ships while the page is open.
    let o = t.api.order(&t.admin, &shipped).await;
    let sid = o["shipments"][0]["id"].as_str().unwrap().to_owned();
    let r = t
        .api
        .post(
            &format!("/api/v1/shipments/{sid}/ship"),
            &t.admin,
            &json!({"carrier": "yamato", "tracking_number": "123456789013"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let version = t.api.order(&t.admin, &shipped).await["version"].clone();

    b.fill("#cancel-reason", "お客様都合").await;
    submit_confirmed(&b, "#cancel").await;
    let refusal = b.text("#refusal").await;
    assert!(
        refusal.contains("キャンセルできません") && refusal.contains("出荷済"),
        "{refusal}"
    );
    assert!(
        refusal.contains("only before they are shipped"),
        "{refusal}"
    );
    assert_eq!(status_on_page(&b).await, "shipped");
    assert!(b.all("#cancel").await.is_empty(), "no cancel form any more");
    let tracking = b.wait_for("a.tracking").await;
    let href = tracking.attr("href").await.unwrap().unwrap_or_default();
    assert!(
        href.contains("kuronekoyamato") && href.contains("123456789013"),
        "{href}"
    );
    let o = t.api.order(&t.admin, &shipped).await;
    assert_eq!(o["status"], "shipped");
    assert_eq!(o["version"], version, "the refused cancel changed nothing");
    assert!(o["cancel_request"].is_null(), "{o}");

    // Accepted: an allocated order; its stock comes back.
    let stock_before = t.api.stock_level(&t.admin, "TKY", "TEA").await;
    let allocated = place(&t, "CANCEL-2", json!({})).await;
    t.api.wait_status(&t.admin, &allocated, "allocated").await;
    assert_eq!(
        t.api.stock_level(&t.admin, "TKY", "TEA").await.1,
        stock_before.1 + 3
    );
    b.goto(&format!("/orders/{allocated}")).await;
    b.fill("#cancel-reason", "お客様からのキャンセル依頼").await;
    submit_confirmed(&b, "#cancel").await;
    let flash = b.text("#flash").await;
    assert!(flash.contains("注文をキャンセルしました"), "{flash}");
    assert_eq!(status_on_page(&b).await, "cancelled");
    assert_eq!(
        t.api.stock_level(&t.admin, "TKY", "TEA").await,
        stock_before,
        "the three tea are free again"
    );
    let timeline = b.text("#timeline").await;
    assert!(
        timeline.contains("お客様からのキャンセル依頼"),
        "{timeline}"
    );
    b.quit().await;
    t.stop().await;
}

/// The warehouse sees the order but no action it may not take; posting one anyway (a form built
/// by hand with its own valid token) is refused with the 403 page and changes nothing. Accounting
/// is refused the same way over plain HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_role_without_rights_sees_no_action_and_is_refused() {
    let t = TestApp::spawn(juchu_testkit::Backend::Sqlite).await;
    shop(&t).await;
    let id = place(&t, "ROLE-1", json!({"notes": "ギフト包装希望"})).await;
    let o = t.api.wait_status(&t.admin, &id, "unallocated").await;

    let b = t.browser_as(Role::Warehouse).await;
    b.goto(&format!("/orders/{id}")).await;
    assert_eq!(status_on_page(&b).await, "unallocated");
    for form in ["#release-notes", "#cancel", "#edit", "#split", "#allocate"] {
        assert!(
            b.all(form).await.is_empty(),
            "{form} shown to the warehouse"
        );
    }
    b.wait_for("#no-actions").await;

    let script = format!(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '/orders/{id}/cancel';
         for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['reason', 'x']]) {{
           const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
         }}
         document.body.appendChild(f); f.submit();"
    );
    b.client
        .execute(&script, vec![])
        .await
        .expect("post by hand");
    let h1 = b.text("h1").await;
    assert!(h1.contains("権限がありません"), "{h1}");
    assert!(b.page_text().await.contains("warehouse"));

    let (email, password) = t.console_user(Role::Accounting).await;
    let mut c = ConsoleHttp::new(&t.url());
    assert_eq!(c.login(&email, &password).await.status, 303);
    let page = c.get(&format!("/orders/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("id=\"release-notes\""));
    let csrf = page.hidden("csrf").expect("token");
    let r = c
        .post(
            &format!("/orders/{id}/holds/release"),
            &[("csrf", csrf.as_str()), ("code", "notes")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("権限がありません"), "{}", r.body);

    // The same page in English.
    let path = format!("/orders/{id}");
    let r = c
        .post(
            "/lang",
            &[("csrf", csrf.as_str()), ("lang", "en"), ("next", &path)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get(&path).await;
    for shown in [
        "Payment ledger",
        "Tax per rate",
        "customer notes",
        "unallocated",
    ] {
        assert!(page.body.contains(shown), "{shown} missing: {}", page.body);
    }

    let after = t.api.order(&t.admin, &id).await;
    assert_eq!(after["version"], o["version"], "nothing changed");
    assert_eq!(after["holds"][0]["code"], "notes");
    b.quit().await;
    t.stop().await;
}
