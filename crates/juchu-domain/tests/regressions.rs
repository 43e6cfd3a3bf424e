//! Cases the property tests found, kept as regression tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OrderSpec, at, build, order_spec};
use juchu_domain::carrier::Carrier;
use juchu_domain::order::Allocation;
use juchu_domain::payment::{PaymentMethod, PaymentOutcome};
use juchu_domain::policy::Policies;
use juchu_domain::{Actor, BatchId, Order, OrderStatus, Role, invariants};
use proptest::prelude::*;

fn allocation(order: &Order, line: usize, warehouse: &str, quantity: i64) -> Allocation {
    Allocation {
        line_id: order.lines[line].id,
        sku: order.lines[line].sku.clone(),
        warehouse: warehouse.into(),
        quantity,
        reason: "test".into(),
    }
}

/// A card order of TEA-1 (from WH-EAST) and MUG-2 (from WH-WEST), instructed: two shipments.
fn two_shipment_order() -> Order {
    let spec = OrderSpec {
        lines: vec![(0, 1, 1_080), (2, 1, 3_300)],
        shipping_fee: 0,
        fees: vec![],
        discount_permille: 0,
        points_permille: 0,
        method: PaymentMethod::CreditCard,
        prefecture: 0,
    };
    let mut o = build(&spec);
    let sys = Actor::system("test");
    let auth = PaymentOutcome::Authorized {
        authorization_id: "auth_1".into(),
        amount: o.totals.total,
        suspicious: false,
    };
    o.complete_receipt(auth, &sys, at(1)).unwrap();
    let plan = vec![
        allocation(&o, 0, "WH-EAST", 1),
        allocation(&o, 1, "WH-WEST", 1),
    ];
    o.apply_allocation(plan, &sys, at(2)).unwrap();
    o.instruct(|_| BatchId::new(), &sys, at(3)).unwrap();
    assert_eq!(o.shipments.len(), 2);
    o
}

/// Fixed in `Order::ship` (one line): a shipment delivered before the last one shipped kept the
/// order in `shipping_instructed` forever, because `ship` wanted every live shipment exactly
/// `Shipped`; the last `deliver` then failed its transition after changing the shipment.
#[test]
fn last_shipment_ships_after_the_first_was_delivered() {
    let mut o = two_shipment_order();
    let sys = Actor::system("test");
    let (a, b) = (o.shipments[0].id, o.shipments[1].id);
    o.ship(a, Carrier::Other, "1".into(), at(10), &sys, at(10))
        .unwrap();
    o.deliver(a, at(11), &sys, at(11)).unwrap();
    o.ship(b, Carrier::Other, "2".into(), at(12), &sys, at(12))
        .unwrap();
    assert_eq!(o.status, OrderStatus::Shipped);
    o.deliver(b, at(13), &sys, at(13)).unwrap();
    assert_eq!(o.status, OrderStatus::Delivered);
}

/// Ship one of two shipments, then an operator tries to cancel: refused (part of the order has
/// left the warehouse; the rest ships and a return follows), and the order is unchanged. Delivering
/// the shipped parcel then works as usual.
#[test]
fn cancel_after_a_partial_shipment_is_refused_and_changes_nothing() {
    let mut o = two_shipment_order();
    let sys = Actor::system("test");
    let a = o.shipments[0].id;
    o.ship(a, Carrier::Other, "1".into(), at(10), &sys, at(10))
        .unwrap();
    let operator = Actor::User {
        id: "op-1".into(),
        role: Role::Operator,
    };
    let before = o.clone();
    assert!(
        o.cancel("short", &Policies::default(), &operator, at(11))
            .is_err()
    );
    assert_eq!(o, before, "a refused cancel changed the order");
    o.deliver(a, at(12), &sys, at(12)).unwrap();
}

/// After instruction a cancel is a request on every open shipment; one refusal withdraws it as a
/// whole (a shipment confirmed already goes back to `instructed`, its stock never left), and the
/// order is cancelled, releasing exactly its stock, only when every shipment is confirmed.
#[test]
fn a_cancel_request_over_two_shipments() {
    use juchu_domain::shipment::ShipmentStatus;
    let mut o = two_shipment_order();
    let operator = Actor::User {
        id: "op-1".into(),
        role: Role::Operator,
    };
    let wms = Actor::system("wms");
    let (a, b) = (o.shipments[0].id, o.shipments[1].id);
    let fx = o
        .cancel("changed", &Policies::default(), &operator, at(10))
        .unwrap();
    assert!(fx.stock.is_empty(), "a request releases nothing");
    assert_eq!(o.status, OrderStatus::ShippingInstructed);
    assert!(
        o.shipments
            .iter()
            .all(|s| s.status == ShipmentStatus::CancelRequested)
    );
    assert!(invariants::violations(&o).is_empty());

    o.confirm_cancel(a, &wms, at(11)).unwrap();
    assert_eq!(o.shipments[0].status, ShipmentStatus::Cancelled);
    assert_eq!(o.status, OrderStatus::ShippingInstructed);
    assert!(invariants::violations(&o).is_empty());
    let before = o.clone();
    assert!(o.confirm_cancel(a, &wms, at(12)).is_err());
    assert_eq!(o, before, "a repeated confirmation changed the order");

    o.refuse_cancel(b, "packed", &wms, at(12)).unwrap();
    assert!(
        o.shipments
            .iter()
            .all(|s| s.status == ShipmentStatus::Instructed)
    );
    assert!(o.cancel_request.is_none());
    assert_eq!(o.allocations.len(), 2);
    assert!(invariants::violations(&o).is_empty());

    o.cancel("changed again", &Policies::default(), &operator, at(13))
        .unwrap();
    assert!(
        o.cancel("twice", &Policies::default(), &operator, at(13))
            .is_err()
    );
    o.confirm_cancel(b, &wms, at(14)).unwrap();
    let fx = o.confirm_cancel(a, &wms, at(15)).unwrap();
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(fx.stock.iter().map(|s| s.allocated).sum::<i64>(), -2);
    assert!(o.allocations.is_empty());
    assert!(o.cancel_request.is_none());
    assert!(fx.events.iter().any(|e| e.kind == "payment.voided"));
    assert!(invariants::violations(&o).is_empty());
}

proptest! {
    #![proptest_config(common::config(256))]

    /// `Order::apply_allocation` takes any plan: entries for one line (e.g. from two warehouses)
    /// together must fit the line's waiting quantity, or the whole plan is refused.
    #[test]
    fn any_plan_is_either_refused_or_sound(
        spec in order_spec(5),
        entries in prop::collection::vec((0usize..5, 0usize..2, 1i64..=5), 1..4),
    ) {
        let mut o = build(&spec);
        let sys = Actor::system("test");
        o.complete_receipt(PaymentOutcome::OnDelivery, &sys, at(1)).unwrap();
        let plan: Vec<Allocation> = entries
            .iter()
            .map(|(l, w, q)| allocation(&o, l % o.lines.len(), ["WH-EAST", "WH-WEST"][*w], *q))
            .collect();
        let before = o.clone();
        match o.apply_allocation(plan, &sys, at(2)) {
            Err(_) => prop_assert_eq!(&o, &before),
            Ok(_) => {
                let v = invariants::violations(&o);
                prop_assert!(v.is_empty(), "{:?}", v);
            }
        }
    }
}
