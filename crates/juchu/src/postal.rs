//! `juchu import postal-codes FILE`: Japan Post's KEN_ALL.CSV (Shift_JIS, long 町域 split over
//! several lines) or utf_ken_all.csv (UTF-8, one line per entry), plain or `.gz`
//! (FORMATS.md §8). The whole file is replaced; rows go in batches, one transaction each.

use anyhow::Context;
use juchu_domain::review::PostalEntry;
use juchu_store::Store;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Rows per transaction: large enough that commits do not dominate, small enough that one batch
/// does not hold SQLite's writer for long.
const BATCH: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportStats {
    pub rows: usize,
    pub seconds: f64,
}

impl ImportStats {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

/// The file's text: gunzipped when it starts with the gzip magic, UTF-8 when it is valid UTF-8,
/// else Shift_JIS (the encoding of KEN_ALL.CSV).
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 6);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("gunzipping {}", path.display()))?;
        out
    } else {
        raw
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s.trim_start_matches('\u{feff}').to_owned()),
        Err(e) => {
            let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(e.as_bytes());
            if bad {
                anyhow::bail!("{} is neither UTF-8 nor Shift_JIS", path.display());
            }
            Ok(text.into_owned())
        }
    }
}

/// Whether a 町域 opens a （note） that a later line closes: Japan Post splits 町域 longer than
/// 38 characters over consecutive lines of the same code, always inside such a note.
fn open_note(town: &str) -> bool {
    town.matches('（').count() > town.matches('）').count()
}

/// Parses KEN_ALL rows (15 columns, no header), joining split 町域. 「以下に掲載がない場合」
/// (no town of its own) becomes an empty town.
pub fn parse(text: &str) -> anyhow::Result<Vec<PostalEntry>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out: Vec<PostalEntry> = Vec::with_capacity(130_000);
    let mut joining = false;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("line {}", i + 1))?;
        if rec.len() < 9 {
            anyhow::bail!("line {}: {} columns, KEN_ALL has 15", i + 1, rec.len());
        }
        let code = rec[2].trim().to_owned();
        if code.len() != 7 || !code.bytes().all(|b| b.is_ascii_digit()) {
            anyhow::bail!("line {}: `{code}` is not a 7-digit postal code", i + 1);
        }
        let town = rec[8].trim();
        if joining && let Some(last) = out.last_mut().filter(|l| l.code == code) {
            last.town.push_str(town);
            joining = open_note(&last.town);
            continue;
        }
        joining = open_note(town);
        out.push(PostalEntry {
            code,
            jis: rec[0].trim().to_owned(),
            prefecture: rec[6].trim().to_owned(),
            city: rec[7].trim().to_owned(),
            town: if town == "以下に掲載がない場合" {
                String::new()
            } else {
                town.to_owned()
            },
        });
    }
    Ok(out)
}

/// Replaces the postal data with the file's; shows a progress bar when `progress`.
pub async fn import(store: &dyn Store, path: &Path, progress: bool) -> anyhow::Result<ImportStats> {
    let start = Instant::now();
    let rows = parse(&read_text(path)?).with_context(|| format!("parsing {}", path.display()))?;
    let bar = if progress {
        indicatif::ProgressBar::new(rows.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("郵便番号");
    store.postal_clear().await?;
    for chunk in rows.chunks(BATCH) {
        store.postal_insert(chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    Ok(ImportStats {
        rows: rows.len(),
        seconds: start.elapsed().as_secs_f64(),
    })
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
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].town.starts_with("協和（"));
        assert!(rows[0].town.ends_with("１７５２番地）"));
        assert_eq!(rows[1].town, "");
        assert_eq!(rows[1].jis, "13101");
    }
}
