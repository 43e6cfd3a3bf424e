//! How the console writes money and times: yen with thousands separators, times in Japan.

use jiff::Timestamp;
use jiff::tz::{TimeZone, offset};
use juchu_domain::Money;

/// `¥12,345` (`-¥500` when negative).
pub fn yen(m: Money) -> String {
    let n = m.minor();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}¥{out}", if n < 0 { "-" } else { "" })
}

/// `2025-04-01 09:30` in Japan time.
pub fn jst(t: Timestamp) -> String {
    t.to_zoned(TimeZone::fixed(offset(9)))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_has_thousands_separators() {
        assert_eq!(yen(Money::yen(0)), "¥0");
        assert_eq!(yen(Money::yen(999)), "¥999");
        assert_eq!(yen(Money::yen(1000)), "¥1,000");
        assert_eq!(yen(Money::yen(1234567)), "¥1,234,567");
        assert_eq!(yen(Money::yen(-5000)), "-¥5,000");
    }

    #[test]
    fn times_are_shown_in_japan() {
        let t: Timestamp = "2025-03-31T15:30:00Z".parse().unwrap();
        assert_eq!(jst(t), "2025-04-01 00:30");
    }
}
