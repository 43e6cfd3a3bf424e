//! The one write path for order work: a change set applied inside the writer's `BEGIN IMMEDIATE`
//! transaction ([`crate::group`]). The writer runs on its own connection (rusqlite, on a blocking
//! thread), so a change set's statements cost no thread switch each, as they would through sqlx.

use crate::writer::{Tx, WriteSql, db_err, is_unique_violation};
use juchu_domain::shipment::ShipmentStatus;
use juchu_domain::stock::StockChange;
use juchu_domain::{Order, OrderId};
use juchu_store::codec::{actor_text, event_json, micros, on_hold, order_json};
use juchu_store::{ChangeSet, OrderWrite, Result, StoreError};
use rusqlite::{OptionalExtension, params};

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

impl crate::SqliteStore {
    /// Hands the change set to the writer task ([`crate::group`]), which applies it together with
    /// the others waiting, and waits for its own outcome.
    pub(crate) async fn commit_impl(&self, cs: ChangeSet) -> Result<()> {
        self.group.commit(cs).await
    }
}

/// Applies one change set inside the writer's open transaction (the caller commits).
pub(crate) fn apply(tx: &Tx, cs: &ChangeSet) -> Result<()> {
    let now = micros(jiff::Timestamp::now());
    if let Some((job, worker)) = &cs.complete_job {
        let done = tx
            .write_sql(
                "DELETE FROM jobs WHERE id = ? AND locked_by = ? AND status = 'running'",
                params![job, worker],
            )
            .map_err(db_err)?;
        if done != 1 {
            return Err(StoreError::LeaseLost);
        }
    }
    if let Some(d) = &cs.deposit {
        let r = tx.write_sql("INSERT INTO bank_deposits (dedupe_key, source, account, amount, deposited_at, payer_kana, order_id, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                d.dedupe_key,
                d.source,
                d.account,
                d.amount,
                d.deposited_at,
                d.payer_kana,
                d.order_id.map(|o| o.to_string()),
                micros(d.received_at)
            ],
        );
        if let Err(e) = r {
            return Err(if is_unique_violation(&e) {
                StoreError::DuplicateDeposit(d.dedupe_key.clone())
            } else {
                db_err(e)
            });
        }
    }
    for w in &cs.orders {
        write_order(tx, w)?;
    }
    if let Some((order, at)) = cs.release_account {
        tx.write_sql(
            crate::bank::RELEASE_ACCOUNT,
            params![micros(at), order.to_string()],
        )
        .map_err(db_err)?;
    }
    for (order_id, e) in &cs.events {
        tx.write_sql(
            "INSERT INTO order_events (order_id, kind, at, event) VALUES (?, ?, ?, ?)",
            params![order_id.to_string(), e.kind, micros(e.at), event_json(e)?],
        )
        .map_err(db_err)?;
    }
    for (order_id, s) in &cs.stock {
        move_stock(
            tx,
            s,
            order_id.map(|id| id.to_string()),
            None,
            actor_text(&cs.actor),
            now,
        )?;
    }
    crate::purchasing::write(tx, &cs.purchasing, actor_text(&cs.actor), now)?;
    // Points: one customer's rows in the given order; customers in one global order (PostgreSQL
    // row locks queue instead of deadlocking).
    let mut points: Vec<_> = cs.points.iter().collect();
    points.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    for p in points {
        crate::points::apply(tx, p)?;
    }
    for b in &cs.batches {
        tx.write_sql(
            "INSERT INTO shipping_batches (id, warehouse, created_at) VALUES (?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
            params![b.id.to_string(), b.warehouse, micros(b.created_at)],
        )
        .map_err(db_err)?;
    }
    // A job whose key is already pending is not added again.
    for j in &cs.jobs {
        tx.write_sql("INSERT INTO jobs (kind, payload, available_at, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (dedupe_key) WHERE status = 'pending' DO NOTHING",
            params![
                j.kind,
                j.payload.to_string(),
                micros(j.available_at),
                j.dedupe_key,
                now
            ],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

fn write_order(tx: &Tx, w: &OrderWrite) -> Result<()> {
    let o = &w.order;
    let id = o.id.to_string();
    let doc = order_json(o)?;
    match w.expected_version {
        None => {
            let r = tx.write_sql("INSERT INTO orders (id, number, channel, external_id, status, version, priority, on_hold, ordered_at, search, doc,
                                     payment_method, payment_status, total)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    id,
                    o.number,
                    o.channel,
                    o.external_id,
                    o.status.as_str(),
                    o.version,
                    o.priority,
                    on_hold(o),
                    micros(o.ordered_at),
                    o.search_text(),
                    doc,
                    o.payment.method.as_str(),
                    o.payment.status.as_str(),
                    o.totals.total.minor()
                ],
            );
            match r {
                Ok(_) => {
                    tx.write_sql(
                        "UPDATE counters SET value = MAX(value, ?) WHERE name = 'order_number'",
                        params![o.number],
                    )
                    .map_err(db_err)?;
                }
                Err(e) if is_unique_violation(&e) => {
                    let existing: Option<String> = tx
                        .prepare_cached(
                            "SELECT id FROM orders WHERE channel = ? AND external_id = ?",
                        )
                        .and_then(|mut s| {
                            s.query_row(params![o.channel, o.external_id], |r| r.get(0))
                                .optional()
                        })
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
            let changed = tx.write_sql("UPDATE orders SET status = ?1, version = ?2, priority = ?3, on_hold = ?4, search = ?5, doc = ?6,
                   payment_method = ?9, payment_status = ?10, total = ?11
                 WHERE id = ?7 AND version = ?8",
                params![
                    o.status.as_str(),
                    o.version,
                    o.priority,
                    on_hold(o),
                    o.search_text(),
                    doc,
                    id,
                    expected,
                    o.payment.method.as_str(),
                    o.payment.status.as_str(),
                    o.totals.total.minor()
                ],
            )
            .map_err(db_err)?;
            if changed != 1 {
                return Err(StoreError::VersionConflict { expected });
            }
            tx.write_sql("DELETE FROM allocations WHERE order_id = ?", params![id])
                .map_err(db_err)?;
            tx.write_sql("DELETE FROM order_holds WHERE order_id = ?", params![id])
                .map_err(db_err)?;
        }
    }
    write_children(tx, o.id, o)
}

/// Allocation rows, the shipment index and the hold reasons follow the order document (their old
/// rows were removed above when the order existed).
fn write_children(tx: &Tx, id: OrderId, o: &Order) -> Result<()> {
    let id = id.to_string();
    for h in &o.holds {
        tx.write_sql(
            "INSERT INTO order_holds (order_id, code) VALUES (?, ?) ON CONFLICT DO NOTHING",
            params![id, h.code.as_str()],
        )
        .map_err(db_err)?;
    }
    for a in o.allocations.iter().filter(|a| a.quantity > 0) {
        tx.write_sql("INSERT INTO allocations (order_id, line_id, warehouse, sku, quantity) VALUES (?, ?, ?, ?, ?)",
            params![id, a.line_id.to_string(), a.warehouse, a.sku, a.quantity],
        )
        .map_err(db_err)?;
    }
    for s in &o.shipments {
        tx.write_sql("INSERT INTO shipments (id, order_id, batch_id, warehouse, status, tracking_number) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET batch_id = excluded.batch_id, status = excluded.status,
               tracking_number = excluded.tracking_number",
            params![
                s.id.to_string(),
                id,
                s.batch_id.map(|b| b.to_string()),
                s.warehouse,
                shipment_status(s.status),
                s.tracking_number
            ],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

/// One stock change and its ledger row (naming the order or the purchase order behind it). The
/// update is conditional: stock never goes below zero nor below what is allocated, else the whole
/// change set fails with `InsufficientStock`.
pub(crate) fn move_stock(
    tx: &Tx,
    s: &StockChange,
    order_id: Option<String>,
    po_id: Option<String>,
    actor: &str,
    now: i64,
) -> Result<()> {
    if s.on_hand > 0 {
        // Stock arriving where there is no row yet; taking from a missing row fails below.
        tx.write_sql(
            "INSERT INTO stock (warehouse, sku) VALUES (?, ?) ON CONFLICT DO NOTHING",
            params![s.warehouse, s.sku],
        )
        .map_err(db_err)?;
    }
    let changed = tx
        .write_sql(
            "UPDATE stock SET on_hand = on_hand + ?1, allocated = allocated + ?2
             WHERE warehouse = ?3 AND sku = ?4
               AND on_hand + ?1 >= 0 AND allocated + ?2 >= 0 AND allocated + ?2 <= on_hand + ?1",
            params![s.on_hand, s.allocated, s.warehouse, s.sku],
        )
        .map_err(db_err)?;
    if changed != 1 {
        return Err(StoreError::InsufficientStock {
            warehouse: s.warehouse.clone(),
            sku: s.sku.clone(),
        });
    }
    tx.write_sql("INSERT INTO stock_movements (at, warehouse, sku, on_hand_delta, allocated_delta, reason, order_id, po_id, actor)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![now, s.warehouse, s.sku, s.on_hand, s.allocated, s.reason, order_id, po_id, actor],
    )
    .map_err(db_err)?;
    Ok(())
}
