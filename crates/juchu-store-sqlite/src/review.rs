//! Order review storage for SQLite (port: `juchu_store::ReviewStore`).

use crate::{SqliteStore, db_err, is_unique_violation};
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_domain::review::{BlacklistKind, PostalEntry};
use juchu_store::codec::{micros, timestamp};
use juchu_store::{BlacklistRecord, Result, ReviewStore, StoreError};
use sqlx::Row;

#[async_trait]
impl ReviewStore for SqliteStore {
    async fn get_setting(&self, name: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)
    }

    async fn put_setting(&self, name: &str, value: &str, at: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(value)
        .bind(micros(at))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn insert_blacklist(&self, e: &BlacklistRecord) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO blacklist (id, kind, value, reason, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.id)
        .bind(e.kind.as_str())
        .bind(&e.value)
        .bind(&e.reason)
        .bind(micros(e.created_at))
        .bind(&e.created_by)
        .execute(&self.write)
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict(format!(
                "{} `{}` is on the blacklist already",
                e.kind.as_str(),
                e.value
            ))),
            Err(err) => Err(db_err(err)),
        }
    }

    async fn list_blacklist(&self) -> Result<Vec<BlacklistRecord>> {
        let rows = sqlx::query(
            "SELECT id, kind, value, reason, created_at, created_by FROM blacklist ORDER BY created_at, id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind").map_err(db_err)?;
                Ok(BlacklistRecord {
                    id: r.try_get("id").map_err(db_err)?,
                    kind: BlacklistKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("blacklist kind {kind}")))?,
                    value: r.try_get("value").map_err(db_err)?,
                    reason: r.try_get("reason").map_err(db_err)?,
                    created_at: timestamp(r.try_get("created_at").map_err(db_err)?)?,
                    created_by: r.try_get("created_by").map_err(db_err)?,
                })
            })
            .collect()
    }

    async fn delete_blacklist(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM blacklist WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() > 0)
    }

    async fn customer_order_count(&self, customer_id: Option<&str>, email: &str) -> Result<i64> {
        // Orders are JSON documents; this scan runs only when the first-order rule is on.
        let q = match customer_id {
            Some(_) => "SELECT COUNT(*) FROM orders WHERE json_extract(doc, '$.customer.id') = ?",
            None => {
                "SELECT COUNT(*) FROM orders WHERE lower(json_extract(doc, '$.customer.email')) = lower(?)"
            }
        };
        sqlx::query_scalar(q)
            .bind(customer_id.unwrap_or(email))
            .fetch_one(&self.read)
            .await
            .map_err(db_err)
    }

    async fn postal_lookup(&self, code: &str) -> Result<Vec<PostalEntry>> {
        let rows = sqlx::query(
            "SELECT code, jis, prefecture, city, town FROM postal_codes WHERE code = ? ORDER BY seq",
        )
        .bind(code)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(PostalEntry {
                    code: r.try_get("code").map_err(db_err)?,
                    jis: r.try_get("jis").map_err(db_err)?,
                    prefecture: r.try_get("prefecture").map_err(db_err)?,
                    city: r.try_get("city").map_err(db_err)?,
                    town: r.try_get("town").map_err(db_err)?,
                })
            })
            .collect()
    }

    async fn postal_loaded(&self) -> Result<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM postal_codes)")
            .fetch_one(&self.read)
            .await
            .map_err(db_err)
    }

    async fn postal_clear(&self) -> Result<()> {
        sqlx::query("DELETE FROM postal_codes")
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn postal_insert(&self, rows: &[PostalEntry]) -> Result<()> {
        let mut tx = self.begin().await?;
        // Multi-row INSERTs, staying under SQLite's limit of bound parameters per statement.
        for chunk in rows.chunks(150) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO postal_codes (code, jis, prefecture, city, town) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(&e.code)
                    .push_bind(&e.jis)
                    .push_bind(&e.prefecture)
                    .push_bind(&e.city)
                    .push_bind(&e.town);
            });
            qb.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }
}
