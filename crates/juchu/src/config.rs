//! Shop policies from a TOML file (`--config` / `JUCHU_CONFIG`). Every policy has a default.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use juchu_app::mail::{MailSettings, ShopInfo};
use juchu_domain::policy::Policies;
use std::path::Path;

/// Reads policies from `path` (keys as in `Policies`, e.g. `customer_cancel_before = "allocated"`),
/// defaults for everything the file does not say. An unknown key is an error, so typos are caught.
pub fn load_policies(path: Option<&Path>) -> anyhow::Result<Policies> {
    let mut fig = Figment::from(Serialized::defaults(Policies::default()));
    if let Some(p) = path {
        anyhow::ensure!(p.exists(), "config file {} does not exist", p.display());
        // `[carriers]` belongs to `carriers::load_carriers`; the policies refuse unknown keys.
        fig = fig.merge(crate::carriers::without_carriers(p)?);
    }
    let mut policies: Policies = fig.extract().with_context(|| match path {
        Some(p) => format!("reading policies from {}", p.display()),
        None => "default policies".to_owned(),
    })?;
    // A secret belongs in the environment rather than in a file that may be committed.
    if let Ok(secret) = std::env::var("JUCHU_BANK_WEBHOOK_SECRET")
        && !secret.is_empty()
    {
        policies.bank.webhook_secret = Some(secret.into());
    }
    Ok(policies)
}

/// `[shop]` (the footer of customer e-mails) and `[mail]` (SMTP) from the config file; defaults for
/// the rest. Without `[mail] host` mail is not configured and mail jobs are completed as skipped.
/// `JUCHU_SMTP_PASSWORD` overrides the password, so the secret need not sit in a file.
pub fn load_mail(path: Option<&Path>) -> anyhow::Result<(ShopInfo, MailSettings)> {
    let mut shop = Figment::from(Serialized::defaults(ShopInfo::default()));
    let mut mail = Figment::from(Serialized::defaults(MailSettings::default()));
    if let Some(p) = path {
        shop = shop.merge(Figment::from(Toml::file(p)).focus("shop"));
        mail = mail.merge(Figment::from(Toml::file(p)).focus("mail"));
    }
    let shop: ShopInfo = shop
        .extract()
        .with_context(|| "reading [shop] from the config file")?;
    let mut mail: MailSettings = mail
        .extract()
        .with_context(|| "reading [mail] from the config file")?;
    if let Ok(secret) = std::env::var("JUCHU_SMTP_PASSWORD")
        && !secret.is_empty()
    {
        mail.password = Some(secret.into());
    }
    Ok((shop, mail))
}

/// `[providers]` from the config file, when it has one: payments go to those providers over HTTP
/// (docs/providers.md). Without it the in-process rules of the sandbox defaults apply.
pub fn load_providers(
    path: Option<&Path>,
) -> anyhow::Result<Option<juchu_providers::ProvidersConfig>> {
    use figment::providers::{Format, Toml};
    let Some(p) = path else { return Ok(None) };
    let dict: figment::value::Dict = Figment::from(Toml::file(p))
        .extract()
        .with_context(|| format!("reading {}", p.display()))?;
    if !dict.contains_key("providers") {
        return Ok(None);
    }
    let cfg: juchu_providers::ProvidersConfig = Figment::from(Toml::file(p))
        .focus("providers")
        .extract()
        .with_context(|| "reading [providers] from the config file")?;
    Ok(Some(cfg))
}

/// `[console]` from the config file (cookies, sessions, login rate limit); defaults for the rest.
pub fn load_console(path: Option<&Path>) -> anyhow::Result<juchu_console::ConsoleConfig> {
    let mut fig = Figment::from(Serialized::defaults(juchu_console::ConsoleConfig::default()));
    if let Some(p) = path {
        fig = fig.merge(Figment::from(Toml::file(p)).focus("console"));
    }
    fig.extract()
        .with_context(|| "reading [console] from the config file")
}
