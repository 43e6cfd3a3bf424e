//! Events: every change of an order is recorded as one, with who and when (DOMAIN.md §2).

use crate::actor::Actor;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One entry of an order's history. `kind` is a dotted name (`order.received`, `order.status_changed`,
/// `hold.placed`, `payment.authorized`, `shipment.shipped`, …); `data` carries the details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub kind: String,
    pub actor: Actor,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl Event {
    pub fn new(kind: &str, actor: &Actor, at: Timestamp, data: serde_json::Value) -> Self {
        Event {
            kind: kind.to_owned(),
            actor: actor.clone(),
            at,
            data,
        }
    }
}
