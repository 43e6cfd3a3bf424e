//! 注文変更 (DOMAIN.md §2.2): quantities, lines, addresses, delivery wishes, notes and the payment
//! method, while the policy allows. Totals and tax are recomputed; allocations of reduced or
//! removed lines are released; the payment follows or the change is refused.

use crate::actor::Actor;
use crate::error::{DomainError, FieldError};
use crate::event::Event;
use crate::ids::LineId;
use crate::intake::{SkuInfo, check_address, check_line};
use crate::lifecycle::Effects;
use crate::money::Money;
use crate::order::{Address, Delivery, HoldCode, Line, Order};
use crate::payment::{Payment, PaymentMethod, PaymentStatus};
use crate::policy::Policies;
use crate::status::OrderStatus;
use crate::stock::StockChange;
use crate::totals;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// The body of `PATCH /api/v1/orders/{id}`: every field optional; `lines`, when given, is the
/// complete new list (lines left out are removed).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPatch {
    pub lines: Option<Vec<PatchLine>>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub delivery: Option<Delivery>,
    /// An empty string clears the notes.
    pub notes: Option<String>,
    pub payment: Option<PatchPayment>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchLine {
    /// An existing line; leave out for a new line.
    pub line_id: Option<LineId>,
    /// Required for a new line.
    pub sku: Option<String>,
    pub quantity: i64,
    /// Required for a new line; an existing line keeps its price unless given.
    pub unit_price: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPayment {
    pub method: PaymentMethod,
    pub card_token: Option<String>,
    pub charge_permission_id: Option<String>,
}

/// What the application must do after a modification.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ModifyNeeds {
    /// The payment must be authorised anew (method changed, new card, or a card amount increase).
    pub authorize: bool,
    /// Lines wait for stock: run allocation.
    pub allocate: bool,
    /// Stock was released: waiting orders may take it.
    pub released: bool,
}

fn bad(errors: Vec<FieldError>) -> DomainError {
    match errors.into_iter().next() {
        Some(e) => DomainError::Invalid {
            field: e.field,
            message: e.message,
        },
        None => DomainError::invalid("body", "invalid"),
    }
}

impl Order {
    /// The status before which `actor` may modify (customers before `allocated`, operators before
    /// `shipping_instructed`, by default).
    pub fn check_modifiable(&self, policies: &Policies, actor: &Actor) -> Result<(), DomainError> {
        let limit = if actor.is_customer() {
            policies.customer_modify_before
        } else {
            policies.operator_modify_before
        };
        let limit = if OrderStatus::ShippingInstructed.is_before(limit) {
            OrderStatus::ShippingInstructed
        } else {
            limit
        };
        if self.status == OrderStatus::Received || !self.status.is_before(limit) {
            let who = if actor.is_customer() {
                "customers"
            } else {
                "operators"
            };
            return Err(DomainError::NotAllowed {
                action: "modifying",
                status: self.status,
                why: format!(
                    "policy lets {who} modify only after receipt and before {limit}; cancel and re-order instead"
                ),
            });
        }
        Ok(())
    }

