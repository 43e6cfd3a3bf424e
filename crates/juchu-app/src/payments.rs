//! The receipt-time payment work, against an in-process sandbox with the defaults of API.md §7:
//! card token `tok_declined` is declined, `tok_fraud` is authorised but flagged; an e-mail whose local
//! part ends in `+decline` is declined for deferred payment. The providers over HTTP replace this.

use jiff::ToSpan;
use jiff::tz::TimeZone;
use juchu_domain::Order;
use juchu_domain::payment::{PaymentMethod, PaymentOutcome};
use juchu_domain::policy::Policies;

pub(crate) fn authorize(
    order: &Order,
    policies: &Policies,
    now: jiff::Timestamp,
) -> PaymentOutcome {
    let total = order.totals.total;
    match order.payment.method {
        PaymentMethod::CreditCard => {
            if let Some(id) = order.payment.authorization_id.clone() {
                return PaymentOutcome::Authorized {
                    authorization_id: id,
                    amount: total,
                    suspicious: false,
                };
            }
            match order.payment.card_token.as_deref() {
                Some("tok_declined") => PaymentOutcome::Declined {
                    reason: "card declined by the issuer (G12)".into(),
                },
                token => PaymentOutcome::Authorized {
                    authorization_id: format!("auth_{}", uuid::Uuid::now_v7().simple()),
                    amount: total,
                    suspicious: token == Some("tok_fraud"),
                },
            }
        }
        PaymentMethod::Deferred => {
            let local = order
                .customer
                .email
                .rsplit_once('@')
                .map(|(l, _)| l)
                .unwrap_or("");
            if local.ends_with("+decline") {
                PaymentOutcome::Declined {
                    reason: "deferred-payment credit check declined (NG)".into(),
                }
            } else {
                PaymentOutcome::Authorized {
                    authorization_id: format!("np_{}", order.id.0.simple()),
                    amount: total,
                    suspicious: false,
                }
            }
        }
        PaymentMethod::AmazonPay => PaymentOutcome::Authorized {
            authorization_id: order.payment.authorization_id.clone().unwrap_or_default(),
            amount: total,
            suspicious: false,
        },
        PaymentMethod::BankTransfer => {
            let today = now
                .to_zoned(TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC))
                .date();
            let due_date = today
                .checked_add(i64::from(policies.bank_transfer_due_days).days())
                .unwrap_or(today);
            // The worker took the account from the pool (`App::assign_account_for`) and put it on
            // the order; none means the pool is exhausted.
            match order.payment.virtual_account.clone() {
                Some(virtual_account) => PaymentOutcome::AwaitingPayment {
                    virtual_account,
                    due_date,
                },
                None => PaymentOutcome::Declined {
                    reason: "no virtual account is free in the pool".into(),
                },
            }
        }
        PaymentMethod::Cod => PaymentOutcome::OnDelivery,
    }
}
