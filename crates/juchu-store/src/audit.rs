//! Storage port for the audit log (who did what, docs/security.md) and for the record of signed
//! webhook deliveries that refuses replays. A supertrait of [`crate::Store`].

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Assigned by the store; ignored on append.
    pub id: i64,
    pub at: Timestamp,
    /// `api_key:…`, `user:…`, `service:…` (`Actor::label`).
    pub actor: String,
    /// The route template (`POST /api/v1/orders/{id}/cancel`) or a named action.
    pub action: String,
    /// What it was done to: an order id, a SKU, a key id, … (`None`: nothing in particular).
    pub target: Option<String>,
    /// The HTTP status of the outcome (or what the console showed).
    pub outcome: u16,
    /// `X-Request-Id` of the request, to find it in the logs.
    pub request_id: Option<String>,
}

/// Which entries to list: each field that is set must match exactly; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// `from <= at`.
    pub from: Option<Timestamp>,
    /// `at < to`.
    pub to: Option<Timestamp>,
    /// Only entries with a smaller id (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends entries in one statement (all or none).
    async fn append_audit(&self, entries: &[AuditRecord]) -> Result<()>;
    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
    /// Records delivery `id` from `source` at `now`; `false` when it was recorded before (a
    /// replay). Deliveries recorded before `forget_before` are forgotten first: by then their
    /// timestamps are too old to be accepted anyway.
    async fn claim_webhook_delivery(
        &self,
        source: &str,
        id: &str,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool>;
}
