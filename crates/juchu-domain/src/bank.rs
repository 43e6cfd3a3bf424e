//! Bank transfer (DOMAIN.md §2.2 入金確認): the pool and deadline policy, and what a deposit does to
//! an order. Deposits add up; the order is `paid` when they reach the total. A difference puts a
//! `payment_mismatch` hold that shows it, and the hold goes by itself once the sum is exact.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::event::Event;
use crate::lifecycle::Effects;
use crate::money::Money;
use crate::order::{Hold, HoldCode, Order};
use crate::payment::{PaymentMethod, PaymentStatus};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `[bank]` in the shop configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BankPolicy {
    /// Bank code of the virtual-account pool (4 digits).
    pub pool_bank: String,
    /// Branch code of the pool (3 digits).
    pub pool_branch: String,
    /// First account number of the pool (7 digits).
    pub pool_first: i64,
    /// Last account number of the pool (7 digits).
    pub pool_last: i64,
    /// A released account is handed out again only after this many days, so that a late or
    /// mistaken transfer by the previous customer cannot land on a new order.
    pub virtual_account_cooloff_days: i32,
    /// A reminder event this many days before the due date (0: none).
    pub reminder_days_before_due: i32,
    /// HMAC-SHA256 key of `POST /webhooks/bank/deposits` (also `JUCHU_BANK_WEBHOOK_SECRET`).
    /// Without it the webhook refuses everything. Never serialised and never printed, so it never
    /// leaves the server.
    #[serde(skip_serializing)]
    #[schema(value_type = Option<String>)]
    pub webhook_secret: Option<crate::Secret>,
}

impl Default for BankPolicy {
    fn default() -> Self {
        BankPolicy {
            pool_bank: "0310".into(),
            pool_branch: "101".into(),
            pool_first: 1_000_001,
            pool_last: 1_099_999,
            virtual_account_cooloff_days: 30,
            reminder_days_before_due: 2,
            webhook_secret: None,
        }
    }
}

impl Order {
    /// Whether this order waits for a bank transfer (and so holds a virtual account).
    pub fn awaits_transfer(&self) -> bool {
        self.payment.method == PaymentMethod::BankTransfer
            && self.payment.status == PaymentStatus::AwaitingPayment
    }

    /// A deposit on the order's virtual account. `source` says where it came from (for the event).
    pub fn receive_deposit(
        &mut self,
        amount: Money,
        source: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        if self.payment.method != PaymentMethod::BankTransfer {
            return Err(DomainError::NotAllowed {
                action: "receiving a deposit",
                status: self.status,
                why: "the order is not paid by bank transfer".into(),
            });
        }
        if amount <= Money::ZERO {
            return Err(DomainError::invalid("amount", "must be a positive amount"));
        }
        let mut fx = Effects::default();
        self.payment.captured_amount += amount;
        let paid = self.payment.captured_amount;
        let due = self.totals.total;
        if paid >= due && self.payment.status == PaymentStatus::AwaitingPayment {
            self.payment.status = PaymentStatus::Paid;
        }
        fx.events.push(Event::new(
            "payment.deposit_received",
            actor,
            at,
            json!({"amount": amount, "paid_total": paid, "due": due, "source": source}),
        ));
        let reason = if paid < due {
            Some(format!(
                "underpaid by ¥{} (received ¥{} of ¥{}) / 入金不足",
                (due - paid).minor(),
                paid.minor(),
                due.minor()
            ))
        } else if paid > due {
            Some(format!(
                "overpaid by ¥{} (received ¥{} of ¥{}) / 過入金",
                (paid - due).minor(),
                paid.minor(),
                due.minor()
            ))
        } else {
            None
        };
        let existing = self
            .holds
            .iter()
            .position(|h| h.code == HoldCode::PaymentMismatch);
        match (reason, existing) {
            (Some(reason), Some(i)) => {
                // The hold follows the running difference, so the operator sees the current one.
                self.holds[i].reason = reason.clone();
                fx.events.push(Event::new(
                    "hold.updated",
                    actor,
                    at,
                    json!({"code": HoldCode::PaymentMismatch, "reason": reason}),
                ));
            }
            (Some(reason), None) => {
                self.holds.push(Hold {
                    code: HoldCode::PaymentMismatch,
                    reason: reason.clone(),
                    placed_at: at,
                });
                fx.events.push(Event::new(
                    "hold.placed",
                    actor,
                    at,
                    json!({"code": HoldCode::PaymentMismatch, "reason": reason}),
                ));
            }
            (None, Some(i)) => {
                let hold = self.holds.remove(i);
                fx.events.push(Event::new(
                    "hold.released",
                    actor,
                    at,
                    json!({"code": HoldCode::PaymentMismatch, "reason": hold.reason,
                           "note": "the deposits add up to the total"}),
                ));
            }
            (None, None) => {}
        }
        self.updated_at = at;
        self.version += 1;
        Ok(fx)
    }
}
