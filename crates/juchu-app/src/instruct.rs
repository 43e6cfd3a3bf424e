//! 出荷指示: shipping instructions, one batch per warehouse and one shipment per warehouse per order.

use crate::orders::order_change;
use crate::shipping::{InstructedBatch, InstructedShipment, InstructionResult, SkippedOrder};
use crate::{App, AppError};
use futures::StreamExt;
use jiff::Timestamp;
use juchu_domain::split::Prefer;
use juchu_domain::{Actor, BatchId, Order, OrderId, OrderStatus};
use juchu_store::{BatchRecord, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

const MAX_PER_CALL: i64 = 10_000;

/// Orders instructed at once. Each commits on its own; running several side by side lets their
/// commits share a transaction where the store groups commits (SQLite).
const AT_ONCE: usize = 32;

/// What one call shares between its orders: the batch of each warehouse, and the batches stored.
struct Call<'a> {
    warehouse: Option<&'a str>,
    listed: bool,
    now: Timestamp,
    actor: &'a Actor,
    batches: Mutex<BTreeMap<String, BatchId>>,
    stored: Mutex<BTreeSet<BatchId>>,
}

/// The outcome for one candidate order.
enum Outcome {
    Instructed(Box<Order>),
    Skipped(SkippedOrder),
    /// Not ready (and not listed by the caller, so nobody asked about it).
    Passed,
}

fn skipped(id: OrderId, reason: impl Into<String>) -> Outcome {
    Outcome::Skipped(SkippedOrder {
        order_id: id.to_string(),
        reason: reason.into(),
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    /// Instructs every allocated, hold-free, paid-enough order (or only `order_ids`), one batch per
    /// warehouse and one shipment per warehouse per order. Each order commits on its own; a batch is
    /// stored with its first shipment (a second insert of it is ignored), so no batch is ever empty.
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
                self.store
                    .allocated_orders(warehouse, self.policies.partial_shipments, MAX_PER_CALL)
                    .await?,
                false,
            ),
        };
        let call = Call {
            warehouse,
            listed,
            now: self.now(),
            actor,
            batches: Mutex::default(),
            stored: Mutex::default(),
        };
        // `buffered` keeps the candidates' order in the outcomes, so batches list their shipments
        // in the order the orders were chosen.
        let outcomes: Vec<Result<Outcome, AppError>> = futures::stream::iter(candidates)
            .map(|id| self.instruct_one(id, &call))
            .buffered(AT_ONCE)
            .collect()
            .await;
        let mut result: BTreeMap<BatchId, InstructedBatch> = BTreeMap::new();
        let mut skipped = Vec::new();
        let mut instructed: Vec<Order> = Vec::new();
        for outcome in outcomes {
            let order = match outcome? {
                Outcome::Instructed(order) => order,
                Outcome::Skipped(s) => {
                    skipped.push(s);
                    continue;
                }
                Outcome::Passed => continue,
            };
            for s in order
                .shipments
                .iter()
                .filter(|s| s.instructed_at == Some(call.now))
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
                        parcel_id: s.id,
                    });
            }
            if self.policies.combine_shipments {
                instructed.push(*order);
            }
        }
        let parcels = self.combine_parcels(&instructed, actor).await;
        for b in result.values_mut() {
            for s in &mut b.shipments {
                if let Some(lead) = parcels.get(&s.id) {
                    s.parcel_id = *lead;
                }
            }
        }
        Ok(InstructionResult {
            batches: result.into_values().collect(),
            skipped,
        })
    }

    /// Instructs one order and commits it (with the batch rows not stored yet).
    async fn instruct_one(&self, id: OrderId, call: &Call<'_>) -> Result<Outcome, AppError> {
        let Some(mut order) = self.store.get_order(id).await? else {
            return Ok(skipped(id, "no such order"));
        };
        // 分納: when policy allows, the allocated part becomes its own order and ships now.
        if self.policies.partial_shipments
            && order.status == OrderStatus::PartiallyAllocated
            && order.holds.is_empty()
            && order.payment.allows_shipping()
        {
            match self
                .split_order(id, &[], Prefer::Allocated, None, call.actor)
                .await
            {
                Ok((_, part)) => order = part,
                Err(e) => return Ok(skipped(id, format!("partial shipment: {e}"))),
            }
        }
        if let Some(w) = call.warehouse
            && !order.allocations.iter().any(|a| a.warehouse == w)
        {
            return Ok(skipped(id, format!("no stock of this order is in {w}")));
        }
        let expected = order.version;
        let batch_of =
            |wh: &str| -> BatchId { *lock(&call.batches).entry(wh.to_owned()).or_default() };
        let fx = match order.instruct(batch_of, call.actor, call.now) {
            Ok(fx) => fx,
            Err(e) if call.listed => return Ok(skipped(id, e.to_string())),
            Err(_) => return Ok(Outcome::Passed),
        };
        let mut cs = order_change(&order, expected, fx, call.actor);
        cs.jobs.extend(crate::drop_ship::sync_jobs(self, &order));
        let stored = lock(&call.stored).clone();
        cs.batches = order
            .shipments
            .iter()
            .filter_map(|s| s.batch_id.map(|b| (b, s.warehouse.clone())))
            .filter(|(b, _)| !stored.contains(b))
            .map(|(id, warehouse)| BatchRecord {
                id,
                warehouse,
                created_at: call.now,
            })
            .collect();
        let new_batches: Vec<BatchId> = cs.batches.iter().map(|b| b.id).collect();
        match self.store.commit(cs).await {
            Ok(()) => {}
            Err(StoreError::VersionConflict { .. } | StoreError::Conflict(_)) => {
                return Ok(skipped(
                    id,
                    "the order changed while instructing; try again",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        lock(&call.stored).extend(new_batches);
        Ok(Outcome::Instructed(Box::new(order)))
    }
}
