//! Yamato B2クラウド 外部データ取込 (送り状発行データ, 95 columns; FORMATS.md §1).

use crate::sjis::{encode_cp932, map_to_cp932, sjis_width};
use crate::{CarrierConfig, FormatError, LabelRow, phone, postal_hyphen};

/// The header row, column 1 first. B2's import pattern is set to "1行目をヘッダとして扱う".
pub const B2_COLUMNS: [&str; 95] = [
    "お客様管理番号",
    "送り状種類",
    "クール区分",
    "伝票番号",
    "出荷予定日",
    "お届け予定日",
    "配達時間帯",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先電話番号枝番",
    "お届け先郵便番号",
    "お届け先住所",
    "お届け先アパートマンション名",
    "お届け先会社・部門１",
    "お届け先会社・部門２",
    "お届け先名",
    "お届け先名(ｶﾅ)",
    "敬称",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主電話番号枝番",
    "ご依頼主郵便番号",
    "ご依頼主住所",
    "ご依頼主アパートマンション",
    "ご依頼主名",
    "ご依頼主名(ｶﾅ)",
    "品名コード１",
    "品名１",
    "品名コード２",
    "品名２",
    "荷扱い１",
    "荷扱い２",
    "記事",
    "ｺﾚｸﾄ代金引換額（税込)",
    "内消費税額等",
    "止置き",
    "営業所コード",
    "発行枚数",
    "個数口表示フラグ",
    "請求先顧客コード",
    "請求先分類コード",
    "運賃管理番号",
    "クロネコwebコレクトデータ登録",
    "クロネコwebコレクト加盟店番号",
    "クロネコwebコレクト申込受付番号１",
    "クロネコwebコレクト申込受付番号２",
    "クロネコwebコレクト申込受付番号３",
    "お届け予定ｅメール利用区分",
    "お届け予定ｅメールe-mailアドレス",
    "入力機種",
    "お届け予定ｅメールメッセージ",
    "お届け完了ｅメール利用区分",
    "お届け完了ｅメールe-mailアドレス",
    "お届け完了ｅメールメッセージ",
    "クロネコ収納代行利用区分",
    "予備",
    "収納代行請求金額(税込)",
    "収納代行内消費税額等",
    "収納代行請求先郵便番号",
    "収納代行請求先住所",
    "収納代行請求先住所（アパートマンション名）",
    "収納代行請求先会社・部門名１",
    "収納代行請求先会社・部門名２",
    "収納代行請求先名(漢字)",
    "収納代行請求先名(カナ)",
    "収納代行問合せ先名(漢字)",
    "収納代行問合せ先郵便番号",
    "収納代行問合せ先住所",
    "収納代行問合せ先住所（アパートマンション名）",
    "収納代行問合せ先電話番号",
    "収納代行管理番号",
    "収納代行品名",
    "収納代行備考",
    "複数口くくりキー",
    "検索キータイトル1",
    "検索キー1",
    "検索キータイトル2",
    "検索キー2",
    "検索キータイトル3",
    "検索キー3",
    "検索キータイトル4",
    "検索キー4",
    "検索キータイトル5",
    "検索キー5",
    "予備",
    "予備",
    "投函予定メール利用区分",
    "投函予定メールe-mailアドレス",
    "投函予定メールメッセージ",
    "投函完了メール（お届け先宛）利用区分",
    "投函完了メール（お届け先宛）e-mailアドレス",
    "投函完了メール（お届け先宛）メールメッセージ",
    "投函完了メール（ご依頼主宛）利用区分",
    "投函完了メール（ご依頼主宛）e-mailアドレス",
    "投函完了メール（ご依頼主宛）メールメッセージ",
];

/// The current B2 time-slot codes (配達時間帯); older `1214`/`2021` are refused, not guessed.
const TIME_SLOTS: [&str; 5] = ["0812", "1416", "1618", "1820", "1921"];

/// One row of 95 columns under construction; columns are numbered from 1 as in the layout.
pub(crate) struct Cols<'a> {
    pub cols: Vec<String>,
    pub order: &'a str,
}

impl<'a> Cols<'a> {
    pub fn new(n: usize, order: &'a str) -> Self {
        Cols {
            cols: vec![String::new(); n],
            order,
        }
    }

    /// Puts `value` in column `n`, mapped to CP932 and at most `max` Shift_JIS bytes (全角 = 2).
    pub fn put(
        &mut self,
        n: usize,
        field: &'static str,
        value: &str,
        max: usize,
    ) -> Result<(), FormatError> {
        let v = map_to_cp932(self.order, field, value.trim())?;
        if sjis_width(&v) > max {
            return Err(FormatError::field(
                self.order,
                field,
                format!("`{v}` is longer than {} 全角 / {max} 半角", max / 2),
            ));
        }
        if let Some(c) = self.cols.get_mut(n - 1) {
            *c = v;
        }
        Ok(())
    }
}

