//! The deferred-payment (後払い) port and its NP後払い-style REST client (FORMATS.md §5).
//!
//! JSON over HTTP Basic (`merchant_code:sp_code`) with `X-NP-Terminal-Id`; every call carries a
//! list of `transactions` and answers a list of `results` (or `errors`).

use crate::config::{DeferredConfig, HttpSettings};
use crate::error::{Provider, ProviderError};
use crate::transport::{HttpTransport, IdempotencyKey, RawResponse, Verdict, snippet};
use async_trait::async_trait;
use jiff::civil::Date;
use juchu_domain::carrier::Carrier;
use juchu_domain::{Address, Money, Order};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

const P: Provider = Provider::Deferred;

/// Why a credit check is on hold (保留): the customer or the shop must fix something.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HoldReason {
    /// RE009 住所情報不足
    AddressIncomplete,
    /// RE014 住所確認作業
    AddressBeingChecked,
    /// RE015 配送先情報不足
    DestinationIncomplete,
    /// RE020 配送先住所確認作業
    DestinationAddressBeingChecked,
    /// RE021 電話番号誤り
    WrongPhone,
    /// RE023 配送先電話番号誤り
    WrongDestinationPhone,
    /// RE026 その他
    Other,
    /// A code this client does not know, kept as given.
    Unknown(String),
}

impl From<&str> for HoldReason {
    fn from(code: &str) -> Self {
        match code {
            "RE009" => HoldReason::AddressIncomplete,
            "RE014" => HoldReason::AddressBeingChecked,
            "RE015" => HoldReason::DestinationIncomplete,
            "RE020" => HoldReason::DestinationAddressBeingChecked,
            "RE021" => HoldReason::WrongPhone,
            "RE023" => HoldReason::WrongDestinationPhone,
            "RE026" => HoldReason::Other,
            other => HoldReason::Unknown(other.to_string()),
        }
    }
}

impl HoldReason {
    pub fn code(&self) -> &str {
        match self {
            HoldReason::AddressIncomplete => "RE009",
            HoldReason::AddressBeingChecked => "RE014",
            HoldReason::DestinationIncomplete => "RE015",
            HoldReason::DestinationAddressBeingChecked => "RE020",
            HoldReason::WrongPhone => "RE021",
            HoldReason::WrongDestinationPhone => "RE023",
            HoldReason::Other => "RE026",
            HoldReason::Unknown(c) => c,
        }
    }

    pub fn text(&self) -> &'static str {
        match self {
            HoldReason::AddressIncomplete => "billing address incomplete (住所情報不足)",
            HoldReason::AddressBeingChecked => "billing address being checked (住所確認作業)",
            HoldReason::DestinationIncomplete => "delivery address incomplete (配送先情報不足)",
            HoldReason::DestinationAddressBeingChecked => {
                "delivery address being checked (配送先住所確認作業)"
            }
            HoldReason::WrongPhone => "wrong phone number (電話番号誤り)",
            HoldReason::WrongDestinationPhone => "wrong delivery phone number (配送先電話番号誤り)",
            HoldReason::Other => "other (その他)",
            HoldReason::Unknown(_) => "unknown hold reason",
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.text())
    }
}

/// Why a credit check was declined (NG).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    /// RE001 金額超過
    AmountExceeded,
    /// RE002 情報不足
    InsufficientInformation,
    /// RE003 その他
    Other,
    Unknown(String),
}

impl From<&str> for DeclineReason {
    fn from(code: &str) -> Self {
        match code {
            "RE001" => DeclineReason::AmountExceeded,
            "RE002" => DeclineReason::InsufficientInformation,
            "RE003" => DeclineReason::Other,
            other => DeclineReason::Unknown(other.to_string()),
        }
    }
}

impl DeclineReason {
    pub fn code(&self) -> &str {
        match self {
            DeclineReason::AmountExceeded => "RE001",
            DeclineReason::InsufficientInformation => "RE002",
            DeclineReason::Other => "RE003",
            DeclineReason::Unknown(c) => c,
        }
    }

