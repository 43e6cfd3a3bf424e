//! `PATCH /api/v1/orders/{id}` (注文変更).

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{if_match, json_body, order_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use juchu_domain::Order;
use juchu_domain::modify::OrderPatch;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(modify))
}

#[utoipa::path(patch, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = OrderPatch,
    responses((status = 200, description = "The modified order: totals and tax recomputed, allocation adjusted, payment followed", body = Order),
        (status = 409, description = "the policy or the payment forbids the change", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn modify(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::ORDER_CREATE)?;
    let patch: OrderPatch = json_body(&body)?;
    Ok(Json(
        s.app
            .modify_order(order_id(&id)?, &patch, if_match(&headers)?, &auth.actor())
            .await?,
    ))
}
