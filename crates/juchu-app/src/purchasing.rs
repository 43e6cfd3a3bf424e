//! Purchase orders (発注) an operator or a warehouse drives: create by hand, send, receive (full or
//! partial: stock arrives with ledger rows naming the purchase order, and waiting orders are
//! allocated again), cancel, and the supplier's shipment report of a drop-ship purchase order.

use crate::orders::actor_label;
use crate::{App, AppError};
use jiff::Timestamp;
use juchu_domain::carrier::Carrier;
use juchu_domain::purchasing::{
    MAX_QUANTITY, PoOrigin, PoStatus, PurchaseError, PurchaseOrder, is_supplier_location,
};
use juchu_domain::stock::StockChange;
use juchu_domain::{Actor, FieldError, PurchaseOrderId};
use juchu_store::{
    ChangeSet, NewJob, PurchaseOrderFilter, PurchaseOrderWrite, PurchasingChanges, StoreError,
};
use serde::Deserialize;

const RETRIES: usize = 8;

/// `POST /api/v1/purchase-orders`: a purchase order made by hand.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewPurchaseOrder {
    pub supplier: String,
    /// The warehouse the goods are delivered to.
    pub warehouse: String,
    pub lines: Vec<PoLineRequest>,
    /// Send it at once (default: it stays a draft until `POST …/send`).
    #[serde(default)]
    pub send: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PoLineRequest {
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default)]
pub struct PurchaseOrderQuery {
    pub supplier: Option<String>,
    pub status: Option<String>,
    pub order_id: Option<String>,
    pub limit: Option<i64>,
}

impl From<PurchaseError> for AppError {
    fn from(e: PurchaseError) -> Self {
        match e {
            PurchaseError::Invalid { field, message } => {
                AppError::Invalid(vec![FieldError { field, message }])
            }
            PurchaseError::NotAllowed { .. } => AppError::InvalidTransition {
                status: None,
                detail: e.to_string(),
            },
        }
    }
}

fn refuse(detail: impl Into<String>) -> AppError {
    AppError::InvalidTransition {
        status: None,
        detail: detail.into(),
    }
}

/// Supplier codes: 1–64 characters, no control characters, no surrounding spaces.
pub(crate) fn supplier_code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.trim() == code
        && code.chars().count() <= 64
        && !code.chars().any(char::is_control)
}

