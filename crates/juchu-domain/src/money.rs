//! Money as integer minor units. JPY has no minor unit: 1 = ¥1. No floats anywhere.

use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// The currency of an amount. juchu serves Japanese shops; JPY is the only currency today,
/// but amounts carry it so that a second one cannot be mixed in silently.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
pub enum Currency {
    #[default]
    #[serde(rename = "JPY")]
    Jpy,
}

/// An amount in minor units of its currency. Serialised as a plain integer (the API's convention).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// Yen (JPY minor units).
    pub const fn yen(amount: i64) -> Self {
        Money(amount)
    }

    pub const fn minor(self) -> i64 {
        self.0
    }

    pub const fn currency(self) -> Currency {
        Currency::Jpy
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self × n`, `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }
}

/// As people read an amount: `¥1,234`, with the minus sign in front of the yen sign
/// (`-¥500`). Mails and the console show amounts this way.
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + 8);
        if self.0 < 0 {
            out.push('-');
        }
        out.push('¥');
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        f.write_str(&out)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .description(Some("Amount in minor units (JPY: yen)"))
            .into()
    }
}
impl utoipa::ToSchema for Money {}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn displays_as_yen_with_thousands_separators() {
        assert_eq!(Money::yen(0).to_string(), "¥0");
        assert_eq!(Money::yen(980).to_string(), "¥980");
        assert_eq!(Money::yen(1980).to_string(), "¥1,980");
        assert_eq!(Money::yen(1_234_567).to_string(), "¥1,234,567");
        assert_eq!(Money::yen(-500).to_string(), "-¥500");
    }
}
