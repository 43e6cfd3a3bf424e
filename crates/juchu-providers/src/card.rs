//! The card gateway port and its GMO-PG idPass client (FORMATS.md §6).
//!
//! idPass: `POST {base_url}/payment/{Name}.idPass`, form-encoded in, a query string out, errors as
//! `ErrCode=E01|G12&ErrInfo=E01040010|42G120000` (pipe-separated, one pair per error).

use crate::config::{CardConfig, HttpSettings};
use crate::error::{Provider, ProviderError};
use crate::transport::{HttpTransport, IdempotencyKey, RawResponse, Verdict, snippet};
use async_trait::async_trait;
use juchu_domain::Money;
use juchu_domain::ids::OrderId;
use juchu_domain::payment::PaymentOutcome;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

const P: Provider = Provider::Card;

/// What the gateway needs to find an authorisation again: GMO's OrderID, AccessID and
/// AccessPass. Stored on the order as one string: `gmo:{order_id}:{access_id}:{access_pass}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardAuthRef {
    pub order_id: String,
    pub access_id: String,
    pub access_pass: String,
}

/// A stored authorisation reference that does not read as `gmo:{order}:{access id}:{access pass}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("card authorisation reference {0:?} is not of the form gmo:ORDER_ID:ACCESS_ID:ACCESS_PASS")]
pub struct InvalidCardAuthRef(pub String);

impl fmt::Display for CardAuthRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gmo:{}:{}:{}",
            self.order_id, self.access_id, self.access_pass
        )
    }
}

impl FromStr for CardAuthRef {
    type Err = InvalidCardAuthRef;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidCardAuthRef(s.to_string());
        let mut parts = s.split(':');
        if parts.next() != Some("gmo") {
            return Err(bad());
        }
        let mut field = || match parts.next() {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(p.to_string())
            }
            _ => Err(bad()),
        };
        let r = CardAuthRef {
            order_id: field()?,
            access_id: field()?,
            access_pass: field()?,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(r)
    }
}

impl CardAuthRef {
    pub fn parse(s: &str) -> Result<Self, InvalidCardAuthRef> {
        s.parse()
    }
}

/// The card to charge: a one-time token from the storefront (or one the shop stored), or a card
/// saved under a member at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardSource {
    Token(String),
    Member { member_id: String, card_seq: u32 },
}

/// An authorisation the gateway gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAuthorization {
    pub auth_ref: CardAuthRef,
    pub amount: Money,
    /// The gateway's fraud screening asks for a human look (hold `fraud_review`).
    pub suspicious: bool,
    /// The issuer's approval number (承認番号), when given.
    pub approve: Option<String>,
    pub tran_id: Option<String>,
}

impl From<CardAuthorization> for PaymentOutcome {
    fn from(a: CardAuthorization) -> Self {
        PaymentOutcome::Authorized {
            authorization_id: a.auth_ref.to_string(),
            amount: a.amount,
            suspicious: a.suspicious,
        }
    }
}

/// The answer to a capture, void, refund or amount change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardTransaction {
    pub tran_id: Option<String>,
    pub approve: Option<String>,
    /// `yyyyMMddHHmmss` as the gateway gave it.
    pub tran_date: Option<String>,
}

/// A transaction's state at the gateway (SearchTrade `Status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardTradeStatus {
    /// Entered, not executed yet.
    Unprocessed,
    Authenticated,
    Check,
    /// 即時売上.
    Capture,
    /// 仮売上.
    Auth,
    /// 実売上.
    Sales,
    Void,
    Return,
    ReturnX,
    SAuth,
    /// The 仮売上 ran out.
    Expired,
    Other(String),
}

impl From<&str> for CardTradeStatus {
    fn from(s: &str) -> Self {
        match s {
            "UNPROCESSED" => CardTradeStatus::Unprocessed,
            "AUTHENTICATED" => CardTradeStatus::Authenticated,
            "CHECK" => CardTradeStatus::Check,
            "CAPTURE" => CardTradeStatus::Capture,
            "AUTH" => CardTradeStatus::Auth,
            "SALES" => CardTradeStatus::Sales,
            "VOID" => CardTradeStatus::Void,
            "RETURN" => CardTradeStatus::Return,
            "RETURNX" => CardTradeStatus::ReturnX,
            "SAUTH" => CardTradeStatus::SAuth,
            "EXPIRED" => CardTradeStatus::Expired,
            other => CardTradeStatus::Other(other.to_string()),
        }
    }
}