    pub fn text(&self) -> &'static str {
        match self {
            DeclineReason::AmountExceeded => "amount over the buyer's limit (金額超過)",
            DeclineReason::InsufficientInformation => "not enough information (情報不足)",
            DeclineReason::Other => "other (その他)",
            DeclineReason::Unknown(_) => "declined",
        }
    }
}

impl fmt::Display for DeclineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.text())
    }
}

/// The credit check's result, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeferredDecision {
    /// `00` OK: the provider guarantees the amount.
    Approved,
    /// No result yet (審査中 / 審査前): poll [`DeferredPayment::status`] later.
    Pending,
    /// `20` NG.
    Declined { reason: DeclineReason },
    /// `10` 保留 with reasons that need fixing (then update, or cancel).
    Hold { reasons: Vec<HoldReason> },
}

/// One entry of `results` as the provider sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpResult {
    #[serde(default)]
    pub shop_transaction_id: Option<String>,
    pub np_transaction_id: String,
    #[serde(default)]
    pub authori_result: Option<String>,
    #[serde(default)]
    pub authori_hold: Option<Vec<String>>,
    #[serde(default)]
    pub authori_ng: Option<String>,
}

impl TryFrom<&NpResult> for DeferredDecision {
    type Error = String;

    /// `00` → approved; `20` → declined with the NG reason; `10` (保留) → hold with its reasons;
    /// `40` (審査前) → pending. A `10` without reasons is read as pending and a `40` with reasons
    /// as a hold: what matters to the order is whether something must be fixed.
    fn try_from(r: &NpResult) -> Result<Self, Self::Error> {
        let reasons: Vec<HoldReason> = r
            .authori_hold
            .iter()
            .flatten()
            .map(|c| HoldReason::from(c.as_str()))
            .collect();
        match r.authori_result.as_deref() {
            Some("00") => Ok(DeferredDecision::Approved),
            Some("20") => Ok(DeferredDecision::Declined {
                reason: DeclineReason::from(r.authori_ng.as_deref().unwrap_or("RE003")),
            }),
            Some("10" | "40") if !reasons.is_empty() => Ok(DeferredDecision::Hold { reasons }),
            Some("10" | "40") => Ok(DeferredDecision::Pending),
            Some(other) => Err(format!("unknown authori_result {other:?}")),
            None => Err("no authori_result".into()),
        }
    }
}

/// The buyer (who is invoiced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpCustomer {
    pub customer_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    pub zip_code: String,
    /// The whole address in one string (全住所).
    pub address: String,
    pub tel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One line of goods: tax-inclusive unit price; discounts, shipping and fees as their own lines
/// (discounts negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpGoods {
    pub goods_name: String,
    pub goods_price: i64,
    pub quantity: i64,
}

/// What a credit check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredRegistration {
    /// Our id for the transaction (≤ 40 characters), unique per registration.
    pub shop_transaction_id: String,
    pub order_date: Date,
    pub amount: Money,
    pub customer: NpCustomer,
    /// The delivery address, when it is not the buyer's.
    pub destination: Option<NpCustomer>,
    pub goods: Vec<NpGoods>,
}

