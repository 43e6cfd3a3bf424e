//! The loyalty points ledger for SQLite (port: `juchu_store::PointsStore`; movements are applied by
//! `commit`, inside its `BEGIN IMMEDIATE` transaction).

use crate::writer::{Tx, WriteSql, db_err as wdb_err, is_unique_violation as is_unique};
use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use juchu_domain::OrderId;
use juchu_domain::points::{PointsChange, PointsKind};
use juchu_store::codec::{micros, timestamp};
use juchu_store::{PointsEntry, PointsStore, Result, StoreError};
use rusqlite::{OptionalExtension, params};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

const COLUMNS: &str = "id, customer_id, at, kind, amount, order_id, expires_at, remaining, note";

fn entry(r: &SqliteRow) -> Result<PointsEntry> {
    let kind: String = r.try_get("kind").map_err(db_err)?;
    let order_id: Option<String> = r.try_get("order_id").map_err(db_err)?;
    let expires_at: Option<i64> = r.try_get("expires_at").map_err(db_err)?;
    Ok(PointsEntry {
        id: r.try_get("id").map_err(db_err)?,
        customer_id: r.try_get("customer_id").map_err(db_err)?,
        at: timestamp(r.try_get("at").map_err(db_err)?)?,
        kind: PointsKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("points kind `{kind}`")))?,
        amount: r.try_get("amount").map_err(db_err)?,
        order_id: order_id
            .map(|s| s.parse())
            .transpose()
            .map_err(|_| StoreError::Corrupt("points order id".into()))?,
        expires_at: expires_at.map(timestamp).transpose()?,
        remaining: r.try_get("remaining").map_err(db_err)?,
        note: r.try_get("note").map_err(db_err)?,
    })
}

/// Applies one movement: a credit adds to the balance and opens a lot (`remaining`); a debit is a
/// conditional update of the balance (never below zero) and takes from the soonest-expiring lots
/// first, an expiry from its own grant only.
pub(crate) fn apply(tx: &Tx, p: &PointsChange) -> Result<()> {
    let n = p.amount.checked_abs().unwrap_or(i64::MAX);
    if p.amount > 0 {
        tx.write_sql("INSERT INTO points_balances (customer_id, balance) VALUES (?, ?)
             ON CONFLICT (customer_id) DO UPDATE SET balance = points_balances.balance + excluded.balance",
            params![p.customer_id, n],
        )
        .map_err(wdb_err)?;
    } else if p.amount < 0 {
        let changed = tx.write_sql("UPDATE points_balances SET balance = balance - ?1 WHERE customer_id = ?2 AND balance >= ?1",
            params![n, p.customer_id],
        )
        .map_err(wdb_err)?;
        if changed != 1 {
            let balance: Option<i64> = tx
                .prepare_cached("SELECT balance FROM points_balances WHERE customer_id = ?")
                .and_then(|mut s| s.query_row(params![p.customer_id], |r| r.get(0)).optional())
                .map_err(wdb_err)?;
            return Err(StoreError::InsufficientPoints {
                customer_id: p.customer_id.clone(),
                balance: balance.unwrap_or(0),
                wanted: n,
            });
        }
        take_lots(tx, p, n)?;
    } else {
        return Ok(());
    }
    let r = tx.write_sql("INSERT INTO points_ledger (customer_id, at, kind, amount, order_id, expires_at, remaining, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            p.customer_id,
            micros(p.at),
            p.kind.as_str(),
            p.amount,
            p.order_id.map(|o| o.to_string()),
            p.expires_at.map(micros),
            p.amount.max(0),
            p.note
        ],
    );
    match r {
        Ok(_) => Ok(()),
        Err(e) if is_unique(&e) => Err(StoreError::Conflict(
            "the order's points were granted already".into(),
        )),
        Err(e) => Err(wdb_err(e)),
    }
}

fn take_lots(tx: &Tx, p: &PointsChange, n: i64) -> Result<()> {
    if let (PointsKind::Expire, Some(order)) = (p.kind, p.order_id) {
        let changed = tx
            .write_sql(
                "UPDATE points_ledger SET remaining = remaining - ?1
             WHERE customer_id = ?2 AND order_id = ?3 AND kind = 'grant' AND remaining >= ?1",
                params![n, p.customer_id, order.to_string()],
            )
            .map_err(wdb_err)?;
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "the points granted on order {order} changed meanwhile"
            )));
        }
        return Ok(());
    }
    let lots: Vec<(i64, i64)> = tx
        .prepare_cached(
            "SELECT id, remaining FROM points_ledger WHERE customer_id = ? AND remaining > 0
             ORDER BY (expires_at IS NULL), expires_at, id",
        )
        .and_then(|mut s| {
            s.query_map(params![p.customer_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(wdb_err)?;
    let mut left = n;
    for (id, remaining) in lots {
        if left == 0 {
            break;
        }
        let take = remaining.min(left);
        tx.write_sql(
            "UPDATE points_ledger SET remaining = remaining - ? WHERE id = ?",
            params![take, id],
        )
        .map_err(wdb_err)?;
        left -= take;
    }
    if left > 0 {
        return Err(StoreError::Corrupt(format!(
            "points of customer {}: the balance exceeds what is left of the credits",
            p.customer_id
        )));
    }
    Ok(())
}

impl SqliteStore {
    /// Invariant 6: each balance equals the sum of its ledger rows and what is left of its
    /// credits, and is not negative.
    pub(crate) async fn check_points(&self) -> Result<Vec<String>> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT l.customer_id, COALESCE(b.balance, 0), l.total, l.open
             FROM (SELECT customer_id, SUM(amount) AS total, SUM(remaining) AS open
                   FROM points_ledger GROUP BY customer_id) l
             LEFT JOIN points_balances b ON b.customer_id = l.customer_id
             WHERE COALESCE(b.balance, 0) <> l.total OR COALESCE(b.balance, 0) <> l.open
                OR COALESCE(b.balance, 0) < 0",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        let mut problems: Vec<String> = rows
            .into_iter()
            .map(|(c, balance, total, open)| {
                format!("points of customer {c}: balance {balance}, ledger sum {total}, left of credits {open}")
            })
            .collect();
        let strays: Vec<(String, i64)> = sqlx::query_as(
            "SELECT customer_id, balance FROM points_balances b
             WHERE balance < 0 OR (balance <> 0 AND NOT EXISTS
               (SELECT 1 FROM points_ledger l WHERE l.customer_id = b.customer_id))",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        problems.extend(
            strays
                .into_iter()
                .map(|(c, b)| format!("points of customer {c}: balance {b} without ledger rows")),
        );
        Ok(problems)
    }
}

#[async_trait]
impl PointsStore for SqliteStore {
    async fn points_balance(&self, customer_id: &str) -> Result<i64> {
        let b: Option<i64> =
            sqlx::query_scalar("SELECT balance FROM points_balances WHERE customer_id = ?")
                .bind(customer_id)
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        Ok(b.unwrap_or(0))
    }

    async fn points_entries(&self, customer_id: &str, limit: i64) -> Result<Vec<PointsEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM points_ledger WHERE customer_id = ? ORDER BY id DESC LIMIT ?"
        ))
        .bind(customer_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter().map(entry).collect()
    }

    async fn points_grant_of(
        &self,
        customer_id: &str,
        order: OrderId,
    ) -> Result<Option<PointsEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM points_ledger WHERE customer_id = ? AND order_id = ? AND kind = 'grant'"
        ))
        .bind(customer_id)
        .bind(order.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db_err)?;
        row.as_ref().map(entry).transpose()
    }
}
