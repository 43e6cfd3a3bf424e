//! 返金振込: payouts of bank-transfer refunds, listed for operators, sent through the bank
//! provider or by hand, and confirmed (juchu-domain `payout`).

use crate::{App, AppError};
use juchu_domain::payout::{Payout, PayoutStatus};
use juchu_domain::{Actor, Order, OrderId};
use juchu_providers::{Bank, IdempotencyKey, PayoutRequest};
use serde::{Deserialize, Serialize};

/// A payout with the order it refunds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutView {
    pub order_id: OrderId,
    pub order_number: i64,
    pub customer_name: String,
    pub payout: Payout,
}

/// The customer's account to send a payout to (as the customer gave it to the shop).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutAccount {
    /// 4 digits.
    pub bank_code: String,
    /// 3 digits.
    pub branch_code: String,
    /// 7 digits.
    pub account_number: String,
    /// 口座名義 in half-width kana.
    pub account_name: String,
}

impl PayoutAccount {
    fn check(&self) -> Result<(), AppError> {
        let digits = |field: &str, v: &str, n: usize| {
            if v.len() == n && v.chars().all(|c| c.is_ascii_digit()) {
                Ok(())
            } else {
                Err(AppError::invalid(field, format!("`{v}` is not {n} digits")))
            }
        };
        digits("bank_code", &self.bank_code, 4)?;
        digits("branch_code", &self.branch_code, 3)?;
        digits("account_number", &self.account_number, 7)?;
        if self.account_name.trim().is_empty() {
            return Err(AppError::invalid("account_name", "is required"));
        }
        Ok(())
    }
}

impl App {
    /// Payouts of every order, oldest first; `status` filters.
    pub async fn payouts(&self, status: Option<PayoutStatus>) -> Result<Vec<PayoutView>, AppError> {
        let far = jiff::Timestamp::MAX;
        let events = self
            .store
            .events_of_kinds(&["payout.requested"], jiff::Timestamp::UNIX_EPOCH, far)
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for e in events {
            if !seen.insert(e.order_id) {
                continue;
            }
            let Some(o) = self.store.get_order(e.order_id).await? else {
                continue;
            };
            for p in &o.payment.payouts {
                if status.is_none_or(|s| s == p.status) {
                    out.push(PayoutView {
                        order_id: o.id,
                        order_number: o.number,
                        customer_name: o.customer.name.clone(),
                        payout: p.clone(),
                    });
                }
            }
        }
        out.sort_by_key(|v| v.payout.requested_at);
        Ok(out)
    }

    /// An operator confirms a payout they sent at the bank.
    pub async fn confirm_payout(
        &self,
        order: OrderId,
        payout: &str,
        bank_reference: Option<&str>,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        self.change_order(order, None, actor, |o, app| {
            Ok((
                o.confirm_payout(payout, bank_reference, note, actor, app.now())?,
                vec![],
            ))
        })
        .await
    }

    /// Sends a payout through the bank provider (`[providers.bank]`), then confirms it with the
    /// bank's reference. The payout id is the transfer's reference: the bank pays it once, however
    /// often this is retried.
    pub async fn execute_payout(
        &self,
        order: OrderId,
        payout: &str,
        account: &PayoutAccount,
        actor: &Actor,
    ) -> Result<Order, AppError> {
        account.check()?;
        let Some(p) = self.providers.clone() else {
            return Err(AppError::InvalidTransition {
                status: None,
                detail: "no bank provider is configured ([providers]); send the transfer at the bank and confirm it".into(),
            });
        };
        let o = self.load_order(order).await?;
        let Some(po) = o.payment.payouts.iter().find(|x| x.id == payout) else {
            return Err(AppError::NotFound(format!("payout {payout}")));
        };
        if po.status == PayoutStatus::Paid {
            return Err(AppError::InvalidTransition {
                status: Some(o.status),
                detail: format!("payout {payout} was confirmed already"),
            });
        }
        let request = PayoutRequest {
            bank_code: account.bank_code.clone(),
            branch_code: account.branch_code.clone(),
            account_number: account.account_number.clone(),
            account_name: account.account_name.clone(),
            amount: po.amount,
            reference: po.id.clone(),
        };
        let key = IdempotencyKey::new(format!("payout-{payout}"))
            .map_err(|e| AppError::invalid("payout", e.to_string()))?;
        let sent = p.bank.payout(&request, &key).await.map_err(|e| match e {
            juchu_providers::ProviderError::Unavailable { .. } => {
                AppError::Unavailable(e.to_string())
            }
            other => AppError::InvalidTransition {
                status: Some(o.status),
                detail: format!("the bank refused the payout: {other}"),
            },
        })?;
        self.confirm_payout(
            order,
            payout,
            Some(&sent.payout_id),
            Some("sent through the bank provider"),
            actor,
        )
        .await
    }
}