impl DeferredRegistration {
    /// The registration for one order (or split part): the buyer from the billing address (the
    /// shipping address when there is none), the delivery address when it differs, one goods
    /// line per order line, and shipping, fees, discount and points as their own lines, so the
    /// goods add up to the order's total. `shop_transaction_id` is the order's id (32 hex).
    pub fn from_order(order: &Order) -> Result<Self, ProviderError> {
        const OP: &str = "register";
        let customer_phone = order.customer.phone.as_deref();
        let person = |a: &Address, company: Option<String>| -> Result<NpCustomer, ProviderError> {
            let tel = a
                .phone
                .as_deref()
                .or(customer_phone)
                .map(|t| t.chars().filter(|c| c.is_ascii_digit()).collect::<String>())
                .filter(|t| t.starts_with('0'))
                .ok_or_else(|| {
                    ProviderError::invalid(
                        P,
                        OP,
                        format!(
                            "deferred payment needs a phone number starting with 0 for {}",
                            a.name
                        ),
                    )
                })?;
            let mut address = format!("{}{}{}", a.prefecture, a.city, a.line1);
            if let Some(l2) = a.line2.as_deref().filter(|l| !l.trim().is_empty()) {
                address.push(' ');
                address.push_str(l2);
            }
            Ok(NpCustomer {
                customer_name: a.name.clone(),
                company_name: company,
                zip_code: a.postal_code.replace('-', ""),
                address,
                tel,
                email: None,
            })
        };
        let billing = order
            .billing_address
            .as_ref()
            .unwrap_or(&order.shipping_address);
        let mut customer = person(billing, None)?;
        customer.email = Some(order.customer.email.clone());
        let destination = if billing != &order.shipping_address {
            Some(person(&order.shipping_address, None)?)
        } else {
            None
        };
        let mut goods: Vec<NpGoods> = order
            .lines
            .iter()
            .filter(|l| l.quantity > 0)
            .map(|l| NpGoods {
                goods_name: l.name.clone(),
                goods_price: l.unit_price.minor(),
                quantity: l.quantity,
            })
            .collect();
        let mut extra = |name: &str, amount: i64| {
            if amount != 0 {
                goods.push(NpGoods {
                    goods_name: name.to_string(),
                    goods_price: amount,
                    quantity: 1,
                });
            }
        };
        extra("送料", order.totals.shipping_fee.minor());
        for f in &order.fees {
            let name = match f.kind.as_str() {
                "cod" => "代引手数料".to_string(),
                other => format!("手数料 ({other})"),
            };
            extra(&name, f.amount.minor());
        }
        extra("値引き", -order.totals.discount.minor());
        extra("ポイント利用", -order.totals.points_used.minor());
        let order_date = order
            .ordered_at
            .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC))
            .date();
        let reg = DeferredRegistration {
            shop_transaction_id: order.id.0.simple().to_string(),
            order_date,
            amount: order.totals.total,
            customer,
            destination,
            goods,
        };
        check_goods(OP, reg.amount, &reg.goods)?;
        Ok(reg)
    }
}

/// A registered transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredTransaction {
    /// NP's id (11 characters): store it on the order.
    pub np_transaction_id: String,
    pub decision: DeferredDecision,
}

/// NP's delivery company code (`pd_company_code`) for our carrier (FORMATS.md §5).
/// Japan Post is sent as ゆうパック; a carrier NP does not list goes as 契約運送会社.
pub fn np_carrier_code(carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::Sagawa => "50000",
        Carrier::Yamato => "59010",
        Carrier::Japanpost => "59041",
        Carrier::Seino => "59030",
        Carrier::Fukuyama => "59060",
        Carrier::Other => "55555",
    }
}

/// The deferred-payment port.
#[async_trait]
pub trait DeferredPayment: Send + Sync {
    /// Registers the transaction and runs the credit check (与信).
    async fn register(
        &self,
        registration: &DeferredRegistration,
        key: &IdempotencyKey,
    ) -> Result<DeferredTransaction, ProviderError>;

    /// The credit check's current result (to poll a pending one).
    async fn status(&self, np_transaction_id: &str) -> Result<DeferredDecision, ProviderError>;

    /// Changes the amount and goods before the shipment report; the check runs again.
    async fn update(
        &self,
        np_transaction_id: &str,
        amount: Money,
        goods: &[NpGoods],
        key: &IdempotencyKey,
    ) -> Result<DeferredDecision, ProviderError>;

