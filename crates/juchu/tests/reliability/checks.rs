//! What must hold when the work has settled, whatever happened to the servers meanwhile.

use crate::shop::reference;
use juchu_sandbox::{LedgerEntry, MovementKind};
use juchu_testkit::Received;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The sandbox ledger: each order's payment was authorised once, captured once if it shipped,
/// voided once if it was cancelled, never refunded; no movement belongs to anything else.
/// Returns how many movements it checked.
pub fn ledger_once(ledger: &[LedgerEntry], orders: &[Value]) -> usize {
    let mut by_ref: BTreeMap<String, Vec<&LedgerEntry>> = BTreeMap::new();
    for e in ledger {
        by_ref.entry(e.reference.clone()).or_default().push(e);
    }
    let mut seen = 0;
    for o in orders {
        // What juchu believes: an authorised amount means the provider holds an authorisation.
        let authorised = o["payment"]["authorized_amount"].as_i64().unwrap() > 0;
        let r = if authorised {
            reference(o)
        } else {
            String::new()
        };
        let entries = by_ref.remove(&r).unwrap_or_default();
        seen += entries.len();
        let count = |k: MovementKind| entries.iter().filter(|e| e.kind == k).count();
        let total = o["totals"]["total"].as_i64().unwrap();
        let shipped = o["status"] == "recognized";
        let cancelled = o["status"] == "cancelled";
        let what = format!(
            "order {} ({}, {}): {entries:?}",
            o["number"], o["status"], r
        );
        assert!(authorised || cancelled, "{what}: not authorised");
        assert_eq!(
            count(MovementKind::Authorise),
            usize::from(authorised),
            "{what}"
        );
        assert_eq!(count(MovementKind::Capture), usize::from(shipped), "{what}");
        assert_eq!(
            count(MovementKind::Void),
            usize::from(cancelled && authorised),
            "{what}"
        );
        assert_eq!(count(MovementKind::Refund), 0, "{what}");
        for e in &entries {
            assert_eq!(e.amount, total, "{what}: the order's total");
        }
    }
    assert!(by_ref.is_empty(), "movements of no order: {by_ref:?}");
    seen
}

/// `(order number, mail kind, job)` from the Message-ID `<juchu.{number}.{kind}.{job}@domain>`.
fn mail_key(m: &Received) -> (i64, String, String) {
    let id = m.parsed().message_id().expect("a Message-ID").to_owned();
    let local = id
        .trim_matches(['<', '>'])
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = local.split('.').collect();
    assert!(parts.len() == 4 && parts[0] == "juchu", "Message-ID {id}");
    (
        parts[1].parse().unwrap(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    )
}

/// What the mail check found.
pub struct Mails {
    pub sent: usize,
    /// Messages that repeated one already delivered (same Message-ID): at-least-once delivery.
    pub repeats: usize,
}

/// The mails an order's history calls for (mail/mod.rs `outbox_jobs`), by Message-ID kind.
fn expected_mails(history: &Value) -> Vec<&'static str> {
    let kinds = history.as_array().unwrap().iter();
    kinds
        .filter_map(|e| match e["kind"].as_str().unwrap() {
            "order.received" => Some("confirmation"),
            "payment.awaiting" => Some("bank_transfer"),
            "shipment.shipped" => Some("shipped"),
            "order.cancelled" => Some("cancelled"),
            "payment.refunded" => Some("refunded"),
            _ => None,
        })
        .collect()
}

/// Customer e-mails: every mail each order's history calls for was delivered, to the order's
/// customer, and nothing else; each under one Message-ID (a repeat after a kill carries the same
/// one, so a mail client drops it).
pub fn mails_once(messages: &[Received], orders: &[Value], histories: &[Value]) -> Mails {
    let mut ids: BTreeMap<(i64, String), BTreeSet<String>> = BTreeMap::new();
    let mut to: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for m in messages {
        let (number, kind, job) = mail_key(m);
        ids.entry((number, kind)).or_default().insert(job);
        to.entry(number).or_default().extend(m.to.iter().cloned());
    }
    let mut want: BTreeSet<(i64, String)> = BTreeSet::new();
    for (o, h) in orders.iter().zip(histories) {
        let n = o["number"].as_i64().unwrap();
        want.extend(expected_mails(h).into_iter().map(|k| (n, k.to_owned())));
        let customer = o["customer"]["email"].as_str().unwrap();
        assert_eq!(
            to.get(&n),
            Some(&BTreeSet::from([customer.to_owned()])),
            "order {n}"
        );
    }
    let got: BTreeSet<(i64, String)> = ids.keys().cloned().collect();
    let unexpected: Vec<_> = got.difference(&want).collect();
    assert!(
        unexpected.is_empty(),
        "mails nobody expected: {unexpected:?}"
    );
    let missing: Vec<_> = want.difference(&got).collect();
    assert!(missing.is_empty(), "mails never delivered: {missing:?}");
    for (k, jobs) in &ids {
        assert_eq!(
            jobs.len(),
            1,
            "{k:?} went out under several Message-IDs: {jobs:?}"
        );
    }
    Mails {
        sent: messages.len(),
        repeats: messages.len() - ids.len(),
    }
}
