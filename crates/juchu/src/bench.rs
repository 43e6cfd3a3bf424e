//! `juchu bench`: speed measured against a baseline from the same run (these machines are noisy).
//!
//! `intake`: N orders through the HTTP API by C concurrent clients against a `juchu serve` child
//! process on a fresh database; prints orders/s, p50/p99 latency and the server's peak RSS, then the
//! database's own baseline — the same rows (order, event, job) inserted directly, one transaction per
//! order, by C concurrent connections — and the ratio of the two.
//!
//! `flash-sale`, `shipping`, `lifecycle`, `search`: see their modules.

use crate::bench_flash_sale::FlashSaleArgs;
use crate::bench_util::{Api, DEFAULT_POSTGRES, Scratch, cores, percentile, spawn_server};
use anyhow::bail;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Order intake over HTTP.
    Intake(IntakeArgs),
    /// One SKU with little stock, many concurrent orders: exactly the stock is allocated.
    FlashSale(FlashSaleArgs),
    /// Instruct, export B2 and import tracking for N allocated orders; seconds per step.
    Shipping(crate::bench_shipping::ShippingArgs),
    /// N orders through all eight statuses, from placing to revenue recognition.
    Lifecycle(crate::bench_lifecycle::LifecycleArgs),
    /// Order list and search over HTTP at N orders (p50/p95/p99), and the server's RSS.
    Search(crate::bench_search::SearchArgs),
}

#[derive(clap::Args, Clone)]
pub struct IntakeArgs {
    /// Orders to place.
    #[arg(long, default_value_t = 20_000)]
    pub n: usize,
    /// Concurrent clients.
    #[arg(long, short = 'c', default_value_t = 16)]
    pub concurrency: usize,
    /// `sqlite`, `postgres`, or both (`all`).
    #[arg(long, default_value = "all")]
    pub backend: String,
    /// Server used to create and drop the PostgreSQL bench databases.
    #[arg(long, env = "JUCHU_BENCH_POSTGRES", default_value = DEFAULT_POSTGRES)]
    pub postgres: String,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Intake(args) => {
            let backends: Vec<&str> = match args.backend.as_str() {
                "all" => vec!["sqlite", "postgres"],
                "sqlite" => vec!["sqlite"],
                "postgres" => vec!["postgres"],
                other => bail!("unknown backend `{other}`: sqlite, postgres or all"),
            };
            println!(
                "bench intake: N={} C={} on {} cores",
                args.n,
                args.concurrency,
                cores()
            );
            for b in backends {
                intake(&args, b).await?;
            }
            Ok(())
        }
        BenchCommand::FlashSale(args) => crate::bench_flash_sale::run(&args).await,
        BenchCommand::Shipping(args) => crate::bench_shipping::run(&args).await,
        BenchCommand::Lifecycle(args) => crate::bench_lifecycle::run(&args).await,
        BenchCommand::Search(args) => crate::bench_search::run(&args).await,
    }
}

const SKUS: usize = 10;

fn order_body(i: usize) -> Value {
    json!({
        "channel": "bench", "external_id": format!("B{i:08}"),
        "customer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": format!("taro{i}@example.jp"), "phone": "090-0000-0000"},
        "shipping_address": {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区神宮前", "line1": "1-2-3"},
        "lines": [{"sku": format!("SKU-{}", i % SKUS), "quantity": 1, "unit_price": 1980}, {"sku": format!("SKU-{}", (i + 3) % SKUS), "quantity": 2, "unit_price": 540}],
        "shipping_fee": 550,
        "payment": {"method": "credit_card", "card_token": "tok_bench"}
    })
}

async fn intake(args: &IntakeArgs, backend: &str) -> anyhow::Result<()> {
    let scratch = Scratch::new(backend, &args.postgres, "intake").await?;
    let server = spawn_server(&scratch.url).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let api = Api::new(&client, &server);
    let auth = api.auth.clone();
    api.put(
        "/api/v1/warehouses/TKY",
        &json!({"name": "東京倉庫", "priority": 1}),
    )
    .await?;
    for s in 0..SKUS {
        api.put(
            &format!("/api/v1/skus/SKU-{s}"),
            &json!({"name": format!("商品{s}"), "tax_rate": if s % 2 == 0 { 10 } else { 8 }}),
        )
        .await?;
        api.post(
            "/api/v1/stock/adjustments",
            &json!({"warehouse": "TKY", "sku": format!("SKU-{s}"), "delta": 1_000_000, "reason": "bench"}),
        )
        .await?;
    }
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..args.n)
            .map(|i| serde_json::to_vec(&order_body(i)).unwrap_or_default())
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, bodies, next, url, auth) = (
            client.clone(),
            bodies.clone(),
            next.clone(),
            server.url.clone(),
            auth.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                let ok = client
                    .post(format!("{url}/api/v1/orders"))
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == reqwest::StatusCode::CREATED);
                lat.push(t.elapsed());
                failures += usize::from(!ok);
            }
            (lat, failures)
        }));
    }
    let mut lat = Vec::with_capacity(args.n);
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await?;
        lat.extend(l);
        failures += f;
    }
    let wall = started.elapsed().as_secs_f64();
    lat.sort();
    let rate = args.n as f64 / wall;
    let rss = server.peak_rss_mb();
    println!(
        "{backend:<8} juchu    {rate:>8.0} orders/s  p50 {:>6.2} ms  p99 {:>6.2} ms  failures {failures}  server peak RSS {}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        rss.map(|m| format!("{m:.0} MB"))
            .unwrap_or_else(|| "n/a".into())
    );
    let sample = api.get("/api/v1/orders?limit=1").await?;
    server.stop().await;
    let doc = sample["items"][0].clone();
    let base = Scratch::new(backend, &args.postgres, "baseline").await?;
    let base_rate = crate::bench_baseline::run(&base.url, &doc, args.n, args.concurrency).await?;
    println!(
        "{backend:<8} baseline {base_rate:>8.0} orders/s  (direct inserts: order + event + job, one transaction per order)"
    );
    println!(
        "{backend:<8} ratio    {:>8.2}  (juchu over HTTP ÷ direct inserts)",
        rate / base_rate
    );
    base.drop().await;
    scratch.drop().await;
    if failures > 0 {
        bail!("{failures} orders were not accepted");
    }
    Ok(())
}
