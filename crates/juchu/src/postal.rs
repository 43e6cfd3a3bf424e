//! `juchu import postal-codes FILE`: Japan Post's KEN_ALL.CSV (Shift_JIS, long 町域 split over
//! several lines) or utf_ken_all.csv (UTF-8, one line per entry), plain or `.gz`
//! (FORMATS.md §8; parsed by `juchu_formats::parse_ken_all`). The whole file is replaced; rows go
//! in batches, one transaction each.

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
    juchu_formats::decode_text(&bytes)
        .map_err(|_| anyhow::anyhow!("{} is neither UTF-8 nor Shift_JIS", path.display()))
}

/// Parses KEN_ALL rows (15 columns, no header), joining split 町域 (juchu-formats does the work).
pub fn parse(text: &str) -> anyhow::Result<Vec<PostalEntry>> {
    Ok(juchu_formats::parse_ken_all(text)?
        .into_iter()
        .map(|r| PostalEntry {
            code: r.code,
            jis: r.jis,
            prefecture: r.prefecture,
            city: r.city,
            town: r.town,
        })
        .collect())
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
