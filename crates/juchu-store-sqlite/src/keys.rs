//! API keys and idempotency records.

use crate::{SqliteStore, db_err, is_unique_violation};
use jiff::Timestamp;
use juchu_store::codec::{micros, timestamp};
use juchu_store::{ApiKeyRecord, IdempotencyState, Result, StoreError};
use sqlx::Row;

impl SqliteStore {
    pub(crate) async fn insert_api_key_impl(&self, k: &ApiKeyRecord) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO api_keys (id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&k.id)
        .bind(&k.name)
        .bind(k.role.as_str())
        .bind(&k.secret_hash)
        .bind(micros(k.created_at))
        .execute(&self.write)
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(
                "an API key with this secret exists".into(),
            )),
            Err(e) => Err(db_err(e)),
        }
    }

    pub(crate) async fn api_key_by_hash_impl(&self, hash: &str) -> Result<Option<ApiKeyRecord>> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE secret_hash = ?")
            .bind(hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            let role: String = r.try_get("role").map_err(db_err)?;
            Ok(ApiKeyRecord {
                id: r.try_get("id").map_err(db_err)?,
                name: r.try_get("name").map_err(db_err)?,
                role: role.parse().map_err(StoreError::Corrupt)?,
                secret_hash: r.try_get("secret_hash").map_err(db_err)?,
                created_at: timestamp(r.try_get("created_at").map_err(db_err)?)?,
            })
        })
        .transpose()
    }

    pub(crate) async fn idempotency_begin_impl(
        &self,
        scope: &str,
        key: &str,
        hash: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<IdempotencyState> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT hash, status, body, created_at FROM idempotency WHERE scope = ? AND key = ?",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let state = match row {
            Some(r) => {
                let status: Option<i64> = r.try_get("status").map_err(db_err)?;
                let created: i64 = r.try_get("created_at").map_err(db_err)?;
                match status {
                    Some(s) => IdempotencyState::Done {
                        hash: r.try_get("hash").map_err(db_err)?,
                        status: u16::try_from(s).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        body: r.try_get("body").map_err(db_err)?,
                    },
                    // A reservation whose request died long ago is taken over.
                    None if created < micros(stale_before) => {
                        sqlx::query("UPDATE idempotency SET hash = ?, created_at = ? WHERE scope = ? AND key = ?")
                            .bind(hash)
                            .bind(micros(now))
                            .bind(scope)
                            .bind(key)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        IdempotencyState::Reserved
                    }
                    None => IdempotencyState::InProgress,
                }
            }
            None => {
                sqlx::query(
                    "INSERT INTO idempotency (scope, key, hash, created_at) VALUES (?, ?, ?, ?)",
                )
                .bind(scope)
                .bind(key)
                .bind(hash)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                IdempotencyState::Reserved
            }
        };
        tx.commit().await.map_err(db_err)?;
        Ok(state)
    }

    pub(crate) async fn idempotency_finish_impl(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<()> {
        sqlx::query("UPDATE idempotency SET status = ?, body = ? WHERE scope = ? AND key = ?")
            .bind(i64::from(status))
            .bind(body)
            .bind(scope)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn idempotency_abandon_impl(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency WHERE scope = ? AND key = ? AND status IS NULL")
            .bind(scope)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn idempotency_touch_impl(
        &self,
        scope: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency SET created_at = ? WHERE scope = ? AND key = ? AND status IS NULL",
        )
        .bind(micros(now))
        .bind(scope)
        .bind(key)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
