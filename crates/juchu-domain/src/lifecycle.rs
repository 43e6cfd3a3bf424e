//! What each action does to an order: checks first, then changes, then the events and stock effects.
//! A refused action returns an error and leaves the order exactly as it was (DOMAIN.md §4.3).

use crate::actor::Actor;
use crate::carrier::Carrier;
use crate::error::DomainError;
use crate::event::Event;
use crate::ids::{BatchId, ShipmentId};
use crate::money::Money;
use crate::order::{Allocation, Hold, HoldCode, Order};
use crate::payment::{PaymentMethod, PaymentOutcome, PaymentStatus};
use crate::policy::Policies;
use crate::shipment::{Shipment, ShipmentLine, ShipmentStatus};
use crate::status::OrderStatus;
use crate::stock::StockChange;
use jiff::Timestamp;
use serde_json::json;

/// Everything an action changed besides the order itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Effects {
    pub events: Vec<Event>,
    pub stock: Vec<StockChange>,
    /// Loyalty points movements (docs/points.md), applied in the same transaction.
    pub points: Vec<crate::points::PointsChange>,
}

impl Effects {
    pub(crate) fn event(
        &mut self,
        kind: &str,
        actor: &Actor,
        at: Timestamp,
        data: serde_json::Value,
    ) {
        self.events.push(Event::new(kind, actor, at, data));
    }
}

impl Order {
    pub(crate) fn refuse(&self, to: OrderStatus, why: impl Into<String>) -> DomainError {
        DomainError::InvalidTransition {
            from: self.status,
            to,
            why: why.into(),
        }
    }

