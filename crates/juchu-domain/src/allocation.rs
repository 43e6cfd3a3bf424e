//! The allocation planner (引当): which warehouse reserves which units of which line. Pure and
//! deterministic: the same order, warehouses and stock always give the same plan, whatever order
//! the warehouses are listed in.
//!
//! Warehouses are ranked: those serving the shipping address's prefecture first, then by priority
//! (lower first), then by code. Rules, in order:
//! 1. one warehouse that can fill every waiting line is preferred: the best-ranked such warehouse;
//! 2. otherwise the order is split across the fewest warehouses that together can fill it
//!    (combinations by increasing size; among combinations of that size, the one with the most
//!    warehouses serving the prefecture, then the best ranks). Each line goes whole to one
//!    warehouse of the combination when it can;
//! 3. when stock is short, [`AllocationMode::Partial`] takes everything there is (again from the
//!    fewest warehouses) and the order waits in `partially_allocated` for the rest;
//!    [`AllocationMode::AllOrNothing`] takes nothing, leaving the stock to orders it can fill.
//!
//! Every planned allocation carries a reason an operator can read, e.g. "TKY fills the whole order
//! (serves 東京都)" or "split over 2 warehouses: no single warehouse has all lines; TKY has TOWEL,
//! OSK has TEA".

mod search;

use crate::actor::Actor;
use crate::error::DomainError;
use crate::event::Event;
use crate::ids::LineId;
use crate::lifecycle::Effects;
use crate::order::{Allocation, Order};
use crate::status::OrderStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
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

/// What to do when the stock cannot fill every waiting line (policy `allocation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AllocationMode {
    /// Reserve what is in stock; the order waits in `partially_allocated` for the rest.
    #[default]
    Partial,
    /// Reserve only when every waiting line can be filled; otherwise nothing, so that the stock
    /// stays free for orders it can complete.
    AllOrNothing,
}

/// Plans new allocations for the waiting quantities of `order`, taking what there is when short.
pub fn plan(
    order: &Order,
    warehouses: &[WarehouseInfo],
    available: &Availability,
) -> Vec<Allocation> {
    plan_with(order, warehouses, available, AllocationMode::Partial)
}

/// One line still waiting for stock.
struct Waiting {
    line: LineId,
    sku: usize,
    quantity: i64,
}

/// Plans new allocations for the waiting quantities of `order` under `mode`.
pub fn plan_with(
    order: &Order,
    warehouses: &[WarehouseInfo],
    available: &Availability,
    mode: AllocationMode,
) -> Vec<Allocation> {
    let prefecture = order.shipping_address.prefecture.as_str();
    let serves = |w: &WarehouseInfo| w.prefectures.iter().any(|p| p == prefecture);
    let mut ranked: Vec<&WarehouseInfo> = warehouses.iter().collect();
    ranked
        .sort_by(|a, b| (!serves(a), a.priority, &a.code).cmp(&(!serves(b), b.priority, &b.code)));

    // SKUs in the order of their first waiting line; what each needs in all.
    let mut skus: Vec<&str> = Vec::new();
    let mut waiting: Vec<Waiting> = Vec::new();
    for l in order.lines.iter().filter(|l| l.unallocated_quantity() > 0) {
        let sku = match skus.iter().position(|s| *s == l.sku) {
            Some(i) => i,
            None => {
                skus.push(&l.sku);
                skus.len() - 1
            }
        };
        waiting.push(Waiting {
            line: l.id,
            sku,
            quantity: l.unallocated_quantity(),
        });
    }
    let mut need = vec![0i64; skus.len()];
    for w in &waiting {
        need[w.sku] = need[w.sku].saturating_add(w.quantity);
    }
    let stock: Vec<Vec<i64>> = ranked
        .iter()
        .map(|w| {
            skus.iter()
                .map(|s| {
                    let key = (w.code.clone(), (*s).to_owned());
                    available.get(&key).copied().unwrap_or(0).max(0)
                })
                .collect()
        })
        .collect();
    // What can be placed: all that is needed, or all that exists.
    let target: Vec<i64> = (0..skus.len())
        .map(|s| {
            let total = stock.iter().fold(0i64, |t, w| t.saturating_add(w[s]));
            need[s].min(total)
        })
        .collect();
    let short: Vec<usize> = (0..skus.len()).filter(|&s| target[s] < need[s]).collect();
    if target.iter().all(|t| *t == 0) || (mode == AllocationMode::AllOrNothing && !short.is_empty())
    {
        return Vec::new();
    }
    let region: Vec<bool> = ranked.iter().map(|w| serves(w)).collect();
    let chosen = search::fewest(&stock, &target, &region);

    // Each line whole from the first chosen warehouse that has it, else poured across them.
    let mut left = stock;
    let mut todo = target.clone();
    let mut planned: Vec<(LineId, usize, usize, i64)> = Vec::new(); // line, sku, warehouse, qty
    for w in &waiting {
        let q = w.quantity.min(todo[w.sku]);
        if q == 0 {
            continue;
        }
        todo[w.sku] -= q;
        if let Some(&wh) = chosen.warehouses.iter().find(|&&i| left[i][w.sku] >= q) {
            left[wh][w.sku] -= q;
            planned.push((w.line, w.sku, wh, q));
            continue;
        }
        let mut rest = q;
        for &wh in &chosen.warehouses {
            let n = left[wh][w.sku].min(rest);
            if n > 0 {
                left[wh][w.sku] -= n;
                rest -= n;
                planned.push((w.line, w.sku, wh, n));
            }
        }
    }

    let reason = explain(&ExplainInput {
        ranked: &ranked,
        region: &region,
        prefecture,
        skus: &skus,
        need: &need,
        target: &target,
        short: &short,
        chosen: &chosen,
        planned: &planned,
    });
    planned
        .into_iter()
        .map(|(line, sku, wh, quantity)| Allocation {
            line_id: line,
            sku: skus[sku].to_owned(),
            warehouse: ranked[wh].code.clone(),
            quantity,
            reason: reason.clone(),
        })
        .collect()
}

