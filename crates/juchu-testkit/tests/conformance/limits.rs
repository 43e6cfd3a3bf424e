//! Hostile input at the edge (docs/hostile-input.md): bodies over 1 MiB on every route, JSON nested
//! deeper than 32 levels, strings and lists beyond their limits, uploads of more than 10,000 lines.
//! Each gets its documented status (413 / 422) with a problem naming the field and the limit, and
//! changes nothing; the OpenAPI document states the same limits.

use juchu_testkit::{Backend, Resp, TestApp, order_body};
use reqwest::Method;
use serde_json::{Value, json};

juchu_testkit::on_both_backends!(
    every_route_refuses_a_body_over_1_mib_with_413,
    json_nested_deeper_than_32_levels_is_422_with_the_path,
    strings_beyond_their_limit_are_422_naming_field_and_limit,
    lists_beyond_their_limit_are_422,
    uploads_over_10000_lines_are_422,
    the_openapi_document_states_the_limits,
);

/// A shop with a SKU in stock, and an operator key.
async fn shop(b: Backend) -> (TestApp, String) {
    let t = TestApp::spawn(b).await;
    let operator = t.api.key(&t.admin, "operator").await;
    t.api.warehouse(&operator, "TKY", 1).await;
    t.api.sku(&operator, "TOWEL", 10).await;
    assert_eq!(t.api.stock(&operator, "TKY", "TOWEL", 10).await.status, 201);
    (t, operator)
}

/// A 422 `validation_failed` whose `errors` name `field` with a message holding `limit`.
#[track_caller]
fn refused(r: &Resp, field: &str, limit: &str) {
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    assert_eq!(r.content_type, "application/problem+json");
    let errors = r.body["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors.iter().any(
            |e| e["field"] == field && e["message"].as_str().is_some_and(|m| m.contains(limit))
        ),
        "expected {field} with limit {limit}: {}",
        r.text
    );
}

async fn order_count(t: &TestApp) -> u64 {
    let r = t.api.get("/api/v1/orders/counts", &t.admin).await;
    r.body
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

async fn every_route_refuses_a_body_over_1_mib_with_413(b: Backend) {
    let (t, _) = shop(b).await;
    let doc = t.api.get("/api/v1/openapi.json", &t.admin).await.body;
    let big = "x".repeat(1024 * 1024 + 1);
    let mut routes = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        // Any id: the size is refused before the path is looked at.
        let path = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "0190c0de-0000-7000-8000-000000000001"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            routes += 1;
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = t.api.raw(m, &path, &t.admin, &big).await;
            assert_eq!(
                (r.status, r.code()),
                (413, "payload_too_large"),
                "{method} {path}: {}",
                r.text
            );
            assert_eq!(
                r.content_type, "application/problem+json",
                "{method} {path}"
            );
            let detail = r.body["detail"].as_str().unwrap_or("");
            assert!(
                detail.contains("1048576") && detail.contains("1 MiB"),
                "{detail}"
            );
        }
    }
    assert!(
        routes > 30,
        "only {routes} routes with a body in the document"
    );
    // With an Idempotency-Key too (the middleware reads the body first), and with no key at all.
    let r = t
        .api
        .http
        .post(format!("{}/api/v1/orders", t.api.base))
        .bearer_auth(&t.admin)
        .header("idempotency-key", "big-1")
        .body(big.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 413);
    let r = t
        .api
        .http
        .post(format!("{}/webhooks/bank/deposits", t.api.base))
        .body(big)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 413);
    assert_eq!(order_count(&t).await, 0);
}

