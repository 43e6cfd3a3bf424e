//! Journal files, byte for byte: the expected text is written out by hand from FORMATS.md §7 and
//! compared with the Shift_JIS bytes the writers produce (decoded), and the bytes are checked to
//! be Shift_JIS with CRLF line ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::date;
use juchu_formats::{
    FormatError, JournalRow, Posting, decode_text, write_freee, write_moneyforward, write_yayoi,
};

fn p(account: &str, sub: &str, cat: &str, amount: i64, tax: Option<i64>) -> Posting {
    Posting {
        account: account.into(),
        sub_account: sub.into(),
        tax_category: cat.into(),
        amount,
        tax,
    }
}

/// FORMATS.md §7's example: ¥11,000 at 10% (of which shipping ¥550) + ¥1,080 at 8%, 100 points
/// used; then a one-line entry, and a return of the 8% goods.
fn entries() -> Vec<JournalRow> {
    vec![
        JournalRow {
            reference: "#1001".into(),
            date: date(2026, 11, 3),
            memo: "受注 #1001 山田 太郎".into(),
            debits: vec![
                p("売掛金", "クレジットカード", "対象外", 11_980, None),
                p("ポイント引当金", "", "対象外", 100, None),
            ],
            credits: vec![
                p("売上高", "", "課税売上10%", 10_450, Some(950)),
                p("売上高", "送料・手数料", "課税売上10%", 550, Some(50)),
                p("売上高", "", "課税売上8%(軽)", 1_080, Some(80)),
            ],
        },
        JournalRow {
            reference: "#1002".into(),
            date: date(2026, 11, 4),
            memo: "受注 #1002 佐藤 花子".into(),
            debits: vec![p("売掛金", "後払い", "対象外", 2_200, None)],
            credits: vec![p("売上高", "", "課税売上10%", 2_200, Some(200))],
        },
        JournalRow {
            reference: "#1001".into(),
            date: date(2026, 11, 20),
            memo: "返品 受注 #1001 山田 太郎".into(),
            debits: vec![p("売上高", "", "課税売上8%(軽)", 1_080, Some(80))],
            credits: vec![p("売掛金", "クレジットカード", "対象外", 1_080, None)],
        },
    ]
}

fn text(bytes: &[u8]) -> String {
    assert!(std::str::from_utf8(bytes).is_err(), "Shift_JIS, not UTF-8");
    let t = decode_text(bytes).unwrap();
    assert!(t.ends_with("\r\n"));
    assert_eq!(
        t.matches('\n').count(),
        t.matches("\r\n").count(),
        "CRLF only"
    );
    t
}

#[test]
fn yayoi_has_25_columns_no_header_and_the_multi_row_flags() {
    let t = text(&write_yayoi(&entries()).unwrap());
    let want = "\
2110,,,2026/11/03,売掛金,クレジットカード,,対象外,11980,,売上高,,,課税売上10%,10450,950,受注 #1001 山田 太郎,,,0,,,,,no\r
2100,,,2026/11/03,ポイント引当金,,,対象外,100,,売上高,送料・手数料,,課税売上10%,550,50,受注 #1001 山田 太郎,,,0,,,,,no\r
2101,,,2026/11/03,,,,,,,売上高,,,課税売上8%(軽),1080,80,受注 #1001 山田 太郎,,,0,,,,,no\r
2000,,,2026/11/04,売掛金,後払い,,対象外,2200,,売上高,,,課税売上10%,2200,200,受注 #1002 佐藤 花子,,,0,,,,,no\r
2000,,,2026/11/20,売上高,,,課税売上8%(軽),1080,80,売掛金,クレジットカード,,対象外,1080,,返品 受注 #1001 山田 太郎,,,0,,,,,no\r
";
    assert_eq!(t, want);
    assert!(t.lines().all(|l| l.split(',').count() == 25));
}

#[test]
fn moneyforward_groups_rows_by_torihiki_no() {
    let t = text(&write_moneyforward(&entries()).unwrap());
    let mut lines = t.lines();
    assert_eq!(
        lines.next().unwrap(),
        "取引No,取引日,借方勘定科目,借方補助科目,借方部門,借方取引先,借方税区分,借方インボイス,借方金額(円),借方税額,貸方勘定科目,貸方補助科目,貸方部門,貸方取引先,貸方税区分,貸方インボイス,貸方金額(円),貸方税額,摘要,仕訳メモ,タグ,MF仕訳タイプ,決算整理仕訳,作成日時,作成者,最終更新日時,最終更新者"
    );
    let rest: Vec<&str> = lines.collect();
    assert_eq!(
        rest,
        vec![
            "1,2026/11/03,売掛金,クレジットカード,,,対象外,,11980,,売上高,,,,課税売上10%,,10450,950,受注 #1001 山田 太郎,,,,,,,,",
            "1,2026/11/03,ポイント引当金,,,,対象外,,100,,売上高,送料・手数料,,,課税売上10%,,550,50,受注 #1001 山田 太郎,,,,,,,,",
            "1,2026/11/03,,,,,,,,,売上高,,,,課税売上8%(軽),,1080,80,受注 #1001 山田 太郎,,,,,,,,",
            "2,2026/11/04,売掛金,後払い,,,対象外,,2200,,売上高,,,,課税売上10%,,2200,200,受注 #1002 佐藤 花子,,,,,,,,",
            "3,2026/11/20,売上高,,,,課税売上8%(軽),,1080,80,売掛金,クレジットカード,,,対象外,,1080,,返品 受注 #1001 山田 太郎,,,,,,,,",
        ]
    );
}

#[test]
fn freee_writes_one_income_transaction_per_entry_with_signed_details() {
    let t = text(&write_freee(&entries(), "売掛金").unwrap());
    let want = "\
収支区分,管理番号,発生日,決済期日,取引先,勘定科目,税区分,金額,税計算区分,税額,備考,品目,部門,メモタグ,セグメント1,セグメント2,セグメント3,決済日,決済口座,決済金額\r
収入,#1001,2026/11/03,,クレジットカード,売上高,課税売上10%,10450,内税,950,受注 #1001 山田 太郎,,,,,,,,,\r
,,,,,売上高,課税売上10%,550,内税,50,,送料・手数料,,,,,,,,\r
,,,,,売上高,課税売上8%(軽),1080,内税,80,,,,,,,,,,\r
,,,,,ポイント引当金,対象外,-100,内税,,,,,,,,,,,\r
収入,#1002,2026/11/04,,後払い,売上高,課税売上10%,2200,内税,200,受注 #1002 佐藤 花子,,,,,,,,,\r
収入,#1001,2026/11/20,,クレジットカード,売上高,課税売上8%(軽),-1080,内税,-80,返品 受注 #1001 山田 太郎,,,,,,,,,\r
";
    assert_eq!(t, want);
}

#[test]
fn a_character_shift_jis_cannot_carry_names_the_entry() {
    let mut e = entries();
    e[1].memo = "受注 #1002 佐藤 花子 😀".into();
    match write_yayoi(&e) {
        Err(FormatError::Field { order, message, .. }) => {
            assert_eq!(order, "#1002");
            assert!(message.contains("😀"), "{message}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}
