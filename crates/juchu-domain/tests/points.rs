//! Points rules (docs/points.md): what an order earns (rounded down, points used excluded,
//! returned items excluded) and the ledger movements of cancellation and grants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OrderSpec, at, build};
use juchu_domain::Actor;
use juchu_domain::OrderStatus;
use juchu_domain::payment::PaymentMethod;
use juchu_domain::points::{PointsKind, earned};
use juchu_domain::policy::Policies;

fn spec(lines: Vec<(usize, i64, i64)>, points_permille: i64) -> OrderSpec {
    OrderSpec {
        lines,
        shipping_fee: 550,
        fees: vec![],
        discount_permille: 0,
        points_permille,
        method: PaymentMethod::CreditCard,
        prefecture: 0,
    }
}

#[test]
fn earning_is_rounded_down_and_excludes_points_used_and_returns() {
    // Items 2 × 1,999 = 3,998 → 1% = 39.98 → 39 (shipping does not earn).
    let mut o = build(&spec(vec![(2, 2, 1999)], 0));
    assert_eq!(earned(&o, 1), 39);
    assert_eq!(earned(&o, 0), 0);
    // One returned: 1,999 → 19.
    o.lines[0].returned_quantity = 1;
    assert_eq!(earned(&o, 1), 19);
    // Points used come off the base: (3,998 + 550) × 10% = 454 used → (3,998 − 454) × 1% = 35.
    let o = build(&spec(vec![(2, 2, 1999)], 100));
    assert_eq!(o.totals.points_used.minor(), 454);
    assert_eq!(earned(&o, 1), 35);
}

#[test]
fn cancellation_restores_points_used_only_for_orders_with_a_customer_id() {
    let policies = Policies::default();
    let actor = Actor::system("test");
    let mut anonymous = build(&spec(vec![(0, 1, 1000)], 100));
    let fx = anonymous.cancel("x", &policies, &actor, at(1)).unwrap();
    assert!(fx.points.is_empty());

    let mut o = build(&spec(vec![(0, 1, 1000)], 100));
    o.customer.id = Some("C-9".into());
    let fx = o.cancel("x", &policies, &actor, at(1)).unwrap();
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(fx.points.len(), 1);
    assert_eq!(fx.points[0].kind, PointsKind::Restore);
    assert_eq!(fx.points[0].amount, o.totals.points_used.minor());
    assert_eq!(fx.points[0].customer_id, "C-9");
    assert_eq!(fx.points[0].order_id, Some(o.id));
}

#[test]
fn a_grant_needs_a_customer_a_shipped_order_and_happens_once() {
    let actor = Actor::system("test");
    let mut o = build(&spec(vec![(2, 1, 5000)], 0));
    o.customer.id = Some("C-1".into());
    // Still `received`: refused, nothing changes.
    let v = o.version;
    assert!(o.grant_points(1, None, &actor, at(2)).is_err());
    assert_eq!(o.version, v);
    o.status = OrderStatus::Delivered;
    let fx = o.grant_points(1, Some(at(100)), &actor, at(2)).unwrap();
    assert_eq!(o.points.granted, 50);
    assert_eq!(o.version, v + 1);
    assert_eq!(fx.points[0].kind, PointsKind::Grant);
    assert_eq!(fx.points[0].amount, 50);
    assert_eq!(fx.points[0].expires_at, Some(at(100)));
    assert!(fx.events.iter().any(|e| e.kind == "points.granted"));
    assert!(o.grant_points(1, None, &actor, at(3)).is_err());
    o.customer.id = None;
    o.points.granted = 0;
    assert!(o.grant_points(1, None, &actor, at(3)).is_err());
}
