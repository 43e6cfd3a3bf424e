//! `POST /api/v1/orders/{id}/split` and `/split-allocated` (注文分割).

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{if_match, json_body, order_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use juchu_app::AppError;
use juchu_domain::Order;
use juchu_domain::split::Prefer;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(split))
        .routes(routes!(split_allocated))
}

#[derive(Debug, Deserialize, ToSchema)]
struct SplitLine {
    line_id: String,
    quantity: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
struct SplitRequest {
    lines: Vec<SplitLine>,
}

#[derive(Debug, Serialize, ToSchema)]
struct SplitResult {
    original: Order,
    split: Order,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/split", tag = "orders", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = SplitRequest,
    responses((status = 201, description = "The listed quantities moved to a new order (`parent_id` set); both add up to the original", body = SplitResult),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn split(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SplitResult>)> {
    auth.require(roles::ORDER_REVIEW)?;
    let req: SplitRequest = json_body(&body)?;
    let mut moves = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let line = l
            .line_id
            .parse()
            .map_err(|_| AppError::invalid(&format!("lines[{i}].line_id"), "is not a line id"))?;
        moves.push((line, l.quantity));
    }
    let (original, split) = s
        .app
        .split_order(
            order_id(&id)?,
            &moves,
            Prefer::Unallocated,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SplitResult { original, split })))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/split-allocated", tag = "orders", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 201, description = "What is allocated moves to a new order that can ship now; the original keeps waiting for the rest", body = SplitResult),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn split_allocated(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<SplitResult>)> {
    auth.require(roles::ORDER_REVIEW)?;
    let (original, split) = s
        .app
        .split_order(
            order_id(&id)?,
            &[],
            Prefer::Allocated,
            if_match(&headers)?,
            &auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SplitResult { original, split })))
}
