//! 発注 for shortages: orders waiting for stock of a SKU with a supplier become purchase-order lines
//! for that supplier, net of what open purchase orders already cover (see
//! `juchu_domain::purchasing::shortages`). Policy `purchase_orders`: `immediate` sends a purchase
//! order at once; `batched` collects lines in one draft per supplier and the `purchasing.send` job
//! sends the drafts at `purchase_order_times` (Asia/Tokyo), read through the app clock.
//!
//! The shortage run reads one snapshot and commits only if no purchase order for a warehouse was
//! written since (the purchasing version), so two runs never order the same shortage twice.

use crate::orders::actor_label;
use crate::{App, AppError};
use jiff::Timestamp;
use juchu_domain::Actor;
use juchu_domain::OrderId;
use juchu_domain::purchasing::{
    PoOrigin, PoStatus, PurchaseOrder, PurchaseOrderMode, SkuSupply, next_send_time, shortages,
};
use juchu_store::{
    ChangeSet, NewJob, PurchaseOrderFilter, PurchaseOrderWrite, PurchasingChanges, StoreError,
};
use std::collections::HashMap;

const RETRIES: usize = 8;

/// The shortage run (one pending at a time is enough: it orders the whole balance).
pub(crate) fn replenish_job(app: &App) -> NewJob {
    NewJob {
        kind: "purchasing.replenish".into(),
        payload: serde_json::json!({}),
        available_at: app.now(),
        dedupe_key: Some("purchasing.replenish".into()),
    }
}

/// The job that sends batched drafts at `at`.
fn send_job(at: Timestamp) -> NewJob {
    NewJob {
        kind: "purchasing.send".into(),
        payload: serde_json::json!({}),
        available_at: at,
        dedupe_key: Some("purchasing.send".into()),
    }
}

impl App {
    /// After an allocation attempt: when the order still waits for units of a SKU that a supplier
    /// replenishes, a shortage run is enqueued.
    pub async fn request_replenishment(&self, id: OrderId) -> Result<(), AppError> {
        let Some(order) = self.store.get_order(id).await? else {
            return Ok(());
        };
        if !order.ready_for_allocation(&self.policies) {
            return Ok(());
        }
        let mut short: Vec<String> = order
            .lines
            .iter()
            .filter(|l| l.unallocated_quantity() > 0)
            .map(|l| l.sku.clone())
            .collect();
        short.sort();
        short.dedup();
        let supplied = self
            .store
            .get_skus(&short)
            .await?
            .iter()
            .any(|s| s.supplier.is_some() && !s.drop_ship);
        if supplied {
            let cs = ChangeSet {
                jobs: vec![replenish_job(self)],
                ..ChangeSet::default()
            };
            self.store.commit(cs).await?;
            self.jobs_ready.notify_one();
        }
        Ok(())
    }

    /// The warehouse purchase orders deliver to: the configured one, else the first by priority.
    pub(crate) async fn receiving_warehouse(&self) -> Result<Option<String>, AppError> {
        let warehouses = self.store.list_warehouses().await?;
        if let Some(w) = &self.policies.purchase_order_warehouse
            && warehouses.iter().any(|x| &x.code == w)
        {
            return Ok(Some(w.clone()));
        }
        Ok(warehouses.into_iter().next().map(|w| w.code))
    }

