//! Journal files for 弥生会計, freee and マネーフォワード クラウド会計 (FORMATS.md §7).
//!
//! The application hands over entries whose accounts and tax categories are already named (from
//! [`AccountingConfig`]); this module only knows the layouts. Amounts are tax-inclusive with the
//! tax inside each line beside them, the way all three import journals. Every file is Shift_JIS
//! (CP932) with CRLF line ends; a character Shift_JIS cannot carry is mapped where a mapping is
//! standard or reported with the order and field.

use crate::FormatError;
use crate::sjis::{encode_cp932, map_to_cp932};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Account names and tax-category strings the accounting system expects (`[accounting]` in the
/// config). Defaults follow FORMATS.md §7 (税抜経理, public code's category strings); check them
/// against the 税区分 list of the shop's own 弥生 / freee / MF set-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountingConfig {
    /// 売掛金.
    pub receivable: String,
    /// 売上高.
    pub sales: String,
    /// Shipping and fees charged to customers (default 売上高 with the sub-account 送料・手数料).
    pub shipping: String,
    pub shipping_sub_account: String,
    /// Points customers paid with (default ポイント引当金).
    pub points: String,
    /// 税区分 of sales at 10% and at the reduced 8%, and of lines outside consumption tax.
    pub tax_category_10: String,
    pub tax_category_8: String,
    pub tax_category_none: String,
    /// 補助科目 of 売掛金 per payment method (`credit_card`, `bank_transfer`, `deferred`,
    /// `amazon_pay`, `cod`).
    pub receivable_sub_accounts: BTreeMap<String, String>,
}

impl Default for AccountingConfig {
    fn default() -> Self {
        let subs = [
            ("credit_card", "クレジットカード"),
            ("bank_transfer", "銀行振込"),
            ("deferred", "後払い"),
            ("amazon_pay", "Amazon Pay"),
            ("cod", "代金引換"),
        ];
        AccountingConfig {
            receivable: "売掛金".into(),
            sales: "売上高".into(),
            shipping: "売上高".into(),
            shipping_sub_account: "送料・手数料".into(),
            points: "ポイント引当金".into(),
            tax_category_10: "課税売上10%".into(),
            tax_category_8: "課税売上8%(軽)".into(),
            tax_category_none: "対象外".into(),
            receivable_sub_accounts: subs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}

/// One entry as the files carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// How an operator finds it (`#123`), used as the freee 管理番号 and in error messages.
    pub reference: String,
    pub date: Date,
    /// 摘要.
    pub memo: String,
    pub debits: Vec<Posting>,
    pub credits: Vec<Posting>,
}

/// One side of a line: account, sub-account, 税区分, tax-inclusive amount and the tax inside it
/// (`None` for a line outside consumption tax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    pub sub_account: String,
    pub tax_category: String,
    pub amount: i64,
    pub tax: Option<i64>,
}

/// The columns of each layout.
pub const YAYOI_COLUMNS: usize = 25;
pub const MONEYFORWARD_HEADER: [&str; 27] = [
    "取引No",
    "取引日",
    "借方勘定科目",
    "借方補助科目",
    "借方部門",
    "借方取引先",
    "借方税区分",
    "借方インボイス",
    "借方金額(円)",
    "借方税額",
    "貸方勘定科目",
    "貸方補助科目",
    "貸方部門",
    "貸方取引先",
    "貸方税区分",
    "貸方インボイス",
    "貸方金額(円)",
    "貸方税額",
    "摘要",
    "仕訳メモ",
    "タグ",
    "MF仕訳タイプ",
    "決算整理仕訳",
    "作成日時",
    "作成者",
    "最終更新日時",
    "最終更新者",
];
pub const FREEE_HEADER: [&str; 20] = [
    "収支区分",
    "管理番号",
    "発生日",
    "決済期日",
    "取引先",
    "勘定科目",
    "税区分",
    "金額",
    "税計算区分",
    "税額",
    "備考",
    "品目",
    "部門",
    "メモタグ",
    "セグメント1",
    "セグメント2",
    "セグメント3",
    "決済日",
    "決済口座",
    "決済金額",
];

fn ymd(d: Date) -> String {
    format!("{:04}/{:02}/{:02}", d.year(), d.month(), d.day())
}

/// Rows of one entry: the i-th debit beside the i-th credit, the shorter side left blank.
fn paired(e: &JournalRow) -> Vec<(Option<&Posting>, Option<&Posting>)> {
    let n = e.debits.len().max(e.credits.len());
    (0..n)
        .map(|i| (e.debits.get(i), e.credits.get(i)))
        .collect()
}

/// Account, sub-account, tax category, amount, tax: five cells, blank when the side is empty.
fn side_cells(p: Option<&Posting>) -> [String; 5] {
    match p {
        None => Default::default(),
        Some(p) => [
            p.account.clone(),
            p.sub_account.clone(),
            p.tax_category.clone(),
            p.amount.to_string(),
            p.tax.map(|t| t.to_string()).unwrap_or_default(),
        ],
    }
}

