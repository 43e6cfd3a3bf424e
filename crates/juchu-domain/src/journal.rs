//! 仕訳: the accounting journal entries an order's revenue produces (DOMAIN.md §2.8 and §3).
//!
//! An entry is built once, when its event happens (recognition, or a return after recognition), and
//! is stored inside that event, so the journal is an append-only ledger in the order's history.
//! Amounts are tax-inclusive, with the consumption tax inside each line stated beside it, as 弥生,
//! freee and マネーフォワード import them (FORMATS.md §7); the tax is the order's own, computed once
//! per rate. Accounts are kinds here; the names an accounting system uses come from configuration.

use crate::money::Money;
use crate::order::{Order, Totals};
use crate::tax::{Rounding, TaxRate, included_tax};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which kind of account a line posts to; configuration names each (e.g. 売掛金, 売上高).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// 売掛金: what the customer (or the payment provider) owes.
    Receivable,
    /// 売上高: sales of goods.
    Sales,
    /// Shipping and fees charged to the customer (送料・手数料 revenue, at 10%).
    ShippingRevenue,
    /// Points the customer paid with (their own line; they do not lower taxable sales).
    PointsUsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

/// One line of an entry. `amount` is tax-inclusive; `tax` is the consumption tax inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JournalLine {
    pub side: Side,
    pub account: AccountKind,
    /// The tax rate of a taxable line; none for lines outside consumption tax (対象外).
    pub rate: Option<TaxRate>,
    pub amount: Money,
    pub tax: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Revenue recognised (計上).
    Sale,
    /// Revenue taken back after recognition (返品: the 赤 of 赤黒).
    Reversal,
}

/// One journal entry (仕訳伝票): balanced, debits equal credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JournalEntry {
    pub kind: EntryKind,
    /// The accounting date (Asia/Tokyo).
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub order_number: i64,
    /// The payment method of the order (`credit_card`, …): the receivable's sub-account.
    pub payment_method: String,
    /// 摘要: what an accountant reads.
    pub memo: String,
    pub lines: Vec<JournalLine>,
}

impl JournalEntry {
    pub fn debits(&self) -> Money {
        self.side_total(Side::Debit)
    }

    pub fn credits(&self) -> Money {
        self.side_total(Side::Credit)
    }

    fn side_total(&self, side: Side) -> Money {
        self.lines
            .iter()
            .filter(|l| l.side == side)
            .map(|l| l.amount)
            .sum()
    }

    /// Taxable sales and tax per rate this entry adds (a reversal subtracts), credits minus debits.
    pub fn sales_by_rate(&self) -> Vec<(TaxRate, Money, Money)> {
        let mut out: Vec<(TaxRate, Money, Money)> = Vec::new();
        for l in &self.lines {
            let Some(rate) = l.rate else { continue };
            let sign = if l.side == Side::Credit { 1 } else { -1 };
            let (amount, tax) = (
                Money::yen(sign * l.amount.minor()),
                Money::yen(sign * l.tax.minor()),
            );
            match out.iter_mut().find(|(r, _, _)| *r == rate) {
                Some((_, a, t)) => {
                    *a += amount;
                    *t += tax;
                }
                None => out.push((rate, amount, tax)),
            }
        }
        out.sort_by_key(|(r, _, _)| std::cmp::Reverse(*r));
        out
    }
}

/// What an entry says about its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRef {
    pub number: i64,
    pub payment_method: String,
    pub customer_name: String,
}

impl EntryRef {
    pub fn of(order: &Order) -> Self {
        EntryRef {
            number: order.number,
            payment_method: order.payment.method.as_str().to_owned(),
            customer_name: order.customer.name.clone(),
        }
    }
}

fn line(
    side: Side,
    account: AccountKind,
    rate: Option<TaxRate>,
    amount: Money,
    tax: Money,
) -> JournalLine {
    JournalLine {
        side,
        account,
        rate,
        amount,
        tax,
    }
}

fn tokyo_date(at: jiff::Timestamp) -> Date {
    at.to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC))
        .date()
}

