//! Money in by bank transfer (API.md "Money in and out"): the signed deposit webhook, Zengin
//! statement import, and the deposits list for operators.

use crate::audit::AuditNote;
use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{Query, json_body, upload_lines};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use juchu_app::{AppError, DepositResult, NewDeposit, StatementImport};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deposit_webhook))
        .routes(routes!(import_statement))
        .routes(routes!(list_deposits))
}

#[derive(Debug, Deserialize, ToSchema)]
struct DepositEvent {
    /// The bank's id of this notification; a repeated id is acknowledged and ignored.
    event_id: String,
    /// `0310-101-1000001`, or the 7-digit number (the configured pool's bank and branch).
    account_number: String,
    amount: i64,
    deposited_at: String,
    payer_kana: Option<String>,
}

#[utoipa::path(post, path = "/webhooks/bank/deposits", tag = "bank",
    params(
        ("X-Juchu-Timestamp" = String, Header, description = "Unix time in seconds when this attempt was sent; refused beyond `webhook_tolerance_secs` (300) either way"),
        ("X-Juchu-Delivery" = String, Header, description = "An id unique to this attempt (`[A-Za-z0-9_:-]`, 1–200); a repeated one is refused as a replay"),
        ("X-Juchu-Signature" = String, Header, description = "`sha256=` + hex HMAC-SHA256, under `[bank] webhook_secret`, of `{timestamp}.{delivery}.{raw body}` (docs/security.md)")),
    request_body = DepositEvent,
    responses((status = 200, description = "Recorded (or a repeated event_id, acknowledged)", body = DepositResult),
        (status = 401, description = "invalid_signature or stale_timestamp", body = Problem),
        (status = 409, description = "replayed_delivery", body = Problem), (status = 422, body = Problem)))]
async fn deposit_webhook(
    State(s): State<AppState>,
    note: AuditNote,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<DepositResult>> {
    // No secret configured: nobody can be verified, so nothing is accepted.
    let secret = s
        .app
        .policies
        .bank
        .webhook_secret
        .as_ref()
        .map_or("", |k| k.expose());
    crate::signed::accept(&s, &note, "bank", secret, &headers, &body).await?;
    let ev: DepositEvent = json_body(&body)?;
    if ev.event_id.trim().is_empty() || ev.event_id.len() > 200 {
        return Err(AppError::invalid("event_id", "must be 1–200 characters").into());
    }
    note.target(ev.account_number.clone());
    let r = s
        .app
        .receive_deposit(NewDeposit {
            dedupe_key: format!("webhook:{}", ev.event_id.trim()),
            source: "webhook",
            account: ev.account_number,
            amount: ev.amount,
            deposited_at: ev.deposited_at,
            payer_kana: ev.payer_kana,
        })
        .await?;
    if let Some(order) = &r.order_id {
        note.target(order.clone());
    }
    Ok(Json(r))
}

#[utoipa::path(post, path = "/api/v1/bank/statements", tag = "bank",
    request_body(content = String, content_type = "application/octet-stream",
        description = "A Zengin 振込入金通知 (01) or 入出金取引明細 (03) file, Shift_JIS or UTF-8"),
    responses((status = 200, body = StatementImport), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn import_statement(
    State(s): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> ApiResult<Json<StatementImport>> {
    auth.require(roles::PAYMENT_CONFIRM)?;
    upload_lines(&body)?;
    Ok(Json(s.app.import_statement(&body).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DepositParams {
    /// `false`: only deposits no order's account matched (for operators to resolve).
    matched: Option<bool>,
    /// 1–1000, default 100.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Deposit {
    id: i64,
    source: String,
    account: String,
    amount: i64,
    deposited_at: String,
    payer_kana: Option<String>,
    order_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    received_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
struct DepositList {
    items: Vec<Deposit>,
}

#[utoipa::path(get, path = "/api/v1/bank/deposits", tag = "bank", params(DepositParams),
    responses((status = 200, body = DepositList)), security(("bearer" = [])))]
async fn list_deposits(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<DepositParams>,
) -> ApiResult<Json<DepositList>> {
    auth.require(roles::PAYMENT_CONFIRM)?;
    let rows = s
        .app
        .list_deposits(p.matched, p.limit.unwrap_or(100))
        .await?;
    Ok(Json(DepositList {
        items: rows
            .into_iter()
            .map(|d| Deposit {
                id: d.id,
                source: d.source,
                account: d.account,
                amount: d.amount,
                deposited_at: d.deposited_at,
                payer_kana: d.payer_kana,
                order_id: d.order_id.map(|o| o.to_string()),
                received_at: d.received_at,
            })
            .collect(),
    }))
}