    /// The shortage run (the `purchasing.replenish` job). Returns how many lines it ordered.
    pub async fn replenish(&self) -> Result<usize, AppError> {
        let actor = Actor::system("purchasing.replenish");
        for _ in 0..RETRIES {
            let snap = self.store.purchasing_snapshot().await?;
            let waiting: Vec<&juchu_domain::Order> = snap
                .waiting
                .iter()
                .filter(|o| o.ready_for_allocation(&self.policies))
                .collect();
            let mut codes: Vec<String> = waiting
                .iter()
                .flat_map(|o| o.lines.iter().map(|l| l.sku.clone()))
                .collect();
            codes.sort();
            codes.dedup();
            let supply: HashMap<String, SkuSupply> = self
                .store
                .get_skus(&codes)
                .await?
                .into_iter()
                .filter(|s| !s.drop_ship)
                .filter_map(|s| {
                    let supplier = s.supplier?;
                    Some((
                        s.code,
                        SkuSupply {
                            supplier,
                            name: s.name,
                            lead_time_days: s.lead_time_days,
                        },
                    ))
                })
                .collect();
            if supply.is_empty() {
                return Ok(0);
            }
            let mut available: HashMap<String, i64> = HashMap::new();
            for s in &snap.stock {
                *available.entry(s.sku.clone()).or_default() += (s.on_hand - s.allocated).max(0);
            }
            let lines = shortages(&waiting, &available, &snap.open, &supply);
            if lines.is_empty() {
                return Ok(0);
            }
            let Some(warehouse) = self.receiving_warehouse().await? else {
                tracing::warn!(
                    "stock is short but there is no warehouse to deliver purchase orders to"
                );
                return Ok(0);
            };
            let now = self.now();
            let send_at = match self.policies.purchase_orders {
                PurchaseOrderMode::Immediate => None,
                PurchaseOrderMode::Batched => {
                    next_send_time(now, &self.policies.purchase_order_times)
                }
            };
            let mut writes: Vec<PurchaseOrderWrite> = Vec::new();
            let mut suppliers: Vec<&str> = lines.iter().map(|l| l.supplier.as_str()).collect();
            suppliers.dedup();
            for supplier in suppliers {
                let draft = send_at.and_then(|_| {
                    snap.open.iter().find(|p| {
                        p.status == PoStatus::Draft
                            && p.origin == PoOrigin::Shortage
                            && p.supplier == supplier
                            && p.warehouse == warehouse
                    })
                });
                let (mut po, expected) = match draft {
                    Some(p) => (p.clone(), Some(p.version)),
                    None => (
                        PurchaseOrder::draft(supplier, &warehouse, PoOrigin::Shortage, &actor, now),
                        None,
                    ),
                };
                let mut added = Vec::new();
                for l in lines.iter().filter(|l| l.supplier == supplier) {
                    po.add_line(&l.sku, &l.name, l.quantity, l.lead_time_days, None)?;
                    added.push((l.sku.clone(), l.quantity));
                }
                po.note_lines_added(&added, &actor, now);
                if send_at.is_none() {
                    po.send(&actor, now)?;
                }
                writes.push(PurchaseOrderWrite {
                    po,
                    expected_version: expected,
                });
            }
            let cs = ChangeSet {
                purchasing: PurchasingChanges {
                    purchase_orders: writes,
                    stock: Vec::new(),
                    version: Some(snap.version),
                },
                jobs: send_at.map(send_job).into_iter().collect(),
                actor: actor_label(&actor),
                ..ChangeSet::default()
            };
            match self.store.commit(cs).await {
                Ok(()) => {
                    metrics::counter!("juchu_purchase_order_lines_total")
                        .increment(lines.len() as u64);
                    self.jobs_ready.notify_one();
                    return Ok(lines.len());
                }
                Err(StoreError::VersionConflict { .. } | StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy)
    }

    /// Sends every batched shortage draft (the `purchasing.send` job, due at a sending time).
    pub async fn send_batched_purchase_orders(&self) -> Result<usize, AppError> {
        let actor = Actor::system("purchasing.send");
        let drafts = self
            .store
            .list_purchase_orders(&PurchaseOrderFilter {
                status: Some(PoStatus::Draft),
                limit: 10_000,
                ..PurchaseOrderFilter::default()
            })
            .await?;
        let mut sent = 0;
        for d in drafts.iter().filter(|d| d.origin == PoOrigin::Shortage) {
            let po = self
                .change_po(d.id, &actor, |po, app| {
                    if po.status == PoStatus::Draft {
                        po.send(&actor, app.now())?;
                    }
                    Ok((vec![], vec![]))
                })
                .await?;
            if po.status == PoStatus::Sent {
                sent += 1;
            }
        }
        Ok(sent)
    }
}
