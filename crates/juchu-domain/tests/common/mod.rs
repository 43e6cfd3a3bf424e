//! Shared generators for the property tests: valid orders built through `intake::build_order`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use juchu_domain::intake::{NewLine, NewOrder, NewPayment, SkuInfo, build_order};
use juchu_domain::payment::PaymentMethod;
use juchu_domain::{Address, Customer, Fee, Order, Rounding, TaxRate};
use proptest::prelude::*;

/// The catalogue: four SKUs, two at each rate.
pub const SKUS: [(&str, TaxRate); 4] = [
    ("TEA-1", TaxRate::Reduced8),
    ("RICE-5", TaxRate::Reduced8),
    ("MUG-2", TaxRate::Standard10),
    ("BAG-9", TaxRate::Standard10),
];

pub const WAREHOUSES: [&str; 3] = ["WH-EAST", "WH-WEST", "WH-KYUSHU"];

pub const PREFS: [&str; 4] = ["東京都", "大阪府", "福岡県", "北海道"];

pub const METHODS: [PaymentMethod; 5] = [
    PaymentMethod::CreditCard,
    PaymentMethod::BankTransfer,
    PaymentMethod::Deferred,
    PaymentMethod::AmazonPay,
    PaymentMethod::Cod,
];

/// Few enough cases to run in well under a second in debug; no regression files are written.
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

pub fn sku_info(code: &str) -> Option<SkuInfo> {
    SKUS.iter().find(|(c, _)| *c == code).map(|(c, r)| SkuInfo {
        name: format!("商品 {c}"),
        tax_rate: *r,
    })
}

pub fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_735_689_600 + second).unwrap()
}

/// The parts of a request the tests vary.
#[derive(Debug, Clone)]
pub struct OrderSpec {
    /// (sku index, quantity, unit price)
    pub lines: Vec<(usize, i64, i64)>,
    pub shipping_fee: i64,
    pub fees: Vec<i64>,
    /// Per mille of the items amount.
    pub discount_permille: i64,
    /// Per mille of what is left after the discount.
    pub points_permille: i64,
    pub method: PaymentMethod,
    pub prefecture: usize,
}

pub fn order_spec(max_qty: i64) -> impl Strategy<Value = OrderSpec> {
    (
        prop::collection::vec((0..SKUS.len(), 1..=max_qty, 1..=1_000_000i64), 1..=5),
        0..=2_000i64,
        prop::collection::vec(0..=1_000i64, 0..=2),
        prop_oneof![Just(0i64), 0..=1_000i64],
        prop_oneof![Just(0i64), 0..=1_000i64],
        prop::sample::select(METHODS.to_vec()),
        0..PREFS.len(),
    )
        .prop_map(
            |(
                lines,
                shipping_fee,
                fees,
                discount_permille,
                points_permille,
                method,
                prefecture,
            )| {
                OrderSpec {
                    lines,
                    shipping_fee,
                    fees,
                    discount_permille,
                    points_permille,
                    method,
                    prefecture,
                }
            },
        )
}

/// Builds the order through intake; the spec is always valid, so this never fails.
pub fn build(spec: &OrderSpec) -> Order {
    let items: i64 = spec.lines.iter().map(|(_, q, p)| q * p).sum();
    let fees: i64 = spec.fees.iter().sum();
    let discount = items * spec.discount_permille / 1000;
    let points = (items + spec.shipping_fee + fees - discount) * spec.points_permille / 1000;
    let address = Address {
        name: "山田 太郎".into(),
        postal_code: "100-0001".into(),
        prefecture: PREFS[spec.prefecture].into(),
        city: "千代田区".into(),
        line1: "千代田1-1".into(),
        line2: None,
        phone: Some("03-1234-5678".into()),
    };
    let input = NewOrder {
        channel: "storefront".into(),
        external_id: "EXT-1".into(),
        ordered_at: None,
        customer: Customer {
            id: None,
            name: "山田 太郎".into(),
            kana: Some("ヤマダ タロウ".into()),
            email: "taro@example.jp".into(),
            phone: None,
            locale: "ja".into(),
        },
        shipping_address: address,
        billing_address: None,
        lines: spec
            .lines
            .iter()
            .map(|(s, q, p)| NewLine {
                sku: SKUS[*s].0.into(),
                quantity: *q,
                unit_price: *p,
            })
            .collect(),
        shipping_fee: Some(spec.shipping_fee),
        fees: spec
            .fees
            .iter()
            .map(|f| Fee {
                kind: "gift_wrap".into(),
                amount: juchu_domain::Money::yen(*f),
            })
            .collect(),
        discount: Some(discount),
        points_used: Some(points),
        payment: NewPayment {
            method: spec.method,
            card_token: Some("tok_1".into()),
            authorization_id: None,
            charge_permission_id: Some("chp_1".into()),
        },
        delivery: None,
        notes: None,
    };
    build_order(&input, sku_info, 1, at(0), Rounding::Down)
        .unwrap_or_else(|e| panic!("a valid spec was refused: {e:?}"))
}
