//! Carrier files juchu exchanges with Yamato B2クラウド, Sagawa e飛伝Ⅲ and Japan Post ゆうプリR /
//! Click Post (FORMATS.md §1–2), the journal files of 弥生, freee and マネーフォワード (§7), and
//! Zengin statements as a bank writes them and as juchu reads them (§4), and Japan Post's KEN_ALL
//! postal data (§8).
//!
//! Pure: plain rows in, Shift_JIS (CP932) bytes out, and tracking files back into plain rows. The
//! application decides what a row means (which shipment, which order); this crate only knows the
//! layouts, the character set and the field widths.

mod accounting;
mod clickpost;
mod config;
mod ken_all;
mod sagawa;
mod sjis;
mod tracking;
/// Signed webhooks: the headers, the signature and its check (docs/security.md).
pub mod webhook;
mod yamato;
mod yupri;
/// Zengin (全銀協) deposit statements read into deposits (FORMATS.md §4).
pub mod zengin_read;
/// Zengin (全銀協) statement files as a bank writes them (FORMATS.md §4), for the sandbox bank and tests.
pub mod zengin_write;

pub use accounting::{
    AccountingConfig, FREEE_HEADER, JournalRow, MONEYFORWARD_HEADER, Posting, YAYOI_COLUMNS,
    write_freee, write_moneyforward, write_yayoi,
};
pub use clickpost::{CLICKPOST_COLUMNS, CLICKPOST_MAX_ROWS, write_clickpost};
pub use config::{CarrierConfig, JapanPostConfig, SagawaConfig, Shipper, YamatoConfig};
pub use ken_all::{KenAllRow, parse_ken_all};
pub use sagawa::{EHIDEN_COLUMNS, write_ehiden};
pub use sjis::{decode_text, encode_cp932, map_to_cp932};
pub use tracking::{TrackingFormat, TrackingRow, parse_tracking};
pub use yamato::{B2_COLUMNS, write_b2};
pub use yupri::{HistoryRow, YUPRI_COLUMNS, parse_yupri_history, write_yupri};

use jiff::civil::Date;

/// One parcel to label: everything the carrier file needs, already chosen by the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRow {
    /// お客様管理番号: our key for the parcel; the carrier hands it back with the tracking number.
    pub key: String,
    /// How an operator finds the order (its number), used in error messages.
    pub order_ref: String,
    pub ship_date: Date,
    pub delivery_date: Option<Date>,
    /// Our time-slot code (`0812`, `1416`, `1618`, `1820`, `1921`), as on the order.
    pub time_slot: Option<String>,
    pub to: Recipient,
    /// 品名: what is in the parcel.
    pub item_name: String,
    /// Cash on delivery (代金引換): set only for COD orders.
    pub cod: Option<Cod>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub phone: String,
    /// Seven digits (a hyphen is tolerated).
    pub postal_code: String,
    /// 都道府県 + 市区町村 + 町・番地.
    pub address: String,
    /// 建物・部屋 (アパートマンション名).
    pub building: String,
}

/// 代引: the amount to collect, tax included, and the consumption tax inside it (yen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cod {
    pub amount: i64,
    pub tax: i64,
}

/// Why a file could not be written or read. Never a silent replacement: the order and field are named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("order {order}: {field}: {message}")]
    Field {
        order: String,
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    File(String),
}

impl FormatError {
    pub(crate) fn field(order: &str, field: &'static str, message: impl Into<String>) -> Self {
        FormatError::Field {
            order: order.to_owned(),
            field,
            message: message.into(),
        }
    }
}

/// `NNN-NNNN` from seven digits (with or without the hyphen).
pub(crate) fn postal_hyphen(
    order: &str,
    field: &'static str,
    raw: &str,
) -> Result<String, FormatError> {
    let d: String = raw.chars().filter(|c| *c != '-').collect();
    if d.len() != 7 || !d.chars().all(|c| c.is_ascii_digit()) {
        return Err(FormatError::field(
            order,
            field,
            format!("`{raw}` is not a 7-digit postal code"),
        ));
    }
    Ok(format!("{}-{}", &d[..3], &d[3..]))
}

/// A phone number: digits with optional hyphens, 10–15 characters as the carriers accept.
pub(crate) fn phone(order: &str, field: &'static str, raw: &str) -> Result<String, FormatError> {
    let p = raw.trim();
    let digits = p.chars().filter(char::is_ascii_digit).count();
    if !(10..=11).contains(&digits)
        || !p.chars().all(|c| c.is_ascii_digit() || c == '-')
        || p.len() > 15
    {
        return Err(FormatError::field(
            order,
            field,
            format!("`{raw}` is not a 10–11 digit phone number"),
        ));
    }
    Ok(p.to_owned())
}
