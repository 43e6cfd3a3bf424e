//! Shared helpers: start a sandbox on port 0 and talk to it over real HTTP.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use juchu_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::collections::HashMap;

pub async fn start(cfg: SandboxConfig) -> SandboxHandle {
    Sandbox::start(cfg).await.expect("sandbox starts")
}

pub async fn start_default() -> SandboxHandle {
    start(SandboxConfig::default()).await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// GMO-style call: form in, query string out (as a map).
pub async fn gmo(sb: &SandboxHandle, api: &str, form: &[(&str, &str)]) -> HashMap<String, String> {
    gmo_with(sb, api, form, &[]).await
}

pub async fn gmo_with(
    sb: &SandboxHandle,
    api: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> HashMap<String, String> {
    let mut req = client()
        .post(format!("{}/payment/{api}.idPass", sb.url()))
        .form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    assert!(r.status().is_success(), "{api}: HTTP {}", r.status());
    let body = r.text().await.expect("body");
    serde_urlencoded::from_str::<Vec<(String, String)>>(&body)
        .expect("query string")
        .into_iter()
        .collect()
}

pub async fn post_json(sb: &SandboxHandle, path: &str, body: &Value) -> (u16, Value) {
    send_json(sb, reqwest::Method::POST, path, Some(body), &[]).await
}

pub async fn send_json(
    sb: &SandboxHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = client().request(method, format!("{}{path}", sb.url()));
    if let Some(b) = body {
        req = req.json(b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

pub async fn get_json(sb: &SandboxHandle, path: &str) -> Value {
    let r = client()
        .get(format!("{}{path}", sb.url()))
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "GET {path}: {}", r.status());
    r.json().await.expect("json")
}

/// The sandbox's ledger as (kind, provider, reference, amount).
pub async fn ledger(sb: &SandboxHandle) -> Vec<(String, String, String, i64)> {
    let v = get_json(sb, "/_sandbox/ledger").await;
    v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_owned(),
                e["provider"].as_str().unwrap_or("").to_owned(),
                e["reference"].as_str().unwrap_or("").to_owned(),
                e["amount"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

pub fn mv(
    kind: &str,
    provider: &str,
    reference: &str,
    amount: i64,
) -> (String, String, String, i64) {
    (kind.into(), provider.into(), reference.into(), amount)
}
