//! SKUs, warehouses and the stock views.

use crate::{PostgresStore, db_err};
use juchu_store::codec::timestamp;
use juchu_store::{Result, SkuRecord, StockLevel, StockMovement, StoreError, WarehouseRecord};
use sqlx::Row;
use sqlx::postgres::PgRow;

fn sku_from_row(r: &PgRow) -> Result<SkuRecord> {
    let rate: i32 = r.try_get("tax_rate").map_err(db_err)?;
    Ok(SkuRecord {
        code: r.try_get("code").map_err(db_err)?,
        name: r.try_get("name").map_err(db_err)?,
        tax_rate: u8::try_from(rate)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .try_into()
            .map_err(StoreError::Corrupt)?,
        supplier: r.try_get("supplier").map_err(db_err)?,
        drop_ship: r.try_get("drop_ship").map_err(db_err)?,
        lead_time_days: r.try_get("lead_time_days").map_err(db_err)?,
    })
}

impl PostgresStore {
    /// Insert first and update only when the insert found the row: unlike "select, then upsert",
    /// this tells "created" from "replaced" correctly when two requests put the same code at once
    /// (exactly one of them sees its insert take effect). Master rows are never deleted, so the
    /// update always finds the row.
    pub(crate) async fn put_sku_impl(&self, s: &SkuRecord) -> Result<bool> {
        let rate = i32::from(u8::from(s.tax_rate));
        let created = sqlx::query(
            "INSERT INTO skus (code, name, tax_rate, supplier, drop_ship, lead_time_days) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(&s.code)
        .bind(&s.name)
        .bind(rate)
        .bind(&s.supplier)
        .bind(s.drop_ship)
        .bind(s.lead_time_days)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query(
                "UPDATE skus SET name = $2, tax_rate = $3, supplier = $4, drop_ship = $5, lead_time_days = $6
                 WHERE code = $1",
            )
            .bind(&s.code)
            .bind(&s.name)
            .bind(rate)
            .bind(&s.supplier)
            .bind(s.drop_ship)
            .bind(s.lead_time_days)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        }
        Ok(created)
    }

    pub(crate) async fn get_skus_impl(&self, codes: &[String]) -> Result<Vec<SkuRecord>> {
        // One round trip; `unnest … WITH ORDINALITY` keeps the order (and repeats) of `codes`,
        // as the SQLite store's one-query-per-code loop does.
        let rows = sqlx::query(
            "SELECT s.* FROM unnest($1::text[]) WITH ORDINALITY AS c (code, n)
             JOIN skus s ON s.code = c.code ORDER BY c.n",
        )
        .bind(codes)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(sku_from_row).collect()
    }

    pub(crate) async fn list_skus_impl(&self) -> Result<Vec<SkuRecord>> {
        let rows = sqlx::query("SELECT * FROM skus ORDER BY code")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(sku_from_row).collect()
    }

    /// Same insert-then-update as [`Self::put_sku_impl`].
    pub(crate) async fn put_warehouse_impl(&self, w: &WarehouseRecord) -> Result<bool> {
        let prefectures = serde_json::to_string(&w.prefectures)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let created = sqlx::query(
            "INSERT INTO warehouses (code, name, priority, prefectures) VALUES ($1, $2, $3, $4)
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(&w.code)
        .bind(&w.name)
        .bind(w.priority)
        .bind(&prefectures)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected()
            == 1;
        if !created {
            sqlx::query(
                "UPDATE warehouses SET name = $2, priority = $3, prefectures = $4 WHERE code = $1",
            )
            .bind(&w.code)
            .bind(&w.name)
            .bind(w.priority)
            .bind(&prefectures)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        }
        Ok(created)
    }

    pub(crate) async fn list_warehouses_impl(&self) -> Result<Vec<WarehouseRecord>> {
        let rows = sqlx::query("SELECT * FROM warehouses ORDER BY priority, code")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let p: String = r.try_get("prefectures").map_err(db_err)?;
                Ok(WarehouseRecord {
                    code: r.try_get("code").map_err(db_err)?,
                    name: r.try_get("name").map_err(db_err)?,
                    priority: r.try_get("priority").map_err(db_err)?,
                    prefectures: serde_json::from_str(&p)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    pub(crate) async fn stock_levels_impl(
        &self,
        sku: Option<&str>,
        warehouse: Option<&str>,
    ) -> Result<Vec<StockLevel>> {
        let rows = sqlx::query(
            "SELECT warehouse, sku, on_hand, allocated FROM stock
             WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR warehouse = $2)
             ORDER BY sku, warehouse",
        )
        .bind(sku)
        .bind(warehouse)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(StockLevel {
                    warehouse: r.try_get("warehouse").map_err(db_err)?,
                    sku: r.try_get("sku").map_err(db_err)?,
                    on_hand: r.try_get("on_hand").map_err(db_err)?,
                    allocated: r.try_get("allocated").map_err(db_err)?,
                })
            })
            .collect()
    }

    pub(crate) async fn stock_movements_impl(
        &self,
        sku: Option<&str>,
        warehouse: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StockMovement>> {
        let rows = sqlx::query(
            "SELECT * FROM stock_movements
             WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR warehouse = $2)
             ORDER BY id DESC LIMIT $3",
        )
        .bind(sku)
        .bind(warehouse)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let order_id: Option<String> = r.try_get("order_id").map_err(db_err)?;
                Ok(StockMovement {
                    id: r.try_get("id").map_err(db_err)?,
                    at: timestamp(r.try_get("at").map_err(db_err)?)?,
                    warehouse: r.try_get("warehouse").map_err(db_err)?,
                    sku: r.try_get("sku").map_err(db_err)?,
                    on_hand_delta: r.try_get("on_hand_delta").map_err(db_err)?,
                    allocated_delta: r.try_get("allocated_delta").map_err(db_err)?,
                    reason: r.try_get("reason").map_err(db_err)?,
                    order_id: order_id.and_then(|s| s.parse().ok()),
                    po_id: r
                        .try_get::<Option<String>, _>("po_id")
                        .map_err(db_err)?
                        .and_then(|s| s.parse().ok()),
                    actor: r.try_get("actor").map_err(db_err)?,
                })
            })
            .collect()
    }
}
