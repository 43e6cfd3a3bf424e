//! The writer's connection: group commits ([`crate::group`]) run on a connection of their own,
//! driven directly with rusqlite on a blocking thread. Through sqlx every statement is a round
//! trip to the connection's thread (a futex wake and a wait each way); a change set is a dozen
//! statements, and on 2 cores those thread switches were a third of the time (`perf`,
//! docs/benchmarks.md). Here a whole group of change sets costs one hand-over.

use juchu_store::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// What change-set code writes through: the open transaction (or savepoint), as a connection.
pub(crate) type Tx = Connection;

/// Statements the writer keeps prepared (every statement of a change set fits).
const PREPARED: usize = 64;

/// Refuses a URL of an in-memory database: the writer opens the file a second time, and a second
/// connection to an in-memory database would be another, empty database.
pub(crate) fn file_url(url: &str) -> Result<(), StoreError> {
    let lower = url.to_ascii_lowercase();
    if lower.contains(":memory:") || lower.contains("mode=memory") {
        return Err(StoreError::Backend(format!(
            "`{url}`: an in-memory SQLite database is not supported; give a file (sqlite://juchu.db)"
        )));
    }
    Ok(())
}

/// Opens the writer's connection to the database file the store's pools use, with their settings
/// (`SqliteStore::connect`: WAL, which the file keeps, synchronous NORMAL, foreign keys, busy
/// timeout).
pub(crate) fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db_err)?;
    conn.busy_timeout(crate::BUSY_TIMEOUT).map_err(db_err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(db_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db_err)?;
    conn.set_prepared_statement_cache_capacity(PREPARED);
    Ok(conn)
}

/// Statements of the writer: SQL text first, values bound (the SQL scan in
/// crates/juchu-store/tests/sql_parameterised.rs checks every `write_sql` call).
pub(crate) trait WriteSql {
    /// Runs one statement (prepared once per connection) and returns the rows it changed.
    fn write_sql(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize>;
}

impl WriteSql for Tx {
    fn write_sql(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn an_in_memory_database_is_refused_with_a_reason() {
        let Err(e) = crate::SqliteStore::connect("sqlite::memory:").await else {
            panic!("an in-memory database was accepted");
        };
        assert!(e.to_string().contains("in-memory"), "{e}");
    }
}
