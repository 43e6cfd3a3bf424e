//! Journal exports round trip: arbitrary entries → the 弥生 / freee / マネーフォワード file → read
//! back as Shift_JIS CSV → exactly the cells the layout promises. A writer may refuse an entry
//! (a character Shift_JIS cannot carry, an amount it cannot negate), never garble one: every cell
//! a reader gets is the entry's own value after the documented substitutions.

use crate::text::{amount, as_read_back, date, read_back_csv, text};
use arbitrary::{Result, Unstructured};
use juchu_formats::{
    FREEE_HEADER, JournalRow, MONEYFORWARD_HEADER, Posting, YAYOI_COLUMNS, write_freee,
    write_moneyforward, write_yayoi,
};

const RECEIVABLE: &str = "売掛金";

fn posting(u: &mut Unstructured) -> Result<Posting> {
    Ok(Posting {
        account: if u.ratio(1, 3)? {
            RECEIVABLE.into()
        } else {
            text(u, 6)?
        },
        sub_account: text(u, 4)?,
        tax_category: text(u, 3)?,
        amount: amount(u)?,
        tax: if u.arbitrary()? {
            Some(amount(u)?)
        } else {
            None
        },
    })
}

fn entry(u: &mut Unstructured) -> Result<JournalRow> {
    let n = u.int_in_range(0..=4)?;
    let debits = (0..n).map(|_| posting(u)).collect::<Result<_>>()?;
    let n = u.int_in_range(0..=4)?;
    let credits = (0..n).map(|_| posting(u)).collect::<Result<_>>()?;
    Ok(JournalRow {
        reference: format!("#{}", u.int_in_range(1..=99_999)?),
        date: date(u)?,
        memo: text(u, 8)?,
        debits,
        credits,
    })
}

fn ymd(d: jiff::civil::Date) -> String {
    format!("{:04}/{:02}/{:02}", d.year(), d.month(), d.day())
}

/// Account, sub-account, tax category, amount, tax: blank when the side is empty.
fn side(p: Option<&Posting>) -> [String; 5] {
    p.map(|p| {
        [
            p.account.clone(),
            p.sub_account.clone(),
            p.tax_category.clone(),
            p.amount.to_string(),
            p.tax.map(|t| t.to_string()).unwrap_or_default(),
        ]
    })
    .unwrap_or_default()
}

fn pairs(e: &JournalRow) -> Vec<(Option<&Posting>, Option<&Posting>)> {
    let n = e.debits.len().max(e.credits.len());
    (0..n)
        .map(|i| (e.debits.get(i), e.credits.get(i)))
        .collect()
}

fn blanks(n: usize) -> impl Iterator<Item = String> {
    std::iter::repeat_n(String::new(), n)
}

/// The rows FORMATS.md §7 describes, in our own words; `None` when a value cannot be written.
fn expected_yayoi(entries: &[JournalRow]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in entries {
        let p = pairs(e);
        let n = p.len();
        for (i, (d, c)) in p.into_iter().enumerate() {
            let flag = if n == 1 {
                "2000"
            } else if i == 0 {
                "2110"
            } else if i + 1 == n {
                "2101"
            } else {
                "2100"
            };
            let [da, ds, dt, dm, dx] = side(d);
            let [ca, cs, ct, cm, cx] = side(c);
            let mut r = vec![flag.to_owned(), String::new(), String::new(), ymd(e.date)];
            r.extend([da, ds, String::new(), dt, dm, dx]);
            r.extend([ca, cs, String::new(), ct, cm, cx]);
            r.extend([e.memo.clone(), String::new(), String::new(), "0".into()]);
            r.extend(blanks(4));
            r.push("no".into());
            rows.push(r);
        }
    }
    rows
}

fn expected_moneyforward(entries: &[JournalRow]) -> Vec<Vec<String>> {
    let mut rows = vec![MONEYFORWARD_HEADER.map(str::to_owned).to_vec()];
    for (no, e) in entries.iter().enumerate() {
        for (d, c) in pairs(e) {
            let [da, ds, dt, dm, dx] = side(d);
            let [ca, cs, ct, cm, cx] = side(c);
            let mut r = vec![(no + 1).to_string(), ymd(e.date), da, ds];
            r.extend(blanks(2));
            r.extend([dt, String::new(), dm, dx, ca, cs]);
            r.extend(blanks(2));
            r.extend([ct, String::new(), cm, cx, e.memo.clone()]);
            r.extend(blanks(8));
            rows.push(r);
        }
    }
    rows
}

/// `None` when a debit's amount or tax cannot be negated (the writer must refuse the file).
fn expected_freee(entries: &[JournalRow]) -> Option<Vec<Vec<String>>> {
    let mut rows = vec![FREEE_HEADER.map(str::to_owned).to_vec()];
    for e in entries {
        let partner = e
            .debits
            .iter()
            .chain(&e.credits)
            .find(|p| p.account == RECEIVABLE)
            .map(|p| p.sub_account.clone())
            .unwrap_or_default();
        let details = e
            .credits
            .iter()
            .map(|p| (p, 1i64))
            .chain(e.debits.iter().map(|p| (p, -1)))
            .filter(|(p, _)| p.account != RECEIVABLE);
        for (i, (p, sign)) in details.enumerate() {
            let head = |v: String| if i == 0 { v } else { String::new() };
            let tax = match p.tax {
                None => String::new(),
                Some(t) => t.checked_mul(sign)?.to_string(),
            };
            let mut r = vec![
                head("収入".into()),
                head(e.reference.clone()),
                head(ymd(e.date)),
                String::new(),
                head(partner.clone()),
                p.account.clone(),
                p.tax_category.clone(),
                p.amount.checked_mul(sign)?.to_string(),
                "内税".into(),
                tax,
                head(e.memo.clone()),
                p.sub_account.clone(),
            ];
            r.extend(blanks(8));
            rows.push(r);
        }
    }
    Some(rows)
}

/// Compares a written file with the expected cells; `expected: None` means the writer must refuse.
fn check(
    name: &str,
    written: Result<Vec<u8>, juchu_formats::FormatError>,
    expected: Option<Vec<Vec<String>>>,
    width: usize,
) {
    let expected = expected.and_then(|rows| {
        rows.into_iter()
            .map(|r| {
                r.iter()
                    .map(|c| as_read_back(c))
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()
    });
    match (written, expected) {
        (Ok(bytes), Some(rows)) => {
            let got = read_back_csv(&bytes);
            assert!(got.iter().all(|r| r.len() == width), "{name}: column count");
            assert_eq!(got, rows, "{name}: the file does not read back as written");
        }
        (Err(_), None) => {}
        (Ok(_), None) => panic!("{name}: wrote a file with a value it cannot carry"),
        (Err(e), Some(_)) => panic!("{name}: refused writable entries: {e}"),
    }
}

/// The round trip of all three layouts over one set of entries.
pub fn journal_roundtrip(u: &mut Unstructured) -> Result<()> {
    let n = u.int_in_range(0..=6)?;
    let entries = (0..n).map(|_| entry(u)).collect::<Result<Vec<_>>>()?;
    check(
        "yayoi",
        write_yayoi(&entries),
        Some(expected_yayoi(&entries)),
        YAYOI_COLUMNS,
    );
    check(
        "moneyforward",
        write_moneyforward(&entries),
        Some(expected_moneyforward(&entries)),
        MONEYFORWARD_HEADER.len(),
    );
    check(
        "freee",
        write_freee(&entries, RECEIVABLE),
        expected_freee(&entries),
        FREEE_HEADER.len(),
    );
    Ok(())
}
