//! Purchase orders and drop-shipping: the shortage balance, receipts, and drop-ship purchase orders
//! following their order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OrderSpec, at, build};
use juchu_domain::carrier::Carrier;
use juchu_domain::payment::{PaymentMethod, PaymentOutcome};
use juchu_domain::purchasing::{
    PoOrigin, PoStatus, PurchaseError, PurchaseOrder, SkuSupply, shortages, split_drop_ship,
    sync_drop_ship,
};
use juchu_domain::{Actor, BatchId, Money, Order};
use std::collections::HashMap;

fn actor() -> Actor {
    Actor::system("test")
}

/// An order of `lines` (sku index into common::SKUS, quantity), received and waiting for stock.
fn waiting(lines: &[(usize, i64)]) -> Order {
    let mut o = build(&OrderSpec {
        lines: lines.iter().map(|(s, q)| (*s, *q, 1000)).collect(),
        shipping_fee: 0,
        fees: vec![],
        discount_permille: 0,
        points_permille: 0,
        method: PaymentMethod::CreditCard,
        prefecture: 0,
    });
    let total = o.totals.total;
    o.complete_receipt(
        PaymentOutcome::Authorized {
            authorization_id: "auth_1".into(),
            amount: total,
            suspicious: false,
        },
        &actor(),
        at(1),
    )
    .unwrap();
    o
}

fn supply(skus: &[(&str, &str)]) -> HashMap<String, SkuSupply> {
    skus.iter()
        .map(|(sku, supplier)| {
            (
                (*sku).to_owned(),
                SkuSupply {
                    supplier: (*supplier).to_owned(),
                    name: format!("{sku} item"),
                    lead_time_days: Some(2),
                },
            )
        })
        .collect()
}

fn sent_po(sku: &str, quantity: i64) -> PurchaseOrder {
    let mut po = PurchaseOrder::draft("ACME", "TKY", PoOrigin::Shortage, &actor(), at(2));
    po.add_line(sku, "item", quantity, Some(2), None).unwrap();
    po.send(&actor(), at(3)).unwrap();
    po
}

#[test]
fn shortage_is_demand_minus_stock_minus_open_purchase_orders() {
    // TEA-1: A waits for 5 (2 allocated → 3 short), B for 4; 1 in stock; 2 outstanding on a PO.
    let mut a = waiting(&[(0, 5), (2, 1)]);
    a.lines[0].allocated_quantity = 2;
    let b = waiting(&[(0, 4)]);
    let mut po = sent_po("TEA-1", 3);
    po.receive(&[("TEA-1".into(), 1)], &actor(), at(4)).unwrap();
    let mut cancelled = sent_po("TEA-1", 100);
    cancelled.status = PoStatus::Cancelled;
    let available = HashMap::from([("TEA-1".to_owned(), 1)]);
    // MUG-2 (index 2) has no supplier: it never becomes a purchase-order line.
    let s = supply(&[("TEA-1", "ACME")]);
    let lines = shortages(&[&a, &b], &available, &[po.clone(), cancelled], &s);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].supplier.as_str(), lines[0].sku.as_str()),
        ("ACME", "TEA-1")
    );
    assert_eq!(lines[0].quantity, 3 + 4 - 1 - 2);
    assert_eq!(lines[0].lead_time_days, Some(2));
    // Once ordered, the same shortage orders nothing again.
    let again = shortages(&[&a, &b], &available, &[po, sent_po("TEA-1", 4)], &s);
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn receipts_partial_then_full() {
    let mut po = PurchaseOrder::draft("ACME", "TKY", PoOrigin::Manual, &actor(), at(0));
    po.add_line("TEA-1", "tea", 5, Some(3), None).unwrap();
    po.add_line("TEA-1", "tea", 2, Some(3), None).unwrap();
    assert_eq!(po.lines.len(), 1, "same SKU merges");
    let refused = po.receive(&[("TEA-1".into(), 1)], &actor(), at(1));
    assert!(matches!(
        refused,
        Err(PurchaseError::NotAllowed {
            status: PoStatus::Draft,
            ..
        })
    ));
    po.send(&actor(), at(1)).unwrap();
    assert_eq!(po.lines[0].expected_date.unwrap().to_string(), "2025-01-04");
    let before = po.clone();
    assert!(
        po.receive(&[("TEA-1".into(), 8)], &actor(), at(2)).is_err(),
        "more than ordered"
    );
    assert!(
        po.receive(&[("MUG-2".into(), 1)], &actor(), at(2)).is_err(),
        "not on the PO"
    );
    assert!(po.receive(&[], &actor(), at(2)).is_err());
    assert_eq!(po, before, "a refused receipt changes nothing");
    let stock = po.receive(&[("TEA-1".into(), 3)], &actor(), at(2)).unwrap();
    assert_eq!(stock.len(), 1);
    assert_eq!(
        (
            stock[0].warehouse.as_str(),
            stock[0].on_hand,
            stock[0].allocated
        ),
        ("TKY", 3, 0)
    );
    assert_eq!(po.status, PoStatus::PartiallyReceived);
    po.receive(&[("TEA-1".into(), 4)], &actor(), at(3)).unwrap();
    assert_eq!(po.status, PoStatus::Received);
    assert_eq!(po.received_at, Some(at(3)));
    assert!(po.cancel("late", &actor(), at(4)).is_err());
    assert!(po.violations().is_empty());
}

