//! Bank transfer: the virtual-account pool and deposits (port: `juchu_store::BankStore`).
//!
//! Assignment is a loop of single conditional statements (the same shape as the PostgreSQL
//! backend): the UNIQUE constraints on `account` and `order_id` decide every race, and a lost race
//! simply tries again.

use crate::{SqliteStore, db_err, is_unique_violation};
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_domain::OrderId;
use juchu_store::codec::{micros, timestamp};
use juchu_store::{AccountPool, BankStore, DepositRecord, Result, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

const ATTEMPTS: usize = 32;

fn deposit(r: &SqliteRow) -> Result<DepositRecord> {
    let order: Option<String> = r.try_get("order_id").map_err(db_err)?;
    Ok(DepositRecord {
        id: r.try_get("id").map_err(db_err)?,
        dedupe_key: r.try_get("dedupe_key").map_err(db_err)?,
        source: r.try_get("source").map_err(db_err)?,
        account: r.try_get("account").map_err(db_err)?,
        amount: r.try_get("amount").map_err(db_err)?,
        deposited_at: r.try_get("deposited_at").map_err(db_err)?,
        payer_kana: r.try_get("payer_kana").map_err(db_err)?,
        order_id: order
            .map(|s| {
                s.parse()
                    .map_err(|_| StoreError::Corrupt(format!("order id {s}")))
            })
            .transpose()?,
        received_at: timestamp(r.try_get("received_at").map_err(db_err)?)?,
    })
}

#[async_trait]
impl BankStore for SqliteStore {
    async fn assign_virtual_account(
        &self,
        order: OrderId,
        pool: &AccountPool,
        now: Timestamp,
        reusable_before: Timestamp,
    ) -> Result<Option<String>> {
        let id = order.to_string();
        let prefix = format!("{}-{}-%", pool.bank, pool.branch);
        for _ in 0..ATTEMPTS {
            let held: Option<String> =
                sqlx::query_scalar("SELECT account FROM virtual_accounts WHERE order_id = ?")
                    .bind(&id)
                    .fetch_optional(&self.write)
                    .await
                    .map_err(db_err)?;
            if held.is_some() {
                return Ok(held);
            }
            // Reuse the account that has cooled off longest, so numbers stay in a compact range.
            let reused = sqlx::query_scalar::<_, String>(
                "UPDATE virtual_accounts SET order_id = ?1, assigned_at = ?2 WHERE account = (
                     SELECT account FROM virtual_accounts
                     WHERE order_id IS NULL AND released_at <= ?3 AND account LIKE ?4
                       AND number BETWEEN ?5 AND ?6
                     ORDER BY released_at, number LIMIT 1)
                   AND order_id IS NULL
                   AND EXISTS (SELECT 1 FROM orders WHERE id = ?1 AND status = 'received')
                 RETURNING account",
            )
            .bind(&id)
            .bind(micros(now))
            .bind(micros(reusable_before))
            .bind(&prefix)
            .bind(pool.first)
            .bind(pool.last)
            .fetch_optional(&self.write)
            .await;
            match reused {
                Ok(Some(a)) => return Ok(Some(a)),
                Ok(None) => {}
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(db_err(e)),
            }
            let max: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(number) FROM virtual_accounts WHERE account LIKE ? AND number BETWEEN ? AND ?",
            )
            .bind(&prefix)
            .bind(pool.first)
            .bind(pool.last)
            .fetch_one(&self.write)
            .await
            .map_err(db_err)?;
            let next = max.map_or(pool.first, |m| m + 1);
            if next > pool.last {
                return Ok(None);
            }
            let account = pool.account(next);
            let r = sqlx::query(
                "INSERT INTO virtual_accounts (account, number, order_id, assigned_at)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM orders WHERE id = ?3 AND status = 'received')",
            )
            .bind(&account)
            .bind(next)
            .bind(&id)
            .bind(micros(now))
            .execute(&self.write)
            .await;
            match r {
                // The order left `received` (cancelled): it gets no account.
                Ok(r) if r.rows_affected() == 0 => return Ok(None),
                Ok(_) => return Ok(Some(account)),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(db_err(e)),
            }
        }
        Err(StoreError::Conflict(
            "virtual-account pool busy, try again".into(),
        ))
    }

    async fn release_virtual_account(&self, order: OrderId, now: Timestamp) -> Result<()> {
        sqlx::query(RELEASE_ACCOUNT)
            .bind(micros(now))
            .bind(order.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn account_holder(&self, account: &str) -> Result<Option<OrderId>> {
        let id: Option<Option<String>> =
            sqlx::query_scalar("SELECT order_id FROM virtual_accounts WHERE account = ?")
                .bind(account)
                .fetch_optional(&self.write)
                .await
                .map_err(db_err)?;
        id.flatten()
            .map(|s| {
                s.parse()
                    .map_err(|_| StoreError::Corrupt(format!("order id {s}")))
            })
            .transpose()
    }

    async fn insert_deposit(&self, d: &DepositRecord) -> Result<bool> {
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
        .execute(&self.write)
        .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(db_err(e)),
        }
    }

    async fn list_deposits(&self, matched: Option<bool>, limit: i64) -> Result<Vec<DepositRecord>> {
        let filter = match matched {
            None => "",
            Some(true) => "WHERE order_id IS NOT NULL",
            Some(false) => "WHERE order_id IS NULL",
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM bank_deposits {filter} ORDER BY id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter().map(deposit).collect()
    }
}

/// Frees the account an order holds (if any), from a time on (binds: the time, the order): on
/// its own through sqlx, or inside a commit through the writer (`commit.rs`).
pub(crate) const RELEASE_ACCOUNT: &str =
    "UPDATE virtual_accounts SET order_id = NULL, released_at = ? WHERE order_id = ?";
