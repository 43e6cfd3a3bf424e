//! Storage port for bank transfers: the virtual-account pool and received deposits. A supertrait of
//! [`crate::Store`], so each backend keeps this SQL in a file of its own.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use juchu_domain::OrderId;

/// Which account numbers the pool hands out: `{bank}-{branch}-{number:07}`, numbers first..=last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPool {
    pub bank: String,
    pub branch: String,
    pub first: i64,
    pub last: i64,
}

impl AccountPool {
    pub fn account(&self, number: i64) -> String {
        format!("{}-{}-{number:07}", self.bank, self.branch)
    }
}

/// A deposit as received (webhook or statement line), matched to an order or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRecord {
    pub id: i64,
    /// The source's own key: `webhook:{event_id}` or `zengin:{account}:{照会番号}:{勘定日}:{amount}`.
    pub dedupe_key: String,
    /// `webhook` or `zengin`.
    pub source: String,
    pub account: String,
    pub amount: i64,
    /// As the source gave it (RFC 3339 time or a date).
    pub deposited_at: String,
    pub payer_kana: Option<String>,
    pub order_id: Option<OrderId>,
    pub received_at: Timestamp,
}

#[async_trait]
pub trait BankStore: Send + Sync {
    /// Gives `order` a free account of `pool` atomically and returns it; returns the account the
    /// order already holds when asked again. A released account is reused only when it was released
    /// at or before `reusable_before` (the cool-off). `None` when the pool is exhausted, or when
    /// the order is no longer `received` (cancelled meanwhile): the check and the assignment are
    /// one statement, and a cancel's commit releases any account its order holds, so no cancelled
    /// order keeps an account whichever commits first.
    async fn assign_virtual_account(
        &self,
        order: OrderId,
        pool: &AccountPool,
        now: Timestamp,
        reusable_before: Timestamp,
    ) -> Result<Option<String>>;
    /// Frees the account `order` holds (if any); its cool-off starts at `now`.
    async fn release_virtual_account(&self, order: OrderId, now: Timestamp) -> Result<()>;
    /// The open order holding `account`.
    async fn account_holder(&self, account: &str) -> Result<Option<OrderId>>;
    /// Stores a deposit (its `id` is ignored); `false` when its `dedupe_key` was seen before.
    async fn insert_deposit(&self, d: &DepositRecord) -> Result<bool>;
    /// Deposits, newest first; `matched` filters on whether an order was found.
    async fn list_deposits(&self, matched: Option<bool>, limit: i64) -> Result<Vec<DepositRecord>>;
}
