//! Golden files: the exact bytes (Shift_JIS, CRLF) of each carrier export for small fixtures.
//! Regenerate after a deliberate layout change with `UPDATE_GOLDEN=1 cargo nextest run -p juchu-formats`
//! and review the diff (`iconv -f CP932 -t UTF-8`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::date;
use juchu_formats::{
    CarrierConfig, Cod, FormatError, LabelRow, Recipient, TrackingFormat, parse_tracking, write_b2,
    write_ehiden,
};
use std::path::PathBuf;

fn config() -> CarrierConfig {
    let mut c = CarrierConfig::default();
    c.shipper.name = "株式会社ジュチュウ商店".into();
    c.shipper.phone = "03-1234-5678".into();
    c.shipper.postal_code = "1500001".into();
    c.shipper.address = "東京都渋谷区神宮前1-2-3".into();
    c.shipper.building = "ジュチュウビル5F".into();
    c.yamato.customer_code = "012345678901".into();
    c.yamato.freight_code = "01".into();
    c.sagawa.customer_code = "123456789012".into();
    c
}

fn rows() -> Vec<LabelRow> {
    vec![
        LabelRow {
            key: "0190c0de00007000800000000000a001".into(),
            order_ref: "1001".into(),
            ship_date: date(2026, 11, 26),
            delivery_date: None,
            time_slot: None,
            to: Recipient {
                name: "山田 太郎".into(),
                phone: "090-1111-2222".into(),
                postal_code: "1000001".into(),
                address: "東京都千代田区千代田1-1".into(),
                building: String::new(),
            },
            item_name: "今治タオル〜ギフト".into(),
            cod: None,
        },
        LabelRow {
            key: "0190c0de00007000800000000000a002".into(),
            order_ref: "1002".into(),
            ship_date: date(2026, 11, 26),
            delivery_date: Some(date(2026, 11, 28)),
            time_slot: Some("1416".into()),
            to: Recipient {
                name: "髙橋 花子".into(),
                phone: "0312345678".into(),
                postal_code: "530-0001".into(),
                address: "大阪府大阪市北区梅田三丁目四番五号グランドフロント北館タワー".into(),
                building: "１２０３号室".into(),
            },
            item_name: "緑茶".into(),
            cod: Some(Cod {
                amount: 4860,
                tax: 360,
            }),
        },
    ]
}

fn check(name: &str, bytes: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, bytes).unwrap();
    }
    let want = std::fs::read(&path).unwrap();
    assert!(want == bytes, "{name} differs from the golden file");
}

#[test]
fn yamato_b2_golden() {
    let bytes = write_b2(&config(), &rows()).unwrap();
    check("yamato_b2.csv", &bytes);
    assert!(bytes.ends_with(b"\r\n"));
}

#[test]
fn sagawa_ehiden_golden() {
    let bytes = write_ehiden(&config(), &rows()).unwrap();
    check("sagawa_ehiden.csv", &bytes);
}

#[test]
fn b2_rows_have_95_columns_and_the_key_comes_back() {
    let bytes = write_b2(&config(), &rows()).unwrap();
    let mut issued = Vec::new();
    let text = juchu_formats::decode_text(&bytes).unwrap();
    for (i, line) in text.split("\r\n").filter(|l| !l.is_empty()).enumerate() {
        let mut cols: Vec<String> = line
            .split("\",\"")
            .map(|s| s.trim_matches('"').to_owned())
            .collect();
        assert_eq!(cols.len(), 95, "{line}");
        if i > 0 {
            cols[3] = ["444413758703", "512547514334"][i - 1].into();
        }
        issued.push(cols.join(","));
    }
    let rows = parse_tracking(TrackingFormat::YamatoB2, issued.join("\r\n").as_bytes()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].key, "0190c0de00007000800000000000a001");
    assert_eq!(rows[1].tracking_number, "512547514334");
}

#[test]
fn characters_shift_jis_cannot_carry_name_the_order_and_field() {
    let mut r = rows();
    r[1].to.name = "Zoë 🍵".into();
    let err = write_b2(&config(), &r).unwrap_err();
    assert!(
        matches!(&err, FormatError::Field { order, field, .. } if order == "1002" && *field == "お届け先名"),
        "{err}"
    );
    let mut r = rows();
    r[0].to.address = "東京都".repeat(20);
    let err = write_ehiden(&config(), &r).unwrap_err();
    assert!(err.to_string().contains("1001"), "{err}");
}

#[test]
fn ehiden_splits_long_addresses_into_16_character_lines() {
    let bytes = write_ehiden(&config(), &rows()).unwrap();
    let text = juchu_formats::decode_text(&bytes).unwrap();
    let line = text.split("\r\n").nth(2).unwrap();
    let cols: Vec<&str> = line.split("\",\"").collect();
    assert_eq!(cols.len(), 74);
    assert_eq!(cols[4], "大阪府大阪市北区梅田三丁目四番五");
    assert_eq!(cols[5], "号グランドフロント北館タワー　１");
    assert_eq!(cols[6], "２０３号室");
}
