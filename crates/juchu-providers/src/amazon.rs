//! The Amazon Pay port and its API v2 client (FORMATS.md §6).
//!
//! JSON; amounts as `{"amount": "1000", "currencyCode": "JPY"}`; the object's state in
//! `statusDetails.state`; errors as `{"reasonCode", "message"}` with a 4xx status. Mutating calls
//! carry `x-amz-pay-idempotency-key` (and `Idempotency-Key`, which the sandbox reads).
//! Request signing (Amazon's RSA `authorization` header) is not done: see docs/providers.md.

use crate::config::{AmazonPayConfig, HttpSettings};
use crate::error::{Provider, ProviderError};
use crate::transport::{HttpTransport, IdempotencyKey, RawResponse, Verdict, snippet};
use async_trait::async_trait;
use juchu_domain::Money;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

const P: Provider = Provider::AmazonPay;

/// An amount as Amazon writes it: a decimal string (or number) and a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmazonPrice {
    #[serde(deserialize_with = "yen_amount")]
    pub amount: i64,
    pub currency_code: String,
}

impl AmazonPrice {
    pub fn jpy(amount: Money) -> Self {
        AmazonPrice {
            amount: amount.minor(),
            currency_code: "JPY".into(),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "amount": self.amount.to_string(), "currencyCode": self.currency_code })
    }
}

/// `"1000"`, `"1000.00"` or `1000` → 1000 (JPY has no minor unit).
fn yen_amount<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let v = serde_json::Value::deserialize(d)?;
    let text = match &v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(D::Error::custom(format!("amount {other} is not a number"))),
    };
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if !frac.bytes().all(|b| b == b'0') {
        return Err(D::Error::custom(format!(
            "amount {text} has a fraction of a yen"
        )));
    }
    whole
        .parse::<i64>()
        .map_err(|e| D::Error::custom(format!("amount {text}: {e}")))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    pub state: String,
    #[serde(default)]
    pub reason_code: Option<String>,
    #[serde(default)]
    pub reason_description: Option<String>,
}

/// ChargePermission states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargePermissionState {
    Chargeable,
    NonChargeable,
    Closed,
}

impl TryFrom<&str> for ChargePermissionState {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        match s {
            "Chargeable" => Ok(ChargePermissionState::Chargeable),
            "NonChargeable" => Ok(ChargePermissionState::NonChargeable),
            "Closed" => Ok(ChargePermissionState::Closed),
            other => Err(format!("unknown charge permission state {other:?}")),
        }
    }
}

/// Charge states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeState {
    Pending,
    Authorized,
    CaptureInitiated,
    Completed,
    Declined,
    Canceled,
}

impl TryFrom<&str> for ChargeState {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        match s {
            "AuthorizationInitiated" | "Pending" => Ok(ChargeState::Pending),
            "Authorized" | "Open" => Ok(ChargeState::Authorized),
            "CaptureInitiated" => Ok(ChargeState::CaptureInitiated),
            "Completed" | "Captured" => Ok(ChargeState::Completed),
            "Declined" => Ok(ChargeState::Declined),
            "Canceled" | "Cancelled" => Ok(ChargeState::Canceled),
            other => Err(format!("unknown charge state {other:?}")),
        }
    }
}

/// Refund states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    Pending,
    Completed,
    Declined,
}

