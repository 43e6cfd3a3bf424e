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
