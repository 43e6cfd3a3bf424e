//! Amazon Pay API v2 shapes (FORMATS.md §6) under `/amazonpay/v2/`: charge permissions, charges
//! (authorise, optional captureNow, capture, cancel) and refunds. Amounts are strings of whole yen
//! with `currencyCode: "JPY"`; timestamps `YYYYMMDDTHHMMSSZ`; errors `{reasonCode, message}`.
//!
//! Charge permissions come from the buyer's checkout; here any id is accepted and created on first
//! use (or explicitly by `POST /_sandbox/amazon/charge-permissions`). An id containing `declined`
//! gets Declined charges (`HardDeclined`); one containing `closed` is NonChargeable.

use crate::ledger::MovementKind;
use crate::{S, World, parse_json};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

const PROVIDER: &str = "amazon_pay";
const MAX_AMOUNT: i64 = 10_000_000;

struct Permission {
    id: String,
    state: &'static str,
    amount_limit: i64,
    created: Timestamp,
    declines: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ChargeState {
    Authorized,
    Captured,
    Declined,
    Canceled,
}

impl ChargeState {
    fn as_str(self) -> &'static str {
        match self {
            ChargeState::Authorized => "Authorized",
            ChargeState::Captured => "Captured",
            ChargeState::Declined => "Declined",
            ChargeState::Canceled => "Canceled",
        }
    }
}

struct Charge {
    id: String,
    permission: String,
    amount: i64,
    captured: i64,
    refunded: i64,
    state: ChargeState,
    reason: Option<&'static str>,
    created: Timestamp,
    updated: Timestamp,
}

struct Refund {
    id: String,
    charge: String,
    amount: i64,
    created: Timestamp,
}

#[derive(Default)]
pub(crate) struct Amazon {
    permissions: HashMap<String, Permission>,
    charges: HashMap<String, Charge>,
    refunds: HashMap<String, Refund>,
    seq: u64,
}

pub(crate) fn routes() -> Router<S> {
    Router::new()
        .route(
            "/_sandbox/amazon/charge-permissions",
            post(create_permission),
        )
        .route("/amazonpay/v2/chargePermissions/{id}", get(get_permission))
        .route("/amazonpay/v2/charges", post(create_charge))
        .route("/amazonpay/v2/charges/{id}", get(get_charge))
        .route("/amazonpay/v2/charges/{id}/capture", post(capture))
        .route("/amazonpay/v2/charges/{id}/cancel", delete(cancel))
        .route("/amazonpay/v2/refunds", post(create_refund))
        .route("/amazonpay/v2/refunds/{id}", get(get_refund))
}

fn err(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"reasonCode": code, "message": message})),
    )
        .into_response()
}

fn ts(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn money(v: i64) -> Value {
    json!({"amount": v.to_string(), "currencyCode": "JPY"})
}

#[derive(Deserialize)]
struct Price {
    amount: Value,
    #[serde(rename = "currencyCode")]
    currency_code: String,
}

/// Whole yen from `{amount: "1000", currencyCode: "JPY"}` (`"1000.00"` and numbers accepted).
fn yen(p: &Option<Price>, field: &str) -> Result<i64, Response> {
    let bad = |m: String| err(StatusCode::BAD_REQUEST, "InvalidParameterValue", &m);
    let Some(p) = p else {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "MissingParameterValue",
            &format!("{field} is required"),
        ));
    };
    if p.currency_code != "JPY" {
        return Err(bad(format!("{field}.currencyCode must be JPY")));
    }
    let raw = match &p.amount {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(bad(format!("{field}.amount must be a string of yen"))),
    };
    let whole = raw
        .strip_suffix(".00")
        .or_else(|| raw.strip_suffix(".0"))
        .unwrap_or(&raw);
    match whole.parse::<i64>() {
        Ok(v) if (1..=MAX_AMOUNT).contains(&v) => Ok(v),
        _ => Err(bad(format!(
            "{field}.amount must be whole yen between 1 and {MAX_AMOUNT}, got `{raw}`"
        ))),
    }
}

