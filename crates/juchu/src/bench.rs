//! `juchu bench`: speed measured against a baseline from the same run (these machines are noisy).
//!
//! `intake`: N orders through the HTTP API by C concurrent clients against a `juchu serve` child
//! process on a fresh database; prints orders/s, p50/p99 latency and the server's peak RSS, then the
//! database's own baseline — the same rows (order, event, job) inserted directly, one transaction per
//! order, by C concurrent connections — and the ratio of the two.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Order intake over HTTP.
    Intake(IntakeArgs),
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
    #[arg(
        long,
        env = "JUCHU_BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
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
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            );
            for b in backends {
                intake(&args, b).await?;
            }
            Ok(())
        }
    }
}

/// A fresh database for one measurement, removed afterwards.
struct Scratch {
    url: String,
    drop_pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Scratch {
    async fn new(backend: &str, args: &IntakeArgs, tag: &str) -> anyhow::Result<Scratch> {
        if backend == "sqlite" {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}/{tag}.db", dir.path().display());
            return Ok(Scratch {
                url,
                drop_pg: None,
                _dir: Some(dir),
            });
        }
        let name = format!("juchu_bench_{tag}_{}", uuid::Uuid::now_v7().simple());
        let admin = sqlx::PgPool::connect(&args.postgres)
            .await
            .with_context(|| format!("connecting to {}", args.postgres))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        let base = args
            .postgres
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&args.postgres);
        Ok(Scratch {
            url: format!("{base}/{name}"),
            drop_pg: Some((args.postgres.clone(), name)),
            _dir: None,
        })
    }

    async fn drop(self) {
        if let Some((admin, name)) = self.drop_pg
            && let Ok(pool) = sqlx::PgPool::connect(&admin).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await;
        }
    }
}

struct Server {
    child: Child,
    url: String,
    token: String,
}

async fn spawn_server(db: &str) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let token = format!("bench-{}", uuid::Uuid::now_v7().simple());
    let child = Command::new(std::env::current_exe()?)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            db,
        ])
        .env("JUCHU_ADMIN_TOKEN", &token)
        .env("JUCHU_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(Server { child, url, token });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become healthy")
}

fn peak_rss_mb(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
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

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

async fn intake(args: &IntakeArgs, backend: &str) -> anyhow::Result<()> {
    let scratch = Scratch::new(backend, args, "intake").await?;
    let mut server = spawn_server(&scratch.url).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let auth = format!("Bearer {}", server.token);
    let put = |path: String, body: Value| {
        client
            .put(format!("{}{path}", server.url))
            .header("authorization", &auth)
            .json(&body)
            .send()
    };
    put(
        "/api/v1/warehouses/TKY".into(),
        json!({"name": "東京倉庫", "priority": 1}),
    )
    .await?
    .error_for_status()?;
    for s in 0..SKUS {
        put(
            format!("/api/v1/skus/SKU-{s}"),
            json!({"name": format!("商品{s}"), "tax_rate": if s % 2 == 0 { 10 } else { 8 }}),
        )
        .await?
        .error_for_status()?;
        client.post(format!("{}/api/v1/stock/adjustments", server.url)).header("authorization", &auth)
            .json(&json!({"warehouse": "TKY", "sku": format!("SKU-{s}"), "delta": 1_000_000, "reason": "bench"})).send().await?.error_for_status()?;
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
    let rss = peak_rss_mb(server.child.id());
    println!(
        "{backend:<8} juchu    {rate:>8.0} orders/s  p50 {:>6.2} ms  p99 {:>6.2} ms  failures {failures}  server peak RSS {}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        rss.map(|m| format!("{m:.0} MB"))
            .unwrap_or_else(|| "n/a".into())
    );
    let sample = client
        .get(format!("{}/api/v1/orders?limit=1", server.url))
        .header("authorization", &auth)
        .send()
        .await?
        .json::<Value>()
        .await?;
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    let doc = sample["items"][0].clone();
    let base = Scratch::new(backend, args, "baseline").await?;
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
