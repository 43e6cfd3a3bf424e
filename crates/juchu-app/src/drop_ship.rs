//! 直送: drop-ship lines are allocated to their supplier, and the drop-ship purchase order of each
//! order and supplier follows the order (created with the allocation, sent with the shipping
//! instruction, shipped with the shipment, cancelled with the order) through the idempotent
//! `purchasing.sync` job, which commands that change the order enqueue in their own transaction.

use crate::orders::{actor_label, order_job};
use crate::{App, AppError};
use juchu_domain::order::Allocation;
use juchu_domain::purchasing::{self, is_supplier_location};
use juchu_domain::{Actor, Order, OrderId};
use juchu_store::{
    ChangeSet, NewJob, PurchaseOrderFilter, PurchaseOrderWrite, PurchasingChanges, StoreError,
};
use std::collections::HashMap;

const RETRIES: usize = 8;

/// The sync job, when the order has a drop-ship part (allocated or shipped from a supplier).
pub(crate) fn sync_jobs(app: &App, o: &Order) -> Vec<NewJob> {
    let drop_ship = o
        .allocations
        .iter()
        .map(|a| a.warehouse.as_str())
        .chain(o.shipments.iter().map(|s| s.warehouse.as_str()))
        .any(is_supplier_location);
    if drop_ship {
        vec![order_job(app, "purchasing.sync", o.id)]
    } else {
        vec![]
    }
}

impl App {
    /// The order as the stock planner should see it (`None`: the order itself) and the allocations of
    /// its waiting drop-ship lines to their suppliers.
    pub(crate) async fn split_drop_ship(
        &self,
        order: &Order,
    ) -> Result<(Option<Order>, Vec<Allocation>), AppError> {
        let mut codes: Vec<String> = order.lines.iter().map(|l| l.sku.clone()).collect();
        codes.sort();
        codes.dedup();
        let suppliers: HashMap<String, String> = self
            .store
            .get_skus(&codes)
            .await?
            .into_iter()
            .filter(|s| s.drop_ship)
            .filter_map(|s| Some((s.code, s.supplier?)))
            .collect();
        Ok(purchasing::split_drop_ship(order, &suppliers))
    }

    /// Brings the drop-ship purchase orders of one order in line with it (the `purchasing.sync` job).
    pub async fn sync_drop_ship(&self, id: OrderId) -> Result<(), AppError> {
        let actor = Actor::system("purchasing.sync");
        for _ in 0..RETRIES {
            let Some(order) = self.store.get_order(id).await? else {
                return Ok(());
            };
            let existing = self
                .store
                .list_purchase_orders(&PurchaseOrderFilter {
                    order_id: Some(id),
                    limit: 1000,
                    ..PurchaseOrderFilter::default()
                })
                .await?;
            let mut codes: Vec<String> = order.lines.iter().map(|l| l.sku.clone()).collect();
            codes.sort();
            codes.dedup();
            let lead_times: HashMap<String, i32> = self
                .store
                .get_skus(&codes)
                .await?
                .into_iter()
                .filter_map(|s| Some((s.code, s.lead_time_days?)))
                .collect();
            let sync =
                purchasing::sync_drop_ship(&order, &existing, &lead_times, &actor, self.now());
            if sync.created.is_empty() && sync.changed.is_empty() {
                return Ok(());
            }
            let mut writes: Vec<PurchaseOrderWrite> = sync
                .created
                .into_iter()
                .map(|po| PurchaseOrderWrite {
                    po,
                    expected_version: None,
                })
                .collect();
            writes.extend(sync.changed.into_iter().map(|(po, v)| PurchaseOrderWrite {
                po,
                expected_version: Some(v),
            }));
            let cs = ChangeSet {
                events: sync.events.into_iter().map(|e| (order.id, e)).collect(),
                purchasing: PurchasingChanges {
                    purchase_orders: writes,
                    ..PurchasingChanges::default()
                },
                actor: actor_label(&actor),
                ..ChangeSet::default()
            };
            match self.store.commit(cs).await {
                Ok(()) => return Ok(()),
                Err(StoreError::VersionConflict { .. } | StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy)
    }
}
