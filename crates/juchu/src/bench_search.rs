//! `juchu bench search`: the order list at N orders. Fills a database ([`crate::bench_fill`]) or
//! reuses one (`--db`), starts `juchu serve` on it and runs a query mix over HTTP from C clients —
//! status filter, channel + date range, ordered_at keyset pages, text search by kana, name, phone,
//! e-mail and order number, and the counts — reporting p50/p95/p99 per kind and overall. The
//! baseline in the same run is the same SQL run directly with sqlx against the database; then the
//! server's peak RSS after the mix.

use crate::bench_fill::{CHANNELS, FAMILY, GIVEN, customer, fill, mix};
use crate::bench_search_sql::{Baseline, Spec};
use crate::bench_util::{
    Api, DEFAULT_POSTGRES, Scratch, backends, cores, mb, percentile, spawn_server,
};
use anyhow::ensure;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[derive(clap::Args, Clone)]
pub struct SearchArgs {
    /// Orders in the database.
    #[arg(long, default_value_t = 1_000_000)]
    pub n: usize,
    /// `sqlite`, `postgres`, or both (`all`); ignored with `--db`.
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Use this database (sqlite://FILE or postgres://…) and keep it: filled with N orders when it
    /// has none, reused as it is otherwise.
    #[arg(long)]
    pub db: Option<String>,
    /// Concurrent HTTP clients (and connections of the baseline).
    #[arg(long, short = 'c', default_value_t = 4)]
    pub concurrency: usize,
    /// Times each query kind is run.
    #[arg(long, default_value_t = 100)]
    pub rounds: usize,
    /// Server used to create and drop the PostgreSQL bench databases.
    #[arg(long, env = "JUCHU_BENCH_POSTGRES", default_value = DEFAULT_POSTGRES)]
    pub postgres: String,
}

pub async fn run(args: &SearchArgs) -> anyhow::Result<()> {
    ensure!(args.n > 0, "--n must be at least 1");
    ensure!(args.concurrency > 0, "-c must be at least 1");
    println!(
        "bench search: N={} C={} rounds={} on {} cores",
        args.n,
        args.concurrency,
        args.rounds,
        cores()
    );
    if let Some(db) = &args.db {
        let backend = if db.starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        };
        return measure(args, backend, db).await;
    }
    for b in backends(&args.backend)? {
        let scratch = Scratch::new(b, &args.postgres, "search").await?;
        let outcome = measure(args, b, &scratch.url).await;
        scratch.drop().await;
        outcome?;
    }
    Ok(())
}

async fn measure(args: &SearchArgs, backend: &str, url: &str) -> anyhow::Result<()> {
    let store = crate::open_store(url).await?;
    let stored: i64 = store.count_orders().await?.iter().map(|(_, c)| c).sum();
    let n = if stored == 0 {
        let rate = fill(store.clone(), args.n, 500).await?;
        println!(
            "{backend:<8} fill      {rate:>8.0} orders/s  ({} orders through Store::commit, 500 per change set)",
            args.n
        );
        args.n
    } else {
        println!("{backend:<8} reusing {stored} orders");
        usize::try_from(stored)?
    };
    drop(store);
    if let Some(path) = url.strip_prefix("sqlite://") {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!(
            "{backend:<8} database  {:.2} GB ({path}, WAL not counted)",
            size as f64 / 1e9
        );
    }
    let specs = workload(n, args.rounds);

    let server = spawn_server(url).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let api = Api::new(&client, &server);
    let idle_rss = server.peak_rss_mb();
    let http = run_mix(&specs, args.concurrency, {
        let api = api.clone();
        move |spec: Spec| {
            let api = api.clone();
            async move { spec.http(&api).await }
        }
    })
    .await?;
    let rss = server.peak_rss_mb();
    server.stop().await;

    let base = Arc::new(Baseline::connect(url, args.concurrency).await?);
    let sql = run_mix(&specs, args.concurrency, move |spec: Spec| {
        let base = base.clone();
        async move { base.run(&spec).await }
    })
    .await?;

    println!(
        "{backend:<8} {:<16} {:>6} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8} | {:>6}",
        "kind", "count", "p50 ms", "p95 ms", "p99 ms", "sql p50", "sql p95", "sql p99", "ratio"
    );
    let mut all_http = Vec::new();
    let mut all_sql = Vec::new();
    for (kind, lat) in &http {
        let base = sql.get(kind).cloned().unwrap_or_default();
        row(backend, kind, lat, &base);
        all_http.extend(lat.iter().copied());
        all_sql.extend(base);
    }
    all_http.sort();
    all_sql.sort();
    row(backend, "overall", &all_http, &all_sql);
    let p99 = percentile(&all_http, 0.99);
    println!(
        "{backend:<8} target    p99 < 20 ms at {n} orders: {} (overall p99 {p99:.1} ms); ratio = HTTP p50 ÷ SQL p50",
        if p99 < 20.0 { "met" } else { "MISSED" }
    );
    println!(
        "{backend:<8} memory    server peak RSS {} after the mix ({} after start-up); target < 200 MB",
        mb(rss),
        mb(idle_rss)
    );
    Ok(())
}

