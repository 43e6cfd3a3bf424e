//! Payment state of an order (API.md `payment`).

use crate::money::Money;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    CreditCard,
    BankTransfer,
    Deferred,
    AmazonPay,
    Cod,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 5] = [
        PaymentMethod::CreditCard,
        PaymentMethod::BankTransfer,
        PaymentMethod::Deferred,
        PaymentMethod::AmazonPay,
        PaymentMethod::Cod,
    ];

    pub fn parse(s: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::CreditCard => "credit_card",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Deferred => "deferred",
            PaymentMethod::AmazonPay => "amazon_pay",
            PaymentMethod::Cod => "cod",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Authorized,
    AwaitingPayment,
    Paid,
    Captured,
    PartiallyRefunded,
    Refunded,
    Voided,
    Declined,
    OnDelivery,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 10] = [
        PaymentStatus::Pending,
        PaymentStatus::Authorized,
        PaymentStatus::AwaitingPayment,
        PaymentStatus::Paid,
        PaymentStatus::Captured,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Voided,
        PaymentStatus::Declined,
        PaymentStatus::OnDelivery,
    ];

    /// The name in the order JSON (`awaiting_payment`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::AwaitingPayment => "awaiting_payment",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Captured => "captured",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Voided => "voided",
            PaymentStatus::Declined => "declined",
            PaymentStatus::OnDelivery => "on_delivery",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub authorized_amount: Money,
    pub captured_amount: Money,
    pub refunded_amount: Money,
    /// Bank transfer: the virtual account assigned to this order.
    pub virtual_account: Option<String>,
    /// Bank transfer: pay by this date.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Date>,
    /// Card / Amazon Pay: the provider's authorisation (or charge permission) id.
    pub authorization_id: Option<String>,
    /// Card: the stored card token used to authorise again (split parts, expiry).
    pub card_token: Option<String>,
    /// Bank transfer: refunds to send back (返金振込), requested and paid.
    #[serde(default)]
    pub payouts: Vec<crate::payout::Payout>,
}

impl Payment {
    pub fn new(method: PaymentMethod) -> Self {
        Payment {
            method,
            status: PaymentStatus::Pending,
            authorized_amount: Money::ZERO,
            captured_amount: Money::ZERO,
            refunded_amount: Money::ZERO,
            virtual_account: None,
            due_date: None,
            authorization_id: None,
            card_token: None,
            payouts: Vec::new(),
        }
    }

    /// Whether the payment allows the goods to leave the warehouse (DOMAIN.md §2.5:
    /// prepaid methods are never instructed before they are paid).
    pub fn allows_shipping(&self) -> bool {
        match self.method {
            PaymentMethod::CreditCard | PaymentMethod::Deferred | PaymentMethod::AmazonPay => {
                matches!(
                    self.status,
                    PaymentStatus::Authorized | PaymentStatus::Captured
                )
            }
            PaymentMethod::BankTransfer => self.status == PaymentStatus::Paid,
            PaymentMethod::Cod => self.status == PaymentStatus::OnDelivery,
        }
    }
}

/// What the receipt work learnt from the payment provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Authorised (card, deferred credit, Amazon charge permission) for an amount.
    Authorized {
        authorization_id: String,
        amount: Money,
        /// The fraud screening asks for a human look.
        suspicious: bool,
    },
    Declined {
        reason: String,
    },
    /// Bank transfer: waiting for the deposit.
    AwaitingPayment {
        virtual_account: String,
        due_date: Date,
    },
    /// Cash on delivery: collected by the carrier.
    OnDelivery,
    /// Deferred payment: registered, the credit check has no result yet (審査中).
    Pending {
        /// The provider's transaction id, to ask again.
        reference: String,
        reason: String,
    },
}

impl crate::order::Order {
    /// A payment provider's answer to a money movement (`payment.captured.confirmed`,
    /// `….refused`, `….skipped`): recorded in the history, a new authorisation it made stored,
    /// and a refusal held for an operator while the order has not shipped. Like every change, it
    /// counts as a new version, so a concurrent writer holding the order before it must re-read.
    pub fn record_provider_answer(
        &mut self,
        kind: &str,
        detail: serde_json::Value,
        new_authorization: Option<String>,
        refused: bool,
        actor: &crate::actor::Actor,
        at: jiff::Timestamp,
    ) -> crate::lifecycle::Effects {
        let mut fx = crate::lifecycle::Effects::default();
        if let Some(a) = new_authorization {
            self.payment.authorization_id = Some(a);
        }
        let reason = detail
            .get("reason")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("the provider refused")
            .to_owned();
        fx.event(kind, actor, at, detail);
        if refused && self.status.is_before(crate::status::OrderStatus::Shipped) {
            self.add_hold(
                crate::order::HoldCode::PaymentDeclined,
                &reason,
                &mut fx,
                actor,
                at,
            );
        }
        self.touch(at);
        fx
    }

    /// The provider authorised this order's payment after the order was cancelled: the cancel
    /// came while the receipt's call was on its way, or the receipt ran again after dying past
    /// its call. The authorisation is recorded and voided at once (a `payment.voided` naming it,
    /// whose provider job releases it), so nothing stays held on the customer's card. Refused,
    /// changing nothing, unless the order is cancelled and the provider holds an authorisation
    /// (or a credit check) the order does not know.
    pub fn void_late_authorization(
        &mut self,
        outcome: &PaymentOutcome,
        actor: &crate::actor::Actor,
        at: jiff::Timestamp,
    ) -> Result<crate::lifecycle::Effects, crate::error::DomainError> {
        use crate::status::OrderStatus;
        let (id, amount) = match outcome {
            PaymentOutcome::Authorized {
                authorization_id,
                amount,
                ..
            } => (authorization_id.clone(), *amount),
            // A credit check still running (審査中) is a transaction at the provider too.
            PaymentOutcome::Pending { reference, .. } => (reference.clone(), self.totals.total),
            _ => return Err(self.refuse(OrderStatus::Cancelled, "the provider holds nothing")),
        };
        if self.status != OrderStatus::Cancelled {
            return Err(self.refuse(OrderStatus::Cancelled, "the order is not cancelled"));
        }
        if self.payment.authorization_id.as_deref() == Some(id.as_str()) {
            return Err(self.refuse(OrderStatus::Cancelled, "the authorisation is known"));
        }
        let mut fx = crate::lifecycle::Effects::default();
        self.payment.authorization_id = Some(id.clone());
        self.payment.authorized_amount = amount;
        self.payment.status = PaymentStatus::Voided;
        let data = serde_json::json!({"authorization_id": id, "amount": amount});
        let mut late = data.clone();
        late["after_cancel"] = true.into();
        fx.event("payment.authorized", actor, at, late);
        fx.event("payment.voided", actor, at, data);
        self.touch(at);
        Ok(fx)
    }
}
