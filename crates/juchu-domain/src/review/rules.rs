//! The review rules as data (`[review]` in the policies file, `PUT /api/v1/review/rules`). The
//! defaults are API.md's: holds for notes, remote areas, blacklist hits and totals of ¥100,000 or
//! more; the suspicious-pattern rules are off until a shop sets their thresholds, because what is
//! suspicious depends on the shop.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewRules {
    /// Customer notes (備考) present → hold `notes`.
    pub notes: bool,
    /// A blacklisted e-mail, phone, address or customer id → hold `blacklist`.
    pub blacklist: bool,
    /// Total at or above this many yen → hold `high_amount` (`null` or 0: off).
    pub high_amount: Option<i64>,
    /// A customer's first order with a total at or above this → hold `suspicious` (`null` or 0: off).
    pub first_order_amount: Option<i64>,
    /// More than this many units of one SKU → hold `suspicious` (`null` or 0: off).
    pub max_units_per_sku: Option<i64>,
    /// A billing address that differs from the shipping address → hold `suspicious`.
    pub billing_mismatch: bool,
    /// A requested delivery date sooner than this many days after receipt → hold `delivery_date`.
    pub delivery_min_days: Option<i64>,
    /// A requested delivery date later than this many days after receipt → hold `delivery_date`.
    pub delivery_max_days: Option<i64>,
    /// With postal data loaded: a postal code whose prefecture and city do not match the address
    /// → hold `address_mismatch`.
    pub address_check: bool,
    /// Areas shipped to as 離島 / remote: hold `remote_area` (when `hold` is set) and surcharges.
    pub remote_areas: Vec<RemoteArea>,
    /// Extra shipping fee in yen, keyed by remote-area name or prefecture (the area wins).
    pub surcharges: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteArea {
    pub name: String,
    /// Inclusive ranges of 7-digit postal codes.
    #[serde(default)]
    pub postal_ranges: Vec<PostalRange>,
    /// JIS X0402 municipality codes (5 digits); matched through the loaded postal data.
    #[serde(default)]
    pub municipalities: Vec<String>,
    /// Whether an order here is held for review (`false`: only the surcharge applies).
    #[serde(default = "yes")]
    pub hold: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostalRange {
    pub from: String,
    pub to: String,
}

fn range(from: &str, to: &str) -> PostalRange {
    PostalRange {
        from: from.into(),
        to: to.into(),
    }
}

/// The built-in remote areas (FORMATS.md §8). 千代田区 uses 100-00xx and 100-6xxx/7xxx, so the
/// Tokyo islands are exactly 100-0100…100-2299 and central Tokyo never matches.
pub fn default_remote_areas() -> Vec<RemoteArea> {
    vec![
        RemoteArea {
            name: "沖縄県".into(),
            postal_ranges: vec![range("9000000", "9079999")],
            municipalities: vec![],
            hold: true,
        },
        RemoteArea {
            name: "東京都島しょ部（伊豆諸島・小笠原諸島）".into(),
            postal_ranges: vec![range("1000100", "1002299")],
            municipalities: [
                "13361", "13362", "13363", "13364", "13381", "13382", "13401", "13402", "13421",
            ]
            .map(String::from)
            .to_vec(),
            hold: true,
        },
        RemoteArea {
            name: "鹿児島県の離島（種子島・屋久島・十島・奄美群島）".into(),
            postal_ranges: vec![range("8913000", "8919999"), range("8940000", "8949999")],
            municipalities: vec![],
            hold: true,
        },
    ]
}

impl Default for ReviewRules {
    fn default() -> Self {
        ReviewRules {
            notes: true,
            blacklist: true,
            high_amount: Some(100_000),
            first_order_amount: None,
            max_units_per_sku: None,
            billing_mismatch: false,
            delivery_min_days: None,
            delivery_max_days: None,
            address_check: true,
            remote_areas: default_remote_areas(),
            surcharges: BTreeMap::new(),
        }
    }
}

fn postal_ok(s: &str) -> bool {
    s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit())
}

impl ReviewRules {
    /// Every problem with the rules, as `(field, message)`, so that a bad edit is refused whole.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut non_negative = |field: &str, v: Option<i64>| {
            if v.is_some_and(|v| v < 0) {
                out.push((field.to_owned(), "must not be negative".to_owned()));
            }
        };
        non_negative("high_amount", self.high_amount);
        non_negative("first_order_amount", self.first_order_amount);
        non_negative("max_units_per_sku", self.max_units_per_sku);
        non_negative("delivery_min_days", self.delivery_min_days);
        non_negative("delivery_max_days", self.delivery_max_days);
        for (i, a) in self.remote_areas.iter().enumerate() {
            if a.name.trim().is_empty() {
                out.push((
                    format!("remote_areas[{i}].name"),
                    "must not be empty".into(),
                ));
            }
            for (j, r) in a.postal_ranges.iter().enumerate() {
                if !postal_ok(&r.from) || !postal_ok(&r.to) || r.from > r.to {
                    out.push((
                        format!("remote_areas[{i}].postal_ranges[{j}]"),
                        "from and to must be 7-digit postal codes with from ≤ to".into(),
                    ));
                }
            }
            for (j, m) in a.municipalities.iter().enumerate() {
                if m.len() != 5 || !m.bytes().all(|b| b.is_ascii_digit()) {
                    out.push((
                        format!("remote_areas[{i}].municipalities[{j}]"),
                        "must be a 5-digit JIS X0402 code".into(),
                    ));
                }
            }
        }
        for (k, v) in &self.surcharges {
            if !(0..=1_000_000).contains(v) {
                out.push((
                    format!("surcharges.{k}"),
                    "must be between 0 and 1000000".into(),
                ));
            }
        }
        out
    }
}
