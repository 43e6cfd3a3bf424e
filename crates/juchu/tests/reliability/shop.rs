//! The world around the servers under test, which outlives them: the provider sandbox (its ledger
//! is the record of money moved), the SMTP sink (every mail that left), the config file pointing
//! juchu at both, and the shop's keys and master data.

use crate::client::{Client, Retries, Target};
use crate::common::{ADMIN, Proc};
use juchu_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use juchu_testkit::SmtpSink;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;

pub struct World {
    pub sandbox: SandboxHandle,
    pub smtp: SmtpSink,
    pub config: tempfile::NamedTempFile,
    pub retries: Arc<Retries>,
}

impl World {
    pub async fn start() -> World {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let smtp = SmtpSink::start().await;
        let url = sandbox.url();
        // `[providers]` as docs/providers.md shows it, with the sandbox's test credentials, and
        // `[mail]` to the sink. Short provider timeouts: a call cut by a kill is retried by the job.
        let toml = format!(
            r#"
[shop]
name = "テスト商店"
email = "shop@example.jp"

[mail]
host = "127.0.0.1"
port = {port}
tls = "none"
timeout_secs = 5

[providers.http]
timeout_ms = 5000
max_attempts = 2
initial_backoff_ms = 100
max_backoff_ms = 500

[providers.card]
base_url = "{url}"
shop_id = "tshop00000001"
shop_pass = "sandbox"

[providers.deferred]
base_url = "{url}/np/v1"
merchant_code = "sandbox-merchant"
sp_code = "sandbox-sp"
terminal_id = "sandbox-terminal"

[providers.amazon_pay]
base_url = "{url}/amazonpay/v2"

[providers.bank]
base_url = "{url}/bank/v1"
"#,
            port = smtp.port()
        );
        let mut config = tempfile::NamedTempFile::new().unwrap();
        config.write_all(toml.as_bytes()).unwrap();
        World {
            sandbox,
            smtp,
            config,
            retries: Arc::default(),
        }
    }

    pub fn client(&self, node: &Node) -> Client {
        Client::new(node.target.clone(), self.retries.clone())
    }
}

/// One `juchu serve` (with its worker) on the test's database, restartable after a kill.
pub struct Node {
    pub name: String,
    pub target: Target,
    args: Vec<String>,
    proc: Option<Proc>,
    /// What the killed incarnations printed.
    pub killed_output: Vec<String>,
}

impl Node {
    pub async fn start(name: &str, database: &str, world: &World) -> Node {
        let args = vec![
            "--database".to_owned(),
            database.to_owned(),
            "--config".to_owned(),
            world.config.path().display().to_string(),
        ];
        let mut n = Node {
            name: name.to_owned(),
            target: Target::default(),
            args,
            proc: None,
            killed_output: vec![],
        };
        n.boot().await;
        n
    }

    async fn boot(&mut self) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let (p, url) = Proc::serve_with(&self.name, &args).await;
        self.target.set(&url);
        self.proc = Some(p);
    }

    /// SIGKILL, then the same command on the same database (and a new port).
    pub async fn kill_and_restart(&mut self) {
        if let Some(p) = self.proc.take() {
            self.killed_output.push(p.kill().await);
        }
        self.boot().await;
    }

    /// SIGTERM; returns what the process printed.
    pub async fn stop(mut self) -> String {
        self.proc.take().expect("running").stop().await
    }
}

/// Keys and master data: warehouses TKY and OSK, `stock` units of each SKU in each. Returns the
/// storefront key's secret (intake); everything else uses the admin token.
pub async fn set_up(c: &Client, skus: &[&str], stock: &[(&str, i64)]) -> String {
    let r = c
        .post(
            "/api/v1/api-keys",
            ADMIN,
            &json!({"name": "storefront", "role": "storefront"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let storefront = r.body["secret"].as_str().unwrap().to_owned();
    for (i, (code, _)) in stock.iter().enumerate() {
        let body = json!({"name": format!("{code} 倉庫"), "priority": i + 1});
        let r = c
            .put(&format!("/api/v1/warehouses/{code}"), ADMIN, &body)
            .await;
        assert!(r.status == 200 || r.status == 201, "{}", r.text);
    }
    for sku in skus {
        let body = json!({"name": format!("{sku} 商品"), "tax_rate": 10});
        let r = c.put(&format!("/api/v1/skus/{sku}"), ADMIN, &body).await;
        assert!(r.status == 200 || r.status == 201, "{}", r.text);
        for (code, n) in stock {
            let r = c
                .post(
                    "/api/v1/stock/adjustments",
                    ADMIN,
                    &json!({"warehouse": code, "sku": sku, "delta": n, "reason": "入荷"}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
        }
    }
    storefront
}

/// Order `i`: card, Amazon Pay (each its own charge permission) or, for `i % 10 == 6`, a bank
/// transfer (a virtual account of its own); its own customer address.
pub fn order(prefix: &str, i: usize, lines: &[(&str, i64, i64)]) -> Value {
    let method = match i {
        _ if i % 10 == 6 => "bank_transfer",
        _ if i % 3 == 2 => "amazon_pay",
        _ => "credit_card",
    };
    let mut body = juchu_testkit::order_body(&format!("{prefix}-{i}"), lines, method);
    if method == "amazon_pay" {
        body["payment"]["charge_permission_id"] = json!(format!("S01-{prefix}-{i}"));
    }
    body["customer"]["email"] = json!(format!("c{i}@example.jp"));
    body
}

/// A valid Yamato number (11 digits and their mod-7 check digit), different for each `i`.
pub fn tracking(i: usize) -> String {
    let body = 40_000_000_000 + i as u64;
    format!("{body}{}", body % 7)
}

/// The provider's reference for an order's payment, as the sandbox ledger names it: the card
/// gateway's OrderID, or the Amazon Pay charge id.
pub fn reference(o: &Value) -> String {
    let auth = o["payment"]["authorization_id"].as_str().unwrap_or("");
    match auth.strip_prefix("gmo:") {
        Some(rest) => rest.split(':').next().unwrap().to_owned(),
        None => auth.to_owned(),
    }
}
