//! Carrier settings from the config file (`[carriers]`) and `juchu import tracking FILE`.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use indicatif::{ProgressBar, ProgressStyle};
use juchu_app::{App, RowResult};
use juchu_domain::Actor;
use juchu_formats::{CarrierConfig, TrackingFormat};
use std::path::Path;

/// `[carriers]` (with `[carriers.shipper]`, `[carriers.yamato]`, `[carriers.sagawa]`) from the config
/// file; defaults for the rest. `JUCHU_CARRIER_WEBHOOK_SECRET` overrides the webhook secret, so the
/// secret need not sit in a file.
pub fn load_carriers(path: Option<&Path>) -> anyhow::Result<CarrierConfig> {
    let mut fig = Figment::from(Serialized::defaults(CarrierConfig::default()));
    if let Some(p) = path {
        fig = fig.merge(Figment::from(Toml::file(p)).focus("carriers"));
    }
    let mut c: CarrierConfig = fig
        .extract()
        .with_context(|| "reading [carriers] from the config file")?;
    if let Ok(secret) = std::env::var("JUCHU_CARRIER_WEBHOOK_SECRET")
        && !secret.is_empty()
    {
        c.webhook_secret = secret;
    }
    Ok(c)
}

/// The config file without `[carriers]` and `[accounting]`, for the policies (which refuse unknown keys).
pub fn without_carriers(p: &Path) -> anyhow::Result<Serialized<figment::value::Dict>> {
    let mut dict: figment::value::Dict = Figment::from(Toml::file(p))
        .extract()
        .with_context(|| format!("reading {}", p.display()))?;
    dict.remove("carriers");
    dict.remove("accounting");
    dict.remove("providers");
    // `[shop]` and `[mail]` belong to `config::load_mail`.
    dict.remove("shop");
    dict.remove("mail");
    // `[console]` belongs to `config::load_console`.
    dict.remove("console");
    Ok(Serialized::defaults(dict))
}

/// `juchu import tracking FILE --format yamato-b2|sagawa-ehiden|csv`: ships every row through the
/// normal flow with a progress bar, then prints the rows that were not shipped and a summary.
pub async fn import_tracking(app: &App, file: &Path, format: &str) -> anyhow::Result<()> {
    let format = TrackingFormat::parse(format).with_context(|| {
        format!("--format `{format}`: use yamato-b2, sagawa-ehiden, japanpost-history or csv")
    })?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let actor = Actor::System {
        job: "import.tracking".into(),
    };
    let r = app
        .import_tracking(format, &bytes, &actor, &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e:?}", file.display()))?;
    bar.finish_and_clear();
    for row in r.rows.iter().filter(|x| x.result == RowResult::Error) {
        println!("row {}: error: {}", row.row, row.message);
    }
    let s = &r.summary;
    println!(
        "{} rows: {} shipped, {} already shipped, {} delivered, {} errors",
        s.rows, s.shipped, s.already_shipped, s.delivered, s.errors
    );
    anyhow::ensure!(s.errors == 0, "{} rows were not imported", s.errors);
    Ok(())
}

/// `juchu export shipping BATCH --format F [--output FILE]`: the warehouse or carrier file of a
/// shipping-instruction batch, the same bytes as `GET /api/v1/shipping-instructions/{id}/export`.
/// Writes to FILE, or to standard output. Returns the number of bytes written.
pub async fn export_shipping(
    app: &App,
    batch: &str,
    format: &str,
    output: Option<&Path>,
) -> anyhow::Result<usize> {
    let id: juchu_domain::BatchId = batch
        .parse()
        .with_context(|| format!("`{batch}` is not a shipping-instruction id"))?;
    let format = juchu_app::ExportFormat::parse(format).map_err(error_text)?;
    let bytes = app.export_shipping(id, format).await.map_err(error_text)?;
    match output {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(bytes.len())
}

/// An application error as one line a person can act on (the field messages, not just the kind).
pub(crate) fn error_text(e: juchu_app::AppError) -> anyhow::Error {
    match e {
        juchu_app::AppError::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}