impl App {
    pub async fn purchase_order(&self, id: PurchaseOrderId) -> Result<PurchaseOrder, AppError> {
        self.store
            .get_purchase_order(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("purchase order {id}")))
    }

    /// Newest first.
    pub async fn list_purchase_orders(
        &self,
        q: PurchaseOrderQuery,
    ) -> Result<Vec<PurchaseOrder>, AppError> {
        let mut errors = Vec::new();
        let limit = q.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            errors.push(FieldError::new("limit", "must be between 1 and 500"));
        }
        let status = match q.status.as_deref() {
            None | Some("") => None,
            Some(s) => PoStatus::parse(s).or_else(|| {
                errors.push(FieldError::new(
                    "status",
                    "must be one of draft, sent, partially_received, received, shipped, cancelled",
                ));
                None
            }),
        };
        let order_id = match q.order_id.as_deref() {
            None | Some("") => None,
            Some(s) => s.parse().ok().or_else(|| {
                errors.push(FieldError::new("order_id", "is not an order id"));
                None
            }),
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let filter = PurchaseOrderFilter {
            supplier: q.supplier.filter(|s| !s.is_empty()),
            status,
            order_id,
            limit,
        };
        Ok(self.store.list_purchase_orders(&filter).await?)
    }

    /// A purchase order made by hand, delivered to a warehouse.
    pub async fn create_purchase_order(
        &self,
        req: NewPurchaseOrder,
        actor: &Actor,
    ) -> Result<PurchaseOrder, AppError> {
        let mut errors = Vec::new();
        if !supplier_code_ok(&req.supplier) {
            errors.push(FieldError::new(
                "supplier",
                "must be 1–64 characters without control characters or surrounding spaces",
            ));
        }
        if !self
            .store
            .list_warehouses()
            .await?
            .iter()
            .any(|w| w.code == req.warehouse)
        {
            errors.push(FieldError::new(
                "warehouse",
                format!("unknown warehouse `{}`", req.warehouse),
            ));
        }
        if req.lines.is_empty() || req.lines.len() > 1000 {
            errors.push(FieldError::new("lines", "must list 1–1000 lines"));
        }
        let codes: Vec<String> = req.lines.iter().map(|l| l.sku.clone()).collect();
        let skus = self.store.get_skus(&codes).await?;
        let now = self.now();
        let mut po =
            PurchaseOrder::draft(&req.supplier, &req.warehouse, PoOrigin::Manual, actor, now);
        for (i, l) in req.lines.iter().enumerate() {
            let Some(sku) = skus.iter().find(|s| s.code == l.sku) else {
                errors.push(FieldError::new(
                    format!("lines[{i}].sku"),
                    format!("unknown SKU `{}`", l.sku),
                ));
                continue;
            };
            if sku.drop_ship {
                errors.push(FieldError::new(
                    format!("lines[{i}].sku"),
                    "a drop-ship SKU has no warehouse stock to order",
                ));
            } else if !(1..=MAX_QUANTITY).contains(&l.quantity) {
                errors.push(FieldError::new(
                    format!("lines[{i}].quantity"),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            } else if let Err(e) =
                po.add_line(&sku.code, &sku.name, l.quantity, sku.lead_time_days, None)
            {
                errors.push(FieldError::new(
                    format!("lines[{i}].quantity"),
                    e.to_string(),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if req.send {
            po.send(actor, now)?;
        }
        let cs = ChangeSet {
            purchasing: PurchasingChanges {
                purchase_orders: vec![PurchaseOrderWrite {
                    po: po.clone(),
                    expected_version: None,
                }],
                ..PurchasingChanges::default()
            },
            actor: actor_label(actor),
            ..ChangeSet::default()
        };
        self.store.commit(cs).await?;
        Ok(po)
    }

    /// Applies `f` to the current purchase order and commits it with its stock changes and jobs in
    /// one transaction; re-reads and retries when it changed meanwhile.
    pub(crate) async fn change_po<F>(
        &self,
        id: PurchaseOrderId,
        actor: &Actor,
        f: F,
    ) -> Result<PurchaseOrder, AppError>
    where
        F: Fn(&mut PurchaseOrder, &App) -> Result<(Vec<StockChange>, Vec<NewJob>), AppError>,
    {
        for _ in 0..RETRIES {
            let mut po = self.purchase_order(id).await?;
            let expected = po.version;
            let (stock, jobs) = f(&mut po, self)?;
            if po.version == expected {
                return Ok(po);
            }
            let wake = !jobs.is_empty();
            let cs = ChangeSet {
                purchasing: PurchasingChanges {
                    purchase_orders: vec![PurchaseOrderWrite {
                        po: po.clone(),
                        expected_version: Some(expected),
                    }],
                    stock: stock.into_iter().map(|s| (po.id, s)).collect(),
                    version: None,
                },
                jobs,
                actor: actor_label(actor),
                ..ChangeSet::default()
            };
            match self.store.commit(cs).await {
                Ok(()) => {
                    if wake {
                        self.jobs_ready.notify_one();
                    }
                    return Ok(po);
                }
                Err(StoreError::VersionConflict { .. } | StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy)
    }

    /// Sends a draft to the supplier. Drop-ship purchase orders go out with the order's shipping
    /// instruction instead.
    pub async fn send_purchase_order(
        &self,
        id: PurchaseOrderId,
        actor: &Actor,
    ) -> Result<PurchaseOrder, AppError> {
        self.change_po(id, actor, |po, app| {
            if po.drop_ship {
                return Err(refuse(
                    "a drop-ship purchase order is sent with the order's shipping instruction",
                ));
            }
            po.send(actor, app.now())?;
            Ok((vec![], vec![]))
        })
        .await
    }

    /// Goods arrived (full or partial): stock is added to the purchase order's warehouse and
    /// allocation re-runs for waiting orders (the `stock.arrived` job).
    pub async fn receive_purchase_order(
        &self,
        id: PurchaseOrderId,
        lines: &[(String, i64)],
        actor: &Actor,
    ) -> Result<PurchaseOrder, AppError> {
        let po = self
            .change_po(id, actor, |po, app| {
                let stock = po.receive(lines, actor, app.now())?;
                Ok((stock, vec![crate::master::stock_arrived_job(app)]))
            })
            .await?;
        metrics::counter!("juchu_purchase_order_receipts_total").increment(1);
        Ok(po)
    }

    /// Cancels a draft or sent purchase order with nothing received. A drop-ship purchase order
    /// follows its order: cancel the order instead.
    pub async fn cancel_purchase_order(
        &self,
        id: PurchaseOrderId,
        reason: &str,
        actor: &Actor,
    ) -> Result<PurchaseOrder, AppError> {
        if reason.trim().is_empty() || reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "must be 1–500 characters"));
        }
        self.change_po(id, actor, |po, app| {
            if po.drop_ship {
                return Err(refuse(
                    "a drop-ship purchase order follows its order; cancel the order instead",
                ));
            }
            po.cancel(reason.trim(), actor, app.now())?;
            Ok((vec![], vec![]))
        })
        .await
    }

    /// The supplier's shipment report of a drop-ship purchase order: ships the order's shipment from
    /// the supplier (capture etc. as for a warehouse shipment), then the purchase order follows.
    pub async fn ship_purchase_order(
        &self,
        id: PurchaseOrderId,
        carrier: Carrier,
        tracking_number: &str,
        shipped_at: Option<Timestamp>,
        actor: &Actor,
    ) -> Result<PurchaseOrder, AppError> {
        let po = self.purchase_order(id).await?;
        if !po.drop_ship || !is_supplier_location(&po.warehouse) {
            return Err(refuse(
                "only a drop-ship purchase order ships; record goods arriving at a warehouse as a receipt",
            ));
        }
        let (Some(order_id), Some(shipment)) = (po.order_id, po.shipment_id) else {
            return Err(refuse(format!(
                "the purchase order is {}: it ships once the order is instructed and the purchase order sent",
                po.status.as_str()
            )));
        };
        if po.status != PoStatus::Sent {
            return Err(refuse(format!(
                "the purchase order is {}; only a sent one can ship",
                po.status.as_str()
            )));
        }
        self.ship(shipment, carrier, tracking_number, shipped_at, None, actor)
            .await?;
        self.sync_drop_ship(order_id).await?;
        self.purchase_order(id).await
    }
}

/// The purchasing fields of a SKU: a valid supplier code, a supplier for drop-ship SKUs, a lead time
/// of 0–365 days.
pub(crate) fn check_supply(s: &crate::NewSku) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if let Some(code) = &s.supplier
        && !supplier_code_ok(code)
    {
        errors.push(FieldError::new(
            "supplier",
            "must be 1–64 characters without control characters or surrounding spaces",
        ));
    }
    if s.drop_ship && s.supplier.is_none() {
        errors.push(FieldError::new(
            "drop_ship",
            "a drop-ship SKU needs a supplier to ship it",
        ));
    }
    if let Some(d) = s.lead_time_days
        && !(0..=365).contains(&d)
    {
        errors.push(FieldError::new(
            "lead_time_days",
            "must be between 0 and 365",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}
