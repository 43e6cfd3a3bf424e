//! 返金振込: payouts of bank-transfer refunds for operators to send and confirm.

use crate::auth::{Auth, roles};
use crate::error::{ApiResult, Problem};
use crate::extract::{Query, json_body, order_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use juchu_app::{AppError, PayoutAccount, PayoutView};
use juchu_domain::Order;
use juchu_domain::payout::PayoutStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(confirm))
        .routes(routes!(execute))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// requested | paid (default: all)
    status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct PayoutList {
    items: Vec<PayoutView>,
}

#[utoipa::path(get, path = "/api/v1/payouts", tag = "bank", params(ListParams),
    responses((status = 200, body = PayoutList), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn list(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PayoutList>> {
    auth.require(roles::PAYMENT_CONFIRM)?;
    let status = match p.status.as_deref() {
        None => None,
        Some("requested") => Some(PayoutStatus::Requested),
        Some("paid") => Some(PayoutStatus::Paid),
        Some(other) => {
            return Err(AppError::invalid(
                "status",
                format!("`{other}` is not a payout status; use requested or paid"),
            )
            .into());
        }
    };
    Ok(Json(PayoutList {
        items: s.app.payouts(status).await?,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmRequest {
    /// The bank's reference of the transfer.
    bank_reference: Option<String>,
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/payouts/{payout_id}/confirm", tag = "bank",
    params(("id" = String, Path), ("payout_id" = String, Path)), request_body = ConfirmRequest,
    responses((status = 200, body = Order), (status = 404, body = Problem), (status = 409, description = "Confirmed already", body = Problem)),
    security(("bearer" = [])))]
async fn confirm(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, payout)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::PAYMENT_CONFIRM)?;
    let req: ConfirmRequest = if body.is_empty() {
        ConfirmRequest::default()
    } else {
        json_body(&body)?
    };
    let order = s
        .app
        .confirm_payout(
            order_id(&id)?,
            &payout,
            req.bank_reference.as_deref(),
            req.note.as_deref(),
            &auth.actor(),
        )
        .await?;
    Ok(Json(order))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/payouts/{payout_id}/execute", tag = "bank",
    params(("id" = String, Path), ("payout_id" = String, Path)), request_body = PayoutAccount,
    responses((status = 200, body = Order), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn execute(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, payout)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Order>> {
    auth.require(roles::PAYMENT_CONFIRM)?;
    let account: PayoutAccount = json_body(&body)?;
    let order = s
        .app
        .execute_payout(order_id(&id)?, &payout, &account, &auth.actor())
        .await?;
    Ok(Json(order))
}
