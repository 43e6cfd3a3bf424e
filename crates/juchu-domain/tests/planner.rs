//! The allocation planner against brute force: fewest warehouses, region and priority among equals,
//! all-or-nothing, and the reasons an operator reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OrderSpec, PREFS, SKUS, build, config, order_spec};
use juchu_domain::allocation::{AllocationMode, Availability, WarehouseInfo, plan, plan_with};
use juchu_domain::payment::PaymentMethod;
use juchu_domain::{LineId, Order};
use proptest::prelude::*;
use std::collections::{BTreeSet, HashMap};

const CODES: [&str; 5] = ["WA", "WB", "WC", "WD", "WE"];

fn warehouses() -> impl Strategy<Value = Vec<WarehouseInfo>> {
    let one = (
        0..3i32,
        // Two prefectures only, so that several warehouses often serve the order's region.
        prop::collection::vec(prop::sample::select(PREFS[..2].to_vec()), 0..=1),
    );
    prop::collection::vec(one, 2..=5).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (priority, prefs))| WarehouseInfo {
                code: CODES[i].into(),
                priority,
                prefectures: prefs.into_iter().map(String::from).collect(),
            })
            .collect()
    })
}

/// Sparse stock: most cells empty, so that splits and shortages are common.
fn availability() -> impl Strategy<Value = Availability> {
    let cell = prop_oneof![4 => Just(0i64), 3 => 1i64..=12, 1 => Just(100), 1 => -2i64..=0];
    prop::collection::vec(cell, CODES.len() * SKUS.len()).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, n)| {
                let key = (
                    CODES[i % CODES.len()].to_owned(),
                    SKUS[i / CODES.len()].0.to_owned(),
                );
                (key, n)
            })
            .collect()
    })
}

fn free(available: &Availability, warehouse: &str, sku: &str) -> i64 {
    let key = (warehouse.to_owned(), sku.to_owned());
    available.get(&key).copied().unwrap_or(0).max(0)
}

/// Units waiting per SKU.
fn need(order: &Order) -> HashMap<String, i64> {
    let mut need = HashMap::new();
    for l in &order.lines {
        *need.entry(l.sku.clone()).or_default() += l.unallocated_quantity();
    }
    need
}

/// Brute force over every subset: the smallest sets holding `min(need, all stock)` of every SKU,
/// and the best of them by (warehouses not serving the prefecture, ranks).
fn brute_force(order: &Order, whs: &[WarehouseInfo], available: &Availability) -> Vec<String> {
    let pref = &order.shipping_address.prefecture;
    let serves = |w: &WarehouseInfo| w.prefectures.iter().any(|p| p == pref);
    let mut ranked: Vec<&WarehouseInfo> = whs.iter().collect();
    ranked.sort_by_key(|w| (!serves(w), w.priority, w.code.clone()));
    let need = need(order);
    let target: HashMap<&str, i64> = need
        .iter()
        .map(|(sku, q)| {
            let all: i64 = whs.iter().map(|w| free(available, &w.code, sku)).sum();
            (sku.as_str(), (*q).min(all))
        })
        .collect();
    let mut best: Option<(usize, usize, Vec<usize>)> = None; // size, outsiders, ranks
    for mask in 1u32..(1 << ranked.len()) {
        let set: Vec<usize> = (0..ranked.len()).filter(|i| mask & (1 << i) != 0).collect();
        let covers = target.iter().all(|(sku, t)| {
            set.iter()
                .map(|&i| free(available, &ranked[i].code, sku))
                .sum::<i64>()
                >= *t
        });
        if covers {
            let outsiders = set.iter().filter(|&&i| !serves(ranked[i])).count();
            let key = (set.len(), outsiders, set);
            if best.as_ref().is_none_or(|b| key < *b) {
                best = Some(key);
            }
        }
    }
    let (_, _, set) = best.unwrap();
    set.into_iter().map(|i| ranked[i].code.clone()).collect()
}

fn used(planned: &[juchu_domain::order::Allocation]) -> BTreeSet<String> {
    planned.iter().map(|a| a.warehouse.clone()).collect()
}