/// The entry for recognising the whole order: 売掛金 (the amount charged) and points used on the
/// debit side; sales per tax rate on the credit side, with shipping and fees as their own line at
/// 10%. The tax per rate is the order's (computed once per rate); the shipping line takes its
/// proportional share of the 10% tax (rounded down) and the goods line the rest.
pub fn sale_entry(order: &EntryRef, t: &Totals, at: jiff::Timestamp) -> JournalEntry {
    let mut lines = vec![line(
        Side::Debit,
        AccountKind::Receivable,
        None,
        t.total,
        Money::ZERO,
    )];
    if t.points_used > Money::ZERO {
        lines.push(line(
            Side::Debit,
            AccountKind::PointsUsed,
            None,
            t.points_used,
            Money::ZERO,
        ));
    }
    let shipping = t.shipping_fee + t.fees;
    for tl in &t.tax {
        let mut goods = tl.base;
        let mut goods_tax = tl.tax;
        if tl.rate == TaxRate::Standard10 && shipping > Money::ZERO && tl.base > Money::ZERO {
            let ship_gross = shipping.min(tl.base);
            let ship_tax = i128::from(tl.tax.minor()) * i128::from(ship_gross.minor())
                / i128::from(tl.base.minor());
            let ship_tax = Money::yen(i64::try_from(ship_tax).unwrap_or(0));
            goods -= ship_gross;
            goods_tax -= ship_tax;
            lines.push(line(
                Side::Credit,
                AccountKind::ShippingRevenue,
                Some(tl.rate),
                ship_gross,
                ship_tax,
            ));
        }
        if goods != Money::ZERO {
            lines.push(line(
                Side::Credit,
                AccountKind::Sales,
                Some(tl.rate),
                goods,
                goods_tax,
            ));
        }
    }
    // Sales lines first, as accountants read them, after the debits.
    lines.sort_by_key(|l| {
        (
            l.side == Side::Credit,
            l.account != AccountKind::Sales,
            l.account,
        )
    });
    JournalEntry {
        kind: EntryKind::Sale,
        date: tokyo_date(at),
        order_number: order.number,
        payment_method: order.payment_method.clone(),
        memo: format!("受注 #{} {}", order.number, order.customer_name),
        lines,
    }
}

/// The entry of one shipment booked while others of the order are still open: its goods per tax
/// rate, the tax computed once per rate on them, all owed (売掛金).
pub fn shipment_entry(
    order: &EntryRef,
    goods_by_rate: &[(TaxRate, Money)],
    rounding: Rounding,
    at: jiff::Timestamp,
) -> JournalEntry {
    let total: Money = goods_by_rate.iter().map(|(_, a)| *a).sum();
    let mut lines = vec![line(
        Side::Debit,
        AccountKind::Receivable,
        None,
        total,
        Money::ZERO,
    )];
    let mut rates: Vec<&(TaxRate, Money)> = goods_by_rate.iter().collect();
    rates.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    for (rate, amount) in rates {
        lines.push(line(
            Side::Credit,
            AccountKind::Sales,
            Some(*rate),
            *amount,
            included_tax(*amount, *rate, rounding),
        ));
    }
    JournalEntry {
        kind: EntryKind::Sale,
        date: tokyo_date(at),
        order_number: order.number,
        payment_method: order.payment_method.clone(),
        memo: format!("受注 #{} {} (分割出荷)", order.number, order.customer_name),
        lines,
    }
}

