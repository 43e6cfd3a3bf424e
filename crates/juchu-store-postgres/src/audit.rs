//! The audit log and the record of webhook deliveries (port: `juchu_store::AuditStore`).

use crate::{PostgresStore, db_err};
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_store::codec::{micros, timestamp};
use juchu_store::{AuditFilter, AuditRecord, AuditStore, Result, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

/// Rows per INSERT: 6 parameters each stays far below PostgreSQL's limit of 65,535.
const CHUNK: usize = 500;

fn record(r: &PgRow) -> Result<AuditRecord> {
    let outcome: i32 = r.try_get("outcome").map_err(db_err)?;
    Ok(AuditRecord {
        id: r.try_get("id").map_err(db_err)?,
        at: timestamp(r.try_get("at").map_err(db_err)?)?,
        actor: r.try_get("actor").map_err(db_err)?,
        action: r.try_get("action").map_err(db_err)?,
        target: r.try_get("target").map_err(db_err)?,
        outcome: u16::try_from(outcome)
            .map_err(|_| StoreError::Corrupt(format!("audit outcome {outcome}")))?,
        request_id: r.try_get("request_id").map_err(db_err)?,
    })
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, entries: &[AuditRecord]) -> Result<()> {
        let mut tx = self.begin().await?;
        for chunk in entries.chunks(CHUNK) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO audit_log (at, actor, action, target, outcome, request_id) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(micros(e.at))
                    .push_bind(&e.actor)
                    .push_bind(&e.action)
                    .push_bind(&e.target)
                    .push_bind(i32::from(e.outcome))
                    .push_bind(&e.request_id);
            });
            q.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT id, at, actor, action, target, outcome, request_id FROM audit_log WHERE 1 = 1",
        );
        if let Some(v) = &f.actor {
            q.push(" AND actor = ").push_bind(v);
        }
        if let Some(v) = &f.action {
            q.push(" AND action = ").push_bind(v);
        }
        if let Some(v) = &f.target {
            q.push(" AND target = ").push_bind(v);
        }
        if let Some(t) = f.from {
            q.push(" AND at >= ").push_bind(micros(t));
        }
        if let Some(t) = f.to {
            q.push(" AND at < ").push_bind(micros(t));
        }
        if let Some(id) = f.before_id {
            q.push(" AND id < ").push_bind(id);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit);
        let rows = q.build().fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(record).collect()
    }

    async fn claim_webhook_delivery(
        &self,
        source: &str,
        id: &str,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE received_at < $1")
            .bind(micros(forget_before))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let r = sqlx::query(
            "INSERT INTO webhook_deliveries (source, delivery_id, received_at) VALUES ($1, $2, $3)
             ON CONFLICT (source, delivery_id) DO NOTHING",
        )
        .bind(source)
        .bind(id)
        .bind(micros(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }
}
