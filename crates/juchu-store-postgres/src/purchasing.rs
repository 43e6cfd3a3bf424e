//! Purchase orders (発注): reads, the shortage snapshot, and their part of a change set.

use crate::{PostgresStore, db_err, is_unique_violation};
use juchu_domain::PurchaseOrderId;
use juchu_domain::purchasing::PurchaseOrder;
use juchu_store::codec::{micros, order_from_json};
use juchu_store::{
    PurchaseOrderFilter, PurchaseOrderWrite, PurchasingChanges, PurchasingSnapshot, Result,
    StockLevel, StoreError, po_from_json, po_json,
};
use sqlx::{Postgres, Row, Transaction};

type Tx = Transaction<'static, Postgres>;

const OPEN: &str = "('draft', 'sent', 'partially_received')";

impl PostgresStore {
    pub(crate) async fn get_purchase_order_impl(
        &self,
        id: PurchaseOrderId,
    ) -> Result<Option<PurchaseOrder>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM purchase_orders WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
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
             WHERE ($1::text IS NULL OR supplier = $1) AND ($2::text IS NULL OR status = $2)
               AND ($3::text IS NULL OR order_id = $3)
             ORDER BY id DESC LIMIT $4",
        )
        .bind(f.supplier.as_deref())
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.order_id.map(|id| id.to_string()))
        .bind(f.limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        docs.iter().map(|d| po_from_json(d)).collect()
    }

    /// One REPEATABLE READ, read-only transaction: every query sees the same snapshot.
    pub(crate) async fn purchasing_snapshot_impl(&self) -> Result<PurchasingSnapshot> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db_err)?;
        let version: i64 = sqlx::query_scalar("SELECT version FROM purchasing_state WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let orders: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM orders
             WHERE status IN ('unallocated', 'partially_allocated') AND NOT on_hold
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
        tx.commit().await.map_err(db_err)?;
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

    /// Problems of stored purchase orders (for the invariant checker).
    pub(crate) async fn check_purchasing(&self) -> Result<Vec<String>> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM purchase_orders")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut out = Vec::new();
        for d in docs {
            out.extend(po_from_json(&d)?.violations());
        }
        Ok(out)
    }
}

/// The purchasing part of a change set, inside its transaction: purchase orders (version-checked,
/// in id order so that two transactions lock them in the same order), the stock they receive with
/// ledger rows naming them (in (warehouse, sku) order, as the order stock), and last the
/// purchasing version.
pub(crate) async fn write(tx: &mut Tx, p: &PurchasingChanges, actor: &str, now: i64) -> Result<()> {
    let mut writes: Vec<&PurchaseOrderWrite> = p.purchase_orders.iter().collect();
    writes.sort_by_key(|w| w.po.id);
    for w in writes {
        write_po(tx, w).await?;
    }
    let mut stock: Vec<_> = p.stock.iter().collect();
    stock.sort_by(|(_, a), (_, b)| (&a.warehouse, &a.sku).cmp(&(&b.warehouse, &b.sku)));
    for (po_id, s) in stock {
        sqlx::query("INSERT INTO stock (warehouse, sku) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&s.warehouse)
            .bind(&s.sku)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        let changed = sqlx::query(
            "UPDATE stock SET on_hand = on_hand + $1, allocated = allocated + $2
             WHERE warehouse = $3 AND sku = $4
               AND on_hand + $1 >= 0 AND allocated + $2 >= 0 AND allocated + $2 <= on_hand + $1",
        )
        .bind(s.on_hand)
        .bind(s.allocated)
        .bind(&s.warehouse)
        .bind(&s.sku)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        if changed.rows_affected() != 1 {
            return Err(StoreError::InsufficientStock {
                warehouse: s.warehouse.clone(),
                sku: s.sku.clone(),
            });
        }
        sqlx::query(
            "INSERT INTO stock_movements (at, warehouse, sku, on_hand_delta, allocated_delta, reason, order_id, po_id, actor)
             VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
        )
        .bind(now)
        .bind(&s.warehouse)
        .bind(&s.sku)
        .bind(s.on_hand)
        .bind(s.allocated)
        .bind(&s.reason)
        .bind(po_id.to_string())
        .bind(actor)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    if p.bumps_version() {
        let r = sqlx::query(
            "UPDATE purchasing_state SET version = version + 1
             WHERE id = 1 AND ($1::bigint IS NULL OR version = $1)",
        )
        .bind(p.version)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        if r.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "purchase orders changed meanwhile; try again".into(),
            ));
        }
    }
    Ok(())
}

async fn write_po(tx: &mut Tx, w: &PurchaseOrderWrite) -> Result<()> {
    let po = &w.po;
    let doc = po_json(po)?;
    match w.expected_version {
        None => {
            let r = sqlx::query(
                "INSERT INTO purchase_orders (id, supplier, warehouse, status, drop_ship, order_id, version, created_at, doc)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(po.id.to_string())
            .bind(&po.supplier)
            .bind(&po.warehouse)
            .bind(po.status.as_str())
            .bind(po.drop_ship)
            .bind(po.order_id.map(|id| id.to_string()))
            .bind(po.version)
            .bind(micros(po.created_at))
            .bind(&doc)
            .execute(&mut **tx)
            .await;
            match r {
                Ok(_) => Ok(()),
                // The transaction is aborted; the caller drops it.
                Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                    "purchase order {} exists",
                    po.id
                ))),
                Err(e) => Err(db_err(e)),
            }
        }
        Some(expected) => {
            let r = sqlx::query(
                "UPDATE purchase_orders SET status = $1, version = $2, doc = $3 WHERE id = $4 AND version = $5",
            )
            .bind(po.status.as_str())
            .bind(po.version)
            .bind(&doc)
            .bind(po.id.to_string())
            .bind(expected)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
            if r.rows_affected() != 1 {
                return Err(StoreError::VersionConflict { expected });
            }
            Ok(())
        }
    }
}
