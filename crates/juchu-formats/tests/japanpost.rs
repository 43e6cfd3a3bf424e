//! Japan Post files: ゆうプリR and Click Post exports byte for byte (Shift_JIS, CRLF) and the
//! ゆうプリR 発送履歴 file coming back. Regenerate the golden files after a deliberate layout change
//! with `UPDATE_GOLDEN=1 cargo nextest run -p juchu-formats` and review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::date;
use juchu_formats::{
    CarrierConfig, Cod, FormatError, LabelRow, Recipient, decode_text, encode_cp932,
    parse_yupri_history, write_clickpost, write_yupri,
};
use std::path::PathBuf;

fn config() -> CarrierConfig {
    let mut c = CarrierConfig::default();
    c.shipper.name = "株式会社ジュチュウ商店".into();
    c.shipper.phone = "03-1234-5678".into();
    c.shipper.postal_code = "1500001".into();
    c.shipper.address = "東京都渋谷区神宮前1-2-3".into();
    c.shipper.building = "ジュチュウビル5F".into();
    c
}

fn row(key: &str, order: &str) -> LabelRow {
    LabelRow {
        key: key.into(),
        order_ref: order.into(),
        ship_date: date(2026, 11, 26),
        delivery_date: None,
        time_slot: None,
        to: Recipient {
            name: "山田 太郎".into(),
            phone: "090-1111-2222".into(),
            postal_code: "100-0001".into(),
            address: "東京都千代田区千代田1-1".into(),
            building: String::new(),
        },
        item_name: "今治タオル〜ギフトセット（箱入り）".into(),
        cod: None,
    }
}

fn long_address(mut r: LabelRow) -> LabelRow {
    r.to.name = "髙橋 花子".into();
    r.to.postal_code = "5300001".into();
    r.to.address = "大阪府大阪市北区梅田三丁目四番五号グランドフロント北館タワー".into();
    r.to.building = "１２０３号室".into();
    r
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

fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
    decode_text(bytes)
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split("\",\"")
                .map(|s| s.trim_matches('"').to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn clickpost_golden_and_lines_of_20() {
    let rows = vec![
        row("0190c0de00007000800000000000b001", "2001"),
        long_address(row("0190c0de00007000800000000000b002", "2002")),
    ];
    let bytes = write_clickpost(&rows).unwrap();
    check("japanpost_clickpost.csv", &bytes);
    let c = cells(&bytes);
    assert_eq!(c[0][0], "お届け先郵便番号");
    assert_eq!(c[1].len(), 8);
    assert_eq!(c[1][0], "1000001");
    assert_eq!(c[2][3], "大阪府大阪市北区梅田三丁目四番五号グラン");
    assert_eq!(c[2][4], "ドフロント北館タワー　１２０３号室");
    // 内容品 is cut at 15 全角.
    assert_eq!(c[1][7], "今治タオル～ギフトセット（箱入");
}

#[test]
fn clickpost_refuses_cod_time_slots_and_big_files() {
    let mut r = row("k1", "2003");
    r.cod = Some(Cod {
        amount: 1000,
        tax: 90,
    });
    let err = write_clickpost(&[r]).unwrap_err();
    assert!(
        matches!(&err, FormatError::Field { order, .. } if order == "2003"),
        "{err}"
    );
    let mut r = row("k2", "2004");
    r.time_slot = Some("1416".into());
    assert!(
        write_clickpost(&[r])
            .unwrap_err()
            .to_string()
            .contains("2004")
    );
    let many: Vec<LabelRow> = (0..41).map(|i| row(&format!("k{i}"), "1")).collect();
    assert!(
        write_clickpost(&many)
            .unwrap_err()
            .to_string()
            .contains("at most 40")
    );
}

#[test]
fn yupri_golden_with_cod_and_time_slot() {
    let mut cod = long_address(row("0190c0de00007000800000000000c002", "3002"));
    cod.delivery_date = Some(date(2026, 11, 28));
    cod.time_slot = Some("1416".into());
    cod.cod = Some(Cod {
        amount: 4860,
        tax: 360,
    });
    let rows = vec![row("0190c0de00007000800000000000c001", "3001"), cod];
    let bytes = write_yupri(&config(), &rows).unwrap();
    check("japanpost_yupri.csv", &bytes);
    let c = cells(&bytes);
    assert_eq!(c.len(), 2, "no header line");
    assert_eq!(c[0].len(), 24);
    assert_eq!(c[0][3], "0");
    assert_eq!(c[0][20], "00");
    assert_eq!(c[1][3], "2");
    assert_eq!((c[1][19].as_str(), c[1][20].as_str()), ("20261128", "53"));
    assert_eq!((c[1][21].as_str(), c[1][22].as_str()), ("4860", "360"));
    let mut unknown = row("k", "3003");
    unknown.time_slot = Some("0709".into());
    let err = write_yupri(&config(), &[unknown]).unwrap_err();
    assert!(err.to_string().contains("0709"), "{err}");
}

#[test]
fn yupri_history_rows_in_shift_jis() {
    let text = "お客様側管理番号,お問い合わせ番号,仮引受確定作業年月日,配送完了作業年月日,配達ステータス集約コード,配達ステータス明細コード\r\n\
        0190c0de00007000800000000000c001,405548424886,2026/11/26,2026/11/27,31,3101\r\n\
        0190c0de00007000800000000000c002,405548424886,20261126,,21,2101\r\n\
        ,405548424886,2026/11/26,,21,2101\r\n\
        k4,405548424886,2026/13/40,,21,2101\r\n";
    let rows = parse_yupri_history(&encode_cp932(text).unwrap()).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].row, 2);
    assert_eq!(rows[0].accepted_on, Some(date(2026, 11, 26)));
    assert_eq!(rows[0].delivered_on, Some(date(2026, 11, 27)));
    assert_eq!(rows[1].delivered_on, None);
    assert!(rows[1].error.is_none());
    assert!(rows[2].error.as_deref().unwrap().contains("column 1"));
    assert!(rows[3].error.as_deref().unwrap().contains("2026/13/40"));
    let err = parse_yupri_history(b"shipment_id,carrier\r\n").unwrap_err();
    assert!(err.to_string().contains("発送履歴"), "{err}");
}
