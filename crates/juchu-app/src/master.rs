//! Master data: SKUs, warehouses, stock adjustments.

use crate::{App, AppError};
use juchu_domain::intake::PREFECTURES;
use juchu_domain::stock::StockChange;
use juchu_domain::{FieldError, TaxRate};
use juchu_store::{ChangeSet, NewJob, SkuRecord, StockLevel, WarehouseRecord};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewSku {
    pub name: String,
    pub tax_rate: TaxRate,
    pub supplier: Option<String>,
    #[serde(default)]
    pub drop_ship: bool,
    /// Days from sending a purchase order until the goods arrive (0–365).
    pub lead_time_days: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewWarehouse {
    pub name: String,
    /// Lower is tried first.
    pub priority: i32,
    /// Prefectures this warehouse serves first.
    #[serde(default)]
    pub prefectures: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StockAdjustment {
    pub warehouse: String,
    pub sku: String,
    /// Units added (positive) or removed (negative).
    pub delta: i64,
    pub reason: String,
}

/// The largest number of units one adjustment may add or remove.
const MAX_ADJUSTMENT: u64 = 1_000_000_000;

/// Codes of SKUs and warehouses: 1–64 printable ASCII characters without spaces or slashes.
fn check_code(field: &str, code: &str) -> Result<(), AppError> {
    if code.is_empty() || code.len() > 64 || !code.chars().all(|c| c.is_ascii_graphic() && c != '/')
    {
        return Err(AppError::invalid(
            field,
            "must be 1–64 printable ASCII characters, no spaces or `/`",
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), AppError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("name", "must be 1–200 characters"));
    }
    Ok(())
}

/// The job that re-runs allocation for waiting orders (one pending at a time is enough).
pub(crate) fn stock_arrived_job(app: &App) -> NewJob {
    NewJob {
        kind: "stock.arrived".into(),
        payload: serde_json::json!({}),
        available_at: app.now(),
        dedupe_key: Some("stock.arrived".into()),
    }
}

impl App {
    /// Creates or replaces a SKU; `true` when created.
    pub async fn put_sku(&self, code: &str, s: NewSku) -> Result<bool, AppError> {
        check_code("sku", code)?;
        check_name(&s.name)?;
        crate::purchasing::check_supply(&s)?;
        let rec = SkuRecord {
            code: code.to_owned(),
            name: s.name.trim().to_owned(),
            tax_rate: s.tax_rate,
            supplier: s.supplier,
            drop_ship: s.drop_ship,
            lead_time_days: s.lead_time_days,
        };
        Ok(self.store.put_sku(&rec).await?)
    }

    pub async fn list_skus(&self) -> Result<Vec<SkuRecord>, AppError> {
        Ok(self.store.list_skus().await?)
    }

    /// Creates or replaces a warehouse; `true` when created.
    pub async fn put_warehouse(&self, code: &str, w: NewWarehouse) -> Result<bool, AppError> {
        check_code("code", code)?;
        if juchu_domain::purchasing::is_supplier_location(code) {
            return Err(AppError::invalid(
                "code",
                "`supplier:` names a drop-ship supplier, not a warehouse",
            ));
        }
        check_name(&w.name)?;
        let bad: Vec<FieldError> = w
            .prefectures
            .iter()
            .enumerate()
            .filter(|(_, p)| !PREFECTURES.contains(&p.as_str()))
            .map(|(i, p)| {
                FieldError::new(
                    format!("prefectures[{i}]"),
                    format!("`{p}` is not a prefecture"),
                )
            })
            .collect();
        if !bad.is_empty() {
            return Err(AppError::Invalid(bad));
        }
        let rec = WarehouseRecord {
            code: code.to_owned(),
            name: w.name.trim().to_owned(),
            priority: w.priority,
            prefectures: w.prefectures,
        };
        let created = self.store.put_warehouse(&rec).await;
        self.master.warehouses.clear();
        Ok(created?)
    }

    pub async fn list_warehouses(&self) -> Result<Vec<WarehouseRecord>, AppError> {
        Ok(self.store.list_warehouses().await?)
    }

    /// Adds or removes stock. Stock arriving re-runs allocation for waiting orders.
    pub async fn adjust_stock(
        &self,
        adj: StockAdjustment,
        actor: &str,
    ) -> Result<StockLevel, AppError> {
        let mut errors = Vec::new();
        if adj.delta == 0 {
            errors.push(FieldError::new("delta", "must not be zero"));
        } else if adj.delta.unsigned_abs() > MAX_ADJUSTMENT {
            // Beyond this the stock sums could overflow in the database (a 5xx, not a refusal).
            errors.push(FieldError::new(
                "delta",
                format!("must be between -{MAX_ADJUSTMENT} and {MAX_ADJUSTMENT}"),
            ));
        }
        if adj.reason.trim().is_empty() || adj.reason.chars().count() > 200 {
            errors.push(FieldError::new("reason", "must be 1–200 characters"));
        }
        if !self
            .store
            .list_warehouses()
            .await?
            .iter()
            .any(|w| w.code == adj.warehouse)
        {
            errors.push(FieldError::new(
                "warehouse",
                format!("unknown warehouse `{}`", adj.warehouse),
            ));
        }
        if self
            .store
            .get_skus(std::slice::from_ref(&adj.sku))
            .await?
            .is_empty()
        {
            errors.push(FieldError::new("sku", format!("unknown SKU `{}`", adj.sku)));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut cs = ChangeSet {
            actor: actor.to_owned(),
            ..ChangeSet::default()
        };
        cs.stock.push((
            None,
            StockChange {
                warehouse: adj.warehouse.clone(),
                sku: adj.sku.clone(),
                on_hand: adj.delta,
                allocated: 0,
                reason: format!("adjust: {}", adj.reason.trim()),
            },
        ));
        if adj.delta > 0 {
            cs.jobs.push(stock_arrived_job(self));
        }
        self.store.commit(cs).await?;
        self.jobs_ready.notify_one();
        let level = self
            .store
            .stock_levels(Some(&adj.sku), Some(&adj.warehouse))
            .await?;
        level
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound("stock".into()))
    }

    pub async fn stock(
        &self,
        sku: Option<&str>,
        warehouse: Option<&str>,
    ) -> Result<Vec<StockLevel>, AppError> {
        Ok(self.store.stock_levels(sku, warehouse).await?)
    }
}