fn permission_json(w: &World, p: &Permission) -> Value {
    let charged: i64 = w
        .amazon
        .charges
        .values()
        .filter(|c| c.permission == p.id)
        .filter(|c| matches!(c.state, ChargeState::Authorized | ChargeState::Captured))
        .map(|c| c.amount)
        .sum();
    json!({
        "chargePermissionId": p.id,
        "chargePermissionType": "OneTime",
        "statusDetails": {
            "state": p.state,
            "reasons": Value::Null,
            "lastUpdatedTimestamp": ts(p.created),
        },
        "limits": {
            "amountLimit": money(p.amount_limit),
            "amountBalance": money((p.amount_limit - charged).max(0)),
        },
        "creationTimestamp": ts(p.created),
        "expirationTimestamp": ts(p.created.checked_add(SignedDuration::from_hours(180 * 24)).unwrap_or(p.created)),
        "releaseEnvironment": "Sandbox",
    })
}

fn ensure_permission<'a>(w: &'a mut World, id: &str) -> &'a Permission {
    let now = w.now();
    w.amazon
        .permissions
        .entry(id.to_owned())
        .or_insert_with(|| Permission {
            id: id.to_owned(),
            state: if id.contains("closed") {
                "NonChargeable"
            } else {
                "Chargeable"
            },
            amount_limit: MAX_AMOUNT,
            created: now,
            declines: id.contains("declined"),
        })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[derive(Deserialize)]
struct NewPermission {
    #[serde(default, rename = "chargePermissionId")]
    id: Option<String>,
    #[serde(default, rename = "amountLimit")]
    amount_limit: Option<Price>,
}

async fn create_permission(State(s): State<S>, body: Bytes) -> Response {
    let input: NewPermission = if body.is_empty() {
        NewPermission {
            id: None,
            amount_limit: None,
        }
    } else {
        match parse_json(&body) {
            Ok(v) => v,
            Err(e) => return err(StatusCode::BAD_REQUEST, "InvalidParameterValue", &e),
        }
    };
    let limit = match &input.amount_limit {
        Some(_) => match yen(&input.amount_limit, "amountLimit") {
            Ok(v) => v,
            Err(r) => return r,
        },
        None => MAX_AMOUNT,
    };
    let mut w = s.world();
    let id = match input.id {
        Some(id) if !valid_id(&id) => {
            return err(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValue",
                "chargePermissionId must be 1–64 letters, digits, - or _",
            );
        }
        Some(id) => id,
        None => {
            w.amazon.seq += 1;
            format!(
                "S03-{:07}-{:07}",
                w.amazon.seq,
                w.amazon.seq * 7 % 10_000_000
            )
        }
    };
    ensure_permission(&mut w, &id);
    if let Some(p) = w.amazon.permissions.get_mut(&id) {
        p.amount_limit = limit;
    }
    match w.amazon.permissions.get(&id) {
        Some(p) => (StatusCode::CREATED, axum::Json(permission_json(&w, p))).into_response(),
        None => err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "lost",
        ),
    }
}

async fn get_permission(State(s): State<S>, Path(id): Path<String>) -> Response {
    if !valid_id(&id) {
        return err(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "no such charge permission",
        );
    }
    let mut w = s.world();
    ensure_permission(&mut w, &id);
    match w.amazon.permissions.get(&id) {
        Some(p) => axum::Json(permission_json(&w, p)).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "no such charge permission",
        ),
    }
}

/// Authorized past the expiry becomes Canceled (`ExpiredUnused`), releasing the hold.
fn expire(w: &mut World, id: &str) {
    let now = w.now();
    let days = w.cfg.amazon.auth_expiry_days;
    let Some(c) = w.amazon.charges.get_mut(id) else {
        return;
    };
    let limit = c
        .created
        .checked_add(SignedDuration::from_hours(days.saturating_mul(24)))
        .unwrap_or(c.created);
    if c.state == ChargeState::Authorized && now > limit {
        c.state = ChargeState::Canceled;
        c.reason = Some("ExpiredUnused");
        c.updated = now;
        let (cid, amt) = (c.id.clone(), c.amount);
        w.ledger
            .record(MovementKind::Void, PROVIDER, &cid, amt, now);
    }
}

