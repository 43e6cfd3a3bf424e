//! Purchase orders (発注): reads, the shortage snapshot, and their part of a change set.

use crate::writer::{Tx as WTx, WriteSql, db_err as wdb_err, is_unique_violation as is_unique};
use crate::{SqliteStore, db_err};
use juchu_domain::PurchaseOrderId;
use juchu_domain::purchasing::PurchaseOrder;
use juchu_store::codec::{micros, order_from_json};
use juchu_store::{
    PurchaseOrderFilter, PurchaseOrderWrite, PurchasingChanges, PurchasingSnapshot, Result,
    StockLevel, StoreError, po_from_json, po_json,
};
use rusqlite::params;
use sqlx::Row;

const OPEN: &str = "('draft', 'sent', 'partially_received')";

impl SqliteStore {
    pub(crate) async fn get_purchase_order_impl(
        &self,
        id: PurchaseOrderId,
    ) -> Result<Option<PurchaseOrder>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM purchase_orders WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        doc.as_deref().map(po_from_json).transpose()
    }

    pub(crate) async fn list_purchase_orders_impl(
        &self,
        f: &PurchaseOrderFilter,
    ) -> Result<Vec<PurchaseOrder>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM purchase_orders
             WHERE (?1 IS NULL OR supplier = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR order_id = ?3)
             ORDER BY id DESC LIMIT ?4",
        )
        .bind(f.supplier.as_deref())
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.order_id.map(|id| id.to_string()))
        .bind(f.limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        docs.iter().map(|d| po_from_json(d)).collect()
    }

    /// One read transaction: in WAL mode it sees one snapshot from its first read to its end.
    pub(crate) async fn purchasing_snapshot_impl(&self) -> Result<PurchasingSnapshot> {
        let mut tx = self.read.begin().await.map_err(db_err)?;
        let version: i64 = sqlx::query_scalar("SELECT version FROM purchasing_state WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let orders: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM orders
             WHERE status IN ('unallocated', 'partially_allocated') AND on_hold = 0
             ORDER BY priority, ordered_at, number",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let stock = sqlx::query("SELECT warehouse, sku, on_hand, allocated FROM stock")
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let open: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT doc FROM purchase_orders WHERE status IN {OPEN} ORDER BY id"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.rollback().await.map_err(db_err)?;
        Ok(PurchasingSnapshot {
            version,
            waiting: orders
                .iter()
                .map(|d| order_from_json(d))
                .collect::<Result<_>>()?,
            stock: stock
                .iter()
                .map(|r| {
                    Ok(StockLevel {
                        warehouse: r.try_get("warehouse").map_err(db_err)?,
                        sku: r.try_get("sku").map_err(db_err)?,
                        on_hand: r.try_get("on_hand").map_err(db_err)?,
                        allocated: r.try_get("allocated").map_err(db_err)?,
                    })
                })
                .collect::<Result<_>>()?,
            open: open
                .iter()
                .map(|d| po_from_json(d))
                .collect::<Result<_>>()?,
        })
    }

    /// Problems of stored open purchase orders (for the invariant checker).
    pub(crate) async fn check_purchasing(&self) -> Result<Vec<String>> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM purchase_orders")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let mut out = Vec::new();
        for d in docs {
            out.extend(po_from_json(&d)?.violations());
        }
        Ok(out)
    }
}

/// The purchasing part of a change set, inside its transaction: purchase orders (version-checked),
/// the stock they receive with ledger rows naming them, and the purchasing version.
pub(crate) fn write(tx: &WTx, p: &PurchasingChanges, actor: &str, now: i64) -> Result<()> {
    for w in &p.purchase_orders {
        write_po(tx, w)?;
    }
    for (po_id, s) in &p.stock {
        crate::commit::move_stock(tx, s, None, Some(po_id.to_string()), actor, now)?;
    }
    if p.bumps_version() {
        let changed = tx.write_sql("UPDATE purchasing_state SET version = version + 1 WHERE id = 1 AND (?1 IS NULL OR version = ?1)",
            params![p.version],
        )
        .map_err(wdb_err)?;
        if changed != 1 {
            return Err(StoreError::Conflict(
                "purchase orders changed meanwhile; try again".into(),
            ));
        }
    }
    Ok(())
}

fn write_po(tx: &WTx, w: &PurchaseOrderWrite) -> Result<()> {
    let po = &w.po;
    let doc = po_json(po)?;
    match w.expected_version {
        None => {
            let r = tx.write_sql("INSERT INTO purchase_orders (id, supplier, warehouse, status, drop_ship, order_id, version, created_at, doc)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    po.id.to_string(),
                    po.supplier,
                    po.warehouse,
                    po.status.as_str(),
                    po.drop_ship,
                    po.order_id.map(|id| id.to_string()),
                    po.version,
                    micros(po.created_at),
                    doc
                ],
            );
            match r {
                Ok(_) => Ok(()),
                Err(e) if is_unique(&e) => Err(StoreError::Conflict(format!(
                    "purchase order {} exists",
                    po.id
                ))),
                Err(e) => Err(wdb_err(e)),
            }
        }
        Some(expected) => {
            let changed = tx.write_sql("UPDATE purchase_orders SET status = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
                params![po.status.as_str(), po.version, doc, po.id.to_string(), expected],
            )
            .map_err(wdb_err)?;
            if changed != 1 {
                return Err(StoreError::VersionConflict { expected });
            }
            Ok(())
        }
    }
}
