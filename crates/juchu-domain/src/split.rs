//! 注文分割: moving lines or quantities of an order into a new order (DOMAIN.md §2.2, §2.3).
//!
//! Line amounts move exactly. The shipping fee, each fee, the discount and the points used are
//! divided in proportion to the item amounts: the new order gets `floor(x × its items / all items)`,
//! and the remainder yen stays with the original, so the two parts always add up to the original.
//! Allocations follow the lines; stock itself does not move. Tax is computed anew for each part
//! (each is its own invoice).

use crate::actor::Actor;
use crate::error::DomainError;
use crate::event::Event;
use crate::ids::{LineId, OrderId};
use crate::lifecycle::Effects;
use crate::money::Money;
use crate::order::{Allocation, Line, Order, Points};
use crate::payment::{PaymentMethod, PaymentStatus};
use crate::status::OrderStatus;
use crate::tax::Rounding;
use crate::totals;
use jiff::Timestamp;
use serde_json::json;

/// Which units of a partly allocated line move first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    /// Waiting units move first (what stays can ship sooner).
    Unallocated,
    /// Allocated units move first (split off what can ship now).
    Allocated,
}

/// What the new part needs besides the lines.
pub struct SplitPart {
    pub id: OrderId,
    pub number: i64,
    /// Card: the new authorisation made with the stored token for the new part's amount.
    pub authorization_id: Option<String>,
}

fn share(x: Money, part: i64, all: i64) -> Money {
    if all <= 0 {
        return Money::ZERO;
    }
    Money::yen(
        i64::try_from(i128::from(x.minor()) * i128::from(part) / i128::from(all)).unwrap_or(0),
    )
}

impl Order {
    /// Checks a split request: statuses, line ids, quantities, and that both parts keep something.
    pub fn check_split(&self, moves: &[(LineId, i64)]) -> Result<(), DomainError> {
        if !matches!(
            self.status,
            OrderStatus::Unallocated | OrderStatus::PartiallyAllocated | OrderStatus::Allocated
        ) {
            return Err(DomainError::NotAllowed {
                action: "splitting",
                status: self.status,
                why: "only orders after receipt and before shipping instruction can be split"
                    .into(),
            });
        }
        if moves.is_empty() {
            return Err(DomainError::invalid(
                "lines",
                "name at least one line to move",
            ));
        }
        let mut moved_total = 0;
        for (i, (id, q)) in moves.iter().enumerate() {
            if moves[..i].iter().any(|(other, _)| other == id) {
                return Err(DomainError::invalid(
                    format!("lines[{i}].line_id"),
                    "listed twice",
                ));
            }
            let line = self.line(*id).ok_or_else(|| {
                DomainError::invalid(
                    format!("lines[{i}].line_id"),
                    format!("no line {id} on this order"),
                )
            })?;
            if *q < 1 || *q > line.quantity - line.shipped_quantity {
                return Err(DomainError::invalid(
                    format!("lines[{i}].quantity"),
                    format!(
                        "must be between 1 and {}",
                        line.quantity - line.shipped_quantity
                    ),
                ));
            }
            moved_total += q;
        }
        let all: i64 = self.lines.iter().map(|l| l.quantity).sum();
        if moved_total >= all {
            return Err(DomainError::invalid(
                "lines",
                "a split must leave something on the original order",
            ));
        }
        if self.payment.method == PaymentMethod::CreditCard
            && self.payment.card_token.is_none()
            && self.payment.status == PaymentStatus::Authorized
        {
            return Err(DomainError::NotAllowed {
                action: "splitting",
                status: self.status,
                why: "the card was authorised by the storefront without a stored token, so the new part cannot be authorised; cancel and re-order instead".into(),
            });
        }
        Ok(())
    }

