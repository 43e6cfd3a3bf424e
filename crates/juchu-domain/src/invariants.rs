//! The order-level invariants of DOMAIN.md §4, as a pure check used by property tests and by the
//! stored-data checker (`juchu check`).

use crate::order::{Line, Order};
use crate::payment::PaymentMethod;
use crate::shipment::ShipmentStatus;
use crate::status::OrderStatus;

/// Everything wrong with one order; empty when it is sound.
pub fn violations(o: &Order) -> Vec<String> {
    let mut out = Vec::new();
    let t = &o.totals;
    let items: crate::Money = o.lines.iter().map(Line::amount).sum();
    if t.items != items {
        out.push(format!(
            "order {}: items {} ≠ Σ lines {}",
            o.number,
            t.items.minor(),
            items.minor()
        ));
    }
    if t.items + t.shipping_fee + t.fees - t.discount - t.points_used != t.total {
        out.push(format!(
            "order {}: totals do not add up to {}",
            o.number,
            t.total.minor()
        ));
    }
    for l in &o.lines {
        let live: i64 = o
            .allocations
            .iter()
            .filter(|a| a.line_id == l.id)
            .map(|a| a.quantity)
            .sum();
        if live != l.allocated_quantity {
            out.push(format!(
                "order {} line {}: allocations {live} ≠ allocated_quantity {}",
                o.number, l.sku, l.allocated_quantity
            ));
        }
        if l.allocated_quantity < 0 || l.allocated_quantity + l.shipped_quantity > l.quantity {
            out.push(format!(
                "order {} line {}: allocated {} + shipped {} exceeds quantity {}",
                o.number, l.sku, l.allocated_quantity, l.shipped_quantity, l.quantity
            ));
        }
    }
    if o.status == OrderStatus::Cancelled && !o.allocations.is_empty() {
        out.push(format!("order {}: cancelled but holds stock", o.number));
    }
    if o.status == OrderStatus::Cancelled && o.shipments.iter().any(|s| s.status.is_open()) {
        out.push(format!(
            "order {}: cancelled but a shipment is still live",
            o.number
        ));
    }
    let requested = o
        .shipments
        .iter()
        .filter(|s| s.status == ShipmentStatus::CancelRequested)
        .count();
    if requested > 0 && o.status != OrderStatus::ShippingInstructed {
        out.push(format!(
            "order {}: a cancel_requested shipment on a {} order",
            o.number, o.status
        ));
    }
    if (requested > 0) != o.cancel_request.is_some() {
        out.push(format!(
            "order {}: cancel request on the order and cancel_requested shipments disagree",
            o.number
        ));
    }
    let p = &o.payment;
    let card_like = matches!(
        p.method,
        PaymentMethod::CreditCard | PaymentMethod::AmazonPay | PaymentMethod::Deferred
    );
    if card_like && p.captured_amount > p.authorized_amount {
        out.push(format!(
            "order {}: captured {} > authorised {}",
            o.number,
            p.captured_amount.minor(),
            p.authorized_amount.minor()
        ));
    }
    if p.refunded_amount > p.captured_amount {
        out.push(format!(
            "order {}: refunded {} > captured {}",
            o.number,
            p.refunded_amount.minor(),
            p.captured_amount.minor()
        ));
    }
    out
}
