//! `/api/v1/orders…`

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{Query, if_match, json_body, order_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use juchu_app::{AppError, OrderQuery};
use juchu_domain::intake::NewOrder;
use juchu_domain::{Event, HoldCode, Order, OrderStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(order_counts))
        .routes(routes!(get_order))
        .routes(routes!(order_events))
        .routes(routes!(cancel_order))
        .routes(routes!(place_hold))
        .routes(routes!(release_hold))
        .routes(routes!(confirm_payment))
        .routes(routes!(set_priority))
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    responses((status = 201, body = Order), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "duplicate_order", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_order(
    State(s): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Order>)> {
    auth.require(roles::ORDER_CREATE)?;
    let input: NewOrder = json_body(&body)?;
    let order = s.app.place_order(&input, &auth.actor()).await?;
    Ok((StatusCode::CREATED, Json(order)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// One of the statuses.
    status: Option<String>,
    channel: Option<String>,
    /// Order number, external id, customer name / kana, e-mail, phone or tracking number.
    q: Option<String>,
    /// 1–500, default 50.
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct OrderPage {
    items: Vec<Order>,
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(ListParams),
    responses((status = 200, body = OrderPage), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn list_orders(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<OrderPage>> {
    auth.require(roles::READ)?;
    let status = match p.status.as_deref() {
        None | Some("") => None,
        Some(x) => Some(
            x.parse::<OrderStatus>()
                .map_err(|m| AppError::invalid("status", m))?,
        ),
    };
    let (items, next_cursor) = s
        .app
        .list_orders(OrderQuery {
            status,
            channel: p.channel.filter(|c| !c.is_empty()),
            q: p.q,
            limit: p.limit,
            cursor: p.cursor,
        })
        .await?;
    Ok(Json(OrderPage { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/orders/counts", tag = "orders",
    responses((status = 200, description = "Number of orders per status, in flow order", body = Object)), security(("bearer" = [])))]
async fn order_counts(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<serde_json::Value>> {
    auth.require(roles::READ)?;
    let counts = s.app.order_counts().await?;
    let mut map = serde_json::Map::new();
    for (status, n) in counts {
        map.insert(status.as_str().to_owned(), n.into());
    }
    Ok(Json(serde_json::Value::Object(map)))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = Order), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_order(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Order>> {
    auth.require(roles::READ)?;
    Ok(Json(s.app.load_order(order_id(&id)?).await?))
}

#[derive(Debug, Serialize, ToSchema)]
struct EventView {
    seq: i64,
    #[serde(flatten)]
    event: Event,
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/events", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, description = "The order's history, oldest first", body = Vec<EventView>), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn order_events(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<EventView>>> {
    auth.require(roles::READ)?;
    let events = s.app.order_events(order_id(&id)?).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|r| EventView {
                seq: r.seq,
                event: r.event,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CancelRequest {
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = CancelRequest,
    responses((status = 200, description = "The order, cancelled", body = Order),
        (status = 202, description = "After shipping instruction: the cancel is a request to the warehouse; the order (still shipping_instructed) shows it in cancel_request, its shipments are cancel_requested", body = Order),
        (status = 409, description = "invalid_transition", body = Problem), (status = 412, body = Problem)),
    security(("bearer" = [])))]
async fn cancel_order(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Order>)> {
    auth.require(roles::ORDER_CANCEL)?;
    let req: CancelRequest = json_body(&body)?;
    let order = s
        .app
        .cancel_order(
            order_id(&id)?,
            &req.reason,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    let status = if order.status == OrderStatus::Cancelled {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(order)))
}

#[derive(Debug, Deserialize, ToSchema)]
struct HoldRequest {
    code: String,
    reason: String,
}

fn hold_code(s: &str) -> Result<HoldCode, AppError> {
    HoldCode::parse(s).ok_or_else(|| {
        let all: Vec<&str> = HoldCode::ALL.iter().map(|c| c.as_str()).collect();
        AppError::invalid(
            "code",
            format!("unknown hold code `{s}`; one of {}", all.join(", ")),
        )
    })
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/holds", tag = "orders", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = HoldRequest, responses((status = 201, body = Order), (status = 409, body = Problem)), security(("bearer" = [])))]
async fn place_hold(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Order>)> {
    auth.require(roles::ORDER_REVIEW)?;
    let req: HoldRequest = json_body(&body)?;
    let code = hold_code(&req.code)?;
    let order = s
        .app
        .place_hold(
            order_id(&id)?,
            code,
            &req.reason,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(order)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
struct ReleaseRequest {
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/holds/{code}/release", tag = "orders",
    params(("id" = String, Path), ("code" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = ReleaseRequest, responses((status = 200, body = Order), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn release_hold(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, code)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::ORDER_REVIEW)?;
    let req: ReleaseRequest = if body.is_empty() {
        ReleaseRequest::default()
    } else {
        json_body(&body)?
    };
    let code = hold_code(&code)?;
    let order = s
        .app
        .release_hold(
            order_id(&id)?,
            code,
            req.note.as_deref(),
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}

#[derive(Debug, Deserialize, ToSchema)]
struct ConfirmPayment {
    amount: i64,
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/payments/confirm", tag = "orders", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = ConfirmPayment, responses((status = 200, body = Order), (status = 409, body = Problem)), security(("bearer" = [])))]
async fn confirm_payment(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::PAYMENT_CONFIRM)?;
    let req: ConfirmPayment = json_body(&body)?;
    let order = s
        .app
        .confirm_payment(
            order_id(&id)?,
            req.amount,
            req.note.as_deref(),
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}

#[derive(Debug, Deserialize, ToSchema)]
struct PriorityRequest {
    /// Lower is served first; new orders have 0. Between -1000000 and 1000000.
    priority: i32,
}

/// Orders waiting for stock are served by (priority, ordered_at); a new priority re-runs allocation.
#[utoipa::path(post, path = "/api/v1/orders/{id}/priority", tag = "orders", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = PriorityRequest, responses((status = 200, body = Order), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn set_priority(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::ORDER_REVIEW)?;
    let req: PriorityRequest = json_body(&body)?;
    let order = s
        .app
        .set_priority(
            order_id(&id)?,
            req.priority,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}