fn row(backend: &str, kind: &str, lat: &[Duration], base: &[Duration]) {
    let p = |v: &[Duration], q| percentile(v, q);
    let ratio = p(lat, 0.5) / p(base, 0.5).max(0.001);
    println!(
        "{backend:<8} {kind:<16} {:>6} {:>8.2} {:>8.2} {:>8.2} | {:>8.2} {:>8.2} {:>8.2} | {:>6.1}",
        lat.len(),
        p(lat, 0.5),
        p(lat, 0.95),
        p(lat, 0.99),
        p(base, 0.5),
        p(base, 0.95),
        p(base, 0.99),
        ratio
    );
}

/// `rounds` of every query kind, interleaved, with terms that find orders of the fill.
fn workload(n: usize, rounds: usize) -> Vec<Spec> {
    use juchu_domain::OrderStatus::*;
    let statuses = [
        Received, Allocated, Shipped, Delivered, Recognized, Cancelled,
    ];
    let today = jiff::Zoned::now().date();
    let mut out = Vec::new();
    for r in 0..rounds {
        let h = mix(r as u64 ^ 0xBEEF);
        let i = (h % n as u64) as usize;
        let (name, _, email, phone) = customer(i);
        let from: Date = today
            .checked_sub(jiff::Span::new().days((h >> 8) as i64 % 358))
            .unwrap_or(today);
        let to = from.checked_add(jiff::Span::new().days(6)).unwrap_or(from);
        let f = FAMILY[(h >> 16) as usize % FAMILY.len()];
        let g = GIVEN[(h >> 24) as usize % GIVEN.len()];
        let base = Spec::default();
        out.extend([
            Spec {
                kind: "status",
                status: Some(statuses[r % statuses.len()].as_str()),
                ..base.clone()
            },
            Spec {
                kind: "channel+week",
                channel: Some(CHANNELS[r % CHANNELS.len()]),
                from: Some(from),
                to: Some(to),
                ..base.clone()
            },
            Spec {
                kind: "ordered_at pages",
                by_ordered_at: true,
                pages: 3,
                ..base.clone()
            },
            Spec::q("q kana family", f.1),
            Spec::q("q kana full", &format!("{} {}", f.1, g.1)),
            Spec::q("q name (kanji)", &name),
            Spec::q("q family 2 chars", FAMILY[r % 11].0),
            Spec::q("q phone", &phone),
            Spec::q("q email", &email),
            Spec::q("q number", &(1 + h % n as u64).to_string()),
            Spec {
                kind: "counts",
                counts: true,
                ..base.clone()
            },
        ]);
    }
    out
}

/// Runs every spec from `c` tasks; latencies per kind (a spec with pages gives one per page).
async fn run_mix<F, Fut>(
    specs: &[Spec],
    c: usize,
    one: F,
) -> anyhow::Result<BTreeMap<&'static str, Vec<Duration>>>
where
    F: Fn(Spec) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Vec<Duration>>> + Send + 'static,
{
    let specs = Arc::new(specs.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (specs, next, one) = (specs.clone(), next.clone(), one.clone());
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(&'static str, Duration)> = Vec::new();
            while let Some(spec) = specs.get(next.fetch_add(1, Ordering::Relaxed)) {
                for d in one(spec.clone()).await? {
                    out.push((spec.kind, d));
                }
            }
            anyhow::Ok(out)
        }));
    }
    let mut by_kind: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    for t in tasks {
        for (kind, d) in t.await?? {
            by_kind.entry(kind).or_default().push(d);
        }
    }
    by_kind.values_mut().for_each(|v| v.sort());
    Ok(by_kind)
}