proptest! {
    #![proptest_config(config(1024))]

    /// The plan uses exactly the warehouses brute force picks: fewest first, then most serving the
    /// prefecture, then best ranks; and it places min(waiting, in stock) of every SKU.
    #[test]
    fn uses_the_fewest_warehouses_best_ranked(
        spec in order_spec(20),
        whs in warehouses(),
        available in availability(),
    ) {
        let order = build(&spec);
        let planned = plan(&order, &whs, &available);
        let need = need(&order);
        let placeable: i64 = need.iter()
            .map(|(sku, q)| (*q).min(whs.iter().map(|w| free(&available, &w.code, sku)).sum()))
            .sum();
        prop_assert_eq!(planned.iter().map(|a| a.quantity).sum::<i64>(), placeable);
        if placeable == 0 {
            prop_assert!(planned.is_empty());
            return Ok(());
        }
        let expected: BTreeSet<String> = brute_force(&order, &whs, &available).into_iter().collect();
        prop_assert_eq!(used(&planned), expected);
        // Never beyond a line's waiting quantity or a warehouse's free stock.
        let mut per_line: HashMap<LineId, i64> = HashMap::new();
        let mut per_cell: HashMap<(String, String), i64> = HashMap::new();
        for a in &planned {
            prop_assert!(a.quantity > 0);
            *per_line.entry(a.line_id).or_default() += a.quantity;
            *per_cell.entry((a.warehouse.clone(), a.sku.clone())).or_default() += a.quantity;
            prop_assert!(!a.reason.is_empty());
        }
        for (id, q) in per_line {
            prop_assert!(q <= order.line(id).unwrap().unallocated_quantity());
        }
        for ((w, sku), q) in per_cell {
            prop_assert!(q <= free(&available, &w, &sku));
        }
    }

    /// All or nothing: either every waiting unit or none; the same plan as `partial` when the stock
    /// suffices, nothing when it does not.
    #[test]
    fn all_or_nothing_takes_everything_or_nothing(
        spec in order_spec(20),
        whs in warehouses(),
        available in availability(),
    ) {
        let order = build(&spec);
        let planned = plan_with(&order, &whs, &available, AllocationMode::AllOrNothing);
        let waiting: i64 = order.lines.iter().map(|l| l.unallocated_quantity()).sum();
        let placed: i64 = planned.iter().map(|a| a.quantity).sum();
        let enough = need(&order).iter().all(|(sku, q)| {
            whs.iter().map(|w| free(&available, &w.code, sku)).sum::<i64>() >= *q
        });
        if enough {
            prop_assert_eq!(placed, waiting);
            prop_assert_eq!(&planned, &plan(&order, &whs, &available));
        } else {
            prop_assert!(planned.is_empty(), "short, yet planned {:?}", planned);
        }
    }

    /// The listing order of warehouses never changes the plan.
    #[test]
    fn independent_of_listing_order(
        spec in order_spec(20),
        whs in warehouses(),
        available in availability(),
        seed in any::<u64>(),
    ) {
        let order = build(&spec);
        let mut shuffled = whs.clone();
        let n = shuffled.len();
        for i in 0..n {
            shuffled.swap(i, (seed as usize >> (i * 3)) % n);
        }
        for mode in [AllocationMode::Partial, AllocationMode::AllOrNothing] {
            prop_assert_eq!(
                plan_with(&order, &whs, &available, mode),
                plan_with(&order, &shuffled, &available, mode)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Examples an operator would check by hand.

fn wh(code: &str, priority: i32, prefs: &[&str]) -> WarehouseInfo {
    WarehouseInfo {
        code: code.into(),
        priority,
        prefectures: prefs.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// An order for TEA-1 ×2 and MUG-2 ×1 shipped to `prefecture` (an index into PREFS).
fn two_line_order(prefecture: usize) -> Order {
    build(&OrderSpec {
        lines: vec![(0, 2, 1_080), (2, 1, 3_300)],
        shipping_fee: 0,
        fees: vec![],
        discount_permille: 0,
        points_permille: 0,
        method: PaymentMethod::CreditCard,
        prefecture,
    })
}

fn stock(cells: &[(&str, &str, i64)]) -> Availability {
    cells
        .iter()
        .map(|(w, s, n)| (((*w).to_owned(), (*s).to_owned()), *n))
        .collect()
}

#[test]
fn region_wins_over_priority_and_says_so() {
    let order = two_line_order(1); // 大阪府
    let whs = [wh("TKY", 1, &["東京都"]), wh("OSK", 9, &["大阪府"])];
    let avail = stock(&[
        ("TKY", "TEA-1", 10),
        ("TKY", "MUG-2", 10),
        ("OSK", "TEA-1", 10),
        ("OSK", "MUG-2", 10),
    ]);
    let planned = plan(&order, &whs, &avail);
    assert_eq!(used(&planned), BTreeSet::from(["OSK".to_owned()]));
    assert_eq!(
        planned[0].reason,
        "OSK fills the whole order (serves 大阪府)"
    );
    // Shipping to 北海道, which neither serves: priority decides.
    let planned = plan(&two_line_order(3), &whs, &avail);
    assert_eq!(planned[0].reason, "TKY fills the whole order (priority 1)");
}

#[test]
fn one_warehouse_is_preferred_over_a_better_ranked_split() {
    let order = two_line_order(0); // 東京都
    let whs = [
        wh("TKY", 1, &["東京都"]),
        wh("OSK", 2, &[]),
        wh("FUK", 9, &[]),
    ];
    let avail = stock(&[
        ("TKY", "TEA-1", 2),
        ("OSK", "MUG-2", 1),
        ("FUK", "TEA-1", 2),
        ("FUK", "MUG-2", 1),
    ]);
    let planned = plan(&order, &whs, &avail);
    assert_eq!(used(&planned), BTreeSet::from(["FUK".to_owned()]));
    assert_eq!(planned[0].reason, "FUK fills the whole order (priority 9)");
}

#[test]
fn among_equal_splits_more_warehouses_serving_the_region_win() {
    let order = two_line_order(0); // 東京都
    // Ranked A, B, C (all serve 東京都), then D. {A, D} is the first pair in rank order, but
    // {B, C} ships all of it from the region.
    let whs = [
        wh("A", 1, &["東京都"]),
        wh("B", 2, &["東京都"]),
        wh("C", 3, &["東京都"]),
        wh("D", 0, &[]),
    ];
    let avail = stock(&[
        ("A", "TEA-1", 1),
        ("B", "MUG-2", 1),
        ("C", "TEA-1", 2),
        ("D", "TEA-1", 1),
        ("D", "MUG-2", 1),
    ]);
    let planned = plan(&order, &whs, &avail);
    assert_eq!(
        used(&planned),
        BTreeSet::from(["B".to_owned(), "C".to_owned()])
    );
}

#[test]
fn a_split_names_what_each_warehouse_has() {
    let order = two_line_order(0);
    let whs = [
        wh("TKY", 1, &["東京都"]),
        wh("OSK", 2, &[]),
        wh("FUK", 3, &[]),
    ];
    let avail = stock(&[
        ("TKY", "TEA-1", 5),
        ("OSK", "MUG-2", 5),
        ("FUK", "MUG-2", 5),
    ]);
    let planned = plan(&order, &whs, &avail);
    assert_eq!(planned.len(), 2);
    assert_eq!(
        planned[0].reason,
        "split over 2 warehouses: no single warehouse has all lines; TKY has TEA-1, OSK has MUG-2"
    );
    assert_eq!(
        used(&planned),
        BTreeSet::from(["OSK".to_owned(), "TKY".to_owned()])
    );
}

#[test]
fn short_stock_is_taken_and_explained_or_left_alone() {
    let order = two_line_order(0);
    let whs = [wh("TKY", 1, &["東京都"])];
    let avail = stock(&[("TKY", "TEA-1", 1), ("TKY", "MUG-2", 3)]);
    let planned = plan(&order, &whs, &avail);
    assert_eq!(planned.iter().map(|a| a.quantity).sum::<i64>(), 2);
    assert_eq!(
        planned[0].reason,
        "short, only TEA-1 1 of 2 in stock: allocated what exists, the rest waits for stock; \
         TKY has TEA-1 + MUG-2 (serves 東京都)"
    );
    assert!(plan_with(&order, &whs, &avail, AllocationMode::AllOrNothing).is_empty());
}
