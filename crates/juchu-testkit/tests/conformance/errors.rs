//! Refusals: every refused request gets the documented status and problem `code`
//! (`application/problem+json`) and changes nothing — no order, no stock movement, no new version.

use juchu_testkit::{Api, Backend, Resp, TestApp, order_body};
use reqwest::Method;
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    malformed_json_is_400_and_a_wrong_shape_is_422,
    invalid_order_fields_are_422_all_at_once_and_change_nothing,
    missing_or_unknown_keys_are_401_and_wrong_roles_403,
    stale_or_invalid_if_match_is_refused,
    steps_the_flow_does_not_allow_are_409,
    idempotency_key_replays_the_first_response_or_refuses,
    duplicate_channel_and_external_id_names_the_first_order,
    stock_adjustments_that_would_go_below_zero_or_name_unknowns,
    unknown_paths_and_ids_are_404,
    absurd_amounts_are_422_not_a_server_error,
    nul_characters_are_422_not_a_server_error,
);

struct Shop {
    t: TestApp,
    operator: String,
    warehouse: String,
    storefront: String,
    accounting: String,
}

async fn shop(b: Backend) -> Shop {
    let t = TestApp::spawn(b).await;
    let operator = t.api.key(&t.admin, "operator").await;
    let warehouse = t.api.key(&t.admin, "warehouse").await;
    let storefront = t.api.key(&t.admin, "storefront").await;
    let accounting = t.api.key(&t.admin, "accounting").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    t.api.sku(&operator, "TEA", 8).await;
    assert_eq!(
        t.api.stock(&warehouse, "TKY", "TOWEL", 10).await.status,
        201
    );
    assert_eq!(t.api.stock(&warehouse, "TKY", "TEA", 5).await.status, 201);
    Shop {
        t,
        operator,
        warehouse,
        storefront,
        accounting,
    }
}

/// Asserts an error response: status, `code`, the problem+json media type and body.
#[track_caller]
fn problem(r: &Resp, status: u16, code: &str) {
    assert_eq!((r.status, r.code()), (status, code), "{}", r.text);
    assert_eq!(r.content_type, "application/problem+json", "{}", r.text);
    assert_eq!(r.body["status"], status, "{}", r.text);
    assert_eq!(
        r.body["type"],
        format!("urn:juchu:problem:{code}"),
        "{}",
        r.text
    );
    assert!(
        r.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a problem explains itself: {}",
        r.text
    );
}

