//! Drop-shipping (直送): lines of drop-ship SKUs are allocated to their supplier (no stock is
//! reserved), and one purchase order per order and supplier carries the customer's address. The
//! purchase order follows the order: created with the allocation, sent when the order is
//! instructed (so nothing ships before the order may ship), shipped when its shipment ships,
//! cancelled when the order is.

use super::{PoLine, PoOrigin, PoStatus, PurchaseOrder, supplier_location, supplier_of};
use crate::actor::Actor;
use crate::event::Event;
use crate::ids::LineId;
use crate::order::{Allocation, Order};
use crate::shipment::{Shipment, ShipmentStatus};
use crate::status::OrderStatus;
use jiff::Timestamp;
use serde_json::json;
use std::collections::HashMap;

/// Splits an order for allocation: the order as the stock planner should see it (drop-ship lines and
/// allocations left out; `None` when the order has no drop-ship line, so the order itself) and the
/// allocations of its waiting drop-ship lines to their suppliers. `suppliers` maps each drop-ship
/// SKU to its supplier.
pub fn split_drop_ship(
    order: &Order,
    suppliers: &HashMap<String, String>,
) -> (Option<Order>, Vec<Allocation>) {
    if !order.lines.iter().any(|l| suppliers.contains_key(&l.sku)) {
        return (None, Vec::new());
    }
    let drop_ship: Vec<Allocation> = order
        .lines
        .iter()
        .filter_map(|l| {
            let supplier = suppliers.get(&l.sku)?;
            let q = l.unallocated_quantity();
            (q > 0).then(|| Allocation {
                line_id: l.id,
                sku: l.sku.clone(),
                warehouse: supplier_location(supplier),
                quantity: q,
                reason: format!("drop-ship from {supplier}"),
            })
        })
        .collect();
    let mut stocked = order.clone();
    stocked.lines.retain(|l| !suppliers.contains_key(&l.sku));
    stocked
        .allocations
        .retain(|a| supplier_of(&a.warehouse).is_none());
    (Some(stocked), drop_ship)
}

/// What [`sync_drop_ship`] changed: new purchase orders, changed ones with the version they had,
/// and events for the order's history.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DropShipSync {
    pub created: Vec<PurchaseOrder>,
    pub changed: Vec<(PurchaseOrder, i64)>,
    pub events: Vec<Event>,
}

/// What the order wants from one supplier: its instructed shipment from there, else its live
/// allocations there, as (order line, sku, quantity).
fn wanted(
    order: &Order,
    location: &str,
    shipment: Option<&Shipment>,
) -> Vec<(LineId, String, i64)> {
    match shipment {
        Some(s) => s
            .lines
            .iter()
            .map(|l| (l.line_id, l.sku.clone(), l.quantity))
            .collect(),
        None => order
            .allocations
            .iter()
            .filter(|a| a.warehouse == location && a.quantity > 0)
            .map(|a| (a.line_id, a.sku.clone(), a.quantity))
            .collect(),
    }
}

fn po_lines(
    order: &Order,
    wanted: &[(LineId, String, i64)],
    lead_times: &HashMap<String, i32>,
) -> Vec<PoLine> {
    wanted
        .iter()
        .map(|(line_id, sku, q)| PoLine {
            sku: sku.clone(),
            name: order
                .line(*line_id)
                .map(|l| l.name.clone())
                .unwrap_or_default(),
            quantity: *q,
            received_quantity: 0,
            lead_time_days: lead_times.get(sku).copied(),
            expected_date: None,
            line_id: Some(*line_id),
        })
        .collect()
}

fn event(
    out: &mut DropShipSync,
    kind: &str,
    actor: &Actor,
    at: Timestamp,
    data: serde_json::Value,
) {
    out.events.push(Event::new(kind, actor, at, data));
}

