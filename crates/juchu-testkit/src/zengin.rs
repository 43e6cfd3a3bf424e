//! Zengin statement files as a bank writes them, for tests of the statement import.

use juchu_app::zengin_write::{self, Layout};

/// A statement of account `0310-101-{number}` with deposits `(inquiry number, amount, payer kana)`
/// on 2025-04-01: records separated by CRLF or not, Shift_JIS or UTF-8.
pub fn zengin_statement(
    layout: Layout,
    number: i64,
    deps: &[(i64, i64, &str)],
    crlf: bool,
    sjis: bool,
) -> Vec<u8> {
    let acc = zengin_write::Account {
        bank: "0310".into(),
        bank_name: "GMOｱｵｿﾞﾗ".into(),
        branch: "101".into(),
        branch_name: "ﾎｳｼﾞﾝ".into(),
        number,
        holder: "ｶ)ｼﾞﾕﾁﾕｳ".into(),
    };
    let deps: Vec<_> = deps
        .iter()
        .map(|&(inquiry, amount, payer)| zengin_write::Deposit {
            inquiry,
            date: jiff::civil::date(2025, 4, 1),
            amount,
            payer: payer.into(),
        })
        .collect();
    zengin_write::write(
        layout,
        &acc,
        &deps,
        jiff::civil::date(2025, 4, 2),
        crlf,
        sjis,
    )
    .unwrap()
}
