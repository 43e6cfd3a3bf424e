//! 返品: a return is requested for shipped quantities, then received by the warehouse, which per
//! line puts the goods back in stock (into a chosen warehouse) or disposes of them; receiving refunds
//! the customer and revokes the points granted on the order in proportion. A return after revenue
//! was recognised also records what the accounting reversal (赤黒) must take back, per tax rate.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{LineId, ReturnId};
use crate::lifecycle::Effects;
use crate::money::Money;
use crate::order::Order;
use crate::payment::PaymentStatus;
use crate::status::OrderStatus;
use crate::stock::StockChange;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Announced; the goods are on their way back.
    Requested,
    /// Received by the warehouse, restocked or disposed of, and refunded.
    Received,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnLine {
    pub line_id: LineId,
    pub sku: String,
    pub quantity: i64,
    /// Back into stock (true) or disposed of (false).
    pub restock: bool,
    /// Where restocked goods go; by default the warehouse that shipped them.
    pub warehouse: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Return {
    pub id: ReturnId,
    pub status: ReturnStatus,
    pub reason: String,
    pub lines: Vec<ReturnLine>,
    /// What the customer gets back (tax included).
    pub refund_amount: Money,
    /// Points taken back from the customer when the return is received.
    pub points_revoked: i64,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<Timestamp>,
}

/// One line of a return request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequestLine {
    pub line_id: LineId,
    pub quantity: i64,
    pub restock: bool,
    pub warehouse: Option<String>,
}

impl Order {
    /// Quantity of a line that has shipped and is not yet returned or announced for return.
    pub fn returnable_quantity(&self, line: LineId) -> i64 {
        let Some(l) = self.line(line) else { return 0 };
        let pending: i64 = self
            .returns
            .iter()
            .filter(|r| r.status == ReturnStatus::Requested)
            .flat_map(|r| r.lines.iter())
            .filter(|x| x.line_id == line)
            .map(|x| x.quantity)
            .sum();
        l.shipped_quantity - l.returned_quantity - pending
    }

    /// Money that can still be refunded: collected and not yet refunded or promised to a return.
    fn refundable(&self) -> Money {
        let promised = self
            .returns
            .iter()
            .filter(|r| r.status == ReturnStatus::Requested)
            .fold(Money::ZERO, |a, r| a + r.refund_amount);
        self.payment.captured_amount - self.payment.refunded_amount - promised
    }

    /// Announces a return. The refund defaults to the returned items' tax-inclusive price; a given
    /// `refund_amount` (e.g. with the shipping fee, or less a restocking charge) may not exceed what
    /// was collected and not yet refunded.
    pub fn request_return(
        &mut self,
        lines: &[ReturnRequestLine],
        reason: &str,
        refund_amount: Option<Money>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(ReturnId, Effects), DomainError> {
        if !matches!(
            self.status,
            OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::Recognized
        ) {
            return Err(DomainError::NotAllowed {
                action: "a return",
                status: self.status,
                why: "only shipped goods can be returned; cancel the order instead".into(),
            });
        }
        if reason.trim().is_empty() {
            return Err(DomainError::invalid(
                "reason",
                "say why the goods come back",
            ));
        }
        if lines.is_empty() {
            return Err(DomainError::invalid(
                "lines",
                "list the lines that come back",
            ));
        }
        let mut out = Vec::with_capacity(lines.len());
        let mut items = Money::ZERO;
        for (i, req) in lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            let Some(line) = self.line(req.line_id) else {
                return Err(DomainError::invalid(
                    format!("{field}.line_id"),
                    format!("{} is not a line of this order", req.line_id),
                ));
            };
            let room = self.returnable_quantity(req.line_id)
                - out
                    .iter()
                    .filter(|x: &&ReturnLine| x.line_id == req.line_id)
                    .map(|x| x.quantity)
                    .sum::<i64>();
            if req.quantity <= 0 || req.quantity > room {
                return Err(DomainError::invalid(
                    format!("{field}.quantity"),
                    format!(
                        "{} of {} can come back ({} shipped, {} returned or announced)",
                        room.max(0),
                        line.sku,
                        line.shipped_quantity,
                        line.shipped_quantity - room
                    ),
                ));
            }
            let warehouse = match (&req.warehouse, req.restock) {
                (Some(w), _) => Some(w.clone()),
                (None, true) => self
                    .shipments
                    .iter()
                    .find(|s| s.lines.iter().any(|l| l.line_id == req.line_id))
                    .map(|s| s.warehouse.clone()),
                (None, false) => None,
            };
            items += line
                .unit_price
                .checked_mul(req.quantity)
                .unwrap_or(Money::ZERO);
            out.push(ReturnLine {
                line_id: req.line_id,
                sku: line.sku.clone(),
                quantity: req.quantity,
                restock: req.restock,
                warehouse,
            });
        }
        let refundable = self.refundable();
        let refund = refund_amount.unwrap_or(items.min(refundable));
        if refund < Money::ZERO || refund > refundable {
            return Err(DomainError::invalid(
                "refund_amount",
                format!(
                    "¥{} is more than the ¥{} collected and not yet refunded",
                    refund.minor(),
                    refundable.minor()
                ),
            ));
        }
        let id = ReturnId::new();
        let mut fx = Effects::default();
        fx.event(
            "return.requested",
            actor,
            at,
            json!({"return_id": id, "reason": reason, "lines": out.iter().map(|l| json!({"line_id": l.line_id, "sku": l.sku, "quantity": l.quantity, "restock": l.restock, "warehouse": l.warehouse})).collect::<Vec<_>>(), "refund_amount": refund}),
        );
        self.returns.push(Return {
            id,
            status: ReturnStatus::Requested,
            reason: reason.to_owned(),
            lines: out,
            refund_amount: refund,
            points_revoked: 0,
            requested_at: at,
            received_at: None,
        });
        self.touch(at);
        Ok((id, fx))
    }