/// The `field` of each entry of `errors`.
fn fields(r: &Resp) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Everything a refused request must leave alone: orders (with their versions), counts, stock and
/// the stock ledger. Waits for the worker first, so that only the request under test could differ.
async fn state(s: &Shop) -> Value {
    let api = &s.t.api;
    api.wait_idle(&s.t.admin).await;
    let counts = api.get("/api/v1/orders/counts", &s.operator).await;
    let orders = api.get("/api/v1/orders?limit=500", &s.operator).await;
    let stock = api.get("/api/v1/stock", &s.operator).await;
    let ledger = api
        .get("/api/v1/stock/movements?limit=1000", &s.operator)
        .await;
    for r in [&counts, &orders, &stock, &ledger] {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    json!({"counts": counts.body, "orders": orders.body, "stock": stock.body, "ledger": ledger.body})
}

fn total_orders(counts: &Value) -> i64 {
    counts
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum()
}

async fn place(s: &Shop, external_id: &str, lines: &[(&str, i64, i64)], method: &str) -> String {
    let r =
        s.t.api
            .post(
                "/api/v1/orders",
                &s.storefront,
                &order_body(external_id, lines, method),
            )
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

/// An allocated order instructed for shipping; returns (order id, shipment id).
async fn instructed(s: &Shop, external_id: &str) -> (String, String) {
    let api = &s.t.api;
    let id = place(s, external_id, &[("TOWEL", 1, 1980)], "credit_card").await;
    api.wait_status(&s.operator, &id, "allocated").await;
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &s.warehouse,
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shipment = r.body["batches"][0]["shipments"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("instructed: {}", r.text))
        .to_owned();
    (id, shipment)
}

async fn post_with(api: &Api, path: &str, token: &str, body: &Value, h: &[(&str, &str)]) -> Resp {
    api.send(Method::POST, path, Some(token), Some(body), h)
        .await
}

/// A POST with an `Idempotency-Key`; also returns the `Idempotent-Replayed` header.
async fn post_keyed(
    api: &Api,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (Resp, Option<String>) {
    let resp = api
        .http
        .post(format!("{}{path}", api.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let replayed = header("idempotent-replayed");
    let content_type = header("content-type").unwrap_or_default();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (
        Resp {
            status,
            body,
            content_type,
            text,
        },
        replayed,
    )
}

async fn malformed_json_is_400_and_a_wrong_shape_is_422(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let before = state(&s).await;

    for raw in [
        "{\"channel\": ",
        "not json",
        "{\"channel\": \"web\",}",
        "\u{feff}{",
    ] {
        let r = api
            .raw(Method::POST, "/api/v1/orders", &s.storefront, raw)
            .await;
        problem(&r, 400, "bad_request");
    }
    let r = api
        .raw(Method::POST, "/api/v1/orders", &s.storefront, "")
        .await;
    problem(&r, 400, "bad_request");
    let r = api
        .raw(
            Method::POST,
            "/api/v1/stock/adjustments",
            &s.warehouse,
            "{\"warehouse\": \"TKY\"",
        )
        .await;
    problem(&r, 400, "bad_request");

    // Well-formed JSON of the wrong shape names the field.
    let mut body = order_body("W-1", &[("TOWEL", 2, 1980)], "cod");
    body["lines"][0]["quantity"] = json!("2");
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["lines[0].quantity"]);

    let mut body = order_body("W-1", &[("TOWEL", 2, 1980)], "cod");
    body.as_object_mut().unwrap().remove("customer");
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["customer"], "{}", r.text);

    let mut body = order_body("W-1", &[("TOWEL", 2, 1980)], "cod");
    body["customer"].as_object_mut().unwrap().remove("email");
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["customer.email"], "{}", r.text);

    let mut body = order_body("W-1", &[("TOWEL", 2, 1980)], "cod");
    body["payment"]["method"] = json!("bitcoin");
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["payment.method"], "{}", r.text);

    let mut body = order_body("W-1", &[("TOWEL", 2, 1980)], "cod");
    body["lines"][0]["quantity"] = json!(1.5);
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["lines[0].quantity"]);

    let r = api
        .post("/api/v1/orders", &s.storefront, &json!([1, 2]))
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r).len(), 1, "{}", r.text);

    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &json!({"warehouse": "TKY", "sku": "TOWEL", "delta": "5", "reason": "x"}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["delta"]);

    assert_eq!(state(&s).await, before, "refused requests changed nothing");
    s.t.stop().await;
}

async fn invalid_order_fields_are_422_all_at_once_and_change_nothing(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let before = state(&s).await;
    let base = || order_body("V-1", &[("TOWEL", 2, 1980), ("TEA", 1, 540)], "cod");

    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut b = base();
    b["lines"][0]["sku"] = json!("NO-SUCH-SKU");
    cases.push(("lines[0].sku", b));
    for q in [0, -1] {
        let mut b = base();
        b["lines"][1]["quantity"] = json!(q);
        cases.push(("lines[1].quantity", b));
    }
    for p in [0, -540] {
        let mut b = base();
        b["lines"][0]["unit_price"] = json!(p);
        cases.push(("lines[0].unit_price", b));
    }
    for pc in ["100-00011", "10000", "abc-defg", ""] {
        let mut b = base();
        b["shipping_address"]["postal_code"] = json!(pc);
        cases.push(("shipping_address.postal_code", b));
    }
    for pref in ["東京", "Tokyo", "大阪都"] {
        let mut b = base();
        b["shipping_address"]["prefecture"] = json!(pref);
        cases.push(("shipping_address.prefecture", b));
    }
    let mut b = base();
    b["customer"]["email"] = json!("not-an-address");
    cases.push(("customer.email", b));
    let mut b = base();
    b["lines"] = json!([]);
    cases.push(("lines", b));
    let mut b = base();
    b["lines"][0]["quantity"] = json!(i64::MAX);
    cases.push(("lines[0].quantity", b));
    let mut b = base();
    b["discount"] = json!(-1);
    cases.push(("discount", b));
    let mut b = base();
    b["payment"] = json!({"method": "credit_card"});
    cases.push(("payment.card_token", b));

    for (field, body) in &cases {
        let r = api.post("/api/v1/orders", &s.storefront, body).await;
        problem(&r, 422, "validation_failed");
        assert_eq!(fields(&r), [*field], "{}", r.text);
        let msg = r.body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(!msg.is_empty(), "{}", r.text);
        if *field == "lines[0].sku" {
            assert!(msg.contains("NO-SUCH-SKU"), "names the SKU: {msg}");
        }
    }

    // Everything wrong at once: every problem is reported in one response.
    let mut b = base();
    b["lines"][0]["sku"] = json!("NO-SUCH-SKU");
    b["lines"][0]["quantity"] = json!(0);
    b["lines"][1]["unit_price"] = json!(-1);
    b["shipping_address"]["postal_code"] = json!("12-345");
    b["shipping_address"]["prefecture"] = json!("東京");
    b["customer"]["email"] = json!("@");
    b["customer"]["name"] = json!(" ");
    let r = api.post("/api/v1/orders", &s.storefront, &b).await;
    problem(&r, 422, "validation_failed");
    let mut got = fields(&r);
    got.sort();
    let mut want = vec![
        "customer.email",
        "customer.name",
        "lines[0].quantity",
        "lines[0].sku",
        "lines[1].unit_price",
        "shipping_address.postal_code",
        "shipping_address.prefecture",
    ];
    want.sort();
    assert_eq!(got, want, "{}", r.text);

    // A discount larger than the order is refused too (the total may not go below zero).
    let mut b = base();
    b["discount"] = json!(1_000_000);
    let r = api.post("/api/v1/orders", &s.storefront, &b).await;
    problem(&r, 422, "validation_failed");

    assert_eq!(state(&s).await, before, "refused orders changed nothing");

    // Refusals took no order number: the first order is still number one.
    let r = api.post("/api/v1/orders", &s.storefront, &base()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["number"], 100001, "no gaps from refused orders");
    assert_eq!(r.body["shipping_address"]["postal_code"], "1000001");
    s.t.stop().await;
}

