//! Payments through the configured providers (`[providers]`, juchu-providers): the receipt-time
//! authorisation and, as an outbox, the provider call behind every money event the domain records.
//!
//! The domain decides (`payment.captured`, `payment.voided`, `payment.refunded` in the order's
//! history); the same commit enqueues a `payment.provider` job for each such event, and the worker
//! makes the call with an idempotency key fixed at that commit (order id + version + event), so a
//! retried job, a crash after the call or a duplicate delivery never moves money twice. A transient
//! failure retries the job with backoff; a refusal puts a `payment_declined` hold on the order for
//! an operator. Without providers configured the jobs complete at once (the in-process rules of
//! `payments.rs` stand in). See docs/providers.md.

use crate::{App, AppError};
use juchu_domain::payment::{PaymentMethod, PaymentOutcome};
use juchu_domain::{Event, Money, Order, ShipmentId};
use juchu_providers::{
    AmazonPay, CardAuthRef, CardGateway, CardSource, ChargeState, DeferredDecision,
    DeferredPayment, DeferredRegistration, IdempotencyKey, ProviderError, Providers,
};
use juchu_store::NewJob;
use serde_json::{Value, json};

/// The money events that need a provider call.
const PROVIDER_EVENTS: [&str; 4] = [
    "payment.captured",
    "payment.voided",
    "payment.refunded",
    "payment.amount_changed",
];

/// One job per money event of a provider-backed method, keyed by the order's new version.
pub(crate) fn provider_jobs(order: &Order, events: &[Event]) -> Vec<NewJob> {
    let backed = matches!(
        order.payment.method,
        PaymentMethod::CreditCard | PaymentMethod::AmazonPay | PaymentMethod::Deferred
    );
    if !backed {
        return vec![];
    }
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| PROVIDER_EVENTS.contains(&e.kind.as_str()))
        .map(|(i, e)| {
            let key = format!("{}-{}-{}", order.id.0.simple(), order.version, i);
            NewJob {
                kind: "payment.provider".into(),
                payload: json!({"order_id": order.id, "action": e.kind, "data": e.data, "key": key}),
                available_at: e.at,
                dedupe_key: Some(format!("payment.provider:{key}")),
            }
        })
        .collect()
}

fn unavailable(e: &ProviderError) -> AppError {
    AppError::Unavailable(e.to_string())
}

/// A refusal the provider will repeat (retrying does not help): an operator must look.
fn is_refusal(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::Declined { .. }
            | ProviderError::Rejected { .. }
            | ProviderError::NotFound { .. }
            | ProviderError::Invalid { .. }
            | ProviderError::Expired { .. }
    )
}

/// A refusal becomes the caller's answer (`refused(reason)`); anything else is transient and
/// fails the job, which retries with the same keys.
fn refused_or_retry<T>(e: ProviderError, refused: impl FnOnce(String) -> T) -> Result<T, AppError> {
    if is_refusal(&e) {
        Ok(refused(e.to_string()))
    } else {
        Err(unavailable(&e))
    }
}

/// Receipt-time refusals: the order is held with the provider's reason.
fn declined(reason: String) -> Option<PaymentOutcome> {
    Some(PaymentOutcome::Declined { reason })
}

fn key(s: String) -> Result<IdempotencyKey, AppError> {
    IdempotencyKey::new(s).map_err(|e| AppError::invalid("idempotency_key", e.to_string()))
}

/// The receipt-time payment work through the providers; `None` when the local rules apply (no
/// providers, or a method they do not handle, or a storefront that authorised the card itself).
pub(crate) async fn authorize(
    p: &Providers,
    order: &Order,
) -> Result<Option<PaymentOutcome>, AppError> {
    authorize_attempt(p, order, 0, &order.id.0.simple().to_string()).await
}

/// A new authorisation after a modification changed the amount or the method: the card under the
/// next gateway order id after `previous`, the others under keys of this order version.
pub(crate) async fn authorize_again(
    p: &Providers,
    order: &Order,
    previous: Option<&str>,
) -> Result<Option<PaymentOutcome>, AppError> {
    let attempt = previous
        .and_then(|a| CardAuthRef::parse(a).ok())
        .map_or(1, |r| next_attempt(&r));
    let tag = format!("{}-v{}", order.id.0.simple(), order.version);
    authorize_attempt(p, order, attempt, &tag).await
}

