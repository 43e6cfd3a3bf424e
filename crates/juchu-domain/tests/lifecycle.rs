//! Properties 1 and 4: random action sequences over orders built by intake. The order never leaves
//! the status graph, refused actions change nothing, invariants hold after every step, the version
//! moves by one per change, and the stock effects add up (allocated back to 0, on_hand down by
//! what shipped).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{OrderSpec, SKUS, WAREHOUSES, at, build, order_spec};
use juchu_domain::allocation::{self, Availability, WarehouseInfo};
use juchu_domain::carrier::Carrier;
use juchu_domain::lifecycle::Effects;
use juchu_domain::payment::{PaymentMethod, PaymentOutcome};
use juchu_domain::policy::Policies;
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::{
    Actor, BatchId, DomainError, HoldCode, Money, Order, OrderStatus, Role, ShipmentId, invariants,
};
use proptest::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Action {
    /// `kind` 0..=7 gives the outcome that fits the method (7: declined), 8/9 a mismatched one.
    Receive {
        kind: u8,
        suspicious: bool,
    },
    PlaceHold(HoldCode),
    ReleaseHold(usize),
    Allocate,
    /// Stock arrives at a warehouse (not an order action; lets backorders fill).
    Restock {
        wh: usize,
        sku: usize,
        n: i64,
    },
    Cancel {
        customer: bool,
    },
    ConfirmPayment {
        permille: i64,
    },
    Instruct,
    Ship(usize),
    Deliver(usize),
    Recognize,
    /// The warehouse confirms the cancel request of shipment i.
    ConfirmCancel(usize),
    /// The warehouse refuses the cancel request of shipment i.
    RefuseCancel(usize),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => (0u8..10, any::<bool>())
            .prop_map(|(kind, suspicious)| Action::Receive { kind, suspicious }),
        1 => prop::sample::select(HoldCode::ALL.to_vec()).prop_map(Action::PlaceHold),
        1 => (0usize..3).prop_map(Action::ReleaseHold),
        3 => Just(Action::Allocate),
        1 => (0..WAREHOUSES.len(), 0..SKUS.len(), 1i64..=20)
            .prop_map(|(wh, sku, n)| Action::Restock { wh, sku, n }),
        1 => any::<bool>().prop_map(|customer| Action::Cancel { customer }),
        1 => prop_oneof![Just(1000i64), 1i64..=1500]
            .prop_map(|permille| Action::ConfirmPayment { permille }),
        3 => Just(Action::Instruct),
        4 => (0usize..4).prop_map(Action::Ship),
        4 => (0usize..4).prop_map(Action::Deliver),
        2 => Just(Action::Recognize),
        2 => (0usize..4).prop_map(Action::ConfirmCancel),
        1 => (0usize..4).prop_map(Action::RefuseCancel),
    ]
}

/// The stock of every (warehouse, sku), as the store would keep it for this one order.
#[derive(Debug, Default)]
struct Stock {
    on_hand: HashMap<(String, String), i64>,
    allocated: HashMap<(String, String), i64>,
    /// Σ of the order's own effects.
    order_allocated: i64,
    order_on_hand: HashMap<String, i64>,
}

impl Stock {
    fn available(&self) -> Availability {
        self.on_hand
            .iter()
            .map(|(k, n)| (k.clone(), n - self.allocated.get(k).copied().unwrap_or(0)))
            .collect()
    }

    fn apply(&mut self, fx: &Effects) {
        for c in &fx.stock {
            let key = (c.warehouse.clone(), c.sku.clone());
            *self.on_hand.entry(key.clone()).or_default() += c.on_hand;
            *self.allocated.entry(key).or_default() += c.allocated;
            self.order_allocated += c.allocated;
            *self.order_on_hand.entry(c.sku.clone()).or_default() += c.on_hand;
        }
    }
}

fn warehouses() -> Vec<WarehouseInfo> {
    vec![
        WarehouseInfo {
            code: WAREHOUSES[0].into(),
            priority: 1,
            prefectures: vec!["東京都".into(), "北海道".into()],
        },
        WarehouseInfo {
            code: WAREHOUSES[1].into(),
            priority: 2,
            prefectures: vec!["大阪府".into()],
        },
        WarehouseInfo {
            code: WAREHOUSES[2].into(),
            priority: 3,
            prefectures: vec!["福岡県".into()],
        },
    ]
}