/// The reversal for a return received after recognition: the returned goods per tax rate (tax
/// computed once per rate on the returned amount) on the debit side; the refund off the
/// receivable, and whatever of the goods was not refunded in money (paid with points) back to
/// the points account, on the credit side. A refund larger than the goods (shipping given back
/// too) reverses that part of the shipping revenue at 10%.
pub fn reversal_entry(
    order: &EntryRef,
    returned_by_rate: &[(TaxRate, Money)],
    refund: Money,
    rounding: Rounding,
    at: jiff::Timestamp,
) -> JournalEntry {
    let mut lines = Vec::new();
    let mut goods = Money::ZERO;
    for (rate, amount) in returned_by_rate {
        if *amount == Money::ZERO {
            continue;
        }
        goods += *amount;
        lines.push(line(
            Side::Debit,
            AccountKind::Sales,
            Some(*rate),
            *amount,
            included_tax(*amount, *rate, rounding),
        ));
    }
    if refund > goods {
        let extra = refund - goods;
        lines.push(line(
            Side::Debit,
            AccountKind::ShippingRevenue,
            Some(TaxRate::Standard10),
            extra,
            included_tax(extra, TaxRate::Standard10, rounding),
        ));
    }
    if refund > Money::ZERO {
        lines.push(line(
            Side::Credit,
            AccountKind::Receivable,
            None,
            refund,
            Money::ZERO,
        ));
    }
    if goods > refund {
        lines.push(line(
            Side::Credit,
            AccountKind::PointsUsed,
            None,
            goods - refund,
            Money::ZERO,
        ));
    }
    JournalEntry {
        kind: EntryKind::Reversal,
        date: tokyo_date(at),
        order_number: order.number,
        payment_method: order.payment_method.clone(),
        memo: format!("返品 受注 #{} {}", order.number, order.customer_name),
        lines,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tax::TaxLine;

    fn head() -> EntryRef {
        EntryRef {
            number: 7,
            payment_method: "credit_card".into(),
            customer_name: "山田 太郎".into(),
        }
    }

    fn totals(items: i64, shipping: i64, points: i64, tax: Vec<TaxLine>) -> Totals {
        Totals {
            items: Money::yen(items),
            shipping_fee: Money::yen(shipping),
            fees: Money::ZERO,
            discount: Money::ZERO,
            points_used: Money::yen(points),
            total: Money::yen(items + shipping - points),
            tax,
        }
    }

    fn tl(rate: TaxRate, base: i64) -> TaxLine {
        TaxLine {
            rate,
            base: Money::yen(base),
            tax: included_tax(Money::yen(base), rate, Rounding::Down),
        }
    }

    fn entry_for(t: Totals) -> JournalEntry {
        sale_entry(&head(), &t, jiff::Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn formats_md_example_is_balanced_with_tax_per_rate() {
        // ¥11,000 at 10% + ¥1,080 at 8% (FORMATS.md §7): 売掛金 12,080 / 売上 11,000 (1,000) + 1,080 (80).
        let e = entry_for(totals(
            12_080,
            0,
            0,
            vec![
                tl(TaxRate::Standard10, 11_000),
                tl(TaxRate::Reduced8, 1_080),
            ],
        ));
        assert_eq!(e.debits(), Money::yen(12_080));
        assert_eq!(e.credits(), Money::yen(12_080));
        assert_eq!(
            e.sales_by_rate(),
            vec![
                (TaxRate::Standard10, Money::yen(11_000), Money::yen(1_000)),
                (TaxRate::Reduced8, Money::yen(1_080), Money::yen(80)),
            ]
        );
    }

    #[test]
    fn shipping_and_points_get_their_own_lines_and_the_tax_stays_the_orders() {
        // Goods 3,300 at 10%, shipping 550: the 10% bucket is 3,850 with tax 350; 100 points used.
        let e = entry_for(totals(
            3_300,
            550,
            100,
            vec![tl(TaxRate::Standard10, 3_850)],
        ));
        assert_eq!(e.debits(), e.credits());
        let ship = e
            .lines
            .iter()
            .find(|l| l.account == AccountKind::ShippingRevenue)
            .unwrap();
        assert_eq!((ship.amount, ship.tax), (Money::yen(550), Money::yen(50)));
        let pts = e
            .lines
            .iter()
            .find(|l| l.account == AccountKind::PointsUsed)
            .unwrap();
        assert_eq!((pts.side, pts.amount), (Side::Debit, Money::yen(100)));
        assert_eq!(
            e.sales_by_rate(),
            vec![(TaxRate::Standard10, Money::yen(3_850), Money::yen(350))]
        );
    }

    #[test]
    fn reversal_takes_back_goods_per_rate_and_balances() {
        let e = reversal_entry(
            &head(),
            &[
                (TaxRate::Reduced8, Money::yen(1_080)),
                (TaxRate::Standard10, Money::yen(2_200)),
            ],
            Money::yen(3_000),
            Rounding::Down,
            jiff::Timestamp::UNIX_EPOCH,
        );
        assert_eq!(e.debits(), Money::yen(3_280));
        assert_eq!(e.credits(), Money::yen(3_280));
        let by_rate = e.sales_by_rate();
        assert!(by_rate.contains(&(TaxRate::Reduced8, Money::yen(-1_080), Money::yen(-80))));
        assert!(by_rate.contains(&(TaxRate::Standard10, Money::yen(-2_200), Money::yen(-200))));
    }
}