    /// Moves along the graph, or refuses.
    pub(crate) fn transition(
        &mut self,
        to: OrderStatus,
        fx: &mut Effects,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(), DomainError> {
        if self.status == to {
            return Ok(());
        }
        if !self.status.can_become(to) {
            return Err(self.refuse(to, "the status flow does not allow this step"));
        }
        fx.event(
            "order.status_changed",
            actor,
            at,
            json!({"from": self.status, "to": to}),
        );
        self.status = to;
        Ok(())
    }

    pub(crate) fn touch(&mut self, at: Timestamp) {
        self.updated_at = at;
        self.version += 1;
    }

    /// The receipt work is done: record the payment result, put holds for what failed, move to `unallocated`.
    pub fn complete_receipt(
        &mut self,
        outcome: PaymentOutcome,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if self.status != OrderStatus::Received {
            return Err(self.refuse(OrderStatus::Unallocated, "the receipt work is already done"));
        }
        let mut fx = Effects::default();
        match outcome {
            PaymentOutcome::Authorized {
                authorization_id,
                amount,
                suspicious,
            } => {
                self.payment.status = PaymentStatus::Authorized;
                self.payment.authorized_amount = amount;
                self.payment.authorization_id = Some(authorization_id.clone());
                fx.event(
                    "payment.authorized",
                    actor,
                    at,
                    json!({"authorization_id": authorization_id, "amount": amount}),
                );
                if suspicious {
                    self.add_hold(
                        HoldCode::FraudReview,
                        "fraud screening flagged this payment / 不正検知で要確認",
                        &mut fx,
                        actor,
                        at,
                    );
                }
            }
            PaymentOutcome::Declined { reason } => {
                self.payment.status = PaymentStatus::Declined;
                fx.event("payment.declined", actor, at, json!({"reason": reason}));
                self.add_hold(
                    HoldCode::PaymentDeclined,
                    &format!("payment declined: {reason} / 与信NG"),
                    &mut fx,
                    actor,
                    at,
                );
            }
            PaymentOutcome::AwaitingPayment {
                virtual_account,
                due_date,
            } => {
                self.payment.status = PaymentStatus::AwaitingPayment;
                self.payment.virtual_account = Some(virtual_account.clone());
                self.payment.due_date = Some(due_date);
                fx.event(
                    "payment.awaiting",
                    actor,
                    at,
                    json!({"virtual_account": virtual_account, "due_date": due_date}),
                );
            }
            PaymentOutcome::OnDelivery => {
                self.payment.status = PaymentStatus::OnDelivery;
                fx.event(
                    "payment.on_delivery",
                    actor,
                    at,
                    json!({"amount": self.totals.total}),
                );
            }
            PaymentOutcome::Pending { reference, reason } => {
                self.payment.status = PaymentStatus::Pending;
                self.payment.authorization_id = Some(reference.clone());
                fx.event(
                    "payment.pending",
                    actor,
                    at,
                    json!({"reference": reference, "reason": reason}),
                );
                self.add_hold(
                    HoldCode::PaymentPending,
                    &format!("{reason} / 与信審査中"),
                    &mut fx,
                    actor,
                    at,
                );
            }
        }
        self.transition(OrderStatus::Unallocated, &mut fx, actor, at)?;
        self.touch(at);
        Ok(fx)
    }

    pub(crate) fn add_hold(
        &mut self,
        code: HoldCode,
        reason: &str,
        fx: &mut Effects,
        actor: &Actor,
        at: Timestamp,
    ) {
        self.holds.push(Hold {
            code,
            reason: reason.to_owned(),
            placed_at: at,
        });
        fx.event(
            "hold.placed",
            actor,
            at,
            json!({"code": code, "reason": reason}),
        );
    }

    /// Puts a hold: the order stops moving on by itself until the hold is released.
    pub fn place_hold(
        &mut self,
        code: HoldCode,
        reason: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if !self.status.is_before(OrderStatus::Shipped) {
            return Err(DomainError::NotAllowed {
                action: "placing a hold",
                status: self.status,
                why: "only orders not yet shipped can be held".into(),
            });
        }
        if self.holds.iter().any(|h| h.code == code) {
            return Err(DomainError::NotAllowed {
                action: "placing a hold",
                status: self.status,
                why: format!("a `{}` hold is already on the order", code.as_str()),
            });
        }
        let mut fx = Effects::default();
        self.add_hold(code, reason, &mut fx, actor, at);
        self.touch(at);
        Ok(fx)
    }

    /// A credit check that was pending at receipt has its result: approved → the payment is
    /// authorised and the `payment_pending` hold released; declined → the hold becomes
    /// `payment_declined` with the provider's reason.
    pub fn settle_pending_payment(
        &mut self,
        approved: Result<(), String>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if self.payment.status != PaymentStatus::Pending {
            return Err(DomainError::NotAllowed {
                action: "settling a pending credit check",
                status: self.status,
                why: "the payment is not waiting for a credit check".into(),
            });
        }
        let mut fx = Effects::default();
        let hold = self
            .holds
            .iter()
            .position(|h| h.code == HoldCode::PaymentPending)
            .map(|i| self.holds.remove(i));
        match approved {
            Ok(()) => {
                self.payment.status = PaymentStatus::Authorized;
                self.payment.authorized_amount = self.totals.total;
                fx.event(
                    "payment.authorized",
                    actor,
                    at,
                    json!({"authorization_id": self.payment.authorization_id, "amount": self.totals.total, "after_review": true}),
                );
                if let Some(h) = hold {
                    fx.event(
                        "hold.released",
                        actor,
                        at,
                        json!({"code": h.code, "reason": h.reason, "note": "credit check approved / 与信OK"}),
                    );
                }
            }
            Err(reason) => {
                self.payment.status = PaymentStatus::Declined;
                fx.event("payment.declined", actor, at, json!({"reason": reason}));
                self.add_hold(
                    HoldCode::PaymentDeclined,
                    &format!("payment declined: {reason} / 与信NG"),
                    &mut fx,
                    actor,
                    at,
                );
            }
        }
        self.touch(at);
        Ok(fx)
    }

    /// Releases a hold by code.
    pub fn release_hold(
        &mut self,
        code: HoldCode,
        note: Option<&str>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let Some(pos) = self.holds.iter().position(|h| h.code == code) else {
            return Err(DomainError::NotFound(format!("hold `{}`", code.as_str())));
        };
        let hold = self.holds.remove(pos);
        let mut fx = Effects::default();
        fx.event(
            "hold.released",
            actor,
            at,
            json!({"code": code, "reason": hold.reason, "note": note}),
        );
        self.touch(at);
        Ok(fx)
    }

    /// Whether allocation may run now: waiting for stock, no holds, payment condition met.
    pub fn ready_for_allocation(&self, policies: &Policies) -> bool {
        self.status.awaits_allocation()
            && !self.has_holds()
            && match self.payment.status {
                PaymentStatus::Declined | PaymentStatus::Pending | PaymentStatus::Voided => false,
                PaymentStatus::AwaitingPayment => policies.allocate_before_payment,
                _ => true,
            }
    }

    /// Reserves stock as planned; the order becomes `allocated` when every line is covered.
    pub fn apply_allocation(
        &mut self,
        planned: Vec<Allocation>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if !self.status.awaits_allocation() {
            return Err(DomainError::NotAllowed {
                action: "allocation",
                status: self.status,
                why: "the order is not waiting for stock".into(),
            });
        }
        for a in &planned {
            let line = self
                .line(a.line_id)
                .ok_or_else(|| DomainError::NotFound(format!("line {}", a.line_id)))?;
            // Several entries may cover one line: their sum must fit what the line still waits for.
            let for_line: i64 = planned
                .iter()
                .filter(|p| p.line_id == a.line_id)
                .map(|p| p.quantity)
                .sum();
            if a.quantity <= 0 || for_line > line.unallocated_quantity() {
                return Err(DomainError::invalid(
                    "allocation",
                    format!("line {} cannot take {for_line} more", a.line_id),
                ));
            }
        }
        let mut fx = Effects::default();
        for a in &planned {
            if let Some(line) = self.lines.iter_mut().find(|l| l.id == a.line_id) {
                line.allocated_quantity += a.quantity;
            }
            fx.stock.push(StockChange {
                warehouse: a.warehouse.clone(),
                sku: a.sku.clone(),
                on_hand: 0,
                allocated: a.quantity,
                reason: "allocate".into(),
            });
            match self
                .allocations
                .iter_mut()
                .find(|x| x.line_id == a.line_id && x.warehouse == a.warehouse)
            {
                Some(existing) => existing.quantity += a.quantity,
                None => self.allocations.push(a.clone()),
            }
        }
        if !planned.is_empty() {
            fx.event(
                "allocation.reserved",
                actor,
                at,
                json!({"allocations": planned}),
            );
        }
        let to = if self.lines.iter().all(|l| l.unallocated_quantity() == 0) {
            OrderStatus::Allocated
        } else if self.lines.iter().any(|l| l.allocated_quantity > 0) {
            OrderStatus::PartiallyAllocated
        } else {
            self.status
        };
        self.transition(to, &mut fx, actor, at)?;
        if !fx.events.is_empty() {
            self.touch(at);
        }
        Ok(fx)
    }

    /// Releases every live allocation (cancellation).
    fn release_all(&mut self, fx: &mut Effects, actor: &Actor, at: Timestamp) {
        let released = std::mem::take(&mut self.allocations);
        for a in &released {
            fx.stock.push(StockChange {
                warehouse: a.warehouse.clone(),
                sku: a.sku.clone(),
                on_hand: 0,
                allocated: -a.quantity,
                reason: "release".into(),
            });
        }
        for l in &mut self.lines {
            l.allocated_quantity = 0;
        }
        if !released.is_empty() {
            fx.event(
                "allocation.released",
                actor,
                at,
                json!({"allocations": released}),
            );
        }
    }

    /// Cancels the order if the flow and the actor's policy allow it; stock is released and the
    /// payment voided (or marked for refund when money was taken).
    pub fn cancel(
        &mut self,
        reason: &str,
        policies: &Policies,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let limit = policies.cancel_before(actor);
        if !self.status.can_become(OrderStatus::Cancelled) {
            return Err(self.refuse(
                OrderStatus::Cancelled,
                "orders can be cancelled only before they are shipped; use a return",
            ));
        }
        if !self.status.is_before(limit) {
            let who = if actor.is_customer() {
                "customers"
            } else {
                "operators"
            };
            return Err(self.refuse(
                OrderStatus::Cancelled,
                format!("policy lets {who} cancel only before {limit}"),
            ));
        }
        if self.shipments.iter().any(|s| {
            matches!(
                s.status,
                ShipmentStatus::Shipped | ShipmentStatus::Delivered
            )
        }) {
            return Err(self.refuse(
                OrderStatus::Cancelled,
                "part of the order has already shipped; record the rest as shipped and use a return",
            ));
        }
        if let Some(pending) = &self.cancel_request {
            return Err(self.refuse(
                OrderStatus::Cancelled,
                format!(
                    "a cancellation requested at {} is already waiting for the warehouse to confirm or refuse it",
                    pending.requested_at
                ),
            ));
        }
        // After instruction the warehouse may be picking: the cancel becomes its request.
        if self.cancel_needs_warehouse() {
            return self.request_cancel(reason, actor, at);
        }
        self.finish_cancel(reason, None, actor, at)
    }

    /// The cancellation itself: stock released, open shipments cancelled, payment voided or
    /// refunded. `request` is the warehouse request this completes, if any.
    pub(crate) fn finish_cancel(
        &mut self,
        reason: &str,
        request: Option<&crate::cancel::CancelRequest>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let mut fx = Effects::default();
        self.release_all(&mut fx, actor, at);
        for s in &mut self.shipments {
            if s.status.is_open() {
                s.status = ShipmentStatus::Cancelled;
            }
        }
        match self.payment.status {
            PaymentStatus::Authorized => {
                self.payment.status = PaymentStatus::Voided;
                fx.event(
                    "payment.voided",
                    actor,
                    at,
                    json!({"amount": self.payment.authorized_amount}),
                );
            }
            PaymentStatus::Paid => {
                self.payment.refunded_amount = self.payment.captured_amount;
                self.payment.status = PaymentStatus::Refunded;
                fx.event(
                    "payment.refunded",
                    actor,
                    at,
                    json!({"amount": self.payment.captured_amount}),
                );
                let amount = self.payment.captured_amount;
                self.request_payout(amount, &mut fx, actor, at);
            }
            PaymentStatus::AwaitingPayment | PaymentStatus::Pending | PaymentStatus::OnDelivery => {
                self.payment.status = PaymentStatus::Voided;
            }
            PaymentStatus::Captured
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded
            | PaymentStatus::Voided
            | PaymentStatus::Declined => {}
        }
        // Points paid with come back to the customer (docs/points.md).
        fx.points.extend(crate::points::PointsChange::for_order(
            self,
            crate::points::PointsKind::Restore,
            self.totals.points_used.minor(),
            at,
        ));
        match request {
            Some(r) => fx.event(
                "order.cancelled",
                actor,
                at,
                json!({"reason": reason, "requested_by": r.requested_by, "requested_at": r.requested_at,
                       "confirmed_by_warehouse": true}),
            ),
            None => fx.event("order.cancelled", actor, at, json!({"reason": reason})),
        }
        self.transition(OrderStatus::Cancelled, &mut fx, actor, at)?;
        self.touch(at);
        Ok(fx)
    }

    /// Whether the order can be instructed now (allocated, no holds, paid enough).
    pub fn instruction_blocker(&self) -> Option<String> {
        if self.status != OrderStatus::Allocated {
            return Some(format!("the order is {}, not allocated", self.status));
        }
        if let Some(h) = self.holds.first() {
            return Some(format!("the order has a `{}` hold", h.code.as_str()));
        }
        if !self.payment.allows_shipping() {
            return Some(format!(
                "payment is {:?}; {} must be settled before shipping",
                self.payment.status,
                self.payment.method.as_str()
            ));
        }
        None
    }

    /// Creates one shipment per warehouse and moves to `shipping_instructed`. `batch` gives the batch
    /// of each warehouse.
    pub fn instruct(
        &mut self,
        batch: impl Fn(&str) -> BatchId,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if let Some(why) = self.instruction_blocker() {
            return Err(self.refuse(OrderStatus::ShippingInstructed, why));
        }
        let mut warehouses: Vec<&str> = self
            .allocations
            .iter()
            .map(|a| a.warehouse.as_str())
            .collect();
        warehouses.sort_unstable();
        warehouses.dedup();
        let items_all: i128 = self
            .lines
            .iter()
            .map(|l| i128::from(l.amount().minor()))
            .sum();
        let total = self.totals.total;
        let mut shipments = Vec::with_capacity(warehouses.len());
        let mut given = Money::ZERO;
        for (i, wh) in warehouses.iter().enumerate() {
            let lines: Vec<ShipmentLine> = self
                .allocations
                .iter()
                .filter(|a| a.warehouse == *wh)
                .map(|a| ShipmentLine {
                    line_id: a.line_id,
                    sku: a.sku.clone(),
                    quantity: a.quantity,
                })
                .collect();
            let items: i128 = lines
                .iter()
                .map(|sl| {
                    let price = self
                        .line(sl.line_id)
                        .map(|l| l.unit_price.minor())
                        .unwrap_or(0);
                    i128::from(price) * i128::from(sl.quantity)
                })
                .sum();
            // Each shipment carries its share of the total; the last takes the remainder so they add up.
            let amount = if i + 1 == warehouses.len() {
                total - given
            } else if items_all > 0 {
                Money::yen(
                    i64::try_from(i128::from(total.minor()) * items / items_all).unwrap_or(0),
                )
            } else {
                Money::ZERO
            };
            given += amount;
            shipments.push(Shipment {
                id: ShipmentId::new(),
                warehouse: (*wh).to_owned(),
                batch_id: Some(batch(wh)),
                status: ShipmentStatus::Instructed,
                carrier: None,
                tracking_number: None,
                tracking_url: None,
                amount,
                instructed_at: Some(at),
                shipped_at: None,
                delivered_at: None,
                lines,
                combined_into: None,
                combined_with: Vec::new(),
                cancel_request: None,
                revenue_recognized_at: None,
            });
        }
        let mut fx = Effects::default();
        for s in &shipments {
            fx.event("shipment.instructed", actor, at, json!({"shipment_id": s.id, "warehouse": s.warehouse, "batch_id": s.batch_id, "lines": s.lines}));
        }
        self.shipments.extend(shipments);
        self.transition(OrderStatus::ShippingInstructed, &mut fx, actor, at)?;
        self.touch(at);
        Ok(fx)
    }

    pub(crate) fn shipment_index(&self, id: ShipmentId) -> Result<usize, DomainError> {
        self.shipments
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("shipment {id}")))
    }

    /// The warehouse shipped a shipment: stock leaves, the payment for it is captured, and the order
    /// is `shipped` once every shipment is.
    pub fn ship(
        &mut self,
        id: ShipmentId,
        carrier: Carrier,
        tracking_number: String,
        shipped_at: Timestamp,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.shipment_index(id)?;
        let s = &self.shipments[idx];
        let requested = s.status == ShipmentStatus::CancelRequested;
        if !(s.status == ShipmentStatus::Instructed || requested)
            || self.status != OrderStatus::ShippingInstructed
        {
            return Err(self.refuse(
                OrderStatus::Shipped,
                format!(
                    "shipment {id} is {:?}; only an instructed shipment can ship",
                    s.status
                ),
            ));
        }
        let mut fx = Effects::default();
        if requested {
            // The warehouse shipped anyway: the cancel request is refused by that fact.
            self.withdraw_cancel_request(
                id,
                "the warehouse shipped the parcel before the cancellation reached it",
                true,
                &mut fx,
                actor,
                at,
            );
        }
        let s = self.shipments[idx].clone();
        for sl in &s.lines {
            if let Some(a) = self
                .allocations
                .iter_mut()
                .find(|a| a.line_id == sl.line_id && a.warehouse == s.warehouse)
            {
                a.quantity -= sl.quantity;
            }
            if let Some(l) = self.lines.iter_mut().find(|l| l.id == sl.line_id) {
                l.allocated_quantity -= sl.quantity;
                l.shipped_quantity += sl.quantity;
            }
            fx.stock.push(StockChange {
                warehouse: s.warehouse.clone(),
                sku: sl.sku.clone(),
                on_hand: -sl.quantity,
                allocated: -sl.quantity,
                reason: "ship".into(),
            });
        }
        self.allocations.retain(|a| a.quantity > 0);
        let url = carrier.tracking_url(&tracking_number);
        let shipment = &mut self.shipments[idx];
        shipment.status = ShipmentStatus::Shipped;
        shipment.carrier = Some(carrier);
        shipment.tracking_number = Some(tracking_number.clone());
        shipment.tracking_url = url.clone();
        shipment.shipped_at = Some(shipped_at);
        fx.event("shipment.shipped", actor, at, json!({"shipment_id": id, "carrier": carrier, "tracking_number": tracking_number, "tracking_url": url, "shipped_at": shipped_at}));
        self.capture_for(s.amount, id, &mut fx, actor, at);
        if self.live_shipments().all(|s| {
            matches!(
                s.status,
                ShipmentStatus::Shipped | ShipmentStatus::Delivered
            )
        }) {
            self.transition(OrderStatus::Shipped, &mut fx, actor, at)?;
        }
        self.touch(at);
        Ok(fx)
    }

    pub(crate) fn live_shipments(&self) -> impl Iterator<Item = &Shipment> {
        self.shipments
            .iter()
            .filter(|s| s.status != ShipmentStatus::Cancelled)
    }

    /// 売上確定 for one shipment: card and Amazon Pay capture, deferred payment reports the shipment.
    fn capture_for(
        &mut self,
        amount: Money,
        shipment: crate::ShipmentId,
        fx: &mut Effects,
        actor: &Actor,
        at: Timestamp,
    ) {
        let p = &mut self.payment;
        match p.method {
            PaymentMethod::CreditCard | PaymentMethod::AmazonPay | PaymentMethod::Deferred => {
                let room = p.authorized_amount - p.captured_amount;
                let amount = amount.min(room);
                if amount > Money::ZERO {
                    p.captured_amount += amount;
                    p.status = PaymentStatus::Captured;
                    fx.event(
                        "payment.captured",
                        actor,
                        at,
                        json!({"amount": amount, "captured_total": p.captured_amount, "shipment_id": shipment}),
                    );
                }
            }
            PaymentMethod::BankTransfer | PaymentMethod::Cod => {}
        }
    }

    /// The carrier delivered a shipment; the order is `delivered` once every shipment is.
    pub fn deliver(
        &mut self,
        id: ShipmentId,
        delivered_at: Timestamp,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let idx = self.shipment_index(id)?;
        let status = self.shipments[idx].status;
        if !matches!(
            self.status,
            OrderStatus::ShippingInstructed | OrderStatus::Shipped
        ) {
            return Err(self.refuse(
                OrderStatus::Delivered,
                format!(
                    "the order is {}; only a shipping order can take a delivery",
                    self.status
                ),
            ));
        }
        if status != ShipmentStatus::Shipped {
            return Err(self.refuse(
                OrderStatus::Delivered,
                format!("shipment {id} is {status:?}; only a shipped shipment can be delivered"),
            ));
        }
        let mut fx = Effects::default();
        let s = &mut self.shipments[idx];
        s.status = ShipmentStatus::Delivered;
        s.delivered_at = Some(delivered_at);
        fx.event(
            "shipment.delivered",
            actor,
            at,
            json!({"shipment_id": id, "delivered_at": delivered_at}),
        );
        if self.payment.method == PaymentMethod::Cod {
            let amount = self.shipments[idx].amount;
            self.payment.captured_amount += amount;
            self.payment.status = PaymentStatus::Paid;
            fx.event("payment.collected", actor, at, json!({"amount": amount}));
        }
        if self
            .live_shipments()
            .all(|s| s.status == ShipmentStatus::Delivered)
        {
            self.transition(OrderStatus::Delivered, &mut fx, actor, at)?;
        }
        self.touch(at);
        Ok(fx)
    }

    /// 計上 of the whole delivered order: books every shipment not booked yet (each with its
    /// entry, see `recognition.rs`), and the order becomes `recognized`.
    pub fn recognize(
        &mut self,
        rounding: crate::tax::Rounding,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let mut fx = Effects::default();
        if self.status != OrderStatus::Delivered {
            return Err(self.refuse(OrderStatus::Recognized, "revenue is recognised on delivery"));
        }
        let open: Vec<ShipmentId> = self
            .live_shipments()
            .filter(|s| s.revenue_recognized_at.is_none())
            .map(|s| s.id)
            .collect();
        if self.live_shipments().next().is_none() {
            // Nothing shipped as a shipment of ours: the whole order is one entry.
            let entry =
                crate::journal::sale_entry(&crate::journal::EntryRef::of(self), &self.totals, at);
            fx.event("revenue.recognized", actor, at, json!({"journal": entry}));
        }
        for id in open {
            self.book_shipment(id, rounding, &mut fx, actor, at)?;
        }
        self.finish_recognition(&mut fx, actor, at)?;
        self.touch(at);
        Ok(fx)
    }

    /// An operator confirms a payment by hand (bank transfer seen on the statement).
    pub fn confirm_payment(
        &mut self,
        amount: Money,
        note: Option<&str>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if self.payment.method != PaymentMethod::BankTransfer
            || self.payment.status != PaymentStatus::AwaitingPayment
        {
            return Err(DomainError::NotAllowed {
                action: "confirming a payment",
                status: self.status,
                why: format!(
                    "payment is {:?} by {}; only an awaited bank transfer is confirmed by hand",
                    self.payment.status,
                    self.payment.method.as_str()
                ),
            });
        }
        if amount <= Money::ZERO {
            return Err(DomainError::invalid("amount", "must be a positive amount"));
        }
        // No payment is this large; beyond it the sums would overflow.
        const MAX_PAYMENT: Money = Money::yen(10_000_000_000_000);
        if amount > MAX_PAYMENT {
            return Err(DomainError::invalid(
                "amount",
                format!("must be at most {}", MAX_PAYMENT.minor()),
            ));
        }
        let mut fx = Effects::default();
        self.payment.captured_amount += amount;
        let due = self.totals.total;
        if self.payment.captured_amount >= due {
            self.payment.status = PaymentStatus::Paid;
        }
        fx.event("payment.confirmed", actor, at, json!({"amount": amount, "paid_total": self.payment.captured_amount, "due": due, "note": note,
            "overpaid": (self.payment.captured_amount > due).then(|| self.payment.captured_amount - due)}));
        self.touch(at);
        Ok(fx)
    }
}
