//! Consumption tax (消費税). Prices are tax-inclusive (総額表示); tax is computed once per tax rate
//! per invoice from the tax-inclusive total at that rate, as the qualified-invoice rules require,
//! with one configurable rounding. Three lines of ¥105 at 10% carry ¥28 (315 × 10/110 = 28.6 → 28),
//! not 3 × ¥9 = ¥27.

use crate::money::Money;
use serde::{Deserialize, Serialize};

/// A consumption tax rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum TaxRate {
    /// 8% (軽減税率: food, newspapers).
    Reduced8,
    /// 10% (標準税率).
    Standard10,
}

impl TaxRate {
    pub const fn percent(self) -> i64 {
        match self {
            TaxRate::Reduced8 => 8,
            TaxRate::Standard10 => 10,
        }
    }
}

impl utoipa::PartialSchema for TaxRate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::Integer)
            .enum_values(Some([10, 8]))
            .description(Some(
                "Consumption tax rate in percent: 10 (standard) or 8 (reduced)",
            ))
            .into()
    }
}
impl utoipa::ToSchema for TaxRate {}

impl TryFrom<u8> for TaxRate {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        match v {
            8 => Ok(TaxRate::Reduced8),
            10 => Ok(TaxRate::Standard10),
            other => Err(format!("tax rate must be 10 or 8, not {other}")),
        }
    }
}

impl From<TaxRate> for u8 {
    fn from(r: TaxRate) -> u8 {
        match r {
            TaxRate::Reduced8 => 8,
            TaxRate::Standard10 => 10,
        }
    }
}

/// How the tax of one rate is rounded to whole minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 切り捨て (the usual choice, and the default).
    #[default]
    Down,
    /// 切り上げ.
    Up,
    /// 四捨五入.
    HalfUp,
}

/// The tax carried by a tax-inclusive amount at a rate: `gross × r / (100 + r)`, rounded.
pub fn included_tax(gross: Money, rate: TaxRate, rounding: Rounding) -> Money {
    let r = rate.percent();
    let num = i128::from(gross.minor()) * i128::from(r);
    let den = i128::from(100 + r);
    let q = num.div_euclid(den);
    let rem = num.rem_euclid(den);
    let rounded = match rounding {
        Rounding::Down => q,
        Rounding::Up => {
            if rem > 0 {
                q + 1
            } else {
                q
            }
        }
        Rounding::HalfUp => {
            if rem * 2 >= den {
                q + 1
            } else {
                q
            }
        }
    };
    // The quotient of an i64 times 10/110 always fits back into an i64.
    Money::yen(i64::try_from(rounded).unwrap_or(i64::MAX))
}

/// One rate's summary on an invoice: the tax-inclusive base and the tax it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaxLine {
    pub rate: TaxRate,
    /// Tax-inclusive amount at this rate.
    pub base: Money,
    /// Consumption tax included in `base`.
    pub tax: Money,
}

/// Sum tax-inclusive amounts per rate and compute each rate's tax once. Sorted by rate, highest first.
pub fn summarize<I>(amounts: I, rounding: Rounding) -> Vec<TaxLine>
where
    I: IntoIterator<Item = (TaxRate, Money)>,
{
    let mut std10 = None::<Money>;
    let mut red8 = None::<Money>;
    for (rate, amount) in amounts {
        let slot = match rate {
            TaxRate::Standard10 => &mut std10,
            TaxRate::Reduced8 => &mut red8,
        };
        *slot = Some(slot.unwrap_or(Money::ZERO) + amount);
    }
    [(TaxRate::Standard10, std10), (TaxRate::Reduced8, red8)]
        .into_iter()
        .filter_map(|(rate, base)| {
            base.map(|base| TaxLine {
                rate,
                base,
                tax: included_tax(base, rate, rounding),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_is_computed_once_per_rate_not_per_line() {
        let lines = [(TaxRate::Standard10, Money::yen(105)); 3];
        let s = summarize(lines, Rounding::Down);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].base, Money::yen(315));
        assert_eq!(s[0].tax, Money::yen(28));
        let per_line: i64 = (0..3)
            .map(|_| included_tax(Money::yen(105), TaxRate::Standard10, Rounding::Down).minor())
            .sum();
        assert_eq!(per_line, 27, "per-line rounding would lose a yen");
    }

    #[test]
    fn rounding_modes() {
        // 1,000 × 8/108 = 74.07…
        let g = Money::yen(1000);
        assert_eq!(
            included_tax(g, TaxRate::Reduced8, Rounding::Down),
            Money::yen(74)
        );
        assert_eq!(
            included_tax(g, TaxRate::Reduced8, Rounding::Up),
            Money::yen(75)
        );
        assert_eq!(
            included_tax(g, TaxRate::Reduced8, Rounding::HalfUp),
            Money::yen(74)
        );
        // 1,100 × 10/110 = 100 exactly
        let g = Money::yen(1100);
        assert_eq!(
            included_tax(g, TaxRate::Standard10, Rounding::Up),
            Money::yen(100)
        );
        // 16 × 10/110 = 1.4545 ; 17 × 10/110 = 1.545
        assert_eq!(
            included_tax(Money::yen(17), TaxRate::Standard10, Rounding::HalfUp),
            Money::yen(2)
        );
        assert_eq!(
            included_tax(Money::yen(16), TaxRate::Standard10, Rounding::HalfUp),
            Money::yen(1)
        );
    }

    #[test]
    fn rates_are_reported_separately() {
        let s = summarize(
            [
                (TaxRate::Reduced8, Money::yen(540)),
                (TaxRate::Standard10, Money::yen(1100)),
            ],
            Rounding::Down,
        );
        assert_eq!(s[0].rate, TaxRate::Standard10);
        assert_eq!(s[0].tax, Money::yen(100));
        assert_eq!(s[1].rate, TaxRate::Reduced8);
        assert_eq!(s[1].tax, Money::yen(40));
    }
}