async fn json_nested_deeper_than_32_levels_is_422_with_the_path(b: Backend) {
    let (t, operator) = shop(b).await;
    for depth in [33, 200, 100_000] {
        let body = format!(
            r#"{{"channel":"web","external_id":"D-1","x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let r = t
            .api
            .raw(Method::POST, "/api/v1/orders", &operator, &body)
            .await;
        // The object is level 1, so the 32nd array (path `x` and 31 indexes) is where it stops.
        refused(
            &r,
            &format!("x{}", "[0]".repeat(31)),
            "deeper than 32 levels",
        );
    }
    let deep = format!("{}1{}", r#"{"a":"#.repeat(40), "}".repeat(40));
    let r = t
        .api
        .raw(Method::PUT, "/api/v1/review/rules", &operator, &deep)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "{}",
        r.text
    );
    assert!(r.text.contains("deeper than 32"), "{}", r.text);
    // 32 levels are fine as far as the limit goes (the order is then refused for its own fields).
    let ok = format!(
        r#"{{"channel":"web","x":{}{}}}"#,
        "[".repeat(31),
        "]".repeat(31)
    );
    let r = t
        .api
        .raw(Method::POST, "/api/v1/orders", &operator, &ok)
        .await;
    assert!(!r.text.contains("deeper than"), "{}", r.text);
    assert_eq!(order_count(&t).await, 0);
}

async fn strings_beyond_their_limit_are_422_naming_field_and_limit(b: Backend) {
    let (t, operator) = shop(b).await;
    let api = &t.api;
    // (JSON pointer in the order, length sent, field named, limit named)
    let cases = [
        ("/external_id", 129, "external_id", "128"),
        ("/channel", 65, "channel", "64"),
        ("/customer/name", 101, "customer.name", "100"),
        ("/customer/name", 201, "customer.name", "200"),
        ("/customer/email", 255, "customer.email", "254"),
        (
            "/shipping_address/line1",
            201,
            "shipping_address.line1",
            "200",
        ),
        (
            "/shipping_address/city",
            101,
            "shipping_address.city",
            "100",
        ),
        ("/lines/0/sku", 65, "lines[0].sku", "64"),
        ("/payment/card_token", 257, "payment.card_token", "256"),
        ("/notes", 2001, "notes", "2000"),
        ("/anything_else", 1001, "anything_else", "1000"),
    ];
    for (pointer, len, field, limit) in cases {
        let mut body = order_body("S-1", &[("TOWEL", 1, 1980)], "credit_card");
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).expect("parent")
        };
        // Kanji: the limits count characters, not bytes.
        target[key] = json!("山".repeat(len));
        let r = api.post("/api/v1/orders", &operator, &body).await;
        refused(&r, field, limit);
    }
    let long = |n: usize| "a".repeat(n);
    let r = api
        .put(
            "/api/v1/skus/TOWEL",
            &operator,
            &json!({"name": long(201), "tax_rate": 10}),
        )
        .await;
    refused(&r, "name", "200");
    let r = api
        .post(
            "/api/v1/stock/adjustments",
            &operator,
            &json!({"warehouse": "TKY", "sku": "TOWEL", "delta": 1, "reason": long(1001)}),
        )
        .await;
    refused(&r, "reason", "1000");
    let r = api
        .post(
            "/api/v1/shipments/0190c0de-0000-7000-8000-000000000001/ship",
            &operator,
            &json!({"carrier": "yamato", "tracking_number": long(65)}),
        )
        .await;
    refused(&r, "tracking_number", "64");
    let r = api
        .post(
            "/api/v1/blacklist",
            &operator,
            &json!({"kind": "email", "value": long(1001), "reason": "x"}),
        )
        .await;
    refused(&r, "value", "1000");
    let r = api
        .get(&format!("/api/v1/orders?q={}", long(1001)), &operator)
        .await;
    refused(&r, "q", "1000");
    // At the limit, accepted.
    let mut body = order_body("S-2", &[("TOWEL", 1, 1980)], "credit_card");
    body["notes"] = json!("備".repeat(2000));
    body["external_id"] = json!("e".repeat(128));
    let r = api.post("/api/v1/orders", &operator, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(order_count(&t).await, 1);
    let (on_hand, allocated) = api.stock_level(&operator, "TKY", "TOWEL").await;
    assert_eq!(on_hand, 10);
    assert!(allocated <= 1);
}

async fn lists_beyond_their_limit_are_422(b: Backend) {
    let (t, operator) = shop(b).await;
    let api = &t.api;
    let lines: Vec<(&str, i64, i64)> = vec![("TOWEL", 1, 100); 501];
    let r = api
        .post(
            "/api/v1/orders",
            &operator,
            &order_body("L-1", &lines, "cod"),
        )
        .await;
    refused(&r, "lines", "at most 500");
    let mut body = order_body("L-2", &[("TOWEL", 1, 100)], "cod");
    body["fees"] = json!(vec![json!({"kind": "cod", "amount": 1}); 1001]);
    refused(
        &api.post("/api/v1/orders", &operator, &body).await,
        "fees",
        "at most 1000",
    );
    let ids: Vec<String> = (0..10_001)
        .map(|i| format!("0190c0de-0000-7000-8000-{i:012}"))
        .collect();
    let r = api
        .post(
            "/api/v1/shipping-instructions",
            &operator,
            &json!({"order_ids": ids}),
        )
        .await;
    refused(&r, "order_ids", "at most 10000");
    let r = api
        .put(
            "/api/v1/warehouses/OSK",
            &operator,
            &json!({"name": "大阪", "priority": 2, "prefectures": vec!["大阪府"; 48]}),
        )
        .await;
    refused(&r, "prefectures", "at most 47");
    // 500 lines is an order.
    let lines: Vec<(&str, i64, i64)> = vec![("TOWEL", 1, 100); 500];
    let r = api
        .post(
            "/api/v1/orders",
            &operator,
            &order_body("L-3", &lines, "cod"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(order_count(&t).await, 1);
}

async fn uploads_over_10000_lines_are_422(b: Backend) {
    let (t, operator) = shop(b).await;
    let file = "0190c0de-0000-7000-8000-000000000001,yamato,444413758703\n".repeat(10_001);
    for (path, ct) in [
        ("/api/v1/shipments/tracking-import?format=csv", "text/csv"),
        ("/api/v1/bank/statements", "application/octet-stream"),
    ] {
        let r = t
            .api
            .http
            .post(format!("{}{path}", t.api.base))
            .bearer_auth(&operator)
            .header("content-type", ct)
            .body(file.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 422, "{path}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["errors"][0]["field"], "file", "{body}");
        let m = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(m.contains("10001 lines") && m.contains("10000"), "{m}");
    }
}

async fn the_openapi_document_states_the_limits(b: Backend) {
    let t = TestApp::spawn(b).await;
    let doc = t.api.get("/api/v1/openapi.json", &t.admin).await.body;
    let s = &doc["components"]["schemas"];
    assert_eq!(s["NewOrder"]["properties"]["lines"]["maxItems"], 500);
    assert_eq!(s["NewOrder"]["properties"]["external_id"]["maxLength"], 128);
    assert_eq!(s["NewLine"]["properties"]["sku"]["maxLength"], 64);
    assert_eq!(s["Address"]["properties"]["line1"]["maxLength"], 200);
    assert_eq!(
        s["StockAdjustment"]["properties"]["reason"]["maxLength"],
        1000
    );
    let q = doc["paths"]["/api/v1/orders"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "q"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(q["schema"]["maxLength"], 1000, "{q}");
    // An uploaded file is bounded by its size, not by a string limit.
    let upload = &doc["paths"]["/api/v1/shipments/tracking-import"]["post"]["requestBody"];
    assert!(!upload.to_string().contains("maxLength"), "{upload}");
}
