//! Storage port for the loyalty points ledger (docs/points.md). Movements are written by
//! [`crate::Store::commit`] (`ChangeSet::points`); this trait reads them.

use crate::{PointsEntry, Result};
use async_trait::async_trait;
use juchu_domain::OrderId;

#[async_trait]
pub trait PointsStore: Send + Sync {
    /// The customer's balance (0 for a customer with no ledger rows).
    async fn points_balance(&self, customer_id: &str) -> Result<i64>;
    /// The customer's ledger rows, newest first, at most `limit`.
    async fn points_entries(&self, customer_id: &str, limit: i64) -> Result<Vec<PointsEntry>>;
    /// The grant row of an order (an order is granted points at most once).
    async fn points_grant_of(
        &self,
        customer_id: &str,
        order: OrderId,
    ) -> Result<Option<PointsEntry>>;
}
