//! A small client for the public API, as an integrator would use it.

use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// A response: status, parsed JSON body (Null when empty or not JSON), content type.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    pub text: String,
}

impl Resp {
    /// The problem `code` of an error response.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            base,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("client"),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        read(req.send().await.expect("request")).await
    }

    pub async fn raw(&self, method: reqwest::Method, path: &str, token: &str, body: &str) -> Resp {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request");
        read(resp).await
    }

    /// POSTs `body` as it is with only `headers` (no API key): what a webhook sender does.
    pub async fn post_raw(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        read(req.send().await.expect("request")).await
    }

    /// A signed webhook delivery (docs/security.md) sent now, with a new delivery id.
    pub async fn signed(&self, path: &str, secret: &str, body: &str) -> Resp {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        let id = format!("test-{}", uuid::Uuid::now_v7().simple());
        self.signed_at(path, secret, body, now, &id).await
    }

    /// A signed webhook delivery with the timestamp and delivery id given (stale ones, replays).
    pub async fn signed_at(
        &self,
        path: &str,
        secret: &str,
        body: &str,
        timestamp: i64,
        delivery: &str,
    ) -> Resp {
        use juchu_formats::webhook;
        let sig = webhook::sign(secret.as_bytes(), timestamp, delivery, body.as_bytes());
        let ts = timestamp.to_string();
        self.post_raw(
            path,
            body,
            &[
                (webhook::TIMESTAMP_HEADER, &ts),
                (webhook::DELIVERY_HEADER, delivery),
                (webhook::SIGNATURE_HEADER, &sig),
            ],
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(reqwest::Method::GET, path, Some(token), None, &[])
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(token), Some(body), &[])
            .await
    }

    /// Creates an API key with `role` and returns its secret.
    pub async fn key(&self, admin: &str, role: &str) -> String {
        let r = self
            .post(
                "/api/v1/api-keys",
                admin,
                &json!({"name": format!("{role} key"), "role": role}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["secret"].as_str().expect("secret").to_owned()
    }

    pub async fn warehouse(&self, token: &str, code: &str, priority: i32) {
        let r = self
            .put(
                &format!("/api/v1/warehouses/{code}"),
                token,
                &json!({"name": format!("{code} 倉庫"), "priority": priority}),
            )
            .await;
        assert!(r.status == 201 || r.status == 200, "{}", r.text);
    }

    pub async fn sku(&self, token: &str, code: &str, tax_rate: u8) {
        let r = self
            .put(
                &format!("/api/v1/skus/{code}"),
                token,
                &json!({"name": format!("{code} 商品"), "tax_rate": tax_rate}),
            )
            .await;
        assert!(r.status == 201 || r.status == 200, "{}", r.text);
    }

    pub async fn stock(&self, token: &str, warehouse: &str, sku: &str, delta: i64) -> Resp {
        self.post(
            "/api/v1/stock/adjustments",
            token,
            &json!({"warehouse": warehouse, "sku": sku, "delta": delta, "reason": "test"}),
        )
        .await
    }

    /// `(on_hand, allocated)` of one SKU in one warehouse.
    pub async fn stock_level(&self, token: &str, warehouse: &str, sku: &str) -> (i64, i64) {
        let r = self
            .get(
                &format!("/api/v1/stock?sku={sku}&warehouse={warehouse}"),
                token,
            )
            .await;
        let item = &r.body["items"][0];
        (
            item["on_hand"].as_i64().unwrap_or(0),
            item["allocated"].as_i64().unwrap_or(0),
        )
    }

    pub async fn order(&self, token: &str, id: &str) -> Value {
        let r = self.get(&format!("/api/v1/orders/{id}"), token).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }

    /// Polls the order until its status is `status` (the worker runs in the background).
    pub async fn wait_status(&self, token: &str, id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let o = self.order(token, id).await;
            if o["status"] == status {
                return o;
            }
            assert!(
                Instant::now() < deadline,
                "order {id} stayed {} (wanted {status}): {o}",
                o["status"]
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Polls until no job is pending or running.
    pub async fn wait_idle(&self, admin: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = self.get("/api/v1/admin/jobs", admin).await;
            let busy =
                r.body["pending"].as_i64().unwrap_or(0) + r.body["running"].as_i64().unwrap_or(0);
            if busy == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "jobs still busy: {}", r.body);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn invariants_ok(&self, admin: &str) {
        let r = self.get("/api/v1/admin/invariants", admin).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["ok"], true, "invariants broken: {}", r.body);
    }
}

async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.expect("body");
    Resp {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        content_type,
        text,
    }
}

/// A valid order body for `sku × quantity` at `price`.
pub fn order_body(external_id: &str, lines: &[(&str, i64, i64)], method: &str) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, q, p)| json!({"sku": sku, "quantity": q, "unit_price": p}))
        .collect();
    let mut payment = json!({"method": method});
    if method == "credit_card" {
        payment["card_token"] = json!("tok_visa");
    }
    if method == "amazon_pay" {
        payment["charge_permission_id"] = json!("S01-0000000-0000000");
    }
    json!({
        "channel": "web",
        "external_id": external_id,
        "customer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1111-2222"},
        "shipping_address": {"name": "山田 太郎", "postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区千代田", "line1": "1-1"},
        "lines": lines,
        "payment": payment
    })
}
