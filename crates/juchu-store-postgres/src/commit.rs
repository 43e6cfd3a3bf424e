//! The one write path for order work: a change set applied in one transaction.

use crate::{PostgresStore, db_err, is_unique_violation};
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::stock::StockChange;
use juchu_domain::{Order, OrderId};
use juchu_store::codec::{actor_text, event_json, micros, on_hold, order_json};
use juchu_store::{ChangeSet, OrderWrite, Result, StoreError};
use sqlx::{Postgres, Transaction};

type Tx = Transaction<'static, Postgres>;

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

impl PostgresStore {
    pub(crate) async fn commit_impl(&self, cs: ChangeSet) -> Result<()> {
        let now = micros(jiff::Timestamp::now());
        let mut tx = self.begin().await?;
        if let Some((job, worker)) = &cs.complete_job {
            let done = sqlx::query(
                "DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND status = 'running'",
            )
            .bind(job)
            .bind(worker)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if done.rows_affected() != 1 {
                return Err(StoreError::LeaseLost);
            }
        }
        if let Some(d) = &cs.deposit {
            let r = sqlx::query(
                "INSERT INTO bank_deposits (dedupe_key, source, account, amount, deposited_at, payer_kana, order_id, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&d.dedupe_key)
            .bind(&d.source)
            .bind(&d.account)
            .bind(d.amount)
            .bind(&d.deposited_at)
            .bind(&d.payer_kana)
            .bind(d.order_id.map(|o| o.to_string()))
            .bind(micros(d.received_at))
            .execute(&mut *tx)
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
            write_order(&mut tx, w).await?;
        }
        if let Some((order, at)) = cs.release_account {
            crate::bank::release_account(&mut *tx, order, at).await?;
        }
        insert_events(&mut tx, &cs.events).await?;
        // Row locks on stock are taken in one global order, (warehouse, sku), so two change sets
        // touching the same rows queue instead of deadlocking. The sort is stable: changes to the
        // same row keep their given order, which is what the bounds checks depend on, so the end
        // state is the one the given order produces.
        let mut stock: Vec<&(Option<OrderId>, StockChange)> = cs.stock.iter().collect();
        stock.sort_by(|(_, a), (_, b)| (&a.warehouse, &a.sku).cmp(&(&b.warehouse, &b.sku)));
        for (order_id, s) in stock {
            apply_stock(&mut tx, *order_id, s, actor_text(&cs.actor), now).await?;
        }
        crate::purchasing::write(&mut tx, &cs.purchasing, actor_text(&cs.actor), now).await?;
        // Points: one customer's rows in the given order; customers in one global order (PostgreSQL
        // row locks queue instead of deadlocking).
        let mut points: Vec<_> = cs.points.iter().collect();
        points.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        for p in points {
            crate::points::apply(&mut tx, p).await?;
        }
        for b in &cs.batches {
            sqlx::query(
                "INSERT INTO shipping_batches (id, warehouse, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(b.id.to_string())
            .bind(&b.warehouse)
            .bind(micros(b.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        insert_jobs(&mut tx, &cs.jobs, now).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// The change set's events in one statement, in their given order (`seq` follows it).
async fn insert_events(tx: &mut Tx, events: &[(OrderId, juchu_domain::Event)]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut orders = Vec::with_capacity(events.len());
    let mut kinds = Vec::with_capacity(events.len());
    let mut ats = Vec::with_capacity(events.len());
    let mut docs = Vec::with_capacity(events.len());
    for (order_id, e) in events {
        orders.push(order_id.to_string());
        kinds.push(e.kind.clone());
        ats.push(micros(e.at));
        docs.push(event_json(e)?);
    }
    sqlx::query(
        "INSERT INTO order_events (order_id, kind, at, event)
         SELECT o, k, a, e FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[])
              WITH ORDINALITY AS t(o, k, a, e, n)
         ORDER BY n",
    )
    .bind(orders)
    .bind(kinds)
    .bind(ats)
    .bind(docs)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The change set's jobs in one statement; a job whose key is already pending is not added again.
async fn insert_jobs(tx: &mut Tx, jobs: &[juchu_store::NewJob], now: i64) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
    let payloads: Vec<String> = jobs.iter().map(|j| j.payload.to_string()).collect();
    let available: Vec<i64> = jobs.iter().map(|j| micros(j.available_at)).collect();
    let keys: Vec<Option<&str>> = jobs.iter().map(|j| j.dedupe_key.as_deref()).collect();
    sqlx::query(
        "INSERT INTO jobs (kind, payload, available_at, dedupe_key, created_at)
         SELECT k, p, a, d, $5 FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[])
              WITH ORDINALITY AS t(k, p, a, d, n)
         ORDER BY n
         ON CONFLICT (dedupe_key) WHERE status = 'pending' DO NOTHING",
    )
    .bind(kinds)
    .bind(payloads)
    .bind(available)
    .bind(keys)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A conditional update: the bounds are checked by the `WHERE`, so a concurrent change between
/// our read and this write can never push stock below zero; 0 rows means not enough stock.
async fn apply_stock(
    tx: &mut Tx,
    order_id: Option<OrderId>,
    s: &StockChange,
    actor: &str,
    now: i64,
) -> Result<()> {
    if s.on_hand > 0 {
        sqlx::query("INSERT INTO stock (warehouse, sku) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&s.warehouse)
            .bind(&s.sku)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
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
        "INSERT INTO stock_movements (at, warehouse, sku, on_hand_delta, allocated_delta, reason, order_id, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now)
    .bind(&s.warehouse)
    .bind(&s.sku)
    .bind(s.on_hand)
    .bind(s.allocated)
    .bind(&s.reason)
    .bind(order_id.map(|id| id.to_string()))
    .bind(actor)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn write_order(tx: &mut Tx, w: &OrderWrite) -> Result<()> {
    let o = &w.order;
    let id = o.id.to_string();
    let doc = order_json(o)?;
    match w.expected_version {
        None => {
            // `ON CONFLICT … DO NOTHING` instead of catching the unique violation: a failed
            // statement would abort the whole transaction, and the lookup below could not run.
            // It waits for a concurrent insert of the same key to finish, and at READ COMMITTED
            // the next statement's snapshot sees the committed winner.
            let r = sqlx::query(
                "INSERT INTO orders (id, number, channel, external_id, status, version, priority, on_hold, ordered_at, search, doc,
                                     payment_method, payment_status, total)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT (channel, external_id) DO NOTHING",
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
                Ok(r) if r.rows_affected() == 1 => {}
                Ok(_) => {
                    let existing: Option<String> = sqlx::query_scalar(
                        "SELECT id FROM orders WHERE channel = $1 AND external_id = $2",
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
                // The id or the number is taken (the transaction is aborted; it is dropped).
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!("order {id} exists")));
                }
                Err(e) => return Err(db_err(e)),
            }
        }
        Some(expected) => {
            let r = sqlx::query(
                "UPDATE orders SET status = $1, version = $2, priority = $3, on_hold = $4, search = $5, doc = $6,
                   payment_method = $9, payment_status = $10, total = $11
                 WHERE id = $7 AND version = $8",
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
            sqlx::query("DELETE FROM allocations WHERE order_id = $1")
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
        sqlx::query("DELETE FROM order_holds WHERE order_id = $1")
            .bind(id.to_string())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    for h in &o.holds {
        sqlx::query(
            "INSERT INTO order_holds (order_id, code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(h.code.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    for a in o.allocations.iter().filter(|a| a.quantity > 0) {
        sqlx::query(
            "INSERT INTO allocations (order_id, line_id, warehouse, sku, quantity) VALUES ($1, $2, $3, $4, $5)",
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
            "INSERT INTO shipments (id, order_id, batch_id, warehouse, status, tracking_number) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET batch_id = EXCLUDED.batch_id, status = EXCLUDED.status,
               tracking_number = EXCLUDED.tracking_number",
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