impl TryFrom<&str> for RefundState {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        match s {
            "RefundInitiated" | "Pending" => Ok(RefundState::Pending),
            "Refunded" | "Completed" => Ok(RefundState::Completed),
            "Declined" => Ok(RefundState::Declined),
            other => Err(format!("unknown refund state {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargePermission {
    pub charge_permission_id: String,
    pub state: ChargePermissionState,
    pub reason_code: Option<String>,
    /// What is left to charge, when Amazon says.
    pub amount_limit: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub charge_id: String,
    pub charge_permission_id: Option<String>,
    pub state: ChargeState,
    pub reason_code: Option<String>,
    pub charge_amount: Option<Money>,
    pub capture_amount: Option<Money>,
    pub refunded_amount: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub refund_id: String,
    pub charge_id: Option<String>,
    pub state: RefundState,
    pub amount: Option<Money>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermissionWire {
    charge_permission_id: String,
    status_details: StatusDetails,
    #[serde(default)]
    limits: Option<LimitsWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LimitsWire {
    #[serde(default)]
    amount_balance: Option<AmazonPrice>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChargeWire {
    charge_id: String,
    #[serde(default)]
    charge_permission_id: Option<String>,
    status_details: StatusDetails,
    #[serde(default)]
    charge_amount: Option<AmazonPrice>,
    #[serde(default)]
    capture_amount: Option<AmazonPrice>,
    #[serde(default)]
    refunded_amount: Option<AmazonPrice>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundWire {
    refund_id: String,
    #[serde(default)]
    charge_id: Option<String>,
    status_details: StatusDetails,
    #[serde(default)]
    refund_amount: Option<AmazonPrice>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorWire {
    reason_code: String,
    #[serde(default)]
    message: Option<String>,
}

fn money(p: Option<AmazonPrice>) -> Option<Money> {
    p.map(|p| Money::yen(p.amount))
}

impl TryFrom<PermissionWire> for ChargePermission {
    type Error = String;
    fn try_from(w: PermissionWire) -> Result<Self, String> {
        Ok(ChargePermission {
            state: ChargePermissionState::try_from(w.status_details.state.as_str())?,
            charge_permission_id: w.charge_permission_id,
            reason_code: w.status_details.reason_code,
            amount_limit: money(w.limits.and_then(|l| l.amount_balance)),
        })
    }
}

impl TryFrom<ChargeWire> for Charge {
    type Error = String;
    fn try_from(w: ChargeWire) -> Result<Self, String> {
        Ok(Charge {
            state: ChargeState::try_from(w.status_details.state.as_str())?,
            charge_id: w.charge_id,
            charge_permission_id: w.charge_permission_id,
            reason_code: w.status_details.reason_code,
            charge_amount: money(w.charge_amount),
            capture_amount: money(w.capture_amount),
            refunded_amount: money(w.refunded_amount),
        })
    }
}

impl TryFrom<RefundWire> for Refund {
    type Error = String;
    fn try_from(w: RefundWire) -> Result<Self, String> {
        Ok(Refund {
            state: RefundState::try_from(w.status_details.state.as_str())?,
            refund_id: w.refund_id,
            charge_id: w.charge_id,
            amount: money(w.refund_amount),
        })
    }
}

/// Decodes an answer: the object on 2xx; `{reasonCode, message}` mapped on 4xx. Declines
/// (`HardDeclined`, `SoftDeclined`, `ProcessingFailure`; `TransactionAmountExceeded` when
/// authorising) → declined; 404 → not found; 409/422 and state codes (`InvalidChargeStatus`,
/// `TransactionAmountExceeded` on capture or refund) → refused in this state.
pub fn decode<T: DeserializeOwned>(operation: &'static str, raw: &RawResponse) -> Verdict<T> {
    if (200..300).contains(&raw.status) {
        return Verdict::Done(serde_json::from_str(&raw.body).map_err(|e| {
            ProviderError::protocol(P, operation, format!("{e}: {}", snippet(&raw.body)))
        }));
    }
    let (code, message) = match serde_json::from_str::<ErrorWire>(&raw.body) {
        Ok(w) => (w.reason_code, w.message.unwrap_or_default()),
        Err(_) => (format!("HTTP {}", raw.status), snippet(&raw.body)),
    };
    // Over the permission's limit is a decline when authorising; over what was authorised or
    // captured (capture, refund) is a refused state change.
    let is_decline = matches!(
        code.as_str(),
        "HardDeclined" | "SoftDeclined" | "ProcessingFailure"
    ) || code.contains("Declined")
        || (operation == "authorize"
            && (code == "TransactionAmountExceeded" || code.starts_with("AmountExceeded")));
    let err = if is_decline {
        ProviderError::Declined {
            provider: P,
            operation,
            code,
            message,
        }
    } else if raw.status == 404 || code == "ResourceNotFound" || code.ends_with("NotFound") {
        ProviderError::NotFound {
            provider: P,
            operation,
            code,
            message,
        }
    } else if matches!(raw.status, 409 | 422)
        || code == "TransactionAmountExceeded"
        || code == "InvalidChargeStatus"
        || code == "InvalidChargePermissionStatus"
        || code.ends_with("Expired")
    {
        ProviderError::Rejected {
            provider: P,
            operation,
            code,
            message,
        }
    } else {
        ProviderError::Invalid {
            provider: P,
            operation,
            code,
            message,
        }
    };
    Verdict::Done(Err(err))
}

/// A charge that came back `Declined` (with a 200) is a decline too.
fn charge_or_decline(operation: &'static str, c: Charge) -> Result<Charge, ProviderError> {
    if c.state == ChargeState::Declined {
        return Err(ProviderError::Declined {
            provider: P,
            operation,
            code: c.reason_code.clone().unwrap_or_else(|| "Declined".into()),
            message: format!("charge {} declined", c.charge_id),
        });
    }
    Ok(c)
}

/// The Amazon Pay port.
#[async_trait]
pub trait AmazonPay: Send + Sync {
    async fn charge_permission(
        &self,
        charge_permission_id: &str,
    ) -> Result<ChargePermission, ProviderError>;

    /// A charge's current state (to reconcile after `Unavailable`, or to see that an
    /// authorisation ran out: Canceled with `ExpiredUnused`).
    async fn charge(&self, charge_id: &str) -> Result<Charge, ProviderError>;

    /// Creates a charge on the permission: authorises `amount`, and captures it at once when
    /// `capture_now`.
    async fn authorize(
        &self,
        charge_permission_id: &str,
        amount: Money,
        capture_now: bool,
        key: &IdempotencyKey,
    ) -> Result<Charge, ProviderError>;

    async fn capture(
        &self,
        charge_id: &str,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Charge, ProviderError>;

    async fn cancel(
        &self,
        charge_id: &str,
        reason: &str,
        key: &IdempotencyKey,
    ) -> Result<Charge, ProviderError>;

    async fn refund(
        &self,
        charge_id: &str,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Refund, ProviderError>;
}

/// The Amazon Pay API v2 client.
#[derive(Debug, Clone)]
pub struct AmazonPayClient {
    config: AmazonPayConfig,
    http: HttpTransport,
}

impl AmazonPayClient {
    /// HTTP attempts and transient failures so far.
    pub fn stats(&self) -> crate::transport::TransportStats {
        self.http.stats()
    }

    pub fn new(config: AmazonPayConfig, http: HttpSettings) -> Result<Self, ProviderError> {
        Ok(AmazonPayClient {
            http: HttpTransport::new(P, http)?,
            config,
        })
    }

    async fn send<W, T>(
        &self,
        operation: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, ProviderError>
    where
        W: DeserializeOwned,
        T: TryFrom<W, Error = String>,
    {
        let url = format!("{}/{path}", self.config.base_url.trim_end_matches('/'));
        let wire: W = self
            .http
            .call(
                operation,
                |c| {
                    let mut r = c
                        .request(method.clone(), &url)
                        .header("x-amz-pay-region", &self.config.region);
                    if let Some(k) = key {
                        r = r
                            .header("x-amz-pay-idempotency-key", amazon_key(k))
                            .header("Idempotency-Key", k.as_str());
                    }
                    if let Some(b) = &body {
                        r = r.json(b);
                    }
                    r
                },
                |raw| decode(operation, raw),
            )
            .await?;
        T::try_from(wire).map_err(|e| ProviderError::protocol(P, operation, e))
    }
}

/// Amazon takes idempotency keys of at most 32 characters: a longer key is sent as the first
/// 32 hex digits of its SHA-256 (the same key always gives the same digest).
pub fn amazon_key(key: &IdempotencyKey) -> String {
    let k = key.as_str();
    if k.len() <= 32 {
        return k.to_string();
    }
    use sha2::{Digest, Sha256};
    Sha256::digest(k.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_id(operation: &'static str, what: &str, id: &str) -> Result<(), ProviderError> {
    if id.is_empty() || id.len() > 100 || !id.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return Err(ProviderError::invalid(
            P,
            operation,
            format!("{what} {id:?} must be 1-100 printable characters without '/'"),
        ));
    }
    Ok(())
}

fn check_amount(operation: &'static str, amount: Money) -> Result<(), ProviderError> {
    if amount.minor() <= 0 || amount.minor() > 10_000_000 {
        return Err(ProviderError::invalid(
            P,
            operation,
            format!(
                "amount {} must be between 1 and 10,000,000 yen",
                amount.minor()
            ),
        ));
    }
    Ok(())
}

#[async_trait]
impl AmazonPay for AmazonPayClient {
    async fn charge_permission(
        &self,
        charge_permission_id: &str,
    ) -> Result<ChargePermission, ProviderError> {
        const OP: &str = "get charge permission";
        check_id(OP, "charge permission id", charge_permission_id)?;
        self.send::<PermissionWire, _>(
            OP,
            reqwest::Method::GET,
            &format!("chargePermissions/{charge_permission_id}"),
            None,
            None,
        )
        .await
    }

    async fn charge(&self, charge_id: &str) -> Result<Charge, ProviderError> {
        const OP: &str = "get charge";
        check_id(OP, "charge id", charge_id)?;
        self.send::<ChargeWire, Charge>(
            OP,
            reqwest::Method::GET,
            &format!("charges/{charge_id}"),
            None,
            None,
        )
        .await
    }

    async fn authorize(
        &self,
        charge_permission_id: &str,
        amount: Money,
        capture_now: bool,
        key: &IdempotencyKey,
    ) -> Result<Charge, ProviderError> {
        const OP: &str = "authorize";
        check_id(OP, "charge permission id", charge_permission_id)?;
        check_amount(OP, amount)?;
        let body = serde_json::json!({
            "chargePermissionId": charge_permission_id,
            "chargeAmount": AmazonPrice::jpy(amount).to_json(),
            "captureNow": capture_now,
            "canHandlePendingAuthorization": false,
        });
        let c = self
            .send::<ChargeWire, Charge>(OP, reqwest::Method::POST, "charges", Some(body), Some(key))
            .await?;
        charge_or_decline(OP, c)
    }

    async fn capture(
        &self,
        charge_id: &str,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Charge, ProviderError> {
        const OP: &str = "capture";
        check_id(OP, "charge id", charge_id)?;
        check_amount(OP, amount)?;
        let body = serde_json::json!({ "captureAmount": AmazonPrice::jpy(amount).to_json() });
        let c = self
            .send::<ChargeWire, Charge>(
                OP,
                reqwest::Method::POST,
                &format!("charges/{charge_id}/capture"),
                Some(body),
                Some(key),
            )
            .await?;
        charge_or_decline(OP, c)
    }

    async fn cancel(
        &self,
        charge_id: &str,
        reason: &str,
        key: &IdempotencyKey,
    ) -> Result<Charge, ProviderError> {
        const OP: &str = "cancel";
        check_id(OP, "charge id", charge_id)?;
        let body = serde_json::json!({ "cancellationReason": reason });
        self.send::<ChargeWire, Charge>(
            OP,
            reqwest::Method::DELETE,
            &format!("charges/{charge_id}/cancel"),
            Some(body),
            Some(key),
        )
        .await
    }

    async fn refund(
        &self,
        charge_id: &str,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Refund, ProviderError> {
        const OP: &str = "refund";
        check_id(OP, "charge id", charge_id)?;
        check_amount(OP, amount)?;
        let body = serde_json::json!({
            "chargeId": charge_id,
            "refundAmount": AmazonPrice::jpy(amount).to_json(),
        });
        let r: Refund = self
            .send::<RefundWire, Refund>(OP, reqwest::Method::POST, "refunds", Some(body), Some(key))
            .await?;
        if r.state == RefundState::Declined {
            return Err(ProviderError::Declined {
                provider: P,
                operation: OP,
                code: "Declined".into(),
                message: format!("refund {} declined", r.refund_id),
            });
        }
        Ok(r)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            body: body.into(),
            bytes: Vec::new(),
        }
    }

    #[test]
    fn charges_decode_with_string_amounts_and_states() {
        let Verdict::Done(Ok(w)) = decode::<ChargeWire>(
            "authorize",
            &raw(
                201,
                r#"{"chargeId":"S01-1","chargePermissionId":"P01-1",
                   "chargeAmount":{"amount":"1200.00","currencyCode":"JPY"},
                   "captureAmount":{"amount":1200,"currencyCode":"JPY"},
                   "statusDetails":{"state":"Authorized","reasonCode":null}}"#,
            ),
        ) else {
            panic!("expected a charge");
        };
        let c = Charge::try_from(w).unwrap();
        assert_eq!(c.state, ChargeState::Authorized);
        assert_eq!(c.charge_amount, Some(Money::yen(1200)));
        assert_eq!(c.capture_amount, Some(Money::yen(1200)));
        for (s, want) in [
            ("Pending", ChargeState::Pending),
            ("CaptureInitiated", ChargeState::CaptureInitiated),
            ("Completed", ChargeState::Completed),
            ("Declined", ChargeState::Declined),
            ("Canceled", ChargeState::Canceled),
        ] {
            assert_eq!(ChargeState::try_from(s), Ok(want));
        }
        assert!(ChargeState::try_from("Exploded").is_err());
        assert_eq!(
            RefundState::try_from("Refunded"),
            Ok(RefundState::Completed)
        );
        assert_eq!(
            ChargePermissionState::try_from("NonChargeable"),
            Ok(ChargePermissionState::NonChargeable)
        );
    }

    #[test]
    fn a_fraction_of_a_yen_is_refused() {
        let Verdict::Done(Err(e)) = decode::<ChargeWire>(
            "authorize",
            &raw(
                200,
                r#"{"chargeId":"S","statusDetails":{"state":"Authorized"},
                   "chargeAmount":{"amount":"10.5","currencyCode":"JPY"}}"#,
            ),
        ) else {
            panic!("expected an error");
        };
        assert!(e.to_string().contains("fraction"), "{e}");
    }

    #[test]
    fn errors_map_by_reason_code() {
        let cases = [
            (400, "HardDeclined", "declined"),
            (400, "TransactionAmountExceeded", "declined"),
            (404, "ResourceNotFound", "not found"),
            (422, "InvalidChargeStatus", "state"),
            (400, "InvalidParameterValue", "invalid"),
        ];
        for (status, code, want) in cases {
            let body = format!(r#"{{"reasonCode":"{code}","message":"m"}}"#);
            let Verdict::Done(Err(e)) = decode::<ChargeWire>("authorize", &raw(status, &body))
            else {
                panic!("expected an error for {code}");
            };
            let ok = match want {
                "declined" => matches!(e, ProviderError::Declined { .. }),
                "not found" => matches!(e, ProviderError::NotFound { .. }),
                "state" => matches!(e, ProviderError::Rejected { .. }),
                _ => matches!(e, ProviderError::Invalid { .. }),
            };
            assert!(ok, "{code}: {e:?}");
            assert_eq!(e.code(), Some(code));
        }
        let body = r#"{"reasonCode":"TransactionAmountExceeded","message":"m"}"#;
        let Verdict::Done(Err(e)) = decode::<ChargeWire>("capture", &raw(400, body)) else {
            panic!("expected an error");
        };
        assert!(matches!(e, ProviderError::Rejected { .. }), "{e:?}");
    }

    #[test]
    fn long_keys_are_digested_to_32_characters_for_amazon() {
        let short = IdempotencyKey::new("order-1.capture").unwrap();
        assert_eq!(amazon_key(&short), "order-1.capture");
        let long = IdempotencyKey::new("0193f3c2-7f1e-7c4a-9d2b-1a2b3c4d5e6f.capture").unwrap();
        let k = amazon_key(&long);
        assert_eq!(k.len(), 32);
        assert_eq!(k, amazon_key(&long));
        assert_ne!(
            k,
            amazon_key(
                &IdempotencyKey::new("0193f3c2-7f1e-7c4a-9d2b-1a2b3c4d5e6f.refund").unwrap()
            )
        );
    }

    #[test]
    fn a_declined_charge_in_a_200_is_a_decline() {
        let c = Charge {
            charge_id: "S".into(),
            charge_permission_id: None,
            state: ChargeState::Declined,
            reason_code: Some("SoftDeclined".into()),
            charge_amount: None,
            capture_amount: None,
            refunded_amount: None,
        };
        let e = charge_or_decline("authorize", c).unwrap_err();
        assert_eq!(e.code(), Some("SoftDeclined"));
        assert!(e.is_decline());
    }
}
