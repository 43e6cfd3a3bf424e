//! `juchu bench shipping`: N allocated orders (placed and allocated in-process), then the three
//! steps a warehouse day is made of, timed one by one — instruct shipping, export the Yamato B2
//! file of every batch, import the carrier's issued data (a tracking number per parcel), which ships
//! each order through the normal flow. The baseline in the same run is the time the same orders took
//! to be placed and allocated, so each step is reported per order and as a ratio of that.

use crate::bench_util::{DEFAULT_POSTGRES, Scratch, cores};
use anyhow::{Context, bail, ensure};
use juchu_app::{
    App, ExportFormat, NewSku, NewWarehouse, StockAdjustment, SystemClock, Worker, WorkerOptions,
};
use juchu_domain::intake::NewOrder;
use juchu_domain::policy::Policies;
use juchu_domain::{Actor, Role};
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
    let backends: Vec<&str> = match args.backend.as_str() {
        "all" => vec!["sqlite", "postgres"],
        b @ ("sqlite" | "postgres") => vec![b],
        other => bail!("unknown backend `{other}`: sqlite, postgres or all"),
    };
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

fn operator() -> Actor {
    Actor::ApiKey {
        id: "bench".into(),
        role: Role::Operator,
    }
}

async fn measure(n: usize, backend: &str, url: &str) -> anyhow::Result<()> {
    let store = crate::open_store(url).await?;
    let app = App::new(store, Arc::new(SystemClock), Policies::default());
    let actor = operator();
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

    // Baseline: place and allocate the orders (receipt and allocation jobs run in-process).
    let started = Instant::now();
    for i in 0..n {
        let order: NewOrder = serde_json::from_value(json!({
            "channel": "bench", "external_id": format!("S{i:08}"),
            "customer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": format!("taro{i}@example.jp"), "phone": "090-0000-0000"},
            "shipping_address": {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区神宮前", "line1": "1-2-3"},
            "lines": [{"sku": format!("SKU-{}", i % 10), "quantity": 1, "unit_price": 1980}],
            "shipping_fee": 550,
            "payment": {"method": "credit_card", "card_token": "tok_bench"}
        }))?;
        app.place_order(&order, &actor).await?;
    }
    let worker = Worker::new(app.clone(), WorkerOptions::default());
    while worker.run_once().await? > 0 {}
    let baseline = started.elapsed().as_secs_f64();

    // 1. Shipping instructions (10,000 orders per call at most).
    let started = Instant::now();
    let mut batches = Vec::new();
    loop {
        let r = app.instruct_shipping(None, None, &actor).await?;
        if r.batches.is_empty() {
            break;
        }
        batches.extend(r.batches.into_iter().map(|b| b.id));
    }
    let instruct = started.elapsed().as_secs_f64();

    // 2. The B2 file of every batch.
    let started = Instant::now();
    let mut files = Vec::new();
    for b in &batches {
        files.push(app.export_shipping(*b, ExportFormat::YamatoB2).await?);
    }
    let export = started.elapsed().as_secs_f64();

    // The carrier's issued data: the same rows with 伝票番号 (column 4) filled in.
    let mut issued = String::new();
    let mut parcel = 0u64;
    for f in &files {
        for (i, line) in decode_text(f)?.split("\r\n").enumerate() {
            if line.is_empty() {
                continue;
            }
            let mut cols: Vec<String> = line.split("\",\"").map(str::to_owned).collect();
            if i > 0 && cols.len() > 3 {
                let body = 44_441_000_000 + parcel;
                parcel += 1;
                cols[3] = format!("{body:011}{}", body % 7);
            }
            issued.push_str(&cols.join("\",\""));
            issued.push_str("\r\n");
        }
    }
    let issued = encode_cp932(&issued)?;

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

fn master_data<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> anyhow::Result<T> {
    serde_json::from_value(v).context("bench master data")
}
