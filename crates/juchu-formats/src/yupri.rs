//! Japan Post ゆうパックプリントR (ゆうプリR), FORMATS.md §2.
//!
//! ゆうプリR imports through a 取込レイアウト the user defines, so there is no fixed file to match:
//! juchu writes the 24 columns of [`YUPRI_COLUMNS`] (no header, Shift_JIS, CRLF, as the "standard"
//! imports in public code do) and docs/carriers.md shows how to register the matching layout once.
//! Tracking and delivery come back in the 発送履歴 CSV (header
//! `お客様側管理番号,お問い合わせ番号,仮引受確定作業年月日,配送完了作業年月日,…`), read by
//! [`parse_yupri_history`].

use crate::sagawa::split_lines;
use crate::sjis::{decode_text, map_to_cp932};
use crate::yamato::{Cols, fit, write_csv};
use crate::{CarrierConfig, FormatError, LabelRow, phone};
use jiff::civil::Date;

/// The columns of juchu's ゆうプリR layout, in order (the names ゆうプリR uses for the fields).
pub const YUPRI_COLUMNS: [&str; 24] = [
    "お客様側管理番号",
    "発送予定日",
    "郵便種別",
    "元／着払／代引",
    "お届け先郵便番号",
    "お届け先住所１",
    "お届け先住所２",
    "お届け先住所３",
    "お届け先名称１",
    "お届け先名称２",
    "お届け先敬称",
    "お届け先電話番号",
    "ご依頼主郵便番号",
    "ご依頼主住所１",
    "ご依頼主住所２",
    "ご依頼主住所３",
    "ご依頼主名称１",
    "ご依頼主電話番号",
    "品名",
    "配達希望日",
    "配達時間帯区分",
    "代引金額",
    "代引消費税金額",
    "保冷種別",
];

/// Address lines of 50 bytes (25 全角), names of 50 bytes.
const LINE: usize = 50;

/// ゆうプリR file for `rows`: 郵便種別 0 ゆうパック; 元／着払／代引 0 元払 or 2 代引 with the amount
/// and its tax; 配達時間帯区分 from `[carriers.japanpost] time_slots` (`00` when none).
pub fn write_yupri(config: &CarrierConfig, rows: &[LabelRow]) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let o = r.order_ref.as_str();
        let mut c = Cols::new(YUPRI_COLUMNS.len(), o);
        c.put(1, "お客様側管理番号", &r.key, 50)?;
        c.put(
            2,
            "発送予定日",
            &r.ship_date.strftime("%Y%m%d").to_string(),
            8,
        )?;
        c.put(3, "郵便種別", "0", 1)?;
        c.put(
            4,
            "元／着払／代引",
            if r.cod.is_some() { "2" } else { "0" },
            1,
        )?;
        c.put(
            5,
            "お届け先郵便番号",
            &digits7(o, "お届け先郵便番号", &r.to.postal_code)?,
            7,
        )?;
        let full = if r.to.building.trim().is_empty() {
            r.to.address.clone()
        } else {
            format!("{}　{}", r.to.address.trim(), r.to.building.trim())
        };
        for (i, line) in split_lines(o, "お届け先住所", &full, 3, LINE)?
            .iter()
            .enumerate()
        {
            c.put(6 + i, "お届け先住所", line, LINE)?;
        }
        for (i, line) in split_lines(o, "お届け先名称", &r.to.name, 2, LINE)?
            .iter()
            .enumerate()
        {
            c.put(9 + i, "お届け先名称", line, LINE)?;
        }
        c.put(11, "お届け先敬称", "様", 4)?;
        c.put(
            12,
            "お届け先電話番号",
            &phone(o, "お届け先電話番号", &r.to.phone)?,
            15,
        )?;
        let s = &config.shipper;
        c.put(
            13,
            "ご依頼主郵便番号",
            &digits7(o, "ご依頼主郵便番号", &s.postal_code)?,
            7,
        )?;
        let saddr = if s.building.trim().is_empty() {
            s.address.clone()
        } else {
            format!("{}　{}", s.address.trim(), s.building.trim())
        };
        for (i, line) in split_lines(o, "ご依頼主住所", &saddr, 3, LINE)?
            .iter()
            .enumerate()
        {
            c.put(14 + i, "ご依頼主住所", line, LINE)?;
        }
        c.put(17, "ご依頼主名称１", &s.name, LINE)?;
        c.put(
            18,
            "ご依頼主電話番号",
            &phone(o, "ご依頼主電話番号", &s.phone)?,
            15,
        )?;
        c.put(
            19,
            "品名",
            &fit(&map_to_cp932(o, "品名", &r.item_name)?, LINE),
            LINE,
        )?;
        if let Some(d) = r.delivery_date {
            c.put(20, "配達希望日", &d.strftime("%Y%m%d").to_string(), 8)?;
        }
        let slot = match r.time_slot.as_deref().filter(|s| !s.is_empty()) {
            None => "00".to_owned(),
            Some(ours) => config.japanpost.time_slots.get(ours).cloned().ok_or_else(|| {
                FormatError::field(
                    o,
                    "配達時間帯区分",
                    format!("time slot `{ours}` has no ゆうプリR code in [carriers.japanpost] time_slots"),
                )
            })?,
        };
        c.put(21, "配達時間帯区分", &slot, 2)?;
        if let Some(cod) = r.cod {
            if cod.amount <= 0 || cod.tax < 0 || cod.tax >= cod.amount {
                return Err(FormatError::field(
                    o,
                    "代引金額",
                    format!(
                        "{} (tax {}) is not a collectable amount",
                        cod.amount, cod.tax
                    ),
                ));
            }
            c.put(22, "代引金額", &cod.amount.to_string(), 7)?;
            c.put(23, "代引消費税金額", &cod.tax.to_string(), 7)?;
        }
        c.put(24, "保冷種別", "0", 1)?;
        out.push(c.cols);
    }
    write_csv(&[], out)
}

