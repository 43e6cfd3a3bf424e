//! Storage port for order review (注文確認): the shared review rules, the blacklist, postal data and
//! the customer's order count. A separate trait (a supertrait of `Store`) so each backend keeps this
//! SQL in its own `review.rs`.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_domain::review::{BlacklistKind, PostalEntry};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlacklistRecord {
    pub id: String,
    pub kind: BlacklistKind,
    /// Normalised (`juchu_domain::review::normalize`).
    pub value: String,
    pub reason: String,
    pub created_at: Timestamp,
    pub created_by: String,
}

#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// A named setting (JSON text), e.g. `review_rules`; `None` until one is stored.
    async fn get_setting(&self, name: &str) -> Result<Option<String>>;
    async fn put_setting(&self, name: &str, value: &str, at: Timestamp) -> Result<()>;

    /// Adds an entry; `Conflict` when the same kind and value is listed already.
    async fn insert_blacklist(&self, entry: &BlacklistRecord) -> Result<()>;
    async fn list_blacklist(&self) -> Result<Vec<BlacklistRecord>>;
    /// `true` when an entry was removed.
    async fn delete_blacklist(&self, id: &str) -> Result<bool>;

    /// Orders of the customer (by customer id when given, else by e-mail), this one included.
    async fn customer_order_count(&self, customer_id: Option<&str>, email: &str) -> Result<i64>;

    /// The postal data for one 7-digit code (several rows when a code spans towns).
    async fn postal_lookup(&self, code: &str) -> Result<Vec<PostalEntry>>;
    /// Whether any postal data is loaded (the address check runs only then).
    async fn postal_loaded(&self) -> Result<bool>;
    /// Removes all postal data (an import replaces it).
    async fn postal_clear(&self) -> Result<()>;
    /// Inserts one batch of rows in one transaction.
    async fn postal_insert(&self, rows: &[PostalEntry]) -> Result<()>;
}
