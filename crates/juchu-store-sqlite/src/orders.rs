use crate::{SqliteStore, db_err};
use juchu_domain::{BatchId, Order, OrderId, OrderStatus, ShipmentId};
use juchu_store::codec::{event_from_json, micros, order_from_json, timestamp};
use juchu_store::{BatchRecord, BatchSummary, EventRecord, Result, StoreError};
use sqlx::Row;

fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad id {s}")))
}

/// An `order_events` row (`seq`, `event`) of `order_id`.
fn event_record(r: &sqlx::sqlite::SqliteRow, order_id: OrderId) -> Result<EventRecord> {
    let doc: String = r.try_get("event").map_err(db_err)?;
    Ok(EventRecord {
        seq: r.try_get("seq").map_err(db_err)?,
        order_id,
        event: event_from_json(&doc)?,
    })
}

impl SqliteStore {
    pub(crate) async fn next_order_number_impl(&self) -> Result<i64> {
        let mut last = self.last_number.lock().await;
        let n = match *last {
            Some(n) => n + 1,
            None => {
                let stored: i64 = sqlx::query_scalar(
                    "SELECT MAX(n) FROM (SELECT value AS n FROM counters WHERE name = 'order_number'
                                         UNION ALL SELECT MAX(number) FROM orders)",
                )
                .fetch_one(&self.read)
                .await
                .map_err(db_err)?;
                stored + 1
            }
        };
        *last = Some(n);
        Ok(n)
    }

    pub(crate) async fn get_order_impl(&self, id: OrderId) -> Result<Option<Order>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM orders WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        doc.as_deref().map(order_from_json).transpose()
    }

    pub(crate) async fn order_by_external_id_impl(
        &self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<OrderId>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM orders WHERE channel = ? AND external_id = ?")
                .bind(channel)
                .bind(external_id)
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        id.as_deref().map(parse_id).transpose()
    }

    pub(crate) async fn order_by_shipment_impl(&self, id: ShipmentId) -> Result<Option<OrderId>> {
        let id: Option<String> = sqlx::query_scalar("SELECT order_id FROM shipments WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        id.as_deref().map(parse_id).transpose()
    }

    pub(crate) async fn orders_by_tracking_impl(
        &self,
        tracking: &str,
        limit: i64,
    ) -> Result<Vec<OrderId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT order_id FROM shipments WHERE tracking_number = ? LIMIT ?",
        )
        .bind(tracking)
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    pub(crate) async fn shipments_by_status_impl(
        &self,
        status: juchu_domain::shipment::ShipmentStatus,
        after: Option<ShipmentId>,
        limit: i64,
    ) -> Result<Vec<(ShipmentId, Order)>> {
        let rows = sqlx::query(
            "SELECT s.id, o.doc FROM shipments s JOIN orders o ON o.id = s.order_id
             WHERE s.status = ?1 AND (?2 IS NULL OR s.id > ?2)
             ORDER BY s.id LIMIT ?3",
        )
        .bind(status.as_str())
        .bind(after.map(|id| id.to_string()))
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id").map_err(db_err)?;
                let doc: String = r.try_get("doc").map_err(db_err)?;
                Ok((parse_id(&id)?, order_from_json(&doc)?))
            })
            .collect()
    }

    /// Orders per status, from the counts the triggers of migration 0014 keep.
    pub(crate) async fn count_orders_impl(&self) -> Result<Vec<(OrderStatus, i64)>> {
        let rows = sqlx::query("SELECT status, n FROM order_status_counts WHERE n <> 0")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get("status").map_err(db_err)?;
                Ok((
                    s.parse().map_err(StoreError::Corrupt)?,
                    r.try_get("n").map_err(db_err)?,
                ))
            })
            .collect()
    }

    pub(crate) async fn events_of_kinds_impl(
        &self,
        kinds: &[&str],
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<EventRecord>> {
        if kinds.is_empty() {
            return Ok(vec![]);
        }
        let marks = vec!["?"; kinds.len()].join(", ");
        let sql = format!(
            "SELECT seq, order_id, event FROM order_events
             WHERE kind IN ({marks}) AND at >= ? AND at < ? ORDER BY seq"
        );
        let mut q = sqlx::query(&sql);
        for k in kinds {
            q = q.bind(*k);
        }
        let rows = q
            .bind(micros(from))
            .bind(micros(to))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let order_id: String = r.try_get("order_id").map_err(db_err)?;
                event_record(r, parse_id(&order_id)?)
            })
            .collect()
    }

    pub(crate) async fn order_events_impl(&self, id: OrderId) -> Result<Vec<EventRecord>> {
        let rows =
            sqlx::query("SELECT seq, event FROM order_events WHERE order_id = ? ORDER BY seq")
                .bind(id.to_string())
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        rows.iter().map(|r| event_record(r, id)).collect()
    }

    pub(crate) async fn waiting_orders_impl(&self, limit: i64) -> Result<Vec<OrderId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM orders
             WHERE status IN ('unallocated', 'partially_allocated') AND on_hold = 0
             ORDER BY priority, ordered_at, number LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    pub(crate) async fn allocated_orders_impl(
        &self,
        warehouse: Option<&str>,
        include_partial: bool,
        limit: i64,
    ) -> Result<Vec<OrderId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT o.id FROM orders o
             WHERE (o.status = 'allocated' OR (?3 AND o.status = 'partially_allocated')) AND o.on_hold = 0
               AND (?1 IS NULL OR EXISTS (SELECT 1 FROM allocations a WHERE a.order_id = o.id AND a.warehouse = ?1))
             ORDER BY o.priority, o.ordered_at, o.number LIMIT ?2",
        )
        .bind(warehouse)
        .bind(limit)
        .bind(include_partial)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    pub(crate) async fn batch_impl(&self, id: BatchId) -> Result<Option<BatchRecord>> {
        let row = sqlx::query("SELECT warehouse, created_at FROM shipping_batches WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            Ok(BatchRecord {
                id,
                warehouse: r.try_get("warehouse").map_err(db_err)?,
                created_at: timestamp(r.try_get("created_at").map_err(db_err)?)?,
            })
        })
        .transpose()
    }

    pub(crate) async fn batch_orders_impl(&self, id: BatchId) -> Result<Vec<Order>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM orders WHERE id IN (SELECT order_id FROM shipments WHERE batch_id = ?) ORDER BY number",
        )
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        docs.iter().map(|d| order_from_json(d)).collect()
    }

    pub(crate) async fn recent_batches_impl(&self, limit: i64) -> Result<Vec<BatchSummary>> {
        // Newest first by id (UUID v7, so by creation) to walk the primary key, not sort the table.
        let rows = sqlx::query(
            "SELECT b.id, b.warehouse, b.created_at,
                    (SELECT COUNT(*) FROM shipments s WHERE s.batch_id = b.id AND s.status <> 'cancelled') AS shipments,
                    (SELECT COUNT(*) FROM shipments s WHERE s.batch_id = b.id AND s.status IN ('shipped', 'delivered')) AS shipped
             FROM shipping_batches b ORDER BY b.id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id").map_err(db_err)?;
                Ok(BatchSummary {
                    batch: BatchRecord {
                        id: parse_id(&id)?,
                        warehouse: r.try_get("warehouse").map_err(db_err)?,
                        created_at: timestamp(r.try_get("created_at").map_err(db_err)?)?,
                    },
                    shipments: r.try_get("shipments").map_err(db_err)?,
                    shipped: r.try_get("shipped").map_err(db_err)?,
                })
            })
            .collect()
    }
}
