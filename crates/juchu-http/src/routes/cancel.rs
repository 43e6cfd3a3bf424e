//! Cancellation after shipping instruction: the warehouse confirms or refuses, and polls the
//! shipments waiting for its answer (`GET /api/v1/shipments?status=cancel_requested`).

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{Query, if_match, json_body, shipment_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use juchu_app::{ShipmentQuery, ShipmentView};
use juchu_domain::Order;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_shipments))
        .routes(routes!(confirm_cancel))
        .routes(routes!(refuse_cancel))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Required: pending | instructed | cancel_requested | shipped | delivered | cancelled.
    status: Option<String>,
    /// 1–500, default 100.
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ShipmentPage {
    items: Vec<ShipmentView>,
    next_cursor: Option<String>,
}

/// Shipments in one status with their order, oldest first; a warehouse polls
/// `status=cancel_requested` for the cancellations it must confirm or refuse.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "shipping", params(ListParams),
    responses((status = 200, body = ShipmentPage), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn list_shipments(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<ShipmentPage>> {
    auth.require(roles::READ)?;
    let (items, next_cursor) = s
        .app
        .list_shipments(ShipmentQuery {
            status: p.status,
            limit: p.limit,
            cursor: p.cursor,
        })
        .await?;
    Ok(Json(ShipmentPage { items, next_cursor }))
}

/// The warehouse stopped a `cancel_requested` shipment: it is cancelled, and the order is
/// cancelled (stock released, payment voided or refunded) once no shipment of the request waits.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/cancel/confirm", tag = "shipping",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Order), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition: the shipment has no pending cancellation", body = Problem)),
    security(("bearer" = [])))]
async fn confirm_cancel(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Order>> {
    auth.require(roles::SHIPPING)?;
    let order = s
        .app
        .confirm_cancel(shipment_id(&id)?, if_match(&headers)?, &auth.actor())
        .await?;
    Ok(Json(order))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefuseRequest {
    /// Why the shipment cannot be stopped (e.g. already handed to the carrier).
    reason: String,
}

/// The warehouse cannot stop the shipment: the request is withdrawn, its shipments go back to
/// `instructed` and the order ships.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/cancel/refuse", tag = "shipping",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)), request_body = RefuseRequest,
    responses((status = 200, body = Order), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition: the shipment has no pending cancellation", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn refuse_cancel(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::SHIPPING)?;
    let req: RefuseRequest = json_body(&body)?;
    let order = s
        .app
        .refuse_cancel(
            shipment_id(&id)?,
            &req.reason,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}
