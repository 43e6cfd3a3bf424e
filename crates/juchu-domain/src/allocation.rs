//! The allocation planner (引当): which warehouse reserves which units of which line. Pure and
//! deterministic: the same order, warehouses and stock always give the same plan.
//!
//! Rules, in order:
//! 1. one warehouse that can fill every waiting line is preferred — the one serving the shipping
//!    address's prefecture first, then by priority (lower first), then by code;
//! 2. otherwise each line goes whole to the first warehouse (same ordering) that can fill it;
//! 3. a line no single warehouse can fill takes what is available, warehouse by warehouse, and the
//!    order waits in `partially_allocated` for the rest.

use crate::ids::LineId;
use crate::order::{Allocation, Order};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseInfo {
    pub code: String,
    pub priority: i32,
    /// Prefectures this warehouse serves first (empty: none in particular).
    pub prefectures: Vec<String>,
}

/// Available units (`on_hand − allocated`) per (warehouse, sku).
pub type Availability = HashMap<(String, String), i64>;

/// Plans new allocations for the waiting quantities of `order`.
pub fn plan(
    order: &Order,
    warehouses: &[WarehouseInfo],
    available: &Availability,
) -> Vec<Allocation> {
    let prefecture = order.shipping_address.prefecture.as_str();
    let mut ranked: Vec<&WarehouseInfo> = warehouses.iter().collect();
    ranked.sort_by_key(|w| {
        (
            !w.prefectures.iter().any(|p| p == prefecture),
            w.priority,
            w.code.clone(),
        )
    });
    let avail = |w: &str, sku: &str, left: &Availability| -> i64 {
        left.get(&(w.to_owned(), sku.to_owned()))
            .copied()
            .unwrap_or(0)
            .max(0)
    };
    let waiting: Vec<(LineId, &str, i64)> = order
        .lines
        .iter()
        .filter(|l| l.unallocated_quantity() > 0)
        .map(|l| (l.id, l.sku.as_str(), l.unallocated_quantity()))
        .collect();
    if waiting.is_empty() {
        return Vec::new();
    }
    let why_rank = |w: &WarehouseInfo| {
        if w.prefectures.iter().any(|p| p == prefecture) {
            format!("serves {prefecture}")
        } else {
            format!("priority {}", w.priority)
        }
    };

    // 1. One warehouse for the whole order. Lines of the same SKU share its stock.
    let mut left = available.clone();
    for w in &ranked {
        let mut need: HashMap<&str, i64> = HashMap::new();
        for (_, sku, q) in &waiting {
            *need.entry(sku).or_default() += q;
        }
        if need.iter().all(|(sku, q)| avail(&w.code, sku, &left) >= *q) {
            let reason = format!("{} fills the whole order ({})", w.code, why_rank(w));
            return waiting
                .iter()
                .map(|(line_id, sku, q)| Allocation {
                    line_id: *line_id,
                    sku: (*sku).to_owned(),
                    warehouse: w.code.clone(),
                    quantity: *q,
                    reason: reason.clone(),
                })
                .collect();
        }
    }

    // 2. and 3. Line by line.
    let mut out = Vec::new();
    for (line_id, sku, q) in &waiting {
        let mut take = |w: &WarehouseInfo, n: i64, reason: String, left: &mut Availability| {
            *left.entry((w.code.clone(), (*sku).to_owned())).or_default() -= n;
            out.push(Allocation {
                line_id: *line_id,
                sku: (*sku).to_owned(),
                warehouse: w.code.clone(),
                quantity: n,
                reason,
            });
        };
        if let Some(w) = ranked.iter().find(|w| avail(&w.code, sku, &left) >= *q) {
            let reason = format!(
                "{} fills this line; no warehouse fills the whole order ({})",
                w.code,
                why_rank(w)
            );
            take(w, *q, reason, &mut left);
            continue;
        }
        let mut need = *q;
        for w in &ranked {
            let n = avail(&w.code, sku, &left).min(need);
            if n > 0 {
                let reason = format!("{} has {n} of {q}; short, the rest waits for stock", w.code);
                take(w, n, reason, &mut left);
                need -= n;
            }
            if need == 0 {
                break;
            }
        }
    }
    out
}
