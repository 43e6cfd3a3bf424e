//! Order use cases: intake, queries, cancellation, holds, manual payment confirmation.

use crate::{App, AppError};
use juchu_domain::intake::{NewOrder, SkuInfo, build_order};
use juchu_domain::lifecycle::Effects;
use juchu_domain::{Actor, Event, HoldCode, Money, Order, OrderId, OrderStatus};
use juchu_store::{ChangeSet, EventRecord, NewJob, OrderWrite, StoreError};
use serde_json::json;
use std::collections::HashMap;

/// How many times a command re-reads and re-applies after a concurrent change.
const RETRIES: usize = 8;

/// The stock ledger's name for an actor.
pub(crate) fn actor_label(actor: &Actor) -> String {
    actor.label()
}

/// A job that works on one order.
pub(crate) fn order_job(app: &App, kind: &str, id: OrderId) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: json!({"order_id": id}),
        available_at: app.now(),
        dedupe_key: Some(format!("{kind}:{id}")),
    }
}

/// `order.allocate` for an order nothing holds back any more (receipt done, holds released, paid
/// as the policy requires); none otherwise.
pub(crate) fn allocate_if_ready(app: &App, o: &Order) -> Vec<NewJob> {
    if o.ready_for_allocation(&app.policies) {
        vec![order_job(app, "order.allocate", o.id)]
    } else {
        vec![]
    }
}

/// The change set that persists one changed order with its effects, and the provider calls and
/// customer e-mails those effects call for (the outbox: `payment.provider` and `mail.send` jobs in
/// the same transaction).
pub(crate) fn order_change(order: &Order, expected: i64, fx: Effects, actor: &Actor) -> ChangeSet {
    let mut jobs = crate::provider_payments::provider_jobs(order, &fx.events);
    jobs.extend(crate::mail::outbox_jobs(order.id, &fx.events));
    ChangeSet {
        jobs,
        orders: vec![OrderWrite {
            order: order.clone(),
            expected_version: Some(expected),
        }],
        events: fx.events.into_iter().map(|e| (order.id, e)).collect(),
        // Drop-ship allocations name a supplier, not a warehouse: no stock row moves for them.
        stock: fx
            .stock
            .into_iter()
            .filter(|s| !juchu_domain::purchasing::is_supplier_location(&s.warehouse))
            .map(|s| (Some(order.id), s))
            .collect(),
        points: fx.points,
        actor: actor_label(actor),
        release_account: crate::bank::account_to_release(order),
        ..ChangeSet::default()
    }
}