fn charge_json(w: &World, c: &Charge) -> Value {
    let days = w.cfg.amazon.auth_expiry_days;
    json!({
        "chargeId": c.id,
        "chargePermissionId": c.permission,
        "chargeAmount": money(c.amount),
        "captureAmount": if c.captured > 0 { money(c.captured) } else { Value::Null },
        "refundedAmount": money(c.refunded),
        "softDescriptor": Value::Null,
        "statusDetails": {
            "state": c.state.as_str(),
            "reasonCode": c.reason,
            "reasonDescription": c.reason,
            "lastUpdatedTimestamp": ts(c.updated),
        },
        "creationTimestamp": ts(c.created),
        "expirationTimestamp": ts(c.created.checked_add(SignedDuration::from_hours(days.saturating_mul(24))).unwrap_or(c.created)),
        "releaseEnvironment": "Sandbox",
    })
}

#[derive(Deserialize)]
struct NewCharge {
    #[serde(default, rename = "chargePermissionId")]
    permission: String,
    #[serde(rename = "chargeAmount")]
    amount: Option<Price>,
    #[serde(default, rename = "captureNow")]
    capture_now: bool,
}

async fn create_charge(State(s): State<S>, body: Bytes) -> Response {
    let input: NewCharge = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return err(StatusCode::BAD_REQUEST, "InvalidParameterValue", &e),
    };
    if !valid_id(&input.permission) {
        return err(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValue",
            "chargePermissionId is required (1–64 letters, digits, - or _)",
        );
    }
    let amount = match yen(&input.amount, "chargeAmount") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = s.world();
    let now = w.now();
    let (state, declines, limit) = {
        let p = ensure_permission(&mut w, &input.permission);
        (p.state, p.declines, p.amount_limit)
    };
    if state != "Chargeable" {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidChargePermissionStatus",
            &format!("the charge permission is {state}"),
        );
    }
    let ids: Vec<String> = w
        .amazon
        .charges
        .values()
        .filter(|c| c.permission == input.permission)
        .map(|c| c.id.clone())
        .collect();
    for id in &ids {
        expire(&mut w, id);
    }
    let charged: i64 = w
        .amazon
        .charges
        .values()
        .filter(|c| c.permission == input.permission)
        .filter(|c| matches!(c.state, ChargeState::Authorized | ChargeState::Captured))
        .map(|c| c.amount)
        .sum();
    if charged + amount > limit {
        return err(
            StatusCode::BAD_REQUEST,
            "TransactionAmountExceeded",
            &format!(
                "the charge permission has ¥{} left, ¥{amount} asked",
                limit - charged
            ),
        );
    }
    w.amazon.seq += 1;
    let id = format!("{}-C{:05}", input.permission, w.amazon.seq);
    let mut c = Charge {
        id: id.clone(),
        permission: input.permission.clone(),
        amount,
        captured: 0,
        refunded: 0,
        state: ChargeState::Authorized,
        reason: None,
        created: now,
        updated: now,
    };
    if declines {
        c.state = ChargeState::Declined;
        c.reason = Some("HardDeclined");
    } else {
        w.ledger
            .record(MovementKind::Authorise, PROVIDER, &id, amount, now);
        if input.capture_now {
            c.state = ChargeState::Captured;
            c.captured = amount;
            w.ledger
                .record(MovementKind::Capture, PROVIDER, &id, amount, now);
        }
    }
    let out = charge_json(&w, &c);
    w.amazon.charges.insert(id, c);
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

fn not_found(what: &str, id: &str) -> Response {
    err(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!("no {what} {id}"),
    )
}

async fn get_charge(State(s): State<S>, Path(id): Path<String>) -> Response {
    let mut w = s.world();
    expire(&mut w, &id);
    match w.amazon.charges.get(&id) {
        Some(c) => axum::Json(charge_json(&w, c)).into_response(),
        None => not_found("charge", &id),
    }
}

#[derive(Deserialize)]
struct CaptureIn {
    #[serde(rename = "captureAmount")]
    amount: Option<Price>,
}