/// Brings the drop-ship purchase orders of `order` in line with it. `existing` holds the order's
/// purchase orders; `lead_times` the SKUs' lead times. While a purchase order is a draft, its lines
/// and address follow the order (modification, split); it is sent once the order is instructed.
/// Running it twice changes nothing the second time.
pub fn sync_drop_ship(
    order: &Order,
    existing: &[PurchaseOrder],
    lead_times: &HashMap<String, i32>,
    actor: &Actor,
    at: Timestamp,
) -> DropShipSync {
    let mut out = DropShipSync::default();
    let mine = |p: &&PurchaseOrder| p.drop_ship && p.order_id == Some(order.id);
    let mut locations: Vec<&str> = order
        .allocations
        .iter()
        .map(|a| a.warehouse.as_str())
        .chain(
            order
                .shipments
                .iter()
                .filter(|s| s.status != ShipmentStatus::Cancelled)
                .map(|s| s.warehouse.as_str()),
        )
        .chain(existing.iter().filter(mine).map(|p| p.warehouse.as_str()))
        .filter(|w| supplier_of(w).is_some())
        .collect();
    locations.sort_unstable();
    locations.dedup();
    let cancelled = order.status == OrderStatus::Cancelled;
    for location in locations {
        let Some(supplier) = supplier_of(location) else {
            continue;
        };
        let shipment = order
            .shipments
            .iter()
            .rfind(|s| s.warehouse == location && s.status != ShipmentStatus::Cancelled);
        let want = wanted(order, location, shipment);
        let found = existing
            .iter()
            .filter(mine)
            .find(|p| p.supplier == supplier && p.status != PoStatus::Cancelled);
        let (mut po, before) = match found {
            Some(p) => (p.clone(), Some(p.version)),
            None if cancelled || want.is_empty() => continue,
            None => {
                let mut po =
                    PurchaseOrder::draft(supplier, location, PoOrigin::DropShip, actor, at);
                po.order_id = Some(order.id);
                po.order_number = Some(order.number);
                po.ship_to = Some(order.shipping_address.clone());
                po.lines = po_lines(order, &want, lead_times);
                event(
                    &mut out,
                    "purchase_order.created",
                    actor,
                    at,
                    json!({"purchase_order_id": po.id, "supplier": supplier, "drop_ship": true}),
                );
                (po, None)
            }
        };
        if cancelled || (po.status == PoStatus::Draft && want.is_empty()) {
            let why = if cancelled {
                "the order was cancelled".to_owned()
            } else {
                format!("nothing of the order is drop-shipped from {supplier} any more")
            };
            if po.cancel(&why, actor, at).is_ok() {
                event(
                    &mut out,
                    "purchase_order.cancelled",
                    actor,
                    at,
                    json!({"purchase_order_id": po.id, "reason": why}),
                );
            }
        } else if po.status == PoStatus::Draft {
            let lines = po_lines(order, &want, lead_times);
            let address = Some(order.shipping_address.clone());
            if po.lines != lines || po.ship_to != address {
                po.replace_lines(lines, address, actor, at);
            }
        }
        if let Some(s) = shipment.filter(|_| !cancelled) {
            if po.status == PoStatus::Draft && s.status != ShipmentStatus::Pending {
                po.shipment_id = Some(s.id);
                if po.send(actor, at).is_ok() {
                    event(
                        &mut out,
                        "purchase_order.sent",
                        actor,
                        at,
                        json!({"purchase_order_id": po.id, "shipment_id": s.id}),
                    );
                }
            }
            if po.status == PoStatus::Sent
                && matches!(
                    s.status,
                    ShipmentStatus::Shipped | ShipmentStatus::Delivered
                )
                && po
                    .mark_shipped(
                        s.carrier,
                        s.tracking_number.clone(),
                        s.shipped_at.unwrap_or(at),
                        actor,
                        at,
                    )
                    .is_ok()
            {
                event(
                    &mut out,
                    "purchase_order.shipped",
                    actor,
                    at,
                    json!({"purchase_order_id": po.id, "shipment_id": s.id}),
                );
            }
        }
        match before {
            None => out.created.push(po),
            Some(v) if v != po.version => out.changed.push((po, v)),
            Some(_) => {}
        }
    }
    out
}
