//! `juchu demo`: a fresh sample shop — warehouses, SKUs with real-looking Japanese product names,
//! stock, and about 200 orders spread over every status — served on the embedded default.

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use juchu_app::{
    App, AppError, NewSku, NewWarehouse, StockAdjustment, SystemClock, Worker, WorkerOptions,
};
use juchu_domain::carrier::Carrier;
use juchu_domain::intake::{NewLine, NewOrder, NewPayment};
use juchu_domain::payment::PaymentMethod;
use juchu_domain::policy::Policies;
use juchu_domain::{Actor, Address, Customer, Role, TaxRate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

#[derive(clap::Args)]
pub struct DemoArgs {
    #[arg(long, env = "JUCHU_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The sample database; it is deleted and created anew.
    #[arg(long, default_value = "juchu-demo.db")]
    file: String,
    /// How many orders to create.
    #[arg(long, default_value_t = 200)]
    orders: usize,
    /// Seed the data and exit without serving.
    #[arg(long)]
    seed_only: bool,
}

const WAREHOUSES: [(&str, &str, i32, &[&str]); 2] = [
    (
        "TKY",
        "東京倉庫（江東区）",
        1,
        &[
            "東京都",
            "神奈川県",
            "埼玉県",
            "千葉県",
            "茨城県",
            "栃木県",
            "群馬県",
        ],
    ),
    (
        "OSK",
        "大阪倉庫（住之江区）",
        2,
        &["大阪府", "京都府", "兵庫県", "奈良県", "滋賀県", "和歌山県"],
    ),
];

/// (code, name, tax rate, price, stock in TKY, stock in OSK)
const SKUS: [(&str, &str, u8, i64, i64, i64); 12] = [
    (
        "TEA-SENCHA-100",
        "静岡県産 深蒸し煎茶 100g",
        8,
        1_080,
        400,
        200,
    ),
    ("TEA-MATCHA-30", "宇治抹茶 薄茶用 30g缶", 8, 2_160, 150, 100),
    ("RICE-KOSHI-5", "新潟県産コシヒカリ 5kg", 8, 3_780, 120, 80),
    ("MISO-AKA-750", "仙台赤味噌 750g", 8, 864, 300, 0),
    (
        "KNIFE-SANTOKU",
        "堺打刃物 三徳包丁 165mm",
        10,
        12_100,
        20,
        15,
    ),
    (
        "TOWEL-IMABARI",
        "今治タオル フェイスタオル 2枚組",
        10,
        2_420,
        250,
        150,
    ),
    ("CUP-HASAMI", "波佐見焼 マグカップ 藍", 10, 1_980, 90, 60),
    ("FURO-SHIKI", "風呂敷 二巾 綿 唐草", 10, 1_650, 60, 60),
    ("BENTO-MAGE", "大館曲げわっぱ 弁当箱 一段", 10, 8_800, 25, 0),
    ("CHOPSTICK-WAK", "若狭塗 箸 夫婦箸セット", 10, 4_400, 40, 30),
    ("SOY-KIOKE-500", "木桶仕込み醤油 500ml", 8, 1_296, 200, 100),
    ("TENUGUI-SAKURA", "注染手ぬぐい 桜", 10, 1_100, 5, 0),
];

const CUSTOMERS: [(&str, &str, &str, &str, &str, &str, &str); 10] = [
    (
        "佐藤 花子",
        "サトウ ハナコ",
        "hanako.sato@example.jp",
        "090-1234-5678",
        "1500001",
        "東京都",
        "渋谷区神宮前",
    ),
    (
        "鈴木 一郎",
        "スズキ イチロウ",
        "ichiro.suzuki@example.jp",
        "080-2345-6789",
        "5300001",
        "大阪府",
        "大阪市北区梅田",
    ),
    (
        "高橋 美咲",
        "タカハシ ミサキ",
        "misaki.t@example.jp",
        "070-3456-7890",
        "2200012",
        "神奈川県",
        "横浜市西区みなとみらい",
    ),
    (
        "田中 健太",
        "タナカ ケンタ",
        "kenta.tanaka@example.jp",
        "090-4567-8901",
        "4600008",
        "愛知県",
        "名古屋市中区栄",
    ),
    (
        "伊藤 さくら",
        "イトウ サクラ",
        "sakura.ito@example.jp",
        "080-5678-9012",
        "8100001",
        "福岡県",
        "福岡市中央区天神",
    ),
    (
        "渡辺 大輔",
        "ワタナベ ダイスケ",
        "daisuke.w@example.jp",
        "070-6789-0123",
        "0600001",
        "北海道",
        "札幌市中央区北一条西",
    ),
    (
        "山本 由美",
        "ヤマモト ユミ",
        "yumi.yamamoto+decline@example.jp",
        "090-7890-1234",
        "6008001",
        "京都府",
        "京都市下京区",
    ),
    (
        "中村 翔",
        "ナカムラ ショウ",
        "sho.nakamura@example.jp",
        "080-8901-2345",
        "9800001",
        "宮城県",
        "仙台市青葉区中央",
    ),
    (
        "小林 愛",
        "コバヤシ アイ",
        "ai.kobayashi@example.jp",
        "070-9012-3456",
        "9000001",
        "沖縄県",
        "那覇市港町",
    ),
    (
        "加藤 悠人",
        "カトウ ユウト",
        "yuto.kato@example.jp",
        "090-0123-4567",
        "7300011",
        "広島県",
        "広島市中区基町",
    ),
];

fn tax(rate: u8) -> TaxRate {
    if rate == 8 {
        TaxRate::Reduced8
    } else {
        TaxRate::Standard10
    }
}

/// A 12-digit Yamato-style tracking number with its mod-7 check digit.
fn tracking_number(rng: &mut StdRng) -> String {
    let body: u64 = rng.random_range(10_000_000_000..99_999_999_999);
    format!("{body}{}", body % 7)
}

fn sample_order(i: usize, rng: &mut StdRng, now: Timestamp) -> NewOrder {
    let c = CUSTOMERS[i % CUSTOMERS.len()];
    let n_lines = rng.random_range(1..=3);
    let lines = (0..n_lines)
        .map(|_| {
            let s = SKUS[rng.random_range(0..SKUS.len())];
            NewLine {
                sku: s.0.to_owned(),
                quantity: rng.random_range(1..=3),
                unit_price: s.3,
            }
        })
        .collect();
    let method = match i % 10 {
        0 | 5 => PaymentMethod::Cod,
        1 => PaymentMethod::BankTransfer,
        2 => PaymentMethod::Deferred,
        3 => PaymentMethod::AmazonPay,
        _ => PaymentMethod::CreditCard,
    };
    let token = match i % 37 {
        7 => "tok_declined",
        11 => "tok_fraud",
        _ => "tok_visa_4242",
    };
    let address = Address {
        name: c.0.to_owned(),
        postal_code: c.4.to_owned(),
        prefecture: c.5.to_owned(),
        city: c.6.to_owned(),
        line1: format!("{}-{}-{}", 1 + i % 5, 1 + i % 9, 1 + i % 20),
        line2: i
            .is_multiple_of(3)
            .then(|| "グランドメゾン 101号室".to_owned()),
        phone: Some(c.3.to_owned()),
    };
    NewOrder {
        channel: if i.is_multiple_of(4) {
            "rakuten".into()
        } else {
            "web".into()
        },
        external_id: format!("DEMO-{:05}", i + 1),
        ordered_at: Some(now - SignedDuration::from_mins(10 * (300 - i as i64))),
        customer: Customer {
            id: Some(format!("C{:04}", i % CUSTOMERS.len() + 1)),
            name: c.0.into(),
            kana: Some(c.1.into()),
            email: c.2.into(),
            phone: Some(c.3.into()),
            locale: "ja".into(),
        },
        shipping_address: address,
        billing_address: None,
        lines,
        shipping_fee: Some(if i.is_multiple_of(2) { 550 } else { 0 }),
        fees: if method == PaymentMethod::Cod {
            vec![juchu_domain::Fee {
                kind: "cod".into(),
                amount: juchu_domain::Money::yen(330),
            }]
        } else {
            vec![]
        },
        discount: None,
        points_used: None,
        payment: NewPayment {
            method,
            card_token: (method == PaymentMethod::CreditCard).then(|| token.to_owned()),
            authorization_id: None,
            charge_permission_id: (method == PaymentMethod::AmazonPay)
                .then(|| format!("S01-{:07}-{:07}", i, i * 7)),
        },
        delivery: i.is_multiple_of(6).then(|| juchu_domain::Delivery {
            date: None,
            time_slot: Some("1416".into()),
        }),
        notes: i
            .is_multiple_of(15)
            .then(|| "ギフト包装をお願いします。".to_owned()),
    }
}

async fn drain(app: &App) -> anyhow::Result<()> {
    let w = Worker::new(
        app.clone(),
        WorkerOptions {
            id: "demo-seed".into(),
            ..WorkerOptions::default()
        },
    );
    while w.run_once().await.map_err(err)? > 0 {}
    Ok(())
}

fn err(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// Fills `app` with the sample shop and returns an admin secret.
pub async fn seed(app: &App, orders: usize) -> anyhow::Result<String> {
    let op = Actor::system("demo");
    for (code, name, priority, prefs) in WAREHOUSES {
        app.put_warehouse(
            code,
            NewWarehouse {
                name: name.into(),
                priority,
                prefectures: prefs.iter().map(|p| (*p).to_owned()).collect(),
            },
        )
        .await
        .map_err(err)?;
    }
    for (code, name, rate, _, tky, osk) in SKUS {
        app.put_sku(
            code,
            NewSku {
                name: name.into(),
                tax_rate: tax(rate),
                supplier: Some("山田商店".into()),
                drop_ship: false,
                lead_time_days: Some(3),
            },
        )
        .await
        .map_err(err)?;
        for (wh, qty) in [("TKY", tky), ("OSK", osk)] {
            if qty > 0 {
                app.adjust_stock(
                    StockAdjustment {
                        warehouse: wh.into(),
                        sku: code.into(),
                        delta: qty,
                        reason: "初期在庫 / opening stock".into(),
                    },
                    "demo",
                )
                .await
                .map_err(err)?;
            }
        }
    }
    let mut rng = StdRng::seed_from_u64(20261126);
    let now = app.now();
    let mut ids = Vec::new();
    for i in 0..orders {
        let o = app
            .place_order(&sample_order(i, &mut rng, now), &op)
            .await
            .map_err(err)?;
        ids.push(o.id);
    }
    drain(app).await?;
    // Some customers change their minds.
    for id in ids.iter().step_by(23) {
        let _ = app
            .cancel_order(*id, "お客様都合によるキャンセル", None, &op)
            .await;
    }
    // Ship about 70% of what is instructed, deliver most of that; older deliveries get recognised.
    let result = app.instruct_shipping(None, None, &op).await.map_err(err)?;
    let shipments: Vec<_> = result
        .batches
        .iter()
        .flat_map(|b| b.shipments.iter().map(|s| (s.id, s.order_id)))
        .collect();
    for (k, (sid, order_id)) in shipments.iter().enumerate() {
        if k % 10 == 9 {
            // A late change of mind: after instruction the cancel waits for the warehouse.
            let _ = app
                .cancel_order(*order_id, "出荷指示後のキャンセル依頼", None, &op)
                .await;
        }
        if k % 10 < 7 {
            let shipped_at = now - SignedDuration::from_hours(72);
            app.ship(
                *sid,
                Carrier::Yamato,
                &tracking_number(&mut rng),
                Some(shipped_at),
                None,
                &op,
            )
            .await
            .map_err(err)?;
            if k % 10 < 5 {
                let when = if k % 2 == 0 {
                    now - SignedDuration::from_hours(48)
                } else {
                    now
                };
                app.deliver(*sid, Some(when), None, &op)
                    .await
                    .map_err(err)?;
            }
        }
    }
    drain(app).await?;
    let key = app
        .create_api_key("demo admin", Role::Admin)
        .await
        .map_err(err)?;
    Ok(key.secret)
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", args.file));
    }
    let url = format!("sqlite://{}", args.file);
    let store = crate::open_store(&url)
        .await
        .with_context(|| format!("creating {url}"))?;
    // Revenue one day after delivery, so the sample shows both 着荷済 and 計上済.
    let policies = Policies {
        recognition_delay_days: 1,
        ..Policies::default()
    };
    let app = App::new(store, Arc::new(SystemClock), policies);
    let secret = seed(&app, args.orders).await?;
    // A console user to sign in with, with a new random password each demo.
    let console_password = format!("demo-{:016x}", rand::rng().random::<u64>());
    app.create_user("demo@example.jp", &console_password, Role::Admin)
        .await
        .map_err(err)?;
    let counts = app.order_counts().await.map_err(err)?;
    println!("sample shop ready in {}:", args.file);
    for (status, n) in counts {
        println!("  {:<20} {:>4}  {}", status.as_str(), n, status.label_ja());
    }
    if args.seed_only {
        println!("admin token: {secret}");
        println!("console login: demo@example.jp / {console_password}");
        return Ok(());
    }
    // The seeded history used the in-process rules; from now on payments go to the sandbox
    // providers over HTTP, as they would to real ones.
    let sandbox = juchu_sandbox::Sandbox::start(juchu_sandbox::SandboxConfig::default()).await?;
    let providers = juchu_providers::Providers::new(
        &juchu_providers::ProvidersConfig::for_sandbox(&sandbox.url()),
    )
    .map_err(|e| anyhow::anyhow!("sandbox providers: {e}"))?;
    let app = app.with_providers(providers);
    let handle = crate::server::start(app, &args.listen, true).await?;
    println!();
    println!("juchu demo is running at {}", handle.url());
    println!("  API docs:    {}/api/docs", handle.url());
    println!(
        "  sandbox:     {} (card, 後払い, Amazon Pay, bank; docs/sandbox.md)",
        sandbox.url()
    );
    println!("  admin token: {secret}");
    println!(
        "  console:     {} (demo@example.jp / {console_password})",
        handle.url()
    );
    println!(
        "  try:         curl -H 'Authorization: Bearer {secret}' {}/api/v1/orders/counts",
        handle.url()
    );
    println!("Ctrl-C stops it.");
    crate::server::shutdown_signal().await;
    handle.stop().await;
    sandbox.stop().await;
    Ok(())
}
