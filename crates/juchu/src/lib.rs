//! The composition root of juchu: opens the store, wires the app, the HTTP server and the worker.
//! The CLI (`main.rs`) and the test kit both start juchu through here.

pub mod accounting;
pub mod bench;
pub mod bench_baseline;
pub mod bench_flash_sale;
pub mod bench_shipping;
pub mod bench_util;
pub mod carriers;
pub mod config;
pub mod demo;
pub mod import;
pub mod postal;
pub mod sandbox_cmd;
pub mod server;

use juchu_store::{Store, StoreError};
use std::sync::Arc;

/// Opens the store a database URL names — `sqlite://FILE` (the default) or `postgres://…` — and
/// applies its migrations.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(juchu_store_postgres::PostgresStore::connect(url).await?)
        } else if url.starts_with("sqlite:") {
            Arc::new(juchu_store_sqlite::SqliteStore::connect(url).await?)
        } else {
            return Err(StoreError::Backend(format!(
                "unsupported database URL `{url}`: use sqlite://FILE or postgres://…"
            )));
        };
    store.migrate().await?;
    Ok(store)
}