#[test]
fn drop_ship_lines_go_to_the_supplier_and_the_planner_sees_the_rest() {
    let o = waiting(&[(0, 2), (2, 1)]);
    let suppliers = HashMap::from([("TEA-1".to_owned(), "KYOTO".to_owned())]);
    let (stocked, drop_ship) = split_drop_ship(&o, &suppliers);
    let stocked = stocked.expect("a drop-ship line");
    assert_eq!(stocked.lines.len(), 1);
    assert_eq!(stocked.lines[0].sku, "MUG-2");
    assert_eq!(drop_ship.len(), 1);
    assert_eq!(drop_ship[0].warehouse, "supplier:KYOTO");
    assert_eq!(drop_ship[0].quantity, 2);
    assert_eq!(drop_ship[0].reason, "drop-ship from KYOTO");
    let (none, nothing) = split_drop_ship(&o, &HashMap::new());
    assert!(none.is_none() && nothing.is_empty());
}

#[test]
fn a_drop_ship_purchase_order_follows_its_order() {
    let mut o = waiting(&[(0, 2), (2, 1)]);
    let suppliers = HashMap::from([("TEA-1".to_owned(), "KYOTO".to_owned())]);
    let (_, plan) = split_drop_ship(&o, &suppliers);
    o.apply_allocation(plan, &actor(), at(2)).unwrap();
    let leads = HashMap::from([("TEA-1".to_owned(), 5)]);

    // Allocated: a draft with the customer's address.
    let s = sync_drop_ship(&o, &[], &leads, &actor(), at(3));
    assert_eq!(s.created.len(), 1);
    let po = s.created[0].clone();
    assert!(po.drop_ship);
    assert_eq!(po.status, PoStatus::Draft);
    assert_eq!(po.warehouse, "supplier:KYOTO");
    assert_eq!(po.ship_to.as_ref(), Some(&o.shipping_address));
    assert_eq!(po.order_id, Some(o.id));
    assert_eq!(po.lines[0].quantity, 2);
    assert_eq!(po.lines[0].line_id, Some(o.lines[0].id));
    assert_eq!(s.events[0].kind, "purchase_order.created");
    // Nothing changes when nothing happened.
    let same = sync_drop_ship(&o, std::slice::from_ref(&po), &leads, &actor(), at(4));
    assert!(same.created.is_empty() && same.changed.is_empty());

    // Instructed (MUG-2 would wait for stock: give it to the order so it can be instructed).
    o.lines[1].allocated_quantity = 1;
    o.allocations.push(juchu_domain::order::Allocation {
        line_id: o.lines[1].id,
        sku: "MUG-2".into(),
        warehouse: "TKY".into(),
        quantity: 1,
        reason: "test".into(),
    });
    o.status = juchu_domain::OrderStatus::Allocated;
    o.instruct(|_| BatchId::new(), &actor(), at(5)).unwrap();
    let supplier_shipment = o
        .shipments
        .iter()
        .find(|s| s.warehouse == "supplier:KYOTO")
        .unwrap()
        .clone();
    let s = sync_drop_ship(&o, std::slice::from_ref(&po), &leads, &actor(), at(6));
    assert_eq!(s.changed.len(), 1);
    let (po, before) = s.changed[0].clone();
    assert_eq!(before, 1);
    assert_eq!(po.status, PoStatus::Sent);
    assert_eq!(po.shipment_id, Some(supplier_shipment.id));
    assert_eq!(po.lines[0].expected_date.unwrap().to_string(), "2025-01-06");

    // Shipped by the supplier: the order captures that shipment's amount; the PO is shipped.
    o.ship(
        supplier_shipment.id,
        Carrier::Sagawa,
        "123456789012".into(),
        at(7),
        &actor(),
        at(7),
    )
    .unwrap();
    assert!(o.payment.captured_amount > Money::ZERO);
    let s = sync_drop_ship(&o, std::slice::from_ref(&po), &leads, &actor(), at(8));
    let (po, _) = s.changed[0].clone();
    assert_eq!(po.status, PoStatus::Shipped);
    assert_eq!(po.tracking_number.as_deref(), Some("123456789012"));
    assert!(po.violations().is_empty());
}

