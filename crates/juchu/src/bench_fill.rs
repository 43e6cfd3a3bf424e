//! Fills a database with N varied orders for the read benchmarks (`bench search`): Japanese names
//! with kana, phones, e-mails, every status, order dates over the past year, several channels and
//! payment methods. Orders are built by intake's own `build_order` and written through
//! `Store::commit` (many orders per change set), so the list columns and the search index are
//! maintained exactly as in production. The statuses are set directly (no allocations or shipments
//! behind them): the data is for reading, not for the invariant check.

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use juchu_domain::intake::{NewOrder, PREFECTURES, SkuInfo, build_order};
use juchu_domain::tax::{Rounding, TaxRate};
use juchu_domain::{Actor, Event, OrderStatus};
use juchu_store::{ChangeSet, OrderWrite, Store};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// (kanji, kana, romaji) of common family names.
pub const FAMILY: [(&str, &str, &str); 30] = [
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"),
    ("山口", "ヤマグチ", "yamaguchi"),
    ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"),
    ("木村", "キムラ", "kimura"),
    ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"),
    ("清水", "シミズ", "shimizu"),
    ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"),
    ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"),
    ("石川", "イシカワ", "ishikawa"),
    ("前田", "マエダ", "maeda"),
    ("藤田", "フジタ", "fujita"),
    ("小川", "オガワ", "ogawa"),
    ("岡田", "オカダ", "okada"),
];

/// (kanji, kana, romaji) of given names.
pub const GIVEN: [(&str, &str, &str); 20] = [
    ("太郎", "タロウ", "taro"),
    ("花子", "ハナコ", "hanako"),
    ("翔", "ショウ", "sho"),
    ("陽菜", "ヒナ", "hina"),
    ("蓮", "レン", "ren"),
    ("結衣", "ユイ", "yui"),
    ("大輝", "ダイキ", "daiki"),
    ("美咲", "ミサキ", "misaki"),
    ("健太", "ケンタ", "kenta"),
    ("さくら", "サクラ", "sakura"),
    ("拓海", "タクミ", "takumi"),
    ("愛", "アイ", "ai"),
    ("悠斗", "ユウト", "yuto"),
    ("葵", "アオイ", "aoi"),
    ("直樹", "ナオキ", "naoki"),
    ("由美", "ユミ", "yumi"),
    ("誠", "マコト", "makoto"),
    ("恵", "メグミ", "megumi"),
    ("隆", "タカシ", "takashi"),
    ("真由美", "マユミ", "mayumi"),
];

pub const CHANNELS: [&str; 6] = ["rakuten", "amazon", "yahoo", "shopify", "web", "phone"];
const DOMAINS: [&str; 5] = [
    "example.jp",
    "example.com",
    "mail.example.ne.jp",
    "docomo.example.jp",
    "ezweb.example.jp",
];

/// A reproducible hash of `i` (splitmix64), so a query can find what the fill wrote.
pub fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The customer of order `i`: (name, kana, e-mail, phone).
pub fn customer(i: usize) -> (String, String, String, String) {
    let h = mix(i as u64);
    let f = FAMILY[(h % 30) as usize];
    let g = GIVEN[((h >> 8) % 20) as usize];
    let email = format!(
        "{}.{}{}@{}",
        g.2,
        f.2,
        (h >> 16) % 1000,
        DOMAINS[((h >> 26) % 5) as usize]
    );
    let phone = format!(
        "0{}0-{:04}-{:04}",
        7 + (h >> 29) % 3,
        (h >> 32) % 10_000,
        (h >> 46) % 10_000
    );
    (
        format!("{} {}", f.0, g.0),
        format!("{} {}", f.1, g.1),
        email,
        phone,
    )
}

/// How many days ago order `i` was placed (0–364), and its status: old orders are mostly booked,
/// recent ones spread over the flow.
fn age_and_status(i: usize) -> (i64, OrderStatus) {
    use OrderStatus::*;
    let h = mix(i as u64 ^ 0xA5A5);
    let days = (h % 365) as i64;
    let pick = (h >> 20) % 100;
    let status = match days {
        0..=2 => [Received, Unallocated, PartiallyAllocated, Allocated][(pick % 4) as usize],
        3..=6 => [Allocated, ShippingInstructed, Shipped, Cancelled][(pick % 4) as usize],
        7..=20 => [Shipped, Delivered, Recognized, Cancelled][(pick % 4) as usize],
        _ if pick < 7 => Cancelled,
        _ => Recognized,
    };
    (days, status)
}

