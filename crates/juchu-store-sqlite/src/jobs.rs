//! The job/outbox table: claim with a lease, retry with backoff, dead-letter.

use crate::{SqliteStore, db_err, is_unique_violation};
use jiff::Timestamp;
use juchu_store::codec::{json_value, micros};
use juchu_store::{Job, Result, StoreError};
use sqlx::Row;

impl SqliteStore {
    /// Due jobs and jobs whose lease ran out, oldest first. Each kind is its own range of the
    /// `jobs_due (status, available_at)` index, read in order and cut at `limit` (the rowid
    /// breaks ties inside the index): one `OR` over both made SQLite read and sort every due
    /// job for each claim, so a backlog of N jobs cost O(N) per claim.
    pub(crate) async fn claim_jobs_impl(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "UPDATE jobs SET status = 'running', locked_by = ?1, locked_until = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM (
                 SELECT * FROM (SELECT id, available_at FROM jobs
                                WHERE status = 'pending' AND available_at <= ?3
                                ORDER BY available_at, id LIMIT ?4)
                 UNION ALL
                 SELECT * FROM (SELECT id, available_at FROM jobs
                                WHERE status = 'running' AND locked_until < ?3
                                ORDER BY available_at, id LIMIT ?4))
               ORDER BY available_at, id LIMIT ?4)
             RETURNING id, kind, payload, attempts",
        )
        .bind(worker)
        .bind(micros(lease_until))
        .bind(micros(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        let mut jobs = rows
            .iter()
            .map(|r| {
                let payload: String = r.try_get("payload").map_err(db_err)?;
                Ok(Job {
                    id: r.try_get("id").map_err(db_err)?,
                    kind: r.try_get("kind").map_err(db_err)?,
                    payload: json_value(&payload)?,
                    attempts: r.try_get("attempts").map_err(db_err)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    pub(crate) async fn renew_jobs_impl(
        &self,
        worker: &str,
        ids: &[i64],
        lease_until: Timestamp,
    ) -> Result<u64> {
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let r = sqlx::query(
            "UPDATE jobs SET locked_until = ?1
             WHERE id IN (SELECT value FROM json_each(?2)) AND locked_by = ?3 AND status = 'running'",
        )
        .bind(micros(lease_until))
        .bind(ids)
        .bind(worker)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    pub(crate) async fn fail_job_impl(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE jobs SET status = CASE WHEN ?1 IS NULL THEN 'dead' ELSE 'pending' END,
                 available_at = COALESCE(?1, available_at), last_error = ?2, locked_by = NULL, locked_until = NULL
             WHERE id = ?3 AND locked_by = ?4 AND status = 'running'",
        )
        .bind(retry_at.map(micros))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&mut *tx)
        .await;
        match r {
            Ok(_) => {}
            // Another pending job with the same de-duplication key will do the work.
            Err(e) if is_unique_violation(&e) => {
                sqlx::query("DELETE FROM jobs WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            Err(e) => return Err(db_err(e)),
        }
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn job_counts_impl(&self, now: Timestamp) -> Result<Vec<(String, i64)>> {
        // Pending jobs not yet due (retries in backoff, deadlines, N-days rules) count as `scheduled`.
        let rows = sqlx::query(
            "SELECT CASE WHEN status = 'pending' AND available_at > ? THEN 'scheduled' ELSE status END AS status,
                    COUNT(*) AS n FROM jobs GROUP BY 1 ORDER BY 1",
        )
        .bind(micros(now))
        .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("status").map_err(db_err)?,
                    r.try_get("n").map_err(db_err)?,
                ))
            })
            .collect()
    }
}
