//! Properties 2 and 3: order totals and tax per rate, and the allocation planner.
//! (Properties 1 and 4, action sequences and stock effects, are in `lifecycle.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OrderSpec, PREFS, SKUS, WAREHOUSES, build, config, order_spec};
use juchu_domain::allocation::{Availability, WarehouseInfo, plan};
use juchu_domain::ids::LineId;
use juchu_domain::payment::PaymentOutcome;
use juchu_domain::tax::{included_tax, summarize};
use juchu_domain::totals::compute;
use juchu_domain::{Fee, Line, Money, Rounding, TaxRate};
use proptest::prelude::*;
use std::collections::{BTreeSet, HashMap};

// ---------------------------------------------------------------------------------------------
// 2. Totals and tax

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

fn lines() -> impl Strategy<Value = Vec<Line>> {
    let rate = prop_oneof![Just(TaxRate::Reduced8), Just(TaxRate::Standard10)];
    prop::collection::vec((1..=1_000_000i64, 1..=1000i64, rate), 1..=8)
        .prop_map(|v| v.into_iter().map(|(p, q, r)| line(p, q, r)).collect())
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![
        Just(Rounding::Down),
        Just(Rounding::Up),
        Just(Rounding::HalfUp)
    ]
}

fn fees(amounts: &[i64]) -> Vec<Fee> {
    amounts
        .iter()
        .map(|a| Fee {
            kind: "cod".into(),
            amount: Money::yen(*a),
        })
        .collect()
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn totals_add_up_and_tax_is_per_rate(
        lines in lines(),
        shipping in prop_oneof![Just(0i64), 0..=5_000i64],
        fee_amounts in prop::collection::vec(0..=10_000i64, 0..=3),
        discount_permille in prop_oneof![Just(0i64), Just(1000i64), 0..=1000i64],
        points in prop_oneof![Just(0i64), 0..=100_000i64],
        rounding in rounding(),
    ) {
        let items: i64 = lines.iter().map(|l| l.unit_price.minor() * l.quantity).sum();
        let discount = items * discount_permille / 1000;
        let fee_sum: i64 = fee_amounts.iter().sum();
        let fees = fees(&fee_amounts);
        let (shipping_m, discount_m) = (Money::yen(shipping), Money::yen(discount));
        let t = compute(&lines, shipping_m, &fees, discount_m, Money::yen(points), rounding);

        prop_assert_eq!(t.items, Money::yen(items));
        prop_assert_eq!(t.fees, Money::yen(fee_sum));
        prop_assert_eq!(t.total, Money::yen(items + shipping + fee_sum - discount - points));
        let bases: Money = t.tax.iter().map(|l| l.base).sum();
        prop_assert_eq!(bases, Money::yen(items + shipping + fee_sum - discount));
        // One line per rate, highest rate first, each taxed once on its own base.
        let rates: Vec<TaxRate> = t.tax.iter().map(|l| l.rate).collect();
        prop_assert!(rates.windows(2).all(|w| w[0] > w[1]), "rates {:?}", rates);
        for tl in &t.tax {
            prop_assert!(!tl.base.is_negative(), "negative base {:?}", tl);
            prop_assert_eq!(tl.tax, included_tax(tl.base, tl.rate, rounding));
        }
        // Every rate present on a line, and 10% when shipping or fees are charged, has a tax line.
        let expected: BTreeSet<TaxRate> = lines.iter().map(|l| l.tax_rate)
            .chain((shipping + fee_sum > 0).then_some(TaxRate::Standard10))
            .collect();
        prop_assert_eq!(rates.into_iter().collect::<BTreeSet<_>>(), expected);
    }

    /// Rounding once per rate never loses tax against rounding every line (down) — the reason
    /// the invoice rules ask for it.
    #[test]
    fn tax_of_the_sum_is_at_least_the_sum_of_line_taxes(
        lines in lines(),
        shipping in 0..=5_000i64,
        fee_amounts in prop::collection::vec(0..=10_000i64, 0..=3),
        rounding in rounding(),
    ) {
        let fees = fees(&fee_amounts);
        let t = compute(&lines, Money::yen(shipping), &fees, Money::ZERO, Money::ZERO, rounding);
        let per_item = lines.iter().map(|l| (l.tax_rate, l.amount()))
            .chain(std::iter::once(shipping).chain(fee_amounts.iter().copied())
                .map(|a| (TaxRate::Standard10, Money::yen(a))));
        let mut floored: HashMap<TaxRate, Money> = HashMap::new();
        for (rate, amount) in per_item {
            *floored.entry(rate).or_default() += included_tax(amount, rate, Rounding::Down);
        }
        for tl in &t.tax {
            let down = included_tax(tl.base, tl.rate, Rounding::Down);
            prop_assert!(tl.tax >= down);
            let lines_sum = floored[&tl.rate];
            prop_assert!(down >= lines_sum, "{:?}: {:?} < Σ lines {:?}", tl.rate, down, lines_sum);
        }
        // The same through `summarize` directly, in any order of amounts.
        let mut amounts: Vec<(TaxRate, Money)> =
            lines.iter().map(|l| (l.tax_rate, l.amount())).collect();
        let forward = summarize(amounts.clone(), rounding);
        amounts.reverse();
        prop_assert_eq!(forward, summarize(amounts, rounding));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. The allocation planner

fn warehouses() -> impl Strategy<Value = Vec<WarehouseInfo>> {
    let one = |code: &'static str| {
        (
            0..4i32,
            prop::collection::vec(prop::sample::select(PREFS.to_vec()), 0..=2),
        )
            .prop_map(move |(priority, prefs)| WarehouseInfo {
                code: code.into(),
                priority,
                prefectures: prefs.into_iter().map(String::from).collect(),
            })
    };
    (one(WAREHOUSES[0]), one(WAREHOUSES[1]), one(WAREHOUSES[2]))
        .prop_map(|(a, b, c)| vec![a, b, c])
        .prop_shuffle()
}

fn availability() -> impl Strategy<Value = Availability> {
    let cell = prop_oneof![Just(0i64), -3i64..=30, Just(1_000)];
    prop::collection::vec(cell, WAREHOUSES.len() * SKUS.len()).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, n)| {
                let key = (
                    WAREHOUSES[i % WAREHOUSES.len()].to_owned(),
                    SKUS[i / WAREHOUSES.len()].0.to_owned(),
                );
                (key, n)
            })
            .collect()
    })
}

