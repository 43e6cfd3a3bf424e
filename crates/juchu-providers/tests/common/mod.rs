//! Starting a real `juchu-sandbox` on port 0 and reading its ledger.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use juchu_domain::Money;
use juchu_providers::deferred::{NpCustomer, NpGoods};
use juchu_providers::{DeferredRegistration, HttpSettings, Providers, ProvidersConfig};
use juchu_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

pub struct World {
    pub sandbox: SandboxHandle,
    pub providers: Providers,
    pub http: reqwest::Client,
}

pub fn fast() -> HttpSettings {
    HttpSettings {
        timeout_ms: 2_000,
        max_attempts: 3,
        initial_backoff_ms: 10,
        max_backoff_ms: 100,
    }
}

pub async fn start_with(config: SandboxConfig, http: HttpSettings) -> World {
    let sandbox = Sandbox::start(config).await.unwrap();
    let cfg = ProvidersConfig::for_sandbox(&sandbox.url()).with_http(http);
    World {
        providers: Providers::new(&cfg).unwrap(),
        sandbox,
        http: reqwest::Client::new(),
    }
}

pub async fn start() -> World {
    start_with(SandboxConfig::default(), fast()).await
}

impl World {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.url())
    }

    /// `GET /_sandbox/ledger` → entries.
    pub async fn ledger(&self) -> Vec<Value> {
        let v: Value = self
            .http
            .get(self.url("/_sandbox/ledger"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["entries"].as_array().cloned().unwrap_or_default()
    }

    /// The ledger's (kind, amount) for one provider reference, in order.
    pub async fn movements(&self, reference: &str) -> Vec<(String, i64)> {
        self.ledger()
            .await
            .into_iter()
            .filter(|e| e["reference"] == reference)
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().to_string(),
                    e["amount"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> String {
        let r = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap();
        r.text().await.unwrap()
    }
}

pub fn mv(kind: &str, amount: i64) -> (String, i64) {
    (kind.to_string(), amount)
}

/// Goods adding up to `amount`: one item and ¥600 shipping.
pub fn goods(amount: i64) -> Vec<NpGoods> {
    vec![
        NpGoods {
            goods_name: "緑茶 100g".into(),
            goods_price: amount - 600,
            quantity: 1,
        },
        NpGoods {
            goods_name: "送料".into(),
            goods_price: 600,
            quantity: 1,
        },
    ]
}

pub fn registration(id: &str, email: &str, amount: i64) -> DeferredRegistration {
    DeferredRegistration {
        shop_transaction_id: id.into(),
        order_date: jiff::civil::date(2026, 11, 27),
        amount: Money::yen(amount),
        customer: NpCustomer {
            customer_name: "山田 太郎".into(),
            company_name: None,
            zip_code: "1000001".into(),
            address: "東京都千代田区千代田1-1".into(),
            tel: "0312345678".into(),
            email: Some(email.into()),
        },
        destination: None,
        goods: goods(amount),
    }
}
