//! What a shortage orders. The rule is a balance per SKU, so running it again orders nothing twice:
//!
//! `to order = waiting demand − available stock − outstanding on open purchase orders`
//!
//! - waiting demand: the units still unallocated on orders waiting for stock (given by the caller:
//!   hold-free orders whose payment condition is met);
//! - available stock: on hand − allocated, over every warehouse;
//! - outstanding: ordered − received on every open purchase order for a warehouse (draft, sent,
//!   partially received), whoever created it.
//!
//! Only SKUs with a supplier that are not drop-shipped take part (drop-ship lines are allocated to
//! their supplier and never wait for stock).

use super::PurchaseOrder;
use crate::order::Order;
use std::collections::{BTreeMap, HashMap};

/// A stocked SKU that a supplier replenishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuSupply {
    pub supplier: String,
    pub name: String,
    pub lead_time_days: Option<i32>,
}

/// Units of one SKU to order from its supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortageLine {
    pub supplier: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub lead_time_days: Option<i32>,
}

/// The lines to order now, sorted by supplier and SKU.
pub fn shortages(
    waiting: &[&Order],
    available: &HashMap<String, i64>,
    open: &[PurchaseOrder],
    supply: &HashMap<String, SkuSupply>,
) -> Vec<ShortageLine> {
    let mut balance: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for o in waiting {
        for l in &o.lines {
            if let Some(s) = supply.get(&l.sku) {
                *balance
                    .entry((s.supplier.as_str(), l.sku.as_str()))
                    .or_default() += l.unallocated_quantity().max(0);
            }
        }
    }
    let mut out = Vec::new();
    for ((supplier, sku), demand) in balance {
        let stock = available.get(sku).copied().unwrap_or(0).max(0);
        let ordered: i64 = open
            .iter()
            .filter(|po| po.status.is_open() && !po.drop_ship)
            .flat_map(|po| po.lines.iter())
            .filter(|l| l.sku == sku)
            .map(|l| l.outstanding())
            .sum();
        let missing = demand - stock - ordered;
        if missing > 0
            && let Some(s) = supply.get(sku)
        {
            out.push(ShortageLine {
                supplier: supplier.to_owned(),
                sku: sku.to_owned(),
                name: s.name.clone(),
                quantity: missing,
                lead_time_days: s.lead_time_days,
            });
        }
    }
    out
}
