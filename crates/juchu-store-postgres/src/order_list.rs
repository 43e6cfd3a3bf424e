//! The order list: filters, sorts and keyset pages (`OrderFilter`), and counts for the console's
//! home. `q` is a LIKE on `search`, which the pg_trgm GIN index (migration 0011) serves for three
//! characters or more.

use crate::{PostgresStore, db_err};
use juchu_domain::{HoldCode, Order};
use juchu_store::codec::{like_pattern, micros, order_from_json};
use juchu_store::{HoldFilter, OrderFilter, OrderSort, Result, StoreError};
use sqlx::{Postgres, QueryBuilder, Row};

impl PostgresStore {
    pub(crate) async fn list_orders_impl(&self, f: &OrderFilter) -> Result<Vec<Order>> {
        let mut b: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT o.doc FROM orders o WHERE 1 = 1");
        if let Some(s) = f.status {
            b.push(" AND o.status = ").push_bind(s.as_str());
        }
        if let Some(c) = &f.channel {
            b.push(" AND o.channel = ").push_bind(c.clone());
        }
        if let Some(q) = &f.q {
            b.push(" AND o.search LIKE ")
                .push_bind(like_pattern(q))
                .push(" ESCAPE '\\'");
        }
        if let Some(m) = f.payment_method {
            b.push(" AND o.payment_method = ").push_bind(m.as_str());
        }
        if let Some(s) = f.payment_status {
            b.push(" AND o.payment_status = ").push_bind(s.as_str());
        }
        match f.hold {
            None => {}
            Some(HoldFilter::None) => {
                b.push(" AND NOT o.on_hold");
            }
            Some(HoldFilter::Any) => {
                b.push(" AND o.on_hold AND o.status <> 'cancelled'");
            }
            Some(HoldFilter::Code(code)) => {
                b.push(" AND o.status <> 'cancelled' AND EXISTS (SELECT 1 FROM order_holds h WHERE h.order_id = o.id AND h.code = ")
                    .push_bind(code.as_str())
                    .push(")");
            }
        }
        if let Some(w) = &f.warehouse {
            b.push(" AND (EXISTS (SELECT 1 FROM allocations a WHERE a.order_id = o.id AND a.warehouse = ")
                .push_bind(w.clone())
                .push(") OR EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.warehouse = ")
                .push_bind(w.clone())
                .push("))");
        }
        if let Some(t) = f.ordered_from {
            b.push(" AND o.ordered_at >= ").push_bind(micros(t));
        }
        if let Some(t) = f.ordered_before {
            b.push(" AND o.ordered_at < ").push_bind(micros(t));
        }
        let key = match f.sort {
            OrderSort::Created => None,
            OrderSort::OrderedAt => Some("o.ordered_at"),
            OrderSort::Number => Some("o.number"),
            OrderSort::Total => Some("o.total"),
        };
        let (cmp, dir) = if f.ascending {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        if let Some(after) = f.after {
            match key {
                None => b
                    .push(format!(" AND o.id {cmp} "))
                    .push_bind(after.id.to_string()),
                Some(k) => b
                    .push(format!(" AND ({k}, o.id) {cmp} ("))
                    .push_bind(after.key)
                    .push(", ")
                    .push_bind(after.id.to_string())
                    .push(")"),
            };
        }
        match key {
            None => b.push(format!(" ORDER BY o.id {dir}")),
            Some(k) => b.push(format!(" ORDER BY {k} {dir}, o.id {dir}")),
        };
        b.push(" LIMIT ").push_bind(f.limit);
        let docs: Vec<String> = b
            .build_query_scalar()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        docs.iter().map(|d| order_from_json(d)).collect()
    }

    pub(crate) async fn count_holds_impl(&self) -> Result<Vec<(HoldCode, i64)>> {
        let rows = sqlx::query(
            "SELECT h.code, COUNT(*) AS n FROM order_holds h JOIN orders o ON o.id = h.order_id
             WHERE o.status <> 'cancelled' GROUP BY h.code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("code").map_err(db_err)?;
                let code = HoldCode::parse(&code)
                    .ok_or_else(|| StoreError::Corrupt(format!("hold code {code}")))?;
                Ok((code, r.try_get("n").map_err(db_err)?))
            })
            .collect()
    }
}
