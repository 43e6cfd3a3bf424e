//! 出荷指示 → 出荷済 → 着荷済: shipping instructions in batches per warehouse, shipment reports, delivery.

use crate::orders::{order_change, order_job};
use crate::{App, AppError};
use jiff::Timestamp;
use juchu_domain::carrier::{Carrier, validate_tracking_number};
use juchu_domain::shipment::ShipmentLine;
use juchu_domain::{Actor, BatchId, Order, OrderId, OrderStatus, ShipmentId};
use juchu_store::{BatchRecord, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

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
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SkippedOrder {
    pub order_id: String,
    pub reason: String,
}

const MAX_PER_CALL: i64 = 10_000;

impl App {
    /// Instructs every allocated, hold-free, paid-enough order (or only `order_ids`), one batch per
    /// warehouse and one shipment per warehouse per order. Each order commits on its own; a batch is
    /// stored with its first shipment, so no batch is ever empty.
    pub async fn instruct_shipping(
        &self,
        warehouse: Option<&str>,
        order_ids: Option<&[OrderId]>,
        actor: &Actor,
    ) -> Result<InstructionResult, AppError> {
        if let Some(w) = warehouse
            && !self
                .store
                .list_warehouses()
                .await?
                .iter()
                .any(|x| x.code == w)
        {
            return Err(AppError::invalid(
                "warehouse",
                format!("unknown warehouse `{w}`"),
            ));
        }
        let (candidates, listed) = match order_ids {
            Some(ids) if ids.len() as i64 > MAX_PER_CALL => {
                return Err(AppError::invalid(
                    "order_ids",
                    format!("at most {MAX_PER_CALL} orders per call"),
                ));
            }
            Some(ids) => (ids.to_vec(), true),
            None => (
                self.store.allocated_orders(warehouse, MAX_PER_CALL).await?,
                false,
            ),
        };
        let now = self.now();
        let batches: Mutex<BTreeMap<String, BatchId>> = Mutex::new(BTreeMap::new());
        let mut stored: Vec<BatchId> = Vec::new();
        let mut result: BTreeMap<BatchId, InstructedBatch> = BTreeMap::new();
        let mut skipped = Vec::new();
        for id in candidates {
            let Some(mut order) = self.store.get_order(id).await? else {
                skipped.push(SkippedOrder {
                    order_id: id.to_string(),
                    reason: "no such order".into(),
                });
                continue;
            };
            if let Some(w) = warehouse
                && !order.allocations.iter().any(|a| a.warehouse == w)
            {
                skipped.push(SkippedOrder {
                    order_id: id.to_string(),
                    reason: format!("no stock of this order is in {w}"),
                });
                continue;
            }
            let expected = order.version;
            let batch_of = |wh: &str| -> BatchId {
                let mut map = batches.lock().unwrap_or_else(|e| e.into_inner());
                *map.entry(wh.to_owned()).or_default()
            };
            let fx = match order.instruct(batch_of, actor, now) {
                Ok(fx) => fx,
                Err(e) => {
                    if listed {
                        skipped.push(SkippedOrder {
                            order_id: id.to_string(),
                            reason: e.to_string(),
                        });
                    }
                    continue;
                }
            };
            let mut cs = order_change(&order, expected, fx, actor);
            cs.jobs.extend(crate::drop_ship::sync_jobs(self, &order));
            let new_batches: Vec<BatchRecord> = order
                .shipments
                .iter()
                .filter_map(|s| s.batch_id.map(|b| (b, s.warehouse.clone())))
                .filter(|(b, _)| !stored.contains(b))
                .map(|(id, warehouse)| BatchRecord {
                    id,
                    warehouse,
                    created_at: now,
                })
                .collect();
            cs.batches = new_batches.clone();
            match self.store.commit(cs).await {
                Ok(()) => {}
                Err(StoreError::VersionConflict { .. } | StoreError::Conflict(_)) => {
                    skipped.push(SkippedOrder {
                        order_id: id.to_string(),
                        reason: "the order changed while instructing; try again".into(),
                    });
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            stored.extend(new_batches.iter().map(|b| b.id));
            for s in order
                .shipments
                .iter()
                .filter(|s| s.instructed_at == Some(now))
            {
                let Some(b) = s.batch_id else { continue };
                result
                    .entry(b)
                    .or_insert_with(|| InstructedBatch {
                        id: b,
                        warehouse: s.warehouse.clone(),
                        shipments: vec![],
                    })
                    .shipments
                    .push(InstructedShipment {
                        id: s.id,
                        order_id: order.id,
                        order_number: order.number,
                        lines: s.lines.clone(),
                    });
            }
        }
        Ok(InstructionResult {
            batches: result.into_values().collect(),
            skipped,
        })
    }

    async fn shipment_order(&self, id: ShipmentId) -> Result<OrderId, AppError> {
        self.store
            .order_by_shipment(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("shipment {id}")))
    }

    /// 出荷済: the warehouse shipped a shipment with this carrier and tracking number.
    pub async fn ship(
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
                Ok((
                    o.ship(
                        id,
                        carrier,
                        tracking.clone(),
                        shipped_at.unwrap_or(now),
                        actor,
                        now,
                    )?,
                    crate::drop_ship::sync_jobs(app, o),
                ))
            })
            .await?;
        metrics::counter!("juchu_shipments_shipped_total").increment(1);
        Ok(order)
    }

    /// 着荷済: a shipment was delivered (carrier event or operator record).
    pub async fn deliver(
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
            // Revenue is recognised on delivery (the default policy).
            let jobs = if o.status == OrderStatus::Delivered {
                let mut job = order_job(app, "order.recognize", o.id);
                let days = i64::from(app.policies.recognition_delay_days);
                let at = delivered_at.unwrap_or(now);
                job.available_at = at
                    .checked_add(jiff::SignedDuration::from_hours(24 * days))
                    .unwrap_or(at);
                vec![job]
            } else {
                vec![]
            };
            Ok((fx, jobs))
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
