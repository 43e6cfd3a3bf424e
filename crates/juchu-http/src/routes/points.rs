//! Loyalty points (docs/points.md): a customer's balance and ledger, and operator adjustments.

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::json_body;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use juchu_app::CustomerPoints;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balance))
        .routes(routes!(adjust))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/points", tag = "points",
    params(("id" = String, Path, description = "The customer id orders carry in `customer.id`")),
    responses((status = 200, description = "Balance and ledger, newest row first; a customer with no points has balance 0 and no entries", body = CustomerPoints)),
    security(("bearer" = [])))]
async fn balance(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerPoints>> {
    auth.require(roles::READ)?;
    Ok(Json(s.app.customer_points(&id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    /// Points to add (positive) or take away (negative); never below a zero balance.
    amount: i64,
    /// Why (kept in the ledger row).
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/points/adjust", tag = "points",
    params(("id" = String, Path)),
    request_body = Adjustment,
    responses((status = 200, body = CustomerPoints), (status = 422, description = "Zero amount, missing reason, or more than the balance", body = Problem)),
    security(("bearer" = [])))]
async fn adjust(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<CustomerPoints>> {
    auth.require(roles::MASTER_WRITE)?;
    let req: Adjustment = json_body(&body)?;
    Ok(Json(
        s.app
            .adjust_points(&id, req.amount, &req.reason, &auth.actor())
            .await?,
    ))
}