async fn capture(State(s): State<S>, Path(id): Path<String>, body: Bytes) -> Response {
    let input: CaptureIn = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return err(StatusCode::BAD_REQUEST, "InvalidParameterValue", &e),
    };
    let amount = match yen(&input.amount, "captureAmount") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = s.world();
    expire(&mut w, &id);
    let now = w.now();
    let Some(c) = w.amazon.charges.get_mut(&id) else {
        return not_found("charge", &id);
    };
    if c.state != ChargeState::Authorized {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidChargeStatus",
            &format!(
                "the charge is {}, only Authorized charges can be captured",
                c.state.as_str()
            ),
        );
    }
    if amount > c.amount {
        return err(
            StatusCode::BAD_REQUEST,
            "TransactionAmountExceeded",
            &format!(
                "captureAmount ¥{amount} is more than the authorised ¥{}",
                c.amount
            ),
        );
    }
    c.state = ChargeState::Captured;
    c.captured = amount;
    c.updated = now;
    let rest = c.amount - amount;
    w.ledger
        .record(MovementKind::Capture, PROVIDER, &id, amount, now);
    if rest > 0 {
        w.ledger
            .record(MovementKind::Void, PROVIDER, &id, rest, now);
    }
    match w.amazon.charges.get(&id) {
        Some(c) => axum::Json(charge_json(&w, c)).into_response(),
        None => not_found("charge", &id),
    }
}

async fn cancel(State(s): State<S>, Path(id): Path<String>) -> Response {
    let mut w = s.world();
    expire(&mut w, &id);
    let now = w.now();
    let Some(c) = w.amazon.charges.get_mut(&id) else {
        return not_found("charge", &id);
    };
    match c.state {
        ChargeState::Authorized => {
            c.state = ChargeState::Canceled;
            c.reason = Some("MerchantCanceled");
            c.updated = now;
            let amt = c.amount;
            w.ledger.record(MovementKind::Void, PROVIDER, &id, amt, now);
        }
        // Cancelling a canceled charge changes nothing.
        ChargeState::Canceled => {}
        other => {
            return err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "InvalidChargeStatus",
                &format!(
                    "the charge is {}; refund a Captured charge instead",
                    other.as_str()
                ),
            );
        }
    }
    match w.amazon.charges.get(&id) {
        Some(c) => axum::Json(charge_json(&w, c)).into_response(),
        None => not_found("charge", &id),
    }
}

fn refund_json(r: &Refund) -> Value {
    json!({
        "refundId": r.id,
        "chargeId": r.charge,
        "refundAmount": money(r.amount),
        "softDescriptor": Value::Null,
        "creationTimestamp": ts(r.created),
        "statusDetails": {
            "state": "Refunded",
            "reasonCode": Value::Null,
            "reasonDescription": Value::Null,
            "lastUpdatedTimestamp": ts(r.created),
        },
        "releaseEnvironment": "Sandbox",
    })
}

#[derive(Deserialize)]
struct NewRefund {
    #[serde(default, rename = "chargeId")]
    charge: String,
    #[serde(rename = "refundAmount")]
    amount: Option<Price>,
}

async fn create_refund(State(s): State<S>, body: Bytes) -> Response {
    let input: NewRefund = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return err(StatusCode::BAD_REQUEST, "InvalidParameterValue", &e),
    };
    let amount = match yen(&input.amount, "refundAmount") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = s.world();
    let now = w.now();
    let Some(c) = w.amazon.charges.get_mut(&input.charge) else {
        return not_found("charge", &input.charge);
    };
    if c.state != ChargeState::Captured {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidChargeStatus",
            &format!(
                "the charge is {}, only Captured charges can be refunded",
                c.state.as_str()
            ),
        );
    }
    if c.refunded + amount > c.captured {
        return err(
            StatusCode::BAD_REQUEST,
            "TransactionAmountExceeded",
            &format!(
                "refundAmount ¥{amount} is more than the ¥{} still refundable",
                c.captured - c.refunded
            ),
        );
    }
    c.refunded += amount;
    w.amazon.seq += 1;
    let id = format!("{}-R{:05}", input.charge, w.amazon.seq);
    let r = Refund {
        id: id.clone(),
        charge: input.charge.clone(),
        amount,
        created: now,
    };
    w.ledger
        .record(MovementKind::Refund, PROVIDER, &input.charge, amount, now);
    let out = refund_json(&r);
    w.amazon.refunds.insert(id, r);
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

async fn get_refund(State(s): State<S>, Path(id): Path<String>) -> Response {
    let w = s.world();
    match w.amazon.refunds.get(&id) {
        Some(r) => axum::Json(refund_json(r)).into_response(),
        None => not_found("refund", &id),
    }
}
