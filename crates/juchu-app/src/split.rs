//! 注文分割 use cases: split by lines or quantities, and split off the allocated part.

use crate::orders::actor_label;
use crate::{App, AppError, payments};
use juchu_domain::payment::{PaymentMethod, PaymentOutcome, PaymentStatus};
use juchu_domain::split::{Prefer, SplitPart};
use juchu_domain::{Actor, LineId, Order, OrderId};
use juchu_store::{ChangeSet, OrderWrite, StoreError};

impl App {
    /// Moves the listed quantities into a new order (`parent_id` set); both parts add up to the
    /// original. A card part is authorised anew with the stored token; if that fails nothing changes.
    pub async fn split_order(
        &self,
        id: OrderId,
        moves: &[(LineId, i64)],
        prefer: Prefer,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<(Order, Order), AppError> {
        for _ in 0..8 {
            let mut order = self.load_order(id).await?;
            if let Some(v) = if_match
                && v != order.version
            {
                return Err(AppError::VersionConflict {
                    current: order.version,
                });
            }
            let moves: Vec<(LineId, i64)> = if moves.is_empty() && prefer == Prefer::Allocated {
                let part = order.allocated_part();
                let refuse = |why: &str| AppError::InvalidTransition {
                    status: Some(order.status),
                    detail: why.to_owned(),
                };
                if part.is_empty() {
                    return Err(refuse(
                        "nothing of this order is allocated yet; there is no part that could ship now",
                    ));
                }
                if order.lines.iter().all(|l| l.unallocated_quantity() == 0) {
                    return Err(refuse(
                        "the whole order is allocated; instruct shipping instead of splitting",
                    ));
                }
                part
            } else {
                moves.to_vec()
            };
            order.check_split(&moves)?;
            let expected = order.version;
            let number = self.store.next_order_number().await?;
            let now = self.now();
            let part = SplitPart {
                id: OrderId::new(),
                number,
                authorization_id: None,
            };
            let before_authorized = order.payment.authorized_amount;
            let (mut new, mut fx_orig, fx_new) =
                order.split(&moves, prefer, part, self.policies.tax_rounding, actor, now)?;
            let provider_backed = matches!(
                new.payment.method,
                PaymentMethod::CreditCard | PaymentMethod::Deferred
            );
            if provider_backed && new.payment.status == PaymentStatus::Authorized {
                // A new authorisation for the part: with the stored token (card) or a new
                // registration (deferred); the original's own is lowered through the outbox.
                if new.payment.method == PaymentMethod::CreditCard {
                    new.payment.authorization_id = None;
                }
                let remote = match self.providers.clone() {
                    Some(p) => crate::provider_payments::authorize(&p, &new).await?,
                    None => None,
                };
                let outcome = match remote {
                    Some(outcome) => outcome,
                    None if new.payment.method == PaymentMethod::CreditCard => {
                        payments::authorize(&new, &self.policies, now)
                    }
                    None => PaymentOutcome::Authorized {
                        authorization_id: new.payment.authorization_id.clone().unwrap_or_default(),
                        amount: new.totals.total,
                        suspicious: false,
                    },
                };
                match outcome {
                    PaymentOutcome::Authorized {
                        authorization_id, ..
                    } => new.payment.authorization_id = Some(authorization_id),
                    other => {
                        return Err(AppError::InvalidTransition {
                            status: Some(order.status),
                            detail: format!(
                                "the payment did not authorise the new part ({other:?}); nothing was split"
                            ),
                        });
                    }
                }
                if self.providers.is_some() && order.payment.authorized_amount != before_authorized
                {
                    fx_orig.events.push(juchu_domain::Event::new(
                        "payment.amount_changed",
                        actor,
                        now,
                        serde_json::json!({"authorization_id": order.payment.authorization_id,
                                           "from": before_authorized, "amount": order.payment.authorized_amount}),
                    ));
                }
            }
            let mut jobs = crate::provider_payments::provider_jobs(&order, &fx_orig.events);
            jobs.extend(crate::provider_payments::provider_jobs(
                &new,
                &fx_new.events,
            ));
            let mut events: Vec<_> = fx_orig.events.into_iter().map(|e| (order.id, e)).collect();
            events.extend(fx_new.events.into_iter().map(|e| (new.id, e)));
            let cs = ChangeSet {
                orders: vec![
                    OrderWrite {
                        order: order.clone(),
                        expected_version: Some(expected),
                    },
                    OrderWrite {
                        order: new.clone(),
                        expected_version: None,
                    },
                ],
                events,
                jobs,
                actor: actor_label(actor),
                ..ChangeSet::default()
            };
            match self.store.commit(cs).await {
                Ok(()) => return Ok((order, new)),
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