    /// 出荷報告: the goods left with `carrier` under `tracking_number`; invoicing starts.
    async fn report_shipment(
        &self,
        np_transaction_id: &str,
        carrier: Carrier,
        tracking_number: &str,
        key: &IdempotencyKey,
    ) -> Result<(), ProviderError>;

    /// Cancels the transaction.
    async fn cancel(
        &self,
        np_transaction_id: &str,
        key: &IdempotencyKey,
    ) -> Result<(), ProviderError>;
}

#[derive(Deserialize)]
struct Results {
    #[serde(default)]
    results: Vec<NpResult>,
}

#[derive(Deserialize)]
struct Errors {
    errors: Vec<NpErrorEntry>,
}

#[derive(Deserialize)]
struct NpErrorEntry {
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

/// Decodes an answer: `results` on 2xx; `errors` (or a bare status) mapped by code, then by HTTP
/// status: `NOT_FOUND` or 404 → not found; `ALREADY_REPORTED`, `CANCELLED`, `DECLINED`,
/// `NOT_AUTHORIZED`, `DUPLICATE_SHOP_TRANSACTION_ID`, 409 or 422 → refused in this state; other
/// 4xx → invalid.
pub fn decode<T: DeserializeOwned>(operation: &'static str, raw: &RawResponse) -> Verdict<T> {
    if (200..300).contains(&raw.status) {
        return Verdict::Done(serde_json::from_str(&raw.body).map_err(|e| {
            ProviderError::protocol(P, operation, format!("{e}: {}", snippet(&raw.body)))
        }));
    }
    let (code, message) = match serde_json::from_str::<Errors>(&raw.body) {
        Ok(Errors { errors }) if !errors.is_empty() => {
            let code = errors
                .iter()
                .flat_map(|e| e.codes.iter())
                .cloned()
                .collect::<Vec<_>>()
                .join(",");
            let message = errors
                .iter()
                .map(|e| {
                    let mut s = e.codes.join(",");
                    if let Some(m) = &e.message {
                        s.push_str(": ");
                        s.push_str(m);
                    }
                    if let Some(id) = &e.id {
                        s.push_str(&format!(" (id {id})"));
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join("; ");
            (code, message)
        }
        _ => (format!("HTTP {}", raw.status), snippet(&raw.body)),
    };
    // The sandbox's (and NP's) state codes say more than the HTTP status.
    let state_codes = [
        "ALREADY_REPORTED",
        "CANCELLED",
        "DECLINED",
        "NOT_AUTHORIZED",
        "DUPLICATE_SHOP_TRANSACTION_ID",
    ];
    let codes: Vec<&str> = code.split(',').collect();
    let err = match raw.status {
        _ if codes.iter().all(|c| *c == "NOT_FOUND") => ProviderError::NotFound {
            provider: P,
            operation,
            code,
            message,
        },
        _ if codes.iter().any(|c| state_codes.contains(c)) => ProviderError::Rejected {
            provider: P,
            operation,
            code,
            message,
        },
        404 => ProviderError::NotFound {
            provider: P,
            operation,
            code,
            message,
        },
        409 | 422 => ProviderError::Rejected {
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
    };
    Verdict::Done(Err(err))
}

fn first_result(
    operation: &'static str,
    results: Results,
    np_transaction_id: Option<&str>,
) -> Result<NpResult, ProviderError> {
    let mut it = results.results.into_iter();
    let r = it
        .next()
        .ok_or_else(|| ProviderError::protocol(P, operation, "the answer has no results"))?;
    if let Some(id) = np_transaction_id
        && r.np_transaction_id != id
    {
        return Err(ProviderError::protocol(
            P,
            operation,
            format!(
                "asked about {id}, the answer is about {}",
                r.np_transaction_id
            ),
        ));
    }
    Ok(r)
}

fn decision(operation: &'static str, r: &NpResult) -> Result<DeferredDecision, ProviderError> {
    DeferredDecision::try_from(r).map_err(|e| ProviderError::protocol(P, operation, e))
}

fn check_goods(
    operation: &'static str,
    amount: Money,
    goods: &[NpGoods],
) -> Result<(), ProviderError> {
    if goods.is_empty() {
        return Err(ProviderError::invalid(
            P,
            operation,
            "goods must not be empty",
        ));
    }
    if amount.minor() <= 0 {
        return Err(ProviderError::invalid(
            P,
            operation,
            format!("billed amount {} must be positive", amount.minor()),
        ));
    }
    let sum = goods.iter().try_fold(0i64, |acc, g| {
        g.goods_price
            .checked_mul(g.quantity)
            .and_then(|v| acc.checked_add(v))
    });
    if sum != Some(amount.minor()) {
        return Err(ProviderError::invalid(
            P,
            operation,
            format!(
                "billed amount {} is not the sum of the goods (price × quantity = {})",
                amount.minor(),
                sum.map_or("overflow".to_string(), |s| s.to_string())
            ),
        ));
    }
    Ok(())
}

/// The NP後払い-style client.
#[derive(Debug, Clone)]
pub struct NpDeferredPayment {
    config: DeferredConfig,
    http: HttpTransport,
}

impl NpDeferredPayment {
    /// HTTP attempts and transient failures so far.
    pub fn stats(&self) -> crate::transport::TransportStats {
        self.http.stats()
    }

    pub fn new(config: DeferredConfig, http: HttpSettings) -> Result<Self, ProviderError> {
        Ok(NpDeferredPayment {
            http: HttpTransport::new(P, http)?,
            config,
        })
    }

    async fn send(
        &self,
        operation: &'static str,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
        key: Option<&IdempotencyKey>,
    ) -> Result<Results, ProviderError> {
        let url = format!("{}/{path}", self.config.base_url.trim_end_matches('/'));
        self.http
            .call(
                operation,
                |c| {
                    let mut r = c
                        .request(method.clone(), &url)
                        .basic_auth(
                            &self.config.merchant_code,
                            Some(self.config.sp_code.expose()),
                        )
                        .header("X-NP-Terminal-Id", &self.config.terminal_id)
                        .json(&body);
                    if let Some(k) = key {
                        r = r.header("Idempotency-Key", k.as_str());
                    }
                    r
                },
                |raw| decode(operation, raw),
            )
            .await
    }
}

#[async_trait]
impl DeferredPayment for NpDeferredPayment {
    async fn register(
        &self,
        reg: &DeferredRegistration,
        key: &IdempotencyKey,
    ) -> Result<DeferredTransaction, ProviderError> {
        const OP: &str = "register";
        if reg.shop_transaction_id.is_empty() || reg.shop_transaction_id.chars().count() > 40 {
            return Err(ProviderError::invalid(
                P,
                OP,
                format!(
                    "shop_transaction_id {:?} must be 1-40 characters",
                    reg.shop_transaction_id
                ),
            ));
        }
        check_goods(OP, reg.amount, &reg.goods)?;
        let mut tx = serde_json::json!({
            "shop_transaction_id": reg.shop_transaction_id,
            "shop_order_date": reg.order_date.to_string(),
            "settlement_type": "02",
            "billed_amount": reg.amount.minor(),
            "customer": reg.customer,
            "goods": reg.goods,
        });
        if let Some(dest) = &reg.destination {
            tx["dest_customer"] = serde_json::json!(dest);
        }
        let results = self
            .send(
                OP,
                reqwest::Method::POST,
                "transactions",
                serde_json::json!({ "transactions": [tx] }),
                Some(key),
            )
            .await?;
        let r = first_result(OP, results, None)?;
        Ok(DeferredTransaction {
            decision: decision(OP, &r)?,
            np_transaction_id: r.np_transaction_id,
        })
    }

    async fn status(&self, np_transaction_id: &str) -> Result<DeferredDecision, ProviderError> {
        const OP: &str = "status";
        let results = self
            .send(
                OP,
                reqwest::Method::POST,
                "authorizations/find",
                serde_json::json!({ "transactions": [{ "np_transaction_id": np_transaction_id }] }),
                None,
            )
            .await?;
        decision(OP, &first_result(OP, results, Some(np_transaction_id))?)
    }

    async fn update(
        &self,
        np_transaction_id: &str,
        amount: Money,
        goods: &[NpGoods],
        key: &IdempotencyKey,
    ) -> Result<DeferredDecision, ProviderError> {
        const OP: &str = "update";
        check_goods(OP, amount, goods)?;
        let results = self
            .send(
                OP,
                reqwest::Method::PATCH,
                "transactions/update",
                serde_json::json!({ "transactions": [{
                    "np_transaction_id": np_transaction_id,
                    "billed_amount": amount.minor(),
                    "goods": goods,
                }] }),
                Some(key),
            )
            .await?;
        let r = first_result(OP, results, Some(np_transaction_id))?;
        // An update without a new result keeps the approval it had.
        if r.authori_result.is_none() {
            return Ok(DeferredDecision::Approved);
        }
        decision(OP, &r)
    }

    async fn report_shipment(
        &self,
        np_transaction_id: &str,
        carrier: Carrier,
        tracking_number: &str,
        key: &IdempotencyKey,
    ) -> Result<(), ProviderError> {
        const OP: &str = "shipment report";
        let slip: String = tracking_number
            .trim()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        if slip.is_empty() || slip.chars().count() > 20 {
            return Err(ProviderError::invalid(
                P,
                OP,
                format!("tracking number {tracking_number:?} must be 1-20 characters"),
            ));
        }
        let results = self
            .send(
                OP,
                reqwest::Method::POST,
                "shipments",
                serde_json::json!({ "transactions": [{
                    "np_transaction_id": np_transaction_id,
                    "pd_company_code": np_carrier_code(carrier),
                    "slip_no": slip,
                }] }),
                Some(key),
            )
            .await?;
        first_result(OP, results, Some(np_transaction_id)).map(|_| ())
    }

    async fn cancel(
        &self,
        np_transaction_id: &str,
        key: &IdempotencyKey,
    ) -> Result<(), ProviderError> {
        const OP: &str = "cancel";
        let results = self
            .send(
                OP,
                reqwest::Method::PATCH,
                "transactions/cancel",
                serde_json::json!({ "transactions": [{ "np_transaction_id": np_transaction_id }] }),
                Some(key),
            )
            .await?;
        first_result(OP, results, Some(np_transaction_id)).map(|_| ())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn result(code: &str, hold: &[&str], ng: Option<&str>) -> NpResult {
        NpResult {
            shop_transaction_id: None,
            np_transaction_id: "NP000000001".into(),
            authori_result: Some(code.into()),
            authori_hold: (!hold.is_empty()).then(|| hold.iter().map(|s| s.to_string()).collect()),
            authori_ng: ng.map(str::to_string),
        }
    }

    #[test]
    fn carrier_codes_follow_formats_section_5() {
        assert_eq!(np_carrier_code(Carrier::Yamato), "59010");
        assert_eq!(np_carrier_code(Carrier::Sagawa), "50000");
        assert_eq!(np_carrier_code(Carrier::Japanpost), "59041");
        assert_eq!(np_carrier_code(Carrier::Seino), "59030");
        assert_eq!(np_carrier_code(Carrier::Fukuyama), "59060");
        assert_eq!(np_carrier_code(Carrier::Other), "55555");
        for c in [
            Carrier::Yamato,
            Carrier::Sagawa,
            Carrier::Japanpost,
            Carrier::Seino,
            Carrier::Fukuyama,
            Carrier::Other,
        ] {
            assert_eq!(
                np_carrier_code(c).len(),
                5,
                "pd_company_code has 5 characters"
            );
        }
    }

    #[test]
    fn results_map_into_decisions() {
        assert_eq!(
            DeferredDecision::try_from(&result("00", &[], None)),
            Ok(DeferredDecision::Approved)
        );
        assert_eq!(
            DeferredDecision::try_from(&result("20", &[], Some("RE001"))),
            Ok(DeferredDecision::Declined {
                reason: DeclineReason::AmountExceeded
            })
        );
        assert_eq!(
            DeferredDecision::try_from(&result("10", &["RE009", "RE021", "RE999"], None)),
            Ok(DeferredDecision::Hold {
                reasons: vec![
                    HoldReason::AddressIncomplete,
                    HoldReason::WrongPhone,
                    HoldReason::Unknown("RE999".into())
                ]
            })
        );
        assert_eq!(
            DeferredDecision::try_from(&result("40", &[], None)),
            Ok(DeferredDecision::Pending)
        );
        assert_eq!(
            DeferredDecision::try_from(&result("10", &[], None)),
            Ok(DeferredDecision::Pending)
        );
        assert!(DeferredDecision::try_from(&result("99", &[], None)).is_err());
    }

    #[test]
    fn reasons_say_their_code_and_meaning() {
        assert_eq!(
            HoldReason::from("RE023").to_string(),
            "RE023: wrong delivery phone number (配送先電話番号誤り)"
        );
        assert_eq!(DeclineReason::from("RE002").code(), "RE002");
        for c in [
            "RE009", "RE014", "RE015", "RE020", "RE021", "RE023", "RE026",
        ] {
            assert_eq!(HoldReason::from(c).code(), c);
        }
    }

    #[test]
    fn errors_map_by_status_with_the_provider_codes() {
        let raw = RawResponse {
            status: 400,
            body: r#"{"errors":[{"codes":["E0100002","E0100003"],"id":"t1"}]}"#.into(),
            bytes: Vec::new(),
        };
        let Verdict::Done(Err(e)) = decode::<Results>("register", &raw) else {
            panic!("expected an error");
        };
        assert!(
            matches!(e, ProviderError::Invalid { ref code, .. } if code == "E0100002,E0100003"),
            "{e:?}"
        );
        let raw = RawResponse {
            status: 409,
            body: r#"{"errors":[{"codes":["E0100115"]}]}"#.into(),
            bytes: Vec::new(),
        };
        let Verdict::Done(Err(e)) = decode::<Results>("update", &raw) else {
            panic!("expected an error");
        };
        assert!(matches!(e, ProviderError::Rejected { .. }), "{e:?}");
        let raw = RawResponse {
            status: 404,
            body: "nope".into(),
            bytes: Vec::new(),
        };
        let Verdict::Done(Err(e)) = decode::<Results>("status", &raw) else {
            panic!("expected an error");
        };
        assert!(matches!(e, ProviderError::NotFound { .. }), "{e:?}");
        let raw = RawResponse {
            status: 400,
            body: r#"{"errors":[{"codes":["ALREADY_REPORTED"],"id":"NP1"}]}"#.into(),
            bytes: Vec::new(),
        };
        let Verdict::Done(Err(e)) = decode::<Results>("update", &raw) else {
            panic!("expected an error");
        };
        assert!(matches!(e, ProviderError::Rejected { .. }), "{e:?}");
        assert!(e.to_string().contains("ALREADY_REPORTED"), "{e}");
        let raw = RawResponse {
            status: 400,
            body: r#"{"errors":[{"codes":["NOT_FOUND"],"id":"NP1"}]}"#.into(),
            bytes: Vec::new(),
        };
        let Verdict::Done(Err(e)) = decode::<Results>("cancel", &raw) else {
            panic!("expected an error");
        };
        assert!(matches!(e, ProviderError::NotFound { .. }), "{e:?}");
    }

    fn order(json: serde_json::Value) -> Order {
        let input: juchu_domain::intake::NewOrder = serde_json::from_value(json).unwrap();
        juchu_domain::intake::build_order(
            &input,
            |_| {
                Some(juchu_domain::intake::SkuInfo {
                    name: "unused".into(),
                    tax_rate: juchu_domain::TaxRate::Standard10,
                })
            },
            1,
            "2026-11-26T16:30:00Z".parse().unwrap(),
            juchu_domain::Rounding::Down,
        )
        .unwrap()
    }

    fn address(name: &str, phone: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "name": name, "postal_code": "1000001", "prefecture": "東京都", "city": "千代田区",
            "line1": "千代田1-1", "line2": "101号", "phone": phone,
        })
    }

    #[test]
    fn registration_from_an_order_adds_up_to_its_total() {
        let o = order(serde_json::json!({
            "channel": "web", "external_id": "W-1",
            "ordered_at": "2026-11-26T16:30:00Z",
            "customer": {"name": "山田 太郎", "email": "taro@example.jp", "phone": "03-1234-5678"},
            "shipping_address": address("山田 花子", Some("090-1111-2222")),
            "billing_address": address("山田 太郎", None),
            "lines": [{"sku": "TEA", "quantity": 2, "unit_price": 1080}],
            "shipping_fee": 600,
            "fees": [{"kind": "gift_wrap", "amount": 300}],
            "discount": 200,
            "points_used": 100,
            "payment": {"method": "deferred"},
        }));
        let r = DeferredRegistration::from_order(&o).unwrap();
        assert_eq!(r.amount, o.totals.total);
        assert_eq!(r.amount, Money::yen(2160 + 600 + 300 - 200 - 100));
        // 01:30 in Tokyo on the 27th.
        assert_eq!(r.order_date, jiff::civil::date(2026, 11, 27));
        assert_eq!(r.shop_transaction_id.len(), 32);
        assert_eq!(r.customer.customer_name, "山田 太郎");
        assert_eq!(r.customer.tel, "0312345678");
        assert_eq!(r.customer.address, "東京都千代田区千代田1-1 101号");
        assert_eq!(r.customer.email.as_deref(), Some("taro@example.jp"));
        let dest = r.destination.unwrap();
        assert_eq!(dest.customer_name, "山田 花子");
        assert_eq!(dest.tel, "09011112222");
        let names: Vec<&str> = r.goods.iter().map(|g| g.goods_name.as_str()).collect();
        assert_eq!(
            names[1..],
            ["送料", "手数料 (gift_wrap)", "値引き", "ポイント利用"]
        );
    }

    #[test]
    fn registration_without_a_phone_says_so() {
        let mut ship = address("山田 花子", None);
        ship["line2"] = serde_json::Value::Null;
        let o = order(serde_json::json!({
            "channel": "web", "external_id": "W-2",
            "customer": {"name": "山田 花子", "email": "hanako@example.jp"},
            "shipping_address": ship,
            "lines": [{"sku": "TEA", "quantity": 1, "unit_price": 1080}],
            "payment": {"method": "deferred"},
        }));
        let e = DeferredRegistration::from_order(&o).unwrap_err();
        assert!(e.to_string().contains("phone number"), "{e}");
    }

    #[test]
    fn goods_must_add_up_to_the_billed_amount() {
        let goods = vec![
            NpGoods {
                goods_name: "Tea".into(),
                goods_price: 1000,
                quantity: 2,
            },
            NpGoods {
                goods_name: "送料".into(),
                goods_price: 500,
                quantity: 1,
            },
            NpGoods {
                goods_name: "値引き".into(),
                goods_price: -100,
                quantity: 1,
            },
        ];
        check_goods("register", Money::yen(2400), &goods).unwrap();
        let e = check_goods("register", Money::yen(2500), &goods).unwrap_err();
        assert!(e.to_string().contains("= 2400"), "{e}");
        assert!(check_goods("register", Money::yen(0), &[]).is_err());
    }
}