/// Writes the whole file: header (none when `header` is empty), one row per label, CRLF, Shift_JIS,
/// every field quoted.
pub(crate) fn write_csv(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, FormatError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| FormatError::File(e.to_string());
    if !header.is_empty() {
        w.write_record(header).map_err(fail)?;
    }
    for r in rows {
        w.write_record(&r).map_err(fail)?;
    }
    let utf8 = w
        .into_inner()
        .map_err(|e| FormatError::File(e.to_string()))?;
    let text = String::from_utf8(utf8).map_err(|e| FormatError::File(e.to_string()))?;
    encode_cp932(&text)
}

/// B2 file for `rows`: 送り状種類 0 発払い, or 2 コレクト with amount and tax for COD.
pub fn write_b2(config: &CarrierConfig, rows: &[LabelRow]) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut c = Cols::new(95, &r.order_ref);
        let o = r.order_ref.as_str();
        c.put(1, "お客様管理番号", &r.key, 50)?;
        c.put(2, "送り状種類", if r.cod.is_some() { "2" } else { "0" }, 1)?;
        c.put(3, "クール区分", "0", 1)?;
        c.put(
            5,
            "出荷予定日",
            &r.ship_date.strftime("%Y/%m/%d").to_string(),
            10,
        )?;
        if let Some(d) = r.delivery_date {
            c.put(6, "お届け予定日", &d.strftime("%Y/%m/%d").to_string(), 10)?;
        }
        if let Some(slot) = r.time_slot.as_deref().filter(|s| !s.is_empty()) {
            if !TIME_SLOTS.contains(&slot) {
                return Err(FormatError::field(
                    o,
                    "配達時間帯",
                    format!("`{slot}` is not a B2 time slot ({})", TIME_SLOTS.join(", ")),
                ));
            }
            c.put(7, "配達時間帯", slot, 4)?;
        }
        c.put(
            9,
            "お届け先電話番号",
            &phone(o, "お届け先電話番号", &r.to.phone)?,
            15,
        )?;
        c.put(
            11,
            "お届け先郵便番号",
            &postal_hyphen(o, "お届け先郵便番号", &r.to.postal_code)?,
            8,
        )?;
        c.put(12, "お届け先住所", &r.to.address, 64)?;
        c.put(13, "お届け先アパートマンション名", &r.to.building, 32)?;
        c.put(16, "お届け先名", &r.to.name, 32)?;
        c.put(18, "敬称", "様", 4)?;
        let s = &config.shipper;
        c.put(
            20,
            "ご依頼主電話番号",
            &phone(o, "ご依頼主電話番号", &s.phone)?,
            15,
        )?;
        c.put(
            22,
            "ご依頼主郵便番号",
            &postal_hyphen(o, "ご依頼主郵便番号", &s.postal_code)?,
            8,
        )?;
        c.put(23, "ご依頼主住所", &s.address, 64)?;
        c.put(24, "ご依頼主アパートマンション", &s.building, 32)?;
        c.put(25, "ご依頼主名", &s.name, 32)?;
        // 品名 is a description, not an address: cut to fit rather than refuse the label.
        c.put(
            28,
            "品名１",
            &fit(&map_to_cp932(o, "品名１", &r.item_name)?, 50),
            50,
        )?;
        if let Some(cod) = r.cod {
            if !(1..=300_000).contains(&cod.amount) || cod.tax <= 0 || cod.tax >= cod.amount {
                return Err(FormatError::field(
                    o,
                    "ｺﾚｸﾄ代金引換額（税込)",
                    format!(
                        "{} (tax {}) is outside 1–300,000 yen with tax > 0",
                        cod.amount, cod.tax
                    ),
                ));
            }
            c.put(34, "ｺﾚｸﾄ代金引換額（税込)", &cod.amount.to_string(), 7)?;
            c.put(35, "内消費税額等", &cod.tax.to_string(), 7)?;
        }
        let y = &config.yamato;
        c.put(40, "請求先顧客コード", &y.customer_code, 12)?;
        c.put(41, "請求先分類コード", &y.customer_class, 3)?;
        c.put(42, "運賃管理番号", &y.freight_code, 2)?;
        out.push(c.cols);
    }
    write_csv(&B2_COLUMNS, out)
}

/// The longest prefix of `s` that is at most `max` Shift_JIS bytes wide.
pub(crate) fn fit(s: &str, max: usize) -> String {
    let mut w = 0;
    s.chars()
        .take_while(|c| {
            w += sjis_width(c.encode_utf8(&mut [0u8; 4]));
            w <= max
        })
        .collect()
}
