//! `ProvidersConfig`: where the providers are, how long to wait for them, how often to retry,
//! and the shop's credentials with each.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Moved to juchu-domain so every config with a secret (bank webhooks, SMTP) shares it.
pub use juchu_domain::Secret;

/// Timeouts and retries for one provider's HTTP calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Per-attempt timeout, connect + answer (milliseconds).
    pub timeout_ms: u64,
    /// Attempts per call, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the second attempt; doubled for each further one.
    pub initial_backoff_ms: u64,
    /// The delay never grows beyond this.
    pub max_backoff_ms: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout_ms: 10_000,
            max_attempts: 4,
            initial_backoff_ms: 200,
            max_backoff_ms: 5_000,
        }
    }
}

impl HttpSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }
}

/// GMO-PG (idPass) card gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardConfig {
    /// Up to the `/payment/` path: `{base_url}/payment/EntryTran.idPass`.
    pub base_url: String,
    pub shop_id: String,
    pub shop_pass: Secret,
    /// Site credentials, for authorising with a card saved under a member (MemberID, CardSeq).
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub site_pass: Option<Secret>,
    /// Overrides `[providers.http]` for this provider.
    #[serde(default)]
    pub http: Option<HttpSettings>,
}

/// NP後払い-style deferred payment (REST v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeferredConfig {
    /// Up to and including `/v1`: `{base_url}/transactions`.
    pub base_url: String,
    /// HTTP Basic user.
    pub merchant_code: String,
    /// HTTP Basic password.
    pub sp_code: Secret,
    /// Sent as `X-NP-Terminal-Id`.
    pub terminal_id: String,
    #[serde(default)]
    pub http: Option<HttpSettings>,
}

/// Amazon Pay API v2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmazonPayConfig {
    /// Up to and including `/v2`: `{base_url}/charges`.
    pub base_url: String,
    /// Sent as `x-amz-pay-region` (`jp`).
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default)]
    pub http: Option<HttpSettings>,
}

fn default_region() -> String {
    "jp".into()
}

/// The bank's API (virtual accounts, statements, payouts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankConfig {
    /// Up to and including `/v1`: `{base_url}/va/issue`.
    pub base_url: String,
    #[serde(default)]
    pub http: Option<HttpSettings>,
}

/// Every provider juchu talks to. In a shop's TOML file this is the `[providers]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersConfig {
    /// Defaults for every provider's timeouts and retries.
    #[serde(default)]
    pub http: HttpSettings,
    pub card: CardConfig,
    pub deferred: DeferredConfig,
    pub amazon_pay: AmazonPayConfig,
    pub bank: BankConfig,
}

impl ProvidersConfig {
    /// Every provider on one `juchu-sandbox` at `url` (e.g. `http://127.0.0.1:9800`), with the
    /// sandbox's test credentials.
    pub fn for_sandbox(url: &str) -> Self {
        let url = url.trim_end_matches('/');
        ProvidersConfig {
            http: HttpSettings::default(),
            card: CardConfig {
                base_url: url.to_string(),
                shop_id: "tshop00000001".into(),
                shop_pass: "sandbox".into(),
                site_id: None,
                site_pass: None,
                http: None,
            },
            deferred: DeferredConfig {
                base_url: format!("{url}/np/v1"),
                merchant_code: "sandbox-merchant".into(),
                sp_code: "sandbox-sp".into(),
                terminal_id: "sandbox-terminal".into(),
                http: None,
            },
            amazon_pay: AmazonPayConfig {
                base_url: format!("{url}/amazonpay/v2"),
                region: default_region(),
                http: None,
            },
            bank: BankConfig {
                base_url: format!("{url}/bank/v1"),
                http: None,
            },
        }
    }

    /// Sets the same timeout and retry settings on every provider.
    pub fn with_http(mut self, http: HttpSettings) -> Self {
        self.http = http;
        self.card.http = None;
        self.deferred.http = None;
        self.amazon_pay.http = None;
        self.bank.http = None;
        self
    }

    pub fn card_http(&self) -> HttpSettings {
        self.card.http.clone().unwrap_or_else(|| self.http.clone())
    }

    pub fn deferred_http(&self) -> HttpSettings {
        self.deferred
            .http
            .clone()
            .unwrap_or_else(|| self.http.clone())
    }

    pub fn bank_http(&self) -> HttpSettings {
        self.bank.http.clone().unwrap_or_else(|| self.http.clone())
    }

    pub fn amazon_pay_http(&self) -> HttpSettings {
        self.amazon_pay
            .http
            .clone()
            .unwrap_or_else(|| self.http.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_config_points_every_provider_at_the_sandbox() {
        let c = ProvidersConfig::for_sandbox("http://127.0.0.1:9800/");
        assert_eq!(c.card.base_url, "http://127.0.0.1:9800");
        assert_eq!(c.deferred.base_url, "http://127.0.0.1:9800/np/v1");
        assert_eq!(c.amazon_pay.base_url, "http://127.0.0.1:9800/amazonpay/v2");
        assert_eq!(c.bank.base_url, "http://127.0.0.1:9800/bank/v1");
        assert_eq!(c.card_http(), HttpSettings::default());
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = ProvidersConfig::for_sandbox("http://x");
        let shown = format!("{c:?}");
        assert!(!shown.contains("sandbox-sp"), "{shown}");
        assert!(shown.contains("shop_pass: \"***\""), "{shown}");
        assert_eq!(c.deferred.sp_code.expose(), "sandbox-sp");
    }

    #[test]
    fn config_round_trips_through_json_and_rejects_unknown_keys() {
        let mut c = ProvidersConfig::for_sandbox("http://x");
        c.deferred.http = Some(HttpSettings {
            timeout_ms: 500,
            ..HttpSettings::default()
        });
        let text = serde_json::to_string(&c).unwrap();
        let back: ProvidersConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.deferred_http().timeout_ms, 500);
        assert_eq!(back.card_http().timeout_ms, 10_000);

        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["card"]["shop_pasword"] = serde_json::json!("typo");
        let err = serde_json::from_value::<ProvidersConfig>(v).unwrap_err();
        assert!(err.to_string().contains("shop_pasword"), "{err}");
    }
}
