//! The invariant checker: DOMAIN.md §4.1–4.2 against the stored rows.

use crate::{SqliteStore, db_err};
use juchu_store::Result;
use sqlx::Row;

impl SqliteStore {
    pub(crate) async fn check_invariants_impl(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let rows = sqlx::query(
            "SELECT s.warehouse, s.sku, s.on_hand, s.allocated, COALESCE(a.total, 0) AS live
             FROM stock s LEFT JOIN (SELECT warehouse, sku, SUM(quantity) AS total FROM allocations GROUP BY warehouse, sku) a
               ON a.warehouse = s.warehouse AND a.sku = s.sku
             WHERE s.allocated < 0 OR s.allocated > s.on_hand OR s.allocated <> COALESCE(a.total, 0)",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        for r in rows {
            let (w, s): (String, String) = (
                r.try_get("warehouse").map_err(db_err)?,
                r.try_get("sku").map_err(db_err)?,
            );
            let (on_hand, allocated, live): (i64, i64, i64) = (
                r.try_get("on_hand").map_err(db_err)?,
                r.try_get("allocated").map_err(db_err)?,
                r.try_get("live").map_err(db_err)?,
            );
            problems.push(format!(
                "stock {s}@{w}: on_hand {on_hand}, allocated {allocated}, live allocations {live}"
            ));
        }
        let orphans: Vec<String> = sqlx::query_scalar(
            "SELECT a.warehouse || '/' || a.sku FROM allocations a
             LEFT JOIN stock s ON s.warehouse = a.warehouse AND s.sku = a.sku
             WHERE s.sku IS NULL AND substr(a.warehouse, 1, 9) <> 'supplier:'",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        problems.extend(
            orphans
                .into_iter()
                .map(|k| format!("allocation without a stock row: {k}")),
        );
        let cancelled: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT o.id FROM orders o JOIN allocations a ON a.order_id = o.id WHERE o.status = 'cancelled'",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        problems.extend(
            cancelled
                .into_iter()
                .map(|id| format!("cancelled order {id} still holds stock")),
        );
        // Freed in the commit that cancels (bank transfers): a cancelled order expects no money.
        let accounts: Vec<String> = sqlx::query_scalar(
            "SELECT o.id || ' (' || v.account || ')' FROM orders o
             JOIN virtual_accounts v ON v.order_id = o.id WHERE o.status = 'cancelled'",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        problems.extend(
            accounts
                .into_iter()
                .map(|x| format!("cancelled order {x} still holds a virtual account")),
        );
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM orders WHERE status NOT IN ('recognized', 'cancelled')",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        for d in docs {
            let o = juchu_store::codec::order_from_json(&d)?;
            problems.extend(juchu_domain::invariants::violations(&o));
        }
        problems.extend(self.check_purchasing().await?);
        problems.extend(self.check_points().await?);
        Ok(problems)
    }
}
