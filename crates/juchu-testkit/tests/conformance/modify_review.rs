//! 注文変更 re-runs 注文確認: a modification that changes the address, lines or amounts must not
//! slip past the remote-area, blacklist and high-amount holds; a hold an operator released is not
//! placed again by a change that does not touch what it was about.

use juchu_testkit::{Backend, TestApp, order_body};
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(modification_re_triggers_review_holds);

fn holds(o: &Value) -> Vec<String> {
    o["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn patch(t: &TestApp, token: &str, id: &str, body: &Value) -> Value {
    let r = t
        .api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/orders/{id}"),
            Some(token),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{body}: {}", r.text);
    r.body
}

async fn release(t: &TestApp, op: &str, id: &str, code: &str) {
    let r = t
        .api
        .post(
            &format!("/api/v1/orders/{id}/holds/{code}/release"),
            op,
            &json!({"note": "checked"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    t.api.wait_status(op, id, "allocated").await;
}

fn tokyo(line1: &str, phone: Option<&str>) -> Value {
    let mut a = json!({"name": "山田 太郎", "postal_code": "100-0001", "prefecture": "東京都",
                       "city": "千代田区千代田", "line1": line1});
    if let Some(p) = phone {
        a["phone"] = json!(p);
    }
    a
}

async fn modification_re_triggers_review_holds(b: Backend) {
    let t = TestApp::spawn(b).await;
    let op = t.api.key(&t.admin, "operator").await;
    t.api.warehouse(&op, "TKY", 1).await;
    t.api.sku(&op, "A", 10).await;
    assert_eq!(t.api.stock(&op, "TKY", "A", 1000).await.status, 201);
    let r = t
        .api
        .post(
            "/api/v1/orders",
            &op,
            &order_body("MR-1", &[("A", 1, 1000)], "cod"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = t.api.wait_status(&op, &id, "allocated").await;
    assert!(holds(&o).is_empty(), "a clean order passes: {o}");
    let line = o["lines"][0]["id"].as_str().unwrap().to_owned();

    // Notes added by a modification are read like notes at receipt.
    let o = patch(&t, &op, &id, &json!({"notes": "置き配希望"})).await;
    assert_eq!(holds(&o), ["notes"]);
    release(&t, &op, &id, "notes").await;
    // A change elsewhere does not bring back a hold an operator released.
    let o = patch(
        &t,
        &op,
        &id,
        &json!({"shipping_address": tokyo("2-2", None)}),
    )
    .await;
    assert!(holds(&o).is_empty(), "{o}");

    // The address moves to a remote island.
    let okinawa = json!({"name": "山田 太郎", "postal_code": "900-0001", "prefecture": "沖縄県",
                         "city": "那覇市", "line1": "港町1-1"});
    let o = patch(&t, &op, &id, &json!({"shipping_address": okinawa})).await;
    assert_eq!(holds(&o), ["remote_area"], "{o}");
    // A held order is not instructed.
    let r = t
        .api
        .post(
            "/api/v1/shipping-instructions",
            &op,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["skipped"][0]["order_id"], id.as_str(), "{}", r.text);
    assert!(
        r.body["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("remote_area")
    );
    assert_eq!(t.api.order(&op, &id).await["status"], "allocated");
    release(&t, &op, &id, "remote_area").await;

    // The amount grows to the high-amount threshold (¥100,000 by default).
    let o = patch(
        &t,
        &op,
        &id,
        &json!({"lines": [{"line_id": line, "quantity": 100}]}),
    )
    .await;
    assert!(o["totals"]["total"].as_i64().unwrap() >= 100_000, "{o}");
    assert_eq!(holds(&o), ["high_amount"], "{o}");
    release(&t, &op, &id, "high_amount").await;

    // The new address's phone is on the blacklist (matched after normalisation).
    let r = t
        .api
        .post(
            "/api/v1/blacklist",
            &op,
            &json!({"kind": "phone", "value": "090-9999-8888", "reason": "受取拒否の常習"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let o = patch(
        &t,
        &op,
        &id,
        &json!({"shipping_address": tokyo("1-1", Some("09099998888"))}),
    )
    .await;
    assert_eq!(holds(&o), ["blacklist"], "{o}");

    let events = t.api.get(&format!("/api/v1/orders/{id}/events"), &op).await;
    let placed: Vec<&Value> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "hold.placed")
        .collect();
    assert_eq!(placed.len(), 4, "{}", events.text);
    assert!(placed.iter().all(|e| e["data"]["rule"] == "review"));
    t.api.wait_idle(&t.admin).await;
    t.api.invariants_ok(&t.admin).await;
    t.stop().await;
}
