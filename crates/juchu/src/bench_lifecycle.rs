//! `juchu bench lifecycle`: N orders through every status, 受注 → 未引当 → 引当済 → 出荷指示済 →
//! 出荷済 → 着荷済 → 計上済, in one process: an App with its Worker running the whole time (as
//! `juchu serve` runs it), C concurrent tasks placing orders, then shipping instructions, the B2
//! export and tracking import of every batch, a carrier delivery event per parcel, and the worker's
//! revenue recognition. Prints seconds per phase, orders/s over the whole run and the process's
//! peak RSS; verifies that every order is `recognized`, no job is due, running or dead, and the
//! invariant check is clean; then measures the database's own baseline in the same run (direct
//! inserts, [`crate::bench_baseline`]) and the ratio.

use crate::bench_shipping::{instruct_all, issued_b2, open_shop, operator, order_input};
use crate::bench_util::{DEFAULT_POSTGRES, Scratch, backends, cores, own_peak_rss};
use anyhow::{Context, bail, ensure};
use juchu_app::{App, CarrierEvent, DeliveryStatus, ExportFormat, Worker, WorkerOptions};
use juchu_domain::OrderStatus;
use juchu_domain::carrier::Carrier;
use juchu_formats::TrackingFormat;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone)]
pub struct LifecycleArgs {
    /// Orders to take through the whole lifecycle.
    #[arg(long, default_value_t = 100_000)]
    pub n: usize,
    /// Concurrent tasks placing orders and sending delivery events.
    #[arg(long, short = 'c', default_value_t = 16)]
    pub concurrency: usize,
    /// `sqlite`, `postgres`, or both (`all`).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Orders in the direct-insert baseline (at most N).
    #[arg(long, default_value_t = 20_000)]
    pub baseline_n: usize,
    /// Server used to create and drop the PostgreSQL bench databases.
    #[arg(long, env = "JUCHU_BENCH_POSTGRES", default_value = DEFAULT_POSTGRES)]
    pub postgres: String,
}

pub async fn run(args: &LifecycleArgs) -> anyhow::Result<()> {
    ensure!(args.n > 0, "--n must be at least 1");
    ensure!(args.concurrency > 0, "-c must be at least 1");
    println!(
        "bench lifecycle: N={} C={} on {} cores (in-process App + Worker)",
        args.n,
        args.concurrency,
        cores()
    );
    for b in backends(&args.backend)? {
        let scratch = Scratch::new(b, &args.postgres, "lifecycle").await?;
        let outcome = measure(args, b, &scratch.url).await;
        scratch.drop().await;
        outcome?;
    }
    Ok(())
}

