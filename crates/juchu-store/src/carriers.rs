//! Storage port for carrier delivery events (webhooks): which events were processed, so a
//! carrier's retries and duplicates change nothing. A supertrait of `Store`, SQL in each backend's
//! `carriers.rs`.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierEventRecord {
    /// `yamato`, `sagawa`, … as in the webhook path.
    pub carrier: String,
    /// The carrier's id for the event: the de-duplication key together with `carrier`.
    pub event_id: String,
    pub tracking_number: String,
    /// `delivered`, `failed`, `returned`, `in_transit`.
    pub status: String,
    /// When the carrier says it happened.
    pub at: Timestamp,
    pub received_at: Timestamp,
    /// What juchu did with it (`delivered`, `held`, `ignored: …`), for operators reading the table.
    pub outcome: String,
}

#[async_trait]
pub trait CarrierStore: Send + Sync {
    /// Whether an event with this carrier and id was recorded.
    async fn carrier_event_seen(&self, carrier: &str, event_id: &str) -> Result<bool>;
    /// Records a processed event; `false` when it was recorded already (a concurrent duplicate).
    async fn record_carrier_event(&self, event: &CarrierEventRecord) -> Result<bool>;
}
