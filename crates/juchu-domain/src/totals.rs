//! Order totals (DOMAIN.md §3 and invariant §4.5): lines + shipping + fees − discount − points = total.

use crate::money::Money;
use crate::order::{Fee, Line, Totals};
use crate::tax::{Rounding, TaxRate, summarize};

/// Computes the totals of an order. Tax is computed once per rate on the tax-inclusive amount at that
/// rate. Shipping and fees are taxed at 10%. The discount lowers the taxable amounts, spread over the
/// rates in proportion to their amounts (the remainder yen goes to the largest rate); points used lower
/// only the amount charged, not the taxable sales (DOMAIN.md §3).
pub fn compute(
    lines: &[Line],
    shipping_fee: Money,
    fees: &[Fee],
    discount: Money,
    points_used: Money,
    rounding: Rounding,
) -> Totals {
    let items: Money = lines.iter().map(Line::amount).sum();
    let fee_sum: Money = fees.iter().map(|f| f.amount).sum();
    let mut buckets: Vec<(TaxRate, Money)> = Vec::with_capacity(2);
    let mut add = |rate: TaxRate, amount: Money| match buckets.iter_mut().find(|(r, _)| *r == rate)
    {
        Some((_, a)) => *a += amount,
        None => buckets.push((rate, amount)),
    };
    for l in lines {
        add(l.tax_rate, l.amount());
    }
    if shipping_fee != Money::ZERO || fee_sum != Money::ZERO {
        add(TaxRate::Standard10, shipping_fee + fee_sum);
    }
    spread_discount(&mut buckets, discount);
    Totals {
        items,
        shipping_fee,
        fees: fee_sum,
        discount,
        points_used,
        total: items + shipping_fee + fee_sum - discount - points_used,
        tax: summarize(buckets, rounding),
    }
}

/// Lowers each bucket by its share of the discount (floor), then puts the remainder on the largest.
fn spread_discount(buckets: &mut [(TaxRate, Money)], discount: Money) {
    let gross: i128 = buckets.iter().map(|(_, a)| i128::from(a.minor())).sum();
    if discount == Money::ZERO || gross <= 0 {
        return;
    }
    let d = i128::from(discount.minor());
    let mut given = 0i128;
    for (_, amount) in buckets.iter_mut() {
        let share = d * i128::from(amount.minor()) / gross;
        given += share;
        *amount -= Money::yen(i64::try_from(share).unwrap_or(0));
    }
    let rest = i64::try_from(d - given).unwrap_or(0);
    if let Some((_, largest)) = buckets.iter_mut().max_by_key(|(r, a)| (*a, *r)) {
        *largest -= Money::yen(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::LineId;

    fn line(price: i64, qty: i64, rate: TaxRate) -> Line {
        Line {
            id: LineId::new(),
            sku: "X".into(),
            name: "x".into(),
            quantity: qty,
            unit_price: Money::yen(price),
            tax_rate: rate,
            allocated_quantity: 0,
            shipped_quantity: 0,
            returned_quantity: 0,
        }
    }

    #[test]
    fn mixed_rates_with_shipping_discount_and_points() {
        let lines = [
            line(1080, 2, TaxRate::Reduced8),
            line(3300, 1, TaxRate::Standard10),
        ];
        let t = compute(
            &lines,
            Money::yen(550),
            &[],
            Money::yen(0),
            Money::yen(100),
            Rounding::Down,
        );
        assert_eq!(t.items, Money::yen(5460));
        assert_eq!(t.total, Money::yen(5910));
        // 10%: 3300 + 550 = 3850 → 350; 8%: 2160 → 160. Points do not lower the tax base.
        assert_eq!(t.tax[0].base, Money::yen(3850));
        assert_eq!(t.tax[0].tax, Money::yen(350));
        assert_eq!(t.tax[1].base, Money::yen(2160));
        assert_eq!(t.tax[1].tax, Money::yen(160));
    }

    #[test]
    fn discount_is_spread_and_adds_up() {
        let lines = [
            line(1000, 1, TaxRate::Reduced8),
            line(2000, 1, TaxRate::Standard10),
        ];
        let t = compute(
            &lines,
            Money::ZERO,
            &[],
            Money::yen(301),
            Money::ZERO,
            Rounding::Down,
        );
        let bases: Money = t.tax.iter().map(|l| l.base).sum();
        assert_eq!(bases, Money::yen(3000 - 301));
        assert_eq!(t.total, Money::yen(2699));
    }
}