async fn authorize_attempt(
    p: &Providers,
    order: &Order,
    attempt: u32,
    tag: &str,
) -> Result<Option<PaymentOutcome>, AppError> {
    let total = order.totals.total;
    match order.payment.method {
        PaymentMethod::CreditCard => {
            if order.payment.authorization_id.is_some() {
                return Ok(None);
            }
            let Some(token) = order.payment.card_token.clone() else {
                return Ok(Some(PaymentOutcome::Declined {
                    reason: "no card token to authorise".into(),
                }));
            };
            let gmo_id = juchu_providers::card::card_order_id(order.id, attempt)
                .map_err(|e| unavailable(&e))?;
            let k = key(format!("auth-{gmo_id}"))?;
            match p
                .card
                .authorize(&gmo_id, &CardSource::Token(token), total, &k)
                .await
            {
                Ok(a) => Ok(Some(a.into())),
                Err(e) => refused_or_retry(e, declined),
            }
        }
        PaymentMethod::Deferred => {
            let reg = DeferredRegistration::from_order(order).map_err(|e| unavailable(&e))?;
            let k = key(format!("np-register-{tag}"))?;
            let tx = match p.deferred.register(&reg, &k).await {
                Ok(tx) => tx,
                Err(e) => return refused_or_retry(e, declined),
            };
            Ok(Some(match tx.decision {
                DeferredDecision::Approved => PaymentOutcome::Authorized {
                    authorization_id: tx.np_transaction_id,
                    amount: total,
                    suspicious: false,
                },
                DeferredDecision::Declined { reason } => PaymentOutcome::Declined {
                    reason: format!("後払い与信 NG: {} ({})", reason.text(), reason.code()),
                },
                DeferredDecision::Hold { reasons } => PaymentOutcome::Declined {
                    reason: format!(
                        "後払い与信 保留: {}",
                        reasons
                            .iter()
                            .map(|r| r.text())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                DeferredDecision::Pending => PaymentOutcome::Pending {
                    reason: format!(
                        "後払い与信 審査中 (NP transaction {})",
                        tx.np_transaction_id
                    ),
                    reference: tx.np_transaction_id,
                },
            }))
        }
        PaymentMethod::AmazonPay => {
            let Some(permission) = order.payment.authorization_id.clone() else {
                return Ok(None);
            };
            let k = key(format!("amazon-auth-{tag}"))?;
            match p.amazon_pay.authorize(&permission, total, false, &k).await {
                Ok(c) if matches!(c.state, ChargeState::Authorized) => {
                    Ok(Some(PaymentOutcome::Authorized {
                        authorization_id: c.charge_id,
                        amount: total,
                        suspicious: false,
                    }))
                }
                Ok(c) => Ok(Some(PaymentOutcome::Declined {
                    reason: format!(
                        "Amazon Pay charge {} is {:?} ({})",
                        c.charge_id,
                        c.state,
                        c.reason_code.unwrap_or_default()
                    ),
                })),
                Err(e) => refused_or_retry(e, declined),
            }
        }
        PaymentMethod::BankTransfer | PaymentMethod::Cod => Ok(None),
    }
}

/// What the provider answered, for the order's history.
enum Done {
    Confirmed(Value),
    /// The order's authorisation changed (re-authorised after expiry).
    Reauthorized {
        authorization_id: String,
        detail: Value,
    },
    Refused(String),
    /// Nothing to call (a reference the providers did not issue, a partial deferred refund).
    Skipped(String),
}

impl App {
    /// Runs one `payment.provider` job: the provider call its event asks for.
    pub(crate) async fn run_provider_job(
        &self,
        payload: &Value,
    ) -> Result<Option<(String, Value, Option<String>, bool)>, AppError> {
        let Some(p) = self.providers.clone() else {
            return Ok(None);
        };
        let order_id: juchu_domain::OrderId = payload
            .get("order_id")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| AppError::invalid("payload", "order_id is missing"))?;
        let action = payload.get("action").and_then(Value::as_str).unwrap_or("");
        let data = payload.get("data").cloned().unwrap_or(Value::Null);
        let base = payload
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let amount = Money::yen(data.get("amount").and_then(Value::as_i64).unwrap_or(0));
        // The history first, then the order: an answer seen in the history was committed with the
        // order it changed (a new authorisation), so the order read after it is at least as new.
        let history: Vec<Event> = self
            .store
            .order_events(order_id)
            .await?
            .into_iter()
            .map(|r| r.event)
            .collect();
        earlier_calls_answered(&history, action, &data)?;
        let order = self.load_order(order_id).await?;
        let done = call(&p, &order, &history, action, amount, &data, &base).await?;
        Ok(Some(match done {
            Done::Confirmed(v) => (format!("{action}.confirmed"), v, None, false),
            Done::Reauthorized {
                authorization_id,
                detail,
            } => (
                format!("{action}.confirmed"),
                detail,
                Some(authorization_id),
                false,
            ),
            Done::Refused(reason) => (
                format!("{action}.refused"),
                json!({"reason": reason}),
                None,
                true,
            ),
            Done::Skipped(why) => (
                format!("{action}.skipped"),
                json!({"reason": why}),
                None,
                false,
            ),
        }))
    }
}

/// An order's provider calls run in the order of their events (a refund after its capture, a
/// second shipment's capture after the first's): until every earlier one has its answer recorded,
/// this job fails as unavailable and is retried.
fn earlier_calls_answered(history: &[Event], action: &str, data: &Value) -> Result<(), AppError> {
    let calls: Vec<&Event> = history
        .iter()
        .filter(|e| PROVIDER_EVENTS.contains(&e.kind.as_str()))
        .collect();
    let answered = history
        .iter()
        .filter(|e| {
            PROVIDER_EVENTS.iter().any(|k| {
                e.kind
                    .strip_prefix(k)
                    .is_some_and(|rest| matches!(rest, ".confirmed" | ".refused" | ".skipped"))
            })
        })
        .count();
    let position = calls
        .iter()
        .position(|e| e.kind == action && &e.data == data)
        .unwrap_or(0);
    if answered < position {
        return Err(AppError::Unavailable(format!(
            "waiting for {} earlier provider call(s) of this order",
            position - answered
        )));
    }
    Ok(())
}

/// Amazon Pay charges of the order that were captured, with what is left to refund on each, newest
/// first (a later parcel is its own charge).
fn amazon_charges(history: &[Event], first: &str) -> Vec<(String, Money)> {
    let mut charges: Vec<(String, Money)> = Vec::new();
    for e in history {
        let d = &e.data;
        let amount = Money::yen(d.get("amount").and_then(Value::as_i64).unwrap_or(0));
        if e.kind == "payment.captured.confirmed" {
            let id = d
                .get("charge_id")
                .and_then(Value::as_str)
                .unwrap_or(first)
                .to_owned();
            charges.push((id, amount));
        } else if e.kind == "payment.refunded.confirmed"
            && let Some(id) = d.get("charge_id").and_then(Value::as_str)
            && let Some(c) = charges.iter_mut().find(|(c, _)| c == id)
        {
            c.1 -= amount;
        }
    }
    charges.reverse();
    charges
}

async fn call(
    p: &Providers,
    order: &Order,
    history: &[Event],
    action: &str,
    amount: Money,
    data: &Value,
    base: &str,
) -> Result<Done, AppError> {
    // The event names the authorisation it is about when the order has a newer one since (a void
    // of the authorisation a modification replaced).
    let auth = data
        .get("authorization_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| order.payment.authorization_id.clone())
        .unwrap_or_default();
    let k = |what: &str| key(format!("{what}-{base}"));
    let settle = |r: Result<Value, ProviderError>| match r {
        Ok(v) => Ok(Done::Confirmed(v)),
        Err(e) => refused_or_retry(e, Done::Refused),
    };
    match order.payment.method {
        PaymentMethod::CreditCard => {
            let Ok(r) = CardAuthRef::parse(&auth) else {
                return Ok(Done::Skipped(format!(
                    "authorisation `{auth}` was not made through the card gateway"
                )));
            };
            match action {
                "payment.captured" => {
                    let captured_total = Money::yen(
                        data.get("captured_total")
                            .and_then(Value::as_i64)
                            .unwrap_or(amount.minor()),
                    );
                    let rest = order.payment.authorized_amount - captured_total;
                    capture_card(p, order, &r, amount, rest, base).await
                }
                "payment.amount_changed" => settle(
                    p.card
                        .change_amount(&r, amount, &k("change")?)
                        .await
                        .map(|t| json!({"amount": amount, "tran_id": t.tran_id})),
                ),
                "payment.voided" => settle(
                    p.card
                        .void(&r, &k("void")?)
                        .await
                        .map(|t| json!({"tran_id": t.tran_id})),
                ),
                "payment.refunded" => settle(
                    p.card
                        .refund(&r, amount, &k("refund")?)
                        .await
                        .map(|t| json!({"amount": amount, "tran_id": t.tran_id})),
                ),
                _ => Ok(Done::Skipped(format!("no card call for {action}"))),
            }
        }
        PaymentMethod::AmazonPay => match action {
            // A charge is captured once (Amazon voids what it leaves): a later shipment of the same
            // order is a new charge on the buyer's charge permission, captured at once.
            "payment.captured" => {
                let charge = match p.amazon_pay.charge(&auth).await {
                    Ok(c) => c,
                    Err(e) => return settle(Err(e)),
                };
                let key = k("capture")?;
                let capture = p.amazon_pay.capture(&auth, amount, &key);
                let captured = match charge.state {
                    ChargeState::Authorized => Some(capture.await),
                    // Captured already: by an earlier attempt of this job that died before
                    // recording the answer (its key replays that capture), or by an earlier parcel
                    // (refused: this parcel is a new charge). Charging anew in the first case would
                    // take the money twice.
                    ChargeState::Completed | ChargeState::CaptureInitiated => match capture.await {
                        Err(e) if is_refusal(&e) => None,
                        replayed => Some(replayed),
                    },
                    _ => None,
                };
                if let Some(r) = captured {
                    settle(r.map(|c| json!({"amount": amount, "charge_id": c.charge_id})))
                } else {
                    let Some(permission) = charge.charge_permission_id.clone() else {
                        return Ok(Done::Refused(format!(
                            "charge {auth} is {:?} and names no charge permission to charge again",
                            charge.state
                        )));
                    };
                    settle(
                        p.amazon_pay
                            .authorize(&permission, amount, true, &k("amazon-next")?)
                            .await
                            .map(|c| json!({"amount": amount, "charge_id": c.charge_id, "new_charge": true})),
                    )
                }
            }
            "payment.voided" => settle(
                p.amazon_pay
                    .cancel(&auth, "order cancelled", &k("cancel")?)
                    .await
                    .map(|c| json!({"charge_id": c.charge_id})),
            ),
            // From the newest captured charge that can carry it (a later parcel is its own charge).
            "payment.refunded" => {
                let charge = amazon_charges(history, &auth)
                    .into_iter()
                    .find(|(_, left)| *left >= amount)
                    .map_or(auth.clone(), |(c, _)| c);
                settle(
                    p.amazon_pay
                        .refund(&charge, amount, &k("refund")?)
                        .await
                        .map(|r| json!({"amount": amount, "charge_id": charge, "refund_id": r.refund_id})),
                )
            }
            _ => Ok(Done::Skipped(format!("no Amazon Pay call for {action}"))),
        },
        PaymentMethod::Deferred => match action {
            "payment.captured" => {
                let shipment: Option<ShipmentId> = data
                    .get("shipment_id")
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok());
                let Some(s) = shipment.and_then(|id| order.shipments.iter().find(|s| s.id == id))
                else {
                    return Ok(Done::Skipped(
                        "the shipment of this capture is not on the order".into(),
                    ));
                };
                let (Some(carrier), Some(tracking)) = (s.carrier, s.tracking_number.clone()) else {
                    return Ok(Done::Skipped(
                        "the shipment has no carrier or tracking number".into(),
                    ));
                };
                // NP takes one shipment report per transaction: later parcels of the same order
                // were covered by the first report.
                let earlier = order
                    .shipments
                    .iter()
                    .filter(|x| x.id != s.id && x.shipped_at.is_some())
                    .any(|x| x.shipped_at < s.shipped_at);
                if earlier {
                    return Ok(Done::Skipped(
                        "the NP transaction was reported with the order's first shipment".into(),
                    ));
                }
                settle(
                    p.deferred
                        .report_shipment(&auth, carrier, &tracking, &k("np-ship")?)
                        .await
                        .map(|()| json!({"np_transaction_id": auth, "carrier_code": juchu_providers::np_carrier_code(carrier), "tracking_number": tracking})),
                )
            }
            "payment.amount_changed" => {
                let goods = juchu_providers::DeferredRegistration::from_order(order)
                    .map_err(|e| unavailable(&e))?
                    .goods;
                match p
                    .deferred
                    .update(&auth, amount, &goods, &k("np-update")?)
                    .await
                {
                    Ok(DeferredDecision::Approved) => Ok(Done::Confirmed(
                        json!({"amount": amount, "np_transaction_id": auth}),
                    )),
                    Ok(other) => Ok(Done::Refused(format!(
                        "後払い 金額変更 not approved: {other:?}"
                    ))),
                    Err(e) => settle(Err(e)),
                }
            }
            "payment.voided" => settle(
                p.deferred
                    .cancel(&auth, &k("np-cancel")?)
                    .await
                    .map(|()| json!({"np_transaction_id": auth})),
            ),
            "payment.refunded"
                if order.payment.refunded_amount >= order.payment.captured_amount =>
            {
                settle(
                    p.deferred
                        .cancel(&auth, &k("np-cancel")?)
                        .await
                        .map(|()| json!({"np_transaction_id": auth})),
                )
            }
            // A partial refund after the shipment report: NP changes no reported amount, so the
            // transaction is cancelled and what the customer still owes registered and reported anew.
            "payment.refunded" => rebill_deferred(p, order, &auth, data, base).await,
            _ => Ok(Done::Skipped(format!(
                "no deferred-payment call for {action}"
            ))),
        },
        PaymentMethod::BankTransfer | PaymentMethod::Cod => {
            Ok(Done::Skipped("not a provider-backed method".into()))
        }
    }
}

/// Cancels a reported NP transaction and registers and reports what is left to bill.
async fn rebill_deferred(
    p: &Providers,
    order: &Order,
    auth: &str,
    data: &Value,
    base: &str,
) -> Result<Done, AppError> {
    let refunded = Money::yen(
        data.get("refunded_total")
            .and_then(Value::as_i64)
            .unwrap_or(order.payment.refunded_amount.minor()),
    );
    let left = order.payment.captured_amount - refunded;
    let Some(s) = order.shipments.iter().find(|s| s.tracking_number.is_some()) else {
        return Ok(Done::Refused(
            "no shipment to report the new bill with".into(),
        ));
    };
    let (Some(carrier), Some(tracking)) = (s.carrier, s.tracking_number.clone()) else {
        return Ok(Done::Refused("the shipment has no carrier".into()));
    };
    if let Err(e) = p
        .deferred
        .cancel(auth, &key(format!("np-cancel-{base}"))?)
        .await
    {
        return refused_or_retry(e, Done::Refused);
    }
    let mut reg = DeferredRegistration::from_order(order).map_err(|e| unavailable(&e))?;
    reg.shop_transaction_id = format!("{}-{}", order.id.0.simple(), refunded.minor());
    reg.amount = left;
    reg.goods = vec![juchu_providers::deferred::NpGoods {
        goods_name: "ご請求額（返品後） / Amount after the return".into(),
        goods_price: left.minor(),
        quantity: 1,
    }];
    let tx = match p
        .deferred
        .register(&reg, &key(format!("np-rebill-{base}"))?)
        .await
    {
        Ok(tx) => tx,
        Err(e) => return refused_or_retry(e, Done::Refused),
    };
    if tx.decision != DeferredDecision::Approved {
        return Ok(Done::Refused(format!(
            "後払い: the new bill of {} yen was not approved ({:?})",
            left.minor(),
            tx.decision
        )));
    }
    if let Err(e) = p
        .deferred
        .report_shipment(
            &tx.np_transaction_id,
            carrier,
            &tracking,
            &key(format!("np-rebill-ship-{base}"))?,
        )
        .await
    {
        return refused_or_retry(e, Done::Refused);
    }
    Ok(Done::Reauthorized {
        authorization_id: tx.np_transaction_id.clone(),
        detail: json!({"amount": data.get("amount"), "cancelled": auth, "rebilled": left, "np_transaction_id": tx.np_transaction_id}),
    })
}

/// The next gateway order id of this order after `r`'s (attempt + 1).
fn next_card_order_id(order: &Order, r: &CardAuthRef) -> Result<String, AppError> {
    juchu_providers::card::card_order_id(order.id, next_attempt(r)).map_err(|e| unavailable(&e))
}

/// The attempt after `r`'s: its gateway order id ends in `-{attempt in base 36}`
/// (`card_order_id`); a reference without one counts as attempt 0.
fn next_attempt(r: &CardAuthRef) -> u32 {
    r.order_id
        .rsplit_once('-')
        .and_then(|(_, a)| u32::from_str_radix(a, 36).ok())
        .unwrap_or(0)
        + 1
}

/// Captures one shipment's `amount` on the card. The gateway captures exactly what an
/// authorisation holds, so when `rest` of the order is still to ship, the rest is first authorised
/// again with the stored token (it becomes the order's authorisation for the later shipments), the
/// current authorisation is changed to this shipment's amount, and that is captured. Every step has
/// a key derived from the job's, so a retried job repeats nothing.
async fn capture_card(
    p: &Providers,
    order: &Order,
    r: &CardAuthRef,
    amount: Money,
    rest: Money,
    base: &str,
) -> Result<Done, AppError> {
    let mut rest_auth = None;
    if rest > Money::ZERO {
        let Some(token) = order.payment.card_token.clone() else {
            return Ok(Done::Refused(
                "a partial shipment needs the rest authorised again, and no card token is stored"
                    .into(),
            ));
        };
        let id = next_card_order_id(order, r)?;
        match p
            .card
            .reauthorize(
                &id,
                &CardSource::Token(token),
                rest,
                &key(format!("rest-{base}"))?,
            )
            .await
        {
            Ok(a) => rest_auth = Some(a.auth_ref.to_string()),
            Err(e) => return refused_or_retry(e, Done::Refused),
        }
        if let Err(e) = p
            .card
            .change_amount(r, amount, &key(format!("change-{base}"))?)
            .await
        {
            return refused_or_retry(e, Done::Refused);
        }
    }
    match p
        .card
        .capture(r, amount, &key(format!("capture-{base}"))?)
        .await
    {
        Ok(t) => Ok(match rest_auth {
            Some(a) => Done::Reauthorized {
                authorization_id: a,
                detail: json!({"amount": amount, "tran_id": t.tran_id, "rest_authorized": rest}),
            },
            None => Done::Confirmed(json!({"amount": amount, "tran_id": t.tran_id})),
        }),
        Err(ProviderError::Expired { .. }) if rest_auth.is_none() => {
            reauthorize_and_capture(p, order, r, amount, base).await
        }
        Err(e) => refused_or_retry(e, Done::Refused),
    }
}

/// The authorisation ran out before shipping: authorise again with the stored card token under the
/// next gateway order id, then capture.
async fn reauthorize_and_capture(
    p: &Providers,
    order: &Order,
    r: &CardAuthRef,
    amount: Money,
    base: &str,
) -> Result<Done, AppError> {
    let Some(token) = order.payment.card_token.clone() else {
        return Ok(Done::Refused(
            "the authorisation expired and no card token is stored to authorise again".into(),
        ));
    };
    let gmo_id = next_card_order_id(order, r)?;
    let a = match p
        .card
        .reauthorize(
            &gmo_id,
            &CardSource::Token(token),
            amount,
            &key(format!("reauth-{base}"))?,
        )
        .await
    {
        Ok(a) => a,
        Err(e) => return refused_or_retry(e, Done::Refused),
    };
    match p
        .card
        .capture(&a.auth_ref, amount, &key(format!("capture-re-{base}"))?)
        .await
    {
        Ok(t) => Ok(Done::Reauthorized {
            authorization_id: a.auth_ref.to_string(),
            detail: json!({"amount": amount, "tran_id": t.tran_id, "reauthorized": true}),
        }),
        Err(e) => refused_or_retry(e, Done::Refused),
    }
}

/// What a poll of a pending credit check found.
pub(crate) enum PollResult {
    Approved,
    Declined(String),
    StillPending,
}

/// Asks the deferred-payment provider for the result of a pending credit check.
pub(crate) async fn poll_deferred(p: &Providers, reference: &str) -> Result<PollResult, AppError> {
    match p.deferred.status(reference).await {
        Ok(DeferredDecision::Approved) => Ok(PollResult::Approved),
        Ok(DeferredDecision::Pending) => Ok(PollResult::StillPending),
        Ok(DeferredDecision::Declined { reason }) => Ok(PollResult::Declined(format!(
            "後払い与信 NG: {} ({})",
            reason.text(),
            reason.code()
        ))),
        Ok(DeferredDecision::Hold { reasons }) => Ok(PollResult::Declined(format!(
            "後払い与信 保留: {}",
            reasons
                .iter()
                .map(|r| r.text())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Err(e) => refused_or_retry(e, PollResult::Declined),
    }
}

/// The next poll of a pending credit check, `policies.deferred_poll_seconds` from now.
pub(crate) fn poll_job(app: &App, order: &Order) -> NewJob {
    let secs = i64::from(app.policies.deferred_poll_seconds.max(1));
    NewJob {
        kind: "payment.deferred_poll".into(),
        payload: json!({"order_id": order.id}),
        available_at: app
            .now()
            .saturating_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or_else(|_| app.now()),
        dedupe_key: Some(format!("payment.deferred_poll:{}", order.id)),
    }
}
