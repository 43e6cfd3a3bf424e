//! `juchu bench flash-sale`: one SKU with S units in stock, N orders of one unit placed at once by
//! C concurrent HTTP clients against `juchu serve` (or two of them on one PostgreSQL database, the
//! clients split between them). Prints the placement rate and the time until every order's
//! allocation settled (no job pending or running), then checks that exactly min(S, N) units were
//! allocated — Σ over the orders = the stock's `allocated` — and that the invariant check is clean.

use crate::bench_util::{
    Api, DEFAULT_POSTGRES, Scratch, Server, cores, percentile, spawn_server_with,
};
use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SKU: &str = "FLASH-1";

#[derive(clap::Args, Clone)]
pub struct FlashSaleArgs {
    /// Units in stock (S).
    #[arg(long, default_value_t = 1_000)]
    pub stock: i64,
    /// Orders of one unit each (N).
    #[arg(long, default_value_t = 10_000)]
    pub n: usize,
    /// Concurrent clients (C).
    #[arg(long, short = 'c', default_value_t = 32)]
    pub concurrency: usize,
    /// `sqlite`, `postgres`, `postgres-2` (two `juchu serve` processes on one PostgreSQL
    /// database, clients split between them), or `all` three.
    #[arg(long, default_value = "all")]
    pub backend: String,
    /// Server used to create and drop the PostgreSQL bench databases.
    #[arg(long, env = "JUCHU_BENCH_POSTGRES", default_value = DEFAULT_POSTGRES)]
    pub postgres: String,
}

pub async fn run(args: &FlashSaleArgs) -> anyhow::Result<()> {
    let runs: Vec<&str> = match args.backend.as_str() {
        "all" => vec!["sqlite", "postgres", "postgres-2"],
        b @ ("sqlite" | "postgres" | "postgres-2") => vec![b],
        other => bail!("unknown backend `{other}`: sqlite, postgres, postgres-2 or all"),
    };
    ensure!(args.stock >= 0, "--stock must not be negative");
    ensure!(args.concurrency > 0, "-c must be at least 1");
    println!(
        "bench flash-sale: S={} N={} C={} on {} cores",
        args.stock,
        args.n,
        args.concurrency,
        cores()
    );
    let mut failed = Vec::new();
    for label in runs {
        let (backend, processes) = match label {
            "postgres-2" => ("postgres", 2),
            b => (b, 1),
        };
        let scratch = Scratch::new(backend, &args.postgres, "flash").await?;
        let outcome = measure(args, label, &scratch.url, processes).await;
        scratch.drop().await;
        if let Err(e) = outcome {
            println!("{label:<10} FAILED: {e:#}");
            failed.push(label);
        }
    }
    if !failed.is_empty() {
        bail!("flash-sale failed on {}", failed.join(", "));
    }
    Ok(())
}

/// What the clients saw.
struct Placement {
    latencies: Vec<Duration>,
    failures: usize,
    first_error: Option<String>,
}