fn outcome(order: &Order, kind: u8, suspicious: bool) -> PaymentOutcome {
    let authorized = PaymentOutcome::Authorized {
        authorization_id: "auth_1".into(),
        amount: order.totals.total,
        suspicious,
    };
    let declined = PaymentOutcome::Declined {
        reason: "insufficient funds".into(),
    };
    let awaiting = PaymentOutcome::AwaitingPayment {
        virtual_account: "1234567".into(),
        due_date: jiff::civil::date(2025, 1, 8),
    };
    match (kind, order.payment.method) {
        (8, _) => declined,
        (9, _) => PaymentOutcome::OnDelivery,
        (7, PaymentMethod::CreditCard | PaymentMethod::Deferred | PaymentMethod::AmazonPay) => {
            declined
        }
        (_, PaymentMethod::CreditCard | PaymentMethod::Deferred | PaymentMethod::AmazonPay) => {
            authorized
        }
        (_, PaymentMethod::BankTransfer) => awaiting,
        (_, PaymentMethod::Cod) => PaymentOutcome::OnDelivery,
    }
}

fn shipment_id(order: &Order, i: usize) -> ShipmentId {
    match order.shipments.len() {
        0 => ShipmentId::new(),
        n => order.shipments[i % n].id,
    }
}

fn step(
    order: &mut Order,
    stock: &mut Stock,
    a: &Action,
    t: i64,
) -> Option<Result<Effects, DomainError>> {
    let now = at(t);
    let system = Actor::system("test");
    let operator = Actor::User {
        id: "op-1".into(),
        role: Role::Operator,
    };
    let customer = Actor::ApiKey {
        id: "key-sf".into(),
        role: Role::Storefront,
    };
    let policies = Policies::default();
    Some(match a {
        Action::Receive { kind, suspicious } => {
            let o = outcome(order, *kind, *suspicious);
            order.complete_receipt(o, &system, now)
        }
        Action::PlaceHold(code) => order.place_hold(*code, "確認", &operator, now),
        Action::ReleaseHold(i) => {
            let code = match order.holds.len() {
                0 => HoldCode::Manual,
                n => order.holds[i % n].code,
            };
            order.release_hold(code, Some("ok"), &operator, now)
        }
        Action::Allocate => {
            let plan = allocation::plan(order, &warehouses(), &stock.available());
            order.apply_allocation(plan, &system, now)
        }
        Action::Restock { wh, sku, n } => {
            let key = (WAREHOUSES[*wh].to_owned(), SKUS[*sku].0.to_owned());
            *stock.on_hand.entry(key).or_default() += n;
            return None;
        }
        Action::Cancel { customer: c } => {
            let actor = if *c { &customer } else { &operator };
            order.cancel("changed my mind", &policies, actor, now)
        }
        Action::ConfirmPayment { permille } => {
            let amount = Money::yen(order.totals.total.minor() * permille / 1000);
            order.confirm_payment(amount, None, &operator, now)
        }
        Action::Instruct => order.instruct(|_| BatchId::new(), &system, now),
        Action::Ship(i) => {
            let id = shipment_id(order, *i);
            order.ship(id, Carrier::Other, format!("TN-{t}"), now, &system, now)
        }
        Action::Deliver(i) => {
            let id = shipment_id(order, *i);
            order.deliver(id, now, &system, now)
        }
        Action::Recognize => order.recognize(juchu_domain::Rounding::Down, &system, now),
        Action::ConfirmCancel(i) => {
            let id = shipment_id(order, *i);
            order.confirm_cancel(id, &system, now)
        }
        Action::RefuseCancel(i) => {
            let id = shipment_id(order, *i);
            order.refuse_cancel(id, "already packed", &system, now)
        }
    })
}

/// The order's status agrees with its shipments.
fn status_matches_shipments(o: &Order) -> bool {
    let live: Vec<ShipmentStatus> = o
        .shipments
        .iter()
        .map(|s| s.status)
        .filter(|s| *s != ShipmentStatus::Cancelled)
        .collect();
    let left =
        |s: &ShipmentStatus| matches!(s, ShipmentStatus::Shipped | ShipmentStatus::Delivered);
    match o.status {
        OrderStatus::ShippingInstructed => !live.is_empty() && !live.iter().all(left),
        OrderStatus::Shipped => live.iter().all(left),
        OrderStatus::Delivered | OrderStatus::Recognized => {
            live.iter().all(|s| *s == ShipmentStatus::Delivered)
        }
        _ => true,
    }
}

