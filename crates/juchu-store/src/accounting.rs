//! Storage port for closed accounting months (月次締め): the month, when it was closed and its
//! summary as it stood. A supertrait of `Store`, SQL in each backend's `accounting.rs`.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthClose {
    /// `YYYY-MM`.
    pub month: String,
    pub closed_at: Timestamp,
    /// Who closed it (`system:accounting.close`, `api_key:…`).
    pub closed_by: String,
    /// The month's summary (JSON) at closing.
    pub summary: String,
}

#[async_trait]
pub trait AccountingStore: Send + Sync {
    /// Records a closed month; `false` when the month was closed already.
    async fn close_month(&self, close: &MonthClose) -> Result<bool>;
    /// Every closed month, newest first.
    async fn month_closes(&self) -> Result<Vec<MonthClose>>;
}
