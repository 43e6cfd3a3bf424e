//! The bank port (virtual accounts, deposit statements, payouts) and its client for the sandbox's
//! bank API (JSON under `/bank/v1`, modelled on GMO あおぞらネット銀行's `va/issue`; FORMATS.md §4).
//!
//! Deposits reach juchu by signed webhook and by Zengin file; this port is what juchu calls:
//! issue virtual accounts for the pool, fetch a Zengin statement, and send refund transfers.

use crate::config::{BankConfig, HttpSettings};
use crate::error::{Provider, ProviderError};
use crate::transport::{HttpTransport, IdempotencyKey, RawResponse, Verdict, snippet};
use async_trait::async_trait;
use jiff::civil::Date;
use juchu_domain::Money;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

const P: Provider = Provider::Bank;

/// A virtual account (振込入金口座) the bank issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualAccount {
    /// `0310-101-1000001`: bank, branch, account — the form juchu stores on the order.
    pub account: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_number: String,
    pub holder_name_kana: String,
}

/// Which Zengin layout a statement comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementLayout {
    /// 振込入金通知 (種別 01).
    Transfers01,
    /// 入出金取引明細 (種別 03).
    Statement03,
}

impl StatementLayout {
    fn code(self) -> &'static str {
        match self {
            StatementLayout::Transfers01 => "01",
            StatementLayout::Statement03 => "03",
        }
    }
}

/// A refund transfer to the customer's own account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRequest {
    /// 4 digits.
    pub bank_code: String,
    /// 3 digits.
    pub branch_code: String,
    /// 7 digits.
    pub account_number: String,
    /// Half-width kana, as the bank has it.
    pub account_name: String,
    pub amount: Money,
    /// Our id for the transfer (the refund's id): the bank pays one reference once.
    pub reference: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutStatus {
    Pending,
    Completed,
    Failed,
}