fn avail(available: &Availability, warehouse: &str, sku: &str) -> i64 {
    let key = (warehouse.to_owned(), sku.to_owned());
    available.get(&key).copied().unwrap_or(0)
}

/// An order built by intake, some lines already partly allocated (the planner fills the rest).
fn waiting_order(spec: &OrderSpec, already: &[i64]) -> juchu_domain::Order {
    let mut order = build(spec);
    for (l, a) in order.lines.iter_mut().zip(already) {
        l.allocated_quantity = (*a).min(l.quantity);
    }
    order
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn plans_stay_within_waiting_quantities_and_stock(
        spec in order_spec(30),
        already in prop::collection::vec(prop_oneof![3 => Just(0i64), 1 => 0..=30i64], 5),
        whs in warehouses(),
        available in availability(),
    ) {
        let order = waiting_order(&spec, &already);
        let planned = plan(&order, &whs, &available);

        let mut per_line: HashMap<LineId, i64> = HashMap::new();
        let mut per_stock: HashMap<(String, String), i64> = HashMap::new();
        for a in &planned {
            prop_assert!(a.quantity > 0, "{:?}", a);
            let line = order.line(a.line_id).unwrap();
            prop_assert_eq!(&a.sku, &line.sku);
            *per_line.entry(a.line_id).or_default() += a.quantity;
            *per_stock.entry((a.warehouse.clone(), a.sku.clone())).or_default() += a.quantity;
        }
        for (id, q) in &per_line {
            let waiting = order.line(*id).unwrap().unallocated_quantity();
            prop_assert!(*q <= waiting, "line takes {} of {} waiting", q, waiting);
        }
        for (key, q) in &per_stock {
            let avail = available.get(key).copied().unwrap_or(0);
            prop_assert!(*q <= avail, "{:?}: {} planned, {} available", key, q, avail);
        }

        // A warehouse that has every waiting SKU in the quantity needed → one warehouse only.
        let mut need: HashMap<&str, i64> = HashMap::new();
        for l in order.lines.iter().filter(|l| l.unallocated_quantity() > 0) {
            *need.entry(l.sku.as_str()).or_default() += l.unallocated_quantity();
        }
        let one_fills = whs
            .iter()
            .any(|w| need.iter().all(|(sku, q)| avail(&available, &w.code, sku) >= *q));
        if one_fills && !need.is_empty() {
            let used: BTreeSet<&str> = planned.iter().map(|a| a.warehouse.as_str()).collect();
            prop_assert_eq!(used.len(), 1, "one warehouse fills the order, plan uses {:?}", used);
            for l in &order.lines {
                let got = per_line.get(&l.id).copied().unwrap_or(0);
                prop_assert_eq!(got, l.unallocated_quantity());
            }
        }
        // Nothing is left behind: per SKU, the plan takes all that is waiting or all that is free.
        for (sku, q) in &need {
            let free: i64 = whs.iter()
                .map(|w| avail(&available, &w.code, sku).max(0))
                .sum();
            let planned_sku: i64 =
                planned.iter().filter(|a| a.sku == *sku).map(|a| a.quantity).sum();
            prop_assert_eq!(planned_sku, (*q).min(free), "{}: waiting {}, free {}", sku, q, free);
        }
    }

    #[test]
    fn plans_are_deterministic(
        spec in order_spec(30),
        whs in warehouses(),
        available in availability(),
    ) {
        let order = build(&spec);
        let first = plan(&order, &whs, &available);
        prop_assert_eq!(&first, &plan(&order, &whs, &available));
        // Nor does the order in which warehouses are listed matter (codes are unique).
        let mut reversed = whs.clone();
        reversed.reverse();
        prop_assert_eq!(&first, &plan(&order, &reversed, &available));
        // Applied, the plan is accepted; planning again against what is left adds nothing new
        // once every line is covered.
        let mut after = order.clone();
        let system = juchu_domain::Actor::system("t");
        after.complete_receipt(PaymentOutcome::OnDelivery, &system, common::at(1)).unwrap();
        let planned = plan(&after, &whs, &available);
        after.apply_allocation(planned, &system, common::at(2)).unwrap();
        prop_assert!(juchu_domain::invariants::violations(&after).is_empty());
        let mut left = available.clone();
        for a in &after.allocations {
            *left.get_mut(&(a.warehouse.clone(), a.sku.clone())).unwrap() -= a.quantity;
        }
        let waiting: i64 = after.lines.iter().map(|l| l.unallocated_quantity()).sum();
        prop_assert!(waiting > 0 || plan(&after, &whs, &left).is_empty());
    }
}