async fn measure(
    args: &FlashSaleArgs,
    label: &str,
    db: &str,
    processes: usize,
) -> anyhow::Result<()> {
    let token = format!("bench-{}", uuid::Uuid::now_v7().simple());
    let mut servers: Vec<Server> = Vec::new();
    for _ in 0..processes {
        // One after the other: the first creates the schema and the admin key.
        servers.push(spawn_server_with(db, &token).await?);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let apis: Vec<Api> = servers.iter().map(|s| Api::new(&client, s)).collect();
    let api = &apis[0];
    api.put(
        "/api/v1/warehouses/TKY",
        &json!({"name": "東京倉庫", "priority": 1, "prefectures": ["東京都"]}),
    )
    .await?;
    api.put(
        &format!("/api/v1/skus/{SKU}"),
        &json!({"name": "限定スニーカー", "tax_rate": 10}),
    )
    .await?;
    if args.stock > 0 {
        api.post(
            "/api/v1/stock/adjustments",
            &json!({"warehouse": "TKY", "sku": SKU, "delta": args.stock, "reason": "flash sale"}),
        )
        .await?;
    }
    wait_idle(api, Duration::from_secs(60)).await?;

    let started = Instant::now();
    let placed = place(args, &apis).await?;
    let placed_in = started.elapsed();
    wait_idle(api, Duration::from_secs(1800)).await?;
    let settled_in = started.elapsed();

    let mut lat = placed.latencies;
    lat.sort();
    let secs = placed_in.as_secs_f64();
    println!(
        "{label:<10} placement {:>7.0} orders/s  ({} orders in {secs:.1} s, p50 {:.1} ms, p99 {:.1} ms, failures {})",
        args.n as f64 / secs,
        args.n,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        placed.failures,
    );
    let rss: Vec<String> = servers
        .iter()
        .map(|s| {
            s.peak_rss_mb()
                .map(|m| format!("{m:.0} MB"))
                .unwrap_or_else(|| "n/a".into())
        })
        .collect();
    println!(
        "{label:<10} settled   {:>7.1} s after the first order ({:.1} s after the last); {} server(s), peak RSS {}",
        settled_in.as_secs_f64(),
        (settled_in - placed_in).as_secs_f64(),
        processes,
        rss.join(" / "),
    );
    let verdict = verify(args, api).await;
    for s in servers {
        s.stop().await;
    }
    match verdict {
        Ok(line) => println!("{label:<10} verified  {line}"),
        Err(e) => return Err(e),
    }
    if placed.failures > 0 {
        bail!(
            "{} orders were not accepted; first error: {}",
            placed.failures,
            placed.first_error.unwrap_or_default()
        );
    }
    Ok(())
}

fn order_body(i: usize) -> Value {
    json!({
        "channel": "flash", "external_id": format!("F{i:08}"),
        "customer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": format!("fan{i}@example.jp")},
        "shipping_address": {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区神宮前", "line1": "1-2-3"},
        "lines": [{"sku": SKU, "quantity": 1, "unit_price": 19_800}],
        "payment": {"method": "credit_card", "card_token": "tok_bench"}
    })
}

/// N orders from C clients, client `i` talking to server `i mod servers`.
async fn place(args: &FlashSaleArgs, apis: &[Api]) -> anyhow::Result<Placement> {
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..args.n)
            .map(|i| serde_json::to_vec(&order_body(i)))
            .collect::<Result<_, _>>()?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..args.concurrency {
        let api = apis[c % apis.len()].clone();
        let (bodies, next) = (bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Placement {
                latencies: Vec::new(),
                failures: 0,
                first_error: None,
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                let sent = api
                    .http
                    .post(format!("{}/api/v1/orders", api.url))
                    .header("authorization", &api.auth)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                out.latencies.push(t.elapsed());
                let error = match sent {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => None,
                    Ok(r) => Some(format!(
                        "{}: {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    )),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(e) = error {
                    out.failures += 1;
                    out.first_error.get_or_insert(e);
                }
            }
            out
        }));
    }
    let mut all = Placement {
        latencies: Vec::with_capacity(args.n),
        failures: 0,
        first_error: None,
    };
    for t in tasks {
        let p = t.await?;
        all.latencies.extend(p.latencies);
        all.failures += p.failures;
        if all.first_error.is_none() {
            all.first_error = p.first_error;
        }
    }
    Ok(all)
}

/// Polls until no job is pending or running.
async fn wait_idle(api: &Api, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let jobs = api.get("/api/v1/admin/jobs").await?;
        let busy = jobs["pending"].as_i64().unwrap_or(0) + jobs["running"].as_i64().unwrap_or(0);
        if busy == 0 {
            let dead = jobs["dead"].as_i64().unwrap_or(0);
            ensure!(dead == 0, "{dead} jobs were dead-lettered");
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "jobs still busy after {timeout:?}: {jobs}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Exactly min(S, N) units allocated, counted three ways, and the invariants hold.
async fn verify(args: &FlashSaleArgs, api: &Api) -> anyhow::Result<String> {
    let expected = args.stock.min(i64::try_from(args.n)?);
    let stock = api.get(&format!("/api/v1/stock?sku={SKU}")).await?;
    let level = &stock["items"][0];
    let (on_hand, allocated) = (
        level["on_hand"].as_i64().unwrap_or(0),
        level["allocated"].as_i64().unwrap_or(0),
    );
    let (mut orders, mut units, mut cursor) = (0usize, 0i64, String::new());
    loop {
        let page = api
            .get(&format!(
                "/api/v1/orders?channel=flash&limit=500&cursor={cursor}"
            ))
            .await?;
        let items = page["items"].as_array().context("orders page")?;
        orders += items.len();
        units += items
            .iter()
            .flat_map(|o| o["lines"].as_array().into_iter().flatten())
            .map(|l| l["allocated_quantity"].as_i64().unwrap_or(0))
            .sum::<i64>();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let counts = api.get("/api/v1/orders/counts").await?;
    let count = |s: &str| counts[s].as_i64().unwrap_or(0);
    let invariants = api.get("/api/v1/admin/invariants").await?;
    ensure!(
        orders == args.n,
        "{orders} orders stored, {} placed",
        args.n
    );
    ensure!(
        units == expected && allocated == expected && on_hand == args.stock,
        "Σ allocated over orders {units}, stock allocated {allocated} (on hand {on_hand}); expected {expected}"
    );
    ensure!(
        count("allocated") == expected && count("received") == 0,
        "order counts {counts}"
    );
    ensure!(
        invariants["ok"] == true,
        "invariant check failed: {invariants}"
    );
    Ok(format!(
        "Σ allocated over {orders} orders = stock allocated = {allocated} = min(S, N); {} allocated, {} unallocated; invariants ok",
        count("allocated"),
        count("unallocated")
    ))
}
