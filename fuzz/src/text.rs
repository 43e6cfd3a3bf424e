//! Text the way shops and customers write it: mostly characters Shift_JIS carries (kana, kanji,
//! full-width forms, the NEC/IBM extensions), with the troublemakers mixed in — CSV quotes and
//! commas, line breaks, the look-alikes `map_to_cp932` substitutes, and characters it must refuse.
//! Uniformly random Unicode would fail the character-set check almost always and test nothing else.

use arbitrary::{Result, Unstructured};

const PALETTE: &[&str] = &[
    "a",
    "Z",
    "0",
    "9",
    " ",
    "-",
    "#",
    "/",
    ".",
    ",",
    "\"",
    "'",
    "\r",
    "\n",
    "\t",
    "\r\n",
    "ｱ",
    "ﾞ",
    "ｰ",
    "あ",
    "ン",
    "山",
    "田",
    "髙",
    "﨑",
    "①",
    "Ⅲ",
    "〜",
    "～",
    "−",
    "－",
    "‖",
    "—",
    "―",
    "¢",
    "£",
    "¬",
    "¦",
    "–",
    "\u{a0}",
    "𠮷",
    "¥",
    "‾",
    "😀",
    "Zoë",
    "é",
    "\u{feff}",
    "\u{0}",
    "　",
    "東京都千代田区",
    "ハイツ201",
    "株式会社",
    "売上高",
    "課税売上10%",
];

/// A string of up to `max` palette pieces (or, one time in eight, arbitrary Unicode).
pub fn text(u: &mut Unstructured, max: usize) -> Result<String> {
    if u.ratio(1, 8)? {
        let s: String = u.arbitrary()?;
        return Ok(s.chars().take(max * 2).collect());
    }
    let n = u.int_in_range(0..=max)?;
    let mut out = String::new();
    for _ in 0..n {
        out.push_str(u.choose(PALETTE)?);
    }
    Ok(out)
}

/// Digits with an optional hyphen, the way phone numbers and postal codes arrive, sometimes wrong.
pub fn digits(u: &mut Unstructured, max: usize) -> Result<String> {
    if u.ratio(1, 8)? {
        return text(u, max);
    }
    let n = u.int_in_range(0..=max)?;
    let mut out = String::new();
    for _ in 0..n {
        let c = *u.choose(&['0', '1', '3', '5', '7', '9', '-'])?;
        out.push(c);
    }
    Ok(out)
}

/// A date in the years carriers and accounting systems deal with, sometimes far outside them.
pub fn date(u: &mut Unstructured) -> Result<jiff::civil::Date> {
    let year = if u.ratio(1, 16)? {
        u.int_in_range(-9999..=9999)?
    } else {
        u.int_in_range(2000..=2100)?
    };
    let month = u.int_in_range(1..=12)?;
    let day = u.int_in_range(1..=28)?;
    Ok(jiff::civil::Date::new(year, month, day).unwrap_or_default())
}

/// An amount in yen: usually a price, sometimes an extreme.
pub fn amount(u: &mut Unstructured) -> Result<i64> {
    Ok(match u.int_in_range(0..=7)? {
        0 => i64::MIN,
        1 => i64::MAX,
        2 => u.arbitrary()?,
        _ => u.int_in_range(-1_000_000..=100_000_000)?,
    })
}

/// What `map_to_cp932` and a Shift_JIS round trip make of `s`, when it survives them: the value a
/// reader of the file gets back. `None`: the writer must refuse it.
pub fn as_read_back(s: &str) -> Option<String> {
    let mapped = juchu_formats::map_to_cp932("", "f", s).ok()?;
    let bytes = juchu_formats::encode_cp932(&mapped).ok()?;
    let (back, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad, "{s:?}: Shift_JIS written by us does not read back");
    Some(back.into_owned())
}

/// A file we wrote, read as its consumer would: strict Shift_JIS with CRLF line ends, then CSV,
/// every record (header included).
pub fn read_back_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let (text, bad) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    assert!(!bad, "the file is not Shift_JIS");
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "lines end with CRLF"
    );
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    rdr.records()
        .map(|r| match r {
            Ok(r) => r.iter().map(str::to_owned).collect(),
            Err(e) => panic!("unreadable CSV from our own writer: {e}"),
        })
        .collect()
}
