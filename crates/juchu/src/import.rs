//! `juchu import …`: files from outside juchu, through the same use cases as the API.

use anyhow::Context;
use juchu_app::App;
use std::path::Path;

/// `juchu import bank-statement FILE`: a Zengin statement (01 or 03, Shift_JIS or UTF-8). Prints
/// one line per deposit and a summary; importing a file again counts nothing twice.
pub async fn bank_statement(app: &App, file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let r = app
        .import_statement(&bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e:?}", file.display()))?;
    for d in &r.matched {
        println!(
            "matched   {} ¥{} {} → order {} ({:?})",
            d.account,
            d.amount,
            d.deposited_at,
            d.order_id.as_deref().unwrap_or("-"),
            d.payment_status
        );
    }
    for d in &r.unmatched {
        println!(
            "unmatched {} ¥{} {} {}",
            d.account,
            d.amount,
            d.deposited_at,
            d.payer_kana.as_deref().unwrap_or("")
        );
    }
    println!(
        "{} matched, {} unmatched, {} already imported",
        r.matched.len(),
        r.unmatched.len(),
        r.duplicates
    );
    Ok(())
}
