//! The order's events as the page shows them: the timeline and the payment ledger, with
//! Japanese labels, who did it and the details of each.

use super::labels;
use crate::format::{jst, yen};
use crate::i18n::Lang;
use juchu_domain::{Actor, Money};
use juchu_store::EventRecord;
use serde_json::Value;

/// One entry of the timeline (or of the payment ledger).
pub struct EventRow {
    pub at: String,
    pub kind: String,
    pub label: String,
    pub actor: String,
    pub amount: String,
    pub detail: String,
}

/// Who did it: `user:…`, `api_key:…` (with the role), `system:…` or `service:…`.
pub fn actor_text(a: &Actor) -> String {
    match a.role() {
        Some(role) => format!("{} ({})", a.label(), role.as_str()),
        None => a.label(),
    }
}

/// An event's details as `key: value` pairs (objects and lists as compact JSON), nulls left out.
fn detail_text(data: &Value) -> String {
    let Some(map) = data.as_object() else {
        return if data.is_null() {
            String::new()
        } else {
            data.to_string()
        };
    };
    let mut parts = Vec::with_capacity(map.len());
    for (k, v) in map {
        // The journal entry an event carries is the accounting export's business, and long.
        if k == "journal" {
            continue;
        }
        let v = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        parts.push(format!("{k}: {v}"));
    }
    let mut text = parts.join(" · ");
    if text.chars().count() > 300 {
        text = text.chars().take(300).collect::<String>() + "…";
    }
    text
}

pub fn event_row(lang: Lang, r: &EventRecord) -> EventRow {
    let e = &r.event;
    let amount = e
        .data
        .get("amount")
        .and_then(Value::as_i64)
        .map(|a| yen(Money::yen(a)))
        .unwrap_or_default();
    EventRow {
        at: jst(e.at),
        kind: e.kind.clone(),
        label: labels::event_kind(lang, &e.kind),
        actor: actor_text(&e.actor),
        amount,
        detail: detail_text(&e.data),
    }
}

pub fn is_money_event(kind: &str) -> bool {
    ["payment.", "payout.", "revenue."]
        .iter()
        .any(|p| kind.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_skip_nulls_and_flatten_strings() {
        let d = detail_text(&json!({"reason": "在庫切れ", "note": null, "amount": 1200}));
        assert_eq!(d, "amount: 1200 · reason: 在庫切れ");
        assert_eq!(detail_text(&Value::Null), "");
    }

    #[test]
    fn money_events_are_the_ledger() {
        assert!(is_money_event("payment.captured"));
        assert!(is_money_event("payout.paid"));
        assert!(!is_money_event("order.cancelled"));
    }
}
