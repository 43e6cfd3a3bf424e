//! 注文変更 use case: `PATCH /api/v1/orders/{id}`.

use crate::master::stock_arrived_job;
use crate::orders::{order_change, order_job};
use crate::{App, AppError, payments};
use juchu_domain::intake::SkuInfo;
use juchu_domain::modify::OrderPatch;
use juchu_domain::payment::{PaymentOutcome, PaymentStatus};
use juchu_domain::review::Finding;
use juchu_domain::{Actor, Event, HoldCode, Order, OrderId};
use juchu_store::StoreError;
use serde_json::json;
use std::collections::HashMap;

impl App {
    /// Applies a modification while the policy allows; the payment follows (a new authorisation when
    /// the method, the card or a higher card amount needs one) or nothing changes.
    pub async fn modify_order(
        &self,
        id: OrderId,
        patch: &OrderPatch,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let codes: Vec<String> = patch
            .lines
            .iter()
            .flatten()
            .filter_map(|l| l.sku.clone())
            .collect();
        let skus: HashMap<String, SkuInfo> = self
            .store
            .get_skus(&codes)
            .await?
            .into_iter()
            .map(|s| {
                (
                    s.code,
                    SkuInfo {
                        name: s.name,
                        tax_rate: s.tax_rate,
                    },
                )
            })
            .collect();
        for _ in 0..8 {
            let mut order = self.load_order(id).await?;
            if let Some(v) = if_match
                && v != order.version
            {
                return Err(AppError::VersionConflict {
                    current: order.version,
                });
            }
            let expected = order.version;
            let old_payment = order.payment.clone();
            // What the review rules say about the order before the change (see below).
            let before = self.review_findings(&order).await?;
            let now = self.now();
            let (mut fx, needs) =
                order.modify(patch, |c| skus.get(c).cloned(), &self.policies, actor, now)?;
            if needs.authorize {
                // Authorise anew with the stored token, not by repeating the old authorisation.
                if order.payment.card_token.is_some() {
                    order.payment.authorization_id = None;
                }
                let outcome = payments::authorize(&order, &self.policies, now);
                match outcome {
                    PaymentOutcome::Declined { reason }
                    | PaymentOutcome::Pending { reason, .. } => {
                        return Err(AppError::InvalidTransition {
                            status: Some(order.status),
                            detail: format!(
                                "the new payment was declined ({reason}); nothing was changed"
                            ),
                        });
                    }
                    PaymentOutcome::Authorized {
                        authorization_id,
                        amount,
                        suspicious,
                    } => {
                        order.payment.status = PaymentStatus::Authorized;
                        order.payment.authorized_amount = amount;
                        order.payment.authorization_id = Some(authorization_id.clone());
                        fx.events.push(Event::new(
                            "payment.authorized",
                            actor,
                            now,
                            json!({"authorization_id": authorization_id, "amount": amount}),
                        ));
                        if suspicious
                            && !order.holds.iter().any(|h| h.code == HoldCode::FraudReview)
                        {
                            let held = order.place_hold(
                                HoldCode::FraudReview,
                                "fraud screening flagged this payment / 不正検知で要確認",
                                actor,
                                now,
                            )?;
                            order.version -= 1; // place_hold counted a change the modification already counts
                            fx.events.extend(held.events);
                        }
                    }
                    PaymentOutcome::OnDelivery => {
                        order.payment.status = PaymentStatus::OnDelivery;
                        fx.events.push(Event::new(
                            "payment.on_delivery",
                            actor,
                            now,
                            json!({"amount": order.totals.total}),
                        ));
                    }
                    PaymentOutcome::AwaitingPayment {
                        virtual_account,
                        due_date,
                    } => {
                        order.payment.status = PaymentStatus::AwaitingPayment;
                        order.payment.virtual_account = Some(virtual_account);
                        order.payment.due_date = Some(due_date);
                    }
                }
                if old_payment.status == PaymentStatus::Authorized
                    && old_payment.authorization_id != order.payment.authorization_id
                {
                    fx.events.push(Event::new("payment.voided", actor, now, json!({"authorization_id": old_payment.authorization_id, "amount": old_payment.authorized_amount})));
                }
                if let Some(reason) = order.clear_declined_hold() {
                    fx.events.push(Event::new("hold.released", actor, now, json!({"code": HoldCode::PaymentDeclined, "reason": reason, "note": "the new payment was authorised"})));
                }
            }
            // 注文確認 again: a changed address, lines or amount must not slip past the review.
            // Only what the change newly triggers is held (a finding the order had before, with
            // the same reason, was seen and released by an operator already).
            let after = self.review_findings(&order).await?;
            let new: Vec<Finding> = after.into_iter().filter(|f| !before.contains(f)).collect();
            if !new.is_empty() {
                let held = order.apply_review(
                    &new,
                    juchu_domain::Money::ZERO,
                    self.policies.tax_rounding,
                    actor,
                    now,
                );
                fx.events.extend(held.events);
            }
            let mut cs = order_change(&order, expected, fx, actor);
            if needs.released {
                cs.jobs.push(stock_arrived_job(self));
            }
            if order.ready_for_allocation(&self.policies) {
                cs.jobs.push(order_job(self, "order.allocate", order.id));
            }
            let wake = !cs.jobs.is_empty();
            match self.store.commit(cs).await {
                Ok(()) => {
                    if wake {
                        self.jobs_ready.notify_one();
                    }
                    return Ok(order);
                }
                Err(StoreError::VersionConflict { .. }) if if_match.is_some() => {
                    let current = self.load_order(id).await?.version;
                    return Err(AppError::VersionConflict { current });
                }
                Err(StoreError::VersionConflict { .. } | StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy)
    }
}

impl App {
    /// The holds the review rules in force would ask for on `order` as it is now.
    async fn review_findings(&self, order: &Order) -> Result<Vec<Finding>, AppError> {
        let review = self.prepare_review(order).await?;
        Ok(juchu_domain::review::evaluate(
            order,
            &review.rules,
            &review.input,
        ))
    }
}
