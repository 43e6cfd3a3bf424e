//! Normalisation for blacklist matching: customers type the same address or phone number in many
//! ways (全角/半角, hyphens, case, spaces), and a blacklist that only matched byte-equal values
//! would be easy to slip past.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlacklistKind {
    Email,
    Phone,
    Address,
    CustomerId,
}

impl BlacklistKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlacklistKind::Email => "email",
            BlacklistKind::Phone => "phone",
            BlacklistKind::Address => "address",
            BlacklistKind::CustomerId => "customer_id",
        }
    }

    pub fn parse(s: &str) -> Option<BlacklistKind> {
        [
            BlacklistKind::Email,
            BlacklistKind::Phone,
            BlacklistKind::Address,
            BlacklistKind::CustomerId,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Full-width ASCII (U+FF01–FF5E) and the ideographic space to their half-width forms.
fn half_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Every dash a Japanese address or phone number is written with, including the long-vowel mark
/// that IMEs produce for 「1ー2ー3」.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30fc}' | '\u{ff70}' | '\u{fe63}'
    )
}

/// The stored and compared form of a value of `kind`.
pub fn normalize(kind: BlacklistKind, value: &str) -> String {
    let base = value.chars().map(half_width).flat_map(char::to_lowercase);
    match kind {
        // Hyphens are meaningful in e-mail addresses (`a-b@x.jp` ≠ `ab@x.jp`): keep them.
        BlacklistKind::Email | BlacklistKind::CustomerId => {
            base.filter(|c| !c.is_whitespace()).collect()
        }
        BlacklistKind::Phone => {
            let digits: String = base.filter(char::is_ascii_digit).collect();
            // +81 90… and 090… are the same number.
            match digits.strip_prefix("81") {
                Some(rest) if value.trim_start().starts_with('+') => format!("0{rest}"),
                _ => digits,
            }
        }
        BlacklistKind::Address => base
            .filter(|c| !c.is_whitespace() && !is_dash(*c))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_hyphens_case_and_spaces() {
        use BlacklistKind::*;
        assert_eq!(normalize(Email, " Ｔａｒｏ@Example.JP "), "taro@example.jp");
        assert_eq!(
            normalize(Phone, "０９０－１１１１－２２２２"),
            "09011112222"
        );
        assert_eq!(normalize(Phone, "+81 90-1111-2222"), "09011112222");
        assert_eq!(
            normalize(Address, "東京都 千代田区 千代田１ー１"),
            normalize(Address, "東京都千代田区千代田1-1")
        );
        assert_eq!(normalize(CustomerId, "ＣＵＳＴ 01"), "cust01");
    }
}
