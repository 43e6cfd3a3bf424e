//! Japan Post Click Post (クリックポスト) bulk CSV (FORMATS.md §2): eight columns with a header,
//! Shift_JIS. Names and address lines are at most 20 全角, 内容品 at most 15 全角. Click Post is a
//! mailbox service: no cash on delivery and no delivery date or time, so such orders are refused with
//! the order and field named instead of being printed on a label that cannot honour them.

use crate::sagawa::split_lines;
use crate::sjis::map_to_cp932;
use crate::yamato::{Cols, fit, write_csv};
use crate::{FormatError, LabelRow};

pub const CLICKPOST_COLUMNS: [&str; 8] = [
    "お届け先郵便番号",
    "お届け先氏名",
    "お届け先敬称",
    "お届け先住所1行目",
    "お届け先住所2行目",
    "お届け先住所3行目",
    "お届け先住所4行目",
    "内容品",
];

/// Rows one Click Post upload takes (one public implementation caps files at 40; FORMATS.md §2).
pub const CLICKPOST_MAX_ROWS: usize = 40;

/// 20 全角 per name and address line.
const LINE: usize = 40;

/// The Click Post file for `rows`.
pub fn write_clickpost(rows: &[LabelRow]) -> Result<Vec<u8>, FormatError> {
    if rows.len() > CLICKPOST_MAX_ROWS {
        return Err(FormatError::File(format!(
            "a Click Post file takes at most {CLICKPOST_MAX_ROWS} parcels; this batch has {} — \
             instruct smaller batches for Click Post",
            rows.len()
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let o = r.order_ref.as_str();
        if r.cod.is_some() {
            return Err(FormatError::field(
                o,
                "お届け先",
                "Click Post has no cash on delivery; ship this order with a collect service",
            ));
        }
        if r.delivery_date.is_some() || r.time_slot.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(FormatError::field(
                o,
                "配達指定",
                "Click Post cannot deliver on a date or in a time slot; choose another carrier",
            ));
        }
        let mut c = Cols::new(CLICKPOST_COLUMNS.len(), o);
        let postal: String = r.to.postal_code.chars().filter(|c| *c != '-').collect();
        if postal.len() != 7 || !postal.chars().all(|c| c.is_ascii_digit()) {
            return Err(FormatError::field(
                o,
                "お届け先郵便番号",
                format!("`{}` is not a 7-digit postal code", r.to.postal_code),
            ));
        }
        c.put(1, "お届け先郵便番号", &postal, 7)?;
        c.put(2, "お届け先氏名", &r.to.name, LINE)?;
        c.put(3, "お届け先敬称", "様", 4)?;
        let full = if r.to.building.trim().is_empty() {
            r.to.address.clone()
        } else {
            format!("{}　{}", r.to.address.trim(), r.to.building.trim())
        };
        for (i, line) in split_lines(o, "お届け先住所", &full, 4, LINE)?
            .iter()
            .enumerate()
        {
            c.put(4 + i, "お届け先住所", line, LINE)?;
        }
        // 内容品 describes the contents: cut to fit rather than refuse the label.
        c.put(
            8,
            "内容品",
            &fit(&map_to_cp932(o, "内容品", &r.item_name)?, 30),
            30,
        )?;
        out.push(c.cols);
    }
    write_csv(&CLICKPOST_COLUMNS, out)
}