fn check_stock(order: &Order, stock: &Stock) -> Result<(), TestCaseError> {
    for (key, allocated) in &stock.allocated {
        let on_hand = stock.on_hand.get(key).copied().unwrap_or(0);
        prop_assert!(
            0 <= *allocated && *allocated <= on_hand,
            "{key:?}: allocated {allocated}, on hand {on_hand}"
        );
        let live: i64 = order
            .allocations
            .iter()
            .filter(|a| (&a.warehouse, &a.sku) == (&key.0, &key.1))
            .map(|a| a.quantity)
            .sum();
        prop_assert_eq!(*allocated, live, "{:?}: stock vs live allocations", key);
    }
    let live: i64 = order.allocations.iter().map(|a| a.quantity).sum();
    prop_assert_eq!(
        stock.order_allocated,
        live,
        "Σ allocated effects vs live allocations"
    );
    for (sku, _) in SKUS {
        let shipped: i64 = order
            .lines
            .iter()
            .filter(|l| l.sku == sku)
            .map(|l| l.shipped_quantity)
            .sum();
        let delta = stock.order_on_hand.get(sku).copied().unwrap_or(0);
        prop_assert_eq!(delta, -shipped, "{}: on_hand delta vs shipped", sku);
    }
    Ok(())
}

fn run(spec: &OrderSpec, initial: &[i64], actions: &[Action]) -> Result<(), TestCaseError> {
    let mut order = build(spec);
    prop_assert!(invariants::violations(&order).is_empty());
    let mut stock = Stock::default();
    for (i, n) in initial.iter().enumerate() {
        let key = (
            WAREHOUSES[i % WAREHOUSES.len()].to_owned(),
            SKUS[i / WAREHOUSES.len()].0.to_owned(),
        );
        stock.on_hand.insert(key, *n);
    }
    for (t, a) in (1..).zip(actions) {
        let before = order.clone();
        let Some(result) = step(&mut order, &mut stock, a, t) else {
            continue;
        };
        match result {
            Err(e) => prop_assert_eq!(&order, &before, "refused {:?} ({}) changed the order", a, e),
            Ok(fx) => {
                prop_assert!(
                    order.status == before.status || before.status.can_become(order.status),
                    "{:?}: {} → {} leaves the graph",
                    a,
                    before.status,
                    order.status
                );
                if order.status != before.status {
                    prop_assert!(fx.events.iter().any(|e| e.kind == "order.status_changed"));
                }
                if fx.events.is_empty() {
                    prop_assert_eq!(&order, &before, "{:?} changed the order silently", a);
                } else {
                    prop_assert_eq!(order.version, before.version + 1, "{:?}: version", a);
                }
                stock.apply(&fx);
            }
        }
        let v = invariants::violations(&order);
        prop_assert!(v.is_empty(), "after {:?}: {:?}", a, v);
        prop_assert!(
            status_matches_shipments(&order),
            "after {:?}: order {} with shipments {:?}",
            a,
            order.status,
            order.shipments.iter().map(|s| s.status).collect::<Vec<_>>()
        );
        check_stock(&order, &stock)?;
        // The shipments of an instruction carry the whole total between them.
        if !order.shipments.is_empty() {
            let amounts: Vec<Money> = order.shipments.iter().map(|s| s.amount).collect();
            prop_assert!(amounts.iter().all(|m| !m.is_negative()), "{:?}", amounts);
            prop_assert_eq!(amounts.into_iter().sum::<Money>(), order.totals.total);
        }
    }
    if order.status == OrderStatus::Cancelled || !order.status.is_before(OrderStatus::Shipped) {
        prop_assert_eq!(
            stock.order_allocated,
            0,
            "stock still reserved when {}",
            order.status
        );
        prop_assert!(order.allocations.is_empty());
    }
    Ok(())
}

fn initial_stock() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(prop_oneof![Just(0i64), 0i64..=12, Just(100)], 12)
}

proptest! {
    #![proptest_config(common::config(1024))]

    #[test]
    fn random_action_sequences_keep_the_order_sound(
        spec in order_spec(6),
        initial in initial_stock(),
        actions in prop::collection::vec(action(), 1..40),
    ) {
        run(&spec, &initial, &actions)?;
    }

    /// The main flow with noise mixed in: receive, allocate until done, instruct, ship and deliver
    /// everything, recognise — so long sequences reach the late statuses often.
    #[test]
    fn happy_path_with_noise_keeps_the_order_sound(
        spec in order_spec(6),
        initial in initial_stock(),
        noise in prop::collection::vec((0usize..12, action()), 0..6),
    ) {
        let mut actions = vec![
            Action::Receive { kind: 0, suspicious: false },
            Action::ConfirmPayment { permille: 1000 },
            Action::Allocate,
            Action::Restock { wh: 0, sku: 0, n: 30 },
            Action::Restock { wh: 0, sku: 1, n: 30 },
            Action::Restock { wh: 0, sku: 2, n: 30 },
            Action::Restock { wh: 0, sku: 3, n: 30 },
            Action::Allocate,
            Action::Instruct,
        ];
        actions.extend((0..3).map(Action::Ship));
        actions.extend((0..3).map(Action::Deliver));
        actions.push(Action::Recognize);
        for (pos, a) in noise {
            actions.insert(pos.min(actions.len()), a);
        }
        run(&spec, &initial, &actions)?;
    }
}
