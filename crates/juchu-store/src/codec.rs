//! Encodings shared by the backends (no SQL): times as microseconds, orders and events as JSON.

use crate::StoreError;
use jiff::Timestamp;
use juchu_domain::{Event, Order};

pub fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn timestamp(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("time {us}: {e}")))
}

pub fn order_json(order: &Order) -> Result<String, StoreError> {
    serde_json::to_string(order)
        .map_err(|e| StoreError::Corrupt(format!("order {}: {e}", order.id)))
}

pub fn order_from_json(doc: &str) -> Result<Order, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("order document: {e}")))
}

pub fn event_json(event: &Event) -> Result<String, StoreError> {
    serde_json::to_string(event).map_err(|e| StoreError::Corrupt(format!("event: {e}")))
}

pub fn event_from_json(doc: &str) -> Result<Event, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("event document: {e}")))
}

pub fn json_value(doc: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("json: {e}")))
}

/// `order.on_hold` column value.
pub fn on_hold(order: &Order) -> bool {
    order.has_holds()
}

/// The text of the stock ledger's `actor`, or `system` when none was given.
pub fn actor_text(actor: &str) -> &str {
    if actor.is_empty() { "system" } else { actor }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
