//! `juchu sandbox [--addr 127.0.0.1:9800] [--config FILE]`: serves the provider simulators
//! (docs/sandbox.md) until Ctrl-C.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use juchu_sandbox::{Sandbox, SandboxConfig};
use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct SandboxArgs {
    /// Where to listen (wins over the config file's `addr`; default 127.0.0.1:9800).
    #[arg(long, env = "JUCHU_SANDBOX_ADDR")]
    pub addr: Option<String>,
    /// TOML file of sandbox settings ([card], [deferred], [amazon], [bank], [faults]).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The settings: defaults (listening on 127.0.0.1:9800), then the file, then `--addr`.
pub fn load(args: &SandboxArgs) -> anyhow::Result<SandboxConfig> {
    let defaults = SandboxConfig {
        addr: "127.0.0.1:9800".into(),
        ..SandboxConfig::default()
    };
    let mut fig = Figment::from(Serialized::defaults(defaults));
    if let Some(path) = &args.config {
        // Read it ourselves: figment silently skips a missing file.
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read sandbox config {}", path.display()))?;
        fig = fig.merge(Toml::string(&text));
    }
    let mut cfg: SandboxConfig = fig
        .extract()
        .map_err(|e| anyhow::anyhow!("sandbox config: {e}"))?;
    if let Some(addr) = &args.addr {
        cfg.addr = addr.clone();
    }
    Ok(cfg)
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let cfg = load(&args)?;
    let webhook = cfg.bank.webhook_url.clone();
    let sb = Sandbox::start(cfg).await?;
    let url = sb.url();
    println!("juchu sandbox listening on {url}");
    println!("  card (GMO-PG idPass)   {url}/payment/EntryTran.idPass …");
    println!("  deferred (NP後払い)    {url}/np/v1/");
    println!("  Amazon Pay v2          {url}/amazonpay/v2/");
    println!(
        "  bank                   {url}/bank/v1/  (deposits: POST {url}/_sandbox/bank/deposits)"
    );
    match webhook {
        Some(w) => println!("  deposit webhooks  →    {w}"),
        None => println!("  deposit webhooks       off (set [bank] webhook_url)"),
    }
    println!(
        "  ledger {url}/_sandbox/ledger · faults {url}/_sandbox/faults · clock {url}/_sandbox/clock"
    );
    println!("Ctrl-C stops it.");
    sb.run_until_ctrl_c().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn defaults_file_and_flag() {
        let none = SandboxArgs {
            addr: None,
            config: None,
        };
        let cfg = load(&none).unwrap();
        assert_eq!(cfg.addr, "127.0.0.1:9800");
        assert_eq!(cfg.card.auth_expiry_days, 60);
        assert_eq!(cfg.bank.bank_code, "0310");
        assert_eq!(cfg.bank.first_account, 1_000_001);

        let f = file(
            "addr = \"127.0.0.1:9900\"\n[card]\nauth_expiry_days = 90\n[faults]\nfailure_rate = 0.3\nseed = 7\n[bank]\nwebhook_url = \"http://x/webhooks/bank/deposits\"\n",
        );
        let cfg = load(&SandboxArgs {
            addr: None,
            config: Some(f.path().to_owned()),
        })
        .unwrap();
        assert_eq!(cfg.addr, "127.0.0.1:9900");
        assert_eq!(cfg.card.auth_expiry_days, 90);
        assert_eq!(cfg.faults.seed, Some(7));
        assert_eq!(cfg.bank.branch_code, "101");
        let cfg = load(&SandboxArgs {
            addr: Some("127.0.0.1:0".into()),
            config: Some(f.path().to_owned()),
        })
        .unwrap();
        assert_eq!(cfg.addr, "127.0.0.1:0");
    }

    #[test]
    fn a_missing_file_or_unknown_key_is_an_error() {
        let missing = load(&SandboxArgs {
            addr: None,
            config: Some("/nonexistent/sandbox.toml".into()),
        });
        assert!(missing.is_err_and(|e| e.to_string().contains("/nonexistent/sandbox.toml")));
        let f = file("[card]\nauth_expiry = 3\n");
        let bad = load(&SandboxArgs {
            addr: None,
            config: Some(f.path().to_owned()),
        });
        assert!(bad.is_err_and(|e| e.to_string().contains("auth_expiry")));
    }
}