impl TryFrom<&str> for PayoutStatus {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        match s {
            "pending" | "accepted" => Ok(PayoutStatus::Pending),
            "completed" => Ok(PayoutStatus::Completed),
            "failed" | "rejected" => Ok(PayoutStatus::Failed),
            other => Err(format!("unknown payout status {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub payout_id: String,
    pub reference: String,
    pub amount: Money,
    pub status: PayoutStatus,
}

#[derive(Deserialize)]
struct PayoutWire {
    payout_id: String,
    reference: String,
    amount: i64,
    status: String,
}

#[derive(Deserialize)]
struct Issued {
    accounts: Vec<VirtualAccount>,
}

#[derive(Deserialize)]
struct ErrorWire {
    error: String,
    #[serde(default)]
    message: String,
}

/// The bank port.
#[async_trait]
pub trait Bank: Send + Sync {
    /// Issues `count` (1–1000) new virtual accounts under `holder_name_kana` (half-width, ≤ 40).
    async fn issue_virtual_accounts(
        &self,
        count: u32,
        holder_name_kana: Option<&str>,
        key: &IdempotencyKey,
    ) -> Result<Vec<VirtualAccount>, ProviderError>;

    /// The deposit statement for 勘定日 `from..=to`, as the bank's file (Shift_JIS).
    async fn statement(
        &self,
        layout: StatementLayout,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<u8>, ProviderError>;

    /// Sends a refund transfer; the same `reference` is never paid twice.
    async fn payout(
        &self,
        request: &PayoutRequest,
        key: &IdempotencyKey,
    ) -> Result<Payout, ProviderError>;
}

/// Decodes an answer: the object on 2xx; `{error, message}` mapped by status: 404 → not found,
/// 409 (`pool_exhausted`, `duplicate_reference`) → refused in this state, other 4xx → invalid.
pub fn decode<T: DeserializeOwned>(operation: &'static str, raw: &RawResponse) -> Verdict<T> {
    if (200..300).contains(&raw.status) {
        return Verdict::Done(serde_json::from_str(&raw.body).map_err(|e| {
            ProviderError::protocol(P, operation, format!("{e}: {}", snippet(&raw.body)))
        }));
    }
    Verdict::Done(Err(error(operation, raw)))
}

fn error(operation: &'static str, raw: &RawResponse) -> ProviderError {
    let (code, message) = match serde_json::from_str::<ErrorWire>(&raw.body) {
        Ok(w) => (w.error, w.message),
        Err(_) => (format!("HTTP {}", raw.status), snippet(&raw.body)),
    };
    match raw.status {
        404 => ProviderError::NotFound {
            provider: P,
            operation,
            code,
            message,
        },
        409 => ProviderError::Rejected {
            provider: P,
            operation,
            code,
            message,
        },
        _ => ProviderError::Invalid {
            provider: P,
            operation,
            code,
            message,
        },
    }
}

fn check_payout(r: &PayoutRequest) -> Result<(), ProviderError> {
    let digits = |v: &str, n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_digit());
    let mut problems = vec![];
    if !digits(&r.bank_code, 4) {
        problems.push(format!("bank_code {:?} must be 4 digits", r.bank_code));
    }
    if !digits(&r.branch_code, 3) {
        problems.push(format!("branch_code {:?} must be 3 digits", r.branch_code));
    }
    if !digits(&r.account_number, 7) {
        problems.push(format!(
            "account_number {:?} must be 7 digits",
            r.account_number
        ));
    }
    if r.amount.minor() <= 0 {
        problems.push(format!("amount {} must be positive", r.amount.minor()));
    }
    if r.reference.trim().is_empty() || r.reference.len() > 100 {
        problems.push("reference must be 1-100 characters".to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::invalid(P, "payout", problems.join("; ")))
    }
}

/// The client for the sandbox's bank API.
#[derive(Debug, Clone)]
pub struct BankClient {
    config: BankConfig,
    http: HttpTransport,
}

impl BankClient {
    pub fn new(config: BankConfig, http: HttpSettings) -> Result<Self, ProviderError> {
        Ok(BankClient {
            http: HttpTransport::new(P, http)?,
            config,
        })
    }

    /// HTTP attempts and transient failures so far.
    pub fn stats(&self) -> crate::transport::TransportStats {
        self.http.stats()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }
}

#[async_trait]
impl Bank for BankClient {
    async fn issue_virtual_accounts(
        &self,
        count: u32,
        holder_name_kana: Option<&str>,
        key: &IdempotencyKey,
    ) -> Result<Vec<VirtualAccount>, ProviderError> {
        const OP: &str = "issue virtual accounts";
        if !(1..=1000).contains(&count) {
            return Err(ProviderError::invalid(
                P,
                OP,
                format!("count {count} must be 1-1000"),
            ));
        }
        let mut body = serde_json::json!({ "count": count });
        if let Some(h) = holder_name_kana {
            body["holder_name_kana"] = serde_json::json!(h);
        }
        let url = self.url("va/issue");
        let issued: Issued = self
            .http
            .call(
                OP,
                |c| {
                    c.post(&url)
                        .header("Idempotency-Key", key.as_str())
                        .json(&body)
                },
                |raw| decode(OP, raw),
            )
            .await?;
        Ok(issued.accounts)
    }

    async fn statement(
        &self,
        layout: StatementLayout,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<u8>, ProviderError> {
        const OP: &str = "statement";
        let mut query = vec![("layout", layout.code().to_string())];
        if let Some(f) = from {
            query.push(("from", f.to_string()));
        }
        if let Some(t) = to {
            query.push(("to", t.to_string()));
        }
        let url = self.url("statements");
        self.http
            .call(
                OP,
                |c| c.get(&url).query(&query),
                |raw| {
                    if (200..300).contains(&raw.status) {
                        Verdict::Done(Ok(raw.bytes.clone()))
                    } else {
                        Verdict::Done(Err(error(OP, raw)))
                    }
                },
            )
            .await
    }

    async fn payout(
        &self,
        request: &PayoutRequest,
        key: &IdempotencyKey,
    ) -> Result<Payout, ProviderError> {
        const OP: &str = "payout";
        check_payout(request)?;
        let body = serde_json::json!({
            "bank_code": request.bank_code,
            "branch_code": request.branch_code,
            "account_number": request.account_number,
            "account_name": request.account_name,
            "amount": request.amount.minor(),
            "reference": request.reference,
        });
        let url = self.url("payouts");
        let w: PayoutWire = self
            .http
            .call(
                OP,
                |c| {
                    c.post(&url)
                        .header("Idempotency-Key", key.as_str())
                        .json(&body)
                },
                |raw| decode(OP, raw),
            )
            .await?;
        Ok(Payout {
            status: PayoutStatus::try_from(w.status.as_str())
                .map_err(|e| ProviderError::protocol(P, OP, e))?,
            payout_id: w.payout_id,
            reference: w.reference,
            amount: Money::yen(w.amount),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn payouts_are_checked_before_sending() {
        let mut r = PayoutRequest {
            bank_code: "0001".into(),
            branch_code: "001".into(),
            account_number: "1234567".into(),
            account_name: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
            amount: Money::yen(1200),
            reference: "refund-1".into(),
        };
        check_payout(&r).unwrap();
        r.bank_code = "1".into();
        r.account_number = "12345678".into();
        r.amount = Money::yen(0);
        let e = check_payout(&r).unwrap_err().to_string();
        assert!(e.contains("bank_code \"1\" must be 4 digits"), "{e}");
        assert!(
            e.contains("account_number \"12345678\" must be 7 digits"),
            "{e}"
        );
        assert!(e.contains("amount 0 must be positive"), "{e}");
    }

    #[test]
    fn errors_map_by_status() {
        let raw = |status: u16, body: &str| RawResponse {
            status,
            body: body.into(),
            bytes: Vec::new(),
        };
        let e = error(
            "issue virtual accounts",
            &raw(
                409,
                r#"{"error":"pool_exhausted","message":"no accounts left"}"#,
            ),
        );
        assert!(
            matches!(e, ProviderError::Rejected { ref code, .. } if code == "pool_exhausted"),
            "{e:?}"
        );
        let e = error(
            "payout",
            &raw(422, r#"{"error":"invalid_payout","message":"x"}"#),
        );
        assert!(matches!(e, ProviderError::Invalid { .. }), "{e:?}");
        assert_eq!(
            PayoutStatus::try_from("completed"),
            Ok(PayoutStatus::Completed)
        );
    }
}
