//! 返金振込: a refund of a bank-transfer order is money the shop must send back. It becomes a payout
//! request on the order for an operator to execute (at the bank, or through the bank provider) and
//! confirm; until then it is listed as open.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::lifecycle::Effects;
use crate::money::Money;
use crate::order::Order;
use crate::payment::PaymentMethod;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Waiting for an operator to send the money.
    Requested,
    /// Sent; confirmed by an operator (or the bank provider).
    Paid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Payout {
    /// `po-…`: unique; the bank's transfer reference when sent through the provider.
    pub id: String,
    pub amount: Money,
    pub status: PayoutStatus,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<Timestamp>,
    /// Who confirmed it.
    pub paid_by: Option<String>,
    /// The bank's reference of the transfer, as the operator or provider gave it.
    pub bank_reference: Option<String>,
    pub note: Option<String>,
}

impl Order {
    /// After a refund was recorded: a bank transfer's refund becomes a payout request.
    pub(crate) fn request_payout(
        &mut self,
        amount: Money,
        fx: &mut Effects,
        actor: &Actor,
        at: Timestamp,
    ) {
        if self.payment.method != PaymentMethod::BankTransfer || amount <= Money::ZERO {
            return;
        }
        let id = format!("po-{}", uuid::Uuid::now_v7().simple());
        self.payment.payouts.push(Payout {
            id: id.clone(),
            amount,
            status: PayoutStatus::Requested,
            requested_at: at,
            paid_at: None,
            paid_by: None,
            bank_reference: None,
            note: None,
        });
        fx.event(
            "payout.requested",
            actor,
            at,
            json!({"payout_id": id, "amount": amount}),
        );
    }

    /// An operator (or the bank provider) confirms the payout was sent.
    pub fn confirm_payout(
        &mut self,
        id: &str,
        bank_reference: Option<&str>,
        note: Option<&str>,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Effects, DomainError> {
        let Some(p) = self.payment.payouts.iter_mut().find(|p| p.id == id) else {
            return Err(DomainError::NotFound(format!("payout {id}")));
        };
        if p.status == PayoutStatus::Paid {
            return Err(DomainError::NotAllowed {
                action: "confirming a payout",
                status: self.status,
                why: format!("payout {id} was confirmed already"),
            });
        }
        p.status = PayoutStatus::Paid;
        p.paid_at = Some(at);
        p.paid_by = Some(actor.label());
        p.bank_reference = bank_reference.map(str::to_owned);
        p.note = note.map(str::to_owned);
        let amount = p.amount;
        let mut fx = Effects::default();
        fx.event(
            "payout.paid",
            actor,
            at,
            json!({"payout_id": id, "amount": amount, "bank_reference": bank_reference, "note": note}),
        );
        self.touch(at);
        Ok(fx)
    }
}
