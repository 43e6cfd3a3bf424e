//! Loyalty points (docs/points.md): the grant and expiry jobs, the customer's balance and ledger,
//! operator adjustments, and revocations lowered to what a balance still holds.

use crate::orders::actor_label;
use crate::{App, AppError};
use jiff::{SignedDuration, Timestamp};
use juchu_domain::lifecycle::Effects;
use juchu_domain::points::{PointsChange, PointsGrantOn, PointsKind, customer_of};
use juchu_domain::{Actor, Event, Order, OrderId, OrderStatus};
use juchu_store::{ChangeSet, Job, NewJob, PointsEntry, StoreError};
use serde::Serialize;
use serde_json::json;

/// Ledger rows shown by `GET /customers/{id}/points`.
const ENTRIES_SHOWN: i64 = 500;

/// A customer's balance and ledger, newest row first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerPoints {
    pub customer_id: String,
    pub balance: i64,
    pub entries: Vec<PointsEntryView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PointsEntryView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub kind: PointsKind,
    /// Signed: positive credits the balance, negative debits it.
    pub amount: i64,
    #[schema(value_type = Option<String>)]
    pub order_id: Option<OrderId>,
    /// Grants: when what is left of them expires.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    /// Credits: what is left of them.
    pub remaining: i64,
    /// Adjustments: the reason given.
    pub note: Option<String>,
}

impl From<PointsEntry> for PointsEntryView {
    fn from(e: PointsEntry) -> Self {
        PointsEntryView {
            at: e.at,
            kind: e.kind,
            amount: e.amount,
            order_id: e.order_id,
            expires_at: e.expires_at,
            remaining: e.remaining,
            note: e.note,
        }
    }
}

fn days(n: i32) -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(n))
}

/// The `points.grant` job for an order that reached the policy's trigger (`points_grant_on`):
/// due `points_grant_delay_days` after `at`. None when the order earns nothing or has no customer.
pub(crate) fn grant_jobs(app: &App, o: &Order, at: Timestamp) -> Vec<NewJob> {
    let p = &app.policies;
    let reached = match p.points_grant_on {
        PointsGrantOn::Delivery => o.status == OrderStatus::Delivered,
        PointsGrantOn::Shipment => o.status == OrderStatus::Shipped,
    };
    if !reached
        || customer_of(o).is_none()
        || o.points.granted > 0
        || juchu_domain::points::earned(o, p.points_rate_percent) <= 0
    {
        return vec![];
    }
    vec![NewJob {
        kind: "points.grant".into(),
        payload: json!({"order_id": o.id}),
        available_at: at
            .checked_add(days(p.points_grant_delay_days.max(0)))
            .unwrap_or(at),
        dedupe_key: Some(format!("points.grant:{}", o.id)),
    }]
}

/// Lowers the revocations in `fx` to what `balance` holds and records the shortfall in the
/// `return.received` event (a customer who spent the points keeps a balance of zero).
pub(crate) fn clamp_revocations(fx: &mut Effects, mut balance: i64) {
    let mut shortfall = 0;
    for c in fx.points.iter_mut() {
        if c.kind == PointsKind::Revoke && c.amount < 0 {
            let wanted = -c.amount;
            let take = wanted.min(balance.max(0));
            shortfall += wanted - take;
            balance -= take;
            c.amount = -take;
        } else {
            balance += c.amount;
        }
    }
    fx.points.retain(|c| c.amount != 0);
    if let Some(e) = fx
        .events
        .iter_mut()
        .rev()
        .find(|e| e.kind == "return.received")
        && let Some(data) = e.data.as_object_mut()
    {
        data.insert("points_shortfall".into(), json!(shortfall));
    }
}

fn job_str<'a>(job: &'a Job, key: &str) -> Result<&'a str, AppError> {
    job.payload
        .get(key)
        .and_then(|v| v.as_str())
        .ok_or_else(|| AppError::invalid("payload", format!("job {} has no {key}", job.id)))
}

