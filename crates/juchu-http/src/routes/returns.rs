//! 返品: return requests and their receipt.

use crate::auth::{Auth, roles};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{if_match, json_body, order_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use juchu_domain::returns::ReturnRequestLine;
use juchu_domain::{Money, Order, ReturnId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request))
        .routes(routes!(receive))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReturnRequest {
    lines: Vec<ReturnRequestLine>,
    reason: String,
    /// Default: the returned items' tax-inclusive price (capped at what was collected).
    #[schema(value_type = Option<i64>)]
    refund_amount: Option<Money>,
    /// The warehouse already has the goods: receive (restock / dispose, refund) at once.
    #[serde(default)]
    received: bool,
}

#[derive(Debug, Serialize, ToSchema)]
struct ReturnCreated {
    return_id: ReturnId,
    order: Order,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/returns", tag = "orders",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = ReturnRequest,
    responses((status = 201, body = ReturnCreated), (status = 409, description = "Not shipped yet", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn request(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ReturnCreated>)> {
    auth.require(roles::RETURN_REQUEST)?;
    let req: ReturnRequest = json_body(&body)?;
    if req.received {
        auth.require(roles::SHIPPING)?;
    }
    let (order, return_id) = s
        .app
        .request_return(
            order_id(&id)?,
            &req.lines,
            &req.reason,
            req.refund_amount,
            req.received,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReturnCreated { return_id, order }),
    ))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/returns/{return_id}/receive", tag = "orders",
    params(("id" = String, Path), ("return_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Order), (status = 404, body = Problem), (status = 409, description = "Received already", body = Problem)),
    security(("bearer" = [])))]
async fn receive(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Order>> {
    auth.require(roles::SHIPPING)?;
    let rid: ReturnId = rid
        .parse()
        .map_err(|_| ApiError::NotFound(format!("return {rid} not found")))?;
    let order = s
        .app
        .receive_return(order_id(&id)?, rid, if_match(&headers)?, &auth.actor())
        .await?;
    Ok(Json(order))
}
