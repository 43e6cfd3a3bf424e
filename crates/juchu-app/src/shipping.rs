//! 出荷指示 → 出荷済 → 着荷済: shipping instructions in batches per warehouse, shipment reports, delivery.

use crate::orders::order_job;
use crate::{App, AppError};
use jiff::Timestamp;
use juchu_domain::carrier::{Carrier, validate_tracking_number};
use juchu_domain::combine::parcel_key;
use juchu_domain::delivery::DeliveryCorrection;
use juchu_domain::shipment::ShipmentLine;
use juchu_domain::{Actor, BatchId, Order, OrderId, OrderStatus, ShipmentId};
use juchu_store::{BatchRecord, NewJob};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstructionResult {
    pub batches: Vec<InstructedBatch>,
    /// Listed orders that could not be instructed, and why.
    pub skipped: Vec<SkippedOrder>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstructedBatch {
    pub id: BatchId,
    pub warehouse: String,
    pub shipments: Vec<InstructedShipment>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstructedShipment {
    pub id: ShipmentId,
    pub order_id: OrderId,
    pub order_number: i64,
    pub lines: Vec<ShipmentLine>,
    /// 同梱: the parcel (shipment id) this shipment is packed into; its own id when alone.
    pub parcel_id: ShipmentId,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SkippedOrder {
    pub order_id: String,
    pub reason: String,
}

impl App {
    /// 同梱: packs shipments of the same customer, address, warehouse and batch into the first one's
    /// parcel. Returns member → parcel. Each order commits on its own, the parcel's order first; a
    /// shipment that could not join simply ships on its own.
    pub(crate) async fn combine_parcels(
        &self,
        orders: &[Order],
        actor: &Actor,
    ) -> BTreeMap<ShipmentId, ShipmentId> {
        let mut groups: BTreeMap<String, Vec<(OrderId, ShipmentId)>> = BTreeMap::new();
        for o in orders {
            for s in &o.shipments {
                if let Some(key) = parcel_key(o, s) {
                    groups.entry(key).or_default().push((o.id, s.id));
                }
            }
        }
        let mut joined = BTreeMap::new();
        for members in groups.into_values().filter(|g| g.len() > 1) {
            let (lead_order, lead) = members[0];
            let rest = &members[1..];
            let led = self
                .change_order(lead_order, None, actor, |o, app| {
                    Ok((o.lead_parcel(lead, rest, actor, app.now())?, vec![]))
                })
                .await;
            if let Err(e) = led {
                tracing::warn!(order = %lead_order, error = %e, "同梱: the parcel could not take others in");
                continue;
            }
            for (order, shipment) in rest {
                let r = self
                    .change_order(*order, None, actor, |o, app| {
                        Ok((
                            o.join_parcel(*shipment, lead_order, lead, actor, app.now())?,
                            vec![],
                        ))
                    })
                    .await;
                match r {
                    Ok(_) => {
                        joined.insert(*shipment, lead);
                    }
                    Err(e) => {
                        tracing::warn!(order = %order, error = %e, "同梱: the shipment could not join its parcel");
                    }
                }
            }
        }
        joined
    }

    async fn shipment_order(&self, id: ShipmentId) -> Result<OrderId, AppError> {
        self.store
            .order_by_shipment(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("shipment {id}")))
    }

    /// 出荷済: the warehouse shipped a shipment with this carrier and tracking number. The other
    /// orders' shipments packed into its parcel (同梱) ship with it, under the same number.
    pub async fn ship(
        &self,
        id: ShipmentId,
        carrier: Carrier,
        tracking_number: &str,
        shipped_at: Option<Timestamp>,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let order = self
            .ship_one(id, carrier, tracking_number, shipped_at, if_match, actor)
            .await?;
        let members = parcel_members(&order, id);
        for m in members {
            if let Err(e) = self
                .ship_one(m, carrier, tracking_number, shipped_at, None, actor)
                .await
            {
                tracing::warn!(shipment = %m, parcel = %id, error = %e, "同梱: a packed shipment did not ship with its parcel");
            }
        }
        Ok(order)
    }

    async fn ship_one(
        &self,
        id: ShipmentId,
        carrier: Carrier,
        tracking_number: &str,
        shipped_at: Option<Timestamp>,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let tracking = validate_tracking_number(carrier, tracking_number)
            .map_err(|m| AppError::invalid("tracking_number", m))?;
        let order_id = self.shipment_order(id).await?;
        let order = self
            .change_order(order_id, if_match, actor, |o, app| {
                let now = app.now();
                let fx = o.ship(
                    id,
                    carrier,
                    tracking.clone(),
                    shipped_at.unwrap_or(now),
                    actor,
                    now,
                )?;
                let mut jobs = crate::drop_ship::sync_jobs(app, o);
                jobs.extend(deem_delivered_job(app, o.id, id, shipped_at.unwrap_or(now)));
                jobs.extend(crate::points::grant_jobs(app, o, shipped_at.unwrap_or(now)));
                jobs.extend(shipment_recognition_jobs(app, o));
                Ok((fx, jobs))
            })
            .await?;
        metrics::counter!("juchu_shipments_shipped_total").increment(1);
        Ok(order)
    }

    /// 着荷済: a shipment was delivered (carrier event or operator record), with the shipments
    /// packed into its parcel (同梱).
    pub async fn deliver(
        &self,
        id: ShipmentId,
        delivered_at: Option<Timestamp>,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let order = self.deliver_one(id, delivered_at, if_match, actor).await?;
        for m in parcel_members(&order, id) {
            if let Err(e) = self.deliver_one(m, delivered_at, None, actor).await {
                tracing::warn!(shipment = %m, parcel = %id, error = %e, "同梱: a packed shipment was not delivered with its parcel");
            }
        }
        Ok(order)
    }

    async fn deliver_one(
        &self,
        id: ShipmentId,
        delivered_at: Option<Timestamp>,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        let order_id = self.shipment_order(id).await?;
        self.change_order(order_id, if_match, actor, |o, app| {
            let now = app.now();
            let fx = o.deliver(id, delivered_at.unwrap_or(now), actor, now)?;
            Ok((fx, recognition_jobs(app, o, delivered_at.unwrap_or(now))))
        })
        .await
    }

    /// An operator corrects a delivery record (a missing or wrong delivery, or one that did not
    /// happen), with a reason kept in the order's events.
    pub async fn correct_delivery(
        &self,
        id: ShipmentId,
        correction: DeliveryCorrection,
        reason: &str,
        if_match: Option<i64>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        if reason.trim().is_empty() {
            return Err(AppError::invalid(
                "reason",
                "say why the delivery record is corrected",
            ));
        }
        let order_id = self.shipment_order(id).await?;
        self.change_order(order_id, if_match, actor, |o, app| {
            let fx = o.correct_delivery(id, correction.clone(), reason, actor, app.now())?;
            let at = match correction {
                DeliveryCorrection::DeliveredAt(t) => t,
                DeliveryCorrection::NotDelivered => app.now(),
            };
            Ok((fx, recognition_jobs(app, o, at)))
        })
        .await
    }

    /// A batch and the orders of its shipments.
    pub async fn batch_with_orders(
        &self,
        id: BatchId,
    ) -> Result<(BatchRecord, Vec<Order>), AppError> {
        let batch = self
            .store
            .batch(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("shipping instruction {id}")))?;
        let orders = self.store.batch_orders(id).await?;
        Ok((batch, orders))
    }
}

fn after_delay(app: &App, at: Timestamp) -> Timestamp {
    let days = i64::from(app.policies.recognition_delay_days);
    at.checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap_or(at)
}

/// 計上 per shipment: a `shipment.recognize` job for each shipment whose trigger (its delivery, or
/// its shipment under 出荷基準) has come and whose revenue is not booked, at the trigger +
/// `recognition_delay_days`.
pub(crate) fn shipment_recognition_jobs(app: &App, o: &Order) -> Vec<NewJob> {
    use juchu_domain::recognition::RecognitionOn;
    o.shipments
        .iter()
        .filter(|s| s.revenue_recognized_at.is_none())
        .filter_map(|s| {
            let trigger = match app.policies.recognition_on {
                RecognitionOn::Delivery => s.delivered_at,
                RecognitionOn::Shipment => s.shipped_at,
            }?;
            Some(NewJob {
                kind: "shipment.recognize".into(),
                payload: serde_json::json!({"order_id": o.id, "shipment_id": s.id}),
                available_at: after_delay(app, trigger),
                dedupe_key: Some(format!("shipment.recognize:{}", s.id)),
            })
        })
        .collect()
}

/// At a delivery: the shipments' recognition jobs; when the whole order is delivered, the
/// order's own recognition (it books what is left and makes the order `recognized`) after the
/// last trigger, and the points grant.
pub(crate) fn recognition_jobs(app: &App, o: &Order, delivered_at: Timestamp) -> Vec<NewJob> {
    let mut jobs = shipment_recognition_jobs(app, o);
    if o.status != OrderStatus::Delivered {
        return jobs;
    }
    let mut job = order_job(app, "order.recognize", o.id);
    match app.policies.recognition_on {
        juchu_domain::recognition::RecognitionOn::Delivery => {
            job.available_at = after_delay(app, delivered_at);
            jobs.push(job);
        }
        // 出荷基準: the parcels book themselves days after shipping; the order is recognised
        // now when they all have, else by the last parcel's own job.
        juchu_domain::recognition::RecognitionOn::Shipment => {
            if o.all_revenue_recognized() {
                jobs.push(job);
            }
        }
    }
    jobs.extend(crate::points::grant_jobs(app, o, delivered_at));
    jobs
}

/// みなし着荷: the job that deems the shipment delivered `deemed_delivery_days` after shipping.
fn deem_delivered_job(
    app: &App,
    order: OrderId,
    shipment: ShipmentId,
    shipped_at: Timestamp,
) -> Option<NewJob> {
    let days = app.policies.deemed_delivery_days;
    if days <= 0 {
        return None;
    }
    Some(NewJob {
        kind: "shipment.deem_delivered".into(),
        payload: serde_json::json!({"order_id": order, "shipment_id": shipment}),
        available_at: shipped_at
            .checked_add(jiff::SignedDuration::from_hours(24 * i64::from(days)))
            .unwrap_or(shipped_at),
        dedupe_key: Some(format!("shipment.deem_delivered:{shipment}")),
    })
}

/// The other orders' shipments packed into shipment `id`'s parcel.
fn parcel_members(order: &Order, id: ShipmentId) -> Vec<ShipmentId> {
    order
        .shipments
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.combined_with.clone())
        .unwrap_or_default()
}
