//! A client that behaves as a careful integrator's does while servers die under it: every call is
//! retried with the same `Idempotency-Key` after a connection error, and after the answers that
//! mean "not now" (409 `request_in_progress` or `conflict`, 503). The node it talks to can move: a
//! restarted server listens on a new port, and the test points the client at it.

use juchu_testkit::Resp;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The base URL of one node, changed when the node restarts.
#[derive(Clone, Default)]
pub struct Target(Arc<RwLock<String>>);

impl Target {
    pub fn set(&self, url: &str) {
        *self.0.write().unwrap() = url.to_owned();
    }

    pub fn get(&self) -> String {
        self.0.read().unwrap().clone()
    }
}

/// How often calls had to be repeated, for the test's summary line.
#[derive(Default)]
pub struct Retries {
    /// Connection refused or reset, no answer in time.
    pub transport: AtomicU64,
    /// 409 `request_in_progress`: the key's first request has not finished (or its server died).
    pub in_progress: AtomicU64,
    /// 409 `conflict` and 503.
    pub busy: AtomicU64,
}

impl Retries {
    pub fn summary(&self) -> String {
        format!(
            "{} after connection errors, {} while the key was in progress, {} when busy",
            self.transport.load(Ordering::Relaxed),
            self.in_progress.load(Ordering::Relaxed),
            self.busy.load(Ordering::Relaxed)
        )
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub target: Target,
    retries: Arc<Retries>,
}

/// No single call may take longer than this, retries included: a server that is up again answers
/// well within it, and an idempotency key left by a killed server is free again after 15 s.
const CALL_DEADLINE: Duration = Duration::from_secs(75);

impl Client {
    pub fn new(target: Target, retries: Arc<Retries>) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .pool_max_idle_per_host(8)
                .build()
                .unwrap(),
            target,
            retries,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(reqwest::Method::GET, path, token, None, None)
            .await
    }

    /// PUT replaces: repeating it is safe without a key.
    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.call(reqwest::Method::PUT, path, token, Some(body), None)
            .await
    }

    /// A POST with a fresh `Idempotency-Key`, kept for every retry of this call.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        let key = uuid::Uuid::now_v7().to_string();
        self.post_with_key(path, token, body, &key).await
    }

    pub async fn post_with_key(&self, path: &str, token: &str, body: &Value, key: &str) -> Resp {
        self.call(reqwest::Method::POST, path, token, Some(body), Some(key))
            .await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Resp {
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < CALL_DEADLINE,
                "{method} {path} got no answer within {CALL_DEADLINE:?}"
            );
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.target.get()))
                .bearer_auth(token);
            if let Some(k) = key {
                req = req.header("idempotency-key", k);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let answer = match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    r.text().await.map(|text| (status, text))
                }
                Err(e) => Err(e),
            };
            let Ok((status, text)) = answer else {
                self.retries.transport.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = body["code"].as_str().unwrap_or("");
            let counter = match (status, code) {
                (409, "request_in_progress") => Some(&self.retries.in_progress),
                (409, "conflict") | (503, _) => Some(&self.retries.busy),
                _ => None,
            };
            if let Some(c) = counter {
                c.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            return Resp {
                status,
                body,
                content_type: String::new(),
                text,
            };
        }
    }
}
