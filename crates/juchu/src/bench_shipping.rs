//! `juchu bench shipping`: N allocated orders (placed and allocated in-process), then the three
//! steps a warehouse day is made of, timed one by one — instruct shipping, export the Yamato B2
//! file of every batch, import the carrier's issued data (a tracking number per parcel), which ships
//! each order through the normal flow. The baseline in the same run is the time the same orders took
//! to be placed and allocated, so each step is reported per order and as a ratio of that.

use crate::bench_util::{DEFAULT_POSTGRES, Scratch, backends, cores};
use anyhow::{Context, ensure};
use juchu_app::{
    App, ExportFormat, NewSku, NewWarehouse, StockAdjustment, SystemClock, Worker, WorkerOptions,
};
use juchu_domain::intake::NewOrder;
use juchu_domain::policy::Policies;
use juchu_domain::{Actor, BatchId, Role};
use juchu_formats::{TrackingFormat, decode_text, encode_cp932};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Clone)]
pub struct ShippingArgs {
    /// Orders to ship.
    #[arg(long, default_value_t = 10_000)]
    pub n: usize,
    /// `sqlite`, `postgres`, or both (`all`).
    #[arg(long, default_value = "all")]
    pub backend: String,
    /// Server used to create and drop the PostgreSQL bench databases.
    #[arg(long, env = "JUCHU_BENCH_POSTGRES", default_value = DEFAULT_POSTGRES)]
    pub postgres: String,
}

pub async fn run(args: &ShippingArgs) -> anyhow::Result<()> {
    let backends = backends(&args.backend)?;
    ensure!(args.n > 0, "--n must be at least 1");
    println!("bench shipping: N={} on {} cores", args.n, cores());
    for b in backends {
        let scratch = Scratch::new(b, &args.postgres, "shipping").await?;
        let outcome = measure(args.n, b, &scratch.url).await;
        scratch.drop().await;
        outcome?;
    }
    Ok(())
}

pub(crate) fn operator() -> Actor {
    Actor::ApiKey {
        id: "bench".into(),
        role: Role::Operator,
    }
}

async fn measure(n: usize, backend: &str, url: &str) -> anyhow::Result<()> {
    let app = open_shop(url).await?;
    let actor = operator();

    // Baseline: place and allocate the orders (receipt and allocation jobs run in-process).
    let started = Instant::now();
    for i in 0..n {
        app.place_order(&order_input("S", i)?, &actor).await?;
    }
    let worker = Worker::new(app.clone(), WorkerOptions::default());
    while worker.run_once().await? > 0 {}
    let baseline = started.elapsed().as_secs_f64();

    // 1. Shipping instructions (10,000 orders per call at most).
    let started = Instant::now();
    let batches = instruct_all(&app, &actor).await?;
    let instruct = started.elapsed().as_secs_f64();

    // 2. The B2 file of every batch.
    let started = Instant::now();
    let mut files = Vec::new();
    for b in &batches {
        files.push(app.export_shipping(*b, ExportFormat::YamatoB2).await?);
    }
    let export = started.elapsed().as_secs_f64();

    let (issued, _) = issued_b2(&files, 0)?;

    // 3. Tracking import: each row ships its order (capture included).
    let started = Instant::now();
    let result = app
        .import_tracking(TrackingFormat::YamatoB2, &issued, &actor, &mut |_, _| {})
        .await?;
    let import = started.elapsed().as_secs_f64();
    ensure!(
        result.summary.shipped == n,
        "{} of {n} orders shipped ({} errors)",
        result.summary.shipped,
        result.summary.errors
    );

    let per = |s: f64| s * 1000.0 / n as f64;
    println!(
        "{backend:<8} baseline  place+allocate {baseline:>7.2} s  {:>6.3} ms/order",
        per(baseline)
    );
    for (step, secs) in [
        ("instruct", instruct),
        ("export-b2", export),
        ("import", import),
    ] {
        println!(
            "{backend:<8} {step:<9} {secs:>7.2} s  {:>6.3} ms/order  ratio {:>5.2} (step ÷ baseline)",
            per(secs),
            secs / baseline
        );
    }
    Ok(())
}

/// An in-process App on `url` (migrated) with one warehouse (TKY) and ten SKUs (`SKU-0`…`SKU-9`)
/// with 1,000,000 units each.
pub(crate) async fn open_shop(url: &str) -> anyhow::Result<App> {
    let store = crate::open_store(url).await?;
    let app = App::new(store, Arc::new(SystemClock), Policies::default());
    let wh: NewWarehouse = master_data(json!({"name": "東京倉庫", "priority": 1}))?;
    app.put_warehouse("TKY", wh).await?;
    for s in 0..10 {
        let sku: NewSku = master_data(
            json!({"name": format!("商品{s}"), "tax_rate": if s % 2 == 0 { 10 } else { 8 }}),
        )?;
        app.put_sku(&format!("SKU-{s}"), sku).await?;
        let adj: StockAdjustment = master_data(
            json!({"warehouse": "TKY", "sku": format!("SKU-{s}"), "delta": 1_000_000, "reason": "bench"}),
        )?;
        app.adjust_stock(adj, "bench").await?;
    }
    Ok(app)
}

/// Order `i` of a bench run: one line of one of the ten SKUs, card payment; the external id is
/// `prefix` and `i`.
pub(crate) fn order_input(prefix: &str, i: usize) -> anyhow::Result<NewOrder> {
    Ok(serde_json::from_value(json!({
        "channel": "bench", "external_id": format!("{prefix}{i:08}"),
        "customer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": format!("taro{i}@example.jp"), "phone": "090-0000-0000"},
        "shipping_address": {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区神宮前", "line1": "1-2-3"},
        "lines": [{"sku": format!("SKU-{}", i % 10), "quantity": 1, "unit_price": 1980}],
        "shipping_fee": 550,
        "payment": {"method": "credit_card", "card_token": "tok_bench"}
    }))?)
}

/// Instructs every allocated order (10,000 per call at most); returns the batches.
pub(crate) async fn instruct_all(app: &App, actor: &Actor) -> anyhow::Result<Vec<BatchId>> {
    let mut batches = Vec::new();
    loop {
        let r = app.instruct_shipping(None, None, actor).await?;
        if r.batches.is_empty() {
            return Ok(batches);
        }
        batches.extend(r.batches.into_iter().map(|b| b.id));
    }
}

/// The carrier's issued data for B2 export files: the same rows with 伝票番号 (column 4) filled in,
/// numbered from parcel `first`; returns the file (Shift_JIS) and the tracking numbers it gave.
pub(crate) fn issued_b2(files: &[Vec<u8>], first: u64) -> anyhow::Result<(Vec<u8>, Vec<String>)> {
    let mut issued = String::new();
    let mut numbers = Vec::new();
    for f in files {
        for (i, line) in decode_text(f)?.split("\r\n").enumerate() {
            if line.is_empty() {
                continue;
            }
            let mut cols: Vec<String> = line.split("\",\"").map(str::to_owned).collect();
            if i > 0 && cols.len() > 3 {
                let body = 44_441_000_000 + first + numbers.len() as u64;
                cols[3] = format!("{body:011}{}", body % 7);
                numbers.push(cols[3].clone());
            }
            issued.push_str(&cols.join("\",\""));
            issued.push_str("\r\n");
        }
    }
    Ok((encode_cp932(&issued)?, numbers))
}

fn master_data<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> anyhow::Result<T> {
    serde_json::from_value(v).context("bench master data")
}
