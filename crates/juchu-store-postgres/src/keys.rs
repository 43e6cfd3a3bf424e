//! API keys and idempotency records.

use crate::{PostgresStore, db_err, is_unique_violation};
use jiff::Timestamp;
use juchu_store::codec::{micros, timestamp};
use juchu_store::{ApiKeyRecord, IdempotencyState, Result, StoreError};
use sqlx::Row;

/// How often `idempotency_begin` retries when the record it collided with disappears (its request
/// abandoned it) before it could be read.
const BEGIN_ATTEMPTS: usize = 3;

impl PostgresStore {
    pub(crate) async fn insert_api_key_impl(&self, k: &ApiKeyRecord) -> Result<()> {
        // One statement on its own, so the unique violation aborts nothing else.
        let r = sqlx::query(
            "INSERT INTO api_keys (id, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&k.id)
        .bind(&k.name)
        .bind(k.role.as_str())
        .bind(&k.secret_hash)
        .bind(micros(k.created_at))
        .execute(&self.pool)
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
        let row = sqlx::query("SELECT * FROM api_keys WHERE secret_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
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

    /// Three single statements instead of SQLite's "read, then write" transaction, each atomic on
    /// its own, so two requests racing for the same key never hit a unique violation: exactly one
    /// reserves, the other reads `InProgress` (or `Done`).
    pub(crate) async fn idempotency_begin_impl(
        &self,
        scope: &str,
        key: &str,
        hash: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<IdempotencyState> {
        for _ in 0..BEGIN_ATTEMPTS {
            let inserted = sqlx::query(
                "INSERT INTO idempotency (scope, key, hash, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (scope, key) DO NOTHING",
            )
            .bind(scope)
            .bind(key)
            .bind(hash)
            .bind(micros(now))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            if inserted.rows_affected() == 1 {
                return Ok(IdempotencyState::Reserved);
            }
            // A reservation whose request died long ago is taken over. The condition is in the
            // `WHERE`, so of two requests taking over the same record only the first succeeds; the
            // second re-checks the updated row, finds it fresh and reads `InProgress` below.
            let taken = sqlx::query(
                "UPDATE idempotency SET hash = $3, created_at = $4
                 WHERE scope = $1 AND key = $2 AND status IS NULL AND created_at < $5",
            )
            .bind(scope)
            .bind(key)
            .bind(hash)
            .bind(micros(now))
            .bind(micros(stale_before))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            if taken.rows_affected() == 1 {
                return Ok(IdempotencyState::Reserved);
            }
            let row = sqlx::query(
                "SELECT hash, status, body FROM idempotency WHERE scope = $1 AND key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
            let Some(r) = row else {
                // Abandoned between our insert and this read: try to reserve it again.
                continue;
            };
            let status: Option<i32> = r.try_get("status").map_err(db_err)?;
            return match status {
                Some(s) => Ok(IdempotencyState::Done {
                    hash: r.try_get("hash").map_err(db_err)?,
                    status: u16::try_from(s).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    body: r
                        .try_get::<Option<Vec<u8>>, _>("body")
                        .map_err(db_err)?
                        .unwrap_or_default(),
                }),
                None => Ok(IdempotencyState::InProgress),
            };
        }
        // The key keeps being reserved and abandoned by others: some request is working on it.
        Ok(IdempotencyState::InProgress)
    }

    pub(crate) async fn idempotency_finish_impl(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<()> {
        sqlx::query("UPDATE idempotency SET status = $1, body = $2 WHERE scope = $3 AND key = $4")
            .bind(i32::from(status))
            .bind(body)
            .bind(scope)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn idempotency_abandon_impl(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency WHERE scope = $1 AND key = $2 AND status IS NULL")
            .bind(scope)
            .bind(key)
            .execute(&self.pool)
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
        sqlx::query("UPDATE idempotency SET created_at = $1 WHERE scope = $2 AND key = $3 AND status IS NULL")
            .bind(micros(now))
            .bind(scope)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
