//! The job/outbox table: claim with a lease, retry with backoff, dead-letter.

use crate::{PostgresStore, db_err, is_unique_violation};
use jiff::Timestamp;
use juchu_store::codec::{json_value, micros};
use juchu_store::{Job, Result};
use sqlx::Row;

impl PostgresStore {
    /// `FOR UPDATE SKIP LOCKED` makes concurrent claimers (other workers, other processes) pass
    /// over rows someone is claiming instead of waiting and then claiming them a second time; a
    /// row whose lease a committed claim renewed meanwhile is re-checked against the `WHERE`
    /// when locked and dropped. `= ANY(ARRAY(…))` makes the subselect an InitPlan that runs
    /// exactly once; an `IN (…)` semi-join leaves the planner free to re-run a `LIMIT … SKIP
    /// LOCKED` subquery, which can then claim more than `limit` rows. Due jobs and lapsed leases
    /// are two ranges of the `jobs_due` index, each read in order and cut at `limit`: an `OR`
    /// over both would read and sort every due job for each claim. A row locked by one range but
    /// not chosen is unlocked at the end of the statement's transaction, and is claimed by the next
    /// claim.
    pub(crate) async fn claim_jobs_impl(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let rows = sqlx::query(
            "WITH due AS MATERIALIZED (
                 SELECT id, available_at FROM jobs
                 WHERE status = 'pending' AND available_at <= $3
                 ORDER BY available_at, id LIMIT $4
                 FOR UPDATE SKIP LOCKED),
             lapsed AS MATERIALIZED (
                 SELECT id, available_at FROM jobs
                 WHERE status = 'running' AND locked_until < $3
                 ORDER BY available_at, id LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1
             WHERE id = ANY(ARRAY(
                 SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM lapsed) c
                 ORDER BY available_at, id LIMIT $4))
             RETURNING id, kind, payload, attempts",
        )
        .bind(worker)
        .bind(micros(lease_until))
        .bind(micros(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
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
        let r = sqlx::query(
            "UPDATE jobs SET locked_until = $1
             WHERE id = ANY($2) AND locked_by = $3 AND status = 'running'",
        )
        .bind(micros(lease_until))
        .bind(ids)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    /// Each statement runs on its own (autocommit): a unique violation aborts the transaction it
    /// happens in, so the fallback could not share a transaction with the failed update.
    pub(crate) async fn fail_job_impl(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE jobs SET status = CASE WHEN $1::bigint IS NULL THEN 'dead' ELSE 'pending' END,
                 available_at = COALESCE($1, available_at), last_error = $2, locked_by = NULL, locked_until = NULL
             WHERE id = $3 AND locked_by = $4 AND status = 'running'",
        )
        .bind(retry_at.map(micros))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await;
        match r {
            Ok(_) => Ok(()),
            // Another pending job with the same de-duplication key will do the work. The lease is
            // checked again: between the two statements another worker may have taken the job
            // over (in SQLite both run in one transaction, so this cannot happen there).
            Err(e) if is_unique_violation(&e) => {
                sqlx::query(
                    "DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND status = 'running'",
                )
                .bind(id)
                .bind(worker)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }
            Err(e) => Err(db_err(e)),
        }
    }

    pub(crate) async fn job_counts_impl(&self, now: Timestamp) -> Result<Vec<(String, i64)>> {
        // Pending jobs not yet due (retries in backoff, deadlines, N-days rules) count as `scheduled`.
        let rows = sqlx::query(
            "SELECT CASE WHEN status = 'pending' AND available_at > $1 THEN 'scheduled' ELSE status END AS status,
                    COUNT(*) AS n FROM jobs GROUP BY 1 ORDER BY 1",
        )
        .bind(micros(now))
        .fetch_all(&self.pool)
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
