//! Writing Zengin statements (FORMATS.md §4): what a bank sends, for the sandbox bank and the tests
//! that must feed juchu byte-exact files. Every record is checked to be 200 bytes.

use jiff::civil::Date;

/// Which statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// 振込入金通知 (種別 01, format A).
    Transfers01,
    /// 入出金取引明細 (種別 03).
    Statement03,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub bank: String,
    pub bank_name: String,
    pub branch: String,
    pub branch_name: String,
    pub number: i64,
    pub holder: String,
}

#[derive(Debug, Clone)]
pub struct Deposit {
    pub inquiry: i64,
    pub date: Date,
    pub amount: i64,
    /// Half-width kana, e.g. `ﾔﾏﾀﾞ ﾀﾛｳ`.
    pub payer: String,
}

/// One record under construction: fields appended left to right.
struct Rec(String);

impl Rec {
    /// N field: right-aligned, zero-filled.
    fn n(mut self, v: i64, w: usize) -> Self {
        self.0.push_str(&format!("{v:0w$}"));
        self
    }
    /// C field: left-aligned, space-padded (cut at the width).
    fn c(mut self, v: &str, w: usize) -> Self {
        let v: String = v.chars().take(w).collect();
        let pad = w - v.chars().count();
        self.0.push_str(&v);
        self.0.push_str(&" ".repeat(pad));
        self
    }
    fn d(self, d: Date) -> Self {
        // 和暦 (Reiwa): 2025 is Reiwa 7.
        let v =
            (i64::from(d.year()) - 2018) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day());
        self.n(v, 6)
    }
}

/// The statement for one account as bytes (`sjis`: Shift_JIS, else UTF-8), records separated by
/// CRLF when `crlf`.
pub fn write(
    layout: Layout,
    acc: &Account,
    deposits: &[Deposit],
    created: Date,
    crlf: bool,
    sjis: bool,
) -> Result<Vec<u8>, String> {
    let total: i64 = deposits.iter().map(|d| d.amount).sum();
    let count = deposits.len() as i64;
    let first = deposits.iter().map(|d| d.date).min().unwrap_or(created);
    let last = deposits.iter().map(|d| d.date).max().unwrap_or(created);
    let mut recs = vec![];
    let head = Rec(String::new())
        .n(1, 1)
        .n(if layout == Layout::Transfers01 { 1 } else { 3 }, 2)
        .n(0, 1)
        .d(created)
        .d(first)
        .d(last)
        .c(&acc.bank, 4)
        .c(&acc.bank_name, 15)
        .c(&acc.branch, 3)
        .c(&acc.branch_name, 15);
    match layout {
        Layout::Transfers01 => {
            recs.push(head.n(1, 1).n(acc.number, 7).c(&acc.holder, 40).c("", 93));
            for d in deposits {
                recs.push(
                    Rec(String::new())
                        .n(2, 1)
                        .n(d.inquiry, 6)
                        .d(d.date)
                        .d(d.date)
                        .n(d.amount, 10)
                        .n(0, 10)
                        .n(0, 10)
                        .c(&d.payer, 48)
                        .c("ﾐﾂｲｽﾐﾄﾓ", 15)
                        .c("ﾎﾝﾃﾝ", 15)
                        .n(0, 1)
                        .c("", 20)
                        .c("", 52),
                );
            }
            recs.push(
                Rec(String::new())
                    .n(8, 1)
                    .n(count, 6)
                    .n(total, 12)
                    .n(0, 6)
                    .n(0, 12)
                    .c("", 163),
            );
        }
        Layout::Statement03 => {
            recs.push(
                head.n(0, 3)
                    .n(1, 1)
                    .n(acc.number, 10)
                    .c(&acc.holder, 40)
                    .n(1, 1)
                    .n(0, 1)
                    .n(0, 14)
                    .c("", 71),
            );
            for d in deposits {
                recs.push(
                    Rec(String::new())
                        .n(2, 1)
                        .n(d.inquiry, 8)
                        .d(d.date)
                        .d(d.date)
                        .n(1, 1)
                        .n(11, 2)
                        .n(d.amount, 12)
                        .n(0, 12)
                        .n(0, 6)
                        .n(0, 6)
                        .n(0, 1)
                        .n(0, 7)
                        .n(0, 3)
                        .n(0, 10)
                        .c(&d.payer, 48)
                        .c("ﾐﾂｲｽﾐﾄﾓ", 15)
                        .c("ﾎﾝﾃﾝ", 15)
                        .c("ﾌﾘｺﾐ", 20)
                        .c("", 20)
                        .c("", 1),
                );
            }
            recs.push(
                Rec(String::new())
                    .n(8, 1)
                    .n(count, 6)
                    .n(total, 13)
                    .n(0, 6)
                    .n(0, 13)
                    .n(1, 1)
                    .n(total, 14)
                    .n(count, 7)
                    .c("", 139),
            );
        }
    }
    let n = recs.len() as i64 + 1;
    recs.push(Rec(String::new()).n(9, 1).n(n, 10).n(1, 5).c("", 184));
    let mut out = vec![];
    for (i, r) in recs.iter().enumerate() {
        let bytes = if sjis {
            let (b, _, bad) = encoding_rs::SHIFT_JIS.encode(&r.0);
            if bad {
                return Err(format!("record {}: not representable in Shift_JIS", i + 1));
            }
            b.into_owned()
        } else {
            r.0.as_bytes().to_vec()
        };
        let width = if sjis {
            bytes.len()
        } else {
            r.0.chars().count()
        };
        if width != 200 {
            return Err(format!("record {} is {width} long, not 200", i + 1));
        }
        out.extend_from_slice(&bytes);
        if crlf {
            out.extend_from_slice(b"\r\n");
        }
    }
    Ok(out)
}
