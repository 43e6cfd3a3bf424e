//! Japan Post's postal-code data (FORMATS.md §8): KEN_ALL.CSV (Shift_JIS, a long 町域 split over
//! several lines) or utf_ken_all.csv (UTF-8, one line per entry). Pure: text in, rows out; reading
//! the file (and gunzipping it) is the command's business.

use crate::FormatError;

/// One entry of the postal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KenAllRow {
    /// Seven digits.
    pub code: String,
    /// JIS X0402 municipality code.
    pub jis: String,
    pub prefecture: String,
    pub city: String,
    /// 町域; empty for 「以下に掲載がない場合」 (no town of its own).
    pub town: String,
}

/// Whether a 町域 opens a （note） that a later line closes: Japan Post splits 町域 longer than
/// 38 characters over consecutive lines of the same code, always inside such a note.
fn open_note(town: &str) -> bool {
    town.matches('（').count() > town.matches('）').count()
}

/// Parses KEN_ALL rows (15 columns, no header), joining split 町域. An error names the line.
pub fn parse_ken_all(text: &str) -> Result<Vec<KenAllRow>, FormatError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // About 60 bytes a row: enough for the real file without reallocating, and no more.
    let mut out: Vec<KenAllRow> = Vec::with_capacity(text.len() / 60);
    let mut joining = false;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 1;
        let rec = rec.map_err(|e| FormatError::File(format!("line {line}: {e}")))?;
        let field = |n: usize| rec.get(n).map(str::trim).unwrap_or("");
        if rec.len() < 9 {
            return Err(FormatError::File(format!(
                "line {line}: {} columns, KEN_ALL has 15",
                rec.len()
            )));
        }
        let code = field(2);
        if code.len() != 7 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FormatError::File(format!(
                "line {line}: `{code}` is not a 7-digit postal code"
            )));
        }
        let town = field(8);
        if joining && let Some(last) = out.last_mut().filter(|l| l.code == code) {
            last.town.push_str(town);
            joining = open_note(&last.town);
            continue;
        }
        joining = open_note(town);
        out.push(KenAllRow {
            code: code.to_owned(),
            jis: field(0).to_owned(),
            prefecture: field(6).to_owned(),
            city: field(7).to_owned(),
            town: if town == "以下に掲載がない場合" {
                String::new()
            } else {
                town.to_owned()
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn joins_split_towns_and_empties_the_catch_all() {
        let text = "\"01224\",\"066  \",\"0660005\",\"ﾎｯｶｲﾄﾞｳ\",\"ﾁﾄｾｼ\",\"ｷｮｳﾜ\",\"北海道\",\"千歳市\",\"協和（８８－２、２７１－１０、３４３－２、４０４－１、４２７－３、４３１－１２、４４３－６、６０８－２\",\"1\",\"0\",\"0\",\"0\",\"0\",\"0\"\r\n\
\"01224\",\"066  \",\"0660005\",\"ﾎｯｶｲﾄﾞｳ\",\"ﾁﾄｾｼ\",\"ｷｮｳﾜ\",\"北海道\",\"千歳市\",\"、６４１－８、８１４、８４２－５、１１３７－３、１３９２、１６５７、１７５２番地）\",\"1\",\"0\",\"0\",\"0\",\"0\",\"0\"\r\n\
\"13101\",\"100  \",\"1000000\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"\",\"東京都\",\"千代田区\",\"以下に掲載がない場合\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\"\r\n";
        let rows = parse_ken_all(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].town.starts_with("協和（"));
        assert!(rows[0].town.ends_with("１７５２番地）"));
        assert_eq!(rows[1].town, "");
        assert_eq!(rows[1].jis, "13101");
    }

    #[test]
    fn a_wrong_file_names_the_line() {
        let e = parse_ken_all("a,b,c\r\n").unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("15"), "{e}");
        let e =
            parse_ken_all("1,2,3,4,5,6,7,8,9\r\n\"01224\",\"066\",\"066-0005\",4,5,6,7,8,9\r\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("line 1") && e.contains("7-digit"), "{e}");
    }
}