/// 弥生会計 仕訳日記帳 import: no header, 25 columns, 識別フラグ 2000 for a one-row entry and
/// 2110 / 2100 / 2101 for the first, middle and last rows of a multi-row 伝票.
pub fn write_yayoi(entries: &[JournalRow]) -> Result<Vec<u8>, FormatError> {
    let mut rows = Vec::new();
    for e in entries {
        let pairs = paired(e);
        let n = pairs.len();
        for (i, (d, c)) in pairs.into_iter().enumerate() {
            let flag = match (n, i) {
                (1, _) => "2000",
                (_, 0) => "2110",
                (_, i) if i + 1 == n => "2101",
                _ => "2100",
            };
            let [da, ds, dt, dm, dx] = side_cells(d);
            let [ca, cs, ct, cm, cx] = side_cells(c);
            let mut r: Vec<String> = vec![flag.into(), String::new(), String::new(), ymd(e.date)];
            r.extend([da, ds, String::new(), dt, dm, dx]);
            r.extend([ca, cs, String::new(), ct, cm, cx]);
            r.push(e.memo.clone());
            r.extend([String::new(), String::new(), "0".into()]);
            r.extend(std::iter::repeat_n(String::new(), 4));
            r.push("no".into());
            debug_assert_eq!(r.len(), YAYOI_COLUMNS);
            rows.push((e.reference.as_str(), r));
        }
    }
    write_csv(None, rows)
}

/// マネーフォワード クラウド会計 仕訳帳 import: a header and 27 columns; rows sharing a 取引No
/// (numbered from 1 in the file) form one entry.
pub fn write_moneyforward(entries: &[JournalRow]) -> Result<Vec<u8>, FormatError> {
    let mut rows = Vec::new();
    for (no, e) in entries.iter().enumerate() {
        for (d, c) in paired(e) {
            let [da, ds, dt, dm, dx] = side_cells(d);
            let [ca, cs, ct, cm, cx] = side_cells(c);
            let mut r: Vec<String> = vec![(no + 1).to_string(), ymd(e.date)];
            r.extend([
                da,
                ds,
                String::new(),
                String::new(),
                dt,
                String::new(),
                dm,
                dx,
            ]);
            r.extend([
                ca,
                cs,
                String::new(),
                String::new(),
                ct,
                String::new(),
                cm,
                cx,
            ]);
            r.push(e.memo.clone());
            r.extend(std::iter::repeat_n(String::new(), 8));
            debug_assert_eq!(r.len(), MONEYFORWARD_HEADER.len());
            rows.push((e.reference.as_str(), r));
        }
    }
    write_csv(Some(&MONEYFORWARD_HEADER), rows)
}

/// freee 取引 import: one 収入 取引 per entry with the receivable left open (no 決済 columns);
/// one row per line other than the receivable, credits positive and debits negative, 内税. The
/// first row of an entry carries 収支区分, 管理番号, 発生日 and 取引先 (the receivable's
/// sub-account); following rows leave them blank, continuing the same 取引.
pub fn write_freee(entries: &[JournalRow], receivable: &str) -> Result<Vec<u8>, FormatError> {
    let mut rows = Vec::new();
    for e in entries {
        let partner = e
            .debits
            .iter()
            .chain(&e.credits)
            .find(|p| p.account == receivable)
            .map(|p| p.sub_account.clone())
            .unwrap_or_default();
        let details = e
            .credits
            .iter()
            .map(|p| (p, 1))
            .chain(e.debits.iter().map(|p| (p, -1)))
            .filter(|(p, _)| p.account != receivable);
        for (i, (p, sign)) in details.enumerate() {
            let head = |v: String| if i == 0 { v } else { String::new() };
            // Debits are written negated; an amount with no negation (i64::MIN, found by the
            // journal_roundtrip fuzz target) is refused rather than overflowing.
            let signed = |v: i64| {
                v.checked_mul(sign).ok_or_else(|| {
                    FormatError::field(
                        &e.reference,
                        "journal",
                        format!("amount {v} is out of range"),
                    )
                })
            };
            let tax = match p.tax {
                Some(t) => signed(t)?.to_string(),
                None => String::new(),
            };
            let mut r = vec![
                head("収入".into()),
                head(e.reference.clone()),
                head(ymd(e.date)),
                String::new(),
                head(partner.clone()),
                p.account.clone(),
                p.tax_category.clone(),
                signed(p.amount)?.to_string(),
                "内税".into(),
                tax,
                head(e.memo.clone()),
                p.sub_account.clone(),
            ];
            r.extend(std::iter::repeat_n(String::new(), 8));
            debug_assert_eq!(r.len(), FREEE_HEADER.len());
            rows.push((e.reference.as_str(), r));
        }
    }
    write_csv(Some(&FREEE_HEADER), rows)
}

/// CSV with CRLF, quoted only where needed, every cell checked for Shift_JIS.
fn write_csv(
    header: Option<&[&str]>,
    rows: Vec<(&str, Vec<String>)>,
) -> Result<Vec<u8>, FormatError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let io = |e: csv::Error| FormatError::File(e.to_string());
    if let Some(h) = header {
        w.write_record(h).map_err(io)?;
    }
    for (reference, r) in rows {
        let cells = r
            .iter()
            .map(|c| map_to_cp932(reference, "journal", c))
            .collect::<Result<Vec<_>, _>>()?;
        w.write_record(&cells).map_err(io)?;
    }
    let text = String::from_utf8(
        w.into_inner()
            .map_err(|e| FormatError::File(e.to_string()))?,
    )
    .map_err(|e| FormatError::File(e.to_string()))?;
    encode_cp932(&text)
}
