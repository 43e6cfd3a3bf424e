//! Reading Zengin (全銀協) deposit statements, FORMATS.md §4: 入出金取引明細 (種別 03) and
//! 振込入金通知 (種別 01, format A). Pure: bytes in, deposits out. (Here rather than in the app so
//! that it can be fuzzed without the app's dependencies; `juchu_app::zengin` re-exports it.)
//!
//! Records are 200 bytes of JIS X 0201 (ASCII and half-width kana). Shift_JIS keeps each of those
//! one byte, so after decoding one character is one byte of the layout, and fields are sliced by
//! character. UTF-8 files (half-width kana are 3 bytes there) work the same way after decoding.
//! Records may be separated by CRLF / LF or not at all, depending on the bank.

use serde::Serialize;

const RECORD: usize = 200;

/// One deposit line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementDeposit {
    /// The record's number in the file, from 1 (for row-by-row results).
    pub record: usize,
    /// `{bank}-{branch}-{number:07}` of the account the statement is for.
    pub account: String,
    /// 照会番号: the bank's number of the line, unique within the account and day.
    pub inquiry_number: String,
    /// 勘定日 as `YYYY-MM-DD` (the file says 和暦 YYMMDD, Reiwa).
    pub value_date: String,
    pub amount: i64,
    /// 振込依頼人名 (half-width kana), trimmed.
    pub payer_name: Option<String>,
}

fn records(text: &str) -> Vec<Vec<char>> {
    // Some banks end the file with an EOF mark (0x1A).
    let text = text.trim_end_matches(['\u{1a}', '\r', '\n']);
    if text.contains('\n') {
        text.split('\n')
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.is_empty())
            .map(|l| l.chars().collect())
            .collect()
    } else {
        let chars: Vec<char> = text.chars().collect();
        chars.chunks(RECORD).map(<[char]>::to_vec).collect()
    }
}

struct Rec<'a> {
    n: usize,
    chars: &'a [char],
}

impl Rec<'_> {
    /// The field at `at..at + len` (0-based); a record cut short reads as spaces.
    fn text(&self, at: usize, len: usize) -> String {
        (at..at + len)
            .map(|i| self.chars.get(i).copied().unwrap_or(' '))
            .collect()
    }

    fn num(&self, at: usize, len: usize, name: &str) -> Result<i64, String> {
        let t = self.text(at, len);
        let t = t.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("record {}: {name} `{t}` is not a number", self.n));
        }
        t.parse()
            .map_err(|_| format!("record {}: {name} `{t}` is out of range", self.n))
    }

    /// 和暦 YYMMDD (Reiwa) as an ISO date.
    fn date(&self, at: usize, name: &str) -> Result<String, String> {
        let v = self.num(at, 6, name)?;
        let (yy, mm, dd) = (v / 10_000, v / 100 % 100, v % 100);
        let d = jiff::civil::Date::new((2018 + yy) as i16, mm as i8, dd as i8)
            .map_err(|_| format!("record {}: {name} `{v:06}` is not a date", self.n))?;
        Ok(d.to_string())
    }
}

/// The deposits of a statement file; an error names the record that does not fit the layout.
pub fn parse(bytes: &[u8]) -> Result<Vec<StatementDeposit>, String> {
    // Undecodable bytes are an error, not replacement characters that would shift the fields.
    let text = crate::sjis::decode_text(bytes).map_err(|e| e.to_string())?;
    let recs = records(&text);
    if recs.is_empty() {
        return Err("the file is empty".into());
    }
    let mut kind: Option<String> = None;
    let mut account: Option<String> = None;
    let mut out = vec![];
    for (i, chars) in recs.iter().enumerate() {
        let r = Rec { n: i + 1, chars };
        if chars.len() > RECORD {
            return Err(format!(
                "record {}: {} characters, records are {RECORD}",
                r.n,
                chars.len()
            ));
        }
        match r.text(0, 1).as_str() {
            "1" => {
                let k = r.text(1, 2);
                let bank = r.num(22, 4, "銀行コード")?;
                let branch = r.num(41, 3, "支店コード")?;
                let number = match k.as_str() {
                    "03" => r.num(63, 10, "口座番号")?,
                    "01" => r.num(60, 7, "口座番号")?,
                    other => {
                        return Err(format!(
                            "record {}: 種別コード `{other}` is not 01 (振込入金通知) or 03 (入出金取引明細)",
                            r.n
                        ));
                    }
                };
                account = Some(format!("{bank:04}-{branch:03}-{:07}", number % 10_000_000));
                kind = Some(k);
            }
            "2" => {
                let (Some(k), Some(acc)) = (kind.as_deref(), account.as_ref()) else {
                    return Err(format!("record {}: a data record before any header", r.n));
                };
                let payer = |at| Some(r.text(at, 48).trim().to_owned()).filter(|s| !s.is_empty());
                if k == "03" {
                    // Only 入金 (1); withdrawals are not customer payments.
                    if r.text(21, 1) != "1" {
                        continue;
                    }
                    out.push(StatementDeposit {
                        record: r.n,
                        account: acc.clone(),
                        inquiry_number: r.text(1, 8).trim().to_owned(),
                        value_date: r.date(9, "勘定日")?,
                        amount: r.num(24, 12, "取引金額")?,
                        payer_name: payer(81),
                    });
                } else {
                    // 取消区分 1: the bank cancels an earlier notice; not a new deposit.
                    if r.text(127, 1) == "1" {
                        continue;
                    }
                    out.push(StatementDeposit {
                        record: r.n,
                        account: acc.clone(),
                        inquiry_number: r.text(1, 6).trim().to_owned(),
                        value_date: r.date(7, "勘定日")?,
                        amount: r.num(19, 10, "金額")?,
                        payer_name: payer(49),
                    });
                }
            }
            "8" | "9" => {}
            other => {
                return Err(format!(
                    "record {}: データ区分 `{other}` is not 1, 2, 8 or 9",
                    r.n
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "zengin_read_tests.rs"]
mod tests;