fn new_order(i: usize, now: Timestamp) -> anyhow::Result<(NewOrder, OrderStatus)> {
    let h = mix(i as u64 ^ 0x5A5A);
    let (name, kana, email, phone) = customer(i);
    let (days, status) = age_and_status(i);
    let channel = CHANNELS[(h % 6) as usize];
    let ordered_at = now - SignedDuration::from_secs(days * 86_400 + (h >> 8) as i64 % 86_400);
    let payment = match (h >> 12) % 5 {
        0 | 1 => json!({"method": "credit_card", "card_token": "tok_fill"}),
        2 => json!({"method": "bank_transfer"}),
        3 => json!({"method": "deferred"}),
        _ => json!({"method": "amazon_pay", "charge_permission_id": format!("P01-{i:07}")}),
    };
    let lines: Vec<_> = (0..1 + (h >> 16) % 3)
        .map(|l| json!({"sku": format!("SKU-{}", (h >> (20 + l * 4)) % 10), "quantity": 1 + (h >> (32 + l)) % 3, "unit_price": 500 + (h >> (40 + l)) % 50 * 100}))
        .collect();
    let order = serde_json::from_value(json!({
        "channel": channel, "external_id": format!("{channel}-{i:08}"), "ordered_at": ordered_at,
        "customer": {"name": name, "kana": kana, "email": email, "phone": phone},
        "shipping_address": {"name": name, "postal_code": format!("{:03}-{:04}", 100 + (h >> 20) % 900, (h >> 30) % 10_000),
            "prefecture": PREFECTURES[((h >> 40) % 47) as usize], "city": "中央区", "line1": format!("{}-{}-{}", 1 + (h >> 44) % 9, 1 + (h >> 48) % 20, 1 + (h >> 52) % 30)},
        "lines": lines,
        "shipping_fee": 550,
        "payment": payment,
    }))
    .context("fill order")?;
    Ok((order, status))
}

fn sku(code: &str) -> Option<SkuInfo> {
    let s: u32 = code.strip_prefix("SKU-")?.parse().ok()?;
    Some(SkuInfo {
        name: format!("商品{s}"),
        tax_rate: if s.is_multiple_of(2) {
            TaxRate::Standard10
        } else {
            TaxRate::Reduced8
        },
    })
}

/// Writes orders `0..n` to `store`, `per_commit` per change set; returns orders/s. A task builds
/// the change sets while the store commits the previous ones.
pub async fn fill(store: Arc<dyn Store>, n: usize, per_commit: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<anyhow::Result<ChangeSet>>(4);
    let numbers = store.clone();
    let builder = tokio::spawn(async move {
        let actor = Actor::System {
            job: "bench.fill".into(),
        };
        let now = Timestamp::now();
        for start in (0..n).step_by(per_commit.max(1)) {
            let mut cs = ChangeSet::default();
            for i in start..(start + per_commit).min(n) {
                let built = async {
                    let (input, status) = new_order(i, now)?;
                    let number = numbers.next_order_number().await?;
                    let mut order = build_order(&input, sku, number, now, Rounding::Down)
                        .map_err(|e| anyhow::anyhow!("fill order {i}: {e:?}"))?;
                    order.status = status;
                    let ev = Event::new(
                        "order.received",
                        &actor,
                        order.ordered_at,
                        json!({"number": number, "total": order.totals.total}),
                    );
                    anyhow::Ok((order, ev))
                }
                .await;
                match built {
                    Ok((order, ev)) => {
                        cs.events.push((order.id, ev));
                        cs.orders.push(OrderWrite {
                            order,
                            expected_version: None,
                        });
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
            if tx.send(Ok(cs)).await.is_err() {
                return;
            }
        }
    });
    let mut done = 0usize;
    let mut shown = Instant::now();
    while let Some(cs) = rx.recv().await {
        let cs = cs?;
        done += cs.orders.len();
        store.commit(cs).await?;
        if shown.elapsed().as_secs() >= 10 {
            shown = Instant::now();
            println!(
                "  filled {done} of {n} ({:.0} orders/s)",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    builder.await?;
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
