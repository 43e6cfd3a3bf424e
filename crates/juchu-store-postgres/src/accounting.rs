//! Closed accounting months (port: `juchu_store::AccountingStore`).

use crate::{PostgresStore, db_err};
use async_trait::async_trait;
use juchu_store::codec::{micros, timestamp};
use juchu_store::{AccountingStore, MonthClose, Result};
use sqlx::Row;

#[async_trait]
impl AccountingStore for PostgresStore {
    async fn close_month(&self, c: &MonthClose) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO month_closes (month, closed_at, closed_by, summary) VALUES ($1, $2, $3, $4)
             ON CONFLICT (month) DO NOTHING",
        )
        .bind(&c.month)
        .bind(micros(c.closed_at))
        .bind(&c.closed_by)
        .bind(&c.summary)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn month_closes(&self) -> Result<Vec<MonthClose>> {
        let rows = sqlx::query(
            "SELECT month, closed_at, closed_by, summary FROM month_closes ORDER BY month DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(MonthClose {
                    month: r.try_get("month").map_err(db_err)?,
                    closed_at: timestamp(r.try_get("closed_at").map_err(db_err)?)?,
                    closed_by: r.try_get("closed_by").map_err(db_err)?,
                    summary: r.try_get("summary").map_err(db_err)?,
                })
            })
            .collect()
    }
}