    /// Applies a patch. On `Err` the order is unchanged (the caller works on a copy anyway).
    pub fn modify(
        &mut self,
        patch: &OrderPatch,
        sku: impl Fn(&str) -> Option<SkuInfo>,
        policies: &Policies,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(Effects, ModifyNeeds), DomainError> {
        self.check_modifiable(policies, actor)?;
        let mut fx = Effects::default();
        let mut needs = ModifyNeeds::default();
        let mut changes = serde_json::Map::new();
        let before_total = self.totals.total;

        if let Some(a) = &patch.shipping_address {
            let a = check_address("shipping_address", a).map_err(bad)?;
            changes.insert(
                "shipping_address".into(),
                json!({"before": self.shipping_address, "after": a}),
            );
            self.shipping_address = a;
        }
        if let Some(a) = &patch.billing_address {
            let a = check_address("billing_address", a).map_err(bad)?;
            changes.insert(
                "billing_address".into(),
                json!({"before": self.billing_address, "after": a}),
            );
            self.billing_address = Some(a);
        }
        if let Some(d) = &patch.delivery {
            changes.insert(
                "delivery".into(),
                json!({"before": self.delivery, "after": d}),
            );
            self.delivery = Some(d.clone());
        }
        if let Some(n) = &patch.notes {
            if n.chars().count() > 2000 {
                return Err(DomainError::invalid(
                    "notes",
                    "must be at most 2000 characters",
                ));
            }
            let n = Some(n.clone()).filter(|n| !n.trim().is_empty());
            changes.insert("notes".into(), json!({"before": self.notes, "after": n}));
            self.notes = n;
        }
        if let Some(lines) = &patch.lines {
            self.replace_lines(lines, &sku, &mut fx, &mut needs, &mut changes, actor, at)?;
        }
        self.totals = totals::compute(
            &self.lines,
            self.totals.shipping_fee,
            &self.fees,
            self.totals.discount,
            self.totals.points_used,
            policies.tax_rounding,
        );
        if self.totals.total.is_negative() {
            return Err(DomainError::invalid(
                "lines",
                "the discount and points used would exceed the new amount",
            ));
        }
        if self.totals.total != before_total {
            changes.insert(
                "total".into(),
                json!({"before": before_total, "after": self.totals.total}),
            );
        }
        self.follow_payment(
            patch.payment.as_ref(),
            before_total,
            &mut needs,
            &mut changes,
        )?;
        if changes.is_empty() {
            return Err(DomainError::invalid("body", "the patch changes nothing"));
        }
        if matches!(
            self.status,
            OrderStatus::Unallocated | OrderStatus::PartiallyAllocated | OrderStatus::Allocated
        ) {
            let to = self.allocation_status();
            needs.allocate = to != OrderStatus::Allocated;
            self.transition(to, &mut fx, actor, at)?;
        }
        fx.events.insert(
            0,
            Event::new(
                "order.modified",
                actor,
                at,
                serde_json::Value::Object(changes),
            ),
        );
        self.touch(at);
        Ok((fx, needs))
    }

    #[allow(clippy::too_many_arguments)]
    fn replace_lines(
        &mut self,
        patch: &[PatchLine],
        sku: &impl Fn(&str) -> Option<SkuInfo>,
        fx: &mut Effects,
        needs: &mut ModifyNeeds,
        changes: &mut serde_json::Map<String, serde_json::Value>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<(), DomainError> {
        if patch.is_empty() {
            return Err(DomainError::invalid(
                "lines",
                "an order needs at least one line; cancel it instead",
            ));
        }
        let mut errors = Vec::new();
        let mut new_lines: Vec<Line> = Vec::with_capacity(patch.len());
        for (i, p) in patch.iter().enumerate() {
            let field = format!("lines[{i}]");
            match p.line_id {
                Some(id) => {
                    if patch[..i].iter().any(|q| q.line_id == Some(id)) {
                        errors.push(FieldError::new(format!("{field}.line_id"), "listed twice"));
                        continue;
                    }
                    let Some(old) = self.line(id) else {
                        errors.push(FieldError::new(
                            format!("{field}.line_id"),
                            format!("no line {id} on this order"),
                        ));
                        continue;
                    };
                    if p.sku.as_deref().is_some_and(|s| s != old.sku) {
                        errors.push(FieldError::new(
                            format!("{field}.sku"),
                            "a line's SKU cannot change; remove the line and add a new one",
                        ));
                    }
                    let price = p.unit_price.unwrap_or(old.unit_price.minor());
                    errors.extend(check_line(&field, p.quantity, price));
                    new_lines.push(Line {
                        quantity: p.quantity,
                        unit_price: Money::yen(price),
                        ..old.clone()
                    });
                }
                None => {
                    let (Some(code), Some(price)) = (p.sku.as_deref(), p.unit_price) else {
                        errors.push(FieldError::new(
                            field,
                            "a new line needs sku and unit_price",
                        ));
                        continue;
                    };
                    errors.extend(check_line(&field, p.quantity, price));
                    match sku(code) {
                        None => errors.push(FieldError::new(
                            format!("{field}.sku"),
                            format!("unknown SKU `{code}`"),
                        )),
                        Some(info) => new_lines.push(Line {
                            id: LineId::new(),
                            sku: code.to_owned(),
                            name: info.name,
                            quantity: p.quantity,
                            unit_price: Money::yen(price),
                            tax_rate: info.tax_rate,
                            allocated_quantity: 0,
                            shipped_quantity: 0,
                            returned_quantity: 0,
                        }),
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(bad(errors));
        }
        // Release what reduced or removed lines no longer need, last reserved first.
        let mut released = Vec::new();
        for old in &self.lines {
            let keep = new_lines
                .iter()
                .find(|l| l.id == old.id)
                .map(|l| l.quantity)
                .unwrap_or(0);
            let mut excess = old.allocated_quantity - keep;
            for a in self
                .allocations
                .iter_mut()
                .rev()
                .filter(|a| a.line_id == old.id)
            {
                let n = a.quantity.min(excess);
                if n > 0 {
                    a.quantity -= n;
                    excess -= n;
                    fx.stock.push(StockChange {
                        warehouse: a.warehouse.clone(),
                        sku: a.sku.clone(),
                        on_hand: 0,
                        allocated: -n,
                        reason: "release: order modified".into(),
                    });
                    released.push(
                        json!({"line_id": a.line_id, "warehouse": a.warehouse, "quantity": n}),
                    );
                }
            }
        }
        self.allocations.retain(|a| a.quantity > 0);
        for l in &mut new_lines {
            l.allocated_quantity = self
                .allocations
                .iter()
                .filter(|a| a.line_id == l.id)
                .map(|a| a.quantity)
                .sum();
        }
        if !released.is_empty() {
            needs.released = true;
            fx.events.push(Event::new(
                "allocation.released",
                actor,
                at,
                json!({"allocations": released}),
            ));
        }
        let view = |ls: &[Line]| {
            ls.iter().map(|l| json!({"line_id": l.id, "sku": l.sku, "quantity": l.quantity, "unit_price": l.unit_price})).collect::<Vec<_>>()
        };
        changes.insert(
            "lines".into(),
            json!({"before": view(&self.lines), "after": view(&new_lines)}),
        );
        self.lines = new_lines;
        Ok(())
    }

    /// The payment follows the new amount or method, or the change is refused.
    fn follow_payment(
        &mut self,
        patch: Option<&PatchPayment>,
        before_total: Money,
        needs: &mut ModifyNeeds,
        changes: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), DomainError> {
        let refuse = |why: String| DomainError::NotAllowed {
            action: "modifying",
            status: self.status,
            why,
        };
        let total = self.totals.total;
        if let Some(p) = patch {
            if p.method == PaymentMethod::BankTransfer
                || self.payment.method == PaymentMethod::BankTransfer
            {
                return Err(refuse(
                    "changing to or from bank transfer is not automated; cancel and re-order"
                        .into(),
                ));
            }
            if p.method == PaymentMethod::CreditCard && p.card_token.is_none() {
                return Err(DomainError::invalid(
                    "payment.card_token",
                    "a card payment needs a card_token",
                ));
            }
            if p.method == PaymentMethod::AmazonPay && p.charge_permission_id.is_none() {
                return Err(DomainError::invalid(
                    "payment.charge_permission_id",
                    "Amazon Pay needs the charge permission id",
                ));
            }
            let mut fresh = Payment::new(p.method);
            fresh.card_token = p.card_token.clone();
            fresh.authorization_id = p.charge_permission_id.clone();
            changes.insert(
                "payment".into(),
                json!({"before": self.payment.method, "after": p.method}),
            );
            self.payment = fresh;
            needs.authorize = true;
            return Ok(());
        }
        if total == before_total {
            return Ok(());
        }
        let pay = &mut self.payment;
        match (pay.method, pay.status) {
            (PaymentMethod::CreditCard, PaymentStatus::Authorized) if total > pay.authorized_amount => {
                if pay.card_token.is_none() {
                    return Err(refuse("the card was authorised without a stored token, so the higher amount cannot be authorised; cancel and re-order".into()));
                }
                needs.authorize = true;
            }
            // A lower amount: the rest of the authorisation is released; deferred and Amazon Pay
            // take the new amount before the shipment report / capture.
            (PaymentMethod::CreditCard | PaymentMethod::Deferred | PaymentMethod::AmazonPay, PaymentStatus::Authorized) => pay.authorized_amount = total,
            (PaymentMethod::BankTransfer, PaymentStatus::Paid) => return Err(refuse("the transfer is already paid; a different amount needs a refund or a further payment".into())),
            _ => {}
        }
        Ok(())
    }

    /// After a successful re-authorisation, a `payment_declined` hold has done its job.
    pub fn clear_declined_hold(&mut self) -> Option<String> {
        let pos = self
            .holds
            .iter()
            .position(|h| h.code == HoldCode::PaymentDeclined)?;
        Some(self.holds.remove(pos).reason)
    }
}