async fn missing_or_unknown_keys_are_401_and_wrong_roles_403(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (id, shipment) = instructed(&s, "A-1").await;
    let other = place(&s, "A-2", &[("TEA", 1, 540)], "cod").await;
    api.wait_status(&s.operator, &other, "allocated").await;
    let before = state(&s).await;

    // No key, an unknown key, another scheme.
    let r = api
        .send(Method::GET, "/api/v1/orders", None, None, &[])
        .await;
    problem(&r, 401, "unauthorized");
    let body = order_body("A-3", &[("TOWEL", 1, 1980)], "cod");
    let r = api
        .send(Method::POST, "/api/v1/orders", None, Some(&body), &[])
        .await;
    problem(&r, 401, "unauthorized");
    let r = api.post("/api/v1/orders", "not-a-key", &body).await;
    problem(&r, 401, "unauthorized");
    let r = api
        .get(&format!("/api/v1/orders/{id}"), "juchu_live_0000000000")
        .await;
    problem(&r, 401, "unauthorized");
    let basic = "Basic YWRtaW46YWRtaW4=";
    let r = api
        .send(
            Method::GET,
            "/api/v1/orders/counts",
            None,
            None,
            &[("Authorization", basic)],
        )
        .await;
    problem(&r, 401, "unauthorized");
    let r = api
        .send(
            Method::GET,
            "/api/v1/orders/counts",
            None,
            None,
            &[("Authorization", "Bearer ")],
        )
        .await;
    problem(&r, 401, "unauthorized");

    // Wrong roles.
    let reason = json!({"reason": "test"});
    let forbidden: Vec<(&str, &str, String, Value)> = vec![
        (
            "warehouse creates an order",
            s.warehouse.as_str(),
            "/api/v1/orders".into(),
            body.clone(),
        ),
        (
            "accounting creates an order",
            s.accounting.as_str(),
            "/api/v1/orders".into(),
            body.clone(),
        ),
        (
            "warehouse cancels",
            s.warehouse.as_str(),
            format!("/api/v1/orders/{other}/cancel"),
            reason.clone(),
        ),
        (
            "accounting cancels",
            s.accounting.as_str(),
            format!("/api/v1/orders/{other}/cancel"),
            reason.clone(),
        ),
        (
            "storefront adjusts stock",
            s.storefront.as_str(),
            "/api/v1/stock/adjustments".into(),
            json!({"warehouse": "TKY", "sku": "TOWEL", "delta": 100, "reason": "free towels"}),
        ),
        (
            "accounting adjusts stock",
            s.accounting.as_str(),
            "/api/v1/stock/adjustments".into(),
            json!({"warehouse": "TKY", "sku": "TOWEL", "delta": -1, "reason": "x"}),
        ),
        (
            "storefront creates an api key",
            s.storefront.as_str(),
            "/api/v1/api-keys".into(),
            json!({"name": "me", "role": "admin"}),
        ),
        (
            "operator creates an api key",
            s.operator.as_str(),
            "/api/v1/api-keys".into(),
            json!({"name": "me", "role": "admin"}),
        ),
        (
            "accounting ships",
            s.accounting.as_str(),
            format!("/api/v1/shipments/{shipment}/ship"),
            json!({"carrier": "yamato", "tracking_number": "444413758703"}),
        ),
        (
            "storefront ships",
            s.storefront.as_str(),
            format!("/api/v1/shipments/{shipment}/ship"),
            json!({"carrier": "yamato", "tracking_number": "444413758703"}),
        ),
        (
            "storefront instructs shipping",
            s.storefront.as_str(),
            "/api/v1/shipping-instructions".into(),
            json!({"order_ids": [other]}),
        ),
        (
            "warehouse places a hold",
            s.warehouse.as_str(),
            format!("/api/v1/orders/{other}/holds"),
            json!({"code": "manual", "reason": "x"}),
        ),
        (
            "storefront places a hold",
            s.storefront.as_str(),
            format!("/api/v1/orders/{other}/holds"),
            json!({"code": "manual", "reason": "x"}),
        ),
        (
            "warehouse confirms a payment",
            s.warehouse.as_str(),
            format!("/api/v1/orders/{other}/payments/confirm"),
            json!({"amount": 540}),
        ),
    ];
    for (what, key, path, body) in &forbidden {
        let r = api.post(path, key, body).await;
        assert_eq!(r.status, 403, "{what}: {}", r.text);
        problem(&r, 403, "forbidden");
    }
    let r = api
        .put(
            "/api/v1/skus/TOWEL",
            &s.warehouse,
            &json!({"name": "renamed", "tax_rate": 8}),
        )
        .await;
    problem(&r, 403, "forbidden");
    let r = api
        .put(
            "/api/v1/warehouses/TKY",
            &s.storefront,
            &json!({"name": "x", "priority": 9}),
        )
        .await;
    problem(&r, 403, "forbidden");
    let r = api.get("/api/v1/admin/invariants", &s.operator).await;
    problem(&r, 403, "forbidden");

    assert_eq!(state(&s).await, before, "refused requests changed nothing");
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["status"], "shipping_instructed");
    assert_eq!(o["shipments"][0]["status"], "instructed");
    assert_eq!(api.order(&s.operator, &other).await["status"], "allocated");
    s.t.stop().await;
}

