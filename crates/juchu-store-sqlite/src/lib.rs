//! The SQLite backend: the embedded default. WAL, a busy timeout, foreign keys on; writes go
//! through `BEGIN IMMEDIATE` so that a transaction never has to upgrade its lock half-way.

mod accounting;
mod audit;
mod bank;
mod carriers;
mod check;
mod commit;
mod group;
mod jobs;
mod keys;
mod master;
mod order_list;
mod orders;
mod points;
mod purchasing;
mod review;
mod store;
mod trigrams;
mod users;
mod writer;

use juchu_store::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// The SQLite store. Reads use a pool of connections; writes use one connection, because SQLite
/// has one writer anyway and queueing in-process is cheaper than spinning on the file lock.
#[derive(Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    /// The last order number handed out. SQLite serves one process, so numbers are handed out in
    /// memory (no write transaction per order) and the counter row follows in each order's commit.
    last_number: std::sync::Arc<tokio::sync::Mutex<Option<i64>>>,
    /// Order change sets go through one writer task that commits them in groups.
    group: group::GroupCommit,
    /// How common each trigram of recent search terms is (the order list's text search).
    trigram_counts: std::sync::Arc<trigrams::TrigramCounts>,
}

/// How long a connection waits for another process's write lock (the pools and the writer alike).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl SqliteStore {
    /// Opens (creating when missing) the database file at `url` (`sqlite://juchu.db`); in-memory
    /// databases are refused, because the writer opens the file a second time (`writer.rs`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        writer::file_url(url)?;
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.clone())
            .await
            .map_err(db_err)?;
        let path = opts.get_filename().to_owned();
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.read_only(false))
            .await
            .map_err(db_err)?;
        Ok(SqliteStore {
            read,
            group: group::GroupCommit::start(write.clone(), writer::open(&path)?),
            write,
            last_number: Default::default(),
            trigram_counts: Default::default(),
        })
    }

    pub(crate) async fn begin(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.write
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)
    }
}

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
