//! What each fuzz target runs. A target must never panic, whatever the bytes: a parser answers
//! with rows or a clear error. Beyond "no panic", each function checks what the parser promises
//! (a row without an error has its key and tracking number, a deposit has a real date, …), so a
//! fuzzer finds wrong answers as well as crashes.

mod journal;
mod labels;
mod text;

pub use journal::journal_roundtrip;
pub use labels::label_files;

use juchu_domain::intake::{NewOrder, SkuInfo, build_order};
use juchu_domain::{Rounding, TaxRate, limits};
use juchu_formats::{TrackingFormat, parse_tracking};

/// A Zengin statement (`POST /api/v1/bank/statements`, `juchu import bank-statement`).
pub fn zengin(data: &[u8]) {
    let Ok(deposits) = juchu_formats::zengin_read::parse(data) else {
        return;
    };
    for d in deposits {
        assert!(d.amount >= 0, "negative deposit {d:?}");
        assert!(
            d.value_date.parse::<jiff::civil::Date>().is_ok(),
            "{d:?}: value date"
        );
        assert_eq!(d.account.len(), "0310-101-1000001".len(), "{d:?}: account");
    }
}

fn tracking(format: TrackingFormat, data: &[u8]) {
    let Ok(rows) = parse_tracking(format, data) else {
        return;
    };
    let mut last = 0;
    for r in rows {
        assert!(r.row > last, "rows out of order: {} after {last}", r.row);
        last = r.row;
        if r.error.is_none() {
            assert!(!r.key.is_empty() && !r.tracking_number.is_empty(), "{r:?}");
        }
    }
}

/// Yamato B2 issued data (`tracking-import?format=yamato-b2`).
pub fn tracking_b2(data: &[u8]) {
    tracking(TrackingFormat::YamatoB2, data);
}

/// Sagawa e飛伝Ⅲ re-export (`format=sagawa-ehiden`).
pub fn tracking_ehiden(data: &[u8]) {
    tracking(TrackingFormat::SagawaEhiden, data);
}

/// The generic `shipment_id,carrier,tracking_number[,shipped_at]` file (`format=csv`).
pub fn tracking_csv(data: &[u8]) {
    tracking(TrackingFormat::Csv, data);
}

/// ゆうプリR 発送履歴 (`format=japanpost-history`).
pub fn tracking_yupri(data: &[u8]) {
    tracking(TrackingFormat::JapanPostHistory, data);
}

/// Japan Post's KEN_ALL (`juchu import postal-codes`).
pub fn ken_all(data: &[u8]) {
    let Ok(text) = juchu_formats::decode_text(data) else {
        return;
    };
    let Ok(rows) = juchu_formats::parse_ken_all(&text) else {
        return;
    };
    for r in rows {
        assert!(
            r.code.len() == 7 && r.code.bytes().all(|b| b.is_ascii_digit()),
            "{r:?}"
        );
    }
}

/// `POST /api/v1/orders`: the limits, the JSON into `NewOrder`, then intake's checks, as the API
/// runs them. An order that passes must add up and serialise.
pub fn order_json(data: &[u8]) {
    if limits::check_json(data).is_err() {
        return;
    }
    let Ok(input) = serde_json::from_slice::<NewOrder>(data) else {
        return;
    };
    let sku = |code: &str| {
        (!code.is_empty() && code.len() <= 64).then(|| SkuInfo {
            name: format!("商品 {code}"),
            tax_rate: if code.starts_with('F') {
                TaxRate::Reduced8
            } else {
                TaxRate::Standard10
            },
        })
    };
    let now = jiff::Timestamp::from_second(1_767_225_600).unwrap_or_default();
    match build_order(&input, sku, 1, now, Rounding::Down) {
        Err(errors) => assert!(!errors.is_empty()),
        Ok(order) => {
            let t = &order.totals;
            let total = t.items.minor() + t.shipping_fee.minor() + t.fees.minor()
                - t.discount.minor()
                - t.points_used.minor();
            assert_eq!(t.total.minor(), total, "{t:?}");
            assert!(total >= 0, "{t:?}");
            assert!(!order.lines.is_empty() && order.lines.len() <= limits::MAX_ORDER_LINES);
            let tax_base: i64 = t.tax.iter().map(|l| l.base.minor()).sum();
            assert!(
                t.tax.iter().all(|l| l.tax.minor() >= 0 && l.tax <= l.base),
                "{t:?}"
            );
            assert!(tax_base >= 0);
            assert!(serde_json::to_vec(&order).is_ok());
        }
    }
}