impl App {
    pub async fn load_order(&self, id: OrderId) -> Result<Order, AppError> {
        self.store
            .get_order(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("order {id}")))
    }

    /// Applies `f` to the current order and commits it with its effects and follow-up jobs, in one
    /// transaction. Re-reads and retries when someone else changed the order meanwhile, unless the
    /// caller pinned a version with `If-Match` (then the conflict is theirs to resolve).
    pub(crate) async fn change_order<F>(
        &self,
        id: OrderId,
        if_match: Option<i64>,
        actor: &Actor,
        f: F,
    ) -> Result<Order, AppError>
    where
        F: Fn(&mut Order, &App) -> Result<(Effects, Vec<NewJob>), AppError>,
    {
        self.change_order_with(id, if_match, actor, f, |_| {}).await
    }

    /// `change_order`, with `extend` adding to each attempt's change set what must commit in the
    /// same transaction as the order (e.g. the bank deposit row the change applies).
    pub(crate) async fn change_order_with<F, G>(
        &self,
        id: OrderId,
        if_match: Option<i64>,
        actor: &Actor,
        f: F,
        extend: G,
    ) -> Result<Order, AppError>
    where
        F: Fn(&mut Order, &App) -> Result<(Effects, Vec<NewJob>), AppError>,
        G: Fn(&mut ChangeSet),
    {
        for _ in 0..RETRIES {
            let mut order = self.load_order(id).await?;
            if let Some(v) = if_match
                && v != order.version
            {
                return Err(AppError::VersionConflict {
                    current: order.version,
                });
            }
            let expected = order.version;
            let (fx, jobs) = f(&mut order, self)?;
            if order.version == expected {
                return Ok(order); // nothing changed
            }
            let mut cs = order_change(&order, expected, fx, actor);
            cs.jobs.extend(jobs);
            extend(&mut cs);
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

    /// 受注: validates and stores a new order in `received`; the worker does the receipt work.
    pub async fn place_order(&self, input: &NewOrder, actor: &Actor) -> Result<Order, AppError> {
        if let Some(existing) = self
            .store
            .order_by_external_id(input.channel.trim(), input.external_id.trim())
            .await?
        {
            return Err(AppError::DuplicateOrder {
                order_id: existing.to_string(),
            });
        }
        let mut codes: Vec<String> = input.lines.iter().map(|l| l.sku.clone()).collect();
        codes.sort();
        codes.dedup();
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
        let now = self.now();
        // Validate before taking a number, so bad requests do not leave gaps.
        build_order(
            input,
            |c| skus.get(c).cloned(),
            0,
            now,
            self.policies.tax_rounding,
        )
        .map_err(AppError::Invalid)?;
        let number = self.store.next_order_number().await?;
        let order = build_order(
            input,
            |c| skus.get(c).cloned(),
            number,
            now,
            self.policies.tax_rounding,
        )
        .map_err(AppError::Invalid)?;
        let received = Event::new(
            "order.received",
            actor,
            now,
            json!({"number": number, "total": order.totals.total, "payment_method": order.payment.method}),
        );
        let cs = ChangeSet {
            orders: vec![OrderWrite {
                order: order.clone(),
                expected_version: None,
            }],
            jobs: std::iter::once(order_job(self, "order.receive", order.id))
                .chain(crate::mail::outbox_jobs(
                    order.id,
                    std::slice::from_ref(&received),
                ))
                .collect(),
            events: vec![(order.id, received)],
            // Points paid with come off the customer's balance in this commit, or nothing is
            // created (docs/points.md).
            points: juchu_domain::points::PointsChange::for_order(
                &order,
                juchu_domain::points::PointsKind::Use,
                -order.totals.points_used.minor(),
                now,
            )
            .into_iter()
            .collect(),
            actor: actor_label(actor),
            ..ChangeSet::default()
        };
        self.store.commit(cs).await?;
        metrics::counter!("juchu_orders_received_total").increment(1);
        self.jobs_ready.notify_one();
        Ok(order)
    }

    /// Orders per status, every status in flow order (zero when none).
    pub async fn order_counts(&self) -> Result<Vec<(OrderStatus, i64)>, AppError> {
        let found: HashMap<OrderStatus, i64> =
            self.store.count_orders().await?.into_iter().collect();
        Ok(OrderStatus::ALL
            .into_iter()
            .map(|s| (s, found.get(&s).copied().unwrap_or(0)))
            .collect())
    }

    pub async fn order_events(&self, id: OrderId) -> Result<Vec<EventRecord>, AppError> {
        self.load_order(id).await?;
        Ok(self.store.order_events(id).await?)
    }

    /// Cancels as the actor's policy allows; stock released, payment voided. After shipping
    /// instruction the cancel is a request the warehouse confirms or refuses (`cancel_request`).
    pub async fn cancel_order(
        &self,
        id: OrderId,
        reason: &str,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        if reason.trim().is_empty() || reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "must be 1–500 characters"));
        }
        let order = self
            .change_order(id, if_match, actor, |o, app| {
                let drop_ship = crate::drop_ship::sync_jobs(app, o);
                let fx = o.cancel(reason.trim(), &app.policies, actor, app.now())?;
                // Released stock may complete orders that wait. After instruction the cancel is
                // only a request to the warehouse, and nothing is released yet.
                let mut jobs = if !fx.stock.is_empty() {
                    vec![crate::master::stock_arrived_job(app)]
                } else {
                    vec![]
                };
                jobs.extend(drop_ship);
                Ok((fx, jobs))
            })
            .await?;
        if order.status == OrderStatus::Cancelled {
            metrics::counter!("juchu_orders_cancelled_total").increment(1);
        } else {
            metrics::counter!("juchu_cancel_requests_total").increment(1);
        }
        Ok(order)
    }

    pub async fn place_hold(
        &self,
        id: OrderId,
        code: HoldCode,
        reason: &str,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        if reason.trim().is_empty() || reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "must be 1–500 characters"));
        }
        self.change_order(id, if_match, actor, |o, app| {
            Ok((o.place_hold(code, reason.trim(), actor, app.now())?, vec![]))
        })
        .await
    }

    /// Releases a hold; an order left without holds moves on by itself.
    pub async fn release_hold(
        &self,
        id: OrderId,
        code: HoldCode,
        note: Option<&str>,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        self.change_order(id, if_match, actor, |o, app| {
            let fx = o.release_hold(code, note, actor, app.now())?;
            let jobs = allocate_if_ready(app, o);
            Ok((fx, jobs))
        })
        .await
    }

    /// 入金確認 by hand.
    pub async fn confirm_payment(
        &self,
        id: OrderId,
        amount: i64,
        note: Option<&str>,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        self.change_order(id, if_match, actor, |o, app| {
            let fx = o.confirm_payment(Money::yen(amount), note, actor, app.now())?;
            let jobs = allocate_if_ready(app, o);
            Ok((fx, jobs))
        })
        .await
    }
}
