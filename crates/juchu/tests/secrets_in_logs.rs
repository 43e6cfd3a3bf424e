//! Secrets never reach the logs (docs/security.md "Secrets"): the real binary runs at the most
//! verbose log level with every kind of secret configured — the admin token, webhook secrets, the
//! SMTP password, payment-provider credentials — through key creation, a refused unknown key,
//! signed webhooks and a card payment at the provider sandbox; then nothing it printed contains
//! any of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use juchu_formats::webhook;
use juchu_sandbox::{Sandbox, SandboxConfig};
use juchu_testkit::{SmtpSink, order_body};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

const ADMIN: &str = "jk_logtest_admin_0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const UNKNOWN_KEY: &str = "jk_logtest_unknown_ffeeddccbbaa99887766554433";
const BANK_SECRET: &str = "logtest-bank-webhook-secret-7f3a";
const CARRIER_SECRET: &str = "logtest-carrier-webhook-secret-91c2";
const SMTP_PASSWORD: &str = "logtest-smtp-password-55d1";
const SHOP_PASS: &str = "logtest-gmo-shop-pass-3e8b";
const SITE_PASS: &str = "logtest-gmo-site-pass-c0de";
const SP_CODE: &str = "logtest-np-sp-code-a11c";
const CARD_TOKEN: &str = "tok_logtest_card_token_4242";

fn config(sandbox: &str, smtp_port: u16) -> String {
    format!(
        r#"
[mail]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
username = "shop"
timeout_secs = 5

[providers.card]
base_url = "{sandbox}"
shop_id = "tshop00000001"
shop_pass = "{SHOP_PASS}"
site_id = "tsite00000001"
site_pass = "{SITE_PASS}"

[providers.deferred]
base_url = "{sandbox}/np/v1"
merchant_code = "sandbox-merchant"
sp_code = "{SP_CODE}"
terminal_id = "sandbox-terminal"

[providers.amazon_pay]
base_url = "{sandbox}/amazonpay/v2"

[providers.bank]
base_url = "{sandbox}/bank/v1"
"#
    )
}

async fn wait_for_url(stdout: &std::path::Path) -> String {
    for _ in 0..600 {
        let out = std::fs::read_to_string(stdout).unwrap_or_default();
        if let Some(line) = out.lines().find(|l| l.starts_with("juchu listening on ")) {
            return line["juchu listening on ".len()..].trim().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "juchu did not start: {}",
        std::fs::read_to_string(stdout).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_the_logs() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let smtp = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("juchu.toml");
    std::fs::write(&cfg, config(&sandbox.url(), smtp.port())).unwrap();
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let db = format!("sqlite://{}", dir.path().join("juchu.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_juchu"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .env("JUCHU_CONFIG", &cfg)
        .env("JUCHU_ADMIN_TOKEN", ADMIN)
        .env("JUCHU_BANK_WEBHOOK_SECRET", BANK_SECRET)
        .env("JUCHU_CARRIER_WEBHOOK_SECRET", CARRIER_SECRET)
        .env("JUCHU_SMTP_PASSWORD", SMTP_PASSWORD)
        // Everything every crate logs, at the most verbose level.
        .env("JUCHU_LOG", "trace")
        .env_remove("JUCHU_LOG_FORMAT")
        .env_remove("JUCHU_DATABASE_URL")
        .env_remove("JUCHU_LISTEN")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = wait_for_url(&out_path).await;
    let http = reqwest::Client::new();

    // A key created over the API (its secret is in the response), used, and an unknown one refused.
    let r = http
        .post(format!("{url}/api/v1/api-keys"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "shop front", "role": "storefront"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key: Value = r.json().await.unwrap();
    let created = key["secret"].as_str().unwrap().to_owned();
    let r = http
        .get(format!("{url}/api/v1/orders"))
        .bearer_auth(UNKNOWN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Master data, then a card order authorised at the sandbox by the worker.
    for (path, body) in [
        (
            "/api/v1/warehouses/TKY",
            json!({"name": "東京", "priority": 1}),
        ),
        ("/api/v1/skus/TEA", json!({"name": "お茶", "tax_rate": 8})),
    ] {
        let r = http
            .put(format!("{url}{path}"))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}");
    }
    let r = http
        .post(format!("{url}/api/v1/stock/adjustments"))
        .bearer_auth(ADMIN)
        .json(&json!({"warehouse": "TKY", "sku": "TEA", "delta": 5, "reason": "in"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut body = order_body("LOG-1", &[("TEA", 1, 1080)], "credit_card");
    body["payment"]["card_token"] = json!(CARD_TOKEN);
    let r = http
        .post(format!("{url}/api/v1/orders"))
        .bearer_auth(&created)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let order: Value = r.json().await.unwrap();
    let id = order["id"].as_str().unwrap().to_owned();
    let mut authorised = false;
    for _ in 0..300 {
        let o: Value = http
            .get(format!("{url}/api/v1/orders/{id}"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if o["payment"]["status"] == "authorized" {
            authorised = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(authorised, "the card payment was authorised at the sandbox");

    // Signed webhooks: a bank deposit and a carrier event, and one with a wrong signature.
    let now = jiff::Timestamp::now().as_second();
    for (path, secret, body, delivery) in [
        (
            "/webhooks/bank/deposits",
            BANK_SECRET,
            json!({"event_id": "log-1", "account_number": "0310-101-1099999", "amount": 100,
                "deposited_at": "2026-04-01T10:00:00+09:00"}),
            "log-d-1",
        ),
        (
            "/webhooks/carriers/yamato",
            CARRIER_SECRET,
            json!({"event_id": "log-c", "tracking_number": "0000-0000-0000", "status": "delivered",
                "at": "2026-04-01T10:00:00Z"}),
            "log-d-2",
        ),
        (
            "/webhooks/bank/deposits",
            "not-the-secret",
            json!({"event_id": "log-2"}),
            "log-d-3",
        ),
    ] {
        let raw = body.to_string();
        let r = http
            .post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .header(webhook::TIMESTAMP_HEADER, now.to_string())
            .header(webhook::DELIVERY_HEADER, delivery)
            .header(
                webhook::SIGNATURE_HEADER,
                webhook::sign(secret.as_bytes(), now, delivery, raw.as_bytes()),
            )
            .body(raw)
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
    }

    // Let the worker try the order's e-mail (the SMTP server offers no AUTH: the failure is logged).
    tokio::time::sleep(Duration::from_secs(2)).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let logs = format!(
        "{}\n{}",
        std::fs::read_to_string(&out_path).unwrap(),
        std::fs::read_to_string(&err_path).unwrap()
    );
    assert!(
        logs.contains("juchu is serving") && logs.contains("/api/v1/orders"),
        "the logs were captured at trace level:\n{}",
        logs.chars().take(2000).collect::<String>()
    );
    for secret in [
        ADMIN,
        UNKNOWN_KEY,
        &created,
        BANK_SECRET,
        CARRIER_SECRET,
        SMTP_PASSWORD,
        SHOP_PASS,
        SITE_PASS,
        SP_CODE,
        CARD_TOKEN,
    ] {
        if let Some(at) = logs.find(secret) {
            let line = logs[..at].lines().count();
            let start = logs[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = logs[at..].find('\n').map_or(logs.len(), |i| at + i);
            panic!(
                "a secret is in the logs (line {line}): {}",
                &logs[start..end]
            );
        }
    }
    sandbox.stop().await;
}
