//! Storage records of purchase orders (発注). Purchase orders are JSON documents like orders, with
//! the columns that queries need; they are written by [`crate::Store::commit`] in the same
//! transaction as the stock they receive.

use crate::StoreError;
use juchu_domain::purchasing::{PoStatus, PurchaseOrder};
use juchu_domain::stock::StockChange;
use juchu_domain::{Order, OrderId, PurchaseOrderId};

use crate::StockLevel;

/// A purchase order to write: a new one (`expected_version: None`) or a change to the stored one,
/// which must still have `expected_version`.
#[derive(Debug, Clone)]
pub struct PurchaseOrderWrite {
    pub po: PurchaseOrder,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct PurchaseOrderFilter {
    pub supplier: Option<String>,
    pub status: Option<PoStatus>,
    pub order_id: Option<OrderId>,
    /// Newest first, at most this many.
    pub limit: i64,
}

/// What the shortage run reads, in one consistent snapshot.
#[derive(Debug, Clone, Default)]
pub struct PurchasingSnapshot {
    /// The purchasing version: a change set that names it in
    /// [`crate::ChangeSet::purchasing_version`] commits only if no purchase order for a warehouse
    /// was written since.
    pub version: i64,
    /// Hold-free orders waiting for stock (`unallocated`, `partially_allocated`).
    pub waiting: Vec<Order>,
    pub stock: Vec<StockLevel>,
    /// Open purchase orders (draft, sent, partially received).
    pub open: Vec<PurchaseOrder>,
}

/// Purchase-order writes of one change set, with the stock they receive.
#[derive(Debug, Clone, Default)]
pub struct PurchasingChanges {
    pub purchase_orders: Vec<PurchaseOrderWrite>,
    /// Stock changes caused by a purchase order (receipts); ledger rows name the purchase order.
    pub stock: Vec<(PurchaseOrderId, StockChange)>,
    /// Commit only if the purchasing version is still this (see [`PurchasingSnapshot::version`]).
    pub version: Option<i64>,
}

impl PurchasingChanges {
    pub fn is_empty(&self) -> bool {
        self.purchase_orders.is_empty() && self.stock.is_empty() && self.version.is_none()
    }

    /// Whether the commit must move the purchasing version: a purchase order for a warehouse is
    /// written (drop-ship ones do not change what shortages need), or a version is expected.
    pub fn bumps_version(&self) -> bool {
        self.version.is_some() || self.purchase_orders.iter().any(|w| !w.po.drop_ship)
    }
}

pub fn po_json(po: &PurchaseOrder) -> Result<String, StoreError> {
    serde_json::to_string(po)
        .map_err(|e| StoreError::Corrupt(format!("purchase order {}: {e}", po.id)))
}

pub fn po_from_json(doc: &str) -> Result<PurchaseOrder, StoreError> {
    serde_json::from_str(doc)
        .map_err(|e| StoreError::Corrupt(format!("purchase order document: {e}")))
}