fn digits7(order: &str, field: &'static str, raw: &str) -> Result<String, FormatError> {
    let d: String = raw.chars().filter(|c| *c != '-').collect();
    if d.len() != 7 || !d.chars().all(|c| c.is_ascii_digit()) {
        return Err(FormatError::field(
            order,
            field,
            format!("`{raw}` is not a 7-digit postal code"),
        ));
    }
    Ok(d)
}

/// One row of a ゆうプリR 発送履歴 file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryRow {
    /// Line number in the file, from 1 (the header is line 1).
    pub row: usize,
    /// お客様側管理番号: our key (the shipment id).
    pub key: String,
    /// お問い合わせ番号: the tracking number.
    pub tracking_number: String,
    /// 仮引受確定作業年月日: the day Japan Post accepted the parcel (shipped).
    pub accepted_on: Option<Date>,
    /// 配送完了作業年月日: the day it was delivered, when it was.
    pub delivered_on: Option<Date>,
    /// 配達ステータス集約コード / 明細コード, kept for the operator.
    pub status_code: String,
    pub detail_code: String,
    pub error: Option<String>,
}

const HISTORY_HEADER: &str = "お客様側管理番号";

/// The data rows of a 発送履歴 file (CP932 or UTF-8, header required so a wrong file is caught).
pub fn parse_yupri_history(bytes: &[u8]) -> Result<Vec<HistoryRow>, FormatError> {
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rows.push(HistoryRow {
                    row,
                    error: Some(format!("unreadable CSV: {e}")),
                    ..HistoryRow::default()
                });
                continue;
            }
        };
        let field = |n: usize| rec.get(n - 1).map(str::trim).unwrap_or("");
        if row == 1 {
            if field(1).trim_start_matches('\u{feff}') != HISTORY_HEADER {
                return Err(FormatError::File(format!(
                    "not a ゆうプリR 発送履歴 file: the first line must be the header starting with \
                     `{HISTORY_HEADER}`, found `{}`",
                    field(1)
                )));
            }
            continue;
        }
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut r = HistoryRow {
            row,
            key: field(1).to_owned(),
            tracking_number: field(2).to_owned(),
            status_code: field(5).to_owned(),
            detail_code: field(6).to_owned(),
            ..HistoryRow::default()
        };
        let date = |n: usize, name: &str| -> Result<Option<Date>, String> {
            let v = field(n);
            if v.is_empty() {
                return Ok(None);
            }
            parse_day(v)
                .map(Some)
                .ok_or_else(|| format!("{name} `{v}` is not a date (YYYY/MM/DD or YYYYMMDD)"))
        };
        match (
            date(3, "仮引受確定作業年月日"),
            date(4, "配送完了作業年月日"),
        ) {
            (Ok(a), Ok(d)) => {
                r.accepted_on = a;
                r.delivered_on = d;
            }
            (Err(e), _) | (_, Err(e)) => r.error = Some(e),
        }
        if r.error.is_none() {
            if rec.len() < 4 {
                r.error = Some(format!("expected at least 4 columns, found {}", rec.len()));
            } else if r.key.is_empty() {
                r.error = Some("column 1 (お客様側管理番号) is empty".into());
            } else if r.tracking_number.is_empty() {
                r.error = Some("column 2 (お問い合わせ番号) is empty".into());
            }
        }
        rows.push(r);
    }
    Ok(rows)
}

/// `2026/11/26`, `2026-11-26` or `20261126`, optionally followed by a time, which is ignored.
fn parse_day(v: &str) -> Option<Date> {
    let day = v.split([' ', 'T']).next().unwrap_or(v);
    let digits: String = day.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 8 {
        return None;
    }
    let n = |a: usize, b: usize| digits.get(a..b).and_then(|s| s.parse::<i16>().ok());
    Date::new(
        n(0, 4)?,
        i8::try_from(n(4, 6)?).ok()?,
        i8::try_from(n(6, 8)?).ok()?,
    )
    .ok()
}