#[test]
fn a_cancelled_order_cancels_its_drop_ship_purchase_order() {
    let mut o = waiting(&[(0, 1)]);
    let suppliers = HashMap::from([("TEA-1".to_owned(), "KYOTO".to_owned())]);
    let (_, plan) = split_drop_ship(&o, &suppliers);
    o.apply_allocation(plan, &actor(), at(2)).unwrap();
    let po = sync_drop_ship(&o, &[], &HashMap::new(), &actor(), at(3)).created[0].clone();
    o.cancel("changed mind", &Default::default(), &actor(), at(4))
        .unwrap();
    let s = sync_drop_ship(
        &o,
        std::slice::from_ref(&po),
        &HashMap::new(),
        &actor(),
        at(5),
    );
    assert_eq!(s.changed[0].0.status, PoStatus::Cancelled);
    // A cancelled order that never had its purchase order gets none.
    assert!(
        sync_drop_ship(&o, &[], &HashMap::new(), &actor(), at(5))
            .created
            .is_empty()
    );
}

#[test]
fn a_draft_follows_changes_of_its_order() {
    let mut o = waiting(&[(0, 3)]);
    let suppliers = HashMap::from([("TEA-1".to_owned(), "KYOTO".to_owned())]);
    let (_, plan) = split_drop_ship(&o, &suppliers);
    o.apply_allocation(plan, &actor(), at(2)).unwrap();
    let po = sync_drop_ship(&o, &[], &HashMap::new(), &actor(), at(3)).created[0].clone();
    // The order now wants 1 (as a modification or a split would leave it) and lives elsewhere.
    o.allocations[0].quantity = 1;
    o.shipping_address.city = "京都市".into();
    let s = sync_drop_ship(
        &o,
        std::slice::from_ref(&po),
        &HashMap::new(),
        &actor(),
        at(4),
    );
    let (po, _) = s.changed[0].clone();
    assert_eq!(po.lines[0].quantity, 1);
    assert_eq!(po.ship_to.as_ref().unwrap().city, "京都市");
    assert_eq!(po.status, PoStatus::Draft);
    // Nothing drop-shipped any more: the draft is cancelled, and a later allocation gets a new one.
    let taken = std::mem::take(&mut o.allocations);
    let s = sync_drop_ship(
        &o,
        std::slice::from_ref(&po),
        &HashMap::new(),
        &actor(),
        at(5),
    );
    let (cancelled, _) = s.changed[0].clone();
    assert_eq!(cancelled.status, PoStatus::Cancelled);
    o.allocations = taken;
    let s = sync_drop_ship(
        &o,
        std::slice::from_ref(&cancelled),
        &HashMap::new(),
        &actor(),
        at(6),
    );
    assert_eq!(s.created.len(), 1);
    assert_ne!(s.created[0].id, cancelled.id);
}

#[test]
fn purchasing_policies_read_from_configuration() {
    use juchu_domain::policy::Policies;
    use juchu_domain::purchasing::PurchaseOrderMode;
    let p: Policies = serde_json::from_str(
        r#"{"purchase_orders": "batched", "purchase_order_times": ["10:00", "15:30"],
            "purchase_order_warehouse": "OSK"}"#,
    )
    .unwrap();
    assert_eq!(p.purchase_orders, PurchaseOrderMode::Batched);
    let times: Vec<String> = p
        .purchase_order_times
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(times, ["10:00:00", "15:30:00"]);
    assert_eq!(p.purchase_order_warehouse.as_deref(), Some("OSK"));
    let d = Policies::default();
    assert_eq!(d.purchase_orders, PurchaseOrderMode::Immediate);
    assert_eq!(d.purchase_order_times.len(), 2);
    assert!(serde_json::from_str::<Policies>(r#"{"purchase_order_times": ["25:00"]}"#).is_err());
    assert!(serde_json::from_str::<Policies>(r#"{"purchase_orders": "weekly"}"#).is_err());
}
