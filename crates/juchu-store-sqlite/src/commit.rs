//! The one write path for order work: a change set applied in one `BEGIN IMMEDIATE` transaction.

use crate::{SqliteStore, db_err, is_unique_violation};
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::{Order, OrderId};
use juchu_store::codec::{actor_text, event_json, micros, on_hold, order_json};
use juchu_store::{ChangeSet, OrderWrite, Result, StoreError};
use sqlx::{QueryBuilder, Sqlite, Transaction};

type Tx = Transaction<'static, Sqlite>;

fn shipment_status(s: ShipmentStatus) -> &'static str {
    match s {
        ShipmentStatus::Pending => "pending",
        ShipmentStatus::Instructed => "instructed",
        ShipmentStatus::CancelRequested => "cancel_requested",
        ShipmentStatus::Shipped => "shipped",
        ShipmentStatus::Delivered => "delivered",
        ShipmentStatus::Cancelled => "cancelled",
    }
}

impl SqliteStore {
    /// Hands the change set to the writer task ([`crate::group`]), which applies it together with
    /// the others waiting, and waits for its own outcome.
    pub(crate) async fn commit_impl(&self, cs: ChangeSet) -> Result<()> {
        self.group.commit(cs).await
    }
}

/// Applies one change set inside the writer's open transaction (the caller commits).
pub(crate) async fn apply(tx: &mut Tx, cs: &ChangeSet) -> Result<()> {
    let now = micros(jiff::Timestamp::now());
    if let Some((job, worker)) = &cs.complete_job {
        let done =
            sqlx::query("DELETE FROM jobs WHERE id = ? AND locked_by = ? AND status = 'running'")
                .bind(job)
                .bind(worker)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::LeaseLost);
        }
    }
    if let Some(d) = &cs.deposit {
        let r = sqlx::query(
                "INSERT INTO bank_deposits (dedupe_key, source, account, amount, deposited_at, payer_kana, order_id, received_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&d.dedupe_key)
            .bind(&d.source)
            .bind(&d.account)
            .bind(d.amount)
            .bind(&d.deposited_at)
            .bind(&d.payer_kana)
            .bind(d.order_id.map(|o| o.to_string()))
            .bind(micros(d.received_at))
            .execute(&mut **tx)
            .await;
        match r {
            Ok(_) => {}
            Err(e) if crate::is_unique_violation(&e) => {
                return Err(StoreError::DuplicateDeposit(d.dedupe_key.clone()));
            }
            Err(e) => return Err(db_err(e)),
        }
    }
    for w in &cs.orders {
        write_order(tx, w).await?;
    }
    if let Some((order, at)) = cs.release_account {
        crate::bank::release_account(&mut **tx, order, at).await?;
    }
    insert_events(tx, &cs.events).await?;
    for (order_id, s) in &cs.stock {
        if s.on_hand > 0 {
            sqlx::query("INSERT INTO stock (warehouse, sku) VALUES (?, ?) ON CONFLICT DO NOTHING")
                .bind(&s.warehouse)
                .bind(&s.sku)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        }
        let changed = sqlx::query(
                "UPDATE stock SET on_hand = on_hand + ?1, allocated = allocated + ?2
                 WHERE warehouse = ?3 AND sku = ?4
                   AND on_hand + ?1 >= 0 AND allocated + ?2 >= 0 AND allocated + ?2 <= on_hand + ?1",
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
                "INSERT INTO stock_movements (at, warehouse, sku, on_hand_delta, allocated_delta, reason, order_id, actor)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(now)
            .bind(&s.warehouse)
            .bind(&s.sku)
            .bind(s.on_hand)
            .bind(s.allocated)
            .bind(&s.reason)
            .bind(order_id.map(|id| id.to_string()))
            .bind(actor_text(&cs.actor))
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    crate::purchasing::write(tx, &cs.purchasing, actor_text(&cs.actor), now).await?;
    // Points: one customer's rows in the given order; customers in one global order (PostgreSQL
    // row locks queue instead of deadlocking).
    let mut points: Vec<_> = cs.points.iter().collect();
    points.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    for p in points {
        crate::points::apply(tx, p).await?;
    }
    for b in &cs.batches {
        sqlx::query(
            "INSERT INTO shipping_batches (id, warehouse, created_at) VALUES (?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(b.id.to_string())
        .bind(&b.warehouse)
        .bind(micros(b.created_at))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    insert_jobs(tx, &cs.jobs, now).await
}

/// Rows per multi-row `INSERT` (well under SQLite's limit of bound values).
const ROWS_PER_INSERT: usize = 500;

/// The change set's events, in their given order, a few statements for all (each statement is a
/// round trip to the connection's thread).
async fn insert_events(tx: &mut Tx, events: &[(OrderId, juchu_domain::Event)]) -> Result<()> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut rows = Vec::with_capacity(chunk.len());
        for (order_id, e) in chunk {
            rows.push((order_id.to_string(), &e.kind, micros(e.at), event_json(e)?));
        }
        let mut b: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO order_events (order_id, kind, at, event) ");
        b.push_values(rows, |mut row, (order_id, kind, at, event)| {
            row.push_bind(order_id)
                .push_bind(kind)
                .push_bind(at)
                .push_bind(event);
        });
        b.build().execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

/// The change set's jobs; a job whose key is already pending is not added again.
async fn insert_jobs(tx: &mut Tx, jobs: &[juchu_store::NewJob], now: i64) -> Result<()> {
    for chunk in jobs.chunks(ROWS_PER_INSERT) {
        let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO jobs (kind, payload, available_at, dedupe_key, created_at) ",
        );
        b.push_values(chunk, |mut row, j| {
            row.push_bind(&j.kind)
                .push_bind(j.payload.to_string())
                .push_bind(micros(j.available_at))
                .push_bind(&j.dedupe_key)
                .push_bind(now);
        });
        b.push(" ON CONFLICT (dedupe_key) WHERE status = 'pending' DO NOTHING");
        b.build().execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

async fn write_order(tx: &mut Tx, w: &OrderWrite) -> Result<()> {
    let o = &w.order;
    let id = o.id.to_string();
    let doc = order_json(o)?;
    match w.expected_version {
        None => {
            let r = sqlx::query(
                "INSERT INTO orders (id, number, channel, external_id, status, version, priority, on_hold, ordered_at, search, doc,
                                     payment_method, payment_status, total)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .bind(&id)
            .bind(o.number)
            .bind(&o.channel)
            .bind(&o.external_id)
            .bind(o.status.as_str())
            .bind(o.version)
            .bind(o.priority)
            .bind(on_hold(o))
            .bind(micros(o.ordered_at))
            .bind(o.search_text())
            .bind(&doc)
            .bind(o.payment.method.as_str())
            .bind(o.payment.status.as_str())
            .bind(o.totals.total.minor())
            .execute(&mut **tx)
            .await;
            match r {
                Ok(_) => {
                    sqlx::query(
                        "UPDATE counters SET value = MAX(value, ?) WHERE name = 'order_number'",
                    )
                    .bind(o.number)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                }
                Err(e) if is_unique_violation(&e) => {
                    let existing: Option<String> = sqlx::query_scalar(
                        "SELECT id FROM orders WHERE channel = ? AND external_id = ?",
                    )
                    .bind(&o.channel)
                    .bind(&o.external_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?;
                    return Err(match existing {
                        Some(existing) => StoreError::DuplicateOrder { existing },
                        None => StoreError::Conflict(format!("order {id} exists")),
                    });
                }
                Err(e) => return Err(db_err(e)),
            }
        }
        Some(expected) => {
            let r = sqlx::query(
                "UPDATE orders SET status = ?1, version = ?2, priority = ?3, on_hold = ?4, search = ?5, doc = ?6,
                   payment_method = ?9, payment_status = ?10, total = ?11
                 WHERE id = ?7 AND version = ?8",
            )
            .bind(o.status.as_str())
            .bind(o.version)
            .bind(o.priority)
            .bind(on_hold(o))
            .bind(o.search_text())
            .bind(&doc)
            .bind(&id)
            .bind(expected)
            .bind(o.payment.method.as_str())
            .bind(o.payment.status.as_str())
            .bind(o.totals.total.minor())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
            if r.rows_affected() != 1 {
                return Err(StoreError::VersionConflict { expected });
            }
            sqlx::query("DELETE FROM allocations WHERE order_id = ?")
                .bind(&id)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        }
    }
    write_children(tx, o.id, o, w.expected_version.is_none()).await
}

/// Allocation rows, the shipment index and the hold reasons follow the order document (a new
/// order has no old hold rows to remove).
async fn write_children(tx: &mut Tx, id: OrderId, o: &Order, new: bool) -> Result<()> {
    if !new {
        sqlx::query("DELETE FROM order_holds WHERE order_id = ?")
            .bind(id.to_string())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    for h in &o.holds {
        sqlx::query(
            "INSERT INTO order_holds (order_id, code) VALUES (?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(h.code.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    for a in o.allocations.iter().filter(|a| a.quantity > 0) {
        sqlx::query(
            "INSERT INTO allocations (order_id, line_id, warehouse, sku, quantity) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(a.line_id.to_string())
        .bind(&a.warehouse)
        .bind(&a.sku)
        .bind(a.quantity)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    for s in &o.shipments {
        sqlx::query(
            "INSERT INTO shipments (id, order_id, batch_id, warehouse, status, tracking_number) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET batch_id = excluded.batch_id, status = excluded.status,
               tracking_number = excluded.tracking_number",
        )
        .bind(s.id.to_string())
        .bind(id.to_string())
        .bind(s.batch_id.map(|b| b.to_string()))
        .bind(&s.warehouse)
        .bind(shipment_status(s.status))
        .bind(&s.tracking_number)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}
