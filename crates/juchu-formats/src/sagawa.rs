//! Sagawa e飛伝Ⅲ 出荷データ取込 (pattern 「標準_飛脚宅急便_CSV_ヘッダ有り」, 74 columns; FORMATS.md §2).
//! Address and name lines are 16 全角 each: longer values continue on the next line.

use crate::sjis::map_to_cp932;
use crate::yamato::{Cols, fit, write_csv};
use crate::{CarrierConfig, FormatError, LabelRow, phone, postal_hyphen};

pub const EHIDEN_COLUMNS: [&str; 74] = [
    "お届け先コード取得区分",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先郵便番号",
    "お届け先住所１",
    "お届け先住所２",
    "お届け先住所３",
    "お届け先名称１",
    "お届け先名称２",
    "お客様管理番号",
    "お客様コード",
    "部署ご担当者コード取得区分",
    "部署ご担当者コード",
    "部署ご担当者名称",
    "荷送人電話番号",
    "ご依頼主コード取得区分",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主郵便番号",
    "ご依頼主住所１",
    "ご依頼主住所２",
    "ご依頼主名称１",
    "ご依頼主名称２",
    "荷姿",
    "品名１",
    "品名２",
    "品名３",
    "品名４",
    "品名５",
    "荷札荷姿",
    "荷札品名１",
    "荷札品名２",
    "荷札品名３",
    "荷札品名４",
    "荷札品名５",
    "荷札品名６",
    "荷札品名７",
    "荷札品名８",
    "荷札品名９",
    "荷札品名１０",
    "荷札品名１１",
    "出荷個数",
    "スピード指定",
    "クール便指定",
    "配達日",
    "配達指定時間帯",
    "配達指定時間（時分）",
    "代引金額",
    "消費税",
    "決済種別",
    "保険金額",
    "指定シール１",
    "指定シール２",
    "指定シール３",
    "営業所受取",
    "SRC区分",
    "営業所受取営業所コード",
    "元着区分",
    "メールアドレス",
    "ご不在時連絡先",
    "出荷日",
    "お問い合せ送り状No.",
    "出荷場印字区分",
    "集約解除指定",
    "編集01",
    "編集02",
    "編集03",
    "編集04",
    "編集05",
    "編集06",
    "編集07",
    "編集08",
    "編集09",
    "編集10",
];

/// Lines of 16 全角 (32 Shift_JIS bytes).
const LINE: usize = 32;

/// Our time-slot codes → e飛伝 配達指定時間帯 (manual.next-engine.info 140-15).
fn time_slot(code: &str) -> Option<&'static str> {
    Some(match code {
        "0812" => "01",
        "1214" => "12",
        "1416" => "14",
        "1618" => "16",
        "1820" => "18",
        "1921" => "19",
        "1821" => "04",
        _ => return None,
    })
}

/// Splits `text` into at most `lines` lines of `width` Shift_JIS bytes (全角 = 2), breaking between
/// characters; too long is an error.
pub(crate) fn split_lines(
    order: &str,
    field: &'static str,
    text: &str,
    lines: usize,
    width: usize,
) -> Result<Vec<String>, FormatError> {
    let mut rest = map_to_cp932(order, field, text.trim())?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if out.len() == lines {
            return Err(FormatError::field(
                order,
                field,
                format!(
                    "`{}` is longer than {lines} lines of {} 全角",
                    text.trim(),
                    width / 2
                ),
            ));
        }
        let head = fit(&rest, width);
        rest = rest[head.len()..].to_owned();
        out.push(head);
    }
    out.resize(lines, String::new());
    Ok(out)
}

/// e飛伝Ⅲ file for `rows`: 元払 (元着区分 1), or 代引 with amount and tax for COD.
pub fn write_ehiden(config: &CarrierConfig, rows: &[LabelRow]) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let o = r.order_ref.as_str();
        let mut c = Cols::new(74, o);
        c.put(
            3,
            "お届け先電話番号",
            &phone(o, "お届け先電話番号", &r.to.phone)?,
            15,
        )?;
        c.put(
            4,
            "お届け先郵便番号",
            &postal_hyphen(o, "お届け先郵便番号", &r.to.postal_code)?,
            8,
        )?;
        // The building starts on its own line when it fits there, as labels are read.
        let addr = format!("{}　{}", r.to.address.trim(), r.to.building.trim());
        for (i, line) in split_lines(o, "お届け先住所", addr.trim_end_matches('　'), 3, LINE)?
            .iter()
            .enumerate()
        {
            c.put(5 + i, "お届け先住所", line, LINE)?;
        }
        for (i, line) in split_lines(o, "お届け先名称", &r.to.name, 2, LINE)?
            .iter()
            .enumerate()
        {
            c.put(8 + i, "お届け先名称", line, LINE)?;
        }
        c.put(10, "お客様管理番号", &r.key, 50)?;
        c.put(11, "お客様コード", &config.sagawa.customer_code, 12)?;
        let s = &config.shipper;
        c.put(
            18,
            "ご依頼主電話番号",
            &phone(o, "ご依頼主電話番号", &s.phone)?,
            15,
        )?;
        c.put(
            19,
            "ご依頼主郵便番号",
            &postal_hyphen(o, "ご依頼主郵便番号", &s.postal_code)?,
            8,
        )?;
        let saddr = format!("{}　{}", s.address.trim(), s.building.trim());
        for (i, line) in split_lines(o, "ご依頼主住所", saddr.trim_end_matches('　'), 2, LINE)?
            .iter()
            .enumerate()
        {
            c.put(20 + i, "ご依頼主住所", line, LINE)?;
        }
        for (i, line) in split_lines(o, "ご依頼主名称", &s.name, 2, LINE)?
            .iter()
            .enumerate()
        {
            c.put(22 + i, "ご依頼主名称", line, LINE)?;
        }
        c.put(
            25,
            "品名１",
            &fit(&map_to_cp932(o, "品名１", &r.item_name)?, LINE),
            LINE,
        )?;
        c.put(42, "出荷個数", "1", 3)?;
        c.put(43, "スピード指定", "000", 3)?;
        if let Some(d) = r.delivery_date {
            c.put(45, "配達日", &d.strftime("%Y%m%d").to_string(), 8)?;
        }
        if let Some(slot) = r.time_slot.as_deref().filter(|s| !s.is_empty()) {
            let code = time_slot(slot).ok_or_else(|| {
                FormatError::field(
                    o,
                    "配達指定時間帯",
                    format!("`{slot}` has no e飛伝 time slot"),
                )
            })?;
            c.put(46, "配達指定時間帯", code, 2)?;
        }
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
            c.put(48, "代引金額", &cod.amount.to_string(), 7)?;
            c.put(49, "消費税", &cod.tax.to_string(), 7)?;
        }
        c.put(58, "元着区分", "1", 1)?;
        c.put(61, "出荷日", &r.ship_date.strftime("%Y%m%d").to_string(), 8)?;
        out.push(c.cols);
    }
    write_csv(&EHIDEN_COLUMNS, out)
}
