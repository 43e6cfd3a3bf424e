use crate::{SqliteStore, db_err};
use juchu_store::codec::timestamp;
use juchu_store::{Result, SkuRecord, StockLevel, StockMovement, StoreError, WarehouseRecord};
use sqlx::Row;

fn sku_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<SkuRecord> {
    let rate: i64 = r.try_get("tax_rate").map_err(db_err)?;
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

impl SqliteStore {
    pub(crate) async fn put_sku_impl(&self, s: &SkuRecord) -> Result<bool> {
        let mut tx = self.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM skus WHERE code = ?")
            .bind(&s.code)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .is_some();
        sqlx::query(
            "INSERT INTO skus (code, name, tax_rate, supplier, drop_ship, lead_time_days) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, tax_rate = excluded.tax_rate,
               supplier = excluded.supplier, drop_ship = excluded.drop_ship,
               lead_time_days = excluded.lead_time_days",
        )
        .bind(&s.code)
        .bind(&s.name)
        .bind(i64::from(u8::from(s.tax_rate)))
        .bind(&s.supplier)
        .bind(s.drop_ship)
        .bind(s.lead_time_days)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(!exists)
    }

    pub(crate) async fn get_skus_impl(&self, codes: &[String]) -> Result<Vec<SkuRecord>> {
        // One query for all codes: the list travels as a JSON array.
        let list = serde_json::to_string(codes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows = sqlx::query("SELECT * FROM skus WHERE code IN (SELECT value FROM json_each(?))")
            .bind(list)
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(sku_from_row).collect()
    }

    pub(crate) async fn list_skus_impl(&self) -> Result<Vec<SkuRecord>> {
        let rows = sqlx::query("SELECT * FROM skus ORDER BY code")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(sku_from_row).collect()
    }

    pub(crate) async fn put_warehouse_impl(&self, w: &WarehouseRecord) -> Result<bool> {
        let prefectures = serde_json::to_string(&w.prefectures)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM warehouses WHERE code = ?")
            .bind(&w.code)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .is_some();
        sqlx::query(
            "INSERT INTO warehouses (code, name, priority, prefectures) VALUES (?, ?, ?, ?)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, priority = excluded.priority,
               prefectures = excluded.prefectures",
        )
        .bind(&w.code)
        .bind(&w.name)
        .bind(w.priority)
        .bind(prefectures)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(!exists)
    }

    pub(crate) async fn list_warehouses_impl(&self) -> Result<Vec<WarehouseRecord>> {
        let rows = sqlx::query("SELECT * FROM warehouses ORDER BY priority, code")
            .fetch_all(&self.read)
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
             WHERE (?1 IS NULL OR sku = ?1) AND (?2 IS NULL OR warehouse = ?2)
             ORDER BY sku, warehouse",
        )
        .bind(sku)
        .bind(warehouse)
        .fetch_all(&self.read)
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
             WHERE (?1 IS NULL OR sku = ?1) AND (?2 IS NULL OR warehouse = ?2)
             ORDER BY id DESC LIMIT ?3",
        )
        .bind(sku)
        .bind(warehouse)
        .bind(limit)
        .fetch_all(&self.read)
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
