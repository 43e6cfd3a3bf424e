//! The PostgreSQL backend, for several juchu processes sharing one database. Transactions run at
//! READ COMMITTED (the default): every write that could race is a conditional statement
//! (`UPDATE … WHERE version = $n`, stock bounds in the `WHERE`, `ON CONFLICT`), so no transaction
//! relies on what it read earlier, and job claims skip rows other workers hold.

mod accounting;
mod audit;
mod bank;
mod carriers;
mod check;
mod commit;
mod jobs;
mod keys;
mod master;
mod order_list;
mod orders;
mod points;
mod purchasing;
mod review;
mod store;
mod users;

use juchu_store::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// The PostgreSQL store: one pool for reads and writes (PostgreSQL has no single-writer limit).
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

/// SQLSTATEs that mean "nothing was written, try again": serialization failure and deadlock.
const RETRYABLE: [&str; 2] = ["40001", "40P01"];

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && d.code().is_some_and(|c| RETRYABLE.contains(&c.as_ref()))
    {
        return StoreError::Conflict(format!("concurrent update, try again: {}", d.message()));
    }
    StoreError::Backend(e.to_string())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host/db`). Migrations are applied by
    /// [`juchu_store::Store::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(60))
            .connect(url)
            .await
            .map_err(db_err)?;
        Ok(PostgresStore { pool })
    }

    pub(crate) async fn begin(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(db_err)
    }
}

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