struct ExplainInput<'a> {
    ranked: &'a [&'a WarehouseInfo],
    region: &'a [bool],
    prefecture: &'a str,
    skus: &'a [&'a str],
    need: &'a [i64],
    target: &'a [i64],
    short: &'a [usize],
    chosen: &'a search::Chosen,
    planned: &'a [(LineId, usize, usize, i64)],
}

/// The reason stored on every allocation of one plan.
fn explain(x: &ExplainInput) -> String {
    let why = |wh: usize| {
        if x.region[wh] {
            format!("serves {}", x.prefecture)
        } else {
            format!("priority {}", x.ranked[wh].priority)
        }
    };
    // Which SKUs each chosen warehouse supplies, in SKU order.
    let used: Vec<usize> = x
        .chosen
        .warehouses
        .iter()
        .copied()
        .filter(|wh| x.planned.iter().any(|p| p.2 == *wh))
        .collect();
    let supplies = |wh: usize| {
        let mut s: Vec<usize> = x
            .planned
            .iter()
            .filter(|p| p.2 == wh)
            .map(|p| p.1)
            .collect();
        s.sort_unstable();
        s.dedup();
        let names: Vec<&str> = s.into_iter().map(|i| x.skus[i]).collect();
        format!("{} has {}", x.ranked[wh].code, names.join(" + "))
    };
    let split = |note: &str| {
        let parts: Vec<String> = used.iter().map(|&wh| supplies(wh)).collect();
        let how = if x.chosen.greedy {
            " (many warehouses: greedy search)"
        } else {
            ""
        };
        format!(
            "split over {} warehouses{how}: {note}{}",
            used.len(),
            parts.join(", ")
        )
    };
    if x.short.is_empty() {
        return match used.as_slice() {
            [wh] => format!(
                "{} fills the whole order ({})",
                x.ranked[*wh].code,
                why(*wh)
            ),
            _ => split("no single warehouse has all lines; "),
        };
    }
    let shortage: Vec<String> = x
        .short
        .iter()
        .map(|&s| format!("{} {} of {}", x.skus[s], x.target[s], x.need[s]))
        .collect();
    let from = match used.as_slice() {
        [wh] => format!("{} ({})", supplies(*wh), why(*wh)),
        _ => split(""),
    };
    format!(
        "short, only {} in stock: allocated what exists, the rest waits for stock; {from}",
        shortage.join(", ")
    )
}

/// The range of operator-set order priorities (lower is served first; new orders have 0).
pub const PRIORITIES: std::ops::RangeInclusive<i32> = -1_000_000..=1_000_000;

impl Order {
    /// An operator changes the order's priority. Orders waiting for stock are served by
    /// (priority, ordered_at): a lower priority gets arriving stock first.
    pub fn set_priority(
        &mut self,
        priority: i32,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if !PRIORITIES.contains(&priority) {
            return Err(DomainError::invalid(
                "priority",
                format!(
                    "must be between {} and {}",
                    PRIORITIES.start(),
                    PRIORITIES.end()
                ),
            ));
        }
        if !self.status.is_before(OrderStatus::Shipped) {
            return Err(DomainError::NotAllowed {
                action: "changing the priority",
                status: self.status,
                why: "only orders not yet shipped or cancelled can be reprioritised".into(),
            });
        }
        let mut fx = Effects::default();
        if priority == self.priority {
            return Ok(fx);
        }
        fx.events.push(Event::new(
            "order.priority_changed",
            actor,
            at,
            serde_json::json!({"from": self.priority, "to": priority}),
        ));
        self.priority = priority;
        self.updated_at = at;
        self.version += 1;
        Ok(fx)
    }
}
