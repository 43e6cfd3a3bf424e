//! The composition root of juchu: opens the store, wires the app, the HTTP server and the worker.
//! The CLI (`main.rs`) and the test kit both start juchu through here.

pub mod accounting;
pub mod bench;
pub mod bench_baseline;
pub mod bench_fill;
pub mod bench_flash_sale;
pub mod bench_lifecycle;
pub mod bench_search;
pub mod bench_search_sql;
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
                "unsupported database URL `{}`: use sqlite://FILE or postgres://…",
                redact_url(url)
            )));
        };
    store.migrate().await?;
    Ok(store)
}

/// `url` with its password (if any) replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_owned(),
        // Not a URL we can take apart: show the scheme only.
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "…".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_not_shown() {
        assert_eq!(
            super::redact_url("postgres://juchu:hunter2@db:5432/juchu"),
            "postgres://juchu:***@db:5432/juchu"
        );
        assert_eq!(
            super::redact_url("postgres://juchu@db/juchu"),
            "postgres://juchu@db/juchu"
        );
        assert_eq!(super::redact_url("sqlite://juchu.db"), "sqlite://juchu.db");
    }
}