async fn stale_or_invalid_if_match_is_refused(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let id = place(&s, "M-1", &[("TOWEL", 2, 1980)], "credit_card").await;
    api.wait_status(&s.operator, &id, "allocated").await;
    let before = state(&s).await;
    let order = api.order(&s.operator, &id).await;
    let v = order["version"].as_i64().unwrap();
    assert!(v > 1, "receipt and allocation each made a version");
    let cancel = format!("/api/v1/orders/{id}/cancel");
    let holds = format!("/api/v1/orders/{id}/holds");
    let reason = json!({"reason": "お客様都合"});
    let hold = json!({"code": "manual", "reason": "確認中"});

    for stale in [v - 1, v + 1, 0] {
        let stale = stale.to_string();
        let r = post_with(api, &cancel, &s.operator, &reason, &[("If-Match", &stale)]).await;
        problem(&r, 412, "version_conflict");
        assert_eq!(r.body["current_version"], v, "{}", r.text);
        let r = post_with(api, &holds, &s.operator, &hold, &[("If-Match", &stale)]).await;
        problem(&r, 412, "version_conflict");
        assert_eq!(r.body["current_version"], v, "{}", r.text);
    }
    let quoted_stale = format!("W/\"{}\"", v - 1);
    let r = post_with(
        api,
        &cancel,
        &s.operator,
        &reason,
        &[("If-Match", &quoted_stale)],
    )
    .await;
    problem(&r, 412, "version_conflict");

    for bad in ["abc", "1.5", "\"\"", "W/"] {
        let r = post_with(api, &cancel, &s.operator, &reason, &[("If-Match", bad)]).await;
        problem(&r, 400, "bad_request");
        let r = post_with(api, &holds, &s.operator, &hold, &[("If-Match", bad)]).await;
        problem(&r, 400, "bad_request");
    }
    assert_eq!(state(&s).await, before, "refused requests changed nothing");
    assert_eq!(api.order(&s.operator, &id).await, order);

    // The current version, quoted or weak, is accepted.
    let current = format!("\"{v}\"");
    let r = post_with(api, &holds, &s.operator, &hold, &[("If-Match", &current)]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["version"], v + 1);
    // Now the old version is stale for cancel, and the refusal names the new one.
    let old = v.to_string();
    let r = post_with(api, &cancel, &s.operator, &reason, &[("If-Match", &old)]).await;
    problem(&r, 412, "version_conflict");
    assert_eq!(r.body["current_version"], v + 1);
    let weak = format!("W/\"{}\"", v + 1);
    let r = post_with(api, &cancel, &s.operator, &reason, &[("If-Match", &weak)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    s.t.stop().await;
}

async fn steps_the_flow_does_not_allow_are_409(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (id, shipment) = instructed(&s, "F-1").await;
    let ship = format!("/api/v1/shipments/{shipment}/ship");
    let deliver = format!("/api/v1/shipments/{shipment}/deliver");
    let tracking = json!({"carrier": "yamato", "tracking_number": "444413758703"});

    // Delivered before it shipped.
    let before = state(&s).await;
    let r = api.post(&deliver, &s.warehouse, &json!({})).await;
    problem(&r, 409, "invalid_transition");
    assert_eq!(r.body["current_status"], "shipping_instructed");
    assert_eq!(state(&s).await, before);

    let r = api.post(&ship, &s.warehouse, &tracking).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "shipped");

    // Shipped twice (also with another tracking number).
    let before = state(&s).await;
    let r = api.post(&ship, &s.warehouse, &tracking).await;
    problem(&r, 409, "invalid_transition");
    assert_eq!(r.body["current_status"], "shipped");
    let r = api
        .post(
            &ship,
            &s.warehouse,
            &json!({"carrier": "sagawa", "tracking_number": "512547514334"}),
        )
        .await;
    problem(&r, 409, "invalid_transition");
    // Holds on a shipped order, cancelling it: refused.
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/holds"),
            &s.operator,
            &json!({"code": "manual", "reason": "too late"}),
        )
        .await;
    problem(&r, 409, "invalid_transition");
    let r = api
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            &s.operator,
            &json!({"reason": "too late"}),
        )
        .await;
    problem(&r, 409, "invalid_transition");
    assert_eq!(state(&s).await, before);
    let o = api.order(&s.operator, &id).await;
    assert_eq!(o["shipments"][0]["tracking_number"], "444413758703");
    assert_eq!(o["payment"]["captured_amount"], 1980, "captured once");

    // Holds: releasing one that is not there is 404; a second hold of one code is 409.
    let other = place(&s, "F-2", &[("TEA", 1, 540)], "credit_card").await;
    api.wait_status(&s.operator, &other, "allocated").await;
    let before = state(&s).await;
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/holds/manual/release"),
            &s.operator,
            &json!({"note": "nothing to release"}),
        )
        .await;
    problem(&r, 404, "not_found");
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/holds/no_such_code/release"),
            &s.operator,
            &json!({}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/holds"),
            &s.operator,
            &json!({"code": "vip", "reason": "x"}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["code"]);
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/holds"),
            &s.operator,
            &json!({"code": "manual", "reason": " "}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    // A card payment is not confirmed by hand.
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/payments/confirm"),
            &s.operator,
            &json!({"amount": 540}),
        )
        .await;
    problem(&r, 409, "invalid_transition");
    // A blank cancellation reason.
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/cancel"),
            &s.operator,
            &json!({"reason": ""}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    // Invalid shipping data: unknown carrier, bad tracking number.
    let r = api
        .post(
            &ship,
            &s.warehouse,
            &json!({"carrier": "pigeon", "tracking_number": "1"}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(state(&s).await, before);

    let r = api
        .post(
            &format!("/api/v1/orders/{other}/holds"),
            &s.operator,
            &json!({"code": "manual", "reason": "確認中"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let before = state(&s).await;
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/holds"),
            &s.operator,
            &json!({"code": "manual", "reason": "again"}),
        )
        .await;
    problem(&r, 409, "invalid_transition");
    assert_eq!(state(&s).await, before);

    // A cancelled order stays cancelled.
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/cancel"),
            &s.operator,
            &json!({"reason": "お客様都合"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = state(&s).await;
    let r = api
        .post(
            &format!("/api/v1/orders/{other}/cancel"),
            &s.operator,
            &json!({"reason": "twice"}),
        )
        .await;
    problem(&r, 409, "invalid_transition");
    assert_eq!(r.body["current_status"], "cancelled");
    assert_eq!(state(&s).await, before);
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn idempotency_key_replays_the_first_response_or_refuses(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let body = order_body("I-1", &[("TOWEL", 1, 1980)], "credit_card");

    let (first, replayed) = post_keyed(api, "/api/v1/orders", &s.storefront, "key-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(replayed, None, "the first response is not a replay");
    let id = first.body["id"].as_str().unwrap().to_owned();
    api.wait_status(&s.operator, &id, "allocated").await;
    let before = state(&s).await;

    for _ in 0..2 {
        let (again, replayed) =
            post_keyed(api, "/api/v1/orders", &s.storefront, "key-1", &body).await;
        assert_eq!(again.status, 201);
        assert_eq!(again.text, first.text, "the first response, byte for byte");
        assert_eq!(replayed.as_deref(), Some("true"));
        assert!(again.content_type.starts_with("application/json"));
    }
    // The same key with another body.
    let other = order_body("I-2", &[("TOWEL", 1, 1980)], "credit_card");
    let (r, _) = post_keyed(api, "/api/v1/orders", &s.storefront, "key-1", &other).await;
    problem(&r, 422, "idempotency_key_reused");
    assert_eq!(state(&s).await, before, "replays and reuse did nothing");
    assert_eq!(total_orders(&before["counts"]), 1, "only one order");

    // A refusal is replayed too, and a stock adjustment applies once.
    let bad = order_body("I-3", &[("NO-SUCH-SKU", 1, 100)], "cod");
    let (r1, _) = post_keyed(api, "/api/v1/orders", &s.storefront, "key-2", &bad).await;
    problem(&r1, 422, "validation_failed");
    let (r2, replayed) = post_keyed(api, "/api/v1/orders", &s.storefront, "key-2", &bad).await;
    assert_eq!((r2.status, r2.text.as_str()), (422, r1.text.as_str()));
    assert_eq!(r2.content_type, "application/problem+json");
    assert_eq!(replayed.as_deref(), Some("true"));

    let adj = json!({"warehouse": "TKY", "sku": "TEA", "delta": 5, "reason": "入荷"});
    for _ in 0..3 {
        let (r, _) = post_keyed(
            api,
            "/api/v1/stock/adjustments",
            &s.warehouse,
            "adj-1",
            &adj,
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["on_hand"], 10);
    }
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (10, 0));
    let (r, _) = post_keyed(
        api,
        "/api/v1/stock/adjustments",
        &s.warehouse,
        "adj-1",
        &json!({"warehouse": "TKY", "sku": "TEA", "delta": 6, "reason": "入荷"}),
    )
    .await;
    problem(&r, 422, "idempotency_key_reused");
    assert_eq!(api.stock_level(&s.operator, "TKY", "TEA").await, (10, 0));
    let counts = api.get("/api/v1/orders/counts", &s.operator).await;
    assert_eq!(total_orders(&counts.body), 1);
    s.t.stop().await;
}

async fn duplicate_channel_and_external_id_names_the_first_order(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let first = place(&s, "D-1", &[("TOWEL", 1, 1980)], "cod").await;
    api.wait_status(&s.operator, &first, "allocated").await;
    let before = state(&s).await;

    let again = order_body("D-1", &[("TOWEL", 1, 1980)], "cod");
    let changed = order_body("D-1", &[("TEA", 3, 540)], "credit_card");
    let spaced = order_body(" D-1 ", &[("TOWEL", 1, 1980)], "cod");
    for (key, body) in [
        (&s.storefront, &again),
        (&s.operator, &changed),
        (&s.storefront, &spaced),
    ] {
        let r = api.post("/api/v1/orders", key, body).await;
        problem(&r, 409, "duplicate_order");
        assert_eq!(r.body["order_id"], first.as_str(), "{}", r.text);
    }
    assert_eq!(state(&s).await, before, "no second order, no stock taken");

    // The same external id on another channel is another order.
    let mut other = order_body("D-1", &[("TOWEL", 1, 1980)], "cod");
    other["channel"] = json!("rakuten");
    let r = api.post("/api/v1/orders", &s.storefront, &other).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_ne!(r.body["id"], first.as_str());
    let counts = api.get("/api/v1/orders/counts", &s.operator).await;
    assert_eq!(total_orders(&counts.body), 2);
    s.t.stop().await;
}

async fn stock_adjustments_that_would_go_below_zero_or_name_unknowns(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    api.warehouse(&s.operator, "OSA", 2).await;
    let id = place(&s, "S-1", &[("TOWEL", 4, 1980)], "cod").await;
    api.wait_status(&s.operator, &id, "allocated").await;
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (10, 4));
    let before = state(&s).await;
    let adjust = |warehouse: &str, sku: &str, delta: i64| json!({"warehouse": warehouse, "sku": sku, "delta": delta, "reason": "棚卸"});

    // Below zero, below what orders hold, and from a place that has none.
    for (wh, sku, delta) in [
        ("TKY", "TOWEL", -11),
        ("TKY", "TOWEL", -7),
        ("TKY", "TEA", -6),
        ("OSA", "TOWEL", -1),
    ] {
        let r = api
            .post(
                "/api/v1/stock/adjustments",
                &s.warehouse,
                &adjust(wh, sku, delta),
            )
            .await;
        problem(&r, 409, "insufficient_stock");
    }
    // Absurd deltas are invalid values, not a storage failure.
    for delta in [i64::MAX, i64::MIN, 1 << 62] {
        let r = api
            .post(
                "/api/v1/stock/adjustments",
                &s.warehouse,
                &adjust("TKY", "TOWEL", delta),
            )
            .await;
        problem(&r, 422, "validation_failed");
        assert_eq!(fields(&r), ["delta"]);
    }
    // Unknown warehouse or SKU; a zero delta; a blank reason.
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &adjust("NGO", "TOWEL", 5),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["warehouse"]);
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &adjust("TKY", "SOAP", 5),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["sku"]);
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &adjust("NGO", "SOAP", -5),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["warehouse", "sku"]);
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &adjust("TKY", "TOWEL", 0),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["delta"]);
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &json!({"warehouse": "TKY", "sku": "TOWEL", "delta": 1, "reason": ""}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["reason"]);
    assert_eq!(
        state(&s).await,
        before,
        "refused adjustments changed nothing"
    );
    assert_eq!(api.stock_level(&s.operator, "TKY", "TOWEL").await, (10, 4));

    // Exactly down to what orders hold is fine.
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &adjust("TKY", "TOWEL", -6),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            &r.body["on_hand"],
            &r.body["allocated"],
            &r.body["available"]
        ),
        (&json!(4), &json!(4), &json!(0))
    );
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn unknown_paths_and_ids_are_404(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let (order, _) = instructed(&s, "U-1").await;
    let before = state(&s).await;

    for path in [
        "/api/v1/nope",
        "/api/v2/orders",
        "/nope",
        "/api/v1/orders/x/y/z",
    ] {
        let r = api.get(path, &s.operator).await;
        problem(&r, 404, "not_found");
        let r = api.send(Method::GET, path, None, None, &[]).await;
        problem(&r, 404, "not_found");
    }
    let r = api.post("/api/v1/nope", &s.operator, &json!({})).await;
    problem(&r, 404, "not_found");
    // A known path with a method it does not take.
    for (method, path) in [
        (Method::DELETE, "/api/v1/orders"),
        (Method::PUT, "/api/v1/orders/counts"),
        (Method::GET, "/api/v1/stock/adjustments"),
    ] {
        let r = api.send(method, path, Some(&s.operator), None, &[]).await;
        problem(&r, 405, "method_not_allowed");
    }
    // A path segment that is not even UTF-8.
    let r = api.get("/api/v1/orders/%FF%FE", &s.operator).await;
    assert!(r.status == 400 || r.status == 404, "{}", r.text);
    assert_eq!(r.content_type, "application/problem+json", "{}", r.text);

    let missing = uuid::Uuid::now_v7().to_string();
    let nil = uuid::Uuid::nil().to_string();
    for id in [
        missing.as_str(),
        nil.as_str(),
        "garbage",
        "12345",
        "%E5%8F%97",
    ] {
        for path in [
            format!("/api/v1/orders/{id}"),
            format!("/api/v1/orders/{id}/events"),
        ] {
            let r = api.get(&path, &s.operator).await;
            problem(&r, 404, "not_found");
        }
        for (path, body) in [
            (
                format!("/api/v1/orders/{id}/cancel"),
                json!({"reason": "x"}),
            ),
            (
                format!("/api/v1/orders/{id}/holds"),
                json!({"code": "manual", "reason": "x"}),
            ),
            (
                format!("/api/v1/orders/{id}/holds/manual/release"),
                json!({}),
            ),
            (
                format!("/api/v1/orders/{id}/payments/confirm"),
                json!({"amount": 100}),
            ),
            (
                format!("/api/v1/shipments/{id}/ship"),
                json!({"carrier": "yamato", "tracking_number": "444413758703"}),
            ),
            (format!("/api/v1/shipments/{id}/deliver"), json!({})),
        ] {
            let r = api.post(&path, &s.operator, &body).await;
            problem(&r, 404, "not_found");
        }
        let r = api
            .get(
                &format!("/api/v1/shipping-instructions/{id}/export?format=csv"),
                &s.operator,
            )
            .await;
        problem(&r, 404, "not_found");
    }
    // An order id as a shipment id is not a shipment.
    let r = api
        .post(
            &format!("/api/v1/shipments/{order}/deliver"),
            &s.warehouse,
            &json!({}),
        )
        .await;
    problem(&r, 404, "not_found");
    assert_eq!(state(&s).await, before, "nothing changed");
    s.t.stop().await;
}

async fn absurd_amounts_are_422_not_a_server_error(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let id = place(&s, "X-1", &[("TOWEL", 1, 1980)], "bank_transfer").await;
    api.wait_status(&s.operator, &id, "allocated").await;
    let confirm = format!("/api/v1/orders/{id}/payments/confirm");
    // Part of the money arrives; then an amount no one could have paid.
    let r = api
        .post(&confirm, &s.operator, &json!({"amount": 1000}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "awaiting_payment");
    assert_eq!(r.body["payment"]["captured_amount"], 1000);
    let before = state(&s).await;
    for amount in [i64::MAX, i64::MAX - 999] {
        let r = api
            .post(&confirm, &s.accounting, &json!({"amount": amount}))
            .await;
        problem(&r, 422, "validation_failed");
        assert_eq!(fields(&r), ["amount"]);
    }
    let r = api
        .post(&confirm, &s.accounting, &json!({"amount": 1e300}))
        .await;
    problem(&r, 422, "validation_failed");
    // Order amounts beyond any real order.
    let mut body = order_body("X-2", &[("TOWEL", 1, 1980)], "cod");
    body["shipping_fee"] = json!(i64::MAX);
    body["points_used"] = json!(i64::MAX);
    body["fees"] = json!([{"kind": "gift", "amount": i64::MAX}]);
    let r = api.post("/api/v1/orders", &s.storefront, &body).await;
    problem(&r, 422, "validation_failed");
    let mut got = fields(&r);
    got.sort();
    assert_eq!(got, ["fees[0].amount", "points_used", "shipping_fee"]);
    assert_eq!(state(&s).await, before, "nothing changed");
    // The rest of the money settles it.
    let r = api
        .post(&confirm, &s.accounting, &json!({"amount": 980}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "paid");
    api.invariants_ok(&s.t.admin).await;
    s.t.stop().await;
}

async fn nul_characters_are_422_not_a_server_error(b: Backend) {
    let s = shop(b).await;
    let api = &s.t.api;
    let before = state(&s).await;
    let nul = "a\u{0}b";
    let mut cases: Vec<Value> = Vec::new();
    for pointer in [
        "/external_id",
        "/channel",
        "/customer/name",
        "/customer/kana",
        "/customer/email",
        "/customer/phone",
        "/shipping_address/name",
        "/shipping_address/city",
        "/shipping_address/line1",
        "/notes",
    ] {
        let mut body = order_body("N-1", &[("TOWEL", 1, 1980)], "cod");
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        target[key] = json!(if key == "email" {
            "a\u{0}b@example.jp"
        } else {
            nul
        });
        cases.push(body);
    }
    for body in &cases {
        let r = api.post("/api/v1/orders", &s.storefront, body).await;
        assert!(r.status < 500, "{body}: {}", r.text);
        problem(&r, 422, "validation_failed");
    }
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &s.warehouse,
            &json!({"warehouse": "TKY", "sku": "TOWEL", "delta": 1, "reason": nul}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    let r = api
        .put(
            "/api/v1/skus/TOWEL",
            &s.operator,
            &json!({"name": nul, "tax_rate": 10}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    let r = api
        .put(
            "/api/v1/warehouses/TKY",
            &s.operator,
            &json!({"name": nul, "priority": 1}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    let r = api
        .post(
            "/api/v1/api-keys",
            &s.t.admin,
            &json!({"name": nul, "role": "operator"}),
        )
        .await;
    problem(&r, 422, "validation_failed");
    for (query, field) in [
        ("/api/v1/orders?channel=%00", "channel"),
        ("/api/v1/orders?q=a%00b", "q"),
        ("/api/v1/stock?sku=TOWEL%00", "sku"),
    ] {
        let r = api.get(query, &s.operator).await;
        problem(&r, 422, "validation_failed");
        assert_eq!(fields(&r), [field]);
    }
    assert_eq!(state(&s).await, before, "nothing changed");
    s.t.stop().await;
}