/// Seconds per phase, in order.
type Phases = Vec<(&'static str, f64)>;

async fn measure(args: &LifecycleArgs, backend: &str, url: &str) -> anyhow::Result<()> {
    let n = args.n;
    let app = open_shop(url).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(Worker::new(app.clone(), WorkerOptions::default()).run(stopped));
    let run_started = Instant::now();
    let outcome = phases(args, &app).await;
    let total = run_started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let stats = worker.await?;
    let phases = outcome?;
    let rss = own_peak_rss();
    let verdict = verify(&app, n).await?;

    let base = Scratch::new(backend, &args.postgres, "baseline").await?;
    let sample = app
        .store
        .list_orders(&juchu_store::OrderFilter {
            limit: 1,
            ..Default::default()
        })
        .await?;
    let doc = serde_json::to_value(sample.first().context("no order stored")?)?;
    let base_n = args.baseline_n.clamp(1, n);
    let base_rate =
        crate::bench_baseline::run(&base.url, &doc, base_n, args.concurrency.min(16)).await;
    base.drop().await;
    let base_rate = base_rate?;

    let rate = n as f64 / total;
    println!(
        "{backend:<8} {:<10} {:>9} {:>10}",
        "phase", "seconds", "ms/order"
    );
    for (name, secs) in &phases {
        println!(
            "{backend:<8} {name:<10} {secs:>9.2} {:>10.3}",
            secs * 1000.0 / n as f64
        );
    }
    println!(
        "{backend:<8} {:<10} {total:>9.2} {:>10.3}  = {rate:.0} orders/s through all eight statuses; peak RSS {rss}; worker ran {} jobs",
        "total",
        total * 1000.0 / n as f64,
        stats.done.load(Ordering::Relaxed)
    );
    println!(
        "{backend:<8} baseline   {base_rate:>9.0} orders/s  (direct inserts: order + event + job, one transaction per order, {base_n} orders)"
    );
    println!(
        "{backend:<8} ratio      {:>9.3}  (lifecycle orders/s ÷ direct inserts/s)",
        rate / base_rate
    );
    println!("{backend:<8} verified   {verdict}");
    Ok(())
}

async fn phases(args: &LifecycleArgs, app: &App) -> anyhow::Result<Phases> {
    let n = args.n;
    let actor = operator();
    let mut out = Phases::new();
    let mut t = Instant::now();
    let mut lap = |out: &mut Phases, name| {
        out.push((name, t.elapsed().as_secs_f64()));
        t = Instant::now();
    };

    // 受注: C tasks place the orders while the worker receives and allocates them.
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (app, next, actor) = (app.clone(), next.clone(), actor.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(());
                }
                app.place_order(&order_input("L", i)?, &actor).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    lap(&mut out, "place");
    // 未引当 → 引当済: what the worker still has to do once the last order is in.
    settle(app).await?;
    lap(&mut out, "allocate");

    // 出荷指示済.
    let batches = instruct_all(app, &actor).await?;
    lap(&mut out, "instruct");

    // 出荷済: each batch's B2 file, the carrier's issued data back, imported (capture included).
    let mut files = Vec::new();
    for b in &batches {
        files.push(app.export_shipping(*b, ExportFormat::YamatoB2).await?);
    }
    lap(&mut out, "export-b2");
    let (issued, numbers) = issued_b2(&files, 0)?;
    let imported = app
        .import_tracking(TrackingFormat::YamatoB2, &issued, &actor, &mut |_, _| {})
        .await?;
    ensure!(
        imported.summary.shipped == n,
        "{} of {n} orders shipped ({} errors)",
        imported.summary.shipped,
        imported.summary.errors
    );
    lap(&mut out, "ship");

    // 着荷済: the carrier's delivery event for every parcel, from C tasks.
    let numbers = Arc::new(numbers);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (app, next, actor, numbers) =
            (app.clone(), next.clone(), actor.clone(), numbers.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(number) = numbers.get(next.fetch_add(1, Ordering::Relaxed)) {
                let ev = CarrierEvent {
                    event_id: format!("delivered-{number}"),
                    tracking_number: number.clone(),
                    status: DeliveryStatus::Delivered,
                    at: jiff::Timestamp::now(),
                };
                let outcome = app.carrier_event(Carrier::Yamato, &ev, &actor).await?;
                ensure!(
                    outcome.outcome == "delivered",
                    "parcel {number}: {}",
                    outcome.outcome
                );
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    lap(&mut out, "deliver");

    // 計上済: the worker's `order.recognize` jobs (due at delivery under the default policy).
    settle(app).await?;
    lap(&mut out, "recognize");
    Ok(out)
}

/// Jobs per status (`pending` = due, `scheduled`, `running`, `dead`, `done`).
async fn job_counts(app: &App) -> anyhow::Result<HashMap<String, i64>> {
    Ok(app
        .store
        .job_counts(jiff::Timestamp::now())
        .await?
        .into_iter()
        .collect())
}

/// Waits until no job is due or running; fails on a dead job.
async fn settle(app: &App) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let jobs = job_counts(app).await?;
        let count = |s: &str| jobs.get(s).copied().unwrap_or(0);
        ensure!(
            count("dead") == 0,
            "{} jobs were dead-lettered",
            count("dead")
        );
        if count("pending") + count("running") == 0 {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "jobs still busy: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every order `recognized`, no job due, running or dead, invariants clean.
async fn verify(app: &App, n: usize) -> anyhow::Result<String> {
    let counts = app.store.count_orders().await?;
    let recognized = counts
        .iter()
        .find(|(s, _)| *s == OrderStatus::Recognized)
        .map_or(0, |(_, c)| *c);
    ensure!(
        recognized == i64::try_from(n)?
            && counts
                .iter()
                .all(|(s, c)| *c == 0 || *s == OrderStatus::Recognized),
        "not every order is recognized: {counts:?}"
    );
    let jobs = job_counts(app).await?;
    let count = |s: &str| jobs.get(s).copied().unwrap_or(0);
    if count("pending") + count("running") + count("dead") > 0 {
        bail!("jobs left: {jobs:?}");
    }
    let problems = app.store.check_invariants().await?;
    ensure!(problems.is_empty(), "invariants: {problems:?}");
    Ok(format!(
        "{recognized} of {n} orders recognized; jobs: 0 due, 0 running, 0 dead ({} scheduled for later, e.g. みなし着荷); invariants ok",
        count("scheduled")
    ))
}