impl App {
    /// The grant of a `points.grant` job: expiry date per policy and the `points.expire` job.
    pub(crate) fn grant_points(
        &self,
        o: &mut Order,
        actor: &Actor,
    ) -> Result<(Effects, Vec<NewJob>), AppError> {
        // A delivery undone by a correction waits for the next one (which schedules its own job).
        if self.policies.points_grant_on == PointsGrantOn::Delivery
            && o.status == OrderStatus::Shipped
        {
            return Err(AppError::InvalidTransition {
                status: Some(o.status),
                detail: "points are granted on delivery; the order is shipped".into(),
            });
        }
        let now = self.now();
        let expiry = self.policies.points_expiry_days;
        let expires_at = (expiry > 0).then(|| now.checked_add(days(expiry)).unwrap_or(now));
        let fx = o.grant_points(self.policies.points_rate_percent, expires_at, actor, now)?;
        let jobs = match (expires_at, customer_of(o)) {
            (Some(at), Some(customer)) => vec![NewJob {
                kind: "points.expire".into(),
                payload: json!({"order_id": o.id, "customer_id": customer}),
                available_at: at,
                dedupe_key: Some(format!("points.expire:{}", o.id)),
            }],
            _ => vec![],
        };
        Ok((fx, jobs))
    }

    /// `points.expire`: what is left of one grant expires, with its job's completion.
    pub(crate) async fn expire_points(&self, job: &Job, worker: &str) -> Result<(), AppError> {
        let customer = job_str(job, "customer_id")?;
        let order: OrderId = job_str(job, "order_id")?
            .parse()
            .map_err(|_| AppError::invalid("payload", "order_id is not an order id"))?;
        let left = self
            .store
            .points_grant_of(customer, order)
            .await?
            .map_or(0, |g| g.remaining);
        let now = self.now();
        let actor = Actor::system("points.expire");
        let mut cs = ChangeSet {
            complete_job: Some((job.id, worker.to_owned())),
            actor: actor_label(&actor),
            ..ChangeSet::default()
        };
        if left > 0 {
            cs.points.push(PointsChange {
                customer_id: customer.to_owned(),
                kind: PointsKind::Expire,
                amount: -left,
                order_id: Some(order),
                at: now,
                expires_at: None,
                note: None,
            });
            cs.events.push((
                order,
                Event::new(
                    "points.expired",
                    &actor,
                    now,
                    json!({"amount": left, "customer_id": customer}),
                ),
            ));
        }
        Ok(self.store.commit(cs).await?)
    }

    /// A customer's balance and ledger (an unknown customer has balance 0 and no rows).
    pub async fn customer_points(&self, customer_id: &str) -> Result<CustomerPoints, AppError> {
        let customer_id = checked_customer(customer_id)?;
        let balance = self.store.points_balance(customer_id).await?;
        let entries = self
            .store
            .points_entries(customer_id, ENTRIES_SHOWN)
            .await?
            .into_iter()
            .map(PointsEntryView::from)
            .collect();
        Ok(CustomerPoints {
            customer_id: customer_id.to_owned(),
            balance,
            entries,
        })
    }

    /// An operator's correction of a balance: credits never expire; a debit may not take the
    /// balance below zero.
    pub async fn adjust_points(
        &self,
        customer_id: &str,
        amount: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<CustomerPoints, AppError> {
        let customer_id = checked_customer(customer_id)?;
        if amount == 0 || amount.checked_abs().is_none_or(|a| a > 100_000_000) {
            return Err(AppError::invalid(
                "amount",
                "must be a non-zero whole number of points, at most 100,000,000 either way",
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "must be 1–500 characters"));
        }
        let cs = ChangeSet {
            points: vec![PointsChange {
                customer_id: customer_id.to_owned(),
                kind: PointsKind::Adjust,
                amount,
                order_id: None,
                at: self.now(),
                expires_at: None,
                note: Some(reason.to_owned()),
            }],
            actor: actor_label(actor),
            ..ChangeSet::default()
        };
        match self.store.commit(cs).await {
            Ok(()) => {}
            Err(StoreError::InsufficientPoints { balance, .. }) => {
                return Err(AppError::invalid(
                    "amount",
                    format!(
                        "would take the balance below zero: customer {customer_id} has {balance} points"
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.customer_points(customer_id).await
    }
}

fn checked_customer(id: &str) -> Result<&str, AppError> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > 200 {
        return Err(AppError::invalid("id", "a customer id is 1–200 characters"));
    }
    Ok(id)
}
