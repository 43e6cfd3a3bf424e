//! Every applied money movement, in order (`GET /_sandbox/ledger`): what tests check to prove that
//! nothing was captured or refunded twice.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    Authorise,
    Capture,
    Void,
    Refund,
    Deposit,
    Payout,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// 1, 2, 3… in the order the movements were applied.
    pub seq: u64,
    pub kind: MovementKind,
    /// `card`, `deferred`, `amazon_pay` or `bank`.
    pub provider: String,
    /// The provider's key: card OrderID, np_transaction_id, Amazon chargeId, bank account or payout id.
    pub reference: String,
    /// Yen, always positive.
    pub amount: i64,
    /// On the sandbox clock.
    pub at: Timestamp,
}

#[derive(Default)]
pub(crate) struct Ledger {
    pub entries: Vec<LedgerEntry>,
}

impl Ledger {
    pub fn record(
        &mut self,
        kind: MovementKind,
        provider: &str,
        reference: &str,
        amount: i64,
        at: Timestamp,
    ) {
        let seq = self.entries.len() as u64 + 1;
        self.entries.push(LedgerEntry {
            seq,
            kind,
            provider: provider.to_owned(),
            reference: reference.to_owned(),
            amount,
            at,
        });
    }
}

/// The sums of one (provider, reference)'s movements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub provider: String,
    pub reference: String,
    pub authorised: i64,
    pub captured: i64,
    pub voided: i64,
    pub refunded: i64,
    pub deposited: i64,
    pub paid_out: i64,
}

/// Totals per (provider, reference), in order of first appearance.
pub fn totals(entries: &[LedgerEntry]) -> Vec<Totals> {
    let mut out: Vec<Totals> = vec![];
    for e in entries {
        let i = match out
            .iter()
            .position(|t| t.provider == e.provider && t.reference == e.reference)
        {
            Some(i) => i,
            None => {
                out.push(Totals {
                    provider: e.provider.clone(),
                    reference: e.reference.clone(),
                    ..Totals::default()
                });
                out.len() - 1
            }
        };
        let t = &mut out[i];
        match e.kind {
            MovementKind::Authorise => t.authorised += e.amount,
            MovementKind::Capture => t.captured += e.amount,
            MovementKind::Void => t.voided += e.amount,
            MovementKind::Refund => t.refunded += e.amount,
            MovementKind::Deposit => t.deposited += e.amount,
            MovementKind::Payout => t.paid_out += e.amount,
        }
    }
    out
}