    /// The warehouse received the goods: restock or dispose per line, refund, revoke points.
    pub fn receive_return(
        &mut self,
        id: ReturnId,
        rounding: crate::tax::Rounding,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let Some(idx) = self.returns.iter().position(|r| r.id == id) else {
            return Err(DomainError::NotFound(format!("return {id}")));
        };
        if self.returns[idx].status != ReturnStatus::Requested {
            return Err(DomainError::NotAllowed {
                action: "receiving a return",
                status: self.status,
                why: format!("return {id} was received already"),
            });
        }
        let mut fx = Effects::default();
        let lines = self.returns[idx].lines.clone();
        let mut by_rate: BTreeMap<i64, Money> = BTreeMap::new();
        for l in &lines {
            if let Some(line) = self.lines.iter_mut().find(|x| x.id == l.line_id) {
                line.returned_quantity += l.quantity;
                *by_rate.entry(line.tax_rate.percent()).or_default() += line
                    .unit_price
                    .checked_mul(l.quantity)
                    .unwrap_or(Money::ZERO);
            }
            if let (true, Some(w)) = (l.restock, &l.warehouse) {
                fx.stock.push(StockChange {
                    warehouse: w.clone(),
                    sku: l.sku.clone(),
                    on_hand: l.quantity,
                    allocated: 0,
                    reason: "return".into(),
                });
            }
        }
        let refund = self.returns[idx].refund_amount;
        if refund > Money::ZERO {
            self.payment.refunded_amount += refund;
            self.payment.status = if self.payment.refunded_amount >= self.payment.captured_amount {
                PaymentStatus::Refunded
            } else {
                PaymentStatus::PartiallyRefunded
            };
            fx.event(
                "payment.refunded",
                actor,
                at,
                json!({"amount": refund, "return_id": id, "refunded_total": self.payment.refunded_amount}),
            );
        }
        // Points granted on the order come back in the share the refund is of the items.
        let items = self.totals.items.minor();
        let live = self.points.granted - self.points.revoked;
        let revoke = if items > 0 && live > 0 {
            let share =
                i128::from(self.points.granted) * i128::from(refund.minor()) / i128::from(items);
            i64::try_from(share).unwrap_or(live).min(live)
        } else {
            0
        };
        self.points.revoked += revoke;
        // The ledger row; the app lowers it to what the balance still holds (docs/points.md).
        fx.points.extend(crate::points::PointsChange::for_order(
            self,
            crate::points::PointsKind::Revoke,
            -revoke,
            at,
        ));
        let r = &mut self.returns[idx];
        r.status = ReturnStatus::Received;
        r.received_at = Some(at);
        r.points_revoked = revoke;
        fx.event(
            "return.received",
            actor,
            at,
            json!({"return_id": id, "restocked": lines.iter().filter(|l| l.restock).map(|l| json!({"sku": l.sku, "quantity": l.quantity, "warehouse": l.warehouse})).collect::<Vec<_>>(),
                   "disposed": lines.iter().filter(|l| !l.restock).map(|l| json!({"sku": l.sku, "quantity": l.quantity})).collect::<Vec<_>>(),
                   "refund_amount": refund, "points_revoked": revoke}),
        );
        if self.status == OrderStatus::Recognized {
            // The accounting journal's reversal entry (赤黒) per tax rate, kept in the event.
            let returned: Vec<(crate::tax::TaxRate, Money)> = by_rate
                .iter()
                .filter_map(|(rate, amount)| {
                    let rate = u8::try_from(*rate).ok()?;
                    Some((crate::tax::TaxRate::try_from(rate).ok()?, *amount))
                })
                .collect();
            let entry = crate::journal::reversal_entry(
                &crate::journal::EntryRef::of(self),
                &returned,
                refund,
                rounding,
                at,
            );
            fx.event(
                "revenue.reversed",
                actor,
                at,
                json!({"return_id": id, "refund_amount": refund,
                       "items_by_rate": by_rate.iter().map(|(rate, amount)| json!({"rate": rate, "amount": amount})).collect::<Vec<_>>(),
                       "journal": entry}),
            );
        }
        self.touch(at);
        Ok(fx)
    }
}
