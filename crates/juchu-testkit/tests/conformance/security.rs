//! Security (issue 9 §4, docs/security.md): signed webhooks (a bad signature, a stale timestamp
//! and a replayed delivery are refused; a good delivery counts once) and the audit log (who did
//! what, queryable by operators).

use jiff::{SignedDuration, Timestamp};
use juchu_domain::policy::Policies;
use juchu_domain::{Actor, Role};
use juchu_testkit::{Backend, Resp, TestApp, on_both_backends, order_body};
use serde_json::{Value, json};

on_both_backends!(
    bank_webhooks_must_be_signed_fresh_and_new,
    carrier_webhooks_may_be_signed_instead_of_a_key,
    mutating_requests_are_audited_and_queryable,
);

const SECRET: &str = "security-test-webhook-secret";
const DEPOSITS: &str = "/webhooks/bank/deposits";

fn now() -> i64 {
    Timestamp::now().as_second()
}

fn deposit(event: &str) -> String {
    json!({"event_id": event, "account_number": "0310-101-1099999", "amount": 3000,
        "deposited_at": "2026-04-01T10:00:00+09:00", "payer_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"})
    .to_string()
}

async fn audit(t: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = t.api.get(&format!("/api/v1/audit?{query}"), token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn refused(r: &Resp, status: u16, code: &str) {
    assert_eq!((r.status, r.code()), (status, code), "{}", r.text);
}

async fn bank_webhooks_must_be_signed_fresh_and_new(b: Backend) {
    let mut p = Policies::default();
    p.bank.webhook_secret = Some(SECRET.into());
    // Configurable: a minute here instead of the default five.
    p.webhook_tolerance_secs = 60;
    let t = TestApp::spawn_with(b, p).await;
    let api = &t.api;
    let body = deposit("ev-1");

    // Unsigned, signed with another secret, or the body changed after signing.
    let r = api.post_raw(DEPOSITS, &body, &[]).await;
    refused(&r, 401, "invalid_signature");
    assert!(r.text.contains("X-Juchu-Timestamp"), "{}", r.text);
    refused(
        &api.signed(DEPOSITS, "guess", &body).await,
        401,
        "invalid_signature",
    );
    let ts = now().to_string();
    let sig = juchu_formats::webhook::sign(SECRET.as_bytes(), now(), "d-x", body.as_bytes());
    let tampered = body.replace("3000", "300000");
    let r = api
        .post_raw(
            DEPOSITS,
            &tampered,
            &[
                ("X-Juchu-Timestamp", &ts),
                ("X-Juchu-Delivery", "d-x"),
                ("X-Juchu-Signature", &sig),
            ],
        )
        .await;
    refused(&r, 401, "invalid_signature");
    // The pre-timestamp form (an HMAC of the body alone) is not enough any more.
    let r = api
        .post_raw(DEPOSITS, &body, &[("X-Juchu-Signature", &sig)])
        .await;
    refused(&r, 401, "invalid_signature");

    // Stale: older (or further ahead) than the tolerance.
    let r = api
        .signed_at(DEPOSITS, SECRET, &body, now() - 120, "d-old")
        .await;
    refused(&r, 401, "stale_timestamp");
    assert!(r.text.contains("60 s"), "{}", r.text);
    let r = api
        .signed_at(DEPOSITS, SECRET, &body, now() + 120, "d-ahead")
        .await;
    refused(&r, 401, "stale_timestamp");
    let l = api.get("/api/v1/bank/deposits", &t.admin).await;
    assert_eq!(l.body["items"], json!([]), "nothing refused was recorded");

    // Good, within the tolerance: recorded.
    let ts = now() - 30;
    let r = api.signed_at(DEPOSITS, SECRET, &body, ts, "d-1").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duplicate"], false);
    // The very same delivery again: a replay, refused.
    let r = api.signed_at(DEPOSITS, SECRET, &body, ts, "d-1").await;
    refused(&r, 409, "replayed_delivery");
    // The bank re-sending the event (a new delivery): acknowledged, counted once.
    let r = api.signed(DEPOSITS, SECRET, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duplicate"], true);
    let l = api.get("/api/v1/bank/deposits", &t.admin).await;
    assert_eq!(l.body["items"].as_array().unwrap().len(), 1, "{}", l.text);

    // The bank's deliveries are in the audit log, the stale and replayed ones too (the signature
    // says who sent them); the unverifiable ones are not.
    let entries = audit(&t, &t.admin, "actor=service:bank").await;
    let outcomes: Vec<_> = entries
        .iter()
        .map(|e| e["outcome"].as_i64().unwrap())
        .collect();
    assert_eq!(outcomes, [200, 409, 200, 401, 401], "{entries:?}");
    assert!(
        entries
            .iter()
            .all(|e| e["action"] == "POST /webhooks/bank/deposits"),
        "{entries:?}"
    );
    assert_eq!(entries[0]["target"], "0310-101-1099999");
    assert_eq!(
        audit(&t, &t.admin, "").await.len(),
        5,
        "nothing else was recorded"
    );
    t.stop().await;
}

async fn carrier_webhooks_may_be_signed_instead_of_a_key(b: Backend) {
    let carriers = juchu_formats::CarrierConfig {
        webhook_secret: SECRET.into(),
        ..Default::default()
    };
    let t =
        TestApp::spawn_configured(b, Policies::default(), |app| app.with_carriers(carriers)).await;
    let api = &t.api;
    let path = "/webhooks/carriers/yamato";
    let ev = json!({"event_id": "e1", "tracking_number": "1234-5678-9012", "status": "delivered",
        "at": "2026-11-27T03:00:00Z"})
    .to_string();
    // Signed right: verified, then the unknown tracking number is what is wrong.
    let ts = now();
    let r = api.signed_at(path, SECRET, &ev, ts, "c-1").await;
    assert_eq!(r.status, 404, "{}", r.text);
    refused(
        &api.signed_at(path, SECRET, &ev, ts, "c-1").await,
        409,
        "replayed_delivery",
    );
    refused(
        &api.signed(path, "guess", &ev).await,
        401,
        "invalid_signature",
    );
    refused(
        &api.signed_at(path, SECRET, &ev, ts - 3600, "c-2").await,
        401,
        "stale_timestamp",
    );
    // The plain shared secret of earlier versions is refused, with a pointer to signing.
    let r = api
        .post_raw(path, &ev, &[("X-Juchu-Webhook-Secret", SECRET)])
        .await;
    refused(&r, 401, "invalid_signature");
    assert!(r.text.contains("no longer accepted"), "{}", r.text);
    // Without a bank secret configured, no deposit can be verified.
    let r = api
        .signed("/webhooks/bank/deposits", SECRET, &deposit("e"))
        .await;
    refused(&r, 401, "invalid_signature");
    assert!(
        r.text.contains("no webhook secret is configured"),
        "{}",
        r.text
    );
    t.stop().await;
}

/// Creates a key and returns `(id, secret)`.
async fn key(t: &TestApp, role: &str) -> (String, String) {
    let r = t
        .api
        .post(
            "/api/v1/api-keys",
            &t.admin,
            &json!({"name": role, "role": role}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn mutating_requests_are_audited_and_queryable(b: Backend) {
    let start = Timestamp::now() - SignedDuration::from_secs(1);
    let t = TestApp::spawn(b).await;
    let api = &t.api;
    let (op_id, op) = key(&t, "operator").await;
    let (sf_id, sf) = key(&t, "storefront").await;
    let (_, wh) = key(&t, "warehouse").await;
    api.warehouse(&op, "TKY", 1).await;
    api.sku(&op, "TEA", 8).await;
    assert_eq!(api.stock(&op, "TKY", "TEA", 10).await.status, 201);

    // An order by the storefront, with a request id of the caller's, echoed back.
    let resp = api
        .http
        .post(format!("{}/api/v1/orders", t.url()))
        .bearer_auth(&sf)
        .header("X-Request-Id", "req-audit-1")
        .json(&order_body("AUD-1", &[("TEA", 1, 1080)], "cod"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-request-id"], "req-audit-1");
    let order: Value = resp.json().await.unwrap();
    let id = order["id"].as_str().unwrap().to_owned();
    // Every response carries a request id, made up when the caller sent none.
    let r = api
        .http
        .get(format!("{}/healthz", t.url()))
        .send()
        .await
        .unwrap();
    assert!(!r.headers()["x-request-id"].is_empty());

    // Refused by role (recorded, 403), without a key (not recorded), reads (not recorded).
    let cancel = format!("/api/v1/orders/{id}/cancel");
    let why = json!({"reason": "test"});
    assert_eq!(api.post(&cancel, &wh, &why).await.status, 403);
    let r = api
        .send(reqwest::Method::POST, &cancel, None, Some(&why), &[])
        .await;
    assert_eq!(r.status, 401);
    api.order(&op, &id).await;
    let r = api.post(&cancel, &op, &why).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Everything that was done to the order, newest first.
    let entries = audit(&t, &op, &format!("target={id}")).await;
    let seen: Vec<(String, String, i64)> = entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_i64().unwrap(),
            )
        })
        .collect();
    let act = "POST /api/v1/orders/{id}/cancel".to_owned();
    assert_eq!(seen.len(), 3, "{entries:?}");
    assert_eq!(seen[0], (format!("api_key:{op_id}"), act.clone(), 200));
    assert!(seen[1].1 == act && seen[1].2 == 403, "{entries:?}");
    assert_eq!(
        seen[2],
        (
            format!("api_key:{sf_id}"),
            "POST /api/v1/orders".into(),
            201
        )
    );
    assert_eq!(entries[2]["request_id"], "req-audit-1");
    assert!(
        entries[0]["request_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    // By actor, by action, by time; pages by cursor.
    let mine = audit(&t, &op, &format!("actor=api_key:{op_id}")).await;
    let actions: Vec<_> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "POST /api/v1/orders/{id}/cancel",
            "POST /api/v1/stock/adjustments",
            "PUT /api/v1/skus/{sku}",
            "PUT /api/v1/warehouses/{code}"
        ]
    );
    assert_eq!(mine[1]["target"], "TEA");
    assert_eq!(mine[3]["target"], "TKY");
    let cancels = audit(&t, &op, &format!("action={}", urlencode(&act))).await;
    assert_eq!(cancels.len(), 2, "{cancels:?}");
    let keys = audit(&t, &op, "action=POST%20/api/v1/api-keys").await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(
        keys.iter().all(|e| !e.to_string().contains("jk_")),
        "no secret: {keys:?}"
    );
    let later = audit(
        &t,
        &op,
        &format!("from={}", urlencode(&Timestamp::now().to_string())),
    )
    .await;
    assert!(later.is_empty(), "{later:?}");
    let all = audit(
        &t,
        &op,
        &format!("from={}&limit=1000", urlencode(&start.to_string())),
    )
    .await;
    let mut paged = vec![];
    let mut cursor = String::new();
    loop {
        let r = api
            .get(&format!("/api/v1/audit?limit=2&cursor={cursor}"), &op)
            .await;
        paged.extend(r.body["items"].as_array().unwrap().clone());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(paged, all, "pages add up to the whole log");

    // The console records its own actions through the app.
    let user = Actor::User {
        id: "usr-1".into(),
        role: Role::Operator,
    };
    t.app().audit(&user, "console.login", None, 200);
    let console = audit(&t, &op, "actor=user:usr-1").await;
    assert_eq!(console.len(), 1, "{console:?}");
    assert_eq!(console[0]["action"], "console.login");
    assert!(console[0]["target"].is_null());

    // Bad queries are named.
    for q in ["limit=0", "cursor=abc", "from=yesterday"] {
        let r = api.get(&format!("/api/v1/audit?{q}"), &op).await;
        assert_eq!(r.status, 422, "{q}: {}", r.text);
    }
    t.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace('%', "%25")
        .replace(' ', "%20")
        .replace('+', "%2B")
        .replace(':', "%3A")
        .replace('{', "%7B")
        .replace('}', "%7D")
}
