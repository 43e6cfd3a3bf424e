//! Deferred payment modelled on NP後払い REST v1 (FORMATS.md §5), JSON under `/np/v1/`.
//!
//! Credit check by the customer's e-mail local part: `+decline` → `20` (NG, `RE003`), `+pending` →
//! `10` (保留, hold reason `RE014`), `+review` → `40` (審査前); anything else `00` (unless the
//! billed amount is above `deferred.amount_limit`: `20`, `RE001`). `10` / `40` are resolved later by
//! `POST /_sandbox/deferred/{id}/resolve`; the client polls `POST /np/v1/authorizations/find`.
//! Every request is checked whole before anything is applied: one bad transaction refuses them all.

use crate::ledger::MovementKind;
use crate::{S, World, json_error, parse_json};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

const PROVIDER: &str = "deferred";

/// pd_company_code (FORMATS.md §5).
pub const CARRIER_CODES: &[&str] = &[
    "50000", "59010", "59020", "59030", "59040", "59041", "59042", "59043", "59050", "59060",
    "59080", "59090", "59110", "59140", "59150", "59100", "59160", "55555",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum State_ {
    Registered,
    Reported,
    Cancelled,
}

struct Npt {
    id: String,
    shop_transaction_id: String,
    billed_amount: i64,
    result: String,
    hold: Vec<String>,
    ng: Option<String>,
    state: State_,
    shipment: Option<(String, String)>,
    goods: Value,
}

#[derive(Default)]
pub(crate) struct Deferred {
    by_id: HashMap<String, Npt>,
    by_shop: HashMap<String, String>,
    seq: u64,
}

pub(crate) fn routes() -> Router<S> {
    Router::new()
        .route("/np/v1/transactions", post(register))
        .route("/np/v1/transactions/{id}", get(get_one))
        .route("/np/v1/transactions/update", patch(update))
        .route("/np/v1/transactions/cancel", patch(cancel))
        .route("/np/v1/shipments", post(shipments))
        .route("/np/v1/authorizations/find", post(find))
        .route("/_sandbox/deferred/{id}/resolve", post(resolve))
}

#[derive(Serialize)]
struct ResultOut {
    shop_transaction_id: String,
    np_transaction_id: String,
    authori_result: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authori_hold: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authori_ng: Option<String>,
    /// Sandbox extension: registered / reported / cancelled.
    status: State_,
    billed_amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pd_company_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slip_no: Option<String>,
}

fn out(t: &Npt) -> ResultOut {
    ResultOut {
        shop_transaction_id: t.shop_transaction_id.clone(),
        np_transaction_id: t.id.clone(),
        authori_result: t.result.clone(),
        authori_hold: t.hold.clone(),
        authori_ng: t.ng.clone(),
        status: t.state,
        billed_amount: t.billed_amount,
        pd_company_code: t.shipment.as_ref().map(|s| s.0.clone()),
        slip_no: t.shipment.as_ref().map(|s| s.1.clone()),
    }
}

fn results(items: Vec<ResultOut>) -> Response {
    axum::Json(serde_json::json!({ "results": items })).into_response()
}

/// `{errors:[{codes:[...], id}]}` with 400 (404 when every error is NOT_FOUND).
fn errors(errs: Vec<(String, Vec<String>)>) -> Response {
    let status = if errs.iter().all(|(_, c)| c.iter().all(|c| c == "NOT_FOUND")) {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_REQUEST
    };
    let list: Vec<Value> = errs
        .into_iter()
        .map(|(id, codes)| serde_json::json!({"codes": codes, "id": id}))
        .collect();
    (status, axum::Json(serde_json::json!({ "errors": list }))).into_response()
}

fn bad_body(msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({"errors": [{"codes": ["INVALID_BODY"], "message": msg}]})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct Batch<T> {
    transactions: Vec<T>,
}

fn batch<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, Response> {
    let b: Batch<T> = parse_json(body).map_err(|e| bad_body(&e))?;
    if b.transactions.is_empty() || b.transactions.len() > 1000 {
        return Err(bad_body("transactions must hold 1–1000 items"));
    }
    Ok(b.transactions)
}

#[derive(Deserialize)]
struct Customer {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
struct RegisterIn {
    #[serde(default)]
    shop_transaction_id: String,
    #[serde(default)]
    settlement_type: Option<String>,
    billed_amount: Option<i64>,
    customer: Option<Customer>,
    #[serde(default)]
    goods: Value,
}

fn credit_check(w: &World, email: &str, amount: i64) -> (String, Vec<String>, Option<String>) {
    let local = email.split('@').next().unwrap_or("");
    if local.ends_with("+decline") {
        ("20".into(), vec![], Some("RE003".into()))
    } else if w.cfg.deferred.amount_limit.is_some_and(|l| amount > l) {
        ("20".into(), vec![], Some("RE001".into()))
    } else if local.ends_with("+pending") {
        ("10".into(), vec!["RE014".into()], None)
    } else if local.ends_with("+review") {
        ("40".into(), vec![], None)
    } else {
        ("00".into(), vec![], None)
    }
}

async fn register(State(s): State<S>, body: Bytes) -> Response {
    let items: Vec<RegisterIn> = match batch(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut errs = vec![];
    let mut seen = std::collections::HashSet::new();
    for t in &items {
        let mut codes = vec![];
        let sid = t.shop_transaction_id.trim();
        if sid.is_empty() || sid.chars().count() > 40 {
            codes.push("INVALID_SHOP_TRANSACTION_ID".to_owned());
        } else if !seen.insert(sid.to_owned()) {
            codes.push("DUPLICATE_SHOP_TRANSACTION_ID".to_owned());
        }
        if !matches!(t.billed_amount, Some(a) if a > 0) {
            codes.push("INVALID_BILLED_AMOUNT".to_owned());
        }
        if t.settlement_type.as_deref().is_some_and(|st| st != "02") {
            codes.push("INVALID_SETTLEMENT_TYPE".to_owned());
        }
        if !t.customer.as_ref().is_some_and(|c| c.email.contains('@')) {
            codes.push("INVALID_CUSTOMER_EMAIL".to_owned());
        }
        if !codes.is_empty() {
            errs.push((sid.to_owned(), codes));
        }
    }
    if !errs.is_empty() {
        return errors(errs);
    }
    let mut w = s.world();
    let now = w.now();
    let mut res = vec![];
    for t in items {
        let sid = t.shop_transaction_id.trim().to_owned();
        // A repeated registration of one shop transaction returns its first result.
        if let Some(id) = w.deferred.by_shop.get(&sid)
            && let Some(n) = w.deferred.by_id.get(id)
        {
            res.push(out(n));
            continue;
        }
        let amount = t.billed_amount.unwrap_or(0);
        let email = t.customer.map(|c| c.email).unwrap_or_default();
        let (result, hold, ng) = credit_check(&w, &email, amount);
        w.deferred.seq += 1;
        let id = format!("NP{:09}", w.deferred.seq);
        if result == "00" {
            w.ledger
                .record(MovementKind::Authorise, PROVIDER, &id, amount, now);
        }
        let n = Npt {
            id: id.clone(),
            shop_transaction_id: sid.clone(),
            billed_amount: amount,
            result,
            hold,
            ng,
            state: State_::Registered,
            shipment: None,
            goods: t.goods,
        };
        res.push(out(&n));
        w.deferred.by_shop.insert(sid, id.clone());
        w.deferred.by_id.insert(id, n);
    }
    results(res)
}

async fn get_one(State(s): State<S>, Path(id): Path<String>) -> Response {
    let w = s.world();
    match w.deferred.by_id.get(&id) {
        Some(n) => axum::Json(out(n)).into_response(),
        None => errors(vec![(id, vec!["NOT_FOUND".into()])]),
    }
}

#[derive(Deserialize)]
struct IdIn {
    #[serde(default)]
    np_transaction_id: String,
}

async fn find(State(s): State<S>, body: Bytes) -> Response {
    let items: Vec<IdIn> = match batch(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let w = s.world();
    let missing: Vec<_> = items
        .iter()
        .filter(|i| !w.deferred.by_id.contains_key(&i.np_transaction_id))
        .map(|i| (i.np_transaction_id.clone(), vec!["NOT_FOUND".to_owned()]))
        .collect();
    if !missing.is_empty() {
        return errors(missing);
    }
    results(
        items
            .iter()
            .filter_map(|i| w.deferred.by_id.get(&i.np_transaction_id))
            .map(out)
            .collect(),
    )
}

/// Why `n` cannot be changed any more (update / shipment report), if so.
fn closed(n: &Npt) -> Option<&'static str> {
    match n.state {
        State_::Reported => Some("ALREADY_REPORTED"),
        State_::Cancelled => Some("CANCELLED"),
        State_::Registered if n.result == "20" => Some("DECLINED"),
        State_::Registered => None,
    }
}

#[derive(Deserialize)]
struct UpdateIn {
    #[serde(default)]
    np_transaction_id: String,
    billed_amount: Option<i64>,
    #[serde(default)]
    goods: Value,
}

async fn update(State(s): State<S>, body: Bytes) -> Response {
    let items: Vec<UpdateIn> = match batch(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut w = s.world();
    let mut errs = vec![];
    for t in &items {
        let mut codes = vec![];
        match w.deferred.by_id.get(&t.np_transaction_id) {
            None => codes.push("NOT_FOUND".to_owned()),
            Some(n) => {
                if let Some(c) = closed(n) {
                    codes.push(c.to_owned());
                }
            }
        }
        if !matches!(t.billed_amount, Some(a) if a > 0) {
            codes.push("INVALID_BILLED_AMOUNT".to_owned());
        }
        if !codes.is_empty() {
            errs.push((t.np_transaction_id.clone(), codes));
        }
    }
    if !errs.is_empty() {
        return errors(errs);
    }
    let now = w.now();
    let limit = w.cfg.deferred.amount_limit;
    let mut res = vec![];
    let mut moves = vec![];
    for t in items {
        let Some(n) = w.deferred.by_id.get_mut(&t.np_transaction_id) else {
            continue;
        };
        let new = t.billed_amount.unwrap_or(n.billed_amount);
        let old = n.billed_amount;
        if new != old {
            if n.result == "00" {
                moves.push((MovementKind::Void, n.id.clone(), old));
            }
            n.billed_amount = new;
            if !t.goods.is_null() {
                n.goods = t.goods;
            }
            // The credit check runs again on the new amount.
            if limit.is_some_and(|l| new > l) {
                n.result = "20".into();
                n.hold.clear();
                n.ng = Some("RE001".into());
            }
            if n.result == "00" {
                moves.push((MovementKind::Authorise, n.id.clone(), new));
            }
        }
        res.push(out(n));
    }
    for (kind, id, amt) in moves {
        w.ledger.record(kind, PROVIDER, &id, amt, now);
    }
    results(res)
}

#[derive(Deserialize)]
struct ShipmentIn {
    #[serde(default)]
    np_transaction_id: String,
    #[serde(default)]
    pd_company_code: String,
    #[serde(default)]
    slip_no: String,
}

async fn shipments(State(s): State<S>, body: Bytes) -> Response {
    let items: Vec<ShipmentIn> = match batch(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut w = s.world();
    let mut errs = vec![];
    for t in &items {
        let mut codes = vec![];
        if !CARRIER_CODES.contains(&t.pd_company_code.as_str()) {
            codes.push("INVALID_PD_COMPANY_CODE".to_owned());
        }
        let slip = t.slip_no.trim();
        if slip.is_empty()
            || slip.len() > 20
            || !slip.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            codes.push("INVALID_SLIP_NO".to_owned());
        }
        match w.deferred.by_id.get(&t.np_transaction_id) {
            None => codes.push("NOT_FOUND".to_owned()),
            // The same report again: acknowledged, not invoiced twice.
            Some(n)
                if n.state == State_::Reported
                    && n.shipment == Some((t.pd_company_code.clone(), slip.to_owned())) => {}
            Some(n) => {
                if let Some(c) = closed(n) {
                    codes.push(c.to_owned());
                } else if n.result != "00" {
                    codes.push("NOT_AUTHORIZED".to_owned());
                }
            }
        }
        if !codes.is_empty() {
            errs.push((t.np_transaction_id.clone(), codes));
        }
    }
    if !errs.is_empty() {
        return errors(errs);
    }
    let now = w.now();
    let mut res = vec![];
    let mut moves = vec![];
    for t in items {
        let Some(n) = w.deferred.by_id.get_mut(&t.np_transaction_id) else {
            continue;
        };
        if n.state == State_::Registered {
            n.state = State_::Reported;
            n.shipment = Some((t.pd_company_code, t.slip_no.trim().to_owned()));
            moves.push((n.id.clone(), n.billed_amount));
        }
        res.push(serde_json::json!({"np_transaction_id": n.id}));
    }
    for (id, amt) in moves {
        w.ledger
            .record(MovementKind::Capture, PROVIDER, &id, amt, now);
    }
    axum::Json(serde_json::json!({ "results": res })).into_response()
}

async fn cancel(State(s): State<S>, body: Bytes) -> Response {
    let items: Vec<IdIn> = match batch(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut w = s.world();
    let missing: Vec<_> = items
        .iter()
        .filter(|i| !w.deferred.by_id.contains_key(&i.np_transaction_id))
        .map(|i| (i.np_transaction_id.clone(), vec!["NOT_FOUND".to_owned()]))
        .collect();
    if !missing.is_empty() {
        return errors(missing);
    }
    let now = w.now();
    let mut res = vec![];
    let mut moves = vec![];
    for t in items {
        let Some(n) = w.deferred.by_id.get_mut(&t.np_transaction_id) else {
            continue;
        };
        match n.state {
            // Cancelling twice is acknowledged and changes nothing.
            State_::Cancelled => {}
            State_::Reported => moves.push((MovementKind::Refund, n.id.clone(), n.billed_amount)),
            State_::Registered if n.result == "00" => {
                moves.push((MovementKind::Void, n.id.clone(), n.billed_amount));
            }
            State_::Registered => {}
        }
        n.state = State_::Cancelled;
        res.push(serde_json::json!({"np_transaction_id": n.id}));
    }
    for (kind, id, amt) in moves {
        w.ledger.record(kind, PROVIDER, &id, amt, now);
    }
    axum::Json(serde_json::json!({ "results": res })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveIn {
    /// `00` (approve) or `20` (decline).
    result: String,
    /// NG reason when declining (default `RE003`).
    #[serde(default)]
    authori_ng: Option<String>,
}

async fn resolve(State(s): State<S>, Path(id): Path<String>, body: Bytes) -> Response {
    let input: ResolveIn = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return json_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", &e),
    };
    if input.result != "00" && input.result != "20" {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_result",
            "result must be \"00\" (approved) or \"20\" (declined)",
        );
    }
    let mut w = s.world();
    let now = w.now();
    let Some(n) = w.deferred.by_id.get_mut(&id) else {
        return json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no deferred transaction {id}"),
        );
    };
    if n.result != "10" && n.result != "40" {
        return json_error(
            StatusCode::CONFLICT,
            "not_pending",
            &format!(
                "transaction {id} has result {}; only 10 (保留) and 40 (審査前) can be resolved",
                n.result
            ),
        );
    }
    if n.state == State_::Cancelled {
        return json_error(
            StatusCode::CONFLICT,
            "cancelled",
            &format!("transaction {id} was cancelled"),
        );
    }
    n.result = input.result.clone();
    n.hold.clear();
    n.ng = (input.result == "20").then(|| input.authori_ng.unwrap_or_else(|| "RE003".into()));
    let o = out(n);
    let amount = n.billed_amount;
    if input.result == "00" {
        w.ledger
            .record(MovementKind::Authorise, PROVIDER, &id, amount, now);
    }
    axum::Json(o).into_response()
}
