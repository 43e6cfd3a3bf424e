#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::zengin_write::{Account, Deposit, Layout, write};

fn acc() -> Account {
    Account {
        bank: "0310".into(),
        bank_name: "GMOｱｵｿﾞﾗ".into(),
        branch: "101".into(),
        branch_name: "ﾎｳｼﾞﾝ".into(),
        number: 1_000_001,
        holder: "ｶ)ｼﾞﾕﾁﾕｳ".into(),
    }
}

fn deps() -> Vec<Deposit> {
    vec![
        Deposit {
            inquiry: 12,
            date: jiff::civil::date(2025, 4, 1),
            amount: 4500,
            payer: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
        },
        Deposit {
            inquiry: 13,
            date: jiff::civil::date(2025, 4, 2),
            amount: 1200,
            payer: "ｽｽﾞｷ ﾊﾅｺ".into(),
        },
    ]
}

#[test]
fn both_layouts_in_both_encodings_with_and_without_separators() {
    for layout in [Layout::Transfers01, Layout::Statement03] {
        for crlf in [true, false] {
            for sjis in [true, false] {
                let bytes = write(
                    layout,
                    &acc(),
                    &deps(),
                    jiff::civil::date(2025, 4, 3),
                    crlf,
                    sjis,
                )
                .unwrap();
                if sjis && !crlf {
                    assert_eq!(bytes.len(), 5 * 200);
                }
                let got = parse(&bytes).unwrap();
                assert_eq!(got.len(), 2, "{layout:?} crlf={crlf} sjis={sjis}");
                assert_eq!(got[0].account, "0310-101-1000001");
                assert_eq!(got[0].value_date, "2025-04-01");
                assert_eq!(got[0].amount, 4500);
                assert_eq!(got[0].payer_name.as_deref(), Some("ﾔﾏﾀﾞ ﾀﾛｳ"));
                assert_eq!(got[1].inquiry_number.trim_start_matches('0'), "13");
            }
        }
    }
}

#[test]
fn withdrawals_and_cancellations_are_not_deposits() {
    let mut bytes = write(
        Layout::Statement03,
        &acc(),
        &deps(),
        jiff::civil::date(2025, 4, 3),
        true,
        true,
    )
    .unwrap();
    // 入払区分 of the first data record (record 2, offset 21) → 2 出金.
    bytes[202 + 21] = b'2';
    assert_eq!(parse(&bytes).unwrap().len(), 1);
    let mut bytes = write(
        Layout::Transfers01,
        &acc(),
        &deps(),
        jiff::civil::date(2025, 4, 3),
        true,
        true,
    )
    .unwrap();
    bytes[202 + 127] = b'1';
    assert_eq!(parse(&bytes).unwrap().len(), 1);
}

#[test]
fn broken_files_name_the_record() {
    assert!(parse(b"").is_err());
    let e = parse("2".repeat(200).as_bytes()).unwrap_err();
    assert!(e.contains("record 1"), "{e}");
    let e = parse(format!("1{}", "07".repeat(100)).as_bytes()).unwrap_err();
    assert!(e.contains("record 1"), "{e}");
}
