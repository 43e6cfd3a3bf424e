//! The sandbox bank against the real juchu server: its signed deposit webhooks (sent twice) pay a
//! bank-transfer order once, and its Zengin statements import through `POST /api/v1/bank/statements`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use juchu_domain::policy::Policies;
use juchu_sandbox::{BankConfig, FaultConfig, Sandbox, SandboxConfig};
use juchu_testkit::{Backend, TestApp, on_both_backends, order_body};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

on_both_backends!(
    sandbox_webhooks_pay_an_order_once,
    sandbox_statement_imports
);

const SECRET: &str = "sandbox-to-juchu";

async fn setup(b: Backend) -> (TestApp, String) {
    let mut p = Policies::default();
    p.bank.webhook_secret = Some(SECRET.into());
    let t = TestApp::spawn_with(b, p).await;
    let op = t.api.key(&t.admin, "operator").await;
    t.api.warehouse(&op, "TKY", 1).await;
    t.api.sku(&op, "TEA", 8).await;
    assert_eq!(t.api.stock(&op, "TKY", "TEA", 100).await.status, 201);
    (t, op)
}

/// A bank-transfer order of 2 × ¥1,080 awaiting payment: (id, virtual account).
async fn order(t: &TestApp, op: &str, ext: &str) -> (String, String) {
    let r = t
        .api
        .post(
            "/api/v1/orders",
            op,
            &order_body(ext, &[("TEA", 2, 1080)], "bank_transfer"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let o = t.api.wait_status(op, &id, "allocated").await;
    let acc = o["payment"]["virtual_account"].as_str().unwrap().to_owned();
    (id, acc)
}

async fn wait_paid(t: &TestApp, op: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let o = t.api.order(op, id).await;
        if o["payment"]["status"] == "paid" || Instant::now() > deadline {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sandbox_webhooks_pay_an_order_once(b: Backend) {
    let (t, op) = setup(b).await;
    let (id, acc) = order(&t, &op, "SB-1").await;
    let sb = Sandbox::start(SandboxConfig {
        bank: BankConfig {
            webhook_url: Some(format!("{}/webhooks/bank/deposits", t.url())),
            webhook_secret: SECRET.into(),
            ..BankConfig::default()
        },
        faults: FaultConfig {
            duplicate_webhook_rate: 1.0,
            seed: Some(3),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/_sandbox/bank/deposits", sb.url()))
        .json(&json!({"account": acc, "amount": 2160, "name": "ﾔﾏﾀﾞ ﾀﾛｳ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let o = wait_paid(&t, &op, &id).await;
    assert_eq!(o["payment"]["status"], "paid", "{o}");
    // Both deliveries were accepted (2xx), the second as a duplicate: paid once.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log: Value = http
            .get(format!("{}/_sandbox/bank/webhooks", sb.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ok = log["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["ok"] == true)
            .count();
        if ok == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "{log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        t.api.order(&op, &id).await["payment"]["captured_amount"],
        2160
    );
    sb.stop().await;
    t.stop().await;
}

async fn sandbox_statement_imports(b: Backend) {
    let (t, op) = setup(b).await;
    let (id, acc) = order(&t, &op, "SB-2").await;
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    for (account, amount) in [(acc.as_str(), 2160), ("0310-101-1099998", 999)] {
        let r = http
            .post(format!("{}/_sandbox/bank/deposits", sb.url()))
            .json(&json!({"account": account, "amount": amount, "name": "ﾔﾏﾀﾞ ﾀﾛｳ"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let file = http
        .get(format!("{}/bank/v1/statements?layout=03", sb.url()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let import = |file: Vec<u8>| {
        let (http, url, op) = (t.api.http.clone(), t.url(), op.clone());
        async move {
            let r = http
                .post(format!("{url}/api/v1/bank/statements"))
                .bearer_auth(&op)
                .header("content-type", "application/octet-stream")
                .body(file)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let r = import(file.clone()).await;
    assert_eq!(r["matched"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["matched"][0]["order_id"], id.as_str());
    assert_eq!(r["unmatched"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(t.api.order(&op, &id).await["payment"]["status"], "paid");
    let r = import(file).await;
    assert_eq!(r["duplicates"], 2, "{r}");
    sb.stop().await;
    t.stop().await;
}