    /// Moves `moves` (line, quantity) into a new order. Returns the new order and the effects on
    /// each part. Call [`Order::check_split`] first (this repeats the check).
    pub fn split(
        &mut self,
        moves: &[(LineId, i64)],
        prefer: Prefer,
        part: SplitPart,
        rounding: Rounding,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(Order, Effects, Effects), DomainError> {
        self.check_split(moves)?;
        let items_before = self.totals.items.minor();
        let mut new_lines: Vec<Line> = Vec::new();
        let mut new_allocs: Vec<Allocation> = Vec::new();
        for (id, q) in moves {
            let Some(li) = self.lines.iter().position(|l| l.id == *id) else {
                continue;
            };
            let line = &mut self.lines[li];
            let whole = *q == line.quantity && line.shipped_quantity == 0;
            let new_id = if whole { line.id } else { LineId::new() };
            // How many allocated units go with the moved quantity.
            let waiting = line.unallocated_quantity();
            let alloc_moving = match prefer {
                Prefer::Allocated => (*q).min(line.allocated_quantity),
                Prefer::Unallocated => (*q - waiting).clamp(0, line.allocated_quantity),
            };
            let mut left = alloc_moving;
            for a in self.allocations.iter_mut().filter(|a| a.line_id == *id) {
                let n = a.quantity.min(left);
                if n > 0 {
                    a.quantity -= n;
                    left -= n;
                    new_allocs.push(Allocation {
                        line_id: new_id,
                        quantity: n,
                        reason: format!("moved by split: {}", a.reason),
                        ..a.clone()
                    });
                }
            }
            new_lines.push(Line {
                id: new_id,
                quantity: *q,
                allocated_quantity: alloc_moving,
                shipped_quantity: 0,
                returned_quantity: 0,
                ..line.clone()
            });
            line.quantity -= q;
            line.allocated_quantity -= alloc_moving;
        }
        self.allocations.retain(|a| a.quantity > 0);
        self.lines.retain(|l| l.quantity > 0);

        let items_new: i64 = new_lines.iter().map(|l| l.amount().minor()).sum();
        let t = &self.totals;
        let shipping_new = share(t.shipping_fee, items_new, items_before);
        let discount_new = share(t.discount, items_new, items_before);
        let points_new = share(t.points_used, items_new, items_before);
        let fees_new: Vec<_> = self
            .fees
            .iter()
            .map(|f| crate::order::Fee {
                kind: f.kind.clone(),
                amount: share(f.amount, items_new, items_before),
            })
            .collect();
        let fees_orig: Vec<_> = self
            .fees
            .iter()
            .zip(&fees_new)
            .map(|(f, n)| crate::order::Fee {
                kind: f.kind.clone(),
                amount: f.amount - n.amount,
            })
            .collect();
        let new_totals = totals::compute(
            &new_lines,
            shipping_new,
            &fees_new,
            discount_new,
            points_new,
            rounding,
        );
        let orig_totals = totals::compute(
            &self.lines,
            t.shipping_fee - shipping_new,
            &fees_orig,
            t.discount - discount_new,
            t.points_used - points_new,
            rounding,
        );

        let mut new_payment = self.payment.clone();
        let p = &mut self.payment;
        match p.method {
            PaymentMethod::CreditCard | PaymentMethod::Deferred | PaymentMethod::AmazonPay
                if p.status == PaymentStatus::Authorized =>
            {
                p.authorized_amount = orig_totals.total;
                new_payment.authorized_amount = new_totals.total;
                if p.method == PaymentMethod::CreditCard {
                    new_payment.authorization_id = part.authorization_id.clone();
                }
            }
            PaymentMethod::BankTransfer if p.status == PaymentStatus::Paid => {
                let moved = new_totals.total.min(p.captured_amount);
                p.captured_amount -= moved;
                new_payment.captured_amount = moved;
            }
            _ => {}
        }
        let mut fx_orig = Effects::default();
        let mut fx_new = Effects::default();
        let moved: Vec<_> = new_lines
            .iter()
            .map(|l| json!({"line_id": l.id, "sku": l.sku, "quantity": l.quantity}))
            .collect();
        fx_orig.events.push(Event::new("order.split", actor, at, json!({"split_id": part.id, "split_number": part.number, "lines": moved, "total_before": t.total, "total_after": orig_totals.total})));
        let mut new = Order {
            id: part.id,
            number: part.number,
            external_id: format!("{}/split-{}", self.external_id, part.number),
            version: 1,
            parent_id: Some(self.id),
            lines: new_lines,
            fees: fees_new,
            totals: new_totals,
            payment: new_payment,
            allocations: new_allocs,
            shipments: Vec::new(),
            points: Points::default(),
            returns: Vec::new(),
            cancel_request: None,
            created_at: at,
            updated_at: at,
            ..self.clone()
        };
        new.status = new.allocation_status();
        fx_new.events.push(Event::new("order.created_by_split", actor, at, json!({"parent_id": self.id, "parent_number": self.number, "lines": moved, "status": new.status, "total": new.totals.total})));
        self.fees = fees_orig;
        self.totals = orig_totals;
        let to = self.allocation_status();
        if to != self.status {
            fx_orig.events.push(Event::new(
                "order.status_changed",
                actor,
                at,
                json!({"from": self.status, "to": to}),
            ));
            self.status = to;
        }
        self.updated_at = at;
        self.version += 1;
        Ok((new, fx_orig, fx_new))
    }

    /// The allocated quantity of every line that is only partly allocated or fully allocated, for
    /// "split off the allocated part so it ships now".
    pub fn allocated_part(&self) -> Vec<(LineId, i64)> {
        self.lines
            .iter()
            .filter(|l| l.allocated_quantity > 0)
            .map(|l| (l.id, l.allocated_quantity))
            .collect()
    }
}
