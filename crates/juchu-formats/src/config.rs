//! The shop's carrier settings (`[carriers]` in the config file): who ships (ご依頼主) and the account
//! codes each carrier prints on its labels.

use serde::{Deserialize, Serialize};

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CarrierConfig {
    pub shipper: Shipper,
    pub yamato: YamatoConfig,
    pub sagawa: SagawaConfig,
    pub japanpost: JapanPostConfig,
    /// HMAC-SHA256 key a carrier integration signs `POST /webhooks/carriers/{carrier}` with
    /// (`webhook::sign`) instead of sending an API key. Empty: only warehouse/operator/admin API
    /// keys are accepted.
    pub webhook_secret: String,
}

/// By hand, so that a logged config never shows the webhook secret.
impl std::fmt::Debug for CarrierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierConfig")
            .field("shipper", &self.shipper)
            .field("yamato", &self.yamato)
            .field("sagawa", &self.sagawa)
            .field("japanpost", &self.japanpost)
            .field(
                "webhook_secret",
                &if self.webhook_secret.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .finish()
    }
}

/// ご依頼主: printed as the sender on every label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Shipper {
    pub name: String,
    pub phone: String,
    pub postal_code: String,
    pub address: String,
    pub building: String,
}

impl Default for Shipper {
    // A placeholder that encodes and validates, so a fresh install can try the export; a shop sets its own.
    fn default() -> Self {
        Shipper {
            name: "juchu ショップ".into(),
            phone: "03-0000-0000".into(),
            postal_code: "1000001".into(),
            address: "東京都千代田区千代田1-1".into(),
            building: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YamatoConfig {
    /// 請求先顧客コード (10–12 digits).
    pub customer_code: String,
    /// 請求先分類コード (blank or 3 digits).
    pub customer_class: String,
    /// 運賃管理番号 (2 digits).
    pub freight_code: String,
}

impl Default for YamatoConfig {
    fn default() -> Self {
        YamatoConfig {
            customer_code: "000000000000".into(),
            customer_class: String::new(),
            freight_code: "01".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SagawaConfig {
    /// お客様コード (the shop's Sagawa account).
    pub customer_code: String,
}

/// `[carriers.japanpost]`: how our time slots are written in the ゆうプリR file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JapanPostConfig {
    /// Our time-slot code (`0812`, `1214`, `1416`, `1618`, `1820`, `1921`) → the 配達時間帯区分 of
    /// the shop's ゆうプリR 取込レイアウト. The defaults are the ゆうパック codes 51–56; check them
    /// against the code table of the layout you registered (docs/carriers.md).
    pub time_slots: std::collections::BTreeMap<String, String>,
}

impl Default for JapanPostConfig {
    fn default() -> Self {
        let slots = [
            ("0812", "51"),
            ("1214", "52"),
            ("1416", "53"),
            ("1618", "54"),
            ("1820", "55"),
            ("1921", "56"),
        ];
        JapanPostConfig {
            time_slots: slots
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_webhook_secret() {
        let c = super::CarrierConfig {
            webhook_secret: "hunter2".into(),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("webhook_secret: \"***\""), "{shown}");
    }
}