/// What the gateway knows of one order id (SearchTrade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTrade {
    pub auth_ref: CardAuthRef,
    pub status: CardTradeStatus,
    pub job_cd: Option<String>,
    /// The amount authorised (or sold).
    pub amount: Money,
    pub suspicious: bool,
}

/// The card gateway port. Every mutating call takes an idempotency key: calling again with the
/// same key (after a timeout, a crash, a retried job) never applies the change twice.
#[async_trait]
pub trait CardGateway: Send + Sync {
    /// 仮売上 (AUTH) of `amount` under the gateway order id `order_id` (1–27 of `A-Z a-z 0-9 -`,
    /// unique per authorisation; see [`card_order_id`]).
    async fn authorize(
        &self,
        order_id: &str,
        source: &CardSource,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardAuthorization, ProviderError>;

    /// 実売上 (SALES) of `amount`.
    async fn capture(
        &self,
        auth: &CardAuthRef,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError>;

    /// Cancels an authorisation that was not captured (VOID).
    async fn void(
        &self,
        auth: &CardAuthRef,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError>;

    /// Gives back `amount` of what was captured (RETURN).
    async fn refund(
        &self,
        auth: &CardAuthRef,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError>;

    /// Changes the authorised amount (ChangeTran, JobCd AUTH).
    async fn change_amount(
        &self,
        auth: &CardAuthRef,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError>;

    /// The transaction's state at the gateway, by gateway order id (to reconcile after an
    /// `Unavailable`, or to check an expiry before capturing).
    async fn search(&self, order_id: &str) -> Result<CardTrade, ProviderError>;

    /// Authorises again with a stored card, under a new gateway order id: after the first
    /// authorisation expired, or for a split part.
    async fn reauthorize(
        &self,
        new_order_id: &str,
        source: &CardSource,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardAuthorization, ProviderError> {
        self.authorize(new_order_id, source, amount, key).await
    }
}

/// A gateway order id for authorisation number `attempt` (0–35) of an order: the order's UUID in
/// base 36 (25 characters), `-`, and the attempt in base 36. 27 characters, unique per attempt.
pub fn card_order_id(order: OrderId, attempt: u32) -> Result<String, ProviderError> {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if attempt >= 36 {
        return Err(ProviderError::invalid(
            P,
            "authorize",
            format!("authorisation attempt {attempt} is above 35 for one order"),
        ));
    }
    let mut n = order.0.as_u128();
    let mut out = [b'0'; 25];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    let mut s: String = out.iter().map(|b| char::from(*b)).collect();
    s.push('-');
    s.push(char::from(DIGITS[attempt as usize]));
    Ok(s)
}

fn check_order_id(order_id: &str) -> Result<(), ProviderError> {
    if order_id.is_empty()
        || order_id.len() > 27
        || !order_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ProviderError::invalid(
            P,
            "authorize",
            format!("gateway order id {order_id:?} must be 1-27 characters of A-Z a-z 0-9 -"),
        ));
    }
    Ok(())
}

fn check_amount(operation: &'static str, amount: Money) -> Result<(), ProviderError> {
    if amount.minor() <= 0 || amount.minor() > 9_999_999 {
        return Err(ProviderError::invalid(
            P,
            operation,
            format!(
                "amount {} must be between 1 and 9,999,999 yen",
                amount.minor()
            ),
        ));
    }
    Ok(())
}

/// One `ErrCode`/`ErrInfo` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GmoError {
    pub code: String,
    pub info: String,
}

impl GmoError {
    /// Splits `ErrCode=E01|G12&ErrInfo=E01040010|42G120000` into pairs.
    pub fn parse_all(err_code: &str, err_info: &str) -> Vec<GmoError> {
        let codes = err_code.split('|');
        let mut infos = err_info.split('|');
        codes
            .map(|c| GmoError {
                code: c.trim().to_string(),
                info: infos.next().unwrap_or("").trim().to_string(),
            })
            .collect()
    }

    fn is_transient(&self) -> bool {
        self.code.starts_with("E90") || self.code.starts_with("E91") || self.code.starts_with("E92")
    }

    fn is_decline(&self) -> bool {
        self.code.starts_with('G') || self.code.starts_with('C')
    }
}

/// What an issuer's G code means (the common ones), for the decline message.
pub fn decline_text(code: &str) -> &'static str {
    match code {
        "G02" => "insufficient balance (残高不足)",
        "G03" => "over the card's limit (限度額オーバー)",
        "G04" => "insufficient balance (残高不足)",
        "G05" => "over the card's limit (限度額オーバー)",
        "G12" => "the card cannot be used (取扱不可)",
        "G30" => "the issuer needs to be called (取引判定保留)",
        "G42" => "wrong PIN (暗証番号エラー)",
        "G44" => "wrong security code (セキュリティコード誤り)",
        "G54" => "over the daily count or amount (1日利用回数または金額オーバー)",
        "G55" => "over the daily limit (1日利用限度額オーバー)",
        "G56" => "invalid card (無効カード)",
        "G83" => "expiry date error (有効期限エラー)",
        _ => "declined by the issuer",
    }
}

/// Maps the gateway's errors into a [`ProviderError`] (or a retry for its busy codes).
pub fn classify(operation: &'static str, errors: &[GmoError]) -> Verdict<HashMap<String, String>> {
    if let Some(e) = errors.iter().find(|e| e.is_transient()) {
        return Verdict::Retry(format!("gateway busy: {} {}", e.code, e.info));
    }
    let all = || {
        errors
            .iter()
            .map(|e| format!("{} {}", e.code, e.info))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(e) = errors.iter().find(|e| e.is_decline()) {
        return Verdict::Done(Err(ProviderError::Declined {
            provider: P,
            operation,
            code: e.code.clone(),
            message: format!("{} ({})", decline_text(&e.code), e.info),
        }));
    }
    let Some(first) = errors.first() else {
        return Verdict::Done(Err(ProviderError::protocol(
            P,
            operation,
            "ErrCode without a code",
        )));
    };
    let info = first.info.as_str();
    let err = if errors
        .iter()
        .any(|e| e.info == "E01420010" || e.info == "M01060010")
    {
        ProviderError::Expired {
            provider: P,
            operation,
            code: first.info.clone(),
        }
    } else if info.starts_with("E01110") {
        ProviderError::NotFound {
            provider: P,
            operation,
            code: info.to_string(),
            message: all(),
        }
    } else if info == "E01040010"
        || info == "E01060010"
        || info.starts_with("E0105")
        || info.starts_with("E11")
        || info.starts_with("M01")
    {
        ProviderError::Rejected {
            provider: P,
            operation,
            code: info.to_string(),
            message: all(),
        }
    } else {
        ProviderError::Invalid {
            provider: P,
            operation,
            code: if info.is_empty() { &first.code } else { info }.to_string(),
            message: all(),
        }
    };
    Verdict::Done(Err(err))
}

/// Decodes an idPass answer: the fields, or the errors mapped.
pub fn decode(operation: &'static str, raw: &RawResponse) -> Verdict<HashMap<String, String>> {
    let fields: HashMap<String, String> =
        match serde_urlencoded::from_str::<Vec<(String, String)>>(raw.body.trim()) {
            Ok(pairs) => pairs.into_iter().collect(),
            Err(e) => {
                return Verdict::Done(Err(ProviderError::protocol(
                    P,
                    operation,
                    format!(
                        "HTTP {}: not a query string ({e}): {}",
                        raw.status,
                        snippet(&raw.body)
                    ),
                )));
            }
        };
    if let Some(code) = fields.get("ErrCode").filter(|c| !c.is_empty()) {
        let info = fields.get("ErrInfo").map(String::as_str).unwrap_or("");
        return classify(operation, &GmoError::parse_all(code, info));
    }
    if !(200..300).contains(&raw.status) {
        return Verdict::Done(Err(ProviderError::Invalid {
            provider: P,
            operation,
            code: format!("HTTP {}", raw.status),
            message: snippet(&raw.body),
        }));
    }
    Verdict::Done(Ok(fields))
}

/// Whether a fraud-screening field says "look at this".
fn flagged(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_uppercase().as_str(),
        "" | "0" | "OK" | "ACCEPT" | "PASS" | "FALSE" | "N" | "NONE" | "NO"
    )
}

/// The GMO-PG idPass client.
#[derive(Debug, Clone)]
pub struct GmoCardGateway {
    config: CardConfig,
    http: HttpTransport,
}

impl GmoCardGateway {
    /// HTTP attempts and transient failures so far.
    pub fn stats(&self) -> crate::transport::TransportStats {
        self.http.stats()
    }

    pub fn new(config: CardConfig, http: HttpSettings) -> Result<Self, ProviderError> {
        Ok(GmoCardGateway {
            http: HttpTransport::new(P, http)?,
            config,
        })
    }

    fn url(&self, name: &str) -> String {
        format!(
            "{}/payment/{name}.idPass",
            self.config.base_url.trim_end_matches('/')
        )
    }

    /// One idPass call with the idempotency key on every attempt.
    async fn post(
        &self,
        operation: &'static str,
        name: &str,
        form: Vec<(&'static str, String)>,
        key: &IdempotencyKey,
    ) -> Result<HashMap<String, String>, ProviderError> {
        let url = self.url(name);
        self.http
            .call(
                operation,
                |c| {
                    c.post(&url)
                        .header("Idempotency-Key", key.as_str())
                        .form(&form)
                },
                |raw| decode(operation, raw),
            )
            .await
    }

    fn shop(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ShopID", self.config.shop_id.clone()),
            ("ShopPass", self.config.shop_pass.expose().to_string()),
        ]
    }

    fn access(&self, auth: &CardAuthRef) -> Vec<(&'static str, String)> {
        let mut f = self.shop();
        f.push(("AccessID", auth.access_id.clone()));
        f.push(("AccessPass", auth.access_pass.clone()));
        f
    }

    async fn alter(
        &self,
        operation: &'static str,
        auth: &CardAuthRef,
        job: &'static str,
        amount: Option<Money>,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError> {
        let mut form = self.access(auth);
        form.push(("JobCd", job.to_string()));
        if let Some(a) = amount {
            check_amount(operation, a)?;
            form.push(("Amount", a.minor().to_string()));
        }
        let f = self.post(operation, "AlterTran", form, key).await?;
        Ok(transaction(f))
    }
}

fn transaction(mut f: HashMap<String, String>) -> CardTransaction {
    CardTransaction {
        tran_id: f.remove("TranID").filter(|s| !s.is_empty()),
        approve: f.remove("Approve").filter(|s| !s.is_empty()),
        tran_date: f.remove("TranDate").filter(|s| !s.is_empty()),
    }
}

fn required(
    operation: &'static str,
    f: &mut HashMap<String, String>,
    name: &str,
) -> Result<String, ProviderError> {
    f.remove(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ProviderError::protocol(P, operation, format!("the answer has no {name}")))
}

#[async_trait]
impl CardGateway for GmoCardGateway {
    async fn search(&self, order_id: &str) -> Result<CardTrade, ProviderError> {
        const OP: &str = "search";
        check_order_id(order_id)?;
        let mut form = self.shop();
        form.push(("OrderID", order_id.to_string()));
        let url = self.url("SearchTrade");
        let mut f = self
            .http
            .call(OP, |c| c.post(&url).form(&form), |raw| decode(OP, raw))
            .await?;
        let amount = f
            .get("Amount")
            .map(|a| a.parse::<i64>())
            .transpose()
            .map_err(|e| ProviderError::protocol(P, OP, format!("Amount: {e}")))?
            .unwrap_or(0);
        let suspicious = ["FraudScreening", "FraudResult"]
            .iter()
            .filter_map(|k| f.get(*k))
            .any(|v| flagged(v));
        Ok(CardTrade {
            auth_ref: CardAuthRef {
                order_id: order_id.to_string(),
                access_id: required(OP, &mut f, "AccessID")?,
                access_pass: required(OP, &mut f, "AccessPass")?,
            },
            status: CardTradeStatus::from(required(OP, &mut f, "Status")?.as_str()),
            job_cd: f.remove("JobCd").filter(|j| !j.is_empty()),
            amount: Money::yen(amount),
            suspicious,
        })
    }

    async fn authorize(
        &self,
        order_id: &str,
        source: &CardSource,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardAuthorization, ProviderError> {
        const OP: &str = "authorize";
        check_order_id(order_id)?;
        check_amount(OP, amount)?;
        let mut entry = self.shop();
        entry.push(("OrderID", order_id.to_string()));
        entry.push(("JobCd", "AUTH".into()));
        entry.push(("Amount", amount.minor().to_string()));
        let auth_ref = match self.post(OP, "EntryTran", entry, &key.step("entry")).await {
            Ok(mut e) => CardAuthRef {
                order_id: order_id.to_string(),
                access_id: required(OP, &mut e, "AccessID")?,
                access_pass: required(OP, &mut e, "AccessPass")?,
            },
            // The order id was entered before (an earlier try whose key was lost): find that
            // transaction instead of failing, and finish or return it.
            Err(ProviderError::Rejected { code, message, .. }) if code == "E01040010" => {
                let trade = self.search(order_id).await?;
                match trade.status {
                    CardTradeStatus::Unprocessed => trade.auth_ref,
                    CardTradeStatus::Auth if trade.amount == amount => {
                        return Ok(CardAuthorization {
                            auth_ref: trade.auth_ref,
                            amount,
                            suspicious: trade.suspicious,
                            approve: None,
                            tran_id: None,
                        });
                    }
                    status => {
                        return Err(ProviderError::Rejected {
                            provider: P,
                            operation: OP,
                            code,
                            message: format!(
                                "{message}; order id {order_id} is already {status:?} for {} yen",
                                trade.amount.minor()
                            ),
                        });
                    }
                }
            }
            Err(e) => return Err(e),
        };
        let mut exec = vec![
            ("AccessID", auth_ref.access_id.clone()),
            ("AccessPass", auth_ref.access_pass.clone()),
            ("OrderID", order_id.to_string()),
            ("Method", "1".into()),
        ];
        match source {
            CardSource::Token(t) => exec.push(("Token", t.clone())),
            CardSource::Member {
                member_id,
                card_seq,
            } => {
                if let (Some(site), Some(pass)) = (&self.config.site_id, &self.config.site_pass) {
                    exec.push(("SiteID", site.clone()));
                    exec.push(("SitePass", pass.expose().to_string()));
                }
                exec.push(("MemberID", member_id.clone()));
                exec.push(("CardSeq", card_seq.to_string()));
            }
        }
        let f = self.post(OP, "ExecTran", exec, &key.step("exec")).await?;
        // ACS 1/2: the card needs 3-D Secure authentication in the buyer's browser, which a
        // back-office authorisation cannot do.
        if let Some(acs) = f.get("ACS").filter(|a| !a.is_empty() && a.as_str() != "0") {
            return Err(ProviderError::Rejected {
                provider: P,
                operation: OP,
                code: format!("ACS={acs}"),
                message: "the card requires 3-D Secure authentication by the buyer; \
                          authorise it at checkout and pass the authorisation id"
                    .into(),
            });
        }
        let suspicious = ["FraudScreening", "FraudResult"]
            .iter()
            .filter_map(|k| f.get(*k))
            .any(|v| flagged(v));
        let t = transaction(f);
        Ok(CardAuthorization {
            auth_ref,
            amount,
            suspicious,
            approve: t.approve,
            tran_id: t.tran_id,
        })
    }

    async fn capture(
        &self,
        auth: &CardAuthRef,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError> {
        self.alter("capture", auth, "SALES", Some(amount), key)
            .await
    }

    async fn void(
        &self,
        auth: &CardAuthRef,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError> {
        self.alter("void", auth, "VOID", None, key).await
    }

    async fn refund(
        &self,
        auth: &CardAuthRef,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError> {
        self.alter("refund", auth, "RETURN", Some(amount), key)
            .await
    }

    async fn change_amount(
        &self,
        auth: &CardAuthRef,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<CardTransaction, ProviderError> {
        const OP: &str = "change amount";
        check_amount(OP, amount)?;
        let mut form = self.access(auth);
        form.push(("JobCd", "AUTH".into()));
        form.push(("Amount", amount.minor().to_string()));
        let f = self.post(OP, "ChangeTran", form, key).await?;
        Ok(transaction(f))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn err_of(v: Verdict<HashMap<String, String>>) -> ProviderError {
        match v {
            Verdict::Done(Err(e)) => e,
            Verdict::Done(Ok(f)) => panic!("expected an error, got {f:?}"),
            Verdict::Retry(d) => panic!("expected an error, got a retry: {d}"),
        }
    }

    fn raw(body: &str) -> RawResponse {
        RawResponse {
            status: 200,
            body: body.into(),
            bytes: Vec::new(),
        }
    }

    #[test]
    fn auth_ref_round_trips_through_one_string() {
        let r = CardAuthRef {
            order_id: "0abc-1".into(),
            access_id: "a1b2c3".into(),
            access_pass: "p4ss".into(),
        };
        let s = r.to_string();
        assert_eq!(s, "gmo:0abc-1:a1b2c3:p4ss");
        assert_eq!(CardAuthRef::parse(&s).unwrap(), r);
        for bad in [
            "",
            "gmo:a:b",
            "gmo:a:b:c:d",
            "gmo::b:c",
            "stripe:a:b:c",
            "gmo:a b:c:d",
        ] {
            let e = CardAuthRef::parse(bad).unwrap_err();
            assert!(e.to_string().contains("gmo:ORDER_ID"), "{e}");
        }
    }

    #[test]
    fn gateway_order_ids_fit_27_characters_and_differ_per_attempt() {
        let id = OrderId(uuid::Uuid::from_u128(u128::MAX));
        let a = card_order_id(id, 0).unwrap();
        let b = card_order_id(id, 1).unwrap();
        assert_eq!(a.len(), 27);
        assert_ne!(a, b);
        check_order_id(&a).unwrap();
        let zero = card_order_id(OrderId(uuid::Uuid::nil()), 35).unwrap();
        assert_eq!(zero, format!("{}-z", "0".repeat(25)));
        assert!(card_order_id(id, 36).is_err());
        assert!(check_order_id("has_underscore").is_err());
        assert!(check_order_id(&"x".repeat(28)).is_err());
    }

    #[test]
    fn decline_codes_become_declined_with_the_issuer_reason() {
        let e = err_of(decode("authorize", &raw("ErrCode=G12&ErrInfo=42G120000")));
        assert!(e.is_decline());
        assert_eq!(e.code(), Some("G12"));
        assert!(e.to_string().contains("取扱不可"), "{e}");
        assert!(e.to_string().contains("42G120000"), "{e}");
    }

    #[test]
    fn several_errors_are_all_read_and_a_decline_wins() {
        let errors = GmoError::parse_all("E01|G55", "E01040010|42G550000");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[1].info, "42G550000");
        let e = err_of(classify("authorize", &errors));
        assert!(matches!(e, ProviderError::Declined { ref code, .. } if code == "G55"));
    }

    #[test]
    fn expiry_not_found_state_and_input_errors_are_told_apart() {
        let e = err_of(decode("capture", &raw("ErrCode=E01&ErrInfo=E01420010")));
        assert!(matches!(e, ProviderError::Expired { .. }), "{e:?}");
        let e = err_of(decode("capture", &raw("ErrCode=M01&ErrInfo=M01060010")));
        assert!(matches!(e, ProviderError::Expired { .. }), "{e:?}");
        let e = err_of(decode("void", &raw("ErrCode=E01&ErrInfo=E01110002")));
        assert!(matches!(e, ProviderError::NotFound { .. }), "{e:?}");
        let e = err_of(decode("authorize", &raw("ErrCode=E01&ErrInfo=E01040010")));
        assert!(matches!(e, ProviderError::Rejected { .. }), "{e:?}");
        let e = err_of(decode("capture", &raw("ErrCode=E01&ErrInfo=E01050004")));
        assert!(matches!(e, ProviderError::Rejected { .. }), "{e:?}");
        let e = err_of(decode("authorize", &raw("ErrCode=E01&ErrInfo=E01170001")));
        assert!(
            matches!(e, ProviderError::Invalid { ref code, .. } if code == "E01170001"),
            "{e:?}"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn busy_codes_are_retried() {
        assert!(matches!(
            decode("capture", &raw("ErrCode=E92&ErrInfo=E92000001")),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            decode("capture", &raw("ErrCode=E90&ErrInfo=E90010001")),
            Verdict::Retry(_)
        ));
    }

    #[test]
    fn success_fields_are_read_and_bad_answers_are_protocol_errors() {
        let Verdict::Done(Ok(f)) = decode(
            "authorize",
            &raw("AccessID=abc&AccessPass=def&Approve=1234567&TranID=t1"),
        ) else {
            panic!("expected fields");
        };
        assert_eq!(f["AccessID"], "abc");
        let t = transaction(f);
        assert_eq!(t.approve.as_deref(), Some("1234567"));
        let e = err_of(decode(
            "capture",
            &RawResponse {
                status: 404,
                body: "Not Found".into(),
                bytes: Vec::new(),
            },
        ));
        assert!(matches!(e, ProviderError::Invalid { ref code, .. } if code == "HTTP 404"));
    }

    #[test]
    fn fraud_flags() {
        assert!(flagged("1"));
        assert!(flagged("REVIEW"));
        assert!(flagged("true"));
        assert!(!flagged("0"));
        assert!(!flagged("ok"));
        assert!(!flagged(""));
    }

    #[test]
    fn authorization_becomes_an_order_payment_outcome() {
        let a = CardAuthorization {
            auth_ref: CardAuthRef::parse("gmo:o-1:a:b").unwrap(),
            amount: Money::yen(1200),
            suspicious: true,
            approve: None,
            tran_id: None,
        };
        assert_eq!(
            PaymentOutcome::from(a),
            PaymentOutcome::Authorized {
                authorization_id: "gmo:o-1:a:b".into(),
                amount: Money::yen(1200),
                suspicious: true,
            }
        );
    }
}
