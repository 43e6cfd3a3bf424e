//! `[accounting]` in the config file, and `juchu export journal`.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use juchu_app::App;
use juchu_formats::AccountingConfig;
use std::path::Path;

/// Account names and tax categories from `[accounting]`, defaults for what it does not say.
pub fn load_accounting(path: Option<&Path>) -> anyhow::Result<AccountingConfig> {
    let mut fig = Figment::from(Serialized::defaults(AccountingConfig::default()));
    if let Some(p) = path {
        fig = fig.merge(Figment::from(Toml::file(p)).focus("accounting"));
    }
    fig.extract()
        .with_context(|| "reading [accounting] from the config file")
}

/// `juchu export journal --from --to --format`: the same bytes as
/// `GET /api/v1/accounting/journal`.
pub async fn export_journal(
    app: &App,
    from: &str,
    to: &str,
    format: &str,
    output: Option<&Path>,
) -> anyhow::Result<usize> {
    let text = crate::carriers::error_text;
    let format = juchu_app::JournalFormat::parse(format).map_err(text)?;
    let from = juchu_app::parse_date("from", from).map_err(text)?;
    let to = juchu_app::parse_date("to", to).map_err(text)?;
    let bytes = app.export_journal(from, to, format).await.map_err(text)?;
    match output {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(bytes.len())
}
