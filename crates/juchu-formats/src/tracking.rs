//! Tracking numbers back from the carrier: B2's issued-data file (伝票番号 in column 4, our key in
//! column 1), e飛伝's re-export (お問い合せ送り状No. in column 62, our key in column 10), or a generic
//! `shipment_id,carrier,tracking_number[,shipped_at]` CSV, or ゆうプリR's 発送履歴 (which also says
//! when a parcel was delivered). Shift_JIS or UTF-8.

use crate::FormatError;
use crate::sjis::decode_text;
use crate::yupri::parse_yupri_history;
use jiff::civil::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingFormat {
    YamatoB2,
    SagawaEhiden,
    Csv,
    /// ゆうプリR 発送履歴: お客様側管理番号, お問い合わせ番号, 引受日, 配送完了日.
    JapanPostHistory,
}

impl TrackingFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "yamato-b2" => Some(TrackingFormat::YamatoB2),
            "sagawa-ehiden" => Some(TrackingFormat::SagawaEhiden),
            "csv" => Some(TrackingFormat::Csv),
            "japanpost-history" => Some(TrackingFormat::JapanPostHistory),
            _ => None,
        }
    }

    /// (key column, tracking column, header text of the key column), numbered from 1.
    fn columns(self) -> (usize, usize, &'static str) {
        match self {
            TrackingFormat::YamatoB2 => (1, 4, "お客様管理番号"),
            TrackingFormat::SagawaEhiden => (10, 62, "お客様管理番号"),
            TrackingFormat::Csv => (1, 3, "shipment_id"),
            TrackingFormat::JapanPostHistory => (1, 2, "お客様側管理番号"),
        }
    }
}

/// One data row of a tracking file. `error` is set when the row itself is unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackingRow {
    /// Line number in the file, from 1 (the header, if any, is line 1).
    pub row: usize,
    /// Our key: the shipment id (with or without hyphens).
    pub key: String,
    /// Only the generic CSV names the carrier; the carrier files imply theirs.
    pub carrier: Option<String>,
    pub tracking_number: String,
    /// RFC 3339, generic CSV only.
    pub shipped_at: Option<String>,
    /// The day the carrier accepted the parcel (ゆうプリR 発送履歴 only).
    pub accepted_on: Option<Date>,
    /// The day the parcel was delivered (ゆうプリR 発送履歴 only).
    pub delivered_on: Option<Date>,
    pub error: Option<String>,
}

/// The data rows of a tracking file; a header row (recognised by its text) is skipped, blank rows too.
pub fn parse_tracking(
    format: TrackingFormat,
    bytes: &[u8],
) -> Result<Vec<TrackingRow>, FormatError> {
    if format == TrackingFormat::JapanPostHistory {
        return Ok(parse_yupri_history(bytes)?
            .into_iter()
            .map(|h| TrackingRow {
                row: h.row,
                key: h.key,
                carrier: None,
                tracking_number: h.tracking_number,
                shipped_at: None,
                accepted_on: h.accepted_on,
                delivered_on: h.delivered_on,
                error: h.error,
            })
            .collect());
    }
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let (key_col, tracking_col, header) = format.columns();
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rows.push(TrackingRow {
                    row,
                    error: Some(format!("unreadable CSV: {e}")),
                    ..TrackingRow::default()
                });
                continue;
            }
        };
        let field = |n: usize| rec.get(n - 1).map(str::trim).unwrap_or("");
        if rec.iter().all(|f| f.trim().is_empty()) || (row == 1 && field(key_col) == header) {
            continue;
        }
        let mut r = TrackingRow {
            row,
            key: field(key_col).to_owned(),
            tracking_number: field(tracking_col).to_owned(),
            ..TrackingRow::default()
        };
        if format == TrackingFormat::Csv {
            r.carrier = Some(field(2).to_owned());
            r.shipped_at = Some(field(4).to_owned()).filter(|s| !s.is_empty());
        }
        if rec.len() < tracking_col {
            r.error = Some(format!(
                "expected at least {tracking_col} columns, found {}",
                rec.len()
            ));
        } else if r.key.is_empty() {
            r.error = Some(format!("column {key_col} (our key) is empty"));
        } else if r.tracking_number.is_empty() {
            r.error = Some(format!("column {tracking_col} (tracking number) is empty"));
        }
        rows.push(r);
    }
    Ok(rows)
}
